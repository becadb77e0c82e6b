// Offline evidence exports: the whole log, its signed tree heads and their RFC 3161 tokens in one
// file an auditor can check without trusting (or even reaching) the hub.
//
// ---- Format "saphan-evidence-export/1" ----
// JSON Lines: UTF-8, one compact JSON object per line, every line ending in "\n" (a last line
// without its newline is a truncated file). Members are exactly the ones listed, each once.
//
// Line 1, the header:
//   {"format":"saphan-evidence-export/1","origin":"<log origin>",
//    "logKey":{"kty":"OKP","crv":"Ed25519","x":"<b64url>","kid":"<kid>"},
//    "tsaCertificates":["<PEM>", ...],
//    "exportedAt":"<RFC 3339>","treeSize":N}
//   origin: the log's name as its checkpoints carry it. logKey: the public JWK of the key that
//   signs the checkpoints (informational unless the verifier pins a key). tsaCertificates: the
//   PEM certificates of the time-stamping authority, possibly none (informational: trust in
//   tokens comes from the CA the verifier names). treeSize: how many entry lines follow (>= 1).
//
// Then the entries, in index order from 0:
//   {"index":i,"entry":"<the exact entry bytes, as a JSON string>"}
//   The leaf hashed into the tree is H(0x00 || entry bytes) (RFC 9162), so any escaping of the
//   same bytes is accepted; the bytes must be valid UTF-8 (hub entries are JSON text).
//
// Right after the entry line that brings the tree to size s, one line per checkpoint of size s:
//   {"checkpoint":<the object evidence::checkpoint_to_json writes>,
//    "timestampToken":"<base64url of the DER TimeStampToken>" or null}
//   The token's message imprint is timestamp_imprint(checkpoint) = SHA-256 of the signed note.
//
// Exports always start at index 0, because verification recomputes the whole tree. Entries after
// the last checkpoint are allowed (the log grew after its last signed head) and are reported as
// not covered by any signed head.
//
// Limits: a line is at most max_export_line_bytes, an entry at most max_export_entry_bytes once
// decoded (the store's own limit), a token at most tsa::max_response_bytes, at most
// max_tsa_certificates certificates of at most max_tsa_certificate_bytes each.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "crypto/hash.hpp"
#include "crypto/keys.hpp"
#include "evidence/checkpoint.hpp"
#include "merkle/merkle.hpp"
#include "store/store.hpp"

namespace saphan::evidence {

inline constexpr std::string_view export_format = "saphan-evidence-export/1";
inline constexpr std::size_t max_export_line_bytes = 1 << 20;
inline constexpr std::size_t max_export_entry_bytes = 64 * 1024;
inline constexpr std::size_t max_tsa_certificates = 8;
inline constexpr std::size_t max_tsa_certificate_bytes = 64 * 1024;

// Called with (entries done, entries in the export).
using export_progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// ---- Writing ----

struct export_header {
  std::string origin;
  crypto::ed25519_public_jwk log_key;         // the public half only; kid must not be empty
  std::vector<std::string> tsa_certificates;  // PEM text each
  timestamp exported_at{};
};

struct export_options {
  // Export the first `to_size` entries (1..log size) instead of the whole log; usually the size
  // of an earlier checkpoint, so the export ends with a signed head.
  std::optional<std::uint64_t> to_size;
  export_progress progress;
  std::uint64_t progress_every = 100000;
};

struct export_summary {
  std::uint64_t entries = 0;
  std::uint64_t checkpoints = 0;
  std::uint64_t timestamp_tokens = 0;
};

// Streams the log to `out` page by page (read_log / read_checkpoints), so memory stays flat. The
// tree size is fixed when the export starts; entries appended meanwhile are left out.
// Errors: not_found (the log is empty), invalid_argument (to_size 0 or beyond the log; a header
// field breaking the rules above; an entry that is not UTF-8 or too large, naming its index),
// storage_failure (a stored entry missing, or a stored checkpoint that does not parse), io_error
// (writing failed).
result<export_summary> write_export(store& db, std::ostream& out, const export_header& header,
                                    const export_options& options = {});

// ---- Verifying ----

struct verify_options {
  // The log key the auditor trusts. Without it the header's key is used, which only shows the
  // export is self-consistent (the report says so): anyone can re-sign a forged log.
  std::optional<crypto::ed25519_public_jwk> log_key;
  // PEM CA certificate that anchors trust in timestamp tokens. Empty: tokens are counted but not
  // verified (the report says so).
  std::string tsa_ca_path;
  export_progress progress;
  std::uint64_t progress_every = 100000;
};

struct export_report {
  std::string origin;
  std::string key_id;
  crypto::ed25519_public_key log_key;  // the key the checkpoints were verified with
  bool key_pinned = false;
  timestamp exported_at{};
  std::uint64_t entries = 0;
  crypto::sha256_digest root;  // of all the entries
  std::uint64_t checkpoints = 0;
  std::uint64_t first_checkpoint_size = 0;  // 0 when there are none
  std::uint64_t last_checkpoint_size = 0;   // entries [0, this) are covered by a signed head
  timestamp last_checkpoint_time{};
  bool timestamps_checked = false;  // a CA was given, so tokens were verified
  std::uint64_t timestamp_tokens = 0;
  std::uint64_t checkpoints_without_token = 0;
  std::uint64_t tsa_certificates = 0;

