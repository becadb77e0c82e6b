// Merkle tree math against a reference written straight from the RFC 9162 text (MTH in 2.1.1,
// PATH in 2.1.3.1, SUBPROOF in 2.1.4.1), for every tree size 1..300, every index and every pair
// of sizes, plus the negative cases a verifier must reject with the right code.
#include <catch2/catch.hpp>

#include <bit>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "merkle/merkle.hpp"

namespace {

using namespace saphan;
using namespace saphan::merkle;
using crypto::sha256_digest;

constexpr std::uint64_t max_size_tested = 300;

std::vector<sha256_digest> make_leaf_hashes(std::size_t count) {
  std::vector<sha256_digest> hashes;
  for (std::size_t i = 0; i < count; ++i)
    hashes.push_back(leaf_hash("entry-" + std::to_string(i)));
  return hashes;
}

// The RFC 9162 definitions over leaves [begin, end) of one fixed leaf list. Every tree in these
// tests is a prefix of the same list, so MTH of a range is memoised to keep the run short.
class rfc_reference {
 public:
  explicit rfc_reference(std::vector<sha256_digest> leaves) : leaves_(std::move(leaves)) {}

  // MTH(D[begin:end]); n > 1: k is the largest power of two smaller than n.
  sha256_digest mth(std::uint64_t begin, std::uint64_t end) {
    const std::uint64_t n = end - begin;
    if (n == 0)
      return crypto::sha256("");
    if (n == 1)
      return leaves_[begin];
    auto key = std::make_pair(begin, end);
    if (auto it = memo_.find(key); it != memo_.end())
      return it->second;
    const std::uint64_t k = largest_power_below(n);
    auto hash = node_hash(mth(begin, begin + k), mth(begin + k, end));
    memo_.emplace(key, hash);
    return hash;
  }

  // PATH(m, D[begin:end]).
  std::vector<sha256_digest> path(std::uint64_t m, std::uint64_t begin, std::uint64_t end) {
    const std::uint64_t n = end - begin;
    if (n == 1)
      return {};
    const std::uint64_t k = largest_power_below(n);
    std::vector<sha256_digest> out;
    if (m < k) {
      out = path(m, begin, begin + k);
      out.push_back(mth(begin + k, end));
    } else {
      out = path(m - k, begin + k, end);
      out.push_back(mth(begin, begin + k));
    }
    return out;
  }

  // PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
  std::vector<sha256_digest> proof(std::uint64_t m, std::uint64_t n) {
    return subproof(m, 0, n, true);
  }

 private:
  static std::uint64_t largest_power_below(std::uint64_t n) { return std::bit_floor(n - 1); }

  std::vector<sha256_digest> subproof(std::uint64_t m, std::uint64_t begin, std::uint64_t end,
                                      bool b) {
    const std::uint64_t n = end - begin;
    if (m == n) {
      if (b)
        return {};
      return {mth(begin, end)};
    }
    const std::uint64_t k = largest_power_below(n);
    std::vector<sha256_digest> out;
    if (m <= k) {
      out = subproof(m, begin, begin + k, b);
      out.push_back(mth(begin + k, end));
    } else {
      out = subproof(m - k, begin + k, end, false);
      out.push_back(mth(begin, begin + k));
    }
    return out;
  }

  std::vector<sha256_digest> leaves_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, sha256_digest> memo_;
};

// What a log's storage would hold: every node compact_tree reported as complete.
struct node_store {
  std::map<node_id, sha256_digest> nodes;
  std::uint64_t size = 0;

