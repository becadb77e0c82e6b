#include "demo/demo_init.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <map>
#include <system_error>
#include <vector>

#include "catalog/dataset.hpp"
#include "connector/config.hpp"
#include "connectors/sqlite/sqlite_writer.hpp"
#include "core/files.hpp"
#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/keys.hpp"
#include "crypto/pseudonym.hpp"
#include "demo/console_files.hpp"
#include "demo/demo_files.hpp"
#include "demo/synthetic.hpp"
#include "directory/member.hpp"
#include "hub/config.hpp"
#include "hub/directory.hpp"
#include "hub/registry_files.hpp"
#include "pki/pki.hpp"
#include "store/store.hpp"

namespace saphan::demo {

namespace fs = std::filesystem;

namespace {

constexpr std::array<demo_role, 5> roles{{
    {"DOPA", 1, 0},
    {"DBD", 2, 0},
    {"DOE", 3, 0},
    {"RTP", 4, 11, 16},
    {"JFO", 0, 10, 15},
}};

constexpr std::string_view incomplete_marker = ".saphan-demo-incomplete";
constexpr int ca_validity_days = 3650;
constexpr int certificate_validity_days = 825;
constexpr std::size_t max_config_files = 256;

result<demo_config> load_demo_config(const demo_options& options) {
  auto files = SAPHAN_TRY(
      hub::load_registry_files(options.config_dir, options.schemas_dir, max_config_files));
  if (files.members.empty()) {
    return make_error(errc::invalid_argument, options.config_dir + "/members: no member files");
  }
  return files;
}

// ---- Files and directories -----------------------------------------------------------------

result<void> make_dirs(const fs::path& dir,
                       fs::perms perms = fs::perms::owner_all | fs::perms::group_read |
                                         fs::perms::group_exec | fs::perms::others_read |
                                         fs::perms::others_exec) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec)
    fs::permissions(dir, perms, fs::perm_options::replace, ec);
  if (ec)
    return make_error(errc::io_error, dir.string() + ": " + ec.message());
  return ok();
}

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// Prepares DIR.tmp. A leftover of an interrupted init (it carries our marker) is removed; any
// other DIR.tmp is somebody's data and is left alone.
result<void> prepare_staging(const fs::path& staging) {
  std::error_code ec;
  if (path_exists(staging)) {
    if (!path_exists(staging / incomplete_marker)) {
      return make_error(errc::already_exists,
                        staging.string() + " exists and is not an unfinished demo; remove it");
    }
    fs::remove_all(staging, ec);
    if (ec)
      return make_error(errc::io_error, staging.string() + ": " + ec.message());
  }
  SAPHAN_TRY_VOID(make_dirs(staging));
  return write_file_atomic((staging / incomplete_marker).string(), "saphan demo init\n");
}

result<void> check_target(const fs::path& dir) {
  if (holds_demo(dir.string())) {
    return make_error(errc::already_exists, dir.string() + " already holds a demo");
  }
  std::error_code ec;
  if (!path_exists(dir))
    return ok();
  if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec) || ec) {
    return make_error(errc::already_exists,
                      dir.string() + " exists and is not an empty directory; choose another --dir");
  }
  return ok();
}

// ---- PKI and keys --------------------------------------------------------------------------

result<void> make_pki(const fs::path& root, const demo_config& config,
                      const progress_fn& progress) {
  const auto pki_dir = (root / "pki").string();
  auto ca = SAPHAN_TRY(pki::create_ca(pki_dir, "Saphan Demo CA", ca_validity_days));
  progress("  pki/ca.crt  demo certificate authority (SHA-256 " + ca.fingerprint.substr(0, 16) +
           "...)");
  // Its revocation list, empty for now: the hub and every connector load it beside ca.crt.
  SAPHAN_TRY_VOID(pki::revoke_certificates(pki_dir, {}, now_utc()));
  progress("  pki/ca.crl  its certificate revocation list (saphan ca revoke adds to it)");
  auto hub_id = SAPHAN_TRY(parse_member_id(hub_member_text));
  auto hub_cert =
      pki::issue_certificate(pki_dir, hub_id, pki_dir + "/hub", certificate_validity_days);
  if (!hub_cert)
    return std::move(hub_cert).error();
  progress("  pki/hub.crt  " + std::string(hub_member_text));
  // The demo's time-stamping authority (`saphan tsa serve --dir pki`), under the same CA.
  SAPHAN_TRY_VOID(pki::issue_tsa_certificate(pki_dir, "Saphan Demo TSA", pki_dir + "/tsa",
                                             certificate_validity_days));
  progress("  pki/tsa.crt  Saphan Demo TSA (RFC 3161, timestamps the evidence log)");
  SAPHAN_TRY_VOID(make_web_certificate(root, progress));
  for (const auto& m : config.members) {
    const auto slug = member_slug(m.id);
    auto cert =
        pki::issue_certificate(pki_dir, m.id, pki_dir + "/" + slug, certificate_validity_days);
    if (!cert)
      return std::move(cert).error();
    progress("  pki/" + slug + ".crt  " + to_string(m.id));
  }
  return ok();
}

