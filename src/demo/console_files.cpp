#include "demo/console_files.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "console/config.hpp"
#include "core/files.hpp"
#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/keys.hpp"
#include "pki/pki.hpp"

namespace saphan::demo {
namespace {

namespace fs = std::filesystem;
using pretty_writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

constexpr int web_certificate_days = 365;
constexpr std::size_t demo_citizens = 3;

struct demo_console {
  const char* file;  // console/<file>.json
  const char* mode;
  const char* member;
  const char* member_slug;  // pki/<slug>.crt
  const char* client_id;
  int offset;
};

constexpr demo_console consoles[] = {
    {"auditor", "auditor", "TH/GOV/OAG/audit", "oag", "saphan-auditor-console",
     auditor_console_offset},
    {"portal", "citizen", "TH/GOV/DGA/citizen-portal", "dga", "saphan-citizen-portal",
     citizen_portal_offset},
};

struct demo_user {
  std::string login, password, sub, name, citizen_id;
  bool auditor = false;
};

std::string url_at(const demo_options& o, int offset) {
  return "https://127.0.0.1:" + std::to_string(o.base_port + offset);
}

std::string secret() {
  return crypto::base64url_encode(crypto::random_bytes(24));
}

void put(pretty_writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string console_json(const demo_console& c, const demo_options& o) {
  rapidjson::StringBuffer buffer;
  pretty_writer w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  put(w, "mode", c.mode);
  put(w, "member", c.member);
  put(w, "listen", "127.0.0.1:" + std::to_string(o.base_port + c.offset));
  put(w, "publicUrl", url_at(o, c.offset));
  w.Key("web");
  w.StartObject();
  put(w, "certificate", "../pki/web.crt");
  put(w, "key", "../pki/web.key");
  put(w, "assets", o.source_dir + "/src/console/web");
  put(w, "chartScript",
      o.source_dir + "/tools/console-assets/node_modules/chart.js/dist/chart.umd.js");
  w.EndObject();
  w.Key("hub");
  w.StartObject();
  put(w, "url", "https://127.0.0.1:" + std::to_string(o.base_port));
  put(w, "member", hub_member_text);
  w.EndObject();
  w.Key("tls");
  w.StartObject();
  put(w, "certificate", std::string("../pki/") + c.member_slug + ".crt");
  put(w, "key", std::string("../pki/") + c.member_slug + ".key");
  put(w, "ca", "../pki/ca.crt");
  w.EndObject();
  w.Key("oidc");
  w.StartObject();
  put(w, "issuer", url_at(o, oidc_offset));
  put(w, "clientId", c.client_id);
  put(w, "clientSecretFile", std::string(c.file) + "-client.secret");
  put(w, "ca", "../pki/ca.crt");
  w.EndObject();
  w.Key("session");
  w.StartObject();
  w.Key("idleMinutes");
  w.Int(15);
  w.Key("absoluteMinutes");
  w.Int(480);
  w.EndObject();
  if (std::string_view(c.mode) == "auditor")
    put(w, "logKey", "../hub/keys/log-signing.pub.jwk");
  w.EndObject();
  return std::string(buffer.GetString()) + "\n";
}

std::string clients_json(const demo_options& o, const std::vector<std::string>& secrets) {
  rapidjson::StringBuffer buffer;
  pretty_writer w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("clients");
  w.StartArray();
  for (std::size_t i = 0; i < std::size(consoles); ++i) {
    const auto base = url_at(o, consoles[i].offset);
    w.StartObject();
    put(w, "client_id", consoles[i].client_id);
    put(w, "client_secret", secrets[i]);
    w.Key("redirect_uris");
    w.StartArray();
    w.String((base + "/auth/callback").c_str());
    w.EndArray();
    w.Key("post_logout_redirect_uris");
    w.StartArray();
    w.String((base + "/").c_str());
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString()) + "\n";
}

// The person's Thai name from their synthetic civil-registry record.
std::string person_name(const keyed_record& person) {
  auto doc = parse_json(person.json);
  if (!doc || !doc->IsObject())
    return person.key;
  auto text = [&](const char* k) {
    auto it = doc->FindMember(k);
    return it != doc->MemberEnd() && it->value.IsString() ? std::string(it->value.GetString()) : "";
  };
  auto name = text("firstNameTh") + " " + text("lastNameTh");
  return name.size() > 1 ? name : person.key;
}

std::vector<demo_user> make_users(const synthetic_data& data) {
  std::vector<demo_user> users;
  for (int i = 1; i <= 2; ++i) {
    users.push_back({"auditor" + std::to_string(i), secret().substr(0, 12),
                     "auditor-" + std::to_string(i), "Demo Auditor " + std::to_string(i), "",
                     true});
  }
  for (std::size_t i = 0; i < demo_citizens && i < data.persons.size(); ++i) {
    const auto& p = data.persons[i];
    users.push_back({"citizen" + std::to_string(i + 1), secret().substr(0, 12), "citizen-" + p.key,
                     person_name(p), p.key, false});
  }
  return users;
}

std::string users_json(const std::vector<demo_user>& users) {
  rapidjson::StringBuffer buffer;
  pretty_writer w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("users");
  w.StartArray();
  for (const auto& u : users) {
    w.StartObject();
    put(w, "login", u.login);
    put(w, "password", u.password);
    put(w, "sub", u.sub);
    put(w, "name", u.name);
    if (!u.citizen_id.empty())
      put(w, "citizen_id", u.citizen_id);
    if (u.auditor) {
      w.Key("roles");
      w.StartArray();
      w.String("auditor");
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString()) + "\n";
}

}  // namespace

result<void> make_web_certificate(const fs::path& root, const progress_fn& progress) {
  const auto pki_dir = (root / "pki").string();
  auto issued = pki::issue_web_certificate(pki_dir, "Saphan demo web", pki_dir + "/web",
                                           web_certificate_days);
  if (!issued)
    return std::move(issued).error();
  progress(
      "  pki/web.crt  HTTPS of the console, the portal and the OpenID provider (127.0.0.1, "
      "localhost)");
  return ok();
}

result<void> write_console_files(const fs::path& root, const demo_options& options,
                                 const synthetic_data& data, const progress_fn& progress) {
  std::vector<std::string> secrets;
  for (const auto& c : consoles) {
    secrets.push_back(secret());
    const auto dir = root / "console";
    SAPHAN_TRY_VOID(write_file_atomic((dir / (std::string(c.file) + "-client.secret")).string(),
                                      secrets.back() + "\n", 0600));
    const auto path = (dir / (std::string(c.file) + ".json")).string();
    SAPHAN_TRY_VOID(write_file_atomic(path, console_json(c, options)));
    // Parsed back with the console's own parser: a demo never ships a config it would refuse.
    auto parsed = console::read_console_config(path);
    if (!parsed)
      return make_error(parsed.error().code, path + ": " + parsed.error().detail);
    progress("  console/" + std::string(c.file) + ".json  " + c.mode + " " +
             url_at(options, c.offset));
  }
  SAPHAN_TRY_VOID(write_file_atomic((root / "oidc" / "clients.json").string(),
                                    clients_json(options, secrets), 0600));
  const auto users = make_users(data);
  SAPHAN_TRY_VOID(
      write_file_atomic((root / "oidc" / "users.json").string(), users_json(users), 0600));
  progress("  oidc/users.json  demo sign-ins for the OpenID provider (" +
           url_at(options, oidc_offset) + "):");
  for (const auto& u : users) {
    progress("    " + u.login + " / " + u.password + "  " +
             (u.auditor ? "auditor" : "citizen " + u.citizen_id));
  }
  return ok();
}

}  // namespace saphan::demo