  // Fetches a plan's nodes the way a caller would; fails the test when the plan names a node that
  // is not complete in the current tree (it would not be in storage yet).
  std::vector<sha256_digest> fetch(const proof_plan& plan) const {
    std::vector<sha256_digest> hashes;
    for (const auto& id : plan.nodes()) {
      INFO("level " << int(id.level) << " index " << id.index << " size " << size);
      REQUIRE(id.end_leaf() <= size);
      auto it = nodes.find(id);
      REQUIRE(it != nodes.end());
      hashes.push_back(it->second);
    }
    return hashes;
  }
};

// Proofs for the tree of `size` leaves (at most the store's size: older trees are proved from
// the same stored nodes).
std::vector<sha256_digest> inclusion_proof_at(const node_store& store, std::uint64_t index,
                                              std::uint64_t size) {
  auto plan = inclusion_proof_plan(index, size);
  REQUIRE(plan);
  auto proof = assemble_proof(*plan, store.fetch(*plan));
  REQUIRE(proof);
  return *proof;
}

std::vector<sha256_digest> consistency_proof_at(const node_store& store, std::uint64_t size1,
                                                std::uint64_t size2) {
  auto plan = consistency_proof_plan(size1, size2);
  REQUIRE(plan);
  auto proof = assemble_proof(*plan, store.fetch(*plan));
  REQUIRE(proof);
  return *proof;
}

std::vector<sha256_digest> inclusion_proof(const node_store& store, std::uint64_t index) {
  return inclusion_proof_at(store, index, store.size);
}

std::vector<sha256_digest> consistency_proof(const node_store& store, std::uint64_t size1) {
  return consistency_proof_at(store, size1, store.size);
}

void append_to(compact_tree& tree, node_store& store, const sha256_digest& leaf) {
  auto completed = tree.append(leaf);
  REQUIRE(completed);
  for (const auto& n : *completed)
    store.nodes.emplace(n.id, n.hash);
  store.size = tree.size();
}

sha256_digest flip_bit(sha256_digest d, std::size_t bit) {
  d.bytes[bit / 8 % 32] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  return d;
}

// The code a verifier must give when a proof is used with other claims: a proof of another
// length is malformed for those claims; one of the same length recomputes a different root.
errc expected_inclusion_code(std::uint64_t index, std::uint64_t size, std::size_t proof_length) {
  auto plan = inclusion_proof_plan(index, size);
  if (!plan || plan->steps.size() != proof_length)
    return errc::proof_invalid;
  return errc::root_mismatch;
}

errc expected_consistency_code(std::uint64_t size1, std::uint64_t size2, std::size_t proof_length) {
  auto plan = consistency_proof_plan(size1, size2);
  if (!plan || plan->steps.size() != proof_length)
    return errc::proof_invalid;
  return errc::root_mismatch;
}

}  // namespace

