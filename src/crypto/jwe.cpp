#include "crypto/jwe.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>

#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/jose_detail.hpp"
#include "crypto/sodium.hpp"

namespace saphan::crypto {
namespace {

constexpr std::size_t content_key_bits = 256;
constexpr std::size_t iv_bytes = 12;   // 96-bit GCM nonce, fresh per message
constexpr std::size_t tag_bytes = 16;  // 128-bit GCM tag

struct shared_secret_tag {};
using shared_secret = secret_key_bytes<shared_secret_tag, 32>;
struct content_key_tag {};
using content_key = secret_key_bytes<content_key_tag, 32>;

error bad(std::string_view rule) {
  return make_error(errc::bad_encryption, "jwe: " + std::string(rule));
}

const unsigned char* data_of(std::string_view bytes) {
  return reinterpret_cast<const unsigned char*>(bytes.data());
}

unsigned char* data_of(std::string& bytes) {
  return reinterpret_cast<unsigned char*>(bytes.data());
}

void append_be32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char>(value >> shift & 0xff);
}

void append_length_prefixed(std::string& out, std::string_view bytes) {
  append_be32(out, static_cast<std::uint32_t>(bytes.size()));
  out.append(bytes);
}

// Computes X25519; false when libsodium refuses or the result is all zero (low-order point).
bool agree(const x25519_secret_key& secret, const x25519_public_key& peer, shared_secret& out) {
  detail::ensure_sodium();
  if (crypto_scalarmult(out.data(), secret.data(), peer.data()) != 0)
    return false;
  return sodium_is_zero(out.data(), shared_secret::size) == 0;
}

content_key derive_content_key(const shared_secret& z, std::string_view apu, std::string_view apv) {
  std::string derived = concat_kdf_sha256(z.view(), jwe_encryption, apu, apv, content_key_bits);
  content_key key;
  std::memcpy(key.data(), derived.data(), content_key::size);
  wipe_secret(derived.data(), derived.size());
  return key;
}

// ---- AES-256-GCM through OpenSSL EVP ----

struct cipher_ctx_deleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_deleter>;

struct sealed {
  std::string ciphertext;
  std::string tag;
};

result<sealed> seal_gcm(const content_key& key, std::string_view iv, std::string_view aad,
                        std::string_view plaintext) {
  cipher_ctx ctx(EVP_CIPHER_CTX_new());
  sealed out{std::string(plaintext.size(), '\0'), std::string(tag_bytes, '\0')};
  int len = 0;
  bool done =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                          nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), data_of(iv)) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, data_of(aad), static_cast<int>(aad.size())) ==
          1 &&
      EVP_EncryptUpdate(ctx.get(), data_of(out.ciphertext), &len, data_of(plaintext),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), data_of(out.ciphertext) + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_bytes),
                          out.tag.data()) == 1;
  if (!done)
    return make_error(errc::internal, "jwe: AES-256-GCM encryption failed in OpenSSL");
  return out;
}

result<std::string> open_gcm(const content_key& key, std::string_view iv, std::string_view aad,
                             std::string_view ciphertext, std::string tag) {
  cipher_ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx)
    return make_error(errc::internal, "jwe: cannot allocate a cipher context");
  std::string plaintext(ciphertext.size(), '\0');
  int len = 0;
  bool ready = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
               EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                                   nullptr) == 1 &&
               EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), data_of(iv)) == 1 &&
               EVP_DecryptUpdate(ctx.get(), nullptr, &len, data_of(aad),
                                 static_cast<int>(aad.size())) == 1 &&
               EVP_DecryptUpdate(ctx.get(), data_of(plaintext), &len, data_of(ciphertext),
                                 static_cast<int>(ciphertext.size())) == 1 &&
               EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()),
                                   tag.data()) == 1;
  // The tag is checked in the final step; on failure nothing decrypted may leave this function.
  if (!ready || EVP_DecryptFinal_ex(ctx.get(), data_of(plaintext) + len, &len) != 1) {
    wipe_secret(plaintext.data(), plaintext.size());
    return bad("authentication failed (tampered, or not encrypted to this key)");
  }
  return plaintext;
}

// ---- Parsing ----

struct jwe_parts {
  std::string_view header;
  std::string_view encrypted_key;
  std::string_view iv;
  std::string_view ciphertext;
  std::string_view tag;
};

result<jwe_parts> split_jwe(std::string_view jwe) {
  if (jwe.size() > max_jose_input_bytes) {
    return make_error(errc::payload_too_large,
                      "jwe: larger than " + std::to_string(max_jose_input_bytes) + " bytes");
  }
  auto parts = SAPHAN_TRY(detail::split_compact(jwe, 5, errc::bad_encryption, "jwe"));
  const auto& p = parts;
  return jwe_parts{p[0], p[1], p[2], p[3], p[4]};
}

