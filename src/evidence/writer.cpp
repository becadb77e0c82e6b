#include "evidence/writer.hpp"

#include <memory>
#include <vector>

#include "evidence/log.hpp"

namespace saphan::evidence {

// One queued entry. A blocking caller keeps its waiter on its stack and waits for `done`; a
// submitted one is owned by the queue and finished with `on_done`.
struct log_writer::waiter {
  item entry;
  bool done = false;
  result<appended> outcome = make_error(errc::evidence_unavailable, "not written");
  completion on_done;
  // Its own signal: a finished batch wakes just its callers, not every thread still waiting.
  std::condition_variable finished;
};

log_writer::log_writer(std::unique_ptr<store> connection, std::size_t max_batch)
    : db_(std::move(connection)), max_batch_(max_batch == 0 ? 1 : max_batch) {
  thread_ = std::thread([this] { run(); });
}

log_writer::~log_writer() {
  stop();
}

void log_writer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

log_writer::stats log_writer::snapshot() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

result<log_writer::appended> log_writer::append(item entry) {
  if (auto fits = check_log_entry(entry.record); !fits) {
    return make_error(errc::evidence_unavailable, "entry refused: " + fits.error().detail);
  }
  waiter w;
  w.entry = std::move(entry);
  std::unique_lock lock(mutex_);
  if (stopping_)
    return make_error(errc::evidence_unavailable, "evidence writer stopped");
  queue_.push_back(&w);
  work_ready_.notify_one();
  w.finished.wait(lock, [&] { return w.done; });
  return std::move(w.outcome);
}

void log_writer::submit(item entry, completion done) {
  if (auto fits = check_log_entry(entry.record); !fits) {
    done(make_error(errc::evidence_unavailable, "entry refused: " + fits.error().detail));
    return;
  }
  auto w = std::make_unique<waiter>();
  w->entry = std::move(entry);
  w->on_done = std::move(done);
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    w->on_done(make_error(errc::evidence_unavailable, "evidence writer stopped"));
    return;
  }
  queue_.push_back(w.release());
  work_ready_.notify_one();
}

result<std::uint64_t> log_writer::append(log_append record) {
  auto written = SAPHAN_TRY(append(item{std::move(record), {}, {}}));
  return written.index;
}

void log_writer::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    const auto ready = [&] { return stopping_ || !queue_.empty(); };
    if (stats_.writable) {
      work_ready_.wait(lock, ready);
    } else if (!work_ready_.wait_for(lock, probe_interval, ready)) {
      lock.unlock();
      probe();
      lock.lock();
      continue;
    }
    if (queue_.empty())
      return;  // stopping, and everything queued is written
    std::deque<waiter*> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    write_batch(batch);
    lock.lock();
    std::vector<std::unique_ptr<waiter>> submitted;
    for (auto* w : batch) {
      if (w->on_done) {
        submitted.emplace_back(w);
      } else {
        w->done = true;
        w->finished.notify_one();
      }
    }
    lock.unlock();
    for (auto& w : submitted)
      w->on_done(std::move(w->outcome));
    lock.lock();
  }
}

void log_writer::write_batch(std::deque<waiter*>& batch) {
  std::vector<log_append> records;
  std::vector<std::optional<error>> effect_errors;
  records.reserve(batch.size());
  auto written = db_->transaction([&](store& tx) -> result<void> {
    records.clear();
    effect_errors.clear();
    for (auto* w : batch) {
      auto& it = w->entry;
      if (!it.effect) {
        records.push_back(std::move(it.record));
        effect_errors.emplace_back();
        continue;
      }
      // A nested transaction: a failed effect undoes only its own writes. A failure of the
      // store itself is not the effect's refusal: it fails the batch.
      auto applied = tx.transaction([&](store& nested) { return it.effect(nested); });
      if (!applied && applied.code() == errc::storage_failure)
        return applied.error();
      if (applied) {
        records.push_back(std::move(it.record));
        effect_errors.emplace_back();
      } else {
        records.push_back(it.on_failure(applied.error()));
        effect_errors.emplace_back(applied.error());
      }
    }
    auto first = SAPHAN_TRY(append_entries(tx, records, &tree_));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]->outcome = appended{first + i, effect_errors[i]};
    }
    return ok();
  });
  std::lock_guard lock(mutex_);
  ++stats_.batches;
  if (written) {
    stats_.entries += batch.size();
    stats_.writable = true;
    return;
  }
  ++stats_.failed_batches;
  stats_.writable = false;
  stats_.last_failure = written.error().detail;
  // The commit failed after append_entries grew the cached tree: forget it, so the next batch
  // rebuilds the tree from what is really stored.
  tree_ = merkle::compact_tree{};
  for (auto* w : batch) {
    w->outcome = make_error(errc::evidence_unavailable, written.error().detail);
  }
}

void log_writer::probe() {
  auto checked = db_->check_writable();
  std::lock_guard lock(mutex_);
  if (checked) {
    stats_.writable = true;
  } else {
    stats_.last_failure = checked.error().detail;
  }
}

}  // namespace saphan::evidence
