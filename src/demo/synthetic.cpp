#include "demo/synthetic.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>
#include <unordered_set>

#include "core/citizen_id.hpp"
#include "demo/synthetic_names.hpp"

namespace saphan::demo {

std::size_t juristic_count_for(std::size_t persons) {
  return std::max<std::size_t>(1, persons / 5);
}
std::size_t worker_count_for(std::size_t persons) {
  return std::max<std::size_t>(1, persons * 3 / 10);
}

namespace {

using namespace names;

template <class T, std::size_t N>
const T& pick(prng& rng, const std::array<T, N>& list) {
  return list[rng.below(N)];
}

// ---- Small value helpers -------------------------------------------------------------------

struct date {
  int year = 2000;
  int month = 1;
  int day = 1;
};

bool is_leap(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month) {
  static constexpr std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : days[static_cast<std::size_t>(month - 1)];
}

date random_date(prng& rng, int first_year, int last_year) {
  date d;
  d.year = static_cast<int>(rng.between(first_year, last_year));
  d.month = static_cast<int>(rng.between(1, 12));
  d.day = static_cast<int>(rng.between(1, days_in_month(d.year, d.month)));
  return d;
}

std::string format_date(const date& d) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", d.year, d.month, d.day);
  return text;
}

// `count` random decimal digits (count <= 18).
std::string random_digits(prng& rng, int count) {
  std::string digits;
  for (int i = 0; i < count; ++i)
    digits.push_back(static_cast<char>('0' + rng.below(10)));
  return digits;
}

// A fresh 13-digit ID: prefix + random digits + check digit, never one already in `used`.
std::string unique_thai_id(prng& rng, std::string_view prefix,
                           std::unordered_set<std::string>& used) {
  for (;;) {
    std::string first_twelve(prefix);
    first_twelve += random_digits(rng, static_cast<int>(12 - prefix.size()));
    std::string id = complete_thai_id(first_twelve);
    if (used.insert(id).second)
      return id;
  }
}

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(json_writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void put_int(json_writer& w, std::string_view key, std::int64_t value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.Int64(value);
}

// ---- Persons and houses --------------------------------------------------------------------

struct address {
  std::string house_no;
  int moo = 0;  // 0: none
  std::string soi;
  std::string road;
  const location* where = nullptr;
};

struct person {
  std::string citizen_id;
  bool male = true;
  bool married_title = false;  // นาง / Mrs
  const name_pair* first = nullptr;
  const name_pair* last = nullptr;
  date birth;
  bool alive = true;
  std::size_t house = 0;
  std::string relation;
};

struct house {
  std::string house_id;
  std::string house_type;
  address addr;
  std::vector<std::size_t> residents;  // indexes into persons; the first is the householder
  date moved_in;
};

std::string_view title_th(const person& p) {
  if (p.male)
    return "นาย";
  return p.married_title ? "นาง" : "นางสาว";
}

std::string_view title_en(const person& p) {
  if (p.male)
    return "Mr";
  return p.married_title ? "Mrs" : "Ms";
}

std::string full_name_th(const person& p) {
  return std::string(p.first->th) + " " + std::string(p.last->th);
}

void write_address(json_writer& w, const address& a) {
  w.Key("address");
  w.StartObject();
  put(w, "houseNo", a.house_no);
  if (a.moo > 0)
    put_int(w, "moo", a.moo);
  if (!a.soi.empty())
    put(w, "soi", a.soi);
  if (!a.road.empty())
    put(w, "road", a.road);
  put(w, "subdistrictCode", a.where->subdistrict);
  put(w, "districtCode", a.where->district);
  put(w, "provinceCode", a.where->province);
  put(w, "postcode", a.where->postcode);
  w.EndObject();
}

address random_address(prng& rng) {
  address a;
  a.where = &pick(rng, locations);
  a.house_no = std::to_string(rng.between(1, 999));
  if (rng.chance(30))
    a.house_no += "/" + std::to_string(rng.between(1, 99));
  if (!a.where->urban)
    a.moo = static_cast<int>(rng.between(1, 20));
  if (rng.chance(70))
    a.road = std::string(pick(rng, roads));
  if (rng.chance(30))
    a.soi = std::string(pick(rng, roads)) + " " + std::to_string(rng.between(1, 40));
  return a;
}

person random_person(prng& rng, std::unordered_set<std::string>& used_ids) {
  person p;
  // First digit 1..8: the citizen-ID categories of people registered in Thailand.
  const char first_digit = static_cast<char>('0' + rng.between(1, 8));
  p.citizen_id = unique_thai_id(rng, std::string(1, first_digit), used_ids);
  p.male = rng.chance(50);
  p.first = p.male ? &pick(rng, male_first_names) : &pick(rng, female_first_names);
  p.last = &pick(rng, last_names);
  p.birth = random_date(rng, 1940, 2006);
  p.alive = !rng.chance(3);
  return p;
}

std::string relation_to(const person& head, const person& member, std::size_t position) {
  if (position == 1 && member.male != head.male)
    return "spouse";
  if (member.birth.year >= head.birth.year + 18)
    return "child";
  if (member.birth.year + 18 <= head.birth.year)
    return "parent";
  return "relative";
}

// Groups consecutive persons into houses of 1..6 residents sharing an address and (mostly) a
// family name.
std::vector<house> make_houses(prng& rng, std::vector<person>& persons) {
  std::vector<house> houses;
  std::unordered_set<std::string> used_house_ids;
  std::size_t next = 0;
  while (next < persons.size()) {
    house h;
    h.addr = random_address(rng);
    // DOPA house codes begin with the registration office's 4-digit (district) code.
    do {
      h.house_id = std::string(h.addr.where->district) + random_digits(rng, 7);
    } while (!used_house_ids.insert(h.house_id).second);
    h.house_type = h.addr.where->urban ? (rng.chance(50) ? "condominium" : "townhouse")
                                       : (rng.chance(85) ? "house" : "other");
    h.moved_in = random_date(rng, 1985, 2025);
    const auto size = static_cast<std::size_t>(rng.between(1, 6));
    for (std::size_t i = 0; i < size && next < persons.size(); ++i, ++next) {
      person& p = persons[next];
      p.house = houses.size();
      if (i == 0) {
        p.relation = "householder";
      } else {
        const person& head = persons[h.residents.front()];
        p.relation = relation_to(head, p, i);
        if (rng.chance(80))
          p.last = head.last;
      }
      h.residents.push_back(next);
    }
    // A married couple: the wife carries นาง / Mrs.
    for (std::size_t index : h.residents) {
      person& p = persons[index];
      if (!p.male)
        p.married_title = p.relation == "spouse" || rng.chance(40);
    }
    houses.push_back(std::move(h));
  }
  return houses;
}

std::string person_json(const person& p, const house& h) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put(w, "citizenId", p.citizen_id);
  put(w, "titleTh", title_th(p));
  put(w, "firstNameTh", p.first->th);
  put(w, "lastNameTh", p.last->th);
  put(w, "titleEn", title_en(p));
  put(w, "firstNameEn", p.first->en);
  put(w, "lastNameEn", p.last->en);
  put(w, "birthDate", format_date(p.birth));
  put(w, "sex", p.male ? "male" : "female");
  put(w, "nationality", "THA");
  write_address(w, h.addr);
  put(w, "lifeStatus", p.alive ? "alive" : "deceased");
  w.EndObject();
  return buffer.GetString();
}

std::string house_registration_json(const person& p, const house& h,
                                    const std::vector<person>& persons) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put(w, "citizenId", p.citizen_id);
  put(w, "houseId", h.house_id);
  write_address(w, h.addr);
  put(w, "houseType", h.house_type);
  put(w, "householderCitizenId", persons[h.residents.front()].citizen_id);
  w.Key("residents");
  w.StartArray();
  for (std::size_t index : h.residents) {
    const person& r = persons[index];
    w.StartObject();
    put(w, "citizenId", r.citizen_id);
    put(w, "firstNameTh", r.first->th);
    put(w, "lastNameTh", r.last->th);
    put(w, "relation", r.relation);
    w.EndObject();
  }
  w.EndArray();
  date moved = h.moved_in;
  moved.year = std::max(moved.year, p.birth.year);  // nobody moves in before being born
  if (moved.year == p.birth.year)
    moved = p.birth;
  put(w, "movedInDate", format_date(moved));
  w.EndObject();
  return buffer.GetString();
}

