// RFC 9162 (Certificate Transparency v2) Merkle tree math for the evidence log: hashes, an
// incremental tree, proof plans and proof verification. Everything here is pure: no storage and
// no I/O. Proof generation NAMES the nodes it needs (node_id) and the caller fetches their hashes
// from wherever it stores them, so the same math serves SQLite, PostgreSQL and offline exports.
//
// Coordinates: a node at (level, index) covers the leaves [index << level, (index + 1) << level);
// level 0 holds the leaves. A node is COMPLETE in a tree of `size` leaves when its whole leaf range
// is below `size`; only complete nodes are ever stored, because they never change again.
#pragma once

#include <compare>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/hash.hpp"

namespace saphan::merkle {

using crypto::sha256_digest;

// Sizes stay below 2^63 so every leaf range end ((index + 1) << level) fits in 64 bits and every
// size fits a JSON int64.
inline constexpr std::uint64_t max_tree_size = (std::uint64_t{1} << 63) - 1;
// An inclusion proof for a tree below 2^63 has at most 63 hashes, a consistency proof at most 64;
// longer input is refused before any hashing.
inline constexpr std::size_t max_proof_hashes = 64;

// ---- Hashes (RFC 9162 section 2.1.1) ----
// SHA-256 of the empty string: the root of the empty tree.
sha256_digest empty_root();
// H(0x00 || entry).
sha256_digest leaf_hash(std::string_view entry);
// H(0x01 || left || right).
sha256_digest node_hash(const sha256_digest& left, const sha256_digest& right);

// The reference MTH: recursive split at the largest power of two below n (RFC 9162 2.1.1).
// For tests, offline verification of exports and small trees; the depth is at most 64.
sha256_digest root_from_leaves(std::span<const sha256_digest> leaf_hashes);

// ---- Node coordinates ----
struct node_id {
  std::uint8_t level = 0;
  std::uint64_t index = 0;

  std::uint64_t first_leaf() const { return index << level; }
  // One past the last leaf covered.
  std::uint64_t end_leaf() const { return (index + 1) << level; }
  friend auto operator<=>(const node_id&, const node_id&) = default;
};

// A node and its hash: what compact_tree::append hands back for the caller to store.
struct stored_node {
  node_id id;
  sha256_digest hash;
  friend bool operator==(const stored_node&, const stored_node&) = default;
};

// ---- Incremental tree (compact range [0, size)) ----
// Keeps only the right border: one perfect subtree root per set bit of size, largest first.
class compact_tree {
 public:
  compact_tree() = default;

  // Rebuilds the tree of `size` leaves from its border hashes, in the order border_nodes(size)
  // names them. Errors: invalid_argument (size above max_tree_size, wrong number of hashes).
  static result<compact_tree> restore(std::uint64_t size, std::span<const sha256_digest> border);
  // The complete nodes whose hashes restore() needs for a tree of `size` leaves, largest first.
  static std::vector<node_id> border_nodes(std::uint64_t size);

  // Appends one leaf hash; returns the nodes that became complete: the leaf itself (level 0)
  // first, then each new parent going up. The caller stores them to serve proofs later.
  // Errors: invalid_argument when the tree already holds max_tree_size leaves.
  result<std::vector<stored_node>> append(const sha256_digest& leaf);

  // The RFC 9162 root of the leaves so far (empty_root() for none).
  sha256_digest root() const;
  std::uint64_t size() const { return size_; }
  // The current border hashes, largest subtree first (what restore() takes back).
  std::span<const sha256_digest> border() const { return border_; }

 private:
  std::uint64_t size_ = 0;
  std::vector<sha256_digest> border_;
};

// ---- Proof plans: which nodes a proof needs ----
// One proof hash. With one node it is that complete node's stored hash. With several it is an
// ephemeral node on the right border of the tree: the listed complete nodes (left to right,
// each smaller than the one before) combined right to left,
//   node_hash(n[0], node_hash(n[1], ... node_hash(n[k-2], n[k-1]))).
struct proof_step {
  std::vector<node_id> nodes;
  friend bool operator==(const proof_step&, const proof_step&) = default;
};

struct proof_plan {
  std::vector<proof_step> steps;  // in proof order (leaf side first)

  // Every node to fetch, in step order; assemble_proof takes their hashes in this order.
  std::vector<node_id> nodes() const;
};

// The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 2.1.3.1).
// Errors: invalid_argument when index >= size or size > max_tree_size.
result<proof_plan> inclusion_proof_plan(std::uint64_t index, std::uint64_t size);
// The consistency proof from the tree of size1 to the tree of size2 (RFC 9162 2.1.4.1); empty
// when size1 is 0 or equals size2. Errors: invalid_argument when size1 > size2 or size2 >
// max_tree_size.
result<proof_plan> consistency_proof_plan(std::uint64_t size1, std::uint64_t size2);

// Turns fetched hashes (one per plan.nodes() entry, same order) into proof hashes.
// Errors: invalid_argument when the count differs from plan.nodes().size().
result<std::vector<sha256_digest>> assemble_proof(const proof_plan& plan,
                                                  std::span<const sha256_digest> fetched);

// ---- Verification (RFC 9162 2.1.3.2 and 2.1.4.2) ----
// Errors: proof_invalid (index >= size, size above max_tree_size, proof longer than
// max_proof_hashes or not the length this index and size require), root_mismatch (the
// recomputed root differs; the detail gives expected and computed roots in hex).
result<void> verify_inclusion(const sha256_digest& leaf, std::uint64_t index, std::uint64_t size,
                              std::span<const sha256_digest> proof, const sha256_digest& root);

// size1 == 0: the proof must be empty and root1 must be empty_root(). size1 == size2: the proof
// must be empty and the roots equal. Errors: proof_invalid (size1 > size2, size above
// max_tree_size, wrong proof length), root_mismatch (either recomputed root differs; the detail
// names which one, expected and computed, in hex).
result<void> verify_consistency(std::uint64_t size1, std::uint64_t size2,
                                const sha256_digest& root1, const sha256_digest& root2,
                                std::span<const sha256_digest> proof);

}  // namespace saphan::merkle
