// Deterministic synthetic data for the demo: persons with valid citizen IDs, house
// registrations, juristic persons, foreign workers and criminal-record checks. Every record
// matches its dataset's schema in schemas/. The same options always give byte-identical output
// (own PRNG, no std::random_device, no clock, no std:: distributions whose results differ
// between standard libraries), so a demo hub made on one machine equals one made on another.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace saphan::demo {

// xoshiro256** (Blackman and Vigna), seeded through splitmix64 so any 64-bit seed gives a
// well-mixed state. Small, fast, and the same on every platform.
class prng {
 public:
  explicit prng(std::uint64_t seed);
  std::uint64_t next();
  // Uniform in [0, bound); bound > 0. Rejection sampling, so no modulo bias.
  std::uint64_t below(std::uint64_t bound);
  // Uniform in [low, high] (inclusive); low <= high.
  std::int64_t between(std::int64_t low, std::int64_t high);
  // True with probability percent/100.
  bool chance(unsigned percent);

 private:
  std::uint64_t state_[4];
};

// Limits: the generator holds everything in memory; a million persons is ~1 GB of JSON.
inline constexpr std::size_t max_persons = 1'000'000;

struct synthetic_options {
  std::size_t persons = 10000;  // 1..max_persons
  std::uint64_t seed = 2026;
};

// One record with the key its provider looks it up by (the dataset's subject field).
struct keyed_record {
  std::string key;
  std::string json;  // compact JSON object

  friend bool operator==(const keyed_record&, const keyed_record&) = default;
};

struct synthetic_data {
  std::vector<keyed_record> persons;              // dopa-person, key citizenId
  std::vector<keyed_record> house_registrations;  // dopa-house-registration, key citizenId
  std::vector<keyed_record> juristic_persons;     // dbd-juristic-person, key juristicId
  std::vector<keyed_record> foreign_workers;      // doe-foreign-worker, key workerId
  std::vector<keyed_record> criminal_records;     // police-criminal-record, key citizenId

  friend bool operator==(const synthetic_data&, const synthetic_data&) = default;
};

// How many juristic persons and foreign workers go with `persons` (about 1:5 and 3:10, so
// 10,000 persons give ~2,000 companies and ~3,000 workers; at least one of each).
std::size_t juristic_count_for(std::size_t persons);
std::size_t worker_count_for(std::size_t persons);

// Errors: invalid_argument when persons is 0 or above max_persons.
result<synthetic_data> generate_synthetic_data(const synthetic_options& options);

}  // namespace saphan::demo
