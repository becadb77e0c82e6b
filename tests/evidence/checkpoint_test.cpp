// Signed tree heads: the exact signed note, Ed25519 signing and verification, tampering, field
// limits, and the strict JSON form.
#include <catch2/catch.hpp>

#include <string>

#include "crypto/encoding.hpp"
#include "evidence/checkpoint.hpp"
#include "merkle/merkle.hpp"

namespace {

using namespace saphan;
using namespace saphan::evidence;
using namespace saphan::merkle;

constexpr std::string_view origin = "saphan/TH/GOV/SAPHAN/hub";
// The root of the 8 certificate-transparency reference leaves (tests/data/merkle/roots.json).
constexpr std::string_view root_hex =
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";

crypto::signing_key_pair test_keys() {
  std::string seed;
  for (int i = 0; i < 32; ++i)
    seed.push_back(static_cast<char>(i));
  return crypto::signing_key_from_seed(seed).value();
}

timestamp test_time() {
  return parse_rfc3339("2026-11-21T09:30:00.123456Z").value();
}

checkpoint signed_checkpoint() {
  auto cp = sign_checkpoint(std::string(origin), 8, crypto::parse_sha256_hex(root_hex).value(),
                            test_time(), "log-2026", test_keys().secret_key);
  REQUIRE(cp);
  return *cp;
}

// Replaces one member's JSON value text in a serialised checkpoint.
std::string with_member(const std::string& json, const std::string& name,
                        const std::string& value_json) {
  auto start = json.find("\"" + name + "\":");
  REQUIRE(start != std::string::npos);
  start += name.size() + 3;
  auto end = start;
  if (json[start] == '"') {
    end = json.find('"', start + 1) + 1;
  } else {
    end = json.find_first_of(",}", start);
  }
  return json.substr(0, start) + value_json + json.substr(end);
}

}  // namespace

TEST_CASE("checkpoint signed text is the exact note", "[evidence]") {
  const auto cp = signed_checkpoint();
  CHECK(checkpoint_signed_text(cp) ==
        "saphan/TH/GOV/SAPHAN/hub\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
        "2026-11-21T09:30:00.123456Z\n");
  auto empty = cp;
  empty.tree_size = 0;
  empty.root_hash = empty_root();
  empty.timestamp = parse_rfc3339("2026-01-01T00:00:00Z").value();
  CHECK(checkpoint_signed_text(empty) ==
        "saphan/TH/GOV/SAPHAN/hub\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
        "2026-01-01T00:00:00Z\n");
}