TEST_CASE("leaf and node hashes use the RFC 9162 domain prefixes", "[evidence]") {
  CHECK(empty_root().to_hex() ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(leaf_hash("abc") == crypto::sha256(std::string("\x00", 1) + "abc"));
  auto a = leaf_hash("a");
  auto b = leaf_hash("b");
  CHECK(node_hash(a, b) == crypto::sha256("\x01" + std::string(a.view()) + std::string(b.view())));
  CHECK(node_hash(a, b) != node_hash(b, a));
  // A leaf never collides with an interior node over the same bytes (second-preimage defence).
  CHECK(leaf_hash(std::string(a.view()) + std::string(b.view())) != node_hash(a, b));
}

TEST_CASE("node_id coordinates cover the right leaf ranges", "[evidence]") {
  CHECK(node_id{0, 5}.first_leaf() == 5);
  CHECK(node_id{0, 5}.end_leaf() == 6);
  CHECK(node_id{3, 2}.first_leaf() == 16);
  CHECK(node_id{3, 2}.end_leaf() == 24);
  CHECK(node_id{62, 1}.end_leaf() == (std::uint64_t{1} << 63));
  CHECK(node_id{1, 0} < node_id{1, 1});
}

TEST_CASE("compact_tree matches the reference MTH for every size 0..300", "[evidence]") {
  const auto leaves = make_leaf_hashes(max_size_tested);
  rfc_reference ref(leaves);
  compact_tree tree;
  CHECK(tree.root() == empty_root());
  CHECK(root_from_leaves({}) == empty_root());
  for (std::uint64_t n = 1; n <= max_size_tested; ++n) {
    auto completed = tree.append(leaves[n - 1]);
    REQUIRE(completed);
    INFO("size " << n);
    CHECK(tree.size() == n);
    CHECK(tree.root() == ref.mth(0, n));
    CHECK(root_from_leaves(std::span(leaves).first(n)) == ref.mth(0, n));
    // The leaf first, then one new parent per level, each complete and hashing its range.
    REQUIRE(!completed->empty());
    CHECK((*completed)[0] == stored_node{node_id{0, n - 1}, leaves[n - 1]});
    CHECK(completed->size() == static_cast<std::size_t>(std::countr_zero(n)) + 1);
    for (std::size_t i = 0; i < completed->size(); ++i) {
      const auto& node = (*completed)[i];
      CHECK(node.id.level == i);
      CHECK(node.id.end_leaf() == n);
      CHECK(node.hash == ref.mth(node.id.first_leaf(), node.id.end_leaf()));
    }
  }
}

TEST_CASE("compact_tree restores from its border nodes and continues identically", "[evidence]") {
  const auto leaves = make_leaf_hashes(80);
  compact_tree full;
  node_store store;
  for (std::uint64_t n = 0; n < 40; ++n)
    append_to(full, store, leaves[n]);

  for (std::uint64_t size = 0; size <= 40; ++size) {
    INFO("size " << size);
    std::vector<sha256_digest> border;
    for (const auto& id : compact_tree::border_nodes(size)) {
      REQUIRE(id.end_leaf() <= size);
      border.push_back(store.nodes.at(id));
    }
    auto restored = compact_tree::restore(size, border);
    REQUIRE(restored);
    CHECK(restored->size() == size);
    CHECK(restored->root() == root_from_leaves(std::span(leaves).first(size)));
    for (std::uint64_t n = size; n < 80; ++n)
      REQUIRE(restored->append(leaves[n]));
    CHECK(restored->root() == root_from_leaves(leaves));
  }

  auto too_few = compact_tree::restore(7, std::vector<sha256_digest>(2));
  REQUIRE_FALSE(too_few);
  CHECK(too_few.code() == errc::invalid_argument);
  CHECK(too_few.error().detail.find("needs 3 border hashes, got 2") != std::string::npos);
  CHECK_FALSE(compact_tree::restore(8, std::vector<sha256_digest>(2)));
  CHECK(compact_tree::restore(8, std::vector<sha256_digest>(1)));
}

TEST_CASE("compact_tree refuses to grow past max_tree_size", "[evidence]") {
  const auto below = max_tree_size - 1;
  auto tree = compact_tree::restore(below, std::vector<sha256_digest>(std::popcount(below)));
  REQUIRE(tree);
  auto last = tree->append(leaf_hash("last"));
  REQUIRE(last);
  CHECK(tree->size() == max_tree_size);
  auto full = tree->append(leaf_hash("one too many"));
  REQUIRE_FALSE(full);
  CHECK(full.code() == errc::invalid_argument);
  CHECK(tree->size() == max_tree_size);

  auto at_max = compact_tree::restore(max_tree_size, std::vector<sha256_digest>(63));
  CHECK(at_max);
  auto over = compact_tree::restore(max_tree_size + 1, std::vector<sha256_digest>(1));
  REQUIRE_FALSE(over);
  CHECK(over.code() == errc::invalid_argument);
}

TEST_CASE("inclusion proofs equal RFC 9162 PATH and verify for every size 1..300 and index",
          "[evidence][exhaustive]") {
  const auto leaves = make_leaf_hashes(max_size_tested);
  rfc_reference ref(leaves);
  compact_tree tree;
  node_store store;
  for (std::uint64_t n = 1; n <= max_size_tested; ++n) {
    append_to(tree, store, leaves[n - 1]);
    const auto root = tree.root();
    for (std::uint64_t m = 0; m < n; ++m) {
      INFO("index " << m << " size " << n);
      const auto proof = inclusion_proof(store, m);
      REQUIRE(proof == ref.path(m, 0, n));
      auto verified = verify_inclusion(leaves[m], m, n, proof, root);
      if (!verified)
        FAIL(verified.error().detail);
    }
  }
}

TEST_CASE("inclusion verification rejects wrong claims and damaged proofs", "[evidence]") {
  const auto leaves = make_leaf_hashes(71);
  std::vector<sha256_digest> roots;
  for (std::size_t n = 0; n <= leaves.size(); ++n) {
    roots.push_back(root_from_leaves(std::span(leaves).first(n)));
  }
  compact_tree tree;
  node_store store;
  for (std::uint64_t n = 1; n <= 70; ++n) {
    append_to(tree, store, leaves[n - 1]);
    const auto root = tree.root();
    for (std::uint64_t m = 0; m < n; ++m) {
      INFO("index " << m << " size " << n);
      const auto proof = inclusion_proof(store, m);

      for (std::size_t i = 0; i < proof.size(); ++i) {
        for (std::size_t bit : {std::size_t{0}, std::size_t{131}, std::size_t{255}}) {
          auto damaged = proof;
          damaged[i] = flip_bit(damaged[i], bit);
          CHECK(verify_inclusion(leaves[m], m, n, damaged, root).code() == errc::root_mismatch);
        }
      }
      CHECK(verify_inclusion(flip_bit(leaves[m], 7), m, n, proof, root).code() ==
            errc::root_mismatch);
      CHECK(verify_inclusion(leaves[m], m, n, proof, flip_bit(root, 200)).code() ==
            errc::root_mismatch);

      auto extended = proof;
      extended.push_back(leaves[0]);
      CHECK(verify_inclusion(leaves[m], m, n, extended, root).code() == errc::proof_invalid);
      if (!proof.empty()) {
        auto truncated = proof;
        truncated.pop_back();
        CHECK(verify_inclusion(leaves[m], m, n, truncated, root).code() == errc::proof_invalid);
      }

      for (std::uint64_t other : {m + 1, m ^ 1, m + 2}) {
        if (other == m || other >= n)
          continue;
        CHECK(verify_inclusion(leaves[m], other, n, proof, root).code() ==
              expected_inclusion_code(other, n, proof.size()));
      }
      // A wrong size is claimed together with that size's real root (as a checkpoint would
      // give it): a proof alone cannot pin the size, since (0, 3) and (0, 4) hash alike.
      for (std::uint64_t other_size : {n - 1, n + 1}) {
        if (other_size <= m)
          continue;
        CHECK(verify_inclusion(leaves[m], m, other_size, proof, roots[other_size]).code() ==
              expected_inclusion_code(m, other_size, proof.size()));
      }
      CHECK(verify_inclusion(leaves[m], n, n, proof, root).code() == errc::proof_invalid);
      CHECK(verify_inclusion(leaves[m], n + 5, n, proof, root).code() == errc::proof_invalid);
    }
  }
}

// The exhaustive damage checks above stop at 70 leaves; wrong claims are checked for every tree
// size from 1 to 300 and every index: a proof for (m, n) does not verify as a proof of another
// index, nor for another size (with that size's real root), nor the other way round for
// consistency. Counted, then checked once, to keep the assertion count small.
TEST_CASE("proofs for a wrong index or size are rejected, every size 1..300",
          "[evidence][exhaustive]") {
  const auto leaves = make_leaf_hashes(max_size_tested + 1);
  compact_tree tree;
  node_store store;
  std::vector<sha256_digest> roots{empty_root()};
  std::uint64_t checked = 0;
  std::vector<std::string> wrong;
  // Proofs assembled without Catch macros per node: this loop makes about 90,000 of them.
  auto assemble = [&](const result<proof_plan>& plan) {
    std::vector<sha256_digest> hashes;
    if (!plan)
      return hashes;
    for (const auto& id : plan->nodes()) {
      auto it = store.nodes.find(id);
      if (it != store.nodes.end())
        hashes.push_back(it->second);
    }
    auto proof = assemble_proof(*plan, hashes);
    return proof ? *proof : std::vector<sha256_digest>{};
  };
  std::uint64_t index = 0, size = 0;  // the proof being misused, for the failure message
  auto expect = [&](const result<void>& r, errc code, const char* what) {
    ++checked;
    if (r.code() != code && wrong.size() < 5) {
      wrong.push_back(std::string(what) + " index " + std::to_string(index) + " size " +
                      std::to_string(size));
    }
  };
  for (std::uint64_t n = 1; n <= max_size_tested; ++n) {
    append_to(tree, store, leaves[n - 1]);
    roots.push_back(tree.root());
  }
  for (std::uint64_t n = 1; n <= max_size_tested; ++n) {
    for (std::uint64_t m = 0; m < n; ++m) {
      const auto proof = assemble(inclusion_proof_plan(m, n));
      index = m;
      size = n;
      for (std::uint64_t other : {m + 1, m ^ 1, n - 1 - m}) {
        if (other == m || other >= n)
          continue;
        expect(verify_inclusion(leaves[m], other, n, proof, roots[n]),
               expected_inclusion_code(other, n, proof.size()), "other index");
      }
      for (std::uint64_t other_size : {n - 1, n + 1}) {
        if (other_size <= m || other_size > max_size_tested)
          continue;
        expect(verify_inclusion(leaves[m], m, other_size, proof, roots[other_size]),
               expected_inclusion_code(m, other_size, proof.size()), "other size");
      }
      expect(verify_inclusion(leaves[m], n, n, proof, roots[n]), errc::proof_invalid,
             "index = size");
      if (m == 0)
        continue;
      const auto consistency = assemble(consistency_proof_plan(m, n));
      for (std::uint64_t other : {m - 1, m + 1}) {
        if (other == 0 || other >= n)
          continue;
        expect(verify_consistency(other, n, roots[other], roots[n], consistency),
               expected_consistency_code(other, n, consistency.size()), "consistency from");
      }
      if (n + 1 <= max_size_tested) {
        expect(verify_consistency(m, n + 1, roots[m], roots[n + 1], consistency),
               expected_consistency_code(m, n + 1, consistency.size()), "consistency to");
      }
    }
  }
  INFO("first failures: " << (wrong.empty() ? std::string("none") : wrong.front()));
  CHECK(wrong.empty());
  CHECK(checked > 100000);
}

TEST_CASE("inclusion verification reports expected and computed roots", "[evidence]") {
  const auto leaves = make_leaf_hashes(5);
  const auto root = root_from_leaves(leaves);
  const auto proof =
      std::vector<sha256_digest>{leaves[3], node_hash(leaves[0], leaves[1]), leaves[4]};
  REQUIRE(verify_inclusion(leaves[2], 2, 5, proof, root));
  const auto wrong = flip_bit(root, 0);
  auto r = verify_inclusion(leaves[2], 2, 5, proof, wrong);
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::root_mismatch);
  CHECK(r.error().detail.find("expected root " + wrong.to_hex()) != std::string::npos);
  CHECK(r.error().detail.find("computed " + root.to_hex()) != std::string::npos);

  auto short_proof = verify_inclusion(leaves[2], 2, 5, std::span(proof).first(2), root);
  CHECK(short_proof.code() == errc::proof_invalid);
  CHECK(short_proof.error().detail.find("proof has 2 hashes, expected 3") != std::string::npos);
}

