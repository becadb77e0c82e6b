// The consent life cycle and the consent check. Everything here is pure: functions take the
// artefact and `now` and return a new artefact or an error, never touching storage or clocks.
//
// Decisions documented here:
// - revoke applies only to an `active` artefact (one step). A `requested` artefact that the
//   subject does not want is `reject`ed instead, so the history says "never agreed" rather than
//   "agreed, then withdrew". Revoking an active artefact whose window has passed is still allowed:
//   withdrawal must always be honoured and a revoked artefact is no more usable than an expired
//   one.
// - grant does not look at the window; an artefact granted after valid_until simply reads as
//   expired (effective_status) and check_consent refuses it.
// - record_use counts uses in `uses` and appends no "used" event, so the event history stays
//   bounded (at most three events); the per-use evidence lives in the evidence log.
#include "consent/consent.hpp"

#include <array>
#include <limits>

#include "consent/consent_rules.hpp"
#include "core/citizen_id.hpp"

namespace saphan {
namespace {

constexpr std::array<std::string_view, 5> status_names = {"requested", "active", "rejected",
                                                          "revoked", "expired"};
constexpr std::array<std::string_view, 6> event_names = {"requested", "granted", "rejected",
                                                         "revoked",   "expired", "used"};

// Echoing hostile input into an error detail must not make the detail unbounded.
std::string clip(std::string_view text) {
  constexpr std::size_t max_echo = 64;
  if (text.size() <= max_echo)
    return std::string(text);
  return std::string(text.substr(0, max_echo)) + "...";
}

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

bool is_lower_or_digit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_id_char(char c) {
  return is_lower_or_digit(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == ':' ||
         c == '-';
}

error invalid(std::string_view term, std::string_view rule) {
  return make_error(errc::invalid_argument, std::string(term) + ": " + std::string(rule));
}

result<void> check_text(std::string_view text, std::string_view term, std::size_t max) {
  if (text.empty())
    return invalid(term, "must not be empty");
  if (text.size() > max) {
    return invalid(term, "must be at most " + std::to_string(max) + " bytes");
  }
  for (char c : text) {
    if (is_control(c))
      return invalid(term, "must not contain control characters");
  }
  return ok();
}

// ^[a-z0-9][a-z0-9-]{0,63}$
result<void> check_purpose(std::string_view purpose) {
  const std::string_view rule = "must match ^[a-z0-9][a-z0-9-]{0,63}$";
  if (purpose.empty() || purpose.size() > 64 || !is_lower_or_digit(purpose.front())) {
    return invalid("purpose", rule);
  }
  for (char c : purpose) {
    if (!is_lower_or_digit(c) && c != '-')
      return invalid("purpose", rule);
  }
  return ok();
}

result<void> check_subject(std::string_view subject) {
  auto valid = validate_thai_id(subject);
  if (!valid)
    return make_error(errc::invalid_citizen_id, "subject: " + valid.error().detail);
  return ok();
}

result<void> check_consumer(const member_id& consumer) {
  auto valid = validate(consumer);
  if (!valid)
    return make_error(errc::invalid_member_id, "consumer " + valid.error().detail);
  return ok();
}

result<void> check_datasets(const std::vector<dataset_id>& datasets) {
  if (datasets.empty())
    return invalid("datasets", "at least one dataset is required");
  if (datasets.size() > consent_rules::max_datasets) {
    return invalid("datasets",
                   "at most " + std::to_string(consent_rules::max_datasets) + " allowed");
  }
  std::set<dataset_id> seen;
  for (std::size_t i = 0; i < datasets.size(); ++i) {
    const std::string where = "datasets[" + std::to_string(i) + "]";
    auto valid = validate(datasets[i]);
    if (!valid)
      return make_error(valid.code(), where + ": " + valid.error().detail);
    if (!seen.insert(datasets[i]).second) {
      return invalid(where, "duplicate dataset " + to_string(datasets[i]));
    }
  }
  return ok();
}

result<void> check_fields(const std::set<std::string>& fields) {
  if (fields.empty())
    return invalid("fields", "at least one field is required");
  if (fields.size() > consent_rules::max_fields) {
    return invalid("fields", "at most " + std::to_string(consent_rules::max_fields) + " allowed");
  }
  for (const auto& field : fields) {
    SAPHAN_TRY_VOID(check_text(field, "fields", consent_rules::max_field_length));
  }
  return ok();
}

result<void> check_window(timestamp from, timestamp until) {
  if (!(from < until))
    return invalid("valid_until", "must be later than valid_from");
  return ok();
}

result<void> check_max_uses(const std::optional<std::uint32_t>& max_uses) {
  if (max_uses && *max_uses == 0)
    return invalid("max_uses", "must be at least 1 when given");
  return ok();
}

error illegal(const consent_artefact& c, std::string_view action) {
  return make_error(
      errc::illegal_transition,
      "cannot " + std::string(action) + " a consent in state " + std::string(to_string(c.status)));
}

// The one shape of every life-cycle step: check the source state, append the event.
result<consent_artefact> step(const consent_artefact& c, consent_status from, consent_status to,
                              consent_event_type event, std::string_view action, timestamp now,
                              std::string actor) {
  if (c.status != from)
    return illegal(c, action);
  SAPHAN_TRY_VOID(consent_rules::validate_actor(actor));
  if (c.events.size() >= consent_rules::max_events) {
    return invalid("events", "history is full (" + std::to_string(consent_rules::max_events) + ")");
  }
  consent_artefact next = c;
  next.status = to;
  next.events.push_back(consent_event{event, now, std::move(actor)});
  return next;
}

// Status, window and uses: what must hold for any use, whoever asks.
result<void> check_usable(const consent_artefact& c, timestamp now) {
  switch (c.status) {
    case consent_status::requested:
      return make_error(errc::consent_not_active, "status: consent requested, not granted");
    case consent_status::rejected:
      return make_error(errc::consent_not_active, "status: consent was rejected");
    case consent_status::revoked:
      return make_error(errc::consent_revoked, "status: consent was revoked");
    case consent_status::expired:
      return make_error(errc::consent_expired, "status: consent has expired");
    case consent_status::active:
      break;
  }
  if (now >= c.valid_until) {
    return make_error(errc::consent_expired,
                      "validUntil: consent ended at " + format_rfc3339(c.valid_until));
  }
  if (now < c.valid_from) {
    return make_error(errc::consent_not_yet_valid,
                      "validFrom: consent starts at " + format_rfc3339(c.valid_from));
  }
  if (c.max_uses && c.uses >= *c.max_uses) {
    return make_error(errc::consent_exhausted,
                      "maxUses: all " + std::to_string(*c.max_uses) + " uses have been consumed");
  }
  return ok();
}

result<void> check_dataset_covered(const consent_artefact& c, const dataset_id& dataset) {
  for (const auto& covered : c.datasets) {
    if (covered == dataset)
      return ok();  // full id, version included
  }
  return make_error(errc::consent_mismatch,
                    "dataset: " + to_string(dataset) + " is not covered by the consent");
}

result<void> check_fields_covered(const consent_artefact& c, const std::set<std::string>& fields) {
  for (const auto& field : fields) {
    if (c.fields.count(field) == 0) {
      return make_error(errc::consent_mismatch,
                        "fields: '" + clip(field) + "' is not covered by the consent");
    }
  }
  return ok();
}

result<void> check_use_matches(const consent_artefact& c, const consent_use& use) {
  // The detail never echoes citizen ids: error details reach logs and other agencies.
  if (use.subject != c.subject) {
    return make_error(errc::consent_mismatch, "subject: consent was given by another subject");
  }
  if (use.consumer != c.consumer) {
    return make_error(errc::consent_mismatch, "consumer: consent was given to " +
                                                  to_string(c.consumer) + ", not " +
                                                  to_string(use.consumer));
  }
  SAPHAN_TRY_VOID(check_dataset_covered(c, use.dataset));
  if (use.purpose != c.purpose) {
    return make_error(errc::consent_mismatch, "purpose: consent is for '" + c.purpose + "', not '" +
                                                  clip(use.purpose) + "'");
  }
  return check_fields_covered(c, use.fields);
}

template <std::size_t N>
result<std::size_t> find_name(const std::array<std::string_view, N>& names, std::string_view text,
                              std::string_view what) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text)
      return i;
  }
  std::string expected;
  for (auto name : names)
    expected += (expected.empty() ? "" : ", ") + std::string(name);
  return invalid(what, "unknown value '" + clip(text) + "' (expected one of " + expected + ")");
}

}  // namespace