void write_case(prng& rng, json_writer& w, std::size_t number) {
  static constexpr std::array<std::string_view, 4> verdicts{"convicted", "acquitted", "pending",
                                                            "dismissed"};
  const auto verdict = pick(rng, verdicts);
  const date when = random_date(rng, 2005, 2025);
  w.StartObject();
  // Thai case numbers carry the Buddhist Era year (only dates must be CE).
  put(w, "caseNo",
      "อ." + std::to_string(rng.between(100, 9999)) + "/" + std::to_string(when.year + 543) + "-" +
          std::to_string(number));
  put(w, "offence", pick(rng, offences));
  put(w, "court", pick(rng, courts));
  put(w, "verdict", verdict);
  if (verdict != "pending")
    put(w, "verdictDate", format_date(when));
  if (verdict == "convicted") {
    put(w, "sentence",
        rng.chance(50) ? "ปรับ " + std::to_string(rng.between(1, 50) * 1000) + " บาท"
                       : "จำคุก " + std::to_string(rng.between(1, 5)) + " ปี รอการลงโทษ 2 ปี");
  }
  w.EndObject();
}

std::string criminal_record_json(prng& rng, const person& p) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put(w, "citizenId", p.citizen_id);
  const bool has_record = rng.chance(5);
  w.Key("hasRecord");
  w.Bool(has_record);
  w.Key("cases");
  w.StartArray();
  if (has_record) {
    const auto count = static_cast<std::size_t>(rng.between(1, 3));
    for (std::size_t i = 1; i <= count; ++i)
      write_case(rng, w, i);
  }
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

