// Signing certificates and the trust store: a verifier takes a signer's key only from a
// certificate that chains to the CA it pins, names the member it expects, is valid at the time of
// signing and is not revoked.
#include <catch2/catch.hpp>

#include <openssl/x509.h>

#include <filesystem>
#include <thread>

#include "crypto/encoding.hpp"
#include "crypto/jws.hpp"
#include "crypto/keys.hpp"
#include "pki/member_signature.hpp"
#include "pki/trust.hpp"
#include "tests/pki/pki_test_support.hpp"

using namespace saphan;
using namespace saphan::pki;
using namespace saphan::pki::test;

namespace {

const member_id jfo = make_member("JFO", "legal-aid");
const member_id dopa = make_member("DOPA", "civil-registry");

std::string der_of_pem_file(const std::string& path) {
  auto certificate = load_certificate(path);
  unsigned char* der = nullptr;
  const int n = i2d_X509(certificate.get(), &der);
  REQUIRE(n > 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

// A CA, a member's signing key with its certificate, and the trust store that pins the CA.
struct signing_world {
  temp_dir dir;
  std::string ca_dir = dir / "ca";
  crypto::signing_key_pair keys = crypto::generate_signing_key();
  std::string certificate_path = dir / "jfo-signing.crt";

  signing_world() {
    SAPHAN_REQUIRE_OK(create_ca(ca_dir, "Trust Test CA", 365));
    SAPHAN_REQUIRE_OK(
        issue_signing_certificate(ca_dir, jfo, keys.public_key.view(), certificate_path, 30));
  }

  std::shared_ptr<const trust_store> trust() const {
    auto store = trust_store::load({ca_dir + "/ca.crt", ""});
    REQUIRE(store);
    return *store;
  }
  std::string der() const { return der_of_pem_file(certificate_path); }
  // The member's key written as a JWK file with this kid; its path.
  std::string key_file(std::string_view kid) const {
    const auto path = dir / "jfo-signing.jwk";
    SAPHAN_REQUIRE_OK(crypto::write_private_key_file(path, keys, kid));
    return path;
  }
};

errc code_of(const result<certified_key>& r) {
  REQUIRE_FALSE(r);
  return r.error().code;
}

}  // namespace

TEST_CASE("a signing certificate certifies the member's Ed25519 key for signatures only",
          "[pki][trust]") {
  signing_world w;
  auto certificate = load_certificate(w.certificate_path);
  CHECK(EVP_PKEY_get_id(X509_get0_pubkey(certificate.get())) == EVP_PKEY_ED25519);
  CHECK((X509_get_key_usage(certificate.get()) & KU_DIGITAL_SIGNATURE) != 0);
  CHECK((X509_get_key_usage(certificate.get()) & KU_KEY_CERT_SIGN) == 0);
  CHECK(X509_get_extended_key_usage(certificate.get()) == UINT32_MAX);  // no EKU: not for TLS
  CHECK(X509_check_ca(certificate.get()) == 0);
  auto named = member_from_certificate(certificate.get());
  REQUIRE(named);
  CHECK(*named == jfo);

  CHECK(issue_signing_certificate(w.ca_dir, jfo, w.keys.public_key.view(), w.certificate_path, 30)
            .code() == errc::already_exists);
  CHECK(issue_signing_certificate(w.ca_dir, jfo, "short", w.dir / "x.crt", 30).code() ==
        errc::invalid_argument);
  CHECK(issue_signing_certificate(w.ca_dir, jfo, w.keys.public_key.view(), w.dir / "y.crt", 826)
            .code() == errc::invalid_argument);
}

TEST_CASE("the trust store gives the certified key of the expected member, valid at the time",
          "[pki][trust]") {
  signing_world w;
  auto trust = w.trust();
  auto key = trust->verify_signer(w.der(), jfo, now_utc());
  REQUIRE(key);
  CHECK(key->member == jfo);
  CHECK(key->public_key == std::string(w.keys.public_key.view()));
  CHECK(key->fingerprint.size() == 64);
  // Served again from the cache, with the same answers.
  CHECK(trust->verify_signer(w.der(), jfo, now_utc())->fingerprint == key->fingerprint);

  CHECK(code_of(trust->verify_signer(w.der(), dopa, now_utc())) == errc::certificate_mismatch);
  CHECK(code_of(trust->verify_signer(w.der(), jfo, now_utc() + std::chrono::hours(24 * 31))) ==
        errc::bad_signature);
  CHECK(code_of(trust->verify_signer(w.der(), jfo, now_utc() - std::chrono::hours(1))) ==
        errc::bad_signature);
  CHECK(code_of(trust->verify_signer("not a certificate", jfo, now_utc())) == errc::bad_signature);
  CHECK(code_of(trust->verify_signer(w.der() + "x", jfo, now_utc())) == errc::bad_signature);
  CHECK(code_of(trust->verify_signer("", jfo, now_utc())) == errc::bad_signature);
}

TEST_CASE("the trust store refuses certificates of another CA, TLS certificates and the CA",
          "[pki][trust]") {
  signing_world w;
  auto trust = w.trust();
  SAPHAN_REQUIRE_OK(create_ca(w.dir / "other", "Other CA", 365));
  SAPHAN_REQUIRE_OK(issue_signing_certificate(w.dir / "other", jfo, w.keys.public_key.view(),
                                              w.dir / "other-jfo.crt", 30));
  CHECK(code_of(trust->verify_signer(der_of_pem_file(w.dir / "other-jfo.crt"), jfo, now_utc())) ==
        errc::bad_signature);
  // The TLS certificate of the same member, from the same CA: a P-256 key, not a signer.
  SAPHAN_REQUIRE_OK(issue_certificate(w.ca_dir, jfo, w.dir / "jfo-tls", 30));
  CHECK(code_of(trust->verify_signer(der_of_pem_file(w.dir / "jfo-tls.crt"), jfo, now_utc())) ==
        errc::bad_signature);
  CHECK(code_of(trust->verify_signer(der_of_pem_file(w.ca_dir + "/ca.crt"), jfo, now_utc())) ==
        errc::bad_signature);
}

TEST_CASE("a member's JWS verifies with the key of its x5c certificate, and no other way",
          "[pki][trust]") {
  signing_world w;
  auto trust = w.trust();
  auto signer = member_signer::load(
      [&] {
        const auto path = w.dir / "jfo-signing.jwk";
        SAPHAN_REQUIRE_OK(crypto::write_private_key_file(path, w.keys, "jfo-sig-1"));
        return path;
      }(),
      w.certificate_path);
  SAPHAN_REQUIRE_OK(signer);
  auto jws = signer->sign("the envelope");
  SAPHAN_REQUIRE_OK(jws);
  auto header = crypto::peek_jws_header(*jws);
  REQUIRE(header);
  CHECK(header->kid == "jfo-sig-1");
  REQUIRE(header->x5c.size() == 1);
  CHECK(header->x5c[0] == w.der());

  auto verified = verify_member_signature(*jws, "the envelope", jfo, now_utc(), *trust);
  SAPHAN_REQUIRE_OK(verified);
  CHECK(verified->signer.member == jfo);
  CHECK(verified->kid == "jfo-sig-1");
  CHECK(verify_member_signature(*jws, "another envelope", jfo, now_utc(), *trust).code() ==
        errc::bad_signature);
  CHECK(verify_member_signature(*jws, "the envelope", dopa, now_utc(), *trust).code() ==
        errc::certificate_mismatch);

  // A key of its own with the member's certificate: the signature does not verify.
  auto forged = crypto::sign_detached("the envelope", crypto::generate_signing_key().secret_key,
                                      "jfo-sig-1", {}, {w.der()});
  REQUIRE(forged);
  CHECK(verify_member_signature(*forged, "the envelope", jfo, now_utc(), *trust).code() ==
        errc::bad_signature);
  // No x5c at all: nothing says who signed.
  auto bare = crypto::sign_detached("the envelope", w.keys.secret_key, "jfo-sig-1");
  REQUIRE(bare);
  CHECK(verify_member_signature(*bare, "the envelope", jfo, now_utc(), *trust).code() ==
        errc::bad_signature);

  // A certificate that does not hold the key beside it is refused when loading.
  SAPHAN_REQUIRE_OK(
      crypto::write_private_key_file(w.dir / "other.jwk", crypto::generate_signing_key(), "k"));
  CHECK(member_signer::load(w.dir / "other.jwk", w.certificate_path).code() ==
        errc::invalid_argument);
}

TEST_CASE("a header seen before is served from the cache, and only for its very text",
          "[pki][trust][cache]") {
  signing_world w;
  auto trust = w.trust();
  auto signer = member_signer::load(w.key_file("jfo-sig-1"), w.certificate_path);
  SAPHAN_REQUIRE_OK(signer);
  auto jws = signer->sign("the envelope");
  SAPHAN_REQUIRE_OK(jws);
  const auto header = crypto::split_detached_jws(*jws).value().encoded_header;
  auto first = trust->verify_header_signer(header, jfo, now_utc());
  SAPHAN_REQUIRE_OK(first);
  CHECK(first->kid == "jfo-sig-1");
  CHECK(first->signer.public_key == std::string(w.keys.public_key.view()));
  // From the cache: the same answers, and the checks that depend on the use still made.
  auto again = trust->verify_header_signer(header, jfo, now_utc());
  SAPHAN_REQUIRE_OK(again);
  CHECK(again->signer.fingerprint == first->signer.fingerprint);
  CHECK(trust->verify_header_signer(header, dopa, now_utc()).code() == errc::certificate_mismatch);
  CHECK(trust->verify_header_signer(header, jfo, now_utc() + std::chrono::hours(24 * 31)).code() ==
        errc::bad_signature);
  CHECK(verify_member_signature(*jws, "another envelope", jfo, now_utc(), *trust).code() ==
        errc::bad_signature);

  // Another certificate for another key of the same member, under the same kid: another header,
  // checked on its own, whose key is its certificate's and not the one cached for the first.
  const auto next = crypto::generate_signing_key();
  const auto next_certificate = w.dir / "jfo-signing-next.crt";
  SAPHAN_REQUIRE_OK(
      issue_signing_certificate(w.ca_dir, jfo, next.public_key.view(), next_certificate, 30));
  SAPHAN_REQUIRE_OK(crypto::write_private_key_file(w.dir / "next.jwk", next, "jfo-sig-1"));
  auto rotated = member_signer::load(w.dir / "next.jwk", next_certificate);
  SAPHAN_REQUIRE_OK(rotated);
  auto rotated_jws = rotated->sign("the envelope");
  SAPHAN_REQUIRE_OK(rotated_jws);
  auto second = verify_member_signature(*rotated_jws, "the envelope", jfo, now_utc(), *trust);
  SAPHAN_REQUIRE_OK(second);
  CHECK(second->signer.public_key == std::string(next.public_key.view()));
  CHECK(second->signer.fingerprint != first->signer.fingerprint);
  // The first signer's header with the second's signature: the cached key refuses it.
  const auto spliced =
      std::string(header) + ".." + rotated_jws->substr(rotated_jws->rfind('.') + 1);
  CHECK(verify_member_signature(spliced, "the envelope", jfo, now_utc(), *trust).code() ==
        errc::bad_signature);
  // A header that differs by one character is not the cached one: read and refused on its own.
  std::string altered(header);
  altered.back() = altered.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(trust->verify_header_signer(altered, jfo, now_utc()));

  // A store with the certificate revoked has a cache of its own: the cached header is refused.
  SAPHAN_REQUIRE_OK(revoke_certificates(w.ca_dir, {{}, jfo, 7}, now_utc()));
  auto revoking = trust_store::load({w.ca_dir + "/ca.crt", w.ca_dir + "/ca.crl"});
  REQUIRE(revoking);
  CHECK((*revoking)->verify_header_signer(header, jfo, now_utc()).code() ==
        errc::certificate_revoked);
}

TEST_CASE("a signer's encoded header follows its certificate and kid when they change",
          "[pki][trust][cache]") {
  signing_world w;
  auto loaded = member_signer::load(w.key_file("jfo-sig-1"), w.certificate_path);
  SAPHAN_REQUIRE_OK(loaded);
  // The header made once gives what signing with every member spelled out gives.
  auto jws = loaded->sign("the envelope");
  SAPHAN_REQUIRE_OK(jws);
  CHECK(
      *jws ==
      crypto::sign_detached("the envelope", w.keys.secret_key, "jfo-sig-1", {}, {w.der()}).value());

  // Another certificate and kid put in the same signer: the header made for the old ones is not
  // used.
  const auto other = w.dir / "jfo-signing-2.crt";
  SAPHAN_REQUIRE_OK(issue_signing_certificate(w.ca_dir, jfo, w.keys.public_key.view(), other, 30));
  member_signer changed = *loaded;
  changed.certificate_der = der_of_pem_file(other);
  auto with_other = changed.sign("the envelope");
  SAPHAN_REQUIRE_OK(with_other);
  auto header = crypto::peek_jws_header(*with_other);
  REQUIRE(header);
  REQUIRE(header->x5c.size() == 1);
  CHECK(header->x5c[0] == changed.certificate_der);
  changed.key.kid = "jfo-sig-2";
  auto renamed = crypto::peek_jws_header(changed.sign("the envelope").value());
  REQUIRE(renamed);
  CHECK(renamed->kid == "jfo-sig-2");
  // Extra members: signed with them, not under the cached header.
  auto extra = crypto::peek_jws_header(loaded->sign("the envelope", {{"typ", "x"}}).value());
  REQUIRE(extra);
  CHECK(extra->members.at("typ") == "x");
}

TEST_CASE("a reloaded signer signs with its new key; a half-written rotation keeps the old one",
          "[pki][trust][rotation]") {
  signing_world w;
  const auto key_path = w.dir / "jfo-signing.jwk";
  SAPHAN_REQUIRE_OK(crypto::write_private_key_file(key_path, w.keys, "jfo-sig-1"));
  auto slot = reloadable_signer::load(key_path, w.certificate_path);
  SAPHAN_REQUIRE_OK(slot);
  const auto first = (*slot)->current();
  CHECK(first->key.kid == "jfo-sig-1");

  // The new key is written first: until its certificate follows, the pair does not match.
  const auto next = crypto::generate_signing_key();
  SAPHAN_REQUIRE_OK(crypto::write_private_key_file(key_path, next, "jfo-sig-2"));
  CHECK((*slot)->reload().code() == errc::invalid_argument);
  CHECK((*slot)->current() == first);

  SAPHAN_REQUIRE_OK(issue_signing_certificate(w.ca_dir, jfo, next.public_key.view(),
                                              w.certificate_path, 30, /*overwrite=*/true));
  SAPHAN_REQUIRE_OK((*slot)->reload());
  const auto second = (*slot)->current();
  CHECK(second->key.kid == "jfo-sig-2");
  auto jws = second->sign("the envelope");
  SAPHAN_REQUIRE_OK(jws);
  auto verified = verify_member_signature(*jws, "the envelope", jfo, now_utc(), *w.trust());
  SAPHAN_REQUIRE_OK(verified);
  CHECK(verified->signer.public_key == std::string(next.public_key.view()));
  // What was signed before the reload still verifies: the old certificate is not revoked.
  auto old_jws = first->sign("the envelope");
  SAPHAN_REQUIRE_OK(old_jws);
  CHECK(verify_member_signature(*old_jws, "the envelope", jfo, now_utc(), *w.trust()));

  auto in_memory = reloadable_signer::of(member_signer::load(key_path, w.certificate_path).value());
  CHECK(in_memory->reload().code() == errc::invalid_argument);
}

TEST_CASE("standard base64 round-trips and refuses the url alphabet and wrong padding",
          "[crypto][encoding]") {
  for (std::string bytes : {std::string(), std::string("A"), std::string("AB"), std::string("ABC"),
                            std::string("\xfb\xff\xfe", 3)}) {
    auto text = crypto::base64_encode(bytes);
    CHECK(text.size() % 4 == 0);
    auto back = crypto::base64_decode(text);
    REQUIRE(back);
    CHECK(*back == bytes);
  }
  CHECK(crypto::base64_encode("\xfb\xff\xfe") == "+//+");
  CHECK(crypto::base64_decode("QQ==").value() == "A");
  CHECK_FALSE(crypto::base64_decode("QQ="));
  CHECK_FALSE(crypto::base64_decode("QQ"));
  CHECK_FALSE(crypto::base64_decode("QUI=="));
  CHECK_FALSE(crypto::base64_decode("-_-_"));
  CHECK_FALSE(crypto::base64_decode("Q=Q="));
  CHECK_FALSE(crypto::base64_decode("QUJD\n"));
}

TEST_CASE("a revoked signing certificate is refused once the CRL lists it, by serial or member",
          "[pki][trust][revocation]") {
  signing_world w;
  const auto crl = w.ca_dir + "/ca.crl";
  // An empty CRL: the certificate is still good.
  auto renewed = revoke_certificates(w.ca_dir, {}, now_utc());
  SAPHAN_REQUIRE_OK(renewed);
  CHECK(renewed->listed == 0);
  auto with_crl = [&] {
    auto store = trust_store::load({w.ca_dir + "/ca.crt", crl});
    REQUIRE(store);
    return *store;
  };
  CHECK(with_crl()->verify_signer(w.der(), jfo, now_utc()));

  auto issued = read_issued(w.ca_dir);
  REQUIRE(issued);
  REQUIRE(issued->size() == 1);
  CHECK(issued->front().member == to_string(jfo));
  CHECK(issued->front().kind == "signing");

  auto revoked = revoke_certificates(w.ca_dir, {{issued->front().serial}, {}, 7}, now_utc());
  SAPHAN_REQUIRE_OK(revoked);
  CHECK(revoked->serials == std::vector<std::string>{issued->front().serial});
  CHECK(code_of(with_crl()->verify_signer(w.der(), jfo, now_utc())) == errc::certificate_revoked);
  // A store loaded before the revocation knows nothing of it: verifiers reload (trust_anchor).
  CHECK(w.trust()->verify_signer(w.der(), jfo, now_utc()));

  // By member: every unexpired certificate the CA issued to it, here a second one.
  const auto second = w.dir / "jfo-signing-2.crt";
  SAPHAN_REQUIRE_OK(issue_signing_certificate(w.ca_dir, jfo, w.keys.public_key.view(), second, 30));
  CHECK(with_crl()->verify_signer(der_of_pem_file(second), jfo, now_utc()));
  auto by_member = revoke_certificates(w.ca_dir, {{}, jfo, 7}, now_utc());
  SAPHAN_REQUIRE_OK(by_member);
  CHECK(by_member->serials.size() == 1);  // the first is listed already
  CHECK(by_member->listed == 2);
  CHECK(code_of(with_crl()->verify_signer(der_of_pem_file(second), jfo, now_utc())) ==
        errc::certificate_revoked);

  CHECK(revoke_certificates(w.ca_dir, {{}, dopa, 7}, now_utc()).code() == errc::not_found);
  CHECK(revoke_certificates(w.ca_dir, {{"xyz"}, {}, 7}, now_utc()).code() ==
        errc::invalid_argument);
  CHECK(revoke_certificates(w.ca_dir, {{}, {}, 0}, now_utc()).code() == errc::invalid_argument);
  // A CRL of another CA is refused by the store.
  SAPHAN_REQUIRE_OK(create_ca(w.dir / "other", "Other CA", 365));
  SAPHAN_REQUIRE_OK(revoke_certificates(w.dir / "other", {}, now_utc()));
  CHECK(trust_store::load({w.ca_dir + "/ca.crt", w.dir / "other/ca.crl"}).code() ==
        errc::invalid_argument);
}

TEST_CASE("the trust anchor reloads when its files change and keeps the old store on a bad one",
          "[pki][trust][revocation]") {
  signing_world w;
  const auto crl = w.ca_dir + "/ca.crl";
  SAPHAN_REQUIRE_OK(revoke_certificates(w.ca_dir, {}, now_utc()));
  auto anchor = trust_anchor::open({w.ca_dir + "/ca.crt", crl});
  SAPHAN_REQUIRE_OK(anchor);
  CHECK((*anchor)->check().value() == false);
  CHECK((*anchor)->current()->verify_signer(w.der(), jfo, now_utc()));

  auto issued = read_issued(w.ca_dir);
  REQUIRE(issued);
  // File times have a coarse grain on some file systems: wait until the new CRL's time differs.
  const auto before = std::filesystem::last_write_time(crl);
  for (int i = 0; i < 200 && std::filesystem::last_write_time(crl) == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    SAPHAN_REQUIRE_OK(revoke_certificates(w.ca_dir, {{issued->front().serial}, {}, 7}, now_utc()));
  }
  CHECK((*anchor)->check().value() == true);
  CHECK(code_of((*anchor)->current()->verify_signer(w.der(), jfo, now_utc())) ==
        errc::certificate_revoked);

  SAPHAN_REQUIRE_OK(write_file_atomic(crl, "not a CRL", 0644));
  std::filesystem::last_write_time(crl, before + std::chrono::seconds(5));
  CHECK_FALSE((*anchor)->check());
  // Still the last good store.
  CHECK(code_of((*anchor)->current()->verify_signer(w.der(), jfo, now_utc())) ==
        errc::certificate_revoked);
}
