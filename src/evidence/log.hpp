// The evidence log on top of a store: appending entries (the RFC 9162 tree math of merkle.hpp
// applied to stored nodes), signing tree heads, and building proofs from stored nodes.
//
// Appends read the tree size inside the write transaction, so several processes (the hub, the
// admin command line) can append to the same store without a gap or a duplicate index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "crypto/keys.hpp"
#include "evidence/checkpoint.hpp"
#include "merkle/merkle.hpp"
#include "store/store.hpp"

namespace saphan::evidence {

// Who signs the tree heads: the log's name and its Ed25519 key.
struct log_identity {
  std::string origin;  // e.g. "saphan/TH/GOV/SAPHAN/hub"
  crypto::signing_jwk key;
};

// Appends entries in order and returns the index of the first. Runs in its own transaction, or
// in the caller's when called inside store::transaction (then it commits with the caller's
// other changes). `tree` may cache the tree between calls of one writer: it is used when its size
// matches the stored log, rebuilt from stored nodes otherwise, and left unchanged on failure.
// Errors: invalid_argument (no entries), payload_too_large, storage_failure.
result<std::uint64_t> append_entries(store& db, const std::vector<log_append>& entries,
                                     merkle::compact_tree* tree = nullptr);

// The root of the tree of the first `size` entries, from stored nodes.
// Errors: invalid_argument (size above the log size), not_found, storage_failure.
result<crypto::sha256_digest> root_at(store& db, std::uint64_t size);

// Signs and stores a checkpoint of the whole log at `now`, unless the latest checkpoint already
// covers the current size (then returns that one). An empty log gets no checkpoint: not_found.
result<checkpoint_record> make_checkpoint(store& db, const log_identity& identity, timestamp now);

struct inclusion_proof {
  std::uint64_t index = 0;
  std::uint64_t tree_size = 0;
  crypto::sha256_digest leaf_hash;
  std::vector<crypto::sha256_digest> path;
};

// The audit path of entry `index` in the tree of `tree_size` entries, from stored nodes.
// Errors: invalid_argument (index >= tree_size, tree_size above the log size), storage_failure.
result<inclusion_proof> prove_inclusion(store& db, std::uint64_t index, std::uint64_t tree_size);

// The consistency proof between two sizes of the log. Errors: invalid_argument, storage_failure.
result<std::vector<crypto::sha256_digest>> prove_consistency(store& db, std::uint64_t size1,
                                                             std::uint64_t size2);

// The bytes a time-stamping authority stamps for a checkpoint: SHA-256 of the signed note
// (checkpoint_signed_text), so a token binds size, root, time and origin.
crypto::sha256_digest timestamp_imprint(const checkpoint& cp);

}  // namespace saphan::evidence
