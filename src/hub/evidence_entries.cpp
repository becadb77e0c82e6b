#include "hub/evidence_entries.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace saphan::hub {
namespace {

class entry_writer {
 public:
  entry_writer() : writer_(buffer_) { writer_.StartObject(); }

  entry_writer& text(std::string_view name, std::string_view value) {
    key(name);
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  entry_writer& number(std::string_view name, std::int64_t value) {
    key(name);
    writer_.Int64(value);
    return *this;
  }
  entry_writer& flag(std::string_view name, bool value) {
    key(name);
    writer_.Bool(value);
    return *this;
  }
  entry_writer& list(std::string_view name, const std::set<std::string>& values) {
    key(name);
    writer_.StartArray();
    for (const auto& v : values)
      writer_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    writer_.EndArray();
    return *this;
  }
  std::string finish() {
    writer_.EndObject();
    return std::string(buffer_.GetString(), buffer_.GetSize());
  }

 private:
  void key(std::string_view name) {
    writer_.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  }
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace

log_append rejection_entry(const rejection_facts& f) {
  const std::string_view kind = f.endpoint.empty() ? "exchange.rejected" : "access.refused";
  entry_writer w;
  w.text("kind", kind).text("receivedAt", format_rfc3339(f.received_at)).text("peer", f.peer);
  if (!f.endpoint.empty())
    w.text("endpoint", f.endpoint.substr(0, 128));
  w.text("requestId", f.request_id)
      .text("requestHash", f.request_hash)
      .text("reason", to_string(f.reason.code))
      .text("detail", f.reason.detail.substr(0, 200));
  log_terms terms;
  terms.at = f.received_at;
  terms.kind = std::string(kind);
  terms.request_id = f.request_id.substr(0, 128);
  terms.consumer = f.peer.substr(0, 128);
  terms.status = to_string(f.reason.code);
  return {w.finish(), std::move(terms)};
}

log_append throttle_entry(const throttle_facts& f) {
  entry_writer w;
  w.text("kind", "admission.throttled")
      .text("from", format_rfc3339(f.from))
      .text("until", format_rfc3339(f.until))
      .text("peer", f.peer)
      .number("refused", static_cast<std::int64_t>(f.refused));
  log_terms terms;
  terms.at = f.until;
  terms.kind = "admission.throttled";
  terms.consumer = f.peer.substr(0, 128);
  terms.status = to_string(errc::rate_limited);
  return {w.finish(), std::move(terms)};
}

log_append decision_entry(const decision_facts& f) {
  const auto& r = *f.request;
  const auto& d = *f.decision;
  entry_writer w;
  w.text("kind", "exchange.decision")
      .text("receivedAt", format_rfc3339(f.received_at))
      .text("requestId", r.request_id)
      .text("issuedAt", format_rfc3339(r.issued_at))
      .text("consumer", to_string(r.consumer))
      .text("provider", to_string(r.dataset.owner))
      .text("dataset", to_string(r.dataset))
      .text("purpose", r.purpose)
      .text("lawfulBasis", to_string(r.basis))
      .text("consentId", r.consent_id.value_or(""))
      .text("legalInstrument", r.legal_instrument.value_or(""))
      .text("subject", f.subject_pseudonym)
      .list("fieldsRequested", r.fields)
      .list("fieldsGranted", d.granted_fields)
      .flag("pseudonymised", d.pseudonymise_subject)
      .text("decision", d.allowed ? "allow" : "deny")
      .text("reason", d.allowed ? "" : to_string(d.reason))
      .text("requestHash", f.request_hash)
      .text("userId", r.user_id)
      .text("issue", r.issue);
  log_terms terms;
  terms.at = f.received_at;
  terms.kind = "exchange.decision";
  terms.request_id = r.request_id;
  terms.consumer = to_string(r.consumer);
  terms.provider = to_string(r.dataset.owner);
  terms.dataset = to_string(r.dataset);
  terms.status = d.allowed ? "allow" : to_string(d.reason);
  terms.subject = f.subject_pseudonym;
  return {w.finish(), std::move(terms)};
}

log_append outcome_entry(const outcome_facts& f) {
  entry_writer w;
  w.text("kind", "exchange.outcome")
      .text("at", format_rfc3339(f.at))
      .text("requestId", f.request_id)
      .number("decisionIndex", f.decision_index)
      .text("status", f.failure ? to_string(f.failure->code) : "ok")
      .text("ciphertextHash", f.ciphertext_hash)
      .number("providerMicros", f.provider_micros)
      .number("totalMicros", f.total_micros);
  log_terms terms;
  terms.at = f.at;
  terms.kind = "exchange.outcome";
  terms.request_id = f.request_id;
  terms.consumer = f.consumer;
  terms.provider = f.provider;
  terms.dataset = f.dataset;
  terms.status = f.failure ? to_string(f.failure->code) : "ok";
  terms.subject = f.subject_pseudonym;
  return {w.finish(), std::move(terms)};
}

}  // namespace saphan::hub
