#include "crypto/keys.hpp"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/files.hpp"
#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/jose_detail.hpp"
#include "crypto/sodium.hpp"

namespace saphan::crypto {
namespace {

static_assert(crypto_sign_PUBLICKEYBYTES == ed25519_public_key::size);
static_assert(crypto_sign_SECRETKEYBYTES == ed25519_secret_key::size);
static_assert(crypto_sign_SEEDBYTES == 32);
static_assert(crypto_sign_BYTES == 64);
static_assert(crypto_scalarmult_BYTES == x25519_public_key::size);
static_assert(crypto_scalarmult_SCALARBYTES == x25519_secret_key::size);

constexpr std::size_t okp_key_bytes = 32;
constexpr std::string_view ed25519_curve = "Ed25519";
constexpr std::string_view x25519_curve = "X25519";

const unsigned char* data_of(std::string_view bytes) {
  return reinterpret_cast<const unsigned char*>(bytes.data());
}

// A std::string holding secret bytes that is wiped when it goes out of scope.
class wiped_string {
 public:
  explicit wiped_string(std::string text = {}) : text_(std::move(text)) {}
  wiped_string(const wiped_string&) = delete;
  wiped_string& operator=(const wiped_string&) = delete;
  ~wiped_string() { wipe_secret(text_.data(), text_.size()); }
  const std::string& get() const { return text_; }

 private:
  std::string text_;
};

// The members of an OKP JWK that this module uses, already decoded and length-checked.
struct okp_jwk {
  std::string x;
  std::optional<std::string> d;
  std::string kid;
  ~okp_jwk() {
    if (d)
      wipe_secret(d->data(), d->size());
  }
};

error jwk_error(std::string_view member, std::string_view rule) {
  return make_error(errc::invalid_argument,
                    "jwk." + std::string(member) + ": " + std::string(rule));
}

result<std::string> decode_key_member(const json_object& jwk, std::string_view member) {
  auto text = SAPHAN_TRY(jwk.string(member));
  auto raw = base64url_decode(text);
  if (!raw)
    return jwk_error(member, raw.error().detail);
  if (raw->size() != okp_key_bytes) {
    wipe_secret(raw->data(), raw->size());
    return jwk_error(member, "must decode to exactly 32 bytes");
  }
  return std::move(raw).value();
}

result<void> read_okp_members(const json_object& jwk, std::string_view curve, okp_jwk& out) {
  auto kty = SAPHAN_TRY(jwk.string("kty"));
  if (kty != "OKP")
    return jwk_error("kty", "must be \"OKP\"");
  auto crv = SAPHAN_TRY(jwk.string("crv"));
  if (crv != curve)
    return jwk_error("crv", "must be \"" + std::string(curve) + "\"");
  auto x = SAPHAN_TRY(decode_key_member(jwk, "x"));
  out.x = std::move(x);
  auto kid = SAPHAN_TRY(jwk.optional_string("kid"));
  out.kid = kid.value_or("");
  if (jwk.has("d")) {
    auto d = SAPHAN_TRY(decode_key_member(jwk, "d"));
    out.d = std::move(d);
  }
  return ok();
}

enum class secret_rule { forbidden, required };

result<void> parse_okp(std::string_view json, std::string_view curve, secret_rule rule,
                       okp_jwk& out) {
  auto doc = parse_json(json, json_limits{max_jwk_bytes, 4});
  if (!doc)
    return make_error(doc.code(), "jwk: " + doc.error().detail);
  SAPHAN_TRY_VOID(json_object::of(*doc, "jwk", errc::malformed_json));
  json_object members(*doc, "jwk", errc::invalid_argument);
  SAPHAN_TRY_VOID(read_okp_members(members, curve, out));
  if (rule == secret_rule::forbidden && out.d) {
    return jwk_error("d", "a public key must not carry the private key");
  }
  if (rule == secret_rule::required && !out.d)
    return jwk_error("d", "is required");
  return ok();
}

std::string write_jwk(std::string_view curve, std::string_view x, std::string_view d,
                      std::string_view kid) {
  std::string x_text = base64url_encode(x);
  wiped_string d_text(d.empty() ? std::string() : base64url_encode(d));
  std::vector<detail::json_member> members = {{"kty", "OKP"}, {"crv", curve}, {"x", x_text}};
  if (!d.empty())
    members.push_back({"d", d_text.get()});
  if (!kid.empty())
    members.push_back({"kid", kid});
  auto text = detail::write_object(members);
  // Only a kid with broken UTF-8 can fail; leave it out rather than write an unreadable key.
  if (!text)
    return write_jwk(curve, x, d, {});
  return std::move(text).value();
}

template <class Key>
result<Key> parse_raw_public(std::string_view base64url) {
  auto raw = SAPHAN_TRY(base64url_decode(base64url));
  return Key::from_bytes(raw);
}

result<void> write_jwk_file(const std::string& path, std::string jwk, mode_t mode) {
  wiped_string text(std::move(jwk));
  return write_file_atomic(path, text.get() + "\n", mode);
}

template <class Parsed>
result<Parsed> read_jwk_file(const std::string& path, result<Parsed> (*parse)(std::string_view)) {
  auto content = SAPHAN_TRY(read_file(path, max_jwk_bytes));
  wiped_string text(std::move(content));
  auto parsed = parse(text.get());
  if (!parsed)
    return make_error(parsed.code(), path + ": " + parsed.error().detail);
  return parsed;
}

}  // namespace

void wipe_secret(void* bytes, std::size_t count) noexcept {
  if (count > 0)
    sodium_memzero(bytes, count);
}

signing_key_pair generate_signing_key() {
  detail::ensure_sodium();
  signing_key_pair keys;
  if (crypto_sign_keypair(keys.public_key.data(), keys.secret_key.data()) != 0)
    std::abort();
  return keys;
}

encryption_key_pair generate_encryption_key() {
  detail::ensure_sodium();
  encryption_key_pair keys;
  if (crypto_box_keypair(keys.public_key.data(), keys.secret_key.data()) != 0)
    std::abort();
  return keys;
}

result<signing_key_pair> signing_key_from_seed(std::string_view seed) {
  detail::ensure_sodium();
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return make_error(errc::invalid_argument, "Ed25519 seed: must be exactly 32 bytes");
  }
  signing_key_pair keys;
  if (crypto_sign_seed_keypair(keys.public_key.data(), keys.secret_key.data(), data_of(seed)) !=
      0) {
    return make_error(errc::internal, "Ed25519 seed: key derivation failed");
  }
  return keys;
}

