#include "demo/demo_files.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

namespace saphan::demo {
namespace {

using pretty_writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void put(pretty_writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void put_int(pretty_writer& w, std::string_view key, std::int64_t value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.Int64(value);
}

// Ports: the hub at the base port, providers at +1.., consumer APIs at +10.., the TSA here.
constexpr int tsa_port_offset = 20;

std::string loopback(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

std::uint16_t port_at(const demo_options& options, int offset) {
  return static_cast<std::uint16_t>(options.base_port + offset);
}

void write_provider_section(pretty_writer& w, const demo_options& options,
                            const demo_config& config, const member_record& m,
                            const demo_role& role) {
  w.Key("provider");
  w.StartObject();
  put(w, "listen", loopback(port_at(options, role.provider_offset)));
  put(w, "pseudonymKey", "keys/pseudonym.key");
  w.Key("datasets");
  w.StartObject();
  for (const auto* d : datasets_of(config, m.id)) {
    w.Key(to_string(d->id).c_str());
    w.StartObject();
    put(w, "schema", "../../schemas/" + schema_file_name(*d));
    put(w, "subjectField", d->subject_field);
    w.Key("adapter");
    w.StartObject();
    put(w, "type", "sqlite");
    put(w, "path", "../../data/" + member_slug(m.id) + ".db");
    put(w, "table", to_snake_case(d->id.name));
    put(w, "keyColumn", to_snake_case(d->subject_field));
    put(w, "recordColumn", "record");
    w.EndObject();
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
}

}  // namespace

std::vector<const dataset_entry*> datasets_of(const demo_config& config, const member_id& owner) {
  std::vector<const dataset_entry*> out;
  for (const auto& d : config.datasets) {
    if (d.id.owner == owner)
      out.push_back(&d);
  }
  return out;
}

std::string schema_file_name(const dataset_entry& d) {
  return member_slug(d.id.owner) + "-" + d.id.name + ".schema.json";
}

std::string hub_config_json(const demo_options& options, const demo_config& config) {
  rapidjson::StringBuffer buffer;
  pretty_writer w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  put(w, "member", hub_member_text);
  put(w, "listen", loopback(options.base_port));
  w.Key("tls");
  w.StartObject();
  put(w, "certificate", "../pki/hub.crt");
  put(w, "key", "../pki/hub.key");
  put(w, "ca", "../pki/ca.crt");
  put(w, "crl", "../pki/ca.crl");
  w.EndObject();
  w.Key("providers");
  w.StartObject();
  for (const auto& m : config.members) {
    auto role = find_demo_role(m.id.code);
    if (!role || role->provider_offset == 0 || datasets_of(config, m.id).empty())
      continue;
    put(w, to_string(m.id), "https://" + loopback(port_at(options, role->provider_offset)));
  }
  w.EndObject();
  // Each consumer connector's notification listener: the hub tells it of consent decisions.
  w.Key("notify");
  w.StartObject();
  for (const auto& m : config.members) {
    auto role = find_demo_role(m.id.code);
    if (!role || role->notify_offset == 0)
      continue;
    put(w, to_string(m.id), "https://" + loopback(port_at(options, role->notify_offset)));
  }
  w.EndObject();
  if (!options.store.empty())
    put(w, "store", options.store);
  put_int(w, "freshnessSeconds", 300);
  put_int(w, "providerTimeoutMs", 5000);
  put_int(w, "ioThreads", 1);
  put_int(w, "workerThreads", 4);
  put_int(w, "checkpointIntervalMs", 1000);
  w.Key("tsa");
  w.StartObject();
  put(w, "url", "http://" + loopback(port_at(options, tsa_port_offset)));
  put(w, "ca", "../pki/ca.crt");
  put(w, "certificate", "../pki/tsa.crt");
  put_int(w, "graceSeconds", 30);
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString()) + "\n";
}

std::string connector_config_json(const demo_options& options, const demo_config& config,
                                  const member_record& m, const demo_role& role) {
  const auto slug = member_slug(m.id);
  rapidjson::StringBuffer buffer;
  pretty_writer w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  put(w, "member", to_string(m.id));
  put(w, "hub", "https://" + loopback(options.base_port));
  w.Key("tls");
  w.StartObject();
  put(w, "certificate", "../../pki/" + slug + ".crt");
  put(w, "key", "../../pki/" + slug + ".key");
  put(w, "ca", "../../pki/ca.crt");
  put(w, "crl", "../../pki/ca.crl");
  w.EndObject();
  put(w, "signingKey", "keys/signing.jwk");
  put(w, "signingCertificate", "keys/signing.crt");
  put(w, "hubMember", hub_member_text);
  put_int(w, "freshnessSeconds", 300);
  put_int(w, "timeoutMs", 10000);
  put_int(w, "threads", 2);
  if (role.consumer_offset != 0) {
    w.Key("consumer");
    w.StartObject();
    put(w, "listen", loopback(port_at(options, role.consumer_offset)));
    put(w, "tokenFile", consumer_token_file);
    if (role.notify_offset != 0) {
      // No agency system runs in the demo: the connector logs each verified notification
      // (logs/<member>.log). An agency adds "webhook": "http://host:port/path".
      w.Key("notifications");
      w.StartObject();
      put(w, "listen", loopback(port_at(options, role.notify_offset)));
      w.EndObject();
    }
    w.EndObject();
  }
  if (role.provider_offset != 0 && !datasets_of(config, m.id).empty()) {
    write_provider_section(w, options, config, m, role);
  }
  w.EndObject();
  return std::string(buffer.GetString()) + "\n";
}

// Writes one connector.json per member with a role; returns their slugs in start order.
std::string demo_env(const demo_options& options, const synthetic_data& data,
                     const std::vector<std::string>& connectors) {
  std::string members;
  for (const auto& s : connectors)
    members += (members.empty() ? "" : " ") + s;
  std::string env = "# Written by `saphan demo init`; read by tools/run and tools/demo.\n";
  env += "SAPHAN_DEMO_BASE_PORT=" + std::to_string(options.base_port) + "\n";
  env += "SAPHAN_DEMO_HUB_URL=https://" + loopback(options.base_port) + "\n";
  env += "SAPHAN_DEMO_JFO_API=http://" + loopback(port_at(options, 10)) + "\n";
  env += "SAPHAN_DEMO_RTP_API=http://" + loopback(port_at(options, 11)) + "\n";
  // The consumer APIs' bearer tokens, as files relative to the demo folder.
  env += "SAPHAN_DEMO_JFO_TOKEN_FILE=members/jfo/" + std::string(consumer_token_file) + "\n";
  env += "SAPHAN_DEMO_RTP_TOKEN_FILE=members/rtp/" + std::string(consumer_token_file) + "\n";
  env += "SAPHAN_DEMO_TSA_LISTEN=" + loopback(port_at(options, tsa_port_offset)) + "\n";
  env += "SAPHAN_DEMO_SUBJECT=" + data.persons.front().key + "\n";
  // The people-facing side (demo/console_files.hpp): consoles and the OpenID provider.
  env += "SAPHAN_DEMO_AUDITOR_URL=https://" + loopback(port_at(options, 12)) + "\n";
  env += "SAPHAN_DEMO_PORTAL_URL=https://" + loopback(port_at(options, 13)) + "\n";
  env += "SAPHAN_DEMO_OIDC_PORT=" + std::to_string(port_at(options, 14)) + "\n";
  env += "SAPHAN_DEMO_PERSONS=" + std::to_string(options.persons) + "\n";
  env += "SAPHAN_DEMO_SEED=" + std::to_string(options.seed) + "\n";
  env += "SAPHAN_DEMO_CONNECTORS=\"" + members + "\"\n";
  return env;
}

}  // namespace saphan::demo
