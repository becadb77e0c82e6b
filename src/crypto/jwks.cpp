#include "crypto/jwks.hpp"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <memory>

#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/jose_detail.hpp"

namespace saphan::crypto {
namespace {

struct pkey_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct ctx_free {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct md_ctx_free {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct bld_free {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct params_free {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct bn_free {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct sig_free {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

error bad(std::string detail) {
  ERR_clear_error();
  return make_error(errc::bad_signature, std::move(detail));
}

error invalid_key(std::string_view kid, std::string_view rule) {
  ERR_clear_error();
  return make_error(errc::invalid_argument,
                    "jwks: key '" + std::string(kid.substr(0, 64)) + "': " + std::string(rule));
}

std::string member_text(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : std::string();
}

result<std::string> decoded_member(const rapidjson::Value& v, const char* name,
                                   std::string_view kid) {
  auto decoded = base64url_decode(member_text(v, name));
  if (!decoded || decoded->empty())
    return invalid_key(kid, std::string(name) + ": not base64url");
  return decoded;
}

// Builds a public key from OSSL_PARAMs made by `fill`.
template <class Fill>
result<pkey_ptr> key_from_params(const char* type, std::string_view kid, Fill fill) {
  std::unique_ptr<OSSL_PARAM_BLD, bld_free> bld(OSSL_PARAM_BLD_new());
  if (!bld || !fill(bld.get()))
    return invalid_key(kid, "cannot build the key");
  std::unique_ptr<OSSL_PARAM, params_free> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, ctx_free> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return invalid_key(kid, "not a valid public key");
  }
  return pkey_ptr(key);
}

result<pkey_ptr> rsa_key(const rapidjson::Value& jwk, std::string_view kid) {
  auto n = SAPHAN_TRY(decoded_member(jwk, "n", kid));
  auto e = SAPHAN_TRY(decoded_member(jwk, "e", kid));
  std::unique_ptr<BIGNUM, bn_free> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                                                  static_cast<int>(n.size()), nullptr));
  std::unique_ptr<BIGNUM, bn_free> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                                                  static_cast<int>(e.size()), nullptr));
  if (!bn_n || !bn_e)
    return invalid_key(kid, "n or e: not a number");
  const int bits = BN_num_bits(bn_n.get());
  if (bits < min_rsa_bits || bits > max_rsa_bits)
    return invalid_key(kid, "RSA modulus must have 2048..8192 bits");
  return key_from_params("RSA", kid, [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
           OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1;
  });
}

result<pkey_ptr> p256_key(const rapidjson::Value& jwk, std::string_view kid) {
  if (member_text(jwk, "crv") != "P-256")
    return invalid_key(kid, "crv: only P-256");
  auto x = SAPHAN_TRY(decoded_member(jwk, "x", kid));
  auto y = SAPHAN_TRY(decoded_member(jwk, "y", kid));
  if (x.size() != 32 || y.size() != 32)
    return invalid_key(kid, "x and y: 32 bytes each");
  std::string point = "\x04" + x + y;
  return key_from_params("EC", kid, [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
           OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                            point.size()) == 1;
  });
}

result<pkey_ptr> ed25519_key(const rapidjson::Value& jwk, std::string_view kid) {
  if (member_text(jwk, "crv") != "Ed25519")
    return invalid_key(kid, "crv: only Ed25519");
  auto x = SAPHAN_TRY(decoded_member(jwk, "x", kid));
  if (x.size() != 32)
    return invalid_key(kid, "x: 32 bytes");
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size());
  if (key == nullptr)
    return invalid_key(kid, "not a valid Ed25519 key");
  return pkey_ptr(key);
}

// The JWK type an algorithm needs.
std::string_view kty_for(std::string_view alg) {
  if (alg == "RS256")
    return "RSA";
  if (alg == "ES256")
    return "EC";
  return "OKP";
}

// JOSE's ES256 signature is r || s (32 bytes each); OpenSSL verifies DER.
result<std::string> ecdsa_der(std::string_view raw) {
  if (raw.size() != 64)
    return bad("ES256 signature: must be 64 bytes");
  std::unique_ptr<ECDSA_SIG, sig_free> sig(ECDSA_SIG_new());
  auto* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  auto* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return bad("ES256 signature: cannot convert");
  }
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig.get(), &der);
  if (length <= 0)
    return bad("ES256 signature: cannot convert");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