TEST_CASE("inclusion verification bounds sizes and proof length", "[evidence]") {
  const auto leaf = leaf_hash("x");
  CHECK(verify_inclusion(leaf, 0, 0, {}, empty_root()).code() == errc::proof_invalid);
  CHECK(verify_inclusion(leaf, 0, 1, {}, leaf));
  CHECK(verify_inclusion(leaf, 0, 1, {}, leaf_hash("y")).code() == errc::root_mismatch);

  // The largest tree: 63 hashes for the last leaf; one more size is refused.
  auto plan = inclusion_proof_plan(max_tree_size - 1, max_tree_size);
  REQUIRE(plan);
  CHECK(plan->steps.size() == 62);
  auto first = inclusion_proof_plan(0, max_tree_size);
  REQUIRE(first);
  CHECK(first->steps.size() == 63);
  CHECK(first->steps.size() <= max_proof_hashes);
  CHECK(inclusion_proof_plan(0, max_tree_size + 1).code() == errc::invalid_argument);
  const std::vector<sha256_digest> sixty_three(63);
  CHECK(verify_inclusion(leaf, 0, max_tree_size, sixty_three, empty_root()).code() ==
        errc::root_mismatch);
  CHECK(verify_inclusion(leaf, 0, max_tree_size + 1, sixty_three, empty_root()).code() ==
        errc::proof_invalid);

  const std::vector<sha256_digest> at_limit(max_proof_hashes);
  const std::vector<sha256_digest> over_limit(max_proof_hashes + 1);
  auto at = verify_inclusion(leaf, 0, max_tree_size, at_limit, empty_root());
  CHECK(at.code() == errc::proof_invalid);
  CHECK(at.error().detail.find("expected 63") != std::string::npos);
  auto over = verify_inclusion(leaf, 0, max_tree_size, over_limit, empty_root());
  CHECK(over.code() == errc::proof_invalid);
  CHECK(over.error().detail.find("exceed the limit of 64") != std::string::npos);
}