struct parsed_header {
  x25519_public_key epk;
  std::string apu;
  std::string apv;
  jwe_header_info info;
};

result<void> expect_member(const rapidjson::Document& header, const char* name,
                           std::string_view wanted) {
  auto found = header.FindMember(name);
  if (found == header.MemberEnd() || !found->value.IsString()) {
    return bad("header member \"" + std::string(name) + "\" is required and must be a string");
  }
  std::string_view value(found->value.GetString(), found->value.GetStringLength());
  if (value != wanted) {
    return bad("header member \"" + std::string(name) + "\" must be \"" + std::string(wanted) +
               "\"");
  }
  return ok();
}

result<std::string> optional_bytes(const rapidjson::Document& header, const char* name) {
  auto found = header.FindMember(name);
  if (found == header.MemberEnd())
    return std::string();
  if (!found->value.IsString())
    return bad("header member \"" + std::string(name) + "\" must be a string");
  auto bytes = base64url_decode({found->value.GetString(), found->value.GetStringLength()});
  if (!bytes)
    return bad("header member \"" + std::string(name) + "\": " + bytes.error().detail);
  return bytes;
}

result<x25519_public_key> read_epk(const rapidjson::Document& header) {
  auto found = header.FindMember("epk");
  if (found == header.MemberEnd() || !found->value.IsObject()) {
    return bad("header member \"epk\" is required and must be an object");
  }
  auto jwk = parse_x25519_public_jwk(write_json(found->value));
  if (!jwk)
    return bad("header member \"epk\": " + jwk.error().detail);
  return jwk->key;
}

result<jwe_header_info> read_info(const rapidjson::Document& header) {
  for (const char* refused : {"crit", "zip"}) {
    if (header.FindMember(refused) != header.MemberEnd()) {
      return bad("header member \"" + std::string(refused) + "\" is not supported");
    }
  }
  jwe_header_info info;
  if (auto kid = header.FindMember("kid"); kid != header.MemberEnd()) {
    if (!kid->value.IsString())
      return bad("header member \"kid\" must be a string");
    info.kid.assign(kid->value.GetString(), kid->value.GetStringLength());
  }
  info.members = detail::collect_string_members(header, {"alg", "enc", "kid", "apu", "apv"});
  return info;
}

result<parsed_header> parse_header(std::string_view encoded) {
  auto header = SAPHAN_TRY(detail::parse_protected_header(encoded, errc::bad_encryption, "jwe"));
  SAPHAN_TRY_VOID(expect_member(header, "alg", jwe_algorithm));
  SAPHAN_TRY_VOID(expect_member(header, "enc", jwe_encryption));
  auto info = SAPHAN_TRY(read_info(header));
  auto epk = SAPHAN_TRY(read_epk(header));
  auto apu = SAPHAN_TRY(optional_bytes(header, "apu"));
  auto apv = SAPHAN_TRY(optional_bytes(header, "apv"));
  return parsed_header{epk, std::move(apu), std::move(apv), std::move(info)};
}

struct raw_parts {
  std::string iv;
  std::string ciphertext;
  std::string tag;
};

result<raw_parts> decode_parts(const jwe_parts& parts) {
  if (!parts.encrypted_key.empty())
    return bad("encrypted key must be empty for ECDH-ES");
  raw_parts raw;
  auto iv = base64url_decode(parts.iv);
  if (!iv || iv->size() != iv_bytes)
    return bad("initialization vector must be 96 bits of base64url");
  auto tag = base64url_decode(parts.tag);
  if (!tag || tag->size() != tag_bytes)
    return bad("authentication tag must be 128 bits of base64url");
  auto ciphertext = base64url_decode(parts.ciphertext);
  if (!ciphertext)
    return bad("ciphertext: " + ciphertext.error().detail);
  return raw_parts{std::move(iv).value(), std::move(ciphertext).value(), std::move(tag).value()};
}

result<void> check_binding(const header_members& members, const header_members& expected) {
  for (const auto& [name, wanted] : expected) {
    auto found = members.find(name);
    if (found == members.end())
      return bad("binding member \"" + name + "\" is missing");
    if (found->second != wanted)
      return bad("binding member \"" + name + "\" does not match");
  }
  return ok();
}

