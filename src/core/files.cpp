#include "core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace saphan {
namespace {

error io_failure(const std::string& path, std::string_view what) {
  return make_error(errc::io_error, path + ": " + std::string(what) + ": " + std::strerror(errno));
}

class file_descriptor {
 public:
  explicit file_descriptor(int fd) : fd_(fd) {}
  ~file_descriptor() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  file_descriptor(const file_descriptor&) = delete;
  file_descriptor& operator=(const file_descriptor&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  file_descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return io_failure(path, "cannot open");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return io_failure(path, "cannot stat");
  if (!S_ISREG(st.st_mode)) {
    return make_error(errc::io_error, path + ": not a regular file");
  }
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    return make_error(errc::payload_too_large,
                      path + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string content;
  content.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < content.size()) {
    auto n = ::read(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return io_failure(path, "cannot read");
    if (n == 0)
      break;
    done += static_cast<std::size_t>(n);
  }
  content.resize(done);
  return content;
}

result<void> write_file_atomic(const std::string& path, std::string_view content, mode_t mode) {
  std::filesystem::path target(path);
  auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string temp = (dir / ("." + target.filename().string() + ".tmpXXXXXX")).string();
  file_descriptor fd(::mkstemp(temp.data()));
  if (fd.get() < 0)
    return io_failure(temp, "cannot create");
  auto cleanup_on_error = [&](error e) {
    ::unlink(temp.c_str());
    return e;
  };
  if (::fchmod(fd.get(), mode) != 0)
    return cleanup_on_error(io_failure(temp, "cannot chmod"));
  std::size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return cleanup_on_error(io_failure(temp, "cannot write"));
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0)
    return cleanup_on_error(io_failure(temp, "cannot fsync"));
  if (::close(fd.release()) != 0)
    return cleanup_on_error(io_failure(temp, "cannot close"));
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return cleanup_on_error(io_failure(path, "cannot rename into place"));
  }
  file_descriptor dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0)
    ::fsync(dir_fd.get());
  return ok();
}

}  // namespace saphan
