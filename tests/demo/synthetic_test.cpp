#include "demo/synthetic.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "core/citizen_id.hpp"
#include "core/files.hpp"
#include "core/json.hpp"
#include "schema/record_schema.hpp"

namespace {

using saphan::demo::generate_synthetic_data;
using saphan::demo::keyed_record;
using saphan::demo::synthetic_data;

saphan::record_schema load_schema(const std::string& name) {
  auto text = saphan::read_file(std::string(SAPHAN_SOURCE_DIR) + "/schemas/" + name);
  REQUIRE(text);
  auto schema = saphan::record_schema::compile(*text);
  REQUIRE(schema);
  return *schema;
}

void require_all_valid(const std::vector<keyed_record>& records, const std::string& schema_file,
                       const char* key_field) {
  const auto schema = load_schema(schema_file);
  for (const auto& r : records) {
    auto valid = schema.validate_text(r.json);
    INFO(schema_file << ": " << r.json << "\n" << (valid ? "" : valid.error().detail));
    REQUIRE(valid);
    auto doc = saphan::parse_json(r.json);
    REQUIRE(doc);
    REQUIRE((*doc)[key_field].GetString() == r.key);
  }
}

const synthetic_data& small_data() {
  static const synthetic_data data = [] {
    auto made = generate_synthetic_data({300, 2026});
    REQUIRE(made);
    return *made;
  }();
  return data;
}

std::set<std::string> keys_of(const std::vector<keyed_record>& records) {
  std::set<std::string> keys;
  for (const auto& r : records)
    keys.insert(r.key);
  return keys;
}

}  // namespace

TEST_CASE("every generated record matches its dataset schema", "[demo][synthetic]") {
  const auto& data = small_data();
  require_all_valid(data.persons, "dopa-person.schema.json", "citizenId");
  require_all_valid(data.house_registrations, "dopa-house-registration.schema.json", "citizenId");
  require_all_valid(data.juristic_persons, "dbd-juristic-person.schema.json", "juristicId");
  require_all_valid(data.foreign_workers, "doe-foreign-worker.schema.json", "workerId");
  require_all_valid(data.criminal_records, "police-criminal-record.schema.json", "citizenId");
}

TEST_CASE("counts follow the number of persons", "[demo][synthetic]") {
  const auto& data = small_data();
  CHECK(data.persons.size() == 300);
  CHECK(data.house_registrations.size() == 300);
  CHECK(data.criminal_records.size() == 300);
  CHECK(data.juristic_persons.size() == 60);
  CHECK(data.foreign_workers.size() == 90);
  CHECK(saphan::demo::juristic_count_for(10000) == 2000);
  CHECK(saphan::demo::worker_count_for(10000) == 3000);
  CHECK(saphan::demo::juristic_count_for(1) == 1);
  CHECK(saphan::demo::worker_count_for(1) == 1);
}

TEST_CASE("identifiers are valid, unique and in their ranges", "[demo][synthetic]") {
  const auto& data = small_data();
  std::set<std::string> all;
  for (const auto& r : data.persons) {
    REQUIRE(saphan::validate_thai_id(r.key));
    REQUIRE(r.key[0] >= '1');
    REQUIRE(r.key[0] <= '8');
    REQUIRE(all.insert(r.key).second);
  }
  for (const auto& r : data.juristic_persons) {
    REQUIRE(saphan::validate_thai_id(r.key));
    REQUIRE(r.key.rfind("0105", 0) == 0);
    REQUIRE(all.insert(r.key).second);
  }
  for (const auto& r : data.foreign_workers) {
    REQUIRE(saphan::validate_thai_id(r.key));
    REQUIRE(r.key.rfind("00", 0) == 0);
    REQUIRE(all.insert(r.key).second);
  }
}

