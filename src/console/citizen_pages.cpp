// The citizen portal's pages: who used my data, my consents (approve, reject, withdraw in one
// step), receipts and the PDPA section 30 export. The citizen ID comes from the session alone;
// any other citizen ID in the URL, the query or a form is refused before the hub is asked.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "console/json_view.hpp"
#include "console/state.hpp"
#include "core/json.hpp"

// GCC 12 at -O2 reports asio's coroutine frames, which bring their own operator new and delete,
// as freed by a mismatched operator delete (a false positive, as in hub/exchange.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace saphan::console {
namespace {

constexpr std::size_t page_size = 20;

bool looks_like_citizen_id(std::string_view v) {
  return v.size() == 13 &&
         std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Any 13-digit value (a path segment, a query or form value) other than the session's citizen.
result<void> refuse_other_citizen(const request_info& r) {
  const auto& own = r.signed_in->who.citizen_id;
  auto check = [&](std::string_view v) -> result<void> {
    if (looks_like_citizen_id(v) && v != own)
      return make_error(errc::forbidden, "a citizen sees only their own records");
    return ok();
  };
  std::string_view path = r.path;
  while (!path.empty()) {
    path.remove_prefix(1);
    const auto slash = path.find('/');
    SAPHAN_TRY_VOID(check(path.substr(0, slash)));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  for (const auto* values : {&r.query, &r.form}) {
    for (const auto& [name, value] : *values)
      SAPHAN_TRY_VOID(check(value));
  }
  return ok();
}

bool valid_consent_id(std::string_view id) {
  return id.size() >= 4 && id.size() <= 80 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
         });
}

std::string citizen_base(const request_info& r) {
  return "/v1/citizen/" + r.signed_in->who.citizen_id;
}

page_answer html(console_state& s, const request_info& r, text title, const std::string& body) {
  return {200, "text/html; charset=utf-8", render_page(s.config, r, t(r, title), body)};
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items)
    out += (out.empty() ? "" : ", ") + i;
  return out;
}

// ---- who used my data -----------------------------------------------------------------------

route_result accesses(console_state& s, request_info& r) {
  std::string target = citizen_base(r) + "/accesses?limit=" + std::to_string(page_size);
  if (auto it = r.query.find("before"); it != r.query.end()) {
    if (it->second.empty() || it->second.find_first_not_of("0123456789") != std::string::npos ||
        it->second.size() > 19)
      co_return error_page(s.config, r, make_error(errc::invalid_argument, "before: a number"));
    target += "&before=" + it->second;
  }
  auto doc = co_await hub_json(s, target);
  if (!doc)
    co_return error_page(s.config, r, doc.error());
  std::string body = "<p>" + t(r, text::accesses_intro) + "</p>";
  const auto& list = array_of(*doc, "accesses");
  if (list.Empty()) {
    body += "<p>" + t(r, text::nothing_found) + "</p>";
  } else {
    body += "<table id=\"accesses\">" +
            table_head(r, {text::time, text::agency, text::officer, text::dataset, text::purpose,
                           text::lawful_basis, text::legal_instrument, text::outcome}) +
            "<tbody>";
    for (const auto& a : list.GetArray()) {
      body += "<tr data-index=\"" + std::to_string(number_of(a, "index")) + "\">" +
              cell(readable_time(text_of(a, "at"))) + cell(text_of(a, "consumer")) +
              cell(text_of(a, "officer")) + cell(text_of(a, "dataset")) +
              cell(text_of(a, "purpose")) + cell(text_of(a, "lawfulBasis")) +
              cell(text_of(a, "legalInstrument").empty() ? text_of(a, "consentId")
                                                         : text_of(a, "legalInstrument")) +
              cell(text_of(a, "outcome")) + "</tr>";
    }
    body += "</tbody></table>";
  }
  if (has_number(*doc, "before")) {
    body +=
        "<p><a rel=\"next\" href=\"/accesses?before=" + std::to_string(number_of(*doc, "before")) +
        "\">" + t(r, text::next_page) + "</a></p>";
  }
  co_return html(s, r, text::accesses_title, body);
}

// ---- my consents ------------------------------------------------------------------------------

text status_text(const std::string& status) {
  if (status == "requested")
    return text::status_requested;
  if (status == "active")
    return text::status_active;
  if (status == "rejected")
    return text::status_rejected;
  if (status == "revoked")
    return text::status_revoked;
  return text::status_expired;
}