// Writes a member's key files, has the demo CA certify its signing key (as `saphan ca issue
// --signing-key` does) and returns the public half to register at the hub. No encryption key:
// the consumer connector makes a fresh one for every request.
result<member_key> make_member_keys(const fs::path& root, const member_id& member, timestamp now) {
  const auto slug = member_slug(member);
  const auto keys_dir = root / "members" / slug / "keys";
  SAPHAN_TRY_VOID(make_dirs(keys_dir, fs::perms::owner_all));
  const std::string sig_kid = slug + "-sig-1";
  const auto signing = crypto::generate_signing_key();
  SAPHAN_TRY_VOID(
      crypto::write_private_key_file((keys_dir / "signing.jwk").string(), signing, sig_kid));
  SAPHAN_TRY_VOID(crypto::write_public_key_file((keys_dir / "signing.pub.jwk").string(),
                                                signing.public_key, sig_kid));
  SAPHAN_TRY_VOID(pki::issue_signing_certificate(
      (root / "pki").string(), member, signing.public_key.view(),
      (keys_dir / "signing.crt").string(), certificate_validity_days));
  SAPHAN_TRY_VOID(crypto::write_pseudonym_key_file((keys_dir / "pseudonym.key").string(),
                                                   crypto::generate_pseudonym_key()));
  return member_key{
      member,      sig_kid, key_use::signing, crypto::to_base64url(signing.public_key), now,
      timestamp{}, false};
}

// A member's TLS certificate as the directory registers it (by fingerprint, as `saphan admin
// add-key --use tls` does): the hub accepts only registered client certificates.
result<member_key> registered_tls_certificate(const fs::path& root, const member_id& member) {
  const auto path = (root / "pki" / (member_slug(member) + ".crt")).string();
  auto pem = SAPHAN_TRY(read_file(path, pki::max_pem_bytes));
  auto info = SAPHAN_TRY(pki::inspect_certificate_pem(pem));
  return member_key{member,          info.fingerprint, key_use::tls, pem,
                    info.not_before, info.not_after,   false};
}

// The hub directory, made as `saphan admin init` makes it (store, hub and log keys, pseudonym
// secret), opened so that registering the demo agencies is evidence too, like every registry
// change.
result<std::unique_ptr<store>> make_hub_directory(const fs::path& root, const std::string& store) {
  hub::hub_directory dir{(root / "hub").string()};
  dir.store = store;
  SAPHAN_TRY_VOID(hub::init_hub_directory(dir));
  // The CA certifies the hub's signing key too; the hub itself never holds the CA's key.
  auto hub_key = SAPHAN_TRY(crypto::read_ed25519_public_key_file(dir.hub_public_key()));
  auto hub_id = SAPHAN_TRY(parse_member_id(hub_member_text));
  SAPHAN_TRY_VOID(pki::issue_signing_certificate((root / "pki").string(), hub_id,
                                                 hub_key.key.view(), dir.hub_signing_certificate(),
                                                 certificate_validity_days));
  return hub::open_hub_store(dir, "demo-init");
}

// What `saphan admin apply` + `add-key` do, in one transaction.
result<void> register_everything(store& db, const demo_config& config,
                                 const std::vector<member_key>& keys) {
  return db.transaction([&](store& tx) -> result<void> {
    for (const auto& m : config.members)
      SAPHAN_TRY_VOID(tx.add_member(m));
    for (const auto& d : config.datasets)
      SAPHAN_TRY_VOID(tx.publish_dataset(d));
    for (const auto& k : keys)
      SAPHAN_TRY_VOID(tx.add_key(k));
    return ok();
  });
}

// ---- Provider data -------------------------------------------------------------------------

