#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

#include "tests/pki/pki_test_support.hpp"

using namespace saphan;
using namespace saphan::pki;
using saphan::pki::test::file_mode;
using saphan::pki::test::load_certificate;
using saphan::pki::test::make_member;
using saphan::pki::test::temp_dir;

namespace {

// X509_verify_cert against a store holding only `ca`, for the TLS client purpose (the hub
// verifies members as clients).
int verify_against(X509* leaf, X509* ca) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_CTX* context = X509_STORE_CTX_new();
  REQUIRE(store != nullptr);
  REQUIRE(context != nullptr);
  REQUIRE(X509_STORE_add_cert(store, ca) == 1);
  REQUIRE(X509_STORE_CTX_init(context, store, leaf, nullptr) == 1);
  REQUIRE(X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_CLIENT) == 1);
  int verdict = X509_verify_cert(context) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(context);
  X509_STORE_CTX_free(context);
  X509_STORE_free(store);
  return verdict;
}

std::vector<std::string> alt_names_of_type(X509* certificate, int wanted) {
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  std::vector<std::string> out;
  if (names == nullptr)
    return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    int type = 0;
    auto* value =
        static_cast<ASN1_STRING*>(GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names, i), &type));
    if (type != wanted)
      continue;
    const auto* data = ASN1_STRING_get0_data(value);
    int length = ASN1_STRING_length(value);
    if (type == GEN_IPADD && length == 4) {
      out.push_back(std::to_string(data[0]) + "." + std::to_string(data[1]) + "." +
                    std::to_string(data[2]) + "." + std::to_string(data[3]));
    } else {
      out.emplace_back(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string subject_entry(X509* certificate, int nid) {
  char buffer[256] = {};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), nid, buffer, sizeof buffer);
  return n < 0 ? std::string() : std::string(buffer, static_cast<std::size_t>(n));
}

const member_id consumer = make_member("JFO", "legal-aid");

}  // namespace

