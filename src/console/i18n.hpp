// Every string the pages show, in English and Thai: two tables, one entry per text, in the order
// of the list below (a unit test checks both tables are complete and in order).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "console/session.hpp"

namespace saphan::console {

// A list of names in table order, kept as written: clang-format folds it beyond reading.
// clang-format off
#define SAPHAN_CONSOLE_TEXTS(X) \
  X(app_auditor) X(app_citizen) X(skip_to_content) X(sign_in) X(sign_in_intro_auditor) \
  X(sign_in_intro_citizen) X(sign_out) X(signed_in_as) X(language_label) X(error_title) \
  X(next_page) X(nothing_found) X(csrf_refused) X(not_allowed) X(hub_failed) X(bad_request) \
  X(not_found) X(sign_in_failed) X(main_nav) X(nav_overview) X(nav_search) X(nav_export) \
  X(overview_title) X(exchanges_per_hour) X(chart_caption) X(refusals_by_reason) \
  X(top_consumers) X(top_datasets) X(latest_head) X(tree_size) X(head_time) X(head_timestamped) \
  X(tsa_backlog) X(tsa_tokens) X(tsa_failures) X(tsa_oldest_waiting) X(count) X(reason) X(consumer) X(dataset) \
  X(overview_window) X(yes) X(no) X(search_title) X(since) X(until) X(member) X(purpose) \
  X(lawful_basis) X(status) X(kind) X(citizen_id) X(search_button) X(results) X(index) X(time) \
  X(decision) X(outcome) X(filtered_note) X(entry_title) X(legal_instrument) X(timings) \
  X(provider_ms) X(total_ms) X(linked_outcome) X(linked_decision) X(fields_requested) \
  X(fields_granted) X(verification) X(verify_pending) X(verified) X(verify_failed) X(raw_entry) \
  X(consent_id) X(request_id) X(export_title) X(export_intro) X(export_start) \
  X(export_progress) X(export_ready) X(export_download) X(export_failed) X(nav_accesses) \
  X(nav_consents) X(nav_pdpa) X(accesses_title) X(accesses_intro) X(agency) X(officer) \
  X(consents_title) X(pending_requests) X(active_consents) X(history) X(approve) X(reject) \
  X(withdraw) X(receipt_subject) X(receipt_pseudonym) X(receipt_id) X(valid_until) X(max_uses) \
  X(uses) X(fields) X(reason_shown) X(download_receipt) X(pdpa_title) X(pdpa_intro) \
  X(pdpa_download) X(withdraw_note) X(decision_done) X(receipts) X(event) X(no_consents) \
  X(kind_any) X(verify_entry_hash) X(verify_root) X(verify_signature) X(unlimited) \
  X(requested_at) X(receipt_jws) X(status_requested) X(status_active) X(status_rejected) X(status_revoked) \
  X(status_expired)
// clang-format on

enum class text : std::size_t {
#define SAPHAN_CONSOLE_TEXT_ENUM(name) name,
  SAPHAN_CONSOLE_TEXTS(SAPHAN_CONSOLE_TEXT_ENUM)
#undef SAPHAN_CONSOLE_TEXT_ENUM
      count_of_texts
};

inline constexpr std::size_t text_count = static_cast<std::size_t>(text::count_of_texts);

struct text_entry {
  text key;
  std::string_view value;
};

// The tables themselves (for the completeness test).
std::span<const text_entry> english_texts();
std::span<const text_entry> thai_texts();

// The text in `lang`; English when a table lacks it (the test makes sure none does).
std::string_view tr(language lang, text key);

// "en" or "th"; and back (anything else: English).
std::string_view language_code(language lang);
language parse_language(std::string_view code);

}  // namespace saphan::console