TEST_CASE("inclusion plans name stored nodes and ephemeral right-border nodes", "[evidence]") {
  // Leaf 0 of 7: siblings (0,1) and (1,1) are complete; the top sibling covers leaves [4,7),
  // an ephemeral node made of the complete nodes (1,2) and (0,6).
  auto plan = inclusion_proof_plan(0, 7);
  REQUIRE(plan);
  REQUIRE(plan->steps.size() == 3);
  CHECK(plan->steps[0].nodes == std::vector<node_id>{{0, 1}});
  CHECK(plan->steps[1].nodes == std::vector<node_id>{{1, 1}});
  CHECK(plan->steps[2].nodes == (std::vector<node_id>{{1, 2}, {0, 6}}));
  CHECK(plan->nodes() == (std::vector<node_id>{{0, 1}, {1, 1}, {1, 2}, {0, 6}}));

  // The last leaf of 7 has no right sibling at level 0.
  auto last = inclusion_proof_plan(6, 7);
  REQUIRE(last);
  CHECK(last->nodes() == (std::vector<node_id>{{1, 2}, {2, 0}}));

  CHECK(inclusion_proof_plan(7, 7).code() == errc::invalid_argument);
  CHECK(inclusion_proof_plan(0, 0).code() == errc::invalid_argument);
  auto one = inclusion_proof_plan(0, 1);
  REQUIRE(one);
  CHECK(one->steps.empty());
}

