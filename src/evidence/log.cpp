#include "evidence/log.hpp"

#include <algorithm>

namespace saphan::evidence {
namespace {

result<merkle::compact_tree> load_tree(store& db, std::uint64_t size) {
  auto border = db.read_log_nodes(merkle::compact_tree::border_nodes(size));
  if (!border)
    return std::move(border).error();
  return merkle::compact_tree::restore(size, *border);
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
    auto size = tx.log_size();
    if (!size)
      return std::move(size).error();
    first = *size;
    if (tree && tree->size() == first) {
      grown = *tree;
    } else {
      auto loaded = load_tree(tx, first);
      if (!loaded)
        return std::move(loaded).error();
      grown = std::move(*loaded);
    }
    std::vector<merkle::stored_node> nodes;
    nodes.reserve(entries.size() * 2);
    for (const auto& e : entries) {
      auto made = grown.append(merkle::leaf_hash(e.entry));
      if (!made)
        return std::move(made).error();
      nodes.insert(nodes.end(), made->begin(), made->end());
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
  auto log_size = checked_log_size(db, size, "tree size");
  if (!log_size)
    return std::move(log_size).error();
  auto tree = load_tree(db, size);
  if (!tree)
    return std::move(tree).error();
  return tree->root();
}

result<checkpoint_record> make_checkpoint(store& db, const log_identity& identity, timestamp now) {
  auto size = db.log_size();
  if (!size)
    return std::move(size).error();
  if (*size == 0)
    return make_error(errc::not_found, "the log is empty; nothing to checkpoint");
  auto latest = db.latest_checkpoint();
  if (!latest)
    return std::move(latest).error();
  if (*latest && (*latest)->tree_size >= *size)
    return std::move(**latest);
  // Heads never go back in time, even if the clock does.
  if (*latest) {
    auto previous = checkpoint_from_json((*latest)->checkpoint_json);
    if (!previous)
      return std::move(previous).error();
    now = std::max(now, previous->timestamp);
  }
  auto root = root_at(db, *size);
  if (!root)
    return std::move(root).error();
  auto signed_head = sign_checkpoint(identity.origin, *size, *root, now, identity.key.kid,
                                     identity.key.keys.secret_key);
  if (!signed_head)
    return std::move(signed_head).error();
  checkpoint_record record{*size, checkpoint_to_json(*signed_head), std::nullopt, now};
  auto added = db.add_checkpoint(record);
  // Another process signed this size first: theirs is as good as ours.
  if (!added && added.error().code == errc::already_exists)
    return db.find_checkpoint(*size);
  if (!added)
    return std::move(added).error();
  return record;
}

result<inclusion_proof> prove_inclusion(store& db, std::uint64_t index, std::uint64_t tree_size) {
  auto log_size = checked_log_size(db, tree_size, "tree size");
  if (!log_size)
    return std::move(log_size).error();
  auto plan = merkle::inclusion_proof_plan(index, tree_size);
  if (!plan)
    return std::move(plan).error();
  auto fetched = db.read_log_nodes(plan->nodes());
  if (!fetched)
    return std::move(fetched).error();
  auto path = merkle::assemble_proof(*plan, *fetched);
  if (!path)
    return std::move(path).error();
  auto leaf = db.read_log_nodes({merkle::node_id{0, index}});
  if (!leaf)
    return std::move(leaf).error();
  return inclusion_proof{index, tree_size, leaf->front(), std::move(*path)};
}

result<std::vector<crypto::sha256_digest>> prove_consistency(store& db, std::uint64_t size1,
                                                             std::uint64_t size2) {
  auto log_size = checked_log_size(db, size2, "tree size");
  if (!log_size)
    return std::move(log_size).error();
  auto plan = merkle::consistency_proof_plan(size1, size2);
  if (!plan)
    return std::move(plan).error();
  auto fetched = db.read_log_nodes(plan->nodes());
  if (!fetched)
    return std::move(fetched).error();
  return merkle::assemble_proof(*plan, *fetched);
}

crypto::sha256_digest timestamp_imprint(const checkpoint& cp) {
  return crypto::sha256(checkpoint_signed_text(cp));
}

}  // namespace saphan::evidence
