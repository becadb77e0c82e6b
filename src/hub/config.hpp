// The hub's configuration file (JSON). Paths are relative to the file's directory.
//   {"member": "TH/GOV/SAPHAN/hub",
//    "listen": "127.0.0.1:8443",
//    "tls": {"certificate": "pki/hub.crt", "key": "pki/hub.key", "ca": "pki/ca.crt"},
//    "providers": {"TH/GOV/DOPA/civil-registry": "https://127.0.0.1:9443"},
//    "notify": {"TH/GOV/JFO/legal-aid": "https://127.0.0.1:8015"}, "notifyTimeoutMs": 5000,
//    "freshnessSeconds": 300, "providerTimeoutMs": 5000, "ioThreads": 1, "workerThreads": 4,
//    "checkpointIntervalMs": 1000, "consentExpiryIntervalMs": 60000, "maxExchangesInFlight": 128,
//    "admissionPerSecond": 5000,
//    "tsa": {"url": "http://127.0.0.1:8450", "ca": "pki/ca.crt", "certificate": "pki/tsa.crt",
//            "graceSeconds": 30},
//    "limits": {"maxHeaderBytes": 8192, "maxBodyBytes": 1048576, "requestTimeoutMs": 10000,
//               "maxConnections": 4096, "maxInFlight": 1024},
//    "log": {"readConnections": 2, "searchScanLimit": 100000},
//    "store": "postgresql://saphan@db.example.go.th/saphan"}
// "store" is where the registry and the evidence log live: a postgresql:// connection string
// (store/pg_store.hpp), or a file path for SQLite; without it, the hub directory's store.db.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "core/identifiers.hpp"
#include "core/result.hpp"
#include "net/endpoint.hpp"

namespace saphan::hub {

struct tls_files {
  std::string certificate;
  std::string key;
  std::string ca;   // the CA the hub pins: every member's certificates must chain to it
  std::string crl;  // that CA's revocation list; empty: none
};

// The time-stamping authority that stamps the log's tree heads (optional: without it, heads are
// signed but not timestamped, and /readyz says nothing about timestamps).
struct tsa_settings {
  std::string url;          // http://host:port
  std::string ca;           // PEM file the TSA's certificate chains to
  std::string certificate;  // optional: pin exactly this TSA certificate
  std::chrono::seconds grace{30};
};

// The evidence log's read API (/v1/log, /v1/citizen): its own read-only store connections, each
// with a thread of its own, so that a long search holds up neither an exchange nor more than one
// other log read; and the most entries one search may read before it stops (search_too_broad).
struct log_api_settings {
  int read_connections = 2;
  std::uint64_t search_scan_limit = 100000;
};

struct hub_config {
  member_id member;
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 8443;
  tls_files tls;
  std::map<member_id, net::endpoint> providers;
  // Per consumer member, its connector's notification listener: consent decisions and expiries
  // are sent there (hub/notifier.hpp). A consumer without one polls GET /v1/consents/<id>.
  std::map<member_id, net::endpoint> notify;
  std::chrono::milliseconds notify_timeout{5000};
  std::chrono::seconds freshness{300};
  std::chrono::milliseconds provider_timeout{5000};
  int io_threads = 1;
  // Store reads and signatures; a worker never waits for the group commit, so a few per core.
  int worker_threads = 4;
  net::http_limits limits;
  // Exchanges being handled at once. Beyond it the hub sheds load: 503 with Retry-After, each
  // refusal logged like any other, instead of queueing work it cannot finish in time.
  std::size_t max_exchanges_in_flight = 128;
  // Requests a second each caller may make (admission_budget); over it, 429 at once.
  std::uint32_t admission_per_second = 5000;
  std::size_t replay_capacity = 1 << 22;
  std::chrono::milliseconds checkpoint_interval{1000};
  std::chrono::milliseconds consent_expiry_interval{60000};
  std::optional<tsa_settings> tsa;
  log_api_settings log_api;
  // The store's location ("store"): empty for the hub directory's own SQLite file.
  std::string store;
};

// Errors: invalid_argument naming the field, io_error for an unreadable file.
result<hub_config> load_hub_config(const std::string& path);

}  // namespace saphan::hub
