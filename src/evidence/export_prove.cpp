// Inclusion proofs from an export, and checking a proof on its own.
#include "evidence/export.hpp"

#include <algorithm>
#include <istream>
#include <ostream>
#include <utility>

#include "core/files.hpp"
#include "core/json.hpp"
#include "evidence/export_lines.hpp"
#include "evidence/log.hpp"
#include "tsa/timestamp.hpp"

namespace saphan::evidence {
namespace {

using namespace lines;
using rapidjson::SizeType;
using rapidjson::Value;

// Collects the hashes of the nodes an inclusion proof needs as they complete.
class node_collector {
 public:
  explicit node_collector(std::vector<merkle::node_id> ids) : ids_(std::move(ids)) {
    std::sort(ids_.begin(), ids_.end());
    ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
    hashes_.resize(ids_.size());
  }

  void add(const merkle::stored_node& n) {
    auto at = std::lower_bound(ids_.begin(), ids_.end(), n.id);
    if (at != ids_.end() && *at == n.id)
      hashes_[static_cast<std::size_t>(at - ids_.begin())] = n.hash;
  }

  result<std::vector<crypto::sha256_digest>> fetch(
      const std::vector<merkle::node_id>& wanted) const {
    std::vector<crypto::sha256_digest> out;
    out.reserve(wanted.size());
    for (const auto& id : wanted) {
      auto at = std::lower_bound(ids_.begin(), ids_.end(), id);
      auto i = static_cast<std::size_t>(at - ids_.begin());
      if (at == ids_.end() || !(*at == id) || !hashes_[i]) {
        return make_error(errc::internal, "proof node (" + std::to_string(id.level) + ", " +
                                              std::to_string(id.index) + ") was never completed");
      }
      out.push_back(*hashes_[i]);
    }
    return out;
  }

 private:
  std::vector<merkle::node_id> ids_;
  std::vector<std::optional<crypto::sha256_digest>> hashes_;
};

result<std::uint64_t> latest_size(std::istream& in, const verify_options& options) {
  auto report = SAPHAN_TRY(verify_export(in, options));
  if (report.checkpoints == 0) {
    return make_error(errc::not_found, "the export holds no checkpoint to prove against");
  }
  in.clear();
  in.seekg(0);
  if (!in)
    return make_error(errc::invalid_argument, "the export cannot be read twice; give the size");
  return report.last_checkpoint_size;
}

result<crypto::sha256_digest> decode_hash(const Value& v, std::string_view where) {
  auto text = SAPHAN_TRY(read_string(v, where, 64));
  auto raw = crypto::base64url_decode(text);
  if (!raw || raw->size() != crypto::sha256_digest::size) {
    return make_error(errc::invalid_argument,
                      std::string(where) + ": must be 32 bytes in unpadded base64url");
  }
  return crypto::sha256_from_bytes(*raw);
}

result<std::vector<crypto::sha256_digest>> decode_path(const Value& v) {
  if (!v.IsArray())
    return make_error(errc::malformed_json, "path: must be an array");
  if (v.Size() > merkle::max_proof_hashes) {
    return make_error(errc::proof_invalid,
                      "path: at most " + std::to_string(merkle::max_proof_hashes) + " hashes");
  }
  std::vector<crypto::sha256_digest> path;
  for (const auto& h : v.GetArray()) {
    auto hash = SAPHAN_TRY(decode_hash(h, "path[]"));
    path.push_back(hash);
  }
  return path;
}

}  // namespace

result<export_proof> prove_export(std::istream& in, std::uint64_t index,
                                  std::optional<std::uint64_t> size,
                                  const verify_options& options) {
  if (!size) {
    auto latest = SAPHAN_TRY(latest_size(in, options));
    size = latest;
  }
  if (index >= *size) {
    return make_error(
        errc::invalid_argument,
        "index " + std::to_string(index) + " is not below the tree size " + std::to_string(*size));
  }
  auto plan = SAPHAN_TRY(merkle::inclusion_proof_plan(index, *size));
  const auto plan_nodes = plan.nodes();
  auto wanted = plan_nodes;
  wanted.push_back(merkle::node_id{0, index});
  node_collector nodes(wanted);
  std::optional<export_proof> proof;
  verify_observer observer;
  observer.on_node = [&](const merkle::stored_node& n) { nodes.add(n); };
  observer.on_checkpoint = [&](const checkpoint& cp, std::string_view json,
                               const std::optional<std::string>&) {
    if (cp.tree_size == *size)
      proof = export_proof{index, *size, {}, {}, cp, std::string(json), {}, false};
  };
  auto report = SAPHAN_TRY(verify_export(in, options, observer));
  if (!proof) {
    return make_error(errc::not_found,
                      "the export holds no checkpoint of size " + std::to_string(*size));
  }
  auto fetched = SAPHAN_TRY(nodes.fetch(plan_nodes));
  auto path = SAPHAN_TRY(merkle::assemble_proof(plan, fetched));
  auto leaf = SAPHAN_TRY(nodes.fetch({merkle::node_id{0, index}}));
  proof->leaf_hash = leaf.front();
  proof->log_key = report.log_key;
  proof->key_pinned = report.key_pinned;
  proof->path = std::move(path);
  SAPHAN_TRY_VOID(
      merkle::verify_inclusion(proof->leaf_hash, index, *size, proof->path, proof->head.root_hash));
  return std::move(*proof);
}

std::string proof_to_json(const export_proof& proof) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  put_key(w, "index");
  w.Uint64(proof.index);
  put_key(w, "treeSize");
  w.Uint64(proof.tree_size);
  put_key(w, "leafHash");
  put_string(w, b64(proof.leaf_hash));
  put_key(w, "path");
  w.StartArray();
  for (const auto& h : proof.path)
    put_string(w, b64(h));
  w.EndArray();
  put_key(w, "rootHash");
  put_string(w, b64(proof.head.root_hash));
  put_key(w, "checkpoint");
  const auto json = checkpoint_to_json(proof.head);
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  w.EndObject();
  return finish(buffer);
}

result<void> verify_proof_json(std::string_view json, const crypto::ed25519_public_key& key) {
  auto doc = SAPHAN_TRY(parse_json(json, {64 * 1024, max_line_depth}));
  SAPHAN_TRY_VOID(check_members(doc, proof_members, "proof"));
  auto index = SAPHAN_TRY(read_size(doc["index"], "index"));
  auto size = SAPHAN_TRY(read_size(doc["treeSize"], "treeSize"));
  auto leaf = SAPHAN_TRY(decode_hash(doc["leafHash"], "leafHash"));
  auto path = SAPHAN_TRY(decode_path(doc["path"]));
  auto root = SAPHAN_TRY(decode_hash(doc["rootHash"], "rootHash"));
  if (!doc["checkpoint"].IsObject()) {
    return make_error(errc::malformed_json, "checkpoint: must be a JSON object");
  }
  auto cp = SAPHAN_TRY(checkpoint_from_json(write_json(doc["checkpoint"])));
  SAPHAN_TRY_VOID(verify_checkpoint(cp, key));
  if (cp.tree_size != size) {
    return make_error(errc::proof_invalid, "treeSize " + std::to_string(size) +
                                               " is not the checkpoint's " +
                                               std::to_string(cp.tree_size));
  }
  if (!(cp.root_hash == root)) {
    return make_error(errc::root_mismatch, "rootHash is not the checkpoint's root_hash");
  }
  return merkle::verify_inclusion(leaf, index, size, path, cp.root_hash);
}

}  // namespace saphan::evidence