result<std::string> build_header(const x25519_public_key& epk, std::string_view kid,
                                 const header_members& binding) {
  SAPHAN_TRY_VOID(
      detail::check_extra_members(binding,
                                  {"alg", "enc", "epk", "kid", "apu", "apv", "zip", "crit", "jku",
                                   "jwk", "x5u", "x5c", "x5t", "x5t#S256"},
                                  "jwe"));
  std::string epk_json = to_public_jwk(epk, {});
  std::vector<detail::json_member> members = {{"alg", jwe_algorithm}, {"enc", jwe_encryption}};
  if (!kid.empty())
    members.push_back({"kid", kid});
  members.push_back({"epk", epk_json, true});
  for (const auto& [name, value] : binding)
    members.push_back({name, value});
  auto header = SAPHAN_TRY(detail::write_object(members));
  if (header.size() > max_protected_header_bytes) {
    return make_error(errc::invalid_argument, "jwe: protected header larger than " +
                                                  std::to_string(max_protected_header_bytes) +
                                                  " bytes");
  }
  return header;
}

}  // namespace

std::string concat_kdf_sha256(std::string_view z, std::string_view algorithm_id,
                              std::string_view apu, std::string_view apv, std::size_t key_bits) {
  constexpr std::size_t max_key_bits = 1024;
  if (key_bits == 0 || key_bits % 8 != 0 || key_bits > max_key_bits)
    return {};
  std::string other_info;
  append_length_prefixed(other_info, algorithm_id);
  append_length_prefixed(other_info, apu);
  append_length_prefixed(other_info, apv);
  append_be32(other_info, static_cast<std::uint32_t>(key_bits));
  std::string out;
  for (std::uint32_t round = 1; out.size() < key_bits / 8; ++round) {
    std::string counter;
    append_be32(counter, round);
    auto digest = sha256_hasher().update(counter).update(z).update(other_info).finish();
    out.append(digest.view());
    wipe_secret(digest.bytes.data(), digest.bytes.size());
  }
  out.resize(key_bits / 8);
  return out;
}

result<std::string> derive_x25519_shared_secret(const x25519_secret_key& secret,
                                                const x25519_public_key& peer) {
  shared_secret z;
  if (!agree(secret, peer, z))
    return bad("X25519 shared secret is all zero (low-order key)");
  return std::string(z.view());
}

result<std::string> encrypt_to(const x25519_public_key& recipient, std::string_view plaintext,
                               std::string_view kid, const header_members& binding) {
  if (plaintext.size() > max_plaintext_bytes) {
    return make_error(errc::payload_too_large, "jwe: plaintext larger than " +
                                                   std::to_string(max_plaintext_bytes) + " bytes");
  }
  // A fresh ephemeral key per message: the content key is never reused, so neither is an IV.
  encryption_key_pair ephemeral = generate_encryption_key();
  shared_secret z;
  if (!agree(ephemeral.secret_key, recipient, z)) {
    return make_error(errc::invalid_argument, "jwe: recipient key is a low-order X25519 point");
  }
  auto header = SAPHAN_TRY(build_header(ephemeral.public_key, kid, binding));
  std::string encoded = base64url_encode(header);
  content_key key = derive_content_key(z, {}, {});
  std::string iv = random_bytes(iv_bytes);
  auto box = SAPHAN_TRY(seal_gcm(key, iv, encoded, plaintext));
  return encoded + ".." + base64url_encode(iv) + "." + base64url_encode(box.ciphertext) + "." +
         base64url_encode(box.tag);
}

result<jwe_opened> decrypt(std::string_view jwe, const x25519_secret_key& key,
                           const header_members& expected_binding) {
  auto parts = SAPHAN_TRY(split_jwe(jwe));
  auto header = SAPHAN_TRY(parse_header(parts.header));
  auto raw = SAPHAN_TRY(decode_parts(parts));
  shared_secret z;
  if (!agree(key, header.epk, z))
    return bad("X25519 shared secret is all zero (low-order epk)");
  content_key cek = derive_content_key(z, header.apu, header.apv);
  auto plaintext =
      SAPHAN_TRY(open_gcm(cek, raw.iv, parts.header, raw.ciphertext, std::move(raw.tag)));
  // Checked only once the header is authenticated, so the answer reflects what was sent.
  auto bound = check_binding(header.info.members, expected_binding);
  if (!bound) {
    wipe_secret(plaintext.data(), plaintext.size());
    return bound.error();
  }
  return jwe_opened{std::move(plaintext), header.info.kid, header.info.members};
}

result<jwe_header_info> peek_jwe_header(std::string_view jwe) {
  auto parts = SAPHAN_TRY(split_jwe(jwe));
  auto header = SAPHAN_TRY(parse_header(parts.header));
  return header.info;
}

}  // namespace saphan::crypto
