#include "crypto/jws.hpp"

#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/jose_detail.hpp"

namespace saphan::crypto {
namespace {

constexpr std::size_t ed25519_signature_bytes = 64;

error bad(std::string_view rule) {
  return make_error(errc::bad_signature, "jws: " + std::string(rule));
}

struct jws_parts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
};

result<jws_parts> split_jws_parts(std::string_view jws) {
  // A detached JWS is a header, two dots and an 86-character signature.
  constexpr std::size_t max_jws_chars = (max_protected_header_bytes * 4 + 2) / 3 + 2 + 86;
  if (jws.size() > max_jws_chars)
    return bad("larger than " + std::to_string(max_jws_chars) + " characters");
  auto parts = SAPHAN_TRY(detail::split_compact(jws, 3, errc::bad_signature, "jws"));
  return jws_parts{parts[0], parts[1], parts[2]};
}

// RFC 7515 section 4.1.6: a non-empty array of standard base64 (not base64url) DER certificates.
result<std::vector<std::string>> read_x5c(const rapidjson::Value& value) {
  if (!value.IsArray() || value.Empty() || value.Size() > max_x5c_certificates) {
    return bad("header member \"x5c\" must be an array of 1.." +
               std::to_string(max_x5c_certificates) + " certificates");
  }
  std::vector<std::string> chain;
  for (const auto& entry : value.GetArray()) {
    if (!entry.IsString() || entry.GetStringLength() > (max_x5c_certificate_bytes * 4 + 2) / 3 + 3)
      return bad("x5c: each entry must be a base64 certificate of at most 8 KiB");
    auto der = base64_decode(std::string_view(entry.GetString(), entry.GetStringLength()));
    if (!der || der->empty())
      return bad("x5c: an entry is not standard base64");
    chain.push_back(std::move(*der));
  }
  return chain;
}

// Reads the header fields a verifier relies on; "alg" is checked by the caller.
result<jws_header_info> read_header(const rapidjson::Document& header) {
  for (std::string_view refused : {"crit", "b64"}) {
    auto found = header.FindMember(rapidjson::StringRef(refused.data(), refused.size()));
    if (found != header.MemberEnd()) {
      return bad("header member \"" + std::string(refused) + "\" is not supported");
    }
  }
  jws_header_info info;
  if (auto kid = header.FindMember("kid"); kid != header.MemberEnd()) {
    if (!kid->value.IsString())
      return bad("header member \"kid\" must be a string");
    info.kid.assign(kid->value.GetString(), kid->value.GetStringLength());
  }
  info.members = detail::collect_string_members(header, {"alg", "kid"});
  if (auto x5c = header.FindMember("x5c"); x5c != header.MemberEnd())
    info.x5c = SAPHAN_TRY(read_x5c(x5c->value));
  return info;
}

result<void> check_algorithm(const rapidjson::Document& header) {
  auto alg = header.FindMember("alg");
  if (alg == header.MemberEnd() || !alg->value.IsString()) {
    return bad("header member \"alg\" is required and must be a string");
  }
  std::string_view name(alg->value.GetString(), alg->value.GetStringLength());
  if (name != jws_algorithm)
    return bad("algorithm \"" + std::string(name) + "\" is not accepted");
  return ok();
}

result<jws_header_info> parse_header(std::string_view encoded) {
  auto header = SAPHAN_TRY(detail::parse_protected_header(encoded, errc::bad_signature, "jws"));
  SAPHAN_TRY_VOID(check_algorithm(header));
  return read_header(header);
}

std::string signing_input(std::string_view header, std::string_view payload) {
  std::string input;
  input.reserve(header.size() + 1 + (payload.size() * 4 + 2) / 3);
  input.append(header).append(".").append(base64url_encode(payload));
  return input;
}

result<void> verify_signature(std::string_view encoded_header, std::string_view signature,
                              std::string_view payload, const ed25519_public_key& key) {
  if (payload.size() > max_jose_input_bytes) {
    return make_error(errc::payload_too_large, "jws: payload larger than " +
                                                   std::to_string(max_jose_input_bytes) + " bytes");
  }
  if (!verify_ed25519(signing_input(encoded_header, payload), signature, key))
    return bad("signature does not verify");
  return ok();
}

}  // namespace