TEST_CASE("create_ca writes a self-signed CA with a private key file", "[pki]") {
  temp_dir dir;
  std::string ca_dir = dir / "ca";  // missing: create_ca makes it
  auto created = create_ca(ca_dir, "Saphan Test CA", 30);
  SAPHAN_REQUIRE_OK(created);
  CHECK(created->key_path == ca_dir + "/ca.key");
  CHECK(created->certificate_path == ca_dir + "/ca.crt");
  CHECK(file_mode(created->key_path) == 0600);
  CHECK(file_mode(ca_dir) == 0700);

  auto ca = load_certificate(created->certificate_path);
  CHECK(X509_check_ca(ca.get()) == 1);
  CHECK((X509_get_extension_flags(ca.get()) & EXFLAG_CA) != 0);
  CHECK((X509_get_key_usage(ca.get()) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) ==
        (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(X509_get0_subject_key_id(ca.get()) != nullptr);
  int critical = -1;
  auto* constraints = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(ca.get(), NID_basic_constraints, &critical, nullptr));
  REQUIRE(constraints != nullptr);
  CHECK(constraints->ca != 0);
  CHECK(critical == 1);
  BASIC_CONSTRAINTS_free(constraints);
  CHECK(subject_entry(ca.get(), NID_commonName) == "Saphan Test CA");
  CHECK(X509_verify(ca.get(), X509_get0_pubkey(ca.get())) == 1);  // self-signed

  auto fingerprint = certificate_fingerprint(ca.get());
  SAPHAN_REQUIRE_OK(fingerprint);
  CHECK(fingerprint->size() == 64);
  CHECK(*fingerprint == created->fingerprint);

  EVP_PKEY* key = X509_get0_pubkey(ca.get());
  REQUIRE(key != nullptr);
  CHECK(EVP_PKEY_is_a(key, "EC") == 1);
  char group[64] = {};
  size_t group_length = 0;
  REQUIRE(EVP_PKEY_get_group_name(key, group, sizeof group, &group_length) == 1);
  CHECK(std::string(group) == "prime256v1");
}

TEST_CASE("create_ca refuses to overwrite an existing CA", "[pki]") {
  temp_dir dir;
  auto first = create_ca(dir.str(), "First CA", 30);
  SAPHAN_REQUIRE_OK(first);
  auto before = read_file(first->certificate_path);
  REQUIRE(before.has_value());

  auto second = create_ca(dir.str(), "Second CA", 30);
  REQUIRE_FALSE(second.has_value());
  CHECK(second.code() == errc::already_exists);
  auto after = read_file(first->certificate_path);
  REQUIRE(after.has_value());
  CHECK(*after == *before);

  SECTION("even when only one of the two files is left") {
    std::filesystem::remove(first->certificate_path);
    auto third = create_ca(dir.str(), "Third CA", 30);
    CHECK(third.code() == errc::already_exists);
  }
}

TEST_CASE("create_ca checks the name and validity limits on both sides", "[pki]") {
  temp_dir dir;
  auto attempt = [&](const std::string& sub, const std::string& name, int days) {
    return create_ca(dir / sub, name, days);
  };
  CHECK(attempt("d0", "CA", 0).code() == errc::invalid_argument);
  CHECK(attempt("d1", "CA", 1).has_value());
  CHECK(attempt("dmax", "CA", max_ca_validity_days).has_value());
  CHECK(attempt("dover", "CA", max_ca_validity_days + 1).code() == errc::invalid_argument);
  CHECK(attempt("n0", "", 30).code() == errc::invalid_argument);
  CHECK(attempt("n64", std::string(64, 'c'), 30).has_value());
  CHECK(attempt("n65", std::string(65, 'c'), 30).code() == errc::invalid_argument);
  CHECK(attempt("nctl", "bad\nname", 30).code() == errc::invalid_argument);
  // Rejected inputs create nothing, not even the directory.
  CHECK_FALSE(std::filesystem::exists(dir / "d0"));
  CHECK_FALSE(std::filesystem::exists(dir / "nctl"));
}

TEST_CASE("issue_certificate writes a member certificate carrying the member URI", "[pki]") {
  temp_dir dir;
  SAPHAN_REQUIRE_OK(create_ca(dir.str(), "Saphan Test CA", 30));
  auto issued = issue_certificate(dir.str(), consumer, dir / "jfo", 10);
  SAPHAN_REQUIRE_OK(issued);
  CHECK(issued->key_path == dir / "jfo.key");
  CHECK(issued->certificate_path == dir / "jfo.crt");
  CHECK(file_mode(issued->key_path) == 0600);

  auto leaf = load_certificate(issued->certificate_path);
  auto member = member_from_certificate(leaf.get());
  SAPHAN_REQUIRE_OK(member);
  CHECK(*member == consumer);
  CHECK(alt_names_of_type(leaf.get(), GEN_URI) ==
        std::vector<std::string>{"urn:saphan:member:TH/GOV/JFO/legal-aid"});
  CHECK(alt_names_of_type(leaf.get(), GEN_DNS) == std::vector<std::string>{"localhost"});
  CHECK(alt_names_of_type(leaf.get(), GEN_IPADD) == std::vector<std::string>{"127.0.0.1"});
  CHECK(subject_entry(leaf.get(), NID_commonName) == "JFO/legal-aid");
  CHECK(subject_entry(leaf.get(), NID_organizationName) == "JFO");

  CHECK(X509_check_ca(leaf.get()) == 0);
  CHECK((X509_get_extended_key_usage(leaf.get()) & (XKU_SSL_SERVER | XKU_SSL_CLIENT)) ==
        (XKU_SSL_SERVER | XKU_SSL_CLIENT));
  CHECK((X509_get_key_usage(leaf.get()) & KU_DIGITAL_SIGNATURE) != 0);
  CHECK(X509_get0_authority_key_id(leaf.get()) != nullptr);
  CHECK(X509_get0_subject_key_id(leaf.get()) != nullptr);

  auto* serial = BN_new();
  REQUIRE(ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf.get()), serial) != nullptr);
  CHECK(BN_num_bits(serial) == 128);
  BN_free(serial);

  auto fingerprint = certificate_fingerprint(leaf.get());
  SAPHAN_REQUIRE_OK(fingerprint);
  CHECK(*fingerprint == issued->fingerprint);
}

