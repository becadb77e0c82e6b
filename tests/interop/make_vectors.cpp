// Vectors for the independent JOSE check (tests/interop/check.mjs, run by
// tests/integration/jose_interop_test.sh).
//
//   saphan_jose_vectors make  <dir>   writes a detached JWS and a JWE made by Saphan, with the
//                                     keys node needs to verify and open them
//   saphan_jose_vectors check <dir>   verifies the JWS and opens the JWE that node's `jose`
//                                     wrote back (the reverse direction)
#include <cstdio>
#include <string>
#include <string_view>

#include "core/files.hpp"
#include "core/json.hpp"
#include "crypto/jwe.hpp"
#include "crypto/jws.hpp"
#include "crypto/keys.hpp"

namespace {

using namespace saphan;
using namespace saphan::crypto;

constexpr std::string_view signer_kid = "TH/GOV/DOPA/civil-registry#sig-1";
constexpr std::string_view consumer_kid = "TH/GOV/JFO/legal-aid#enc-1";
constexpr std::string_view payload =
    R"({"request_id":"q9Zr3xWm0bHk1sT4vN7pLa","dataset":"TH/GOV/DOPA/civil-registry/person@1.0","purpose":"legal-aid-eligibility"})";
constexpr std::string_view plaintext =
    R"({"citizen_id":"1101700203451","given_name":"สมชาย","family_name":"ใจดี","province":"10"})";

const header_members binding{{"rid", "q9Zr3xWm0bHk1sT4vN7pLa"},
                             {"cns", "TH/GOV/JFO/legal-aid"},
                             {"prv", "TH/GOV/DOPA/civil-registry"},
                             {"dst", "TH/GOV/DOPA/civil-registry/person@1.0"}};

bool fail(std::string_view what, const error& e) {
  std::fprintf(stderr, "FAIL %.*s: %s: %s\n", static_cast<int>(what.size()), what.data(),
               std::string(to_string(e.code)).c_str(), e.detail.c_str());
  return false;
}

bool fail(std::string_view what) {
  std::fprintf(stderr, "FAIL %.*s\n", static_cast<int>(what.size()), what.data());
  return false;
}

void pass(std::string_view what) {
  std::printf("ok   %.*s\n", static_cast<int>(what.size()), what.data());
}

bool write(const std::string& dir, const std::string& name, std::string_view content,
           mode_t mode = 0644) {
  auto written = write_file_atomic(dir + "/" + name, content, mode);
  return written ? true : fail("write " + name, written.error());
}

std::string binding_json() {
  std::string out = "{";
  for (const auto& [name, value] : binding) {
    out += (out.size() > 1 ? ",\"" : "\"") + name + "\":\"" + value + "\"";
  }
  return out + "}";
}

bool make_signature(const std::string& dir) {
  auto signer = generate_signing_key();
  auto jws = sign_detached(payload, signer.secret_key, signer_kid, {{"rid", binding.at("rid")}});
  if (!jws)
    return fail("sign", jws.error());
  return write(dir, "signer.pub.jwk", to_public_jwk(signer.public_key, signer_kid)) &&
         write(dir, "payload.json", payload) && write(dir, "payload.jws", *jws);
}

bool make_encryption(const std::string& dir) {
  auto consumer = generate_encryption_key();
  auto jwe = encrypt_to(consumer.public_key, plaintext, consumer_kid, binding);
  if (!jwe)
    return fail("encrypt", jwe.error());
  auto key_file = write_private_key_file(dir + "/consumer.jwk", consumer, consumer_kid);
  if (!key_file)
    return fail("write consumer.jwk", key_file.error());
  return write(dir, "consumer.pub.jwk", to_public_jwk(consumer.public_key, consumer_kid)) &&
         write(dir, "binding.json", binding_json()) && write(dir, "plaintext.json", plaintext) &&
         write(dir, "response.jwe", *jwe);
}

result<std::string> read(const std::string& dir, const std::string& name) {
  auto content = read_file(dir + "/" + name, max_jose_input_bytes);
  if (!content)
    return content.error();
  // Files written by hand or by node may end in a newline; the JOSE texts never do.
  while (!content->empty() && content->back() == '\n')
    content->pop_back();
  return content;
}

bool check_node_signature(const std::string& dir) {
  auto jwk_text = read(dir, "node_signer.pub.jwk");
  auto node_payload = read(dir, "node_payload.json");
  auto jws = read(dir, "node_payload.jws");
  if (!jwk_text || !node_payload || !jws)
    return fail("read node signature files");
  auto jwk = parse_ed25519_public_jwk(*jwk_text);
  if (!jwk)
    return fail("node signer JWK", jwk.error());
  auto info = verify_detached(*jws, *node_payload, jwk->key);
  if (!info)
    return fail("verify node JWS", info.error());
  if (info->kid != jwk->kid || info->members["rid"] != binding.at("rid")) {
    return fail("node JWS header: kid or rid differs");
  }
  pass("C++ verified the detached JWS made by node jose");
  if (verify_detached(*jws, *node_payload + " ", jwk->key))
    return fail("tampered payload verified");
  pass("C++ refused node's JWS over a changed payload");
  return true;
}

bool check_node_encryption(const std::string& dir) {
  auto consumer = read_encryption_key_file(dir + "/consumer.jwk");
  if (!consumer)
    return fail("read consumer.jwk", consumer.error());
  auto jwe = read(dir, "node_response.jwe");
  auto expected = read(dir, "node_plaintext.json");
  if (!jwe || !expected)
    return fail("read node encryption files");
  auto opened = decrypt(*jwe, consumer->keys.secret_key, binding);
  if (!opened)
    return fail("decrypt node JWE", opened.error());
  if (opened->plaintext != *expected)
    return fail("node JWE plaintext differs");
  if (opened->kid != consumer->kid)
    return fail("node JWE kid differs");
  pass("C++ opened the JWE made by node jose and checked its binding");
  auto other = binding;
  other["rid"] = "another-request-id";
  if (decrypt(*jwe, consumer->keys.secret_key, other))
    return fail("wrong binding accepted");
  pass("C++ refused node's JWE for another request id");
  return true;
}

int usage() {
  std::fputs("usage: saphan_jose_vectors make|check <directory>\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3)
    return usage();
  std::string_view mode = argv[1];
  std::string dir = argv[2];
  if (mode == "make")
    return make_signature(dir) && make_encryption(dir) ? 0 : 1;
  if (mode == "check")
    return check_node_signature(dir) && check_node_encryption(dir) ? 0 : 1;
  return usage();
}