std::string consent_facts(const request_info& r, const rapidjson::Value& c) {
  const auto max_uses = has_number(c, "maxUses") ? std::to_string(number_of(c, "maxUses"))
                                                 : std::string(tr(r.lang, text::unlimited));
  auto name = text_of(c, "consumerName");
  return "<dl class=\"facts\"><dt>" + t(r, text::agency) + "</dt><dd>" +
         escape_html(name.empty() ? text_of(c, "consumer")
                                  : name + " (" + text_of(c, "consumer") + ")") +
         "</dd><dt>" + t(r, text::requested_at) + "</dt><dd>" +
         escape_html(readable_time(text_of(c, "requestedAt"))) + "</dd><dt>" +
         t(r, text::reason_shown) + "</dt><dd>" + escape_html(text_of(c, "reason")) + "</dd><dt>" +
         t(r, text::dataset) + "</dt><dd>" + escape_html(joined(texts_of(c, "datasets"))) +
         "</dd><dt>" + t(r, text::purpose) + "</dt><dd>" + escape_html(text_of(c, "purpose")) +
         "</dd><dt>" + t(r, text::fields) + "</dt><dd>" +
         escape_html(joined(texts_of(c, "fields"))) + "</dd><dt>" + t(r, text::valid_until) +
         "</dt><dd>" + escape_html(readable_time(text_of(c, "validUntil"))) + "</dd><dt>" +
         t(r, text::max_uses) + "</dt><dd>" + escape_html(max_uses) + "</dd><dt>" +
         t(r, text::uses) + "</dt><dd>" + std::to_string(number_of(c, "uses")) + "</dd></dl>";
}

std::string decision_form(const request_info& r, const std::string& id, bool pending) {
  std::string out = "<form method=\"post\" action=\"/consents/" + escape_html(id) +
                    "\"><input type=\"hidden\" name=\"csrf\" value=\"" +
                    escape_html(r.signed_in->csrf) + "\">";
  out += "<fieldset><legend>" + t(r, text::receipt_subject) + "</legend>";
  for (const auto& [value, label] :
       {std::pair{"pseudonym", text::receipt_pseudonym}, std::pair{"id", text::receipt_id}}) {
    const std::string input_id = "rs-" + id + "-" + value;
    out += "<input type=\"radio\" id=\"" + escape_html(input_id) +
           "\" name=\"receiptSubject\" value=\"" + value + "\"" +
           (std::string_view(value) == "pseudonym" ? " checked" : "") + "><label for=\"" +
           escape_html(input_id) + "\">" + t(r, label) + "</label> ";
  }
  out += "</fieldset>";
  if (pending) {
    out +=
        "<button type=\"submit\" name=\"action\" value=\"approve\">" + t(r, text::approve) +
        "</button> <button type=\"submit\" name=\"action\" value=\"reject\" class=\"secondary\">" +
        t(r, text::reject) + "</button>";
  } else {
    out += "<button type=\"submit\" name=\"action\" value=\"withdraw\">" + t(r, text::withdraw) +
           "</button> <small>" + t(r, text::withdraw_note) + "</small>";
  }
  return out + "</form>";
}

std::string consent_card(const request_info& r, const rapidjson::Value& c, bool with_form) {
  const auto id = text_of(c, "consentId");
  const auto status = text_of(c, "status");
  std::string out = "<article class=\"consent\" data-consent=\"" + escape_html(id) + "\"><h3>" +
                    escape_html(text_of(c, "purpose")) + " <span class=\"status\">" +
                    t(r, status_text(status)) + "</span></h3>" + consent_facts(r, c);
  if (with_form)
    out += decision_form(r, id, status == "requested");
  out += "<p><a href=\"/consents/" + escape_html(id) + "/receipts\">" + t(r, text::receipts) +
         "</a></p>";
  return out + "</article>";
}

route_result consents(console_state& s, request_info& r) {
  auto doc = co_await hub_json(s, citizen_base(r) + "/consents?limit=100");
  if (!doc)
    co_return error_page(s.config, r, doc.error());
  std::string pending, active, past;
  for (const auto& c : array_of(*doc, "consents").GetArray()) {
    const auto status = text_of(c, "status");
    if (status == "requested")
      pending += consent_card(r, c, true);
    else if (status == "active")
      active += consent_card(r, c, true);
    else
      past += consent_card(r, c, false);
  }
  auto section = [&](text title, const std::string& cards, const char* id) {
    return "<section id=\"" + std::string(id) + "\"><h2>" + t(r, title) + "</h2>" +
           (cards.empty() ? "<p>" + t(r, text::no_consents) + "</p>" : cards) + "</section>";
  };
  co_return html(s, r, text::consents_title,
                 section(text::pending_requests, pending, "pending") +
                     section(text::active_consents, active, "active") +
                     section(text::history, past, "history"));
}

std::string decision_body(const std::string& action, const std::string& receipt_subject) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("action");
  w.String(action.c_str());
  w.Key("receiptSubject");
  w.String(receipt_subject.c_str());
  w.EndObject();
  return buffer.GetString();
}

