#include <catch2/catch.hpp>

#include "store/registry_cache.hpp"
#include "store/sqlite_store.hpp"
#include "store/store_decorator.hpp"
#include "store_test_support.hpp"

using namespace saphan;

namespace {

// Counts the registry reads that reach the store underneath the cache.
class counting_store : public store_decorator {
 public:
  using store_decorator::store_decorator;
  int member_reads = 0;
  int key_reads = 0;
  int dataset_reads = 0;

  result<member_record> find_member(const member_id& id) override {
    ++member_reads;
    return store_decorator::find_member(id);
  }
  result<std::vector<member_key>> list_keys(const member_id& member) override {
    ++key_reads;
    return store_decorator::list_keys(member);
  }
  result<dataset_entry> find_dataset(const dataset_id& id) override {
    ++dataset_reads;
    return store_decorator::find_dataset(id);
  }
};

member_record dopa(std::string name = "DOPA") {
  return member_record{*parse_member_id("TH/GOV/DOPA/civil-registry"),
                       std::move(name),
                       {"justice"},
                       classification::secret};
}

struct cached_fixture {
  store_test::temp_dir dir;
  counting_store* counted = nullptr;
  std::unique_ptr<store> cached;

  cached_fixture() {
    auto opened = open_sqlite_store({dir.file()});
    REQUIRE(opened);
    auto counting = std::make_unique<counting_store>(std::move(*opened));
    counted = counting.get();
    cached = with_registry_cache(std::move(counting));
    REQUIRE(cached->add_member(dopa()));
  }
};

}  // namespace

TEST_CASE("the registry cache answers repeated lookups without reading the store again",
          "[store][cache]") {
  cached_fixture f;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(f.cached->find_member(dopa().id));
    REQUIRE(f.cached->list_keys(dopa().id));
  }
  CHECK(f.counted->member_reads == 1);
  CHECK(f.counted->key_reads == 1);
  CHECK_FALSE(f.cached->find_dataset(*parse_dataset_id("TH/GOV/DOPA/civil-registry/x@1")));
  CHECK(f.counted->dataset_reads == 1);  // a miss is not cached: it is read again next time
}

TEST_CASE("the registry cache reads again once the registry changed, through any connection",
          "[store][cache]") {
  cached_fixture f;
  REQUIRE(f.cached->find_member(dopa().id));
  auto other = open_sqlite_store({f.dir.file()});
  REQUIRE(other);
  REQUIRE((*other)->update_member(dopa("Renamed")));
  CHECK(f.cached->find_member(dopa().id)->name == "Renamed");
  CHECK(f.counted->member_reads == 2);
}

TEST_CASE("the registry cache keeps nothing it read inside a transaction", "[store][cache]") {
  cached_fixture f;
  auto rolled_back = f.cached->transaction([&](store& tx) -> result<void> {
    SAPHAN_TRY_VOID(tx.update_member(dopa("Inside")));
    CHECK(tx.find_member(dopa().id)->name == "Inside");
    return make_error(errc::conflict, "undo");
  });
  CHECK_FALSE(rolled_back);
  CHECK(f.cached->find_member(dopa().id)->name == "DOPA");
  CHECK(f.cached->find_member(dopa().id)->name == "DOPA");
  CHECK(f.counted->member_reads == 2);  // once inside, once after; the second after is cached
}