TEST_CASE("checkpoint signature matches an independent Ed25519 signer", "[evidence]") {
  // Computed once with `openssl pkeyutl -sign -rawin` over the note above, seed 00 01 .. 1f.
  const auto cp = signed_checkpoint();
  CHECK(crypto::hex_encode(cp.signature) ==
        "86d3e37609b31378e574cd1b75af7fc1310716672ba7b1bc7e839ff4178bf9a4"
        "5fc7a499df050dbc4f07b8f2bcde5def0277c6704881632d39061a7780ead200");
  CHECK(crypto::hex_encode(test_keys().public_key.view()) ==
        "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
}

TEST_CASE("checkpoint sign and verify round trip; tampering is caught", "[evidence]") {
  const auto keys = test_keys();
  const auto cp = signed_checkpoint();
  REQUIRE(verify_checkpoint(cp, keys.public_key));

  auto bigger = cp;
  bigger.tree_size = 9;
  auto r = verify_checkpoint(bigger, keys.public_key);
  CHECK(r.code() == errc::bad_signature);
  CHECK(r.error().detail.find("tree_size 9") != std::string::npos);

  auto other_root = cp;
  other_root.root_hash.bytes[31] ^= 1;
  CHECK(verify_checkpoint(other_root, keys.public_key).code() == errc::bad_signature);

  auto later = cp;
  later.timestamp += std::chrono::microseconds(1);
  CHECK(verify_checkpoint(later, keys.public_key).code() == errc::bad_signature);

  auto renamed = cp;
  renamed.origin = "saphan/TH/GOV/OTHER/hub";
  CHECK(verify_checkpoint(renamed, keys.public_key).code() == errc::bad_signature);

  for (std::size_t i : {std::size_t{0}, std::size_t{31}, std::size_t{63}}) {
    auto forged = cp;
    forged.signature[i] = static_cast<char>(forged.signature[i] ^ 0x40);
    CHECK(verify_checkpoint(forged, keys.public_key).code() == errc::bad_signature);
  }

  auto other_key = crypto::generate_signing_key();
  CHECK(verify_checkpoint(cp, other_key.public_key).code() == errc::bad_signature);

  auto short_sig = cp;
  short_sig.signature.pop_back();
  CHECK(verify_checkpoint(short_sig, keys.public_key).code() == errc::invalid_argument);
  auto long_sig = cp;
  long_sig.signature.push_back('x');
  CHECK(verify_checkpoint(long_sig, keys.public_key).code() == errc::invalid_argument);
}

TEST_CASE("checkpoint fields are bounded on both sides", "[evidence]") {
  const auto key = test_keys().secret_key;
  const auto root = empty_root();
  const auto t = test_time();
  CHECK(sign_checkpoint(std::string(256, 'o'), 0, root, t, "k", key));
  CHECK(sign_checkpoint(std::string(257, 'o'), 0, root, t, "k", key).code() ==
        errc::invalid_argument);
  CHECK(sign_checkpoint("", 0, root, t, "k", key).code() == errc::invalid_argument);
  auto newline = sign_checkpoint("log\n99", 0, root, t, "k", key);
  CHECK(newline.code() == errc::invalid_argument);
  CHECK(newline.error().detail.find("checkpoint.origin") != std::string::npos);
  CHECK(sign_checkpoint("log\x7f", 0, root, t, "k", key).code() == errc::invalid_argument);

  CHECK(sign_checkpoint("log", 0, root, t, std::string(128, 'k'), key));
  CHECK(sign_checkpoint("log", 0, root, t, std::string(129, 'k'), key).code() ==
        errc::invalid_argument);
  CHECK(sign_checkpoint("log", 0, root, t, "", key).code() == errc::invalid_argument);
  CHECK(sign_checkpoint("log", 0, root, t, "key id", key).code() == errc::invalid_argument);
  CHECK(sign_checkpoint("log", 0, root, t, "hub:2026/ed25519-1.a_b", key));

  CHECK(sign_checkpoint("log", max_tree_size, root, t, "k", key));
  CHECK(sign_checkpoint("log", max_tree_size + 1, root, t, "k", key).code() ==
        errc::invalid_argument);

  // verify applies the same rules, so a hand-built checkpoint cannot smuggle a newline.
  auto cp = signed_checkpoint();
  cp.origin = "a\nb";
  CHECK(verify_checkpoint(cp, test_keys().public_key).code() == errc::invalid_argument);
}

TEST_CASE("checkpoint JSON round trip", "[evidence]") {
  const auto cp = signed_checkpoint();
  const auto json = checkpoint_to_json(cp);
  CHECK(json ==
        "{\"origin\":\"saphan/TH/GOV/SAPHAN/hub\",\"tree_size\":8,"
        "\"root_hash\":\"XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz-Nw7_RgQyg\","
        "\"timestamp\":\"2026-11-21T09:30:00.123456Z\",\"key_id\":\"log-2026\","
        "\"signature\":\"" +
            crypto::base64url_encode(cp.signature) + "\"}");
  auto back = checkpoint_from_json(json);
  REQUIRE(back);
  CHECK(back->origin == cp.origin);
  CHECK(back->tree_size == cp.tree_size);
  CHECK(back->root_hash == cp.root_hash);
  CHECK(back->timestamp == cp.timestamp);
  CHECK(back->key_id == cp.key_id);
  CHECK(back->signature == cp.signature);
  CHECK(verify_checkpoint(*back, test_keys().public_key));
  CHECK(checkpoint_to_json(*back) == json);

  auto big = cp;
  big.tree_size = max_tree_size;
  auto big_back = checkpoint_from_json(checkpoint_to_json(big));
  REQUIRE(big_back);
  CHECK(big_back->tree_size == max_tree_size);
}

TEST_CASE("checkpoint JSON is parsed strictly", "[evidence]") {
  const auto json = checkpoint_to_json(signed_checkpoint());
  auto code_of = [](const std::string& text) { return checkpoint_from_json(text).code(); };

  CHECK(code_of("") == errc::malformed_json);
  CHECK(code_of("not json") == errc::malformed_json);
  CHECK(code_of("[]") == errc::malformed_json);
  CHECK(code_of(json + " {}") == errc::malformed_json);
  CHECK(code_of("{\"origin\":{\"x\":{\"y\":1}}}") == errc::malformed_json);  // too deep
  CHECK(code_of(std::string(max_checkpoint_json_bytes + 1, ' ')) == errc::payload_too_large);

  auto unknown = json.substr(0, json.size() - 1) + ",\"extra\":1}";
  auto r = checkpoint_from_json(unknown);
  CHECK(r.code() == errc::invalid_argument);
  CHECK(r.error().detail.find("extra") != std::string::npos);
  auto duplicate = json.substr(0, json.size() - 1) + ",\"tree_size\":9}";
  CHECK(code_of(duplicate) == errc::malformed_json);
  auto missing = with_member(json, "key_id", "\"x\"");
  missing.replace(missing.find(",\"key_id\":\"x\""), 13, "");
  CHECK(code_of(missing) == errc::malformed_json);

  CHECK(code_of(with_member(json, "tree_size", "-1")) == errc::invalid_argument);
  CHECK(code_of(with_member(json, "tree_size", "8.0")) == errc::malformed_json);
  CHECK(code_of(with_member(json, "tree_size", "\"8\"")) == errc::malformed_json);
  CHECK(code_of(with_member(json, "tree_size", "9223372036854775808")) == errc::malformed_json);
  CHECK(checkpoint_from_json(with_member(json, "tree_size", "9223372036854775807")));

  const std::string root31 = crypto::base64url_encode(std::string(31, 'r'));
  CHECK(code_of(with_member(json, "root_hash", "\"" + root31 + "\"")) == errc::invalid_argument);
  CHECK(
      code_of(with_member(json, "root_hash", "\"XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\"")) ==
      errc::invalid_argument);
  const std::string sig63 = crypto::base64url_encode(std::string(63, 's'));
  const std::string sig64 = crypto::base64url_encode(std::string(64, 's'));
  CHECK(code_of(with_member(json, "signature", "\"" + sig63 + "\"")) == errc::invalid_argument);
  CHECK(checkpoint_from_json(with_member(json, "signature", "\"" + sig64 + "\"")));

  CHECK(code_of(with_member(json, "timestamp", "\"yesterday\"")) == errc::invalid_timestamp);
  CHECK(code_of(with_member(json, "timestamp", "\"2026-11-21T16:30:00.123456+07:00\"")) ==
        errc::invalid_timestamp);
  CHECK(code_of(with_member(json, "timestamp", "\"2026-11-21T09:30:00.1234560Z\"")) ==
        errc::invalid_timestamp);

  CHECK(code_of(with_member(json, "origin", "\"a\\nb\"")) == errc::invalid_argument);
  CHECK(code_of(with_member(json, "origin", "\"\"")) == errc::invalid_argument);
  CHECK(code_of(with_member(json, "key_id", "\"a b\"")) == errc::invalid_argument);
  CHECK(code_of(with_member(json, "key_id", "7")) == errc::malformed_json);
}
