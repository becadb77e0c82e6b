// Revocation: the CA's index of what it issued (so a member's certificates can be revoked by
// naming the member) and its certificate revocation list (RFC 5280 section 5), which every
// verifier loads beside the CA certificate.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/files.hpp"
#include "core/json.hpp"
#include "pki/issuing.hpp"
#include "pki/pki.hpp"

namespace saphan::pki {
namespace {

using namespace detail;

using crl_ptr = std::unique_ptr<X509_CRL, openssl_deleter<X509_CRL_free>>;
using asn1_time_ptr = std::unique_ptr<ASN1_TIME, openssl_deleter<ASN1_TIME_free>>;
using asn1_integer_ptr = std::unique_ptr<ASN1_INTEGER, openssl_deleter<ASN1_INTEGER_free>>;

constexpr std::size_t max_index_bytes = 64u << 20;

std::string index_path(const std::string& ca_dir) {
  return (std::filesystem::path(ca_dir) / issued_index_file).string();
}

std::time_t seconds_of(timestamp t) {
  return static_cast<std::time_t>(
      std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count());
}

result<asn1_integer_ptr> serial_from_hex(const std::string& hex) {
  const bool valid = !hex.empty() && hex.size() <= 40 &&
                     std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(c); });
  if (!valid)
    return make_error(errc::invalid_argument, "serial '" + hex.substr(0, 48) + "': not hex");
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, hex.c_str()) == 0)
    return openssl_failure(errc::invalid_argument, "serial: not hex");
  bignum_ptr bn(raw);
  asn1_integer_ptr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial)
    return openssl_failure(errc::internal, "encoding a serial number");
  return serial;
}

std::string issued_kind(X509* certificate) {
  EVP_PKEY* key = X509_get0_pubkey(certificate);
  if (key != nullptr && EVP_PKEY_get_id(key) == EVP_PKEY_ED25519)
    return "signing";
  if ((X509_get_extended_key_usage(certificate) & XKU_TIMESTAMP) != 0 &&
      (X509_get_extended_key_usage(certificate) & XKU_SSL_CLIENT) == 0) {
    return "tsa";
  }
  return "tls";
}

std::string record_line(const issued_record& r) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("serial", rapidjson::Value(r.serial.c_str(), a), a);
  doc.AddMember("member", rapidjson::Value(r.member.c_str(), a), a);
  doc.AddMember("kind", rapidjson::Value(r.kind.c_str(), a), a);
  doc.AddMember("notAfter", rapidjson::Value(format_rfc3339(r.not_after).c_str(), a), a);
  doc.AddMember("fingerprint", rapidjson::Value(r.fingerprint.c_str(), a), a);
  return write_json(doc);
}

result<issued_record> parse_record(std::string_view line) {
  auto doc = SAPHAN_TRY(parse_json(line, {4096, 2}));
  auto obj = SAPHAN_TRY(json_object::of(doc, "issued record", errc::storage_failure));
  issued_record r;
  r.serial = SAPHAN_TRY(obj.string("serial"));
  r.member = SAPHAN_TRY(obj.string("member"));
  r.kind = SAPHAN_TRY(obj.string("kind"));
  r.not_after = SAPHAN_TRY(parse_rfc3339(SAPHAN_TRY(obj.string("notAfter"))));
  r.fingerprint = SAPHAN_TRY(obj.string("fingerprint"));
  return r;
}

// What a CRL already lists: serial -> revocation time.
struct crl_contents {
  std::map<std::string, timestamp> revoked;
  long number = 0;
};

result<crl_contents> read_existing_crl(const std::string& path, X509* ca) {
  crl_contents out;
  if (!path_exists(path))
    return out;
  auto pem = SAPHAN_TRY(read_file(path, 16u << 20));
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  crl_ptr crl(bio ? PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!crl || X509_CRL_verify(crl.get(), X509_get0_pubkey(ca)) != 1)
    return openssl_failure(errc::invalid_argument, path + ": not a CRL of this CA");
  STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(entries); ++i) {
    X509_REVOKED* entry = sk_X509_REVOKED_value(entries, i);
    auto serial = SAPHAN_TRY(serial_hex(X509_REVOKED_get0_serialNumber(entry)));
    auto at = SAPHAN_TRY(time_of(X509_REVOKED_get0_revocationDate(entry)));
    out.revoked.emplace(std::move(serial), at);
  }
  int critical = 0;
  asn1_integer_ptr number(static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, &critical, nullptr)));
  if (number)
    out.number = ASN1_INTEGER_get(number.get());
  return out;
}

result<void> add_revoked(X509_CRL* crl, const std::string& serial_text, timestamp at) {
  auto serial = SAPHAN_TRY(serial_from_hex(serial_text));
  asn1_time_ptr when(ASN1_TIME_set(nullptr, seconds_of(at)));
  X509_REVOKED* entry = X509_REVOKED_new();
  if (entry == nullptr || !when || X509_REVOKED_set_serialNumber(entry, serial.get()) != 1 ||
      X509_REVOKED_set_revocationDate(entry, when.get()) != 1 ||
      X509_CRL_add0_revoked(crl, entry) != 1) {
    X509_REVOKED_free(entry);
    return openssl_failure(errc::internal, "adding a CRL entry");
  }
  return ok();
}

