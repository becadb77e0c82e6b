#include "store/registry_cache.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "store/store_decorator.hpp"

namespace saphan {
namespace {

class registry_cache final : public store_decorator {
 public:
  using store_decorator::store_decorator;

  result<member_record> find_member(const member_id& id) override {
    return cached(members_, to_string(id), [&] { return inner().find_member(id); });
  }
  result<std::vector<member_key>> list_keys(const member_id& member) override {
    return cached(keys_, to_string(member), [&] { return inner().list_keys(member); });
  }
  result<dataset_entry> find_dataset(const dataset_id& id) override {
    return cached(datasets_, to_string(id), [&] { return inner().find_dataset(id); });
  }

  result<void> transaction(const std::function<result<void>(store&)>& body) override {
    ++transactions_;
    struct leave {
      std::atomic<int>& count;
      ~leave() { --count; }
    } on_exit{transactions_};
    return store_decorator::transaction(body);
  }

 private:
  template <class T>
  using table = std::map<std::string, T, std::less<>>;

  // The value of `key` in `cache` when it was filled at the store's current registry version;
  // otherwise read through `fetch`, and kept if no transaction is open.
  template <class T, class Fetch>
  result<T> cached(table<T>& cache, const std::string& key, Fetch fetch) {
    if (transactions_.load() > 0)
      return fetch();
    auto version = SAPHAN_TRY(inner().registry_version());
    {
      std::lock_guard lock(mutex_);
      if (version != version_) {
        clear();
        version_ = version;
      }
      if (auto hit = cache.find(key); hit != cache.end())
        return hit->second;
    }
    result<T> fetched = fetch();
    // Kept only under the version it was read after: when another thread saw a newer one
    // meanwhile, this value may already be stale.
    std::lock_guard lock(mutex_);
    if (fetched && version_ == version && transactions_.load() == 0)
      cache.emplace(key, *fetched);
    return fetched;
  }

  void clear() {
    members_.clear();
    keys_.clear();
    datasets_.clear();
  }

  std::atomic<int> transactions_{0};
  std::mutex mutex_;
  std::int64_t version_ = -1;
  table<member_record> members_;
  table<std::vector<member_key>> keys_;  // by member
  table<dataset_entry> datasets_;
};

}  // namespace

std::unique_ptr<store> with_registry_cache(std::unique_ptr<store> inner) {
  return std::make_unique<registry_cache>(std::move(inner));
}

}  // namespace saphan