result<encryption_key_pair> encryption_key_from_secret(std::string_view secret) {
  detail::ensure_sodium();
  if (secret.size() != x25519_secret_key::size) {
    return make_error(errc::invalid_argument, "X25519 secret key: must be exactly 32 bytes");
  }
  encryption_key_pair keys;
  std::memcpy(keys.secret_key.data(), secret.data(), secret.size());
  if (crypto_scalarmult_base(keys.public_key.data(), keys.secret_key.data()) != 0) {
    return make_error(errc::invalid_argument, "X25519 secret key: gives no usable public key");
  }
  return keys;
}

std::string_view seed_of(const ed25519_secret_key& key) {
  return key.view().substr(0, crypto_sign_SEEDBYTES);
}

std::string sign_ed25519(std::string_view message, const ed25519_secret_key& key) {
  detail::ensure_sodium();
  std::string signature(crypto_sign_BYTES, '\0');
  if (crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                           data_of(message), message.size(), key.data()) != 0) {
    std::abort();  // cannot fail for an in-memory message; a failure means a broken library
  }
  return signature;
}

bool verify_ed25519(std::string_view message, std::string_view signature,
                    const ed25519_public_key& key) {
  detail::ensure_sodium();
  if (signature.size() != crypto_sign_BYTES)
    return false;
  // libsodium also refuses non-canonical signatures and small-order public keys.
  return crypto_sign_verify_detached(data_of(signature), data_of(message), message.size(),
                                     key.data()) == 0;
}

std::string to_base64url(const ed25519_public_key& key) {
  return base64url_encode(key.view());
}
std::string to_base64url(const x25519_public_key& key) {
  return base64url_encode(key.view());
}

result<ed25519_public_key> parse_ed25519_public_key(std::string_view base64url) {
  return parse_raw_public<ed25519_public_key>(base64url);
}

result<x25519_public_key> parse_x25519_public_key(std::string_view base64url) {
  return parse_raw_public<x25519_public_key>(base64url);
}