  std::uint64_t uncovered_entries() const { return entries - last_checkpoint_size; }
};

// What verify_export saw, for callers that build on the verified stream (prove_export).
struct verify_observer {
  std::function<void(const merkle::stored_node&)> on_node;  // every complete node, as it completes
  // Every checkpoint after it verified, with its line's JSON object and token (if any).
  std::function<void(const checkpoint&, std::string_view json,
                     const std::optional<std::string>& token)>
      on_checkpoint;
};

// Reads the export line by line in constant memory (apart from the compact tree) and checks:
// every line parses strictly within the limits; entry indexes run 0, 1, 2, ... without a gap, a
// repeat or a swap; each checkpoint's size equals the entries so far, its root the recomputed
// root, its origin the header's, its signature verifies with the log key, sizes strictly
// increase and times never go back; each timestamp token verifies (tsa::verify_token against
// timestamp_imprint) when a CA is given; the entry count equals the header's treeSize.
// Stops at the first failure; the error's detail names the line, the entry index or the
// checkpoint size, and what failed. A root mismatch names the entries between the previous good
// checkpoint and this one. Errors: io_error, payload_too_large (a line or field over its
// limit), malformed_json (syntax, missing, unknown or repeated members, wrong types),
// invalid_timestamp, proof_invalid (format, origin or key id mismatch, index gap or repeat,
// checkpoint misplaced, sizes not increasing, time going back, truncated export),
// root_mismatch, bad_signature (a checkpoint, or the header key differs from the pinned one),
// timestamp_invalid.
result<export_report> verify_export(std::istream& in, const verify_options& options = {},
                                    const verify_observer& observer = {});

// ---- Proving ----

struct export_proof {
  std::uint64_t index = 0;
  std::uint64_t tree_size = 0;
  crypto::sha256_digest leaf_hash;
  std::vector<crypto::sha256_digest> path;
  checkpoint head;                     // the checkpoint of tree_size, signature verified
  std::string checkpoint_json;         // as the export carries it
  crypto::ed25519_public_key log_key;  // what verified the head
  bool key_pinned = false;
};

// Verifies the export (as verify_export) and builds the inclusion proof of entry `index` in the
// tree of the checkpoint of size `size` (default: the latest checkpoint; then `in` is read twice
// and must be seekable). The proof is checked with verify_inclusion against the checkpoint's
// root before it is returned. Errors: those of verify_export, invalid_argument (index not below
// the size; `in` not seekable), not_found (no checkpoint of that size in the export).
result<export_proof> prove_export(std::istream& in, std::uint64_t index,
                                  std::optional<std::uint64_t> size,
                                  const verify_options& options = {});

// {"index":I,"treeSize":S,"leafHash":"<b64url>","path":["<b64url>",...],"rootHash":"<b64url>",
//  "checkpoint":{...}} on one line, hashes in base64url as the log API writes them.
std::string proof_to_json(const export_proof& proof);

// Checks a proof_to_json document on its own: the checkpoint's signature with `key`, its size
// and root against the proof's, and the inclusion path. Errors: malformed_json, invalid_argument,
// bad_signature, proof_invalid, root_mismatch.
result<void> verify_proof_json(std::string_view json, const crypto::ed25519_public_key& key);

// ---- Pieces shared with the command line ----

// One entry line without its newline: {"index":i,"entry":"..."}.
// Errors: invalid_argument (not UTF-8).
result<std::string> entry_line(std::uint64_t index, std::string_view entry);

}  // namespace saphan::evidence