const std::vector<keyed_record>* records_for(const synthetic_data& data, std::string_view dataset) {
  if (dataset == "person")
    return &data.persons;
  if (dataset == "house-registration")
    return &data.house_registrations;
  if (dataset == "juristic-person")
    return &data.juristic_persons;
  if (dataset == "foreign-worker")
    return &data.foreign_workers;
  if (dataset == "criminal-record")
    return &data.criminal_records;
  return nullptr;
}

result<void> write_provider_data(const fs::path& root, const demo_config& config,
                                 const synthetic_data& data, const progress_fn& progress) {
  SAPHAN_TRY_VOID(make_dirs(root / "data"));
  for (const auto& m : config.members) {
    std::vector<connector::table_rows> tables;
    for (const auto* d : datasets_of(config, m.id)) {
      const auto* records = records_for(data, d->id.name);
      if (records == nullptr) {
        return make_error(errc::invalid_argument,
                          to_string(d->id) + ": the demo has no synthetic data for this dataset");
      }
      connector::table_rows table{
          to_snake_case(d->id.name), to_snake_case(d->subject_field), "record", {}};
      table.rows.reserve(records->size());
      for (const auto& r : *records)
        table.rows.emplace_back(r.key, r.json);
      tables.push_back(std::move(table));
    }
    if (tables.empty())
      continue;
    const auto path = (root / "data" / (member_slug(m.id) + ".db")).string();
    SAPHAN_TRY_VOID(connector::write_tables(path, tables));
    std::string summary;
    for (const auto& t : tables)
      summary += " " + t.table + "(" + std::to_string(t.rows.size()) + ")";
    progress("  data/" + member_slug(m.id) + ".db " + summary);
  }
  return ok();
}

result<void> write_schemas(const fs::path& root, const demo_config& config) {
  SAPHAN_TRY_VOID(make_dirs(root / "schemas"));
  for (const auto& d : config.datasets) {
    SAPHAN_TRY_VOID(write_file_atomic((root / "schemas" / schema_file_name(d)).string(), d.schema));
  }
  return ok();
}

result<std::vector<std::string>> write_connector_configs(const fs::path& root,
                                                         const demo_options& options,
                                                         const demo_config& config,
                                                         const progress_fn& progress) {
  std::vector<std::string> slugs;
  for (const auto& m : config.members) {
    auto role = find_demo_role(m.id.code);
    if (!role)
      continue;
    const auto folder = root / "members" / member_slug(m.id);
    if (role->consumer_offset != 0) {
      // The local API's bearer token: only a process that can read this file (its owner's)
      // may spend the member's consents.
      const auto token = crypto::base64url_encode(crypto::random_bytes(32));
      SAPHAN_TRY_VOID(
          write_file_atomic((folder / consumer_token_file).string(), token + "\n", 0600));
      progress("  members/" + member_slug(m.id) + "/" + std::string(consumer_token_file) +
               "  bearer token of its consumer API");
    }
    const auto path = folder / "connector.json";
    SAPHAN_TRY_VOID(
        write_file_atomic(path.string(), connector_config_json(options, config, m, *role)));
    // Parse it back with the connector's own parser, so a demo never ships a config the
    // connector would refuse.
    auto parsed = connector::read_connector_config(path.string());
    if (!parsed)
      return make_error(parsed.error().code, path.string() + ": " + parsed.error().detail);
    slugs.push_back(member_slug(m.id));
    progress("  members/" + member_slug(m.id) + "/connector.json");
  }
  return slugs;
}

result<void> build_demo(const fs::path& root, const demo_options& options,
                        const demo_config& config, const synthetic_data& data,
                        const progress_fn& progress) {
  progress("certificates (pki/)");
  SAPHAN_TRY_VOID(make_pki(root, config, progress));

  progress("member keys (signing Ed25519, certified by the CA)");
  const auto now = now_utc();
  std::vector<member_key> keys;
  for (const auto& m : config.members) {
    auto made = SAPHAN_TRY(make_member_keys(root, m.id, now));
    progress("  members/" + member_slug(m.id) + "/keys  " + made.key_id + " (signing.crt)");
    keys.push_back(std::move(made));
    keys.push_back(SAPHAN_TRY(registered_tls_certificate(root, m.id)));
  }

  progress("hub directory (store, keys, members, datasets, policies)");
  auto db = SAPHAN_TRY(make_hub_directory(root, options.store));
  SAPHAN_TRY_VOID(register_everything(*db, config, keys));
  progress("  registered " + std::to_string(config.members.size()) + " members, " +
           std::to_string(keys.size()) + " keys, published " +
           std::to_string(config.datasets.size()) + " datasets");
  const auto hub_json = (root / "hub" / "hub.json").string();
  SAPHAN_TRY_VOID(write_file_atomic(hub_json, hub_config_json(options, config)));
  auto hub_config = hub::load_hub_config(hub_json);
  if (!hub_config)
    return make_error(hub_config.error().code, hub_json + ": " + hub_config.error().detail);

  progress("provider data (SQLite)");
  SAPHAN_TRY_VOID(write_schemas(root, config));
  SAPHAN_TRY_VOID(write_provider_data(root, config, data, progress));

  progress("connector configurations");
  auto connectors = SAPHAN_TRY(write_connector_configs(root, options, config, progress));
  progress("auditor console, citizen portal and the demo OpenID provider");
  SAPHAN_TRY_VOID(make_dirs(root / "console", fs::perms::owner_all));
  SAPHAN_TRY_VOID(make_dirs(root / "oidc", fs::perms::owner_all));
  SAPHAN_TRY_VOID(write_console_files(root, options, data, progress));
  SAPHAN_TRY_VOID(make_dirs(root / "logs"));
  return write_file_atomic((root / "demo.env").string(), demo_env(options, data, connectors));
}