TEST_CASE("assemble_proof folds ephemeral nodes right to left and checks the count", "[evidence]") {
  const auto leaves = make_leaf_hashes(7);
  auto plan = inclusion_proof_plan(0, 7);
  REQUIRE(plan);
  const auto n11 = node_hash(leaves[2], leaves[3]);
  const auto n12 = node_hash(leaves[4], leaves[5]);
  auto proof = assemble_proof(*plan, std::vector<sha256_digest>{leaves[1], n11, n12, leaves[6]});
  REQUIRE(proof);
  CHECK(*proof == (std::vector<sha256_digest>{leaves[1], n11, node_hash(n12, leaves[6])}));

  auto short_fetch = assemble_proof(*plan, std::vector<sha256_digest>(3));
  REQUIRE_FALSE(short_fetch);
  CHECK(short_fetch.code() == errc::invalid_argument);
  CHECK(assemble_proof(*plan, std::vector<sha256_digest>(5)).code() == errc::invalid_argument);
  proof_plan broken{{proof_step{}}};
  CHECK(assemble_proof(broken, {}).code() == errc::invalid_argument);
}

TEST_CASE("consistency proofs equal RFC 9162 SUBPROOF and verify for every pair up to 300",
          "[evidence][exhaustive]") {
  const auto leaves = make_leaf_hashes(max_size_tested);
  rfc_reference ref(leaves);
  compact_tree tree;
  node_store store;
  std::vector<sha256_digest> roots{empty_root()};
  for (std::uint64_t n = 1; n <= max_size_tested; ++n) {
    append_to(tree, store, leaves[n - 1]);
    roots.push_back(tree.root());
    for (std::uint64_t m = 0; m <= n; ++m) {
      INFO("size1 " << m << " size2 " << n);
      const auto proof = consistency_proof(store, m);
      if (m == 0) {
        REQUIRE(proof.empty());
      } else {
        REQUIRE(proof == ref.proof(m, n));
      }
      auto verified = verify_consistency(m, n, roots[m], roots[n], proof);
      if (!verified)
        FAIL(verified.error().detail);
    }
  }
}