namespace consent_rules {

result<void> validate_id(const consent_id& id) {
  if (id.value.empty() || id.value.size() > max_consent_id_length) {
    return invalid("consent id", "length must be 1.." + std::to_string(max_consent_id_length));
  }
  for (char c : id.value) {
    if (!is_id_char(c))
      return invalid("consent id", "allowed characters are A-Z a-z 0-9 . _ : -");
  }
  return ok();
}

result<void> validate_actor(std::string_view actor) {
  return check_text(actor, "actor", max_actor_length);
}

result<void> validate_terms(const consent_terms& terms) {
  SAPHAN_TRY_VOID(check_subject(terms.subject));
  SAPHAN_TRY_VOID(check_consumer(terms.consumer));
  SAPHAN_TRY_VOID(check_datasets(terms.datasets));
  SAPHAN_TRY_VOID(check_purpose(terms.purpose));
  SAPHAN_TRY_VOID(check_fields(terms.fields));
  SAPHAN_TRY_VOID(check_window(terms.valid_from, terms.valid_until));
  SAPHAN_TRY_VOID(check_max_uses(terms.max_uses));
  SAPHAN_TRY_VOID(validate_reason(terms.reason));
  return check_text(terms.collection_method, "collection_method", max_collection_method_length);
}

result<void> validate_reason(std::string_view reason) {
  std::size_t characters = 0;
  for (std::size_t i = 0; i < reason.size(); ++i) {
    const auto u = static_cast<unsigned char>(reason[i]);
    // A citizen may be shown the reason on several lines; other control characters could hide
    // or reorder what is shown.
    if (is_control(reason[i]) && reason[i] != '\n')
      return invalid("reason", "must not contain control characters");
    if ((u & 0xC0) != 0x80)
      ++characters;  // each code point has exactly one byte that is not a continuation
  }
  if (characters > max_reason_characters) {
    return invalid("reason",
                   "must be at most " + std::to_string(max_reason_characters) + " characters");
  }
  return ok();
}

}  // namespace consent_rules