result<crl_ptr> build_crl(const signing_ca& ca, const crl_contents& contents, timestamp now,
                          int days) {
  crl_ptr crl(X509_CRL_new());
  asn1_time_ptr last(ASN1_TIME_set(nullptr, seconds_of(now)));
  asn1_time_ptr next(ASN1_TIME_set(nullptr, seconds_of(now + std::chrono::hours(24) * days)));
  if (!crl || !last || !next || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.certificate.get())) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
    return openssl_failure(errc::internal, "starting the CRL");
  }
  for (const auto& [serial, at] : contents.revoked)
    SAPHAN_TRY_VOID(add_revoked(crl.get(), serial, at));
  X509_CRL_sort(crl.get());
  asn1_integer_ptr number(ASN1_INTEGER_new());
  if (!number || ASN1_INTEGER_set(number.get(), contents.number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return openssl_failure(errc::internal, "numbering the CRL");
  }
  X509V3_CTX context;
  X509V3_set_ctx(&context, ca.certificate.get(), nullptr, nullptr, crl.get(), 0);
  extension_ptr akid(
      X509V3_EXT_conf_nid(nullptr, &context, NID_authority_key_identifier, "keyid:always"));
  if (!akid || X509_CRL_add_ext(crl.get(), akid.get(), -1) != 1)
    return openssl_failure(errc::internal, "adding the CRL's authority key identifier");
  if (X509_CRL_sign(crl.get(), ca.key.get(), EVP_sha256()) <= 0)
    return openssl_failure(errc::internal, "signing the CRL");
  return crl;
}

result<void> write_crl(const std::string& path, X509_CRL* crl) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_CRL(bio.get(), crl) != 1)
    return openssl_failure(errc::internal, "encoding the CRL");
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return write_file_atomic(path, std::string_view(data, static_cast<std::size_t>(length)), 0644);
}

}  // namespace

namespace detail {

result<void> record_issued(const std::string& ca_dir, X509* certificate) {
  issued_record r;
  r.serial = SAPHAN_TRY(serial_hex(X509_get0_serialNumber(certificate)));
  if (auto member = member_from_certificate(certificate))
    r.member = to_string(*member);
  else
    ERR_clear_error();
  r.kind = issued_kind(certificate);
  r.not_after = SAPHAN_TRY(time_of(X509_get0_notAfter(certificate)));
  r.fingerprint = SAPHAN_TRY(certificate_fingerprint(certificate));
  std::string index;
  if (path_exists(index_path(ca_dir)))
    index = SAPHAN_TRY(read_file(index_path(ca_dir), max_index_bytes));
  index += record_line(r) + "\n";
  return write_file_atomic(index_path(ca_dir), index, 0600);
}

}  // namespace detail

result<std::vector<issued_record>> read_issued(const std::string& ca_dir) {
  std::vector<issued_record> out;
  if (!path_exists(index_path(ca_dir)))
    return out;
  auto text = SAPHAN_TRY(read_file(index_path(ca_dir), max_index_bytes));
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const auto line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (line.empty())
      continue;
    auto record = parse_record(line);
    if (!record)
      return make_error(errc::storage_failure, index_path(ca_dir) + ": " + record.error().detail);
    out.push_back(std::move(*record));
  }
  return out;
}

result<revocation> revoke_certificates(const std::string& ca_dir, const revoke_request& request,
                                       timestamp now) {
  ERR_clear_error();
  SAPHAN_TRY_VOID(check_validity_days(request.crl_days, max_crl_validity_days));
  auto ca = SAPHAN_TRY(load_ca(ca_dir));
  const auto path = (std::filesystem::path(ca_dir) / crl_file).string();
  auto contents = SAPHAN_TRY(read_existing_crl(path, ca.certificate.get()));
  std::vector<std::string> serials;
  for (const auto& s : request.serials) {
    auto canonical = SAPHAN_TRY(serial_hex(SAPHAN_TRY(serial_from_hex(s)).get()));
    serials.push_back(std::move(canonical));
  }
  if (request.member) {
    const auto wanted = to_string(*request.member);
    auto issued = SAPHAN_TRY(read_issued(ca_dir));
    for (const auto& r : issued) {
      if (r.member == wanted && r.not_after > now)
        serials.push_back(r.serial);
    }
    if (serials.empty()) {
      return make_error(errc::not_found,
                        "the CA's index lists no unexpired certificate of " + wanted);
    }
  }
  revocation out;
  for (const auto& s : serials) {
    if (contents.revoked.emplace(s, now).second)
      out.serials.push_back(s);
  }
  contents.number += 1;
  auto crl = SAPHAN_TRY(build_crl(ca, contents, now, request.crl_days));
  SAPHAN_TRY_VOID(write_crl(path, crl.get()));
  out.crl_path = path;
  out.next_update = now + std::chrono::hours(24) * request.crl_days;
  out.listed = contents.revoked.size();
  return out;
}

}  // namespace saphan::pki
