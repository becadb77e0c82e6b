// A set of 64-bit digests (outputs of a keyed hash such as crypto::short_hash) in one flat array:
// open addressing with linear probing, at most 70% full (35% just after growing), 8 bytes a slot.
// A std::unordered_set spends about 40 bytes per value (a node, its allocation, a bucket); this
// one 11-23 while it grows.
//
// The values must already be uniformly spread: a value's own low bits pick its slot. The value 0
// marks an empty slot, so 0 is stored as 1 (for digests that merges two of 2^64 values).
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace saphan {

class digest_set {
 public:
  bool contains(std::uint64_t digest) const;
  // True when added, false when it was there already.
  bool insert(std::uint64_t digest);
  // True when removed, false when it was not there.
  bool erase(std::uint64_t digest);
  std::size_t size() const { return size_; }
  // Slots allocated (a power of two, or 0 when empty).
  std::size_t slot_count() const { return slots_.size(); }
  // Once few slots are in use, moves the values into the smallest table that holds them.
  void shrink_to_fit();

 private:
  static std::uint64_t stored_form(std::uint64_t digest) { return digest == 0 ? 1 : digest; }
  std::size_t home_of(std::uint64_t value) const { return value & (slots_.size() - 1); }
  std::size_t find_slot(std::uint64_t value) const;  // its slot, or the empty one ending its run
  void rebuild(std::size_t slot_count);

  std::vector<std::uint64_t> slots_;
  std::size_t size_ = 0;
};

}  // namespace saphan