std::string_view to_string(consent_status status) noexcept {
  auto index = static_cast<std::size_t>(status);
  return index < status_names.size() ? status_names[index] : "unknown";
}

std::string_view to_string(consent_event_type type) noexcept {
  auto index = static_cast<std::size_t>(type);
  return index < event_names.size() ? event_names[index] : "unknown";
}

result<consent_status> parse_consent_status(std::string_view text) {
  auto index = SAPHAN_TRY(find_name(status_names, text, "status"));
  return static_cast<consent_status>(index);
}

result<consent_event_type> parse_consent_event_type(std::string_view text) {
  auto index = SAPHAN_TRY(find_name(event_names, text, "event"));
  return static_cast<consent_event_type>(index);
}

result<consent_artefact> request_consent(consent_id id, const consent_terms& terms, timestamp now,
                                         std::string actor) {
  SAPHAN_TRY_VOID(consent_rules::validate_id(id));
  SAPHAN_TRY_VOID(consent_rules::validate_terms(terms));
  SAPHAN_TRY_VOID(consent_rules::validate_actor(actor));
  consent_artefact c;
  c.id = std::move(id);
  c.subject = terms.subject;
  c.consumer = terms.consumer;
  c.datasets = terms.datasets;
  c.purpose = terms.purpose;
  c.fields = terms.fields;
  c.valid_from = terms.valid_from;
  c.valid_until = terms.valid_until;
  c.max_uses = terms.max_uses;
  c.collection_method = terms.collection_method;
  c.reason = terms.reason;
  c.status = consent_status::requested;
  c.events.push_back(consent_event{consent_event_type::requested, now, std::move(actor)});
  return c;
}

result<consent_artefact> grant(const consent_artefact& c, timestamp now, std::string actor) {
  return step(c, consent_status::requested, consent_status::active, consent_event_type::granted,
              "grant", now, std::move(actor));
}

result<consent_artefact> reject(const consent_artefact& c, timestamp now, std::string actor) {
  return step(c, consent_status::requested, consent_status::rejected, consent_event_type::rejected,
              "reject", now, std::move(actor));
}

result<consent_artefact> revoke(const consent_artefact& c, timestamp now, std::string actor) {
  return step(c, consent_status::active, consent_status::revoked, consent_event_type::revoked,
              "revoke", now, std::move(actor));
}

result<consent_artefact> expire(const consent_artefact& c, timestamp now) {
  if (c.status == consent_status::active && now < c.valid_until) {
    return make_error(errc::illegal_transition, "cannot expire a consent before its validUntil " +
                                                    format_rfc3339(c.valid_until));
  }
  return step(c, consent_status::active, consent_status::expired, consent_event_type::expired,
              "expire", now, "hub");
}

result<consent_artefact> record_use(const consent_artefact& c, timestamp now) {
  SAPHAN_TRY_VOID(check_usable(c, now));
  if (c.uses == std::numeric_limits<std::uint32_t>::max()) {
    return make_error(errc::consent_exhausted, "uses: the use counter is at its maximum");
  }
  consent_artefact next = c;
  ++next.uses;
  return next;
}

consent_status effective_status(const consent_artefact& c, timestamp now) {
  if (c.status == consent_status::active && now >= c.valid_until)
    return consent_status::expired;
  return c.status;
}

result<void> check_consent(const consent_artefact& c, const consent_use& use, timestamp now) {
  SAPHAN_TRY_VOID(check_usable(c, now));
  return check_use_matches(c, use);
}

}  // namespace saphan
