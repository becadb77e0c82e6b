#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/files.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/pseudonym.hpp"

using namespace saphan;
using namespace saphan::crypto;

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "saphan-pseudonym-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

const std::string key_bytes(32, '\x05');

}  // namespace

TEST_CASE("a subject pseudonym is the hex HMAC-SHA-256 of the citizen ID", "[crypto][pseudonym]") {
  auto key = pseudonym_key_from_bytes(key_bytes);
  REQUIRE(key);
  CHECK(subject_pseudonym(*key, "1103702071811") ==
        hmac_sha256(key_bytes, "1103702071811").to_hex());
  CHECK(subject_pseudonym(*key, "1103702071811") != subject_pseudonym(*key, "3101001234565"));
  auto other = pseudonym_key_from_bytes(std::string(32, '\x06'));
  REQUIRE(other);
  CHECK(subject_pseudonym(*key, "1103702071811") != subject_pseudonym(*other, "1103702071811"));
  CHECK(generate_pseudonym_key().view() != generate_pseudonym_key().view());
}

TEST_CASE("a pseudonym key is exactly 32 bytes", "[crypto][pseudonym]") {
  CHECK(pseudonym_key_from_bytes(std::string(31, 'k')).code() == errc::invalid_argument);
  CHECK(pseudonym_key_from_bytes(std::string(33, 'k')).code() == errc::invalid_argument);
  CHECK(pseudonym_key_from_bytes(std::string(32, 'k')));
}

TEST_CASE("pseudonym key files: 0600, base64url, read back", "[crypto][pseudonym][files]") {
  temp_dir dir;
  const auto path = (dir.path / "pseudonym.key").string();
  const auto key = generate_pseudonym_key();
  REQUIRE(write_pseudonym_key_file(path, key));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(read_file(path).value() == base64url_encode(key.view()));
  auto read = read_pseudonym_key_file(path);
  REQUIRE(read);
  CHECK(read->view() == key.view());

  // The newline an editor adds is allowed.
  REQUIRE(write_file_atomic(path, base64url_encode(key_bytes) + "\n", 0600));
  read = read_pseudonym_key_file(path);
  REQUIRE(read);
  CHECK(read->view() == key_bytes);
}

TEST_CASE("a pseudonym key file that is not 32 base64url bytes is refused by name",
          "[crypto][pseudonym][files]") {
  temp_dir dir;
  const auto path = (dir.path / "pseudonym.key").string();
  for (const std::string& text :
       {base64url_encode(std::string(31, 'k')), base64url_encode(std::string(33, 'k')),
        std::string("not base64url!"), std::string()}) {
    INFO(text);
    REQUIRE(write_file_atomic(path, text, 0600));
    auto read = read_pseudonym_key_file(path);
    REQUIRE_FALSE(read);
    CHECK(read.error().code == errc::invalid_argument);
    CHECK(read.error().detail == path + ": need 32 base64url bytes");
  }
  auto missing = read_pseudonym_key_file((dir.path / "absent.key").string());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::io_error);
  CHECK(missing.error().detail.find("absent.key") != std::string::npos);
}
