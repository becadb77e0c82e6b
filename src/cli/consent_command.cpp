// `saphan consent`: request, grant, reject, revoke, show and list consent artefacts.
// A transition is read, decided by the pure consent functions, and written back only if the
// stored status is still the one it was decided on.
#include <cstdio>
#include <map>
#include <sstream>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "crypto/keys.hpp"
#include "hub/consent_api.hpp"
#include "hub/consent_expiry.hpp"
#include "hub/directory.hpp"

namespace saphan::cli {
namespace {

constexpr const char* consent_usage = R"(usage: saphan consent <command> [options]

Commands:
  request  --dir HUB --subject CITIZEN_ID --consumer MEMBER --dataset ID [--dataset ID]...
           --purpose CODE --fields a,b,c (--until TIME | --days N) [--from TIME]
           [--max-uses N] [--method HOW] [--actor WHO]
           record a consent request; prints its id
  grant    --dir HUB --id CONSENT [--actor WHO]     the subject gives consent
  reject   --dir HUB --id CONSENT [--actor WHO]     the subject refuses
  revoke   --dir HUB --id CONSENT [--actor WHO]     withdraw consent (takes effect at once)
  show     --dir HUB --id CONSENT                   print the artefact as JSON
  list     --dir HUB [--subject ID] [--consumer MEMBER] [--status STATUS]
  expire   --dir HUB                                mark every consent past its validUntil expired
                                                    (the running hub does this every minute)

TIME is RFC 3339, e.g. 2027-01-31T00:00:00Z. --method defaults to "cli".
)";

result<std::set<std::string>> split_fields(const std::string& text) {
  std::set<std::string> fields;
  std::stringstream in(text);
  std::string field;
  while (std::getline(in, field, ',')) {
    if (field.empty())
      return make_error(errc::invalid_argument, "--fields: empty field name");
    fields.insert(field);
  }
  if (fields.empty())
    return make_error(errc::invalid_argument, "--fields: at least one field");
  return fields;
}

result<std::uint32_t> parse_count(const std::string& name, const std::string& text,
                                  std::uint32_t max) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return make_error(errc::invalid_argument, "--" + name + ": must be a whole number");
  }
  auto n = static_cast<std::uint32_t>(std::stoul(text));
  if (n == 0 || n > max) {
    return make_error(errc::invalid_argument,
                      "--" + name + ": must be between 1 and " + std::to_string(max));
  }
  return n;
}

result<std::unique_ptr<store>> open_store(const parsed_args& args) {
  auto dir = SAPHAN_TRY(args.required("dir"));
  return hub::open_hub_store({dir});
}

// The consumer must be registered, the datasets published, each field in one of them.
result<void> check_terms_against_catalog(store& s, const consent_terms& terms) {
  SAPHAN_TRY_VOID(s.find_member(terms.consumer));
  return hub::check_consent_against_catalog(s, terms);
}

result<consent_terms> terms_from_args(const parsed_args& args) {
  consent_terms terms;
  auto subject = SAPHAN_TRY(args.required("subject"));
  terms.subject = subject;
  auto consumer = SAPHAN_TRY(parse_required(args, "consumer", parse_member_id));
  terms.consumer = consumer;
  for (const auto& d : args.values("dataset")) {
    auto id = SAPHAN_TRY(parse_dataset_id(d));
    terms.datasets.push_back(id);
  }
  if (terms.datasets.empty())
    return make_error(errc::invalid_argument, "--dataset is required");
  auto purpose = SAPHAN_TRY(args.required("purpose"));
  terms.purpose = purpose;
  auto fields = SAPHAN_TRY(parse_required(args, "fields", split_fields));
  terms.fields = fields;

  terms.valid_from = now_utc();
  if (auto from = args.value("from")) {
    auto t = parse_rfc3339(*from);
    if (!t)
      return make_error(errc::invalid_argument, "--from: " + t.error().detail);
    terms.valid_from = *t;
  }
  if (auto until = args.value("until")) {
    auto t = parse_rfc3339(*until);
    if (!t)
      return make_error(errc::invalid_argument, "--until: " + t.error().detail);
    terms.valid_until = *t;
  } else if (auto days = args.value("days")) {
    auto n = SAPHAN_TRY(parse_count("days", *days, 3660));
    terms.valid_until = terms.valid_from + std::chrono::days(n);
  } else {
    return make_error(errc::invalid_argument, "--until or --days is required");
  }
  if (auto uses = args.value("max-uses")) {
    auto n = SAPHAN_TRY(parse_count("max-uses", *uses, 1000000));
    terms.max_uses = n;
  }
  terms.collection_method = args.value("method").value_or("cli");
  return terms;
}

result<void> cmd_request(const parsed_args& args) {
  auto terms = SAPHAN_TRY(terms_from_args(args));
  auto now = now_utc();
  auto artefact =
      SAPHAN_TRY(request_consent(consent_id{"cns-" + crypto::random_id()}, terms, now,
                                 args.value("actor").value_or(to_string(terms.consumer))));
  auto db = SAPHAN_TRY(open_store(args));
  SAPHAN_TRY_VOID(check_terms_against_catalog(*db, terms));
  SAPHAN_TRY_VOID(db->add_consent(artefact));
  std::printf("%s\n", artefact.id.value.c_str());
  return ok();
}