TEST_CASE("issued certificates verify against their CA and not against another", "[pki]") {
  temp_dir dir;
  SAPHAN_REQUIRE_OK(create_ca(dir / "ca", "Saphan Test CA", 30));
  SAPHAN_REQUIRE_OK(create_ca(dir / "other", "Other CA", 30));
  SAPHAN_REQUIRE_OK(issue_certificate(dir / "ca", consumer, dir / "good", 10));
  SAPHAN_REQUIRE_OK(issue_certificate(dir / "other", consumer, dir / "rogue", 10));
  auto ca = load_certificate(dir / "ca/ca.crt");
  auto good = load_certificate(dir / "good.crt");
  auto rogue = load_certificate(dir / "rogue.crt");

  CHECK(verify_against(good.get(), ca.get()) == X509_V_OK);
  // Same subject, same member URI, wrong issuer: must not verify.
  CHECK(verify_against(rogue.get(), ca.get()) == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_CASE("issue_certificate honours explicit DNS names and IP addresses", "[pki]") {
  temp_dir dir;
  SAPHAN_REQUIRE_OK(create_ca(dir.str(), "Saphan Test CA", 30));
  issue_options options;
  options.dns_names = {"hub.example.go.th", "hub"};
  options.ip_addresses = {"10.1.2.3", "::1"};
  SAPHAN_REQUIRE_OK(issue_certificate(dir.str(), consumer, dir / "hub", 10, options));
  auto leaf = load_certificate(dir / "hub.crt");
  CHECK(alt_names_of_type(leaf.get(), GEN_DNS) ==
        std::vector<std::string>{"hub.example.go.th", "hub"});
  CHECK(alt_names_of_type(leaf.get(), GEN_IPADD).size() == 2);
  CHECK(X509_check_host(leaf.get(), "hub.example.go.th", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(leaf.get(), "localhost", 0, 0, nullptr) == 0);
  CHECK(X509_check_ip_asc(leaf.get(), "10.1.2.3", 0) == 1);
  CHECK(X509_check_ip_asc(leaf.get(), "::1", 0) == 1);
  CHECK(X509_check_ip_asc(leaf.get(), "127.0.0.1", 0) == 0);
}

TEST_CASE("issue_certificate refuses to overwrite unless asked", "[pki]") {
  temp_dir dir;
  SAPHAN_REQUIRE_OK(create_ca(dir.str(), "Saphan Test CA", 30));
  auto first = issue_certificate(dir.str(), consumer, dir / "m", 10);
  SAPHAN_REQUIRE_OK(first);
  auto again = issue_certificate(dir.str(), consumer, dir / "m", 10);
  CHECK(again.code() == errc::already_exists);

  issue_options rotate;
  rotate.overwrite = true;
  auto rotated = issue_certificate(dir.str(), consumer, dir / "m", 10, rotate);
  SAPHAN_REQUIRE_OK(rotated);
  CHECK(rotated->fingerprint != first->fingerprint);
  CHECK(load_certificate(dir / "m.crt") != nullptr);
}

TEST_CASE("issue_certificate validates its inputs on both sides of each limit", "[pki]") {
  temp_dir dir;
  SAPHAN_REQUIRE_OK(create_ca(dir.str(), "Saphan Test CA", max_ca_validity_days));
  int n = 0;
  auto issue = [&](int days, const issue_options& options = {}, member_id who = consumer) {
    return issue_certificate(dir.str(), who, dir / ("out" + std::to_string(n++)), days, options);
  };

  CHECK(issue(0).code() == errc::invalid_argument);
  CHECK(issue(1).has_value());
  CHECK(issue(max_certificate_validity_days).has_value());
  CHECK(issue(max_certificate_validity_days + 1).code() == errc::invalid_argument);
  CHECK(issue(10, {}, member_id{"TH", "GOV", "has space", "x"}).code() == errc::invalid_member_id);

  issue_options names;
  names.dns_names.assign(max_alt_names, "a.example");
  names.ip_addresses.assign(max_alt_names, "127.0.0.1");
  CHECK(issue(10, names).has_value());
  names.dns_names.push_back("b.example");
  CHECK(issue(10, names).code() == errc::invalid_argument);
  names.dns_names.pop_back();
  names.ip_addresses.push_back("127.0.0.2");
  CHECK(issue(10, names).code() == errc::invalid_argument);

  const std::vector<std::string> bad_dns_names{
      "",     "*.example", "-lead.example", "trail-.example",
      "a..b", "sp ace",    "a,DNS:evil",    std::string(64, 'a') + ".example"};
  for (const auto& bad : bad_dns_names) {
    issue_options options;
    options.dns_names = {bad};
    INFO("dns name: " << bad);
    CHECK(issue(10, options).code() == errc::invalid_argument);
  }
  issue_options long_label;
  long_label.dns_names = {std::string(63, 'a') + ".example"};
  CHECK(issue(10, long_label).has_value());

  for (const std::string bad : {"", "300.1.1.1", "localhost", "1.2.3", "::g"}) {
    issue_options options;
    options.ip_addresses = {bad};
    INFO("ip address: " << bad);
    CHECK(issue(10, options).code() == errc::invalid_argument);
  }
}

TEST_CASE("issue_certificate will not outlive the CA and needs a CA", "[pki]") {
  temp_dir dir;
  SAPHAN_REQUIRE_OK(create_ca(dir / "ca", "Short CA", 10));
  CHECK(issue_certificate(dir / "ca", consumer, dir / "ok", 9).has_value());
  auto too_long = issue_certificate(dir / "ca", consumer, dir / "long", 11);
  CHECK(too_long.code() == errc::invalid_argument);
  CHECK_FALSE(std::filesystem::exists(dir / "long.key"));

  CHECK(issue_certificate(dir / "nothing", consumer, dir / "x", 9).code() == errc::not_found);
  CHECK_FALSE(std::filesystem::exists(dir / "x.key"));
}

TEST_CASE("a failed issue leaves no files behind", "[pki]") {
  temp_dir dir;
  SAPHAN_REQUIRE_OK(create_ca(dir / "ca", "Saphan Test CA", 30));

  SECTION("output directory missing") {
    auto r = issue_certificate(dir / "ca", consumer, dir / "missing/m", 10);
    CHECK(r.code() == errc::io_error);
    CHECK_FALSE(std::filesystem::exists(dir / "missing"));
  }
  SECTION("the certificate cannot be written after the key was") {
    // A directory where the certificate should go makes the final rename fail.
    std::filesystem::create_directory(dir / "m.crt");
    std::filesystem::create_directory(dir / "m.crt/keep");
    issue_options options;
    options.overwrite = true;
    auto r = issue_certificate(dir / "ca", consumer, dir / "m", 10, options);
    CHECK(r.code() == errc::io_error);
    CHECK_FALSE(std::filesystem::exists(dir / "m.key"));
  }
}

TEST_CASE("member_from_certificate refuses certificates without one member URI", "[pki]") {
  temp_dir dir;
  SAPHAN_REQUIRE_OK(create_ca(dir.str(), "Saphan Test CA", 30));
  auto ca = load_certificate(dir / "ca.crt");

  CHECK(member_from_certificate(nullptr).code() == errc::unauthenticated);
  CHECK(member_from_certificate(ca.get()).code() == errc::unauthenticated);  // no SAN at all
  CHECK(certificate_fingerprint(nullptr).code() == errc::invalid_argument);
}

TEST_CASE("member URIs round-trip and reject other schemes", "[pki]") {
  auto uri = member_uri(consumer);
  CHECK(uri == "urn:saphan:member:TH/GOV/JFO/legal-aid");
  auto parsed = parse_member_uri(uri);
  SAPHAN_REQUIRE_OK(parsed);
  CHECK(*parsed == consumer);
  CHECK(parse_member_uri("urn:other:member:TH/GOV/JFO/legal-aid").code() == errc::unauthenticated);
  CHECK(parse_member_uri("urn:saphan:member:TH/GOV/JFO").code() == errc::invalid_member_id);
  CHECK(parse_member_uri("urn:saphan:member:").code() == errc::invalid_member_id);
}

TEST_CASE("inspect_certificate_pem reads member, fingerprint and validity", "[pki]") {
  temp_dir dir;
  SAPHAN_REQUIRE_OK(create_ca(dir.str(), "Saphan Test CA", 30));
  auto issued = issue_certificate(dir.str(), consumer, dir / "m", 10);
  SAPHAN_REQUIRE_OK(issued);
  auto pem = read_file(issued->certificate_path);
  REQUIRE(pem.has_value());

  auto info = inspect_certificate_pem(*pem);
  SAPHAN_REQUIRE_OK(info);
  CHECK(info->member == consumer);
  CHECK(info->fingerprint == issued->fingerprint);
  auto now = now_utc();
  CHECK(info->not_before <= now);
  CHECK(info->not_before > now - std::chrono::minutes(10));
  auto lifetime = info->not_after - now;
  CHECK(lifetime > std::chrono::hours(24 * 10 - 1));
  CHECK(lifetime <= std::chrono::hours(24 * 10));

  CHECK(inspect_certificate_pem("not a certificate").code() == errc::invalid_argument);
  CHECK(inspect_certificate_pem(std::string(max_pem_bytes + 1, 'x')).code() ==
        errc::payload_too_large);
  auto ca_pem = read_file(dir / "ca.crt");
  REQUIRE(ca_pem.has_value());
  CHECK(inspect_certificate_pem(*ca_pem).code() == errc::unauthenticated);
}
