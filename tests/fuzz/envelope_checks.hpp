// Checks of the exchange protocol's parsers (exchange/envelope.hpp) that several targets share:
// a parse either fails with a documented code or gives a message whose every field keeps its
// rule, and whose serialisation parses back to the same message and serialises to the same
// bytes.
#pragma once

#include <string>
#include <string_view>

#include "core/citizen_id.hpp"
#include "core/json.hpp"
#include "exchange/case_reference.hpp"
#include "exchange/envelope.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace saphan::fuzz {

// The limits the hub reads a consumer's envelope with (hub/exchange.cpp); the provider reads
// the one inside a forwarded request with the defaults.
inline constexpr json_limits hub_envelope_limits{1 << 20, 16};

inline void check_fields(const std::set<std::string>& fields) {
  FUZZ_CHECK(fields.size() <= 256);
  for (const auto& f : fields)
    FUZZ_CHECK(is_field_name(f));
}

// userId and issue (exchange/case_reference.hpp): absent (empty), or a reference matching
// ^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$ that holds no Thai citizen ID.
inline bool is_case_reference(std::string_view text) {
  if (text.empty())
    return true;
  auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (text.size() > 64 || !alnum(text[0]))
    return false;
  for (char c : text.substr(1)) {
    if (!alnum(c) && std::string_view("._:/#-").find(c) == std::string_view::npos)
      return false;
  }
  return !holds_thai_id(text);
}

inline bool same_reply_key(const std::string& a, const std::string& b) {
  if (a == b)
    return true;
  auto x = parse_json(a, {1 << 20, 64});
  auto y = parse_json(b, {1 << 20, 64});
  return x && y && same_json(*x, *y);
}

inline bool same_envelope(const request_envelope& a, const request_envelope& b) {
  return a.request_id == b.request_id && a.issued_at == b.issued_at && a.consumer == b.consumer &&
         a.dataset == b.dataset && a.purpose == b.purpose && a.basis == b.basis &&
         a.consent_id == b.consent_id && a.legal_instrument == b.legal_instrument &&
         a.subject == b.subject && a.fields == b.fields &&
         same_reply_key(a.reply_key, b.reply_key) && a.user_id == b.user_id && a.issue == b.issue;
}

inline void check_request_envelope(std::string_view body, json_limits limits) {
  auto r = parse_request_envelope(body, limits);
  if (!r) {
    FUZZ_CHECK_ERROR(r, errc::malformed_body, errc::payload_too_large, errc::invalid_member_id,
                     errc::invalid_dataset_id, errc::invalid_citizen_id);
    return;
  }
  FUZZ_CHECK(is_valid_request_id(r->request_id));
  FUZZ_CHECK(validate(r->consumer).has_value());
  FUZZ_CHECK(validate(r->dataset).has_value());
  FUZZ_CHECK(validate_thai_id(r->subject).has_value());
  FUZZ_CHECK(r->purpose.size() <= 64);
  FUZZ_CHECK(!r->consent_id || (!r->consent_id->empty() && r->consent_id->size() <= 128));
  FUZZ_CHECK(!r->legal_instrument ||
             (!r->legal_instrument->empty() && r->legal_instrument->size() <= 200));
  FUZZ_CHECK_MSG(is_case_reference(r->user_id), r->user_id);
  FUZZ_CHECK_MSG(is_case_reference(r->issue), r->issue);
  check_fields(r->fields);
  auto key = parse_json(r->reply_key, {1 << 20, 64});
  FUZZ_CHECK(key && key->IsObject());

  const auto binding = binding_for(*r);
  FUZZ_CHECK(binding.request_id == r->request_id);
  FUZZ_CHECK(binding.consumer == to_string(r->consumer));
  FUZZ_CHECK(binding.dataset == to_string(r->dataset));

  const std::string bytes = serialize(*r);
  auto again = parse_request_envelope(bytes, {1 << 20, 64});
  FUZZ_CHECK_MSG(again.has_value(), again ? std::string() : again.error().detail + "\n" + bytes);
  FUZZ_CHECK_MSG(same_envelope(*r, *again), bytes);
  if (again->reply_key == r->reply_key)
    FUZZ_CHECK_MSG(serialize(*again) == bytes, bytes);
}

}  // namespace saphan::fuzz
