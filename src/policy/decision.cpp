// The access decision. Pure: everything it needs arrives as parameters, nothing is looked up.
//
// Default deny, exactly one reason. The checks run in this fixed order and the first failure is
// the reason (the order is part of the contract: the evidence log and the tests rely on it):
//   1. the request names this dataset                            else unknown_dataset
//   2. the consumer's clearance reaches the dataset's level      else classification_not_permitted
//   3. some grant names the consumer or one of its groups        else consumer_not_allowed
//   4. a matching grant has a rule for the requested purpose     else purpose_not_allowed
//   5. every requested field is in that rule (none = all of them) else field_not_allowed
//   6. the rule accepts the requested lawful basis               else lawful_basis_not_allowed
//   7. for a basis other than consent: an instrument is named    else legal_instrument_required
//      and the rule accepts it                                   else legal_instrument_not_accepted
//   8. the grant's rate limit is not reached                     else rate_limited
//   9. for consent: a consent id is given                        else consent_required
//      the caller found that artefact                            else consent_not_found
//      check_consent accepts it for exactly the granted fields   else its own reason
// Grants are not merged: the first matching grant (in policy order) whose purposes include the
// requested one decides, so a policy author reads the outcome off the file from top to bottom.
#include "policy/decision.hpp"

#include <algorithm>

namespace saphan {
namespace {

constexpr std::string_view group_prefix = "group:";

access_decision deny(errc reason, std::string detail) {
  access_decision d;
  d.allowed = false;
  d.reason = reason;
  d.detail = std::move(detail);
  return d;
}

// Once a rule matched, the denial still names it: the evidence log records which purpose the
// consumer was refused under.
access_decision deny_for(const error& e, const purpose_rule& rule) {
  auto d = deny(e.code, e.detail);
  d.purpose = rule.purpose;
  return d;
}

bool names_consumer(const access_grant& grant, const access_request& request) {
  auto member = to_string(request.consumer);
  return std::any_of(grant.consumers.begin(), grant.consumers.end(), [&](const std::string& c) {
    if (c == member)
      return true;
    if (!c.starts_with(group_prefix))
      return false;
    auto group = std::string_view(c).substr(group_prefix.size());
    return std::find(request.consumer_groups.begin(), request.consumer_groups.end(), group) !=
           request.consumer_groups.end();
  });
}

struct matched_rule {
  const access_grant* grant = nullptr;
  const purpose_rule* rule = nullptr;
};

// Steps 3 and 4: the consumer must be named somewhere before the purpose is looked at, so that
// an unknown consumer learns nothing about which purposes exist.
result<matched_rule> match_rule(const access_request& request, const access_policy& policy) {
  bool consumer_named = false;
  for (const auto& grant : policy.grants) {
    if (!names_consumer(grant, request))
      continue;
    consumer_named = true;
    for (const auto& rule : grant.purposes) {
      if (rule.purpose == request.purpose)
        return matched_rule{&grant, &rule};
    }
  }
  if (!consumer_named) {
    return make_error(errc::consumer_not_allowed,
                      "consumer " + to_string(request.consumer) +
                          " is not named by any grant of this dataset (directly or by group)");
  }
  return make_error(errc::purpose_not_allowed,
                    "purpose: \"" + request.purpose + "\" is not granted to this consumer");
}

// Step 5.
result<std::set<std::string>> grant_fields(const access_request& request,
                                           const purpose_rule& rule) {
  if (request.fields.empty())
    return rule.fields;
  for (const auto& field : request.fields) {
    if (!rule.fields.contains(field)) {
      return make_error(errc::field_not_allowed,
                        "fields: \"" + field + "\" is not allowed for purpose " + rule.purpose);
    }
  }
  return request.fields;
}

// Steps 6 and 7.
result<void> check_basis(const access_request& request, const purpose_rule& rule) {
  if (!rule.bases.contains(request.basis)) {
    return make_error(errc::lawful_basis_not_allowed,
                      "basis: " + std::string(to_string(request.basis)) +
                          " is not accepted for purpose " + rule.purpose);
  }
  if (request.basis == lawful_basis::consent)
    return ok();
  if (!request.legal_instrument || request.legal_instrument->empty()) {
    return make_error(errc::legal_instrument_required, "legalInstrument: required for basis " +
                                                           std::string(to_string(request.basis)));
  }
  if (!rule.legal_instruments.contains(*request.legal_instrument)) {
    return make_error(
        errc::legal_instrument_not_accepted,
        "legalInstrument: not among the instruments accepted for purpose " + rule.purpose);
  }
  return ok();
}

// Step 8. `recent_requests` excludes this one, so the limit-th request in a window is refused
// only once `requests` have already gone through.
result<void> check_rate(const access_grant& grant, std::uint32_t recent_requests) {
  if (grant.rate.requests == 0 || recent_requests < grant.rate.requests)
    return ok();
  return make_error(errc::rate_limited,
                    "rate: " + std::to_string(grant.rate.requests) + " requests per " +
                        std::to_string(grant.rate.window_seconds) + " s already used");
}

// Step 9.
result<void> check_consent_step(const access_request& request, const consent_artefact* consent,
                                const std::set<std::string>& fields, timestamp now) {
  if (request.basis != lawful_basis::consent)
    return ok();
  if (!request.consent) {
    return make_error(errc::consent_required, "consent: basis is consent but no consent id given");
  }
  if (consent == nullptr || consent->id != *request.consent) {
    return make_error(errc::consent_not_found,
                      "consent: " + request.consent->value.substr(0, 128) + " not found");
  }
  consent_use use{request.subject, request.consumer, request.dataset, request.purpose, fields};
  return check_consent(*consent, use, now);
}

}  // namespace

access_decision decide(const access_request& request, const dataset_terms& dataset,
                       const consent_artefact* consent, timestamp now,
                       std::uint32_t recent_requests) {
  if (request.dataset != dataset.id) {
    return deny(errc::unknown_dataset, "dataset: request names " + to_string(request.dataset) +
                                           ", policy is for " + to_string(dataset.id));
  }
  if (request.consumer_clearance < dataset.level) {
    return deny(errc::classification_not_permitted,
                "classification: consumer cleared for " +
                    std::string(to_string(request.consumer_clearance)) + ", dataset is " +
                    std::string(to_string(dataset.level)));
  }
  auto match = match_rule(request, dataset.policy);
  if (!match)
    return deny(match.error().code, match.error().detail);
  const auto& rule = *match->rule;

  auto fields = grant_fields(request, rule);
  if (!fields)
    return deny_for(fields.error(), rule);
  if (auto basis = check_basis(request, rule); !basis)
    return deny_for(basis.error(), rule);
  if (auto rate = check_rate(*match->grant, recent_requests); !rate) {
    return deny_for(rate.error(), rule);
  }
  if (auto c = check_consent_step(request, consent, *fields, now); !c) {
    return deny_for(c.error(), rule);
  }

  access_decision d;
  d.allowed = true;
  d.granted_fields = std::move(*fields);
  d.pseudonymise_subject = rule.pseudonymise_subject;
  d.purpose = rule.purpose;
  return d;
}

}  // namespace saphan