TEST_CASE("consistency verification rejects wrong claims and damaged proofs", "[evidence]") {
  const auto leaves = make_leaf_hashes(64);
  compact_tree tree;
  node_store store;
  std::vector<sha256_digest> roots{empty_root()};
  for (std::uint64_t n = 1; n <= 64; ++n) {
    append_to(tree, store, leaves[n - 1]);
    roots.push_back(tree.root());
    for (std::uint64_t m = 1; m < n; ++m) {
      INFO("size1 " << m << " size2 " << n);
      const auto proof = consistency_proof(store, m);
      REQUIRE(!proof.empty());

      for (std::size_t i = 0; i < proof.size(); ++i) {
        auto damaged = proof;
        damaged[i] = flip_bit(damaged[i], 3 * i + 1);
        CHECK(verify_consistency(m, n, roots[m], roots[n], damaged).code() == errc::root_mismatch);
      }
      CHECK(verify_consistency(m, n, roots[n], roots[m], proof).code() == errc::root_mismatch);
      CHECK(verify_consistency(m, n, flip_bit(roots[m], 9), roots[n], proof).code() ==
            errc::root_mismatch);
      CHECK(verify_consistency(m, n, roots[m], flip_bit(roots[n], 9), proof).code() ==
            errc::root_mismatch);
      CHECK(verify_consistency(n, m, roots[n], roots[m], proof).code() == errc::proof_invalid);

      auto extended = proof;
      extended.push_back(roots[m]);
      CHECK(verify_consistency(m, n, roots[m], roots[n], extended).code() == errc::proof_invalid);
      auto truncated = proof;
      truncated.pop_back();
      CHECK(verify_consistency(m, n, roots[m], roots[n], truncated).code() == errc::proof_invalid);

      for (std::uint64_t other : {m - 1, m + 1}) {
        if (other == 0 || other >= n)
          continue;
        CHECK(verify_consistency(other, n, roots[other], roots[n], proof).code() ==
              expected_consistency_code(other, n, proof.size()));
      }
      CHECK(verify_consistency(0, n, empty_root(), roots[n], proof).code() == errc::proof_invalid);
    }
  }
}

TEST_CASE("consistency verification edge sizes", "[evidence]") {
  const auto leaves = make_leaf_hashes(4);
  const auto r4 = root_from_leaves(leaves);
  const auto r3 = root_from_leaves(std::span(leaves).first(3));
  // Empty old tree: consistent with anything, given the empty root and no proof.
  CHECK(verify_consistency(0, 4, empty_root(), r4, {}));
  CHECK(verify_consistency(0, 0, empty_root(), empty_root(), {}));
  CHECK(verify_consistency(0, 4, r3, r4, {}).code() == errc::root_mismatch);
  // Equal sizes: no proof, equal roots.
  CHECK(verify_consistency(4, 4, r4, r4, {}));
  auto differ = verify_consistency(4, 4, r3, r4, {});
  CHECK(differ.code() == errc::root_mismatch);
  CHECK(verify_consistency(4, 4, r4, r4, std::vector<sha256_digest>{r4}).code() ==
        errc::proof_invalid);
  // size1 > size2 and sizes beyond the limit.
  CHECK(verify_consistency(5, 4, r4, r4, {}).code() == errc::proof_invalid);
  CHECK(consistency_proof_plan(5, 4).code() == errc::invalid_argument);
  CHECK(consistency_proof_plan(1, max_tree_size + 1).code() == errc::invalid_argument);
  auto widest = consistency_proof_plan(max_tree_size - 1, max_tree_size);
  REQUIRE(widest);
  CHECK(widest->steps.size() <= max_proof_hashes);
  auto deepest = consistency_proof_plan(1, max_tree_size);
  REQUIRE(deepest);
  CHECK(deepest->steps.size() == 63);
  CHECK(verify_consistency(1, max_tree_size + 1, r4, r4, std::vector<sha256_digest>(63)).code() ==
        errc::proof_invalid);
  CHECK(verify_consistency(3, 4, r3, r4, std::vector<sha256_digest>(max_proof_hashes + 1)).code() ==
        errc::proof_invalid);

  // Reported roots name which tree failed.
  auto plan = consistency_proof_plan(3, 4);
  REQUIRE(plan);
  auto proof = std::vector<sha256_digest>{leaves[2], leaves[3], node_hash(leaves[0], leaves[1])};
  REQUIRE(verify_consistency(3, 4, r3, r4, proof));
  auto bad_new = verify_consistency(3, 4, r3, flip_bit(r4, 1), proof);
  CHECK(bad_new.code() == errc::root_mismatch);
  CHECK(bad_new.error().detail.find("new tree") != std::string::npos);
  CHECK(bad_new.error().detail.find("computed " + r4.to_hex()) != std::string::npos);
  auto bad_old = verify_consistency(3, 4, flip_bit(r3, 1), r4, proof);
  CHECK(bad_old.error().detail.find("old tree") != std::string::npos);
}