result<void> publish_staging(const fs::path& staging, const fs::path& dir) {
  std::error_code ec;
  fs::remove(staging / incomplete_marker, ec);
  if (ec)
    return make_error(errc::io_error, staging.string() + ": " + ec.message());
  fs::rename(staging, dir, ec);
  if (ec)
    return make_error(errc::io_error,
                      "rename " + staging.string() + " to " + dir.string() + ": " + ec.message());
  return ok();
}

}  // namespace

std::optional<demo_role> find_demo_role(std::string_view code) {
  for (const auto& r : roles) {
    if (r.code == code)
      return r;
  }
  return std::nullopt;
}

std::string member_slug(const member_id& member) {
  std::string slug;
  for (char c : member.code)
    slug.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return slug;
}

std::string to_snake_case(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      out.push_back('_');
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else {
      out.push_back(c == '-' || c == '.' ? '_' : c);
    }
  }
  return out;
}

result<void> validate_demo_options(const demo_options& options) {
  if (options.dir.empty())
    return make_error(errc::invalid_argument, "--dir is required");
  if (options.config_dir.empty())
    return make_error(errc::invalid_argument, "--config is required");
  if (options.schemas_dir.empty())
    return make_error(errc::invalid_argument, "--schemas is required");
  if (options.persons == 0 || options.persons > max_persons) {
    return make_error(errc::invalid_argument,
                      "--persons: must be between 1 and " + std::to_string(max_persons));
  }
  if (!options.store.empty() && !is_postgresql_location(options.store))
    return make_error(errc::invalid_argument, "--store: must be a postgresql:// URL");
  if (options.base_port < min_base_port || options.base_port > max_base_port) {
    return make_error(errc::invalid_argument, "--base-port: must be between " +
                                                  std::to_string(min_base_port) + " and " +
                                                  std::to_string(max_base_port));
  }
  return ok();
}

bool holds_demo(const std::string& dir) {
  return path_exists(fs::path(dir) / "demo.env");
}

result<void> init_demo(const demo_options& options, const progress_fn& progress) {
  SAPHAN_TRY_VOID(validate_demo_options(options));
  fs::path dir = fs::absolute(options.dir).lexically_normal();
  if (!dir.has_filename())
    dir = dir.parent_path();
  SAPHAN_TRY_VOID(check_target(dir));

  progress("configuration (" + options.config_dir + ")");
  auto config = SAPHAN_TRY(load_demo_config(options));
  progress("  " + std::to_string(config.members.size()) + " members, " +
           std::to_string(config.datasets.size()) + " datasets");

  progress("synthetic data: " + std::to_string(options.persons) + " persons (seed " +
           std::to_string(options.seed) + ")");
  auto data = SAPHAN_TRY(generate_synthetic_data({options.persons, options.seed}));
  progress("  " + std::to_string(data.juristic_persons.size()) + " juristic persons, " +
           std::to_string(data.foreign_workers.size()) + " foreign workers");

  const fs::path staging = dir.string() + ".tmp";
  SAPHAN_TRY_VOID(prepare_staging(staging));
  auto built = build_demo(staging, options, config, data, progress);
  if (built)
    built = publish_staging(staging, dir);
  if (!built) {
    std::error_code ec;
    fs::remove_all(staging, ec);  // best effort: the error that matters is `built`
    return built;
  }
  progress("demo ready in " + dir.string());
  return ok();
}

}  // namespace saphan::demo