route_result decide(console_state& s, request_info& r, const std::string& id) {
  const auto action = r.form.count("action") ? r.form.at("action") : std::string();
  const auto subject = r.form.count("receiptSubject") ? r.form.at("receiptSubject") : "pseudonym";
  if (action != "approve" && action != "reject" && action != "withdraw")
    co_return error_page(s.config, r,
                         make_error(errc::invalid_argument, "action: approve, reject or withdraw"));
  if (subject != "pseudonym" && subject != "id")
    co_return error_page(s.config, r,
                         make_error(errc::invalid_argument, "receiptSubject: pseudonym or id"));
  auto answer =
      co_await s.hub->post(citizen_base(r) + "/consents/" + id, decision_body(action, subject));
  if (!answer)
    co_return error_page(s.config, r, answer.error());
  auto doc = parse_json(*answer, {1 << 20, 16});
  if (!doc || !doc->IsObject())
    co_return error_page(s.config, r, make_error(errc::malformed_json, "the hub's answer"));
  // What the citizen decided, as the hub now holds it, then the receipt itself for those who
  // want to keep or check it (the receipts page offers it as a file).
  const auto consent = doc->FindMember("consent");
  std::string body = "<p role=\"status\">" + t(r, text::decision_done) + "</p>";
  if (consent != doc->MemberEnd() && consent->value.IsObject())
    body += consent_card(r, consent->value, false);
  body += "<details><summary>" + t(r, text::receipt_jws) + "</summary><pre class=\"jws\" " +
          "id=\"receipt\">" + escape_html(text_of(*doc, "receipt")) +
          "</pre></details><p><a href=\"/consents\">" + t(r, text::nav_consents) + "</a></p>";
  co_return html(s, r, text::consents_title, body);
}

route_result receipts(console_state& s, request_info& r, const std::string& id,
                      std::optional<std::string> which) {
  auto doc = co_await hub_json(s, citizen_base(r) + "/consents/" + id + "/receipts");
  if (!doc)
    co_return error_page(s.config, r, doc.error());
  const auto& list = array_of(*doc, "receipts");
  if (which) {
    const auto& w = *which;
    if (w.empty() || w.size() > 4 || w.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(w) >= list.Size())
      co_return error_page(s.config, r, make_error(errc::not_found, "no such receipt"));
    const auto& one = list[static_cast<rapidjson::SizeType>(std::stoul(w))];
    page_answer a{200, "application/jose", text_of(one, "jws")};
    a.download_name = "consent-receipt-" + id + "-" + text_of(one, "event") + ".jws";
    co_return a;
  }
  std::string body = "<table id=\"receipts\">" +
                     table_head(r, {text::event, text::time, text::index, text::download_receipt}) +
                     "<tbody>";
  rapidjson::SizeType i = 0;
  for (const auto& one : list.GetArray()) {
    body += "<tr>" + cell(text_of(one, "event")) + cell(readable_time(text_of(one, "at"))) +
            cell(std::to_string(number_of(one, "logIndex"))) + "<td><a href=\"/consents/" +
            escape_html(id) + "/receipts/" + std::to_string(i++) + "\" download>" +
            t(r, text::download_receipt) + "</a></td></tr>";
  }
  co_return html(s, r, text::receipts, body + "</tbody></table>");
}

route_result pdpa_export(console_state& s, request_info& r) {
  auto body = co_await s.hub->get(citizen_base(r) + "/export");
  if (!body)
    co_return error_page(s.config, r, body.error());
  page_answer a{200, "application/json", std::move(*body)};
  a.download_name = "saphan-pdpa-export.json";
  co_return a;
}

page_answer pdpa_page(console_state& s, const request_info& r) {
  return html(
      s, r, text::pdpa_title,
      "<p>" + t(r, text::pdpa_intro) +
          "</p><p><a class=\"button\" id=\"pdpa-download\" href=\"/pdpa/export\" download>" +
          t(r, text::pdpa_download) + "</a></p>");
}

// /consents/<id>[/receipts[/<n>]]
route_result consent_routes(console_state& s, request_info& r) {
  std::string_view rest = std::string_view(r.path).substr(10);
  const auto slash = rest.find('/');
  const std::string id(rest.substr(0, slash));
  if (!valid_consent_id(id))
    co_return error_page(s.config, r, make_error(errc::invalid_argument, "consent id"));
  rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (r.method == "POST" && rest.empty())
    co_return co_await decide(s, r, id);
  if (r.method != "POST" && rest == "/receipts")
    co_return co_await receipts(s, r, id, std::nullopt);
  if (r.method != "POST" && rest.starts_with("/receipts/"))
    co_return co_await receipts(s, r, id, std::string(rest.substr(10)));
  co_return error_page(s.config, r, make_error(errc::not_found, r.path.substr(0, 80)));
}

}  // namespace

route_result citizen_route(console_state& s, request_info& r) {
  if (auto refused = refuse_other_citizen(r); !refused)
    co_return error_page(s.config, r, refused.error());
  const auto& p = r.path;
  const auto own_path = "/citizen/" + r.signed_in->who.citizen_id + "/accesses";
  if (p == "/" && r.method != "POST")
    co_return redirect("/accesses");
  if ((p == "/accesses" || p == own_path) && r.method != "POST")
    co_return co_await accesses(s, r);
  if (p == "/consents" && r.method != "POST")
    co_return co_await consents(s, r);
  if (p.starts_with("/consents/"))
    co_return co_await consent_routes(s, r);
  if (p == "/pdpa" && r.method != "POST")
    co_return pdpa_page(s, r);
  if (p == "/pdpa/export" && r.method != "POST")
    co_return co_await pdpa_export(s, r);
  co_return error_page(s.config, r, make_error(errc::not_found, p.substr(0, 80)));
}

}  // namespace saphan::console
