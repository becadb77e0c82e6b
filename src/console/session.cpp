#include "console/session.hpp"

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/keys.hpp"

namespace saphan::console {
namespace {

constexpr std::size_t secret_bytes = 32;

std::string fresh_secret() {
  return crypto::base64url_encode(crypto::random_bytes(secret_bytes));
}

// Table keys: a hash of the secret, so that a lookup's timing tells nothing about it.
std::string table_key(std::string_view secret) {
  return crypto::sha256(secret).to_hex();
}

}  // namespace

bool csrf_matches(const session& s, std::string_view presented) {
  return !presented.empty() && !s.csrf.empty() && crypto::constant_time_equal(s.csrf, presented);
}

session_state check_session(const session& s, const session_settings& settings, timestamp now) {
  if (now - s.created >= settings.absolute || now < s.created)
    return session_state::absolute_expired;
  if (now - s.last_seen >= settings.idle)
    return session_state::idle_expired;
  return session_state::valid;
}

std::string session_cookie_header(std::string_view id) {
  return std::string(session_cookie) + "=" + std::string(id) +
         "; HttpOnly; Secure; SameSite=Strict; Path=/";
}

std::string clear_session_cookie_header() {
  return std::string(session_cookie) + "=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0";
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  std::optional<std::string> found;
  while (!header.empty()) {
    const auto semi = header.find(';');
    auto part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!part.empty() && part.front() == ' ')
      part.remove_prefix(1);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos || part.substr(0, eq) != name)
      continue;
    if (found)
      return std::nullopt;  // twice: which one the browser meant is unknown
    found = std::string(part.substr(eq + 1));
  }
  return found;
}

void session_table::drop_expired(timestamp now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = check_session(it->second, settings_, now) == session_state::valid ? std::next(it)
                                                                           : sessions_.erase(it);
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    it = now - it->second.created >= pending_login_lifetime ? pending_.erase(it) : std::next(it);
  }
}

result<session> session_table::create(person who, timestamp now) {
  std::lock_guard lock(mutex_);
  if (sessions_.size() >= settings_.max_sessions)
    drop_expired(now);
  if (sessions_.size() >= settings_.max_sessions)
    return make_error(errc::overloaded, "too many sessions open; try again later");
  session s{fresh_secret(), fresh_secret(), std::move(who), now, now};
  sessions_.emplace(table_key(s.id), s);
  return s;
}

std::optional<session> session_table::touch(std::string_view id, timestamp now) {
  if (id.empty() || id.size() > 128)
    return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(table_key(id));
  if (it == sessions_.end())
    return std::nullopt;
  if (check_session(it->second, settings_, now) != session_state::valid) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen = now;
  return it->second;
}

bool session_table::end(std::string_view id) {
  std::lock_guard lock(mutex_);
  return sessions_.erase(table_key(id)) > 0;
}

std::size_t session_table::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

result<pending_login> session_table::begin_login(timestamp now) {
  std::lock_guard lock(mutex_);
  if (pending_.size() >= max_pending_logins)
    drop_expired(now);
  if (pending_.size() >= max_pending_logins)
    return make_error(errc::overloaded, "too many sign-ins waiting; try again later");
  pending_login p{fresh_secret(), fresh_secret(), fresh_secret() + fresh_secret(), now};
  pending_.emplace(table_key(p.state), p);
  return p;
}

std::optional<pending_login> session_table::finish_login(std::string_view state, timestamp now) {
  if (state.empty() || state.size() > 128)
    return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = pending_.find(table_key(state));
  if (it == pending_.end())
    return std::nullopt;
  auto p = std::move(it->second);
  pending_.erase(it);
  if (now - p.created >= pending_login_lifetime || now < p.created)
    return std::nullopt;
  return p;
}

}  // namespace saphan::console
