// A certificate authority for tests: members' signing identities (an Ed25519 key and the CA's
// certificate for it) and the trust store that pins the CA, in a temporary folder removed
// afterwards.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "crypto/keys.hpp"
#include "pki/member_signature.hpp"
#include "pki/pki.hpp"
#include "pki/trust.hpp"

namespace saphan::test {

class signing_ca {
 public:
  signing_ca() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("saphan-ca-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    auto made = pki::create_ca(dir_.string(), "Test CA", 365);
    INFO((made ? std::string() : made.error().detail));
    REQUIRE(made);
  }
  ~signing_ca() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  signing_ca(const signing_ca&) = delete;
  signing_ca& operator=(const signing_ca&) = delete;

  // A new key for `member`, certified by this CA, valid `days` from now.
  pki::member_signer signer(const member_id& member, const std::string& kid, int days = 30) {
    return signer_for(member, crypto::generate_signing_key(), kid, days);
  }
  // The same, for a key the test already has.
  pki::member_signer signer_for(const member_id& member, const crypto::signing_key_pair& keys,
                                const std::string& kid, int days = 30) {
    const auto stem = (dir_ / ("signer-" + std::to_string(++issued_))).string();
    REQUIRE(crypto::write_private_key_file(stem + ".jwk", keys, kid));
    auto certified = pki::issue_signing_certificate(dir_.string(), member, keys.public_key.view(),
                                                    stem + ".crt", days);
    INFO((certified ? std::string() : certified.error().detail));
    REQUIRE(certified);
    auto loaded = pki::member_signer::load(stem + ".jwk", stem + ".crt");
    REQUIRE(loaded);
    return std::move(*loaded);
  }

  std::string ca_certificate() const { return (dir_ / pki::ca_certificate_file).string(); }
  std::string crl() const { return (dir_ / pki::crl_file).string(); }
  std::string dir() const { return dir_.string(); }

  std::shared_ptr<const pki::trust_store> trust() const {
    auto store = pki::trust_store::load({ca_certificate(), ""});
    REQUIRE(store);
    return *store;
  }
  std::shared_ptr<pki::trust_anchor> anchor() const {
    auto anchor = pki::trust_anchor::open({ca_certificate(), ""});
    REQUIRE(anchor);
    return *anchor;
  }

 private:
  std::filesystem::path dir_;
  int issued_ = 0;
};

}  // namespace saphan::test
