// `saphan admin`: initialise a hub directory, register members, publish datasets.
// Every change is one store transaction, so a failure writes nothing.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "core/files.hpp"
#include "crypto/keys.hpp"
#include "hub/directory.hpp"
#include "hub/registry_files.hpp"
#include "pki/pki.hpp"

namespace saphan::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* admin_usage = R"(usage: saphan admin <command> [options]

Commands:
  init           --dir HUB                          create a hub directory (store and keys)
  add-member     --dir HUB --file MEMBER.json       register a member
  update-member  --dir HUB --file MEMBER.json       change a registered member (name, groups, ...)
  publish        --dir HUB --file DATASET.json [--schemas DIR]
                                                    publish a dataset (schema, metadata, policy)
  add-key        --dir HUB --member ID --use signing|tls --file FILE
                 [--not-before TIME] [--not-after TIME]
                                                    register a member's signing key (JWK, with
                                                    kid) or TLS certificate (PEM), valid between
                                                    the times (RFC 3339; a certificate's own
                                                    validity when not given)
  revoke-key     --dir HUB --member ID --kid KID    revoke a member's key from now on (a TLS
                                                    certificate's kid is its SHA-256)
  suspend-member --dir HUB --member ID              refuse the member at every endpoint
  resume-member  --dir HUB --member ID              end a suspension
  set-policy     --dir HUB --dataset ID --file POLICY.json
                                                    replace a dataset's access policy
  apply          --dir HUB --config DIR [--schemas DIR]
                                                    register DIR/members/*.json and publish
                                                    DIR/datasets/*.json, all or nothing
  list-members   --dir HUB
  list-datasets  --dir HUB
  show-dataset   --dir HUB --dataset ID

--schemas defaults to the schemas/ folder beside the config folder of the file.
Every change is logged in the evidence log. Run `saphan admin <command> --help` for one command.
)";

// The schemas/ folder beside a config folder: <config>/../schemas.
std::string sibling_schemas_dir(const fs::path& config_dir) {
  auto p = fs::absolute(config_dir).lexically_normal();
  if (!p.has_filename())
    p = p.parent_path();
  return (p.parent_path() / "schemas").string();
}

// config/datasets/x.json -> config/../schemas
std::string default_schemas_dir(const std::string& file) {
  return sibling_schemas_dir(fs::absolute(file).parent_path().parent_path());
}

result<std::unique_ptr<store>> open_admin_store(const parsed_args& args) {
  auto dir = SAPHAN_TRY(args.required("dir"));
  return hub::open_hub_store({dir});
}

result<void> cmd_init(const parsed_args& args) {
  auto dir = SAPHAN_TRY(args.required("dir"));
  SAPHAN_TRY_VOID(hub::init_hub_directory({dir}));
  std::printf("initialised hub directory %s\n", dir.c_str());
  return ok();
}

// add-member and update-member: the member file, then one audited store change.
result<void> change_member(const parsed_args& args, bool update) {
  auto file = SAPHAN_TRY(args.required("file"));
  auto member = SAPHAN_TRY(hub::load_member_file(file));
  auto db = SAPHAN_TRY(open_admin_store(args));
  SAPHAN_TRY_VOID(update ? db->update_member(member) : db->add_member(member));
  std::printf("%s %s\n", update ? "updated" : "registered", to_string(member.id).c_str());
  return ok();
}

result<void> cmd_add_member(const parsed_args& args) {
  return change_member(args, false);
}

result<void> cmd_update_member(const parsed_args& args) {
  return change_member(args, true);
}

result<void> cmd_publish(const parsed_args& args) {
  auto file = SAPHAN_TRY(args.required("file"));
  auto entry =
      hub::load_dataset_file(file, args.value("schemas").value_or(default_schemas_dir(file)));
  if (!entry)
    return std::move(entry).error();
  auto db = SAPHAN_TRY(open_admin_store(args));
  SAPHAN_TRY_VOID(db->publish_dataset(*entry));
  std::printf("published %s\n", to_string(entry->id).c_str());
  return ok();
}

// Reads a public JWK of the kind `use` names; returns the key as base64url and its kid.
result<std::pair<std::string, std::string>> read_public_jwk(const std::string& path, key_use use) {
  auto text = SAPHAN_TRY(read_file(path, crypto::max_jwk_bytes));
  if (use == key_use::signing) {
    auto jwk = crypto::parse_ed25519_public_jwk(text);
    if (!jwk)
      return make_error(jwk.error().code, path + ": " + jwk.error().detail);
    return std::pair{crypto::to_base64url(jwk->key), jwk->kid};
  }
  if (use == key_use::encryption) {
    auto jwk = crypto::parse_x25519_public_jwk(text);
    if (!jwk)
      return make_error(jwk.error().code, path + ": " + jwk.error().detail);
    return std::pair{crypto::to_base64url(jwk->key), jwk->kid};
  }
  return make_error(errc::invalid_argument, "--use: signing, encryption or tls");
}

// --member and --dataset, required and parsed.
result<member_id> member_option(const parsed_args& args) {
  return parse_required(args, "member", parse_member_id);
}

result<dataset_id> dataset_option(const parsed_args& args) {
  return parse_required(args, "dataset", parse_dataset_id);
}

// --<name> as an RFC 3339 time, or `fallback` when absent.
result<timestamp> time_option(const parsed_args& args, const std::string& name,
                              timestamp fallback) {
  auto text = args.value(name);
  if (!text)
    return fallback;
  auto t = parse_rfc3339(*text);
  if (!t)
    return make_error(errc::invalid_argument, "--" + name + ": " + t.error().detail);
  return *t;
}

// A TLS certificate file: registered by its SHA-256 fingerprint, which is what the hub looks a
// client up by; it must name the member it is registered for.
result<member_key> tls_key_of(const std::string& path, const member_id& member) {
  auto pem = SAPHAN_TRY(read_file(path, pki::max_pem_bytes));
  auto info = pki::inspect_certificate_pem(pem);
  if (!info)
    return make_error(info.error().code, path + ": " + info.error().detail);
  if (info->member != member) {
    return make_error(errc::invalid_argument,
                      path + ": the certificate names " + to_string(info->member));
  }
  return member_key{member,           info->fingerprint, key_use::tls, pem,
                    info->not_before, info->not_after,   false};
}

result<void> cmd_add_key(const parsed_args& args) {
  auto member = SAPHAN_TRY(member_option(args));
  auto use_text = SAPHAN_TRY(args.required("use"));
  auto use = parse_key_use(use_text);
  if (!use)
    return make_error(errc::invalid_argument, "--use: " + use.error().detail);
  auto file = SAPHAN_TRY(args.required("file"));
  member_key record;
  if (*use == key_use::tls) {
    record = SAPHAN_TRY(tls_key_of(file, member));
  } else {
    auto key = SAPHAN_TRY(read_public_jwk(file, *use));
    if (key.second.empty())
      return make_error(errc::invalid_argument, file + ": the JWK needs a kid");
    record = member_key{member, key.second, *use, key.first, now_utc(), timestamp{}, false};
  }
  record.not_before = SAPHAN_TRY(time_option(args, "not-before", record.not_before));
  record.not_after = SAPHAN_TRY(time_option(args, "not-after", record.not_after));
  if (record.not_after != timestamp{} && record.not_after <= record.not_before)
    return make_error(errc::invalid_argument, "--not-after: must be later than --not-before");
  auto db = SAPHAN_TRY(open_admin_store(args));
  SAPHAN_TRY_VOID(db->add_key(record));
  std::printf(
      "registered %s key %s of %s, valid %s to %s\n", use_text.c_str(), record.key_id.c_str(),
      to_string(member).c_str(), format_rfc3339(record.not_before).c_str(),
      record.not_after == timestamp{} ? "(no end)" : format_rfc3339(record.not_after).c_str());
  return ok();
}

// suspend-member / resume-member: the member's record with another status, logged as
// member.suspended / member.resumed.
result<void> set_member_status(const parsed_args& args, member_status status) {
  auto member = SAPHAN_TRY(member_option(args));
  auto db = SAPHAN_TRY(open_admin_store(args));
  auto record = SAPHAN_TRY(db->find_member(member));
  if (record.status == status) {
    return make_error(errc::conflict,
                      to_string(member) + " is already " + std::string(to_string(status)));
  }
  record.status = status;
  SAPHAN_TRY_VOID(db->update_member(record));
  std::printf("%s is %s\n", to_string(member).c_str(), std::string(to_string(status)).c_str());
  return ok();
}

result<void> cmd_suspend_member(const parsed_args& args) {
  return set_member_status(args, member_status::suspended);
}

result<void> cmd_resume_member(const parsed_args& args) {
  return set_member_status(args, member_status::active);
}

result<void> cmd_revoke_key(const parsed_args& args) {
  auto member = SAPHAN_TRY(member_option(args));
  auto kid = SAPHAN_TRY(args.required("kid"));
  auto db = SAPHAN_TRY(open_admin_store(args));
  SAPHAN_TRY_VOID(db->revoke_key(member, kid));
  std::printf("revoked key %s of %s\n", kid.c_str(), to_string(member).c_str());
  return ok();
}

result<void> cmd_set_policy(const parsed_args& args) {
  auto id = SAPHAN_TRY(dataset_option(args));
  auto file = SAPHAN_TRY(args.required("file"));
  auto doc = SAPHAN_TRY(read_json_file(file));
  auto policy = policy_from_json(doc);
  if (!policy)
    return make_error(policy.error().code, file + ": " + policy.error().detail);
  auto db = SAPHAN_TRY(open_admin_store(args));
  auto entry = SAPHAN_TRY(db->find_dataset(id));
  // The policy's fields must exist in the dataset's schema, as when publishing.
  auto fields = SAPHAN_TRY(schema_fields(entry.schema));
  for (const auto& grant : policy->grants) {
    for (const auto& rule : grant.purposes) {
      for (const auto& field : rule.fields) {
        if (fields.count(field) == 0) {
          return make_error(errc::invalid_policy,
                            file + ": purpose " + rule.purpose + ": unknown field " + field);
        }
      }
    }
  }
  SAPHAN_TRY_VOID(db->update_policy(id, *policy));
  std::printf("updated policy of %s\n", to_string(id).c_str());
  return ok();
}

result<void> cmd_apply(const parsed_args& args) {
  auto config = SAPHAN_TRY(args.required("config"));
  // Parse and check everything before touching the store.
  auto files = SAPHAN_TRY(hub::load_registry_files(
      config, args.value("schemas").value_or(sibling_schemas_dir(config))));
  const auto& members = files.members;
  const auto& datasets = files.datasets;
  auto db = SAPHAN_TRY(open_admin_store(args));
  store& s = *db;
  SAPHAN_TRY_VOID(s.transaction([&](store& tx) -> result<void> {
    for (const auto& m : members)
      SAPHAN_TRY_VOID(tx.add_member(m));
    for (const auto& d : datasets)
      SAPHAN_TRY_VOID(tx.publish_dataset(d));
    return ok();
  }));
  std::printf("registered %zu members, published %zu datasets\n", members.size(), datasets.size());
  return ok();
}

// A listing of the hub's registry: `list` reads the rows from the store, `print` prints each.
template <class List, class Print>
result<void> print_listing(const parsed_args& args, List list, Print print) {
  auto db = SAPHAN_TRY(open_admin_store(args));
  auto rows = SAPHAN_TRY(list(*db));
  for (const auto& row : rows)
    print(row);
  return ok();
}

result<void> cmd_list_members(const parsed_args& args) {
  return print_listing(
      args, [](store& s) { return s.list_members(); },
      [](const member_record& m) {
        std::printf("%-40s %-13s %s\n", to_string(m.id).c_str(),
                    std::string(to_string(m.clearance)).c_str(), m.name.c_str());
      });
}

result<void> cmd_list_datasets(const parsed_args& args) {
  return print_listing(
      args, [](store& s) { return s.list_datasets(); },
      [](const dataset_entry& d) {
        std::printf("%-60s %-13s %s\n", to_string(d.id).c_str(),
                    std::string(to_string(d.level)).c_str(), d.metadata.title.c_str());
      });
}

result<void> cmd_show_dataset(const parsed_args& args) {
  auto id = SAPHAN_TRY(dataset_option(args));
  auto db = SAPHAN_TRY(open_admin_store(args));
  auto entry = SAPHAN_TRY(db->find_dataset(id));
  std::printf("%s\n", dataset_to_json(entry).c_str());
  return ok();
}

const std::map<std::string, command_spec>& admin_commands() {
  static const std::map<std::string, command_spec> table = {
      {"init",
       {cmd_init,
        {"dir"},
        "--dir HUB\n\nCreates HUB with an empty store, the hub's signing key, the log signing key "
        "and the\npseudonym secret. Refuses a directory that already holds a hub; on failure it "
        "leaves\nnothing behind.\n"}},
      {"add-member",
       {cmd_add_member,
        {"dir", "file"},
        "--dir HUB --file MEMBER.json\n\nRegisters the member the file describes (see "
        "config/members/).\n"}},
      {"update-member",
       {cmd_update_member,
        {"dir", "file"},
        "--dir HUB --file MEMBER.json\n\nReplaces a registered member's name, groups and clearance "
        "with the file's.\n"}},
      {"publish",
       {cmd_publish,
        {"dir", "file", "schemas"},
        "--dir HUB --file DATASET.json [--schemas DIR]\n\nPublishes a dataset: its schema (from "
        "DIR), its DGA catalog metadata (all 14 fields\nrequired) and its access policy. A dataset "
        "id and version is published once.\n"}},
      {"add-key",
       {cmd_add_key,
        {"dir", "member", "use", "file", "not-before", "not-after"},
        "--dir HUB --member ID --use signing|tls --file FILE [--not-before TIME]\n"
        "                      [--not-after TIME]\n\nRegisters a member's signing key (a public "
        "JWK with a kid, certified by the CA:\nsaphan ca issue --signing-key) or TLS certificate "
        "(PEM, registered by its SHA-256,\nwhich is the only kind of client certificate the hub "
        "accepts for the member). The key\nis valid from --not-before (default now; a "
        "certificate's own notBefore) to --not-after\n(default none; a certificate's own "
        "notAfter), RFC 3339 times; outside that window it is\nrefused.\n"}},
      {"revoke-key",
       {cmd_revoke_key,
        {"dir", "member", "kid"},
        "--dir HUB --member ID --kid KID\n\nRevokes a member's key: signatures made with it are "
        "refused from now on.\n"}},
      {"suspend-member",
       {cmd_suspend_member,
        {"dir", "member"},
        "--dir HUB --member ID\n\nSuspends a member: the hub refuses it at every endpoint "
        "(member_suspended), and says\nso in the evidence log, until resume-member.\n"}},
      {"resume-member",
       {cmd_resume_member,
        {"dir", "member"},
        "--dir HUB --member ID\n\nEnds a member's suspension.\n"}},
      {"set-policy",
       {cmd_set_policy,
        {"dir", "dataset", "file"},
        "--dir HUB --dataset ID --file POLICY.json\n\nReplaces a dataset's access policy; every "
        "field it names must be in the schema.\n"}},
      {"apply",
       {cmd_apply,
        {"dir", "config", "schemas"},
        "--dir HUB --config DIR [--schemas DIR]\n\nRegisters DIR/members/*.json and publishes "
        "DIR/datasets/*.json in one transaction:\nall of them, or nothing when any file is "
        "bad.\n"}},
      {"list-members",
       {cmd_list_members,
        {"dir"},
        "--dir HUB\n\nLists registered members: id, clearance, name.\n"}},
      {"list-datasets",
       {cmd_list_datasets,
        {"dir"},
        "--dir HUB\n\nLists published datasets: id, classification, title.\n"}},
      {"show-dataset",
       {cmd_show_dataset,
        {"dir", "dataset"},
        "--dir HUB --dataset ID\n\nPrints a published dataset (metadata, policy, schema) as "
        "JSON.\n"}},
  };
  return table;
}

}  // namespace

int run_admin_command(const arguments& args) {
  return run_subcommand("admin", admin_commands(), admin_usage, args);
}

}  // namespace saphan::cli