// ---- Juristic persons and foreign workers --------------------------------------------------

struct company {
  std::string juristic_id;
  const location* where = nullptr;
};

std::pair<std::string, std::string> company_names(prng& rng, std::string_view type) {
  const auto& word = pick(rng, company_words);
  const auto& trade = pick(rng, company_trades);
  const std::string th = std::string(word.th) + std::string(trade.th);
  const std::string en = std::string(word.en) + " " + std::string(trade.en);
  if (type == "public-company-limited") {
    return {"บริษัท " + th + " จำกัด (มหาชน)", en + " Public Company Limited"};
  }
  if (type == "registered-partnership") {
    return {"ห้างหุ้นส่วนสามัญนิติบุคคล " + th, en + " Registered Ordinary Partnership"};
  }
  if (type == "limited-partnership")
    return {"ห้างหุ้นส่วนจำกัด " + th, en + " Limited Partnership"};
  return {"บริษัท " + th + " จำกัด", en + " Company Limited"};
}

std::string_view random_juristic_type(prng& rng) {
  const auto roll = rng.below(100);
  if (roll < 70)
    return "company-limited";
  if (roll < 75)
    return "public-company-limited";
  if (roll < 85)
    return "registered-partnership";
  return "limited-partnership";
}

std::string_view random_company_status(prng& rng) {
  const auto roll = rng.below(100);
  if (roll < 85)
    return "active";
  if (roll < 95)
    return "dissolved";
  if (roll < 98)
    return "abandoned";
  return "bankrupt";
}

