#include "demo/trail.hpp"

#include "core/json.hpp"

namespace saphan::demo {
namespace {

std::string member_text(const rapidjson::Value& doc, const char* name) {
  auto it = doc.FindMember(name);
  if (it == doc.MemberEnd())
    return {};
  if (it->value.IsString())
    return {it->value.GetString(), it->value.GetStringLength()};
  if (it->value.IsInt64())
    return std::to_string(it->value.GetInt64());
  if (it->value.IsArray()) {
    std::string joined;
    for (const auto& v : it->value.GetArray()) {
      if (!v.IsString())
        continue;
      joined += (joined.empty() ? "" : ",") + std::string(v.GetString(), v.GetStringLength());
    }
    return joined;
  }
  return {};
}

void describe(const rapidjson::Value& doc, trail_line& line) {
  line.kind = member_text(doc, "kind");
  line.at = member_text(doc, "receivedAt");
  if (line.at.empty())
    line.at = member_text(doc, "at");
  line.request_id = member_text(doc, "requestId");
  line.reason = member_text(doc, "reason");
  if (line.kind == "exchange.decision") {
    line.outcome = member_text(doc, "decision");
    line.detail = member_text(doc, "consumer") + " -> " + member_text(doc, "dataset") +
                  " purpose=" + member_text(doc, "purpose") +
                  " basis=" + member_text(doc, "lawfulBasis") + " granted=[" +
                  member_text(doc, "fieldsGranted") + "]";
  } else if (line.kind == "exchange.outcome") {
    line.outcome = member_text(doc, "status");
    line.detail = "decision #" + member_text(doc, "decisionIndex");
  } else if (line.kind == "exchange.rejected") {
    line.outcome = "rejected";
    line.detail = "peer=" + member_text(doc, "peer");
  } else {
    line.outcome = member_text(doc, "status");
  }
}

}  // namespace

trail_line summarise_entry(const log_row& row) {
  trail_line line;
  line.index = row.index;
  auto doc = parse_json(row.entry);
  if (doc && doc->IsObject()) {
    describe(*doc, line);
  } else {
    line.kind = "(unreadable)";
  }
  return line;
}

std::string format_trail_line(const trail_line& line, std::string_view proof_note) {
  std::string out = "#" + std::to_string(line.index) + "  " + line.kind + "  " + line.at;
  if (!line.request_id.empty())
    out += "  request=" + line.request_id;
  if (!line.outcome.empty())
    out += "  " + line.outcome;
  if (!line.reason.empty())
    out += " (" + line.reason + ")";
  if (!line.detail.empty())
    out += "  " + line.detail;
  if (!proof_note.empty())
    out += "  " + std::string(proof_note);
  return out;
}

}  // namespace saphan::demo
