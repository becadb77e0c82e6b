// Known-answer vectors from tests/data/merkle/, computed once with an independent implementation
// (Python hashlib, straight from the RFC 9162 definitions) over the certificate-transparency
// reference leaves. Each case carries a description and the error a verifier must return.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "merkle/merkle.hpp"

namespace {

using namespace saphan;
using namespace saphan::merkle;
using crypto::sha256_digest;

rapidjson::Document load_vectors(const std::string& name) {
  std::ifstream in(std::string(SAPHAN_SOURCE_DIR) + "/tests/data/merkle/" + name, std::ios::binary);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  auto doc = parse_json(text.str(), json_limits{1 << 20, 8});
  REQUIRE(doc);
  REQUIRE(doc->IsObject());
  return std::move(*doc);
}

std::string text_of(const rapidjson::Value& v, const char* name) {
  REQUIRE(v.HasMember(name));
  return v[name].GetString();
}

std::uint64_t size_of(const rapidjson::Value& v, const char* name) {
  REQUIRE(v.HasMember(name));
  return v[name].GetUint64();
}

sha256_digest digest_of(const rapidjson::Value& v, const char* name) {
  auto d = crypto::parse_sha256_hex(text_of(v, name));
  REQUIRE(d);
  return *d;
}

// Proof hashes; an element that is not 32 bytes (malformed input) fails the test data check.
std::vector<sha256_digest> proof_of(const rapidjson::Value& v) {
  std::vector<sha256_digest> proof;
  for (const auto& h : v["proof"].GetArray()) {
    auto d = crypto::parse_sha256_hex(h.GetString());
    REQUIRE(d);
    proof.push_back(*d);
  }
  return proof;
}

std::vector<sha256_digest> leaves_of(const rapidjson::Document& doc) {
  std::vector<sha256_digest> leaves;
  for (const auto& hex : doc["leaves"].GetArray()) {
    auto bytes = crypto::hex_decode(hex.GetString());
    REQUIRE(bytes);
    leaves.push_back(leaf_hash(*bytes));
  }
  return leaves;
}

void check_outcome(const result<void>& r, const std::string& want_error) {
  if (want_error.empty()) {
    if (!r)
      FAIL(r.error().detail);
    return;
  }
  REQUIRE_FALSE(r);
  CHECK(to_string(r.code()) == want_error);
}

}  // namespace

TEST_CASE("known-answer roots, including the empty tree", "[evidence]") {
  const auto doc = load_vectors("roots.json");
  const auto leaves = leaves_of(doc);
  REQUIRE(doc["cases"].GetArray().Size() == 9);
  for (const auto& c : doc["cases"].GetArray()) {
    const auto size = size_of(c, "size");
    INFO("size " << size);
    const auto want = digest_of(c, "root");
    CHECK(root_from_leaves(std::span(leaves).first(size)) == want);
    compact_tree tree;
    for (std::uint64_t i = 0; i < size; ++i)
      REQUIRE(tree.append(leaves[i]));
    CHECK(tree.root() == want);
  }
}

TEST_CASE("known-answer inclusion proofs and their negative cases", "[evidence]") {
  const auto doc = load_vectors("inclusion.json");
  const auto leaves = leaves_of(doc);
  std::size_t negatives = 0;
  for (const auto& c : doc["cases"].GetArray()) {
    INFO(text_of(c, "description"));
    const auto index = size_of(c, "index");
    const auto size = size_of(c, "size");
    const auto proof = proof_of(c);
    const auto want_error = text_of(c, "want_error");
    const auto leaf = leaves[index % leaves.size()];
    check_outcome(verify_inclusion(leaf, index, size, proof, digest_of(c, "root")), want_error);
    if (!want_error.empty()) {
      ++negatives;
      continue;
    }
    // Our plans reproduce the independently computed proof.
    compact_tree tree;
    std::vector<sha256_digest> fetched;
    std::map<node_id, sha256_digest> stored;
    for (std::uint64_t i = 0; i < size; ++i) {
      auto completed = tree.append(leaves[i]);
      REQUIRE(completed);
      for (const auto& n : *completed)
        stored.emplace(n.id, n.hash);
    }
    auto plan = inclusion_proof_plan(index, size);
    REQUIRE(plan);
    for (const auto& id : plan->nodes())
      fetched.push_back(stored.at(id));
    auto ours = assemble_proof(*plan, fetched);
    REQUIRE(ours);
    CHECK(*ours == proof);
  }
  CHECK(negatives == 7);
}

TEST_CASE("known-answer consistency proofs and their negative cases", "[evidence]") {
  const auto doc = load_vectors("consistency.json");
  std::size_t negatives = 0;
  for (const auto& c : doc["cases"].GetArray()) {
    INFO(text_of(c, "description"));
    const auto size1 = size_of(c, "size1");
    const auto size2 = size_of(c, "size2");
    const auto want_error = text_of(c, "want_error");
    check_outcome(
        verify_consistency(size1, size2, digest_of(c, "root1"), digest_of(c, "root2"), proof_of(c)),
        want_error);
    if (!want_error.empty())
      ++negatives;
  }
  CHECK(negatives == 8);
}
