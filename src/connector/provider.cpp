#include "connector/provider.hpp"

#include "connectors/adapter.hpp"
#include "crypto/hash.hpp"
#include "crypto/jwe.hpp"
#include "crypto/jws.hpp"
#include "pki/member_signature.hpp"

namespace saphan::connector {
namespace {

rapidjson::Value string_ref(std::string_view text) {
  return rapidjson::Value(rapidjson::StringRef(text.data(), text.size()));
}

result<void> check_subject(const rapidjson::Value& record, std::string_view subject_field,
                           std::string_view subject) {
  auto it = record.FindMember(string_ref(subject_field));
  if (it == record.MemberEnd())
    return ok();  // the schema decides whether it must be there
  if (!it->value.IsString() ||
      std::string_view(it->value.GetString(), it->value.GetStringLength()) != subject) {
    // An adapter that answers with another person's record must never get it out of the door.
    return make_error(errc::provider_error, "record." + std::string(subject_field) +
                                                ": does not name the requested subject");
  }
  return ok();
}

result<rapidjson::Document> read_record(std::string_view text) {
  auto record = parse_json(text, {max_record_bytes, 32});
  if (!record)
    return make_error(errc::provider_error, "record from the adapter: " + record.error().detail);
  if (!record->IsObject())
    return make_error(errc::provider_error, "record from the adapter: not a JSON object");
  return record;
}

result<std::string> encrypt_record(const rapidjson::Document& record,
                                   const request_envelope& request) {
  auto reply = crypto::parse_x25519_public_jwk(request.reply_key);
  if (!reply)
    return make_error(errc::bad_encryption, "replyKey: " + reply.error().detail);
  auto jwe = crypto::encrypt_to(reply->key, write_json(record), reply->kid,
                                binding_members(binding_for(request)));
  if (!jwe)
    return make_error(errc::bad_encryption, "encrypting the record: " + jwe.error().detail);
  return jwe;
}

}  // namespace

crypto::header_members binding_members(const jwe_binding& binding) {
  return {{"rid", binding.request_id},
          {"cns", binding.consumer},
          {"prv", binding.provider},
          {"dst", binding.dataset}};
}

result<void> check_forwarded(const forwarded_request& forwarded, const request_envelope& request,
                             timestamp now, std::chrono::seconds freshness) {
  if (forwarded.grant.request_id != request.request_id) {
    return make_error(errc::bad_signature, "grant.requestId: does not name the forwarded request");
  }
  if (forwarded.grant.request_hash != crypto::sha256(forwarded.request).to_hex()) {
    return make_error(errc::bad_signature,
                      "grant.requestHash: not the SHA-256 of the forwarded request");
  }
  auto age = now - request.issued_at;
  if (age > freshness || -age > freshness) {
    return make_error(errc::stale_request, "issuedAt: " + format_rfc3339(request.issued_at) +
                                               " is more than " +
                                               std::to_string(freshness.count()) + " s away from " +
                                               format_rfc3339(now));
  }
  // The grant is for what the consumer asked: its purpose (which fixes the policy's fields and
  // pseudonymisation), and no field it did not list.
  if (forwarded.grant.purpose != request.purpose) {
    return make_error(errc::purpose_not_allowed, "grant.purpose: " + forwarded.grant.purpose +
                                                     " is not the requested " + request.purpose);
  }
  if (!request.fields.empty()) {
    for (const auto& f : forwarded.grant.fields) {
      if (request.fields.count(f) == 0) {
        return make_error(errc::field_not_allowed, "grant.fields: " + f + " was not requested");
      }
    }
  }
  return ok();
}

result<checked_forward> check_forwarded_request(std::string_view body,
                                                std::string_view hub_signature,
                                                const pki::trust_store& trust, const member_id& hub,
                                                timestamp now, std::chrono::seconds freshness) {
  if (hub_signature.empty())
    return make_error(errc::bad_signature, "X-Saphan-Signature: header is required");
  auto by_hub = pki::verify_member_signature(hub_signature, body, hub, now, trust);
  if (!by_hub)
    return make_error(by_hub.error().code, "hub signature: " + by_hub.error().detail);
  auto forwarded = SAPHAN_TRY(parse_forwarded_request(body));
  auto request = SAPHAN_TRY(parse_request_envelope(forwarded.request));
  // The hub relays and never consumes: an envelope in its own name, which its own certified key
  // signs, would have this connector encrypt a record to a reply key the hub chose.
  if (request.consumer == hub) {
    return make_error(
        errc::consumer_not_allowed,
        "consumer: " + to_string(hub) + " is the hub, which relays requests and makes none");
  }
  // The consumer's own signature, with the key of its own certificate, as of when it signed: what
  // the hub forwards cannot stand in for it.
  // The grant and freshness first: cheap, and a stale request is stale whoever signed it.
  SAPHAN_TRY_VOID(check_forwarded(forwarded, request, now, freshness));
  auto by_consumer = pki::verify_member_signature(forwarded.consumer_signature, forwarded.request,
                                                  request.consumer, request.issued_at, trust);
  if (!by_consumer) {
    return make_error(by_consumer.error().code,
                      "consumer signature: " + by_consumer.error().detail);
  }
  return checked_forward{std::move(forwarded), std::move(request)};
}

result<void> check_issued_since(const request_envelope& request, timestamp guard_start) {
  if (request.issued_at < guard_start) {
    return make_error(errc::stale_request, "issuedAt: " + format_rfc3339(request.issued_at) +
                                               " is before this provider started (" +
                                               format_rfc3339(guard_start) +
                                               "): it may have been served before the restart");
  }
  return ok();
}

result<rapidjson::Document> restrict_record(const rapidjson::Value& record,
                                            const std::set<std::string>& granted) {
  if (!record.IsObject())
    return make_error(errc::provider_error, "record: not a JSON object");
  rapidjson::Document out(rapidjson::kObjectType);
  auto& alloc = out.GetAllocator();
  for (auto m = record.MemberBegin(); m != record.MemberEnd(); ++m) {
    std::string name(m->name.GetString(), m->name.GetStringLength());
    if (granted.count(name) == 0)
      continue;
    out.AddMember(rapidjson::Value(m->name, alloc), rapidjson::Value(m->value, alloc), alloc);
  }
  return out;
}

std::string subject_pseudonym(std::string_view key, std::string_view dataset,
                              std::string_view subject) {
  std::string message;
  message.reserve(dataset.size() + 1 + subject.size());
  message.append(dataset).append("|").append(subject);
  return std::string(pseudonym_prefix) + crypto::hmac_sha256(key, message).to_hex();
}

void pseudonymise(rapidjson::Document& record, std::string_view subject_field,
                  std::string_view pseudonym) {
  if (!record.IsObject())
    return;
  auto it = record.FindMember(string_ref(subject_field));
  if (it == record.MemberEnd())
    return;
  it->value.SetString(pseudonym.data(), static_cast<rapidjson::SizeType>(pseudonym.size()),
                      record.GetAllocator());
}

result<sealed_answer> seal_record(std::string_view record_text, const forwarded_request& forwarded,
                                  const request_envelope& request, const record_schema& schema,
                                  std::string_view subject_field, const provider_keys& keys) {
  auto record = SAPHAN_TRY(read_record(record_text));
  SAPHAN_TRY_VOID(check_subject(record, subject_field, request.subject));
  SAPHAN_TRY_VOID(schema.validate(record));
  auto restricted = SAPHAN_TRY(restrict_record(record, forwarded.grant.fields));
  if (forwarded.grant.pseudonymise_subject) {
    pseudonymise(
        restricted, subject_field,
        subject_pseudonym(keys.pseudonym_key, to_string(request.dataset), request.subject));
  }
  auto ciphertext = SAPHAN_TRY(encrypt_record(restricted, request));
  provider_response response{request.request_id, forwarded.grant.request_hash,
                             std::move(ciphertext)};
  sealed_answer out;
  out.body = serialize(response);
  auto signature = keys.signer.sign(out.body);
  if (!signature)
    return make_error(errc::internal, "signing the answer: " + signature.error().detail);
  out.signature = std::move(*signature);
  return out;
}

}  // namespace saphan::connector
