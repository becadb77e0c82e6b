#include "core/digest_set.hpp"

#include <bit>

namespace saphan {
namespace {

constexpr std::size_t min_slots = 16;

// Filled to at most 7/10: linear probing stays short (about 2 probes for a hit, 6 for a miss).
bool over_load(std::size_t values, std::size_t slots) {
  return values * 10 > slots * 7;
}

std::size_t slots_for(std::size_t values) {
  std::size_t slots = min_slots;
  while (over_load(values, slots))
    slots *= 2;
  return slots;
}

}  // namespace

std::size_t digest_set::find_slot(std::uint64_t value) const {
  auto slot = home_of(value);
  while (slots_[slot] != 0 && slots_[slot] != value)
    slot = (slot + 1) & (slots_.size() - 1);
  return slot;
}

bool digest_set::contains(std::uint64_t digest) const {
  if (slots_.empty())
    return false;
  return slots_[find_slot(stored_form(digest))] != 0;
}

bool digest_set::insert(std::uint64_t digest) {
  if (contains(digest))
    return false;
  const auto value = stored_form(digest);
  if (slots_.empty() || over_load(size_ + 1, slots_.size()))
    rebuild(slots_for(size_ + 1));
  slots_[find_slot(value)] = value;
  ++size_;
  return true;
}

// Backward-shift deletion: the values after the hole that may live there (their home is not
// between the hole and themselves) move up, so every lookup still ends at the first empty slot.
bool digest_set::erase(std::uint64_t digest) {
  if (slots_.empty())
    return false;
  auto hole = find_slot(stored_form(digest));
  if (slots_[hole] == 0)
    return false;
  const auto mask = slots_.size() - 1;
  for (auto next = (hole + 1) & mask; slots_[next] != 0; next = (next + 1) & mask) {
    const auto home = home_of(slots_[next]);
    const auto distance_from_home = (next - home) & mask;
    const auto distance_to_hole = (next - hole) & mask;
    if (distance_from_home >= distance_to_hole) {
      slots_[hole] = slots_[next];
      hole = next;
    }
  }
  slots_[hole] = 0;
  --size_;
  return true;
}

void digest_set::shrink_to_fit() {
  if (size_ == 0) {
    slots_ = {};
    return;
  }
  const auto wanted = slots_for(size_);
  if (wanted < slots_.size())
    rebuild(wanted);
}

void digest_set::rebuild(std::size_t slot_count) {
  std::vector<std::uint64_t> old;
  old.swap(slots_);
  slots_.assign(std::bit_ceil(slot_count), 0);
  for (const auto value : old) {
    if (value != 0)
      slots_[find_slot(value)] = value;
  }
}

}  // namespace saphan