std::string to_public_jwk(const ed25519_public_key& key, std::string_view kid) {
  return write_jwk(ed25519_curve, key.view(), {}, kid);
}

std::string to_public_jwk(const x25519_public_key& key, std::string_view kid) {
  return write_jwk(x25519_curve, key.view(), {}, kid);
}

std::string to_private_jwk(const signing_key_pair& keys, std::string_view kid) {
  return write_jwk(ed25519_curve, keys.public_key.view(), seed_of(keys.secret_key), kid);
}

std::string to_private_jwk(const encryption_key_pair& keys, std::string_view kid) {
  return write_jwk(x25519_curve, keys.public_key.view(), keys.secret_key.view(), kid);
}

result<ed25519_public_jwk> parse_ed25519_public_jwk(std::string_view json) {
  okp_jwk jwk;
  SAPHAN_TRY_VOID(parse_okp(json, ed25519_curve, secret_rule::forbidden, jwk));
  auto key = SAPHAN_TRY(ed25519_public_key::from_bytes(jwk.x));
  return ed25519_public_jwk{key, jwk.kid};
}

result<x25519_public_jwk> parse_x25519_public_jwk(std::string_view json) {
  okp_jwk jwk;
  SAPHAN_TRY_VOID(parse_okp(json, x25519_curve, secret_rule::forbidden, jwk));
  auto key = SAPHAN_TRY(x25519_public_key::from_bytes(jwk.x));
  return x25519_public_jwk{key, jwk.kid};
}

result<signing_jwk> parse_signing_jwk(std::string_view json) {
  okp_jwk jwk;
  SAPHAN_TRY_VOID(parse_okp(json, ed25519_curve, secret_rule::required, jwk));
  auto keys = SAPHAN_TRY(signing_key_from_seed(*jwk.d));
  if (keys.public_key.view() != jwk.x)
    return jwk_error("x", "does not match the private key d");
  return signing_jwk{keys, jwk.kid};
}

result<encryption_jwk> parse_encryption_jwk(std::string_view json) {
  okp_jwk jwk;
  SAPHAN_TRY_VOID(parse_okp(json, x25519_curve, secret_rule::required, jwk));
  auto keys = SAPHAN_TRY(encryption_key_from_secret(*jwk.d));
  if (keys.public_key.view() != jwk.x)
    return jwk_error("x", "does not match the private key d");
  return encryption_jwk{keys, jwk.kid};
}

result<void> write_private_key_file(const std::string& path, const signing_key_pair& keys,
                                    std::string_view kid) {
  return write_jwk_file(path, to_private_jwk(keys, kid), 0600);
}

result<void> write_private_key_file(const std::string& path, const encryption_key_pair& keys,
                                    std::string_view kid) {
  return write_jwk_file(path, to_private_jwk(keys, kid), 0600);
}

result<void> write_public_key_file(const std::string& path, const ed25519_public_key& key,
                                   std::string_view kid) {
  return write_jwk_file(path, to_public_jwk(key, kid), 0644);
}

result<void> write_public_key_file(const std::string& path, const x25519_public_key& key,
                                   std::string_view kid) {
  return write_jwk_file(path, to_public_jwk(key, kid), 0644);
}

result<signing_jwk> read_signing_key_file(const std::string& path) {
  return read_jwk_file<signing_jwk>(path, parse_signing_jwk);
}

result<encryption_jwk> read_encryption_key_file(const std::string& path) {
  return read_jwk_file<encryption_jwk>(path, parse_encryption_jwk);
}

result<ed25519_public_jwk> read_ed25519_public_key_file(const std::string& path) {
  return read_jwk_file<ed25519_public_jwk>(path, parse_ed25519_public_jwk);
}

result<x25519_public_jwk> read_x25519_public_key_file(const std::string& path) {
  return read_jwk_file<x25519_public_jwk>(path, parse_x25519_public_jwk);
}

std::string random_bytes(std::size_t count) {
  detail::ensure_sodium();
  std::string out(count, '\0');
  if (count > 0)
    randombytes_buf(out.data(), count);
  return out;
}

std::string random_id() {
  constexpr std::size_t id_bytes = 16;
  return base64url_encode(random_bytes(id_bytes));
}

}  // namespace saphan::crypto
