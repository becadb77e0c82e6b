// People's sessions, kept on the server: a random id in a cookie (HttpOnly; Secure;
// SameSite=Strict; Path=/), idle and absolute timeouts, a bounded table, and a CSRF token per
// session that every POST must carry. Pending sign-ins (state, nonce, PKCE verifier) are kept in
// a table of their own, each usable once. The clock is a parameter: the rules are pure.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "console/config.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace saphan::console {

inline constexpr std::string_view session_cookie = "saphan_session";
inline constexpr std::string_view language_cookie = "saphan_lang";
inline constexpr std::size_t max_pending_logins = 1024;
inline constexpr std::chrono::minutes pending_login_lifetime{10};

enum class language { en, th };

// Who signed in, as the provider's ID token says.
struct person {
  std::string sub;
  std::string name;
  std::string citizen_id;  // citizen portal only: validated Thai citizen ID
  std::string id_token;    // kept for the provider's logout (id_token_hint)
};

struct session {
  std::string id;    // the cookie's value (32 random bytes, base64url)
  std::string csrf;  // the token every POST of this session must carry
  person who;
  timestamp created{};
  timestamp last_seen{};
};

struct pending_login {
  std::string state;
  std::string nonce;
  std::string code_verifier;
  timestamp created{};
};

// Whether `presented` is this session's CSRF token (constant time; an empty one never is).
bool csrf_matches(const session& s, std::string_view presented);

// Why a session is no longer valid at `now`, or nothing while it is.
enum class session_state { valid, idle_expired, absolute_expired };
session_state check_session(const session& s, const session_settings& settings, timestamp now);

// "saphan_session=<id>; HttpOnly; Secure; SameSite=Strict; Path=/" (and Max-Age=0 to clear).
std::string session_cookie_header(std::string_view id);
std::string clear_session_cookie_header();
// The value of cookie `name` in a Cookie header, if it is there once.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

class session_table {
 public:
  explicit session_table(session_settings settings) : settings_(settings) {}

  // A new session for `who` with fresh random id and CSRF token. Expired sessions are dropped
  // first; when the table is still full, errors: overloaded (the oldest sessions are not pushed
  // out: a burst of sign-ins must not end the sessions of people at work).
  result<session> create(person who, timestamp now);
  // The session of `id`, its last_seen moved to `now`; nothing (and it is removed) when it is
  // unknown or expired.
  std::optional<session> touch(std::string_view id, timestamp now);
  // Ends the session; true when there was one.
  bool end(std::string_view id);
  std::size_t size() const;

  // Pending sign-ins: begin_login keeps one (dropping expired ones; errors: overloaded when
  // max_pending_logins are waiting); finish_login takes it out once (nothing for an unknown or
  // expired state, or a second use).
  result<pending_login> begin_login(timestamp now);
  std::optional<pending_login> finish_login(std::string_view state, timestamp now);

 private:
  void drop_expired(timestamp now);  // callers hold mutex_
  session_settings settings_;
  mutable std::mutex mutex_;
  std::map<std::string, session> sessions_;       // by SHA-256 of the id (no timing oracle on it)
  std::map<std::string, pending_login> pending_;  // by SHA-256 of the state
};

}  // namespace saphan::console