result<std::string> encode_jws_header(std::string_view kid, const header_members& extra,
                                      const std::vector<std::string>& x5c) {
  SAPHAN_TRY_VOID(detail::check_extra_members(
      extra, {"alg", "kid", "crit", "b64", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256"}, "jws"));
  std::vector<detail::json_member> members = {{"alg", jws_algorithm}};
  if (!kid.empty())
    members.push_back({"kid", kid});
  for (const auto& [name, value] : extra)
    members.push_back({name, value});
  std::string chain;
  if (!x5c.empty()) {
    if (x5c.size() > max_x5c_certificates)
      return make_error(errc::invalid_argument, "jws: x5c holds too many certificates");
    chain = "[";
    for (const auto& der : x5c)
      chain += (chain.size() > 1 ? ",\"" : "\"") + base64_encode(der) + "\"";
    chain += "]";
    members.push_back({"x5c", chain, true});
  }
  auto header = SAPHAN_TRY(detail::write_object(members));
  if (header.size() > max_protected_header_bytes) {
    return make_error(errc::invalid_argument, "jws: protected header larger than " +
                                                  std::to_string(max_protected_header_bytes) +
                                                  " bytes");
  }
  return base64url_encode(header);
}

result<std::string> sign_with_header(std::string_view encoded_header, std::string_view payload,
                                     const ed25519_secret_key& key) {
  if (payload.size() > max_jose_input_bytes) {
    return make_error(errc::payload_too_large, "jws: payload larger than " +
                                                   std::to_string(max_jose_input_bytes) + " bytes");
  }
  const std::string signature = sign_ed25519(signing_input(encoded_header, payload), key);
  std::string jws;
  jws.reserve(encoded_header.size() + 2 + 86);
  jws.append(encoded_header).append("..").append(base64url_encode(signature));
  return jws;
}

result<std::string> sign_detached(std::string_view payload, const ed25519_secret_key& key,
                                  std::string_view kid, const header_members& extra,
                                  const std::vector<std::string>& x5c) {
  if (payload.size() > max_jose_input_bytes) {
    return make_error(errc::payload_too_large, "jws: payload larger than " +
                                                   std::to_string(max_jose_input_bytes) + " bytes");
  }
  auto encoded = SAPHAN_TRY(encode_jws_header(kid, extra, x5c));
  return sign_with_header(encoded, payload, key);
}

result<split_jws> split_detached_jws(std::string_view jws) {
  auto parts = SAPHAN_TRY(split_jws_parts(jws));
  if (!parts.payload.empty())
    return bad("payload part must be empty (detached payload)");
  auto signature = base64url_decode(parts.signature);
  if (!signature)
    return bad("signature: " + signature.error().detail);
  if (signature->size() != ed25519_signature_bytes)
    return bad("signature must be 64 bytes");
  return split_jws{parts.header, std::move(*signature)};
}

result<jws_header_info> read_jws_header(std::string_view encoded_header) {
  return parse_header(encoded_header);
}

result<void> verify_split(const split_jws& jws, std::string_view payload,
                          const ed25519_public_key& key) {
  return verify_signature(jws.encoded_header, jws.signature, payload, key);
}

result<parsed_jws> parse_jws(std::string_view jws) {
  auto split = SAPHAN_TRY(split_detached_jws(jws));
  parsed_jws parsed;
  parsed.header = SAPHAN_TRY(parse_header(split.encoded_header));
  parsed.encoded_header = split.encoded_header;
  parsed.signature = std::move(split.signature);
  return parsed;
}

result<void> verify_parsed(const parsed_jws& jws, std::string_view payload,
                           const ed25519_public_key& key) {
  return verify_signature(jws.encoded_header, jws.signature, payload, key);
}

result<jws_header_info> verify_detached(std::string_view jws, std::string_view payload,
                                        const ed25519_public_key& key) {
  if (payload.size() > max_jose_input_bytes) {
    return make_error(errc::payload_too_large, "jws: payload larger than " +
                                                   std::to_string(max_jose_input_bytes) + " bytes");
  }
  auto parsed = SAPHAN_TRY(parse_jws(jws));
  SAPHAN_TRY_VOID(verify_parsed(parsed, payload, key));
  return std::move(parsed.header);
}

result<jws_header_info> peek_jws_header(std::string_view jws) {
  auto parts = SAPHAN_TRY(split_jws_parts(jws));
  return parse_header(parts.header);
}

}  // namespace saphan::crypto