result<void> verify_with(EVP_PKEY* key, std::string_view alg, std::string_view input,
                         std::string_view signature) {
  std::string der;
  if (alg == "ES256") {
    der = SAPHAN_TRY(ecdsa_der(signature));
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
  const EVP_MD* md = alg == "EdDSA" ? nullptr : EVP_sha256();
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key) != 1)
    return bad("cannot start verifying");
  if (alg == "RS256" && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
    return bad("cannot set RSA padding");
  const int verdict = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(input.data()), input.size());
  if (verdict != 1)
    return bad("signature does not verify");
  return ok();
}

result<pkey_ptr> key_of(const rapidjson::Value& jwk, std::string_view kid) {
  const auto kty = member_text(jwk, "kty");
  if (kty == "RSA")
    return rsa_key(jwk, kid);
  if (kty == "EC")
    return p256_key(jwk, kid);
  return ed25519_key(jwk, kid);
}

// The one key of `keys` that may verify a token with this alg and kid.
result<const rapidjson::Value*> pick_key(const rapidjson::Value& keys, std::string_view alg,
                                         const std::string& kid, bool header_has_kid) {
  const rapidjson::Value* found = nullptr;
  for (const auto& jwk : keys.GetArray()) {
    if (!jwk.IsObject() || member_text(jwk, "kty") != kty_for(alg))
      continue;
    const auto use = member_text(jwk, "use");
    const auto key_alg = member_text(jwk, "alg");
    if ((!use.empty() && use != "sig") || (!key_alg.empty() && key_alg != alg))
      continue;
    if (header_has_kid && member_text(jwk, "kid") != kid)
      continue;
    if (found != nullptr)
      return bad(header_has_kid ? "jwks: two keys with kid '" + kid.substr(0, 64) + "'"
                                : "jwks: several keys fit and the token names none (no kid)");
    found = &jwk;
  }
  if (found == nullptr)
    return bad("jwks: no " + std::string(alg) + " key" +
               (header_has_kid ? " with kid '" + kid.substr(0, 64) + "'" : std::string()));
  return found;
}

}  // namespace

result<verified_jws> verify_jws_with_jwks(std::string_view compact, std::string_view jwks_json,
                                          std::initializer_list<std::string_view> algorithms) {
  if (compact.size() > max_compact_jws_bytes)
    return make_error(errc::payload_too_large,
                      "token over " + std::to_string(max_compact_jws_bytes) + " bytes");
  if (jwks_json.size() > max_jwks_bytes)
    return make_error(errc::payload_too_large,
                      "jwks over " + std::to_string(max_jwks_bytes) + " bytes");
  auto parts = SAPHAN_TRY(detail::split_compact(compact, 3, errc::invalid_argument, "token"));
  auto header =
      SAPHAN_TRY(detail::parse_protected_header(parts[0], errc::invalid_argument, "token"));
  verified_jws out;
  out.alg = member_text(header, "alg");
  if (std::find(algorithms.begin(), algorithms.end(), out.alg) == algorithms.end())
    return bad("alg '" + out.alg.substr(0, 16) + "' is not accepted");
  const bool has_kid = header.HasMember("kid");
  const auto kid = member_text(header, "kid");
  auto payload = base64url_decode(parts[1]);
  auto signature = base64url_decode(parts[2]);
  if (!payload || !signature)
    return make_error(errc::invalid_argument, "token: payload or signature is not base64url");
  auto jwks = SAPHAN_TRY(parse_json(jwks_json, {max_jwks_bytes, 8}));
  auto keys = jwks.IsObject() ? jwks.FindMember("keys") : jwks.MemberEnd();
  if (!jwks.IsObject() || keys == jwks.MemberEnd() || !keys->value.IsArray() ||
      keys->value.Size() > max_jwks_keys) {
    return make_error(errc::malformed_json, "jwks: an object with keys, an array of at most " +
                                                std::to_string(max_jwks_keys));
  }
  const auto* jwk = SAPHAN_TRY(pick_key(keys->value, out.alg, kid, has_kid));
  out.kid = member_text(*jwk, "kid");
  auto key = SAPHAN_TRY(key_of(*jwk, out.kid));
  const auto input = compact.substr(0, parts[0].size() + 1 + parts[1].size());
  SAPHAN_TRY_VOID(verify_with(key.get(), out.alg, input, *signature));
  out.payload = std::move(*payload);
  return out;
}

}  // namespace saphan::crypto
