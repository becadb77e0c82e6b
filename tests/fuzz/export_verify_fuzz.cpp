// verify_export (evidence/export.hpp): an auditor reading a "saphan-evidence-export/1" file it
// was handed, line by line (header, entry and checkpoint lines), with timestamp tokens checked
// against the seeds' TSA CA (tests/fuzz/data, README.md: Seeds).
//
// Input: the file. Checks: errors carry a documented code and name the line they stop at
// (except the two that are about the whole file: empty, or shorter than its header says);
// progress is reported in order and never beyond the total; an export that verifies has a
// consistent report, verifies again with its key pinned to the same result, and proves an entry
// into its latest and its first signed head, with a proof that verify_proof_json accepts.
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "evidence/export.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace saphan;
using namespace saphan::evidence;

namespace {

const std::string tsa_ca = std::string(SAPHAN_SOURCE_DIR) + "/tests/fuzz/data/tsa-ca.pem";

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

void check_proof(std::string_view text, std::uint64_t index, std::optional<std::uint64_t> size,
                 const verify_options& options, const export_report& report) {
  std::istringstream in{std::string(text)};
  auto proof = prove_export(in, index, size, options);
  FUZZ_CHECK_MSG(proof.has_value(), proof ? std::string() : proof.error().detail);
  FUZZ_CHECK(proof->index == index);
  FUZZ_CHECK(proof->tree_size == size.value_or(report.last_checkpoint_size));
  FUZZ_CHECK(proof->log_key == report.log_key);
  auto checked = verify_proof_json(proof_to_json(*proof), report.log_key);
  FUZZ_CHECK_MSG(checked.has_value(), checked ? std::string() : checked.error().detail);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::text_of(data, size);
  verify_options options;
  options.tsa_ca_path = tsa_ca;
  options.progress_every = 1;
  std::uint64_t last_done = 0;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    FUZZ_CHECK(done > last_done && done <= total);
    last_done = done;
  };

  std::istringstream in{std::string(text)};
  auto report = verify_export(in, options);
  if (!report) {
    FUZZ_CHECK_ERROR(report, errc::payload_too_large, errc::malformed_json, errc::invalid_argument,
                     errc::invalid_timestamp, errc::proof_invalid, errc::root_mismatch,
                     errc::bad_signature, errc::timestamp_invalid);
    const auto& detail = report.error().detail;
    FUZZ_CHECK_MSG(starts_with(detail, "line ") || starts_with(detail, "empty export") ||
                       starts_with(detail, "the export ends after"),
                   detail);
    return 0;
  }
  FUZZ_CHECK(report->entries >= 1);
  FUZZ_CHECK(last_done == report->entries);
  FUZZ_CHECK(report->last_checkpoint_size <= report->entries);
  FUZZ_CHECK(report->first_checkpoint_size <= report->last_checkpoint_size);
  FUZZ_CHECK((report->checkpoints == 0) == (report->last_checkpoint_size == 0));
  FUZZ_CHECK(report->checkpoints <= report->entries);
  FUZZ_CHECK(report->checkpoints == report->timestamp_tokens + report->checkpoints_without_token);
  FUZZ_CHECK(report->timestamps_checked && !report->key_pinned);
  FUZZ_CHECK(report->tsa_certificates <= max_tsa_certificates);
  FUZZ_CHECK(report->uncovered_entries() == report->entries - report->last_checkpoint_size);

  verify_options pinned;
  pinned.tsa_ca_path = tsa_ca;
  pinned.log_key = crypto::ed25519_public_jwk{report->log_key, report->key_id};
  std::istringstream again{std::string(text)};
  auto second = verify_export(again, pinned);
  FUZZ_CHECK_MSG(second.has_value(), second ? std::string() : second.error().detail);
  FUZZ_CHECK(second->key_pinned);
  FUZZ_CHECK(second->entries == report->entries && second->root == report->root);
  FUZZ_CHECK(second->checkpoints == report->checkpoints);

  if (report->checkpoints > 0) {
    check_proof(text, size % report->last_checkpoint_size, std::nullopt, pinned, *report);
    verify_options plain;
    plain.tsa_ca_path = tsa_ca;
    check_proof(text, 0, report->first_checkpoint_size, plain, *report);
  }
  return 0;
}
