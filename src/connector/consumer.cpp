#include "connector/consumer.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "connector/provider.hpp"
#include "connectors/adapter.hpp"
#include "core/citizen_id.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/jwe.hpp"
#include "crypto/jws.hpp"
#include "exchange/case_reference.hpp"
#include "net/problem.hpp"
#include "pki/member_signature.hpp"

namespace saphan::connector {
namespace {

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

bool all_zero(std::string_view text) {
  return text.find_first_not_of('0') == std::string_view::npos;
}

result<void> check_headers(const consumer_headers& h, const member_id& self) {
  SAPHAN_TRY_VOID(check_client(h.client, self));
  if (h.request_id.size() > max_header_text)
    return make_error(errc::invalid_argument, "X-Road headers: at most 256 characters");
  if (!h.request_id.empty() && !is_valid_request_id(h.request_id)) {
    return make_error(errc::invalid_argument, "X-Road-Id: 8..64 characters of A-Z a-z 0-9 - _");
  }
  // The officer and the case go into the evidence log: references only, checked here so that
  // the caller learns it before anything is signed or sent (the hub checks them again).
  if (!h.user_id.empty())
    SAPHAN_TRY_VOID(check_case_reference(user_id_header, h.user_id));
  if (!h.issue.empty())
    SAPHAN_TRY_VOID(check_case_reference(issue_header, h.issue));
  return ok();
}

result<std::optional<std::string>> bounded_optional(const json_object& obj, std::string_view name,
                                                    std::size_t max) {
  auto value = SAPHAN_TRY(obj.optional_string(name));
  if (value && (value->empty() || value->size() > max)) {
    return obj.fail(name, "1.." + std::to_string(max) + " characters");
  }
  return value;
}

result<void> read_body(std::string_view body, consumer_call& call) {
  constexpr std::size_t max_call_bytes = 64 * 1024;
  if (body.size() > max_call_bytes) {
    return make_error(errc::payload_too_large, "the query body is over 64 KiB");
  }
  auto doc = parse_json(body, {max_call_bytes, 8});
  if (!doc)
    return make_error(errc::malformed_body, doc.error().detail);
  if (!doc->IsObject())
    return make_error(errc::malformed_body, "body must be a JSON object");
  auto known = reject_unknown_members(
      *doc, "", {"subject", "purpose", "lawfulBasis", "consentId", "legalInstrument", "fields"});
  if (!known)
    return make_error(errc::malformed_body, known.error().detail);
  json_object obj(*doc, "", errc::malformed_body);

  auto subject = SAPHAN_TRY(obj.string("subject"));
  auto valid = validate_thai_id(subject);
  if (!valid)
    return make_error(errc::invalid_citizen_id, "subject: " + valid.error().detail);
  call.subject = subject;
  auto purpose = SAPHAN_TRY(obj.string("purpose"));
  if (!is_purpose_code(purpose))
    return obj.fail("purpose", "must match ^[a-z0-9][a-z0-9-]{0,63}$");
  call.purpose = purpose;
  auto basis_text = SAPHAN_TRY(obj.string("lawfulBasis"));
  auto basis = parse_lawful_basis(basis_text);
  if (!basis)
    return obj.fail("lawfulBasis", basis.error().detail);
  call.basis = *basis;
  auto consent = SAPHAN_TRY(bounded_optional(obj, "consentId", 128));
  call.consent_id = consent;
  auto instrument = SAPHAN_TRY(bounded_optional(obj, "legalInstrument", 200));
  call.legal_instrument = instrument;
  auto fields = SAPHAN_TRY(read_field_set(obj, "fields"));
  call.fields = std::move(fields);
  return ok();
}

error upstream(errc code, std::string detail) {
  return make_error(code, std::move(detail));
}

// Every record member must be one the hub granted: a provider sending more is caught here.
result<void> check_granted(const rapidjson::Value& record, const std::set<std::string>& granted) {
  if (!record.IsObject())
    return upstream(errc::schema_violation, "record: must be a JSON object");
  for (auto m = record.MemberBegin(); m != record.MemberEnd(); ++m) {
    std::string name(m->name.GetString(), m->name.GetStringLength());
    if (granted.count(name) == 0) {
      return upstream(errc::schema_violation,
                      "record." + name.substr(0, 64) + ": not a granted field");
    }
  }
  return ok();
}

result<void> check_schema(rapidjson::Document& record, const answer_schema& schema,
                          bool pseudonymised) {
  if (pseudonymised) {
    // The subject field holds "psn:<hex>", which its schema (e.g. thai-id) cannot accept.
    record.RemoveMember(rapidjson::Value(
        rapidjson::StringRef(schema.subject_field.data(), schema.subject_field.size())));
  }
  auto valid = schema.schema.validate(record);
  if (!valid)
    return upstream(errc::schema_violation, "record: " + valid.error().detail);
  return ok();
}

// A signature of `signer`, checked with the key of its x5c certificate by this connector's own
// trust store; the code of a refusal is kept (bad_signature, certificate_mismatch,
// certificate_revoked) and the detail says whose signature it was.
result<void> check_signed_by(std::string_view what, std::string_view signature,
                             std::string_view body, const member_id& signer,
                             const answer_trust& trust) {
  if (signature.empty())
    return upstream(errc::bad_signature, std::string(what) + ": unsigned");
  auto verified = pki::verify_member_signature(signature, body, signer, trust.now, trust.store);
  if (!verified)
    return upstream(verified.error().code, std::string(what) + ": " + verified.error().detail);
  return ok();
}

result<hub_response> verified_hub_response(std::string_view body, std::string_view signature,
                                           const answer_trust& trust) {
  SAPHAN_TRY_VOID(check_signed_by("hub answer", signature, body, trust.hub, trust));
  auto response = parse_hub_response(body, {4u << 20, 8});
  if (!response)
    return upstream(errc::bad_signature, "hub answer: " + response.error().detail);
  return response;
}

// Signed by the dataset's owner itself: the hub cannot stand in for the provider.
result<provider_response> verified_provider_response(const hub_response& hub,
                                                     const request_envelope& sent,
                                                     const answer_trust& trust) {
  SAPHAN_TRY_VOID(check_signed_by("provider answer", hub.provider_signature, hub.provider_body,
                                  sent.dataset.owner, trust));
  auto response = parse_provider_response(hub.provider_body, {4u << 20, 8});
  if (!response)
    return upstream(errc::bad_signature, "provider answer: " + response.error().detail);
  return response;
}

result<void> check_matches(const request_envelope& sent, std::string_view sent_bytes,
                           const hub_response& hub, const provider_response& provider) {
  auto hash = crypto::sha256(sent_bytes).to_hex();
  if (hub.request_id != sent.request_id || provider.request_id != sent.request_id) {
    return upstream(errc::bad_signature, "answer: requestId does not match the request sent");
  }
  if (provider.request_hash != hash || hub.evidence.request_hash != hash) {
    return upstream(errc::bad_signature, "answer: requestHash does not match the request sent");
  }
  if (hub.evidence.ciphertext_hash != crypto::sha256(provider.ciphertext).to_hex()) {
    return upstream(errc::bad_signature, "evidence.ciphertextHash does not match the ciphertext");
  }
  return ok();
}

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_member(json_writer& w, std::string_view name, std::string_view value) {
  w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace

result<void> check_client(std::string_view client, const member_id& self) {
  if (client.empty())
    return make_error(errc::invalid_argument, "X-Road-Client: header is required");
  if (client.size() > max_header_text)
    return make_error(errc::invalid_argument, "X-Road headers: at most 256 characters");
  auto id = parse_member_id(client);
  if (!id)
    return make_error(errc::invalid_argument, "X-Road-Client: " + id.error().detail);
  if (*id != self) {
    return make_error(errc::unknown_member, "X-Road-Client: " + std::string(client) +
                                                " is not the member this connector serves (" +
                                                to_string(self) + ")");
  }
  return ok();
}

result<dataset_id> parse_consumer_target(std::string_view target) {
  if (target.substr(0, consumer_path_prefix.size()) != consumer_path_prefix) {
    return make_error(errc::not_found, "no such endpoint (use POST /r1/<dataset id>)");
  }
  auto path = target.substr(consumer_path_prefix.size());
  path = path.substr(0, path.find('?'));
  auto decoded = crypto::percent_decode(path);
  if (!decoded)
    return make_error(errc::invalid_dataset_id, "dataset id: malformed percent-encoding");
  return parse_dataset_id(*decoded);
}

result<consumer_call> parse_consumer_call(std::string_view target, const consumer_headers& headers,
                                          std::string_view body, const member_id& self,
                                          std::string_view fresh_request_id) {
  auto dataset = SAPHAN_TRY(parse_consumer_target(target));
  SAPHAN_TRY_VOID(check_headers(headers, self));
  consumer_call call;
  call.dataset = dataset;
  call.request_id = headers.request_id.empty() ? std::string(fresh_request_id) : headers.request_id;
  call.user_id = headers.user_id;
  call.issue = headers.issue;
  SAPHAN_TRY_VOID(read_body(body, call));
  return call;
}

request_envelope build_envelope(const consumer_call& call, const member_id& self, timestamp now,
                                std::string reply_key_jwk) {
  request_envelope r;
  r.request_id = call.request_id;
  r.issued_at = now;
  r.consumer = self;
  r.dataset = call.dataset;
  r.purpose = call.purpose;
  r.basis = call.basis;
  r.consent_id = call.consent_id;
  r.legal_instrument = call.legal_instrument;
  r.subject = call.subject;
  r.fields = call.fields;
  r.reply_key = std::move(reply_key_jwk);
  r.user_id = call.user_id;
  r.issue = call.issue;
  return r;
}

bool is_valid_traceparent(std::string_view v) {
  // 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>, lower case, ids not all zero.
  if (v.size() != 55 || v[2] != '-' || v[35] != '-' || v[52] != '-')
    return false;
  auto version = v.substr(0, 2), trace = v.substr(3, 32), parent = v.substr(36, 16),
       flags = v.substr(53, 2);
  return version == "00" && is_lower_hex(trace) && is_lower_hex(parent) && is_lower_hex(flags) &&
         !all_zero(trace) && !all_zero(parent);
}

std::string choose_traceparent(std::string_view incoming, std::string_view random) {
  if (is_valid_traceparent(incoming))
    return std::string(incoming);
  auto trace = crypto::hex_encode(random.substr(0, 16));
  auto parent = crypto::hex_encode(random.substr(16, 8));
  if (trace.size() != 32 || all_zero(trace))
    trace =
        "0000000000000000000000000000000"
        "1";
  if (parent.size() != 16 || all_zero(parent))
    parent = "0000000000000001";
  return "00-" + trace + "-" + parent + "-01";
}

result<answer_schema> answer_schema_from_catalog(std::string_view body) {
  auto doc = SAPHAN_TRY(parse_json(body, {4u << 20, 32}));
  auto entry = SAPHAN_TRY(json_object::of(doc, "catalog entry", errc::invalid_schema));
  auto text = SAPHAN_TRY(entry.string("schemaText"));
  auto subject = SAPHAN_TRY(entry.string("subjectField"));
  auto schema_doc = parse_json(text, {4u << 20, 64});
  if (!schema_doc || !schema_doc->IsObject()) {
    return make_error(errc::invalid_schema, "catalog entry.schemaText: not a JSON object");
  }
  schema_doc->RemoveMember("required");
  auto compiled = SAPHAN_TRY(record_schema::compile(write_json(*schema_doc)));
  return answer_schema{std::move(compiled), std::move(subject)};
}

result<opened_answer> open_hub_answer(const request_envelope& sent, std::string_view sent_bytes,
                                      std::string_view body, std::string_view hub_signature,
                                      const answer_trust& trust, const answer_schema* schema) {
  auto hub = SAPHAN_TRY(verified_hub_response(body, hub_signature, trust));
  auto provider = SAPHAN_TRY(verified_provider_response(hub, sent, trust));
  SAPHAN_TRY_VOID(check_matches(sent, sent_bytes, hub, provider));
  auto opened =
      crypto::decrypt(provider.ciphertext, trust.reply_secret, binding_members(binding_for(sent)));
  if (!opened)
    return upstream(errc::bad_encryption, "ciphertext: " + opened.error().detail);
  auto record = parse_json(opened->plaintext, {max_record_bytes, 32});
  if (!record)
    return upstream(errc::schema_violation, "record: " + record.error().detail);
  SAPHAN_TRY_VOID(check_granted(*record, hub.evidence.granted_fields));
  opened_answer out;
  out.record_json = write_json(*record);
  if (schema != nullptr)
    SAPHAN_TRY_VOID(check_schema(*record, *schema, hub.evidence.pseudonymised));
  out.evidence = hub.evidence;
  out.request_id = hub.request_id;
  out.hub_signature = std::string(hub_signature);
  return out;
}

std::string format_consumer_answer(const opened_answer& a) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  w.Key("record");
  w.RawValue(a.record_json.data(), a.record_json.size(), rapidjson::kObjectType);
  w.Key("evidence");
  w.StartObject();
  write_member(w, "requestId", a.request_id);
  w.Key("decisionIndex");
  w.Int64(a.evidence.decision_index);
  w.Key("outcomeIndex");
  w.Int64(a.evidence.outcome_index);
  write_member(w, "requestHash", a.evidence.request_hash);
  write_member(w, "ciphertextHash", a.evidence.ciphertext_hash);
  w.Key("grantedFields");
  w.StartArray();
  for (const auto& f : a.evidence.granted_fields)
    w.String(f.data(), static_cast<rapidjson::SizeType>(f.size()));
  w.EndArray();
  w.Key("pseudonymised");
  w.Bool(a.evidence.pseudonymised);
  write_member(w, "hubSignature", a.hub_signature);
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string problem_with_status(const error& e, int status) {
  auto doc = parse_json(net::problem_json(e));
  if (!doc || !doc->IsObject())
    return net::problem_json(e);
  auto it = doc->FindMember("status");
  if (it != doc->MemberEnd())
    it->value.SetInt(status);
  return write_json(*doc);
}

}  // namespace saphan::connector