using transition_fn = result<consent_artefact> (*)(const consent_artefact&, timestamp, std::string);

result<void> apply_transition(const parsed_args& args, transition_fn transition, const char* verb) {
  auto id = SAPHAN_TRY(args.required("id"));
  auto db = SAPHAN_TRY(open_store(args));
  auto current = SAPHAN_TRY(db->find_consent(consent_id{id}));
  auto next =
      SAPHAN_TRY(transition(current, now_utc(), args.value("actor").value_or(current.subject)));
  SAPHAN_TRY_VOID(db->update_consent(next, current.status));
  std::printf("%s %s\n", verb, id.c_str());
  return ok();
}

result<void> cmd_grant(const parsed_args& args) {
  return apply_transition(args, grant, "granted");
}
result<void> cmd_reject(const parsed_args& args) {
  return apply_transition(args, reject, "rejected");
}
result<void> cmd_revoke(const parsed_args& args) {
  return apply_transition(args, revoke, "revoked");
}

result<void> cmd_show(const parsed_args& args) {
  auto id = SAPHAN_TRY(args.required("id"));
  auto db = SAPHAN_TRY(open_store(args));
  auto artefact = SAPHAN_TRY(db->find_consent(consent_id{id}));
  std::printf("%s\n", consent_to_json(artefact).c_str());
  return ok();
}

result<void> cmd_list(const parsed_args& args) {
  consent_filter filter;
  filter.subject = args.value("subject");
  if (auto consumer = args.value("consumer")) {
    auto id = SAPHAN_TRY(parse_member_id(*consumer));
    filter.consumer = id;
  }
  // --status is the status a consent has now: an active one past its validUntil is expired
  // even before the hub's sweep has stored that, so active and expired are sorted here.
  std::optional<consent_status> wanted;
  if (auto status = args.value("status")) {
    auto s = SAPHAN_TRY(parse_consent_status(*status));
    wanted = s;
    if (s != consent_status::active && s != consent_status::expired)
      filter.status = s;
  }
  auto db = SAPHAN_TRY(open_store(args));
  auto list = SAPHAN_TRY(db->list_consents(filter));
  auto now = now_utc();
  for (const auto& c : list) {
    const auto status = effective_status(c, now);
    if (wanted && status != *wanted)
      continue;
    std::printf("%s  %-9s  %s  %s  %s  until %s\n", c.id.value.c_str(),
                std::string(to_string(status)).c_str(), c.subject.c_str(),
                to_string(c.consumer).c_str(), c.purpose.c_str(),
                format_rfc3339(c.valid_until).c_str());
  }
  return ok();
}

result<void> cmd_expire(const parsed_args& args) {
  auto db = SAPHAN_TRY(open_store(args));
  auto done = SAPHAN_TRY(hub::expire_due_consents(*db, now_utc()));
  std::printf("expired %zu consents\n", done.expired);
  return ok();
}

const std::map<std::string, command_spec>& consent_commands() {
  static const std::map<std::string, command_spec> table = {
      {"request",
       {cmd_request,
        {"dir", "subject", "consumer", "dataset", "purpose", "fields", "from", "until", "days",
         "max-uses", "method", "actor"},
        "--dir HUB --subject CITIZEN_ID --consumer MEMBER --dataset ID [--dataset ID]...\n"
        "    --purpose CODE --fields a,b,c (--until TIME | --days N) [--from TIME]\n"
        "    [--max-uses N] [--method HOW] [--actor WHO]\n\n"
        "Records a consent request (status requested) and prints its id. The datasets must be\n"
        "published and every field must be in one of them. TIME is RFC 3339.\n"}},
      {"grant",
       {cmd_grant,
        {"dir", "id", "actor"},
        "--dir HUB --id CONSENT [--actor WHO]\n\nThe subject gives consent: requested -> "
        "active.\n"}},
      {"reject",
       {cmd_reject,
        {"dir", "id", "actor"},
        "--dir HUB --id CONSENT [--actor WHO]\n\nThe subject refuses: requested -> rejected.\n"}},
      {"revoke",
       {cmd_revoke,
        {"dir", "id", "actor"},
        "--dir HUB --id CONSENT [--actor WHO]\n\nWithdraws consent in one step: active -> revoked, "
        "refused from the next request on.\n"}},
      {"show",
       {cmd_show,
        {"dir", "id"},
        "--dir HUB --id CONSENT\n\nPrints the consent artefact as JSON (ISO/IEC TS 27560 field "
        "names).\n"}},
      {"list",
       {cmd_list,
        {"dir", "subject", "consumer", "status"},
        "--dir HUB [--subject ID] [--consumer MEMBER] [--status STATUS]\n\nLists consents with the "
        "status they have now (an active consent past its validUntil\nis listed as expired).\n"}},
      {"expire",
       {cmd_expire,
        {"dir"},
        "--dir HUB\n\nMarks every active consent past its validUntil expired, each with a "
        "consent.expired\nentry in the evidence log. The running hub does this itself "
        "(consentExpiryIntervalMs).\n"}},
  };
  return table;
}

}  // namespace

int run_consent_command(const arguments& args) {
  return run_subcommand("consent", consent_commands(), consent_usage, args);
}

}  // namespace saphan::cli
