#include "merkle/merkle.hpp"

#include <bit>
#include <string>

namespace saphan::merkle {
namespace {

constexpr char leaf_prefix = '\x00';
constexpr char node_prefix = '\x01';

std::string describe_sizes(std::uint64_t a, std::uint64_t b) {
  return std::to_string(a) + " and " + std::to_string(b);
}

error fail_proof(std::string detail) {
  return make_error(errc::proof_invalid, std::move(detail));
}

error fail_root(std::string_view which, const sha256_digest& expected,
                const sha256_digest& computed) {
  return make_error(errc::root_mismatch, std::string(which) + ": expected root " +
                                             expected.to_hex() + ", computed " + computed.to_hex());
}

// The complete nodes that make up the right-border range [begin, end), largest first. Callers pass
// a begin aligned to a power of two larger than end - begin, so the greedy split is exactly the
// MTH split and folding the hashes right to left gives MTH(D[begin:end]).
proof_step border_step(std::uint64_t begin, std::uint64_t end) {
  proof_step step;
  while (begin < end) {
    auto level = static_cast<std::uint8_t>(std::bit_width(end - begin) - 1);
    step.nodes.push_back(node_id{level, begin >> level});
    begin += std::uint64_t{1} << level;
  }
  return step;
}

// The siblings on the path from node (level, index) to the root of the tree of `size` leaves. A
// sibling that reaches past `size` is an ephemeral right-border node; a missing sibling (the
// node is the last one at its level and a left child) adds nothing, as in the MTH recursion.
void append_path(std::uint64_t index, std::uint8_t level, std::uint64_t size, proof_plan& plan) {
  for (; ((size - 1) >> level) > 0; ++level, index >>= 1) {
    const std::uint64_t last = (size - 1) >> level;
    const std::uint64_t sibling = index ^ 1;
    if (sibling > last)
      continue;
    const node_id node{level, sibling};
    if (node.end_leaf() <= size) {
      plan.steps.push_back(proof_step{{node}});
    } else {
      plan.steps.push_back(border_step(node.first_leaf(), size));
    }
  }
}

sha256_digest fold_right_to_left(std::span<const sha256_digest> hashes) {
  sha256_digest acc = hashes.back();
  for (std::size_t i = hashes.size() - 1; i-- > 0;)
    acc = node_hash(hashes[i], acc);
  return acc;
}

// RFC 9162 2.1.3.2 and 2.1.4.2 share this step: after hashing in a left sibling at a node that is
// the last of its level, climb past the levels where the node has no sibling.
void shift_while_even(std::uint64_t& fn, std::uint64_t& sn) {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

result<void> check_proof_length(std::string_view what, std::size_t got, std::size_t want) {
  if (got == want)
    return ok();
  return fail_proof(std::string(what) + ": proof has " + std::to_string(got) +
                    " hashes, expected " + std::to_string(want));
}

}  // namespace

sha256_digest empty_root() {
  return crypto::sha256({});
}

sha256_digest leaf_hash(std::string_view entry) {
  crypto::sha256_hasher h;
  h.update(std::string_view(&leaf_prefix, 1)).update(entry);
  return h.finish();
}

sha256_digest node_hash(const sha256_digest& left, const sha256_digest& right) {
  crypto::sha256_hasher h;
  h.update(std::string_view(&node_prefix, 1)).update(left.view()).update(right.view());
  return h.finish();
}

sha256_digest root_from_leaves(std::span<const sha256_digest> leaf_hashes) {
  const std::size_t n = leaf_hashes.size();
  if (n == 0)
    return empty_root();
  if (n == 1)
    return leaf_hashes[0];
  const std::size_t k = std::bit_floor(n - 1);  // largest power of two strictly below n
  return node_hash(root_from_leaves(leaf_hashes.first(k)),
                   root_from_leaves(leaf_hashes.subspan(k)));
}

// ---- compact_tree ----

std::vector<node_id> compact_tree::border_nodes(std::uint64_t size) {
  std::vector<node_id> nodes;
  std::uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    const std::uint64_t width = std::uint64_t{1} << level;
    if ((size & width) == 0)
      continue;
    nodes.push_back(node_id{static_cast<std::uint8_t>(level), begin >> level});
    begin += width;
  }
  return nodes;
}

result<compact_tree> compact_tree::restore(std::uint64_t size,
                                           std::span<const sha256_digest> border) {
  if (size > max_tree_size) {
    return make_error(errc::invalid_argument, "compact_tree.size: must be at most 2^63-1");
  }
  const auto want = static_cast<std::size_t>(std::popcount(size));
  if (border.size() != want) {
    return make_error(errc::invalid_argument, "compact_tree.border: a tree of " +
                                                  std::to_string(size) + " leaves needs " +
                                                  std::to_string(want) + " border hashes, got " +
                                                  std::to_string(border.size()));
  }
  compact_tree tree;
  tree.size_ = size;
  tree.border_.assign(border.begin(), border.end());
  return tree;
}

result<std::vector<stored_node>> compact_tree::append(const sha256_digest& leaf) {
  if (size_ >= max_tree_size) {
    return make_error(errc::invalid_argument, "compact_tree.append: tree is full (2^63-1 leaves)");
  }
  std::vector<stored_node> completed;
  node_id id{0, size_};
  sha256_digest hash = leaf;
  completed.push_back(stored_node{id, hash});
  // Each set low bit of size_ is a perfect subtree that the new leaf now completes a parent of.
  while ((size_ >> id.level) & 1) {
    hash = node_hash(border_.back(), hash);
    border_.pop_back();
    id = node_id{static_cast<std::uint8_t>(id.level + 1), id.index >> 1};
    completed.push_back(stored_node{id, hash});
  }
  border_.push_back(hash);
  ++size_;
  return completed;
}

sha256_digest compact_tree::root() const {
  if (border_.empty())
    return empty_root();
  return fold_right_to_left(border_);
}

// ---- proof plans ----

std::vector<node_id> proof_plan::nodes() const {
  std::vector<node_id> all;
  for (const auto& step : steps)
    all.insert(all.end(), step.nodes.begin(), step.nodes.end());
  return all;
}

result<proof_plan> inclusion_proof_plan(std::uint64_t index, std::uint64_t size) {
  if (size > max_tree_size) {
    return make_error(errc::invalid_argument, "size: must be at most 2^63-1");
  }
  if (index >= size) {
    return make_error(errc::invalid_argument,
                      "index: must be below the tree size (index and size are " +
                          describe_sizes(index, size) + ")");
  }
  proof_plan plan;
  append_path(index, 0, size, plan);
  return plan;
}

result<proof_plan> consistency_proof_plan(std::uint64_t size1, std::uint64_t size2) {
  if (size2 > max_tree_size) {
    return make_error(errc::invalid_argument, "size2: must be at most 2^63-1");
  }
  if (size1 > size2) {
    return make_error(errc::invalid_argument, "size1: must not exceed size2 (sizes are " +
                                                  describe_sizes(size1, size2) + ")");
  }
  proof_plan plan;
  if (size1 == 0 || size1 == size2)
    return plan;
  // The largest perfect subtree ending at size1: the proof is the path from it to the root of
  // size2, preceded by the node itself unless it is the whole old tree (the verifier has that
  // hash already: it is root1).
  const auto level = static_cast<std::uint8_t>(std::countr_zero(size1));
  const std::uint64_t index = (size1 - 1) >> level;
  if (index != 0)
    plan.steps.push_back(proof_step{{node_id{level, index}}});
  append_path(index, level, size2, plan);
  return plan;
}

result<std::vector<sha256_digest>> assemble_proof(const proof_plan& plan,
                                                  std::span<const sha256_digest> fetched) {
  std::size_t want = 0;
  for (const auto& step : plan.steps)
    want += step.nodes.size();
  if (fetched.size() != want) {
    return make_error(errc::invalid_argument, "fetched: the plan names " + std::to_string(want) +
                                                  " nodes, got " + std::to_string(fetched.size()) +
                                                  " hashes");
  }
  std::vector<sha256_digest> proof;
  proof.reserve(plan.steps.size());
  std::size_t at = 0;
  for (const auto& step : plan.steps) {
    if (step.nodes.empty())
      return make_error(errc::invalid_argument, "plan: empty proof step");
    proof.push_back(fold_right_to_left(fetched.subspan(at, step.nodes.size())));
    at += step.nodes.size();
  }
  return proof;
}

// ---- verification ----

result<void> verify_inclusion(const sha256_digest& leaf, std::uint64_t index, std::uint64_t size,
                              std::span<const sha256_digest> proof, const sha256_digest& root) {
  if (proof.size() > max_proof_hashes) {
    return fail_proof("inclusion proof: " + std::to_string(proof.size()) +
                      " hashes exceed the limit of " + std::to_string(max_proof_hashes));
  }
  auto plan = inclusion_proof_plan(index, size);
  if (!plan)
    return fail_proof("inclusion proof: " + plan.error().detail);
  SAPHAN_TRY_VOID(check_proof_length("inclusion proof", proof.size(), plan->steps.size()));

  // RFC 9162 section 2.1.3.2, step by step.
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  sha256_digest r = leaf;
  for (const auto& p : proof) {
    if (sn == 0)
      return fail_proof("inclusion proof: too long for this index and size");
    if ((fn & 1) || fn == sn) {
      r = node_hash(p, r);
      shift_while_even(fn, sn);
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0)
    return fail_proof("inclusion proof: too short for this index and size");
  if (r != root)
    return fail_root("inclusion proof", root, r);
  return ok();
}

result<void> verify_consistency(std::uint64_t size1, std::uint64_t size2,
                                const sha256_digest& root1, const sha256_digest& root2,
                                std::span<const sha256_digest> proof) {
  if (proof.size() > max_proof_hashes) {
    return fail_proof("consistency proof: " + std::to_string(proof.size()) +
                      " hashes exceed the limit of " + std::to_string(max_proof_hashes));
  }
  auto plan = consistency_proof_plan(size1, size2);
  if (!plan)
    return fail_proof("consistency proof: " + plan.error().detail);
  SAPHAN_TRY_VOID(check_proof_length("consistency proof", proof.size(), plan->steps.size()));
  if (size1 == 0) {
    if (root1 != empty_root())
      return fail_root("consistency proof, empty tree", empty_root(), root1);
    return ok();
  }
  if (size1 == size2) {
    if (root1 != root2)
      return fail_root("consistency proof, equal sizes", root1, root2);
    return ok();
  }

  // RFC 9162 section 2.1.4.2, step by step.
  std::vector<sha256_digest> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(size1))
    path.push_back(root1);
  path.insert(path.end(), proof.begin(), proof.end());
  std::uint64_t fn = size1 - 1;
  std::uint64_t sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  sha256_digest fr = path.front();
  sha256_digest sr = path.front();
  for (std::size_t i = 1; i < path.size(); ++i) {
    const sha256_digest& c = path[i];
    if (sn == 0)
      return fail_proof("consistency proof: too long for these sizes");
    if ((fn & 1) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      shift_while_even(fn, sn);
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0)
    return fail_proof("consistency proof: too short for these sizes");
  if (fr != root1)
    return fail_root("consistency proof, old tree", root1, fr);
  if (sr != root2)
    return fail_root("consistency proof, new tree", root2, sr);
  return ok();
}

}  // namespace saphan::merkle
