#include "evidence/log.hpp"

#include <algorithm>

namespace saphan::evidence {
namespace {

result<merkle::compact_tree> load_tree(store& db, std::uint64_t size) {
  auto border = SAPHAN_TRY(db.read_log_nodes(merkle::compact_tree::border_nodes(size)));
  return merkle::compact_tree::restore(size, border);
}

result<std::uint64_t> checked_log_size(store& db, std::uint64_t wanted, std::string_view what) {
  auto size = db.log_size();
  if (!size)
    return size;
  if (wanted > *size) {
    return make_error(errc::invalid_argument, std::string(what) + " " + std::to_string(wanted) +
                                                  " is beyond the log size " +
                                                  std::to_string(*size));
  }
  return size;
}

}  // namespace

result<std::uint64_t> append_entries(store& db, const std::vector<log_append>& entries,
                                     merkle::compact_tree* tree) {
  if (entries.empty())
    return make_error(errc::invalid_argument, "no log entries to append");
  std::uint64_t first = 0;
  merkle::compact_tree grown;
  auto done = db.transaction([&](store& tx) -> result<void> {
    auto size = SAPHAN_TRY(tx.log_size());
    first = size;
    if (tree && tree->size() == first) {
      grown = *tree;
    } else {
      auto loaded = SAPHAN_TRY(load_tree(tx, first));
      grown = std::move(loaded);
    }
    std::vector<merkle::stored_node> nodes;
    nodes.reserve(entries.size() * 2);
    for (const auto& e : entries) {
      auto made = SAPHAN_TRY(grown.append(merkle::leaf_hash(e.entry)));
      nodes.insert(nodes.end(), made.begin(), made.end());
    }
    return tx.append_log(first, entries, nodes);
  });
  if (!done)
    return std::move(done).error();
  if (tree)
    *tree = std::move(grown);
  return first;
}

result<crypto::sha256_digest> root_at(store& db, std::uint64_t size) {
  SAPHAN_TRY_VOID(checked_log_size(db, size, "tree size"));
  auto tree = SAPHAN_TRY(load_tree(db, size));
  return tree.root();
}

result<checkpoint_record> make_checkpoint(store& db, const log_identity& identity, timestamp now) {
  auto size = SAPHAN_TRY(db.log_size());
  if (size == 0)
    return make_error(errc::not_found, "the log is empty; nothing to checkpoint");
  auto latest = SAPHAN_TRY(db.latest_checkpoint());
  if (latest && latest->tree_size >= size)
    return std::move(*latest);
  // Heads never go back in time, even if the clock does.
  if (latest) {
    auto previous = SAPHAN_TRY(checkpoint_from_json(latest->checkpoint_json));
    now = std::max(now, previous.timestamp);
  }
  auto root = SAPHAN_TRY(root_at(db, size));
  auto signed_head = SAPHAN_TRY(sign_checkpoint(identity.origin, size, root, now, identity.key.kid,
                                                identity.key.keys.secret_key));
  checkpoint_record record{size, checkpoint_to_json(signed_head), std::nullopt, now};
  auto added = db.add_checkpoint(record);
  // Another process signed this size first: theirs is as good as ours.
  if (!added && added.error().code == errc::already_exists)
    return db.find_checkpoint(size);
  if (!added)
    return std::move(added).error();
  return record;
}

result<inclusion_proof> prove_inclusion(store& db, std::uint64_t index, std::uint64_t tree_size) {
  SAPHAN_TRY_VOID(checked_log_size(db, tree_size, "tree size"));
  auto plan = SAPHAN_TRY(merkle::inclusion_proof_plan(index, tree_size));
  auto fetched = SAPHAN_TRY(db.read_log_nodes(plan.nodes()));
  auto path = SAPHAN_TRY(merkle::assemble_proof(plan, fetched));
  auto leaf = SAPHAN_TRY(db.read_log_nodes({merkle::node_id{0, index}}));
  return inclusion_proof{index, tree_size, leaf.front(), std::move(path)};
}

result<std::vector<crypto::sha256_digest>> prove_consistency(store& db, std::uint64_t size1,
                                                             std::uint64_t size2) {
  SAPHAN_TRY_VOID(checked_log_size(db, size2, "tree size"));
  auto plan = SAPHAN_TRY(merkle::consistency_proof_plan(size1, size2));
  auto fetched = SAPHAN_TRY(db.read_log_nodes(plan.nodes()));
  return merkle::assemble_proof(plan, fetched);
}

crypto::sha256_digest timestamp_imprint(const checkpoint& cp) {
  return crypto::sha256(checkpoint_signed_text(cp));
}

}  // namespace saphan::evidence