std::string juristic_json(prng& rng, company& c, const std::vector<person>& persons) {
  const auto type = random_juristic_type(rng);
  const auto names = company_names(rng, type);
  address a = random_address(rng);
  c.where = a.where;
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put(w, "juristicId", c.juristic_id);
  put(w, "nameTh", names.first);
  put(w, "nameEn", names.second);
  put(w, "juristicType", type);
  put(w, "status", random_company_status(rng));
  put(w, "registrationDate", format_date(random_date(rng, 1980, 2025)));
  put_int(w, "registeredCapital", rng.between(1, 500) * 100000);
  write_address(w, a);
  w.Key("directors");
  w.StartArray();
  const auto count = rng.between(1, 3);
  for (std::int64_t i = 0; i < count; ++i) {
    const person& d = persons[rng.below(persons.size())];
    w.StartObject();
    put(w, "citizenId", d.citizen_id);
    put(w, "nameTh", full_name_th(d));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

std::string worker_json(prng& rng, const std::string& worker_id, const company& employer) {
  const auto& names = pick(rng, foreign_name_lists);
  const bool male = rng.chance(55);
  const date from = random_date(rng, 2024, 2025);
  date until = from;
  until.year += 2;
  if (until.month == 2 && until.day == 29)
    until.day = 28;
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put(w, "workerId", worker_id);
  put(w, "firstNameEn", male ? pick(rng, names.male) : pick(rng, names.female));
  put(w, "lastNameEn", pick(rng, names.last));
  put(w, "nationality", names.nationality);
  put(w, "passportNo", std::string(names.passport_prefix) + random_digits(rng, 7));
  put(w, "birthDate", format_date(random_date(rng, 1970, 2005)));
  put(w, "sex", male ? "male" : "female");
  put(w, "employerJuristicId", employer.juristic_id);
  put(w, "workPermitNo", "WP-" + std::to_string(from.year) + "-" + random_digits(rng, 6));
  put(w, "permitValidFrom", format_date(from));
  put(w, "permitValidUntil", format_date(until));
  put(w, "occupation", pick(rng, occupations));
  put(w, "workProvinceCode", employer.where->province);
  w.EndObject();
  return buffer.GetString();
}

}  // namespace

result<synthetic_data> generate_synthetic_data(const synthetic_options& options) {
  if (options.persons == 0 || options.persons > max_persons) {
    return make_error(errc::invalid_argument, "persons: must be between 1 and " +
                                                  std::to_string(max_persons) + ", got " +
                                                  std::to_string(options.persons));
  }
  prng rng(options.seed);
  std::unordered_set<std::string> used_ids;

  std::vector<person> persons;
  persons.reserve(options.persons);
  for (std::size_t i = 0; i < options.persons; ++i)
    persons.push_back(random_person(rng, used_ids));
  const auto houses = make_houses(rng, persons);

  synthetic_data data;
  data.persons.reserve(persons.size());
  data.house_registrations.reserve(persons.size());
  data.criminal_records.reserve(persons.size());
  for (const person& p : persons) {
    const house& h = houses[p.house];
    data.persons.push_back({p.citizen_id, person_json(p, h)});
    data.house_registrations.push_back({p.citizen_id, house_registration_json(p, h, persons)});
    data.criminal_records.push_back({p.citizen_id, criminal_record_json(rng, p)});
  }

  // Juristic persons begin 0105 (Bangkok registrar, company), workers 00: both start with 0,
  // as non-citizen numbers do, and the prefixes never collide with each other.
  std::vector<company> companies(juristic_count_for(options.persons));
  for (auto& c : companies) {
    c.juristic_id = unique_thai_id(rng, "0105", used_ids);
    data.juristic_persons.push_back({c.juristic_id, juristic_json(rng, c, persons)});
  }
  const std::size_t workers = worker_count_for(options.persons);
  for (std::size_t i = 0; i < workers; ++i) {
    const std::string id = unique_thai_id(rng, "00", used_ids);
    const company& employer = companies[rng.below(companies.size())];
    data.foreign_workers.push_back({id, worker_json(rng, id, employer)});
  }
  return data;
}

}  // namespace saphan::demo
