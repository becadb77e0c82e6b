// Helpers shared by the pki tests: a scratch directory and certificate loading.
#pragma once

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/files.hpp"
#include "pki/openssl_util.hpp"
#include "pki/pki.hpp"

namespace saphan::pki::test {

// Fails the test with the error's code and detail, so a broken precondition explains itself.
#define SAPHAN_REQUIRE_OK(expr)                                               \
  do {                                                                        \
    const auto& saphan_r_ = (expr);                                           \
    INFO((saphan_r_ ? std::string("ok")                                       \
                    : std::string(to_string(saphan_r_.error().code)) + ": " + \
                          saphan_r_.error().detail));                         \
    REQUIRE(saphan_r_.has_value());                                           \
  } while (0)

class temp_dir {
 public:
  temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "saphan-pki-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline detail::x509_ptr load_certificate(const std::string& path) {
  auto pem = read_file(path);
  REQUIRE(pem.has_value());
  auto certificate = detail::parse_certificate_pem(*pem, path);
  REQUIRE(certificate.has_value());
  return std::move(*certificate);
}

inline unsigned file_mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<unsigned>(st.st_mode & 07777);
}

inline member_id make_member(const std::string& code, const std::string& subsystem) {
  return member_id{"TH", "GOV", code, subsystem};
}

}  // namespace saphan::pki::test
