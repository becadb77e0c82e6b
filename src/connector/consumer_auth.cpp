#include "connector/consumer_auth.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/files.hpp"
#include "crypto/keys.hpp"

namespace saphan::connector {
namespace {

constexpr std::string_view bearer_scheme = "Bearer";

bool is_b64token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_b64token(std::string_view text) {
  auto end = text.find_last_not_of('=');
  if (end == std::string_view::npos)
    return false;
  auto body = text.substr(0, end + 1);
  for (char c : body) {
    if (!is_b64token_char(c))
      return false;
  }
  return true;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i]))
      return false;
  }
  return true;
}

error config_rule(std::string rule) {
  return make_error(errc::invalid_argument, std::move(rule));
}

}  // namespace

result<api_token> api_token::parse(std::string_view file_text) {
  auto text = file_text;
  if (text.size() >= 2 && text.substr(text.size() - 2) == "\r\n")
    text.remove_suffix(2);
  else if (!text.empty() && text.back() == '\n')
    text.remove_suffix(1);
  if (text.empty())
    return config_rule("the token file is empty");
  if (text.size() < min_api_token_length) {
    return config_rule("the token is " + std::to_string(text.size()) + " characters; at least " +
                       std::to_string(min_api_token_length) + " are needed");
  }
  if (text.size() > max_api_token_length) {
    return config_rule("the token is longer than " + std::to_string(max_api_token_length) +
                       " characters");
  }
  if (!is_b64token(text)) {
    return config_rule(
        "the token must be one line of A-Z a-z 0-9 - . _ ~ + / (and = only at the end)");
  }
  return api_token(crypto::sha256(text));
}

std::optional<std::string_view> bearer_token_of(std::string_view authorization) {
  const auto space = authorization.find(' ');
  if (space == std::string_view::npos || space + 1 == authorization.size() ||
      !equals_ignoring_case(authorization.substr(0, space), bearer_scheme)) {
    return std::nullopt;
  }
  return authorization.substr(space + 1);
}

result<void> api_token::check(std::string_view authorization) const {
  const auto token = bearer_token_of(authorization);
  if (!token)
    return make_error(errc::unauthenticated, "Authorization: a bearer token is required");
  // Hashed first, so that the comparison takes the same time whatever the presented length.
  const auto presented = crypto::sha256(*token);
  if (!crypto::constant_time_equal(presented, digest_)) {
    return make_error(errc::unauthenticated,
                      "Authorization: the bearer token is not this connector's");
  }
  return ok();
}

result<void> check_token_file_mode(mode_t mode) {
  if ((mode & (S_IRWXG | S_IRWXO)) != 0) {
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode & 07777));
    return config_rule(std::string("the token file's mode is ") + octal +
                       "; it must be readable by its owner alone (chmod 600)");
  }
  return ok();
}

result<api_token> read_api_token_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return make_error(errc::io_error, path + ": cannot stat: " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode))
    return make_error(errc::io_error, path + ": not a regular file");
  SAPHAN_TRY_VOID(check_token_file_mode(st.st_mode));
  auto text = SAPHAN_TRY(read_file(path, max_api_token_length + 2));
  auto token = api_token::parse(text);
  crypto::wipe_secret(text.data(), text.size());
  return token;
}

std::string bearer_challenge(bool token_presented) {
  std::string value = std::string(bearer_scheme) + " realm=\"saphan-consumer\"";
  if (token_presented)
    value += ", error=\"invalid_token\"";
  return value;
}

}  // namespace saphan::connector