TEST_CASE("records refer to each other consistently", "[demo][synthetic]") {
  const auto& data = small_data();
  const auto citizens = keys_of(data.persons);
  const auto companies = keys_of(data.juristic_persons);

  std::set<std::string> houses;
  for (const auto& r : data.house_registrations) {
    auto doc = saphan::parse_json(r.json);
    REQUIRE(doc);
    const auto& residents = (*doc)["residents"];
    REQUIRE(residents.Size() >= 1);
    REQUIRE(residents.Size() <= 6);
    bool self_listed = false;
    for (const auto& resident : residents.GetArray()) {
      REQUIRE(citizens.count(resident["citizenId"].GetString()) == 1);
      self_listed = self_listed || resident["citizenId"].GetString() == r.key;
    }
    REQUIRE(self_listed);
    REQUIRE(std::string(residents[0]["citizenId"].GetString()) ==
            (*doc)["householderCitizenId"].GetString());
    REQUIRE(std::string(residents[0]["relation"].GetString()) == "householder");
    const std::string house_id = (*doc)["houseId"].GetString();
    const auto& address = (*doc)["address"];
    REQUIRE(house_id.rfind(address["districtCode"].GetString(), 0) == 0);
    houses.insert(house_id);
  }
  CHECK(houses.size() > 300 / 6);
  CHECK(houses.size() < 300);

  for (const auto& r : data.persons) {
    auto doc = saphan::parse_json(r.json);
    REQUIRE(doc);
    const auto& a = (*doc)["address"];
    const std::string province = a["provinceCode"].GetString();
    const std::string district = a["districtCode"].GetString();
    REQUIRE(district.rfind(province, 0) == 0);
    REQUIRE(std::string(a["subdistrictCode"].GetString()).rfind(district, 0) == 0);
    const std::string sex = (*doc)["sex"].GetString();
    const std::string title = (*doc)["titleTh"].GetString();
    const std::string title_en = (*doc)["titleEn"].GetString();
    if (sex == "male") {
      REQUIRE(title == "นาย");
      REQUIRE(title_en == "Mr");
    } else {
      REQUIRE((title == "นาง" || title == "นางสาว"));
      REQUIRE((title_en == (title == "นาง" ? "Mrs" : "Ms")));
    }
    REQUIRE(std::string((*doc)["nationality"].GetString()) == "THA");
  }

  for (const auto& r : data.juristic_persons) {
    auto doc = saphan::parse_json(r.json);
    REQUIRE(doc);
    for (const auto& d : (*doc)["directors"].GetArray()) {
      REQUIRE(citizens.count(d["citizenId"].GetString()) == 1);
    }
  }
  for (const auto& r : data.foreign_workers) {
    auto doc = saphan::parse_json(r.json);
    REQUIRE(doc);
    REQUIRE(companies.count((*doc)["employerJuristicId"].GetString()) == 1);
  }
}

TEST_CASE("most persons are alive and have no criminal record", "[demo][synthetic]") {
  auto made = generate_synthetic_data({2000, 7});
  REQUIRE(made);
  std::size_t alive = 0;
  for (const auto& r : made->persons) {
    alive += r.json.find("\"lifeStatus\":\"alive\"") != std::string::npos ? 1 : 0;
  }
  std::size_t with_record = 0;
  std::size_t max_cases = 0;
  for (const auto& r : made->criminal_records) {
    auto doc = saphan::parse_json(r.json);
    REQUIRE(doc);
    const bool has = (*doc)["hasRecord"].GetBool();
    const auto cases = (*doc)["cases"].Size();
    REQUIRE(has == (cases > 0));
    REQUIRE(cases <= 3);
    with_record += has ? 1 : 0;
    max_cases = std::max<std::size_t>(max_cases, cases);
  }
  CHECK(alive > 2000 * 90 / 100);
  CHECK(alive < 2000);
  CHECK(with_record > 2000 * 2 / 100);
  CHECK(with_record < 2000 * 9 / 100);
  CHECK(max_cases >= 2);
}

TEST_CASE("the same seed gives identical data, another seed different data", "[demo][synthetic]") {
  auto a = generate_synthetic_data({120, 42});
  auto b = generate_synthetic_data({120, 42});
  auto c = generate_synthetic_data({120, 43});
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(*a == *b);
  CHECK_FALSE(*a == *c);
  CHECK(a->persons.front().key != c->persons.front().key);
}

TEST_CASE("the number of persons is bounded", "[demo][synthetic]") {
  auto none = generate_synthetic_data({0, 1});
  REQUIRE_FALSE(none);
  CHECK(none.code() == saphan::errc::invalid_argument);
  auto too_many = generate_synthetic_data({saphan::demo::max_persons + 1, 1});
  REQUIRE_FALSE(too_many);
  CHECK(too_many.code() == saphan::errc::invalid_argument);
  auto one = generate_synthetic_data({1, 1});
  REQUIRE(one);
  CHECK(one->persons.size() == 1);
  CHECK(one->house_registrations.size() == 1);
  CHECK(one->juristic_persons.size() == 1);
  CHECK(one->foreign_workers.size() == 1);
}

TEST_CASE("the PRNG is reproducible and stays in range", "[demo][synthetic]") {
  saphan::demo::prng a(2026);
  saphan::demo::prng b(2026);
  saphan::demo::prng c(2027);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    REQUIRE(x == b.next());
    differs = differs || x != c.next();
  }
  CHECK(differs);

  std::map<std::int64_t, int> seen;
  for (int i = 0; i < 2000; ++i) {
    const auto v = a.between(3, 7);
    REQUIRE(v >= 3);
    REQUIRE(v <= 7);
    ++seen[v];
  }
  CHECK(seen.size() == 5);  // both ends are reachable
  for (int i = 0; i < 1000; ++i)
    REQUIRE(a.below(10) < 10);
  CHECK(a.below(1) == 0);
  CHECK(a.between(5, 5) == 5);
}
