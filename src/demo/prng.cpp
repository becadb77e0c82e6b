// The demo's deterministic random numbers (xoshiro256**, seeded through splitmix64).
#include "demo/synthetic.hpp"

namespace saphan::demo {

namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

prng::prng(std::uint64_t seed) {
  for (auto& word : state_)
    word = splitmix64(seed);
}

std::uint64_t prng::next() {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

std::uint64_t prng::below(std::uint64_t bound) {
  if (bound <= 1)
    return 0;
  // Reject the top partial copy of [0, bound) so every value is equally likely.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
  std::uint64_t x = next();
  while (x >= limit)
    x = next();
  return x % bound;
}

std::int64_t prng::between(std::int64_t low, std::int64_t high) {
  if (high <= low)
    return low;
  return low + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(high - low) + 1));
}

bool prng::chance(unsigned percent) {
  return below(100) < percent;
}

}  // namespace saphan::demo
