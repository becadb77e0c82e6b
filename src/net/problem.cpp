#include "net/problem.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/json.hpp"

namespace saphan::net {
namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void member(json_writer& w, std::string_view name, std::string_view value) {
  w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace

std::string problem_json(const error& e, std::string_view instance) {
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  auto code = to_string(e.code);
  member(w, "type", "urn:saphan:problem:" + std::string(code));
  member(w, "title", title(e.code));
  w.Key("status");
  w.Int(http_status(e.code));
  member(w, "code", code);
  if (!e.detail.empty())
    member(w, "detail", e.detail);
  if (!instance.empty())
    member(w, "instance", instance);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

error parse_problem(std::string_view body, int status) {
  auto doc = parse_json(body, {64 * 1024, 8});
  if (doc && doc->IsObject()) {
    json_object obj(*doc, "");
    auto code = obj.optional_string("code");
    auto detail = obj.optional_string("detail");
    errc parsed{};
    if (code && *code && parse_errc(**code, parsed)) {
      return make_error(parsed, detail && *detail ? **detail : std::string{});
    }
  }
  return make_error(errc::provider_error, "HTTP status " + std::to_string(status));
}

}  // namespace saphan::net
