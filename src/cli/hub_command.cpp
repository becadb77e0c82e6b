// `saphan hub`: runs the central exchange from a hub directory.
#include <cstdio>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "core/memory.hpp"
#include "core/periodic.hpp"
#include "evidence/checkpointer.hpp"
#include "evidence/timestamper.hpp"
#include "evidence/writer.hpp"
#include "hub/consent_expiry.hpp"
#include "hub/consent_ledger.hpp"
#include "hub/directory.hpp"
#include "hub/notifier.hpp"
#include "hub/server.hpp"
#include "pki/trust.hpp"

namespace saphan::cli {
namespace {

constexpr const char* hub_usage = R"(--dir HUB [--config FILE]

Runs the exchange hub: HTTPS with TLS 1.3 and client certificates, on the address in the
configuration (default HUB/hub.json). Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.
)";

// The timestamper of the configured TSA, on its own store connection; none without a TSA.
result<std::unique_ptr<evidence::timestamper>> make_timestamper(const hub::hub_config& config,
                                                                const hub::hub_directory& dir) {
  if (!config.tsa)
    return std::unique_ptr<evidence::timestamper>();
  evidence::timestamper_config settings;
  settings.tsa_url = config.tsa->url;
  settings.trust = {config.tsa->ca, config.tsa->certificate};
  settings.grace_period = config.tsa->grace;
  auto connection = SAPHAN_TRY(hub::open_hub_store_unaudited(dir));
  return evidence::timestamper::create(std::move(settings), std::move(connection));
}

// The log API's read-only connections (hub/log_readers.hpp), opened after `db`, which migrated
// the store.
result<std::vector<std::unique_ptr<store>>> open_log_readers(const hub::hub_config& config,
                                                             const hub::hub_directory& dir) {
  std::vector<std::unique_ptr<store>> readers;
  for (int i = 0; i < config.log_api.read_connections; ++i) {
    auto reader = SAPHAN_TRY(hub::open_hub_store_unaudited(dir, store_access::read_only));
    readers.push_back(std::move(reader));
  }
  return readers;
}

result<void> run_hub(const parsed_args& args) {
  auto dir_text = SAPHAN_TRY(args.required("dir"));
  hub::hub_directory dir{dir_text};
  auto config =
      SAPHAN_TRY(hub::load_hub_config(args.value("config").value_or(dir.root + "/hub.json")));
  dir.store = config.store;  // where hub.json (or --config) puts the store, if it says
  auto db = SAPHAN_TRY(hub::open_hub_store_unaudited(dir));
  auto identity = SAPHAN_TRY(hub::load_hub_identity(dir, config.member));

  auto log_key = SAPHAN_TRY(hub::load_or_create_log_key(dir));
  evidence::log_identity log_identity{"saphan/" + to_string(config.member), log_key};
  // The evidence writer and the checkpointer each get their own connection: the group commit's
  // fsync never holds up the readers of the exchange path (WAL lets them read meanwhile).
  auto writer_db = SAPHAN_TRY(hub::open_hub_store_unaudited(dir));
  evidence::log_writer writer(std::move(writer_db));
  auto stamps = SAPHAN_TRY(make_timestamper(config, dir));
  auto checkpoint_db = SAPHAN_TRY(hub::open_hub_store_unaudited(dir));
  evidence::checkpointer heads(std::move(checkpoint_db), log_identity, config.checkpoint_interval,
                               [t = stamps.get()] {
                                 if (t)
                                   t->poke();
                               });

  // The CA the hub pins and its CRL, looked at every second: a revocation is in force within one.
  auto trust = SAPHAN_TRY(pki::trust_anchor::open({config.tls.ca, config.tls.crl}));

  // Consent notifications to consumers' connectors, from the outbox, on a connection of their own.
  auto notify_db = SAPHAN_TRY(hub::open_hub_store_unaudited(dir));
  hub::notifier notices(config, std::move(notify_db), identity.signer, trust);
  auto notifies = [&config](const member_id& consumer) {
    return config.notify.count(consumer) > 0;
  };
  hub::ledger_context ledger{identity.pseudonym, identity.signer, log_identity.origin, notifies};

  // Consents that run out are marked expired, each with its evidence entry (audited store) and
  // a notification for a consumer with a listener.
  auto expiry_db = SAPHAN_TRY(hub::open_hub_store(dir, "hub"));
  hub::consent_expirer expiry(
      std::move(expiry_db), config.consent_expiry_interval,
      [&notifies, &notices](store& tx, const consent_artefact& expired,
                            std::uint64_t index) -> result<void> {
        if (!notifies(expired.consumer))
          return ok();
        SAPHAN_TRY_VOID(hub::enqueue_notification(tx, expired, consent_event_type::expired,
                                                  expired.events.back().at, index));
        notices.poke();
        return ok();
      });
  auto trust_watch = pki::watch_trust(trust);
  auto log_readers = SAPHAN_TRY(open_log_readers(config, dir));
  hub::hub_server server(config, *db, writer, std::move(identity), log_identity, trust,
                         std::move(log_readers));
  server.watch_timestamps(stamps.get());
  auto consent_db = SAPHAN_TRY(hub::open_hub_store_unaudited(dir));
  server.serve_consents(std::move(consent_db), ledger, [&notices] { notices.poke(); });
  auto port = SAPHAN_TRY(server.start());
  SAPHAN_TRY_VOID(notices.start());
  heads.start();
  expiry.start();
  if (stamps)
    stamps->start();
  // Housekeeping: closes the provider connections a burst left idle, and returns freed memory to
  // the system (what those closes free goes back at the next round).
  periodic trim(memory_return_interval, [&server] {
    server.close_stale_connections();
    return_free_memory();
  });
  trim.start();
  // One entry a second per caller refused over its admission budget, with the count.
  periodic throttle_report(std::chrono::seconds(1), [&server] { server.report_throttled(); });
  throttle_report.start();
  std::printf("hub %s listening on https://%s:%u\n", to_string(config.member).c_str(),
              config.listen_address.c_str(), static_cast<unsigned>(port));
  std::fflush(stdout);
  server.wait_for_signal();
  throttle_report.stop();
  trim.stop();
  expiry.stop();
  notices.stop();
  heads.stop();
  if (stamps)
    stamps->stop();
  writer.stop();
  std::printf("hub stopped\n");
  return ok();
}

}  // namespace

int run_hub_command(const arguments& args) {
  return run_command("hub", {run_hub, {"dir", "config"}, hub_usage}, args);
}

}  // namespace saphan::cli
