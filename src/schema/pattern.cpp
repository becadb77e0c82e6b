#include "schema/pattern.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>

#include "core/json.hpp"

namespace saphan {
namespace {

class pattern_checker {
 public:
  explicit pattern_checker(std::string_view pattern) : p_(pattern), end_(pattern.size()) {}

  bool check() {
    if (p_.size() > max_length)
      return false;
    // The engine reads a pattern as a C string of UTF-8 and stops at a NUL byte or at the first
    // byte sequence it cannot decode: it would see "(\0)" or "(\xd2)" as "(", one of the
    // patterns it aborts on.
    if (p_.find('\0') != std::string_view::npos || !is_utf8(p_))
      return false;
    if (ends_with_anchor())
      --end_;
    if (pos_ < end_ && p_[pos_] == '^')
      ++pos_;
    const part whole = alternation(0);
    return whole && pos_ == end_ && whole->states * whole->splits <= max_work;
  }

 private:
  static constexpr std::size_t max_length = 1024;
  static constexpr int max_group_depth = 16;
  static constexpr unsigned max_repeat = 1000;
  // The engine's states (it copies a repeated part once per count, so "((a{1000}){1000}){1000}"
  // asked for 10^9 of them), and states times splits, which bounds the work per character of
  // the subject: with each one, every live state walks the empty paths after it, through up to
  // every split, so "^[a-z]{1,1000}$" took 0.8 s on a 1000-letter string (at this bound, about
  // 50 microseconds a character at worst). A long bounded string wants maxLength, not a count.
  static constexpr std::size_t max_states = 4096;
  static constexpr std::size_t max_work = 20000;

  bool ends_with_anchor() const {
    if (p_.empty() || p_.back() != '$')
      return false;
    std::size_t backslashes = 0;
    for (auto i = p_.size() - 1; i > 0 && p_[i - 1] == '\\'; --i)
      ++backslashes;
    return backslashes % 2 == 0;
  }

  bool at(char c) const { return pos_ < end_ && p_[pos_] == c; }

  // What the engine makes of a sub-pattern: in how many ways it matches the empty string, and
  // about how many states and splits (states with two ways on) it compiles to. The engine adds
  // states to its set by following every empty path, without marking the splits it passes, so a
  // repetition of something that can match empty ("(a?)*") loops until the stack overflows, and
  // sub-patterns with two empty paths each ("(a?|b?)", "(a?)?") multiply: sixteen of them in a
  // row took seconds on every subject. With at most one empty path per part, adding a state costs
  // at most one walk through the splits.
  struct shape {
    unsigned empty_paths = 0;  // 0 or 1; a part with more is refused
    std::size_t states = 0;    // at most max_states
    std::size_t splits = 0;    // at most states
  };
  using part = std::optional<shape>;

  static part bounded(shape s) {
    if (s.states > max_states)
      return std::nullopt;
    return s;
  }

  part alternation(int depth) {
    if (depth > max_group_depth)
      return std::nullopt;
    part out = concatenation(depth);
    while (out && at('|')) {
      ++pos_;
      part next = concatenation(depth);
      if (!next)
        return std::nullopt;
      out->empty_paths += next->empty_paths;
      out->states += next->states + 1;
      out->splits += next->splits + 1;
    }
    if (!out || out->empty_paths > 1)
      return std::nullopt;
    return bounded(*out);
  }

  part concatenation(int depth) {
    int pieces = 0;
    shape out{1, 0, 0};
    while (pos_ < end_ && !at('|') && !at(')')) {
      part piece = atom(depth);
      if (piece)
        piece = quantifier(*piece);
      if (!piece)
        return std::nullopt;
      out.empty_paths *= piece->empty_paths;
      out.states += piece->states;
      out.splits += piece->splits;
      if (out.states > max_states)
        return std::nullopt;
      ++pieces;
    }
    if (pieces == 0)
      return std::nullopt;
    return out;
  }

  part atom(int depth) {
    char c = p_[pos_++];
    switch (c) {
      case '(': {
        part group = alternation(depth + 1);
        if (!group || !at(')'))
          return std::nullopt;
        ++pos_;
        return group;
      }
      case '[':
        return char_class() ? part(shape{0, 1, 0}) : std::nullopt;
      case '\\':
        return escape("^$|()?*+.[]{}\\fnrtv") ? part(shape{0, 1, 0}) : std::nullopt;
      case '*':
      case '+':
      case '?':
      case '{':
      case '}':
      case ']':
      case '^':
      case '$':
        return std::nullopt;
      default:
        // '.' or a literal: one code point, as the engine reads it, so that a quantifier after a
        // character of several bytes applies to all of it (check() has made sure of UTF-8).
        while (pos_ < end_ && (static_cast<unsigned char>(p_[pos_]) & 0xc0) == 0x80)
          ++pos_;
        return shape{0, 1, 0};
    }
  }

  bool escape(std::string_view allowed) {
    if (pos_ >= end_ || allowed.find(p_[pos_]) == std::string_view::npos)
      return false;
    ++pos_;
    return true;
  }

  bool char_class() {
    if (at('^'))
      ++pos_;
    int members = 0;
    while (pos_ < end_ && !at(']')) {
      if (p_[pos_++] == '\\' && !escape("^$|()?*+.[]{}\\fnrtvb-"))
        return false;
      ++members;
    }
    if (!at(']') || members == 0)
      return false;
    ++pos_;
    return true;
  }

  bool number(unsigned& out) {
    out = 0;
    int digits = 0;
    while (pos_ < end_ && p_[pos_] >= '0' && p_[pos_] <= '9' && digits < 5) {
      out = out * 10 + static_cast<unsigned>(p_[pos_++] - '0');
      ++digits;
    }
    return digits > 0 && out <= max_repeat;
  }

  // The quantifier after an atom, if any. Everything that repeats or makes optional (?, *, +,
  // {n,}, {n,m} with m > n) refuses an atom that can already match empty: it would add an
  // unbounded or a second empty path. {n} alone repeats the atom's own.
  part quantifier(shape atom) {
    if (at('*') || at('+') || at('?')) {
      const bool plus = at('+');
      ++pos_;
      if (atom.empty_paths != 0)
        return std::nullopt;
      return bounded({plus ? 0u : 1u, atom.states + 1, atom.splits + 1});
    }
    if (!at('{'))
      return atom;
    ++pos_;
    unsigned n = 0, m = 0;
    if (!number(n))
      return std::nullopt;
    m = n;
    bool unbounded = false;
    if (at(',')) {
      ++pos_;
      if (at('}'))
        unbounded = true;
      else if (!number(m) || m < n)
        return std::nullopt;
    }
    if (!at('}'))
      return std::nullopt;
    ++pos_;
    // a{3} is a a a, a{3,} a a a+, a{3,5} a a a a? a?: copies of the atom, one more split each
    // for the + and every ?.
    const std::size_t copies = unbounded ? std::max(n, 1u) : m;
    const std::size_t extra = unbounded ? 1 : m - n;
    shape out{n == 0 ? 1u : atom.empty_paths, atom.states * copies + extra,
              atom.splits * copies + extra};
    if ((unbounded || m > n) && atom.empty_paths != 0)
      return std::nullopt;
    return bounded(out);
  }

  std::string_view p_;
  std::size_t pos_ = 0;
  std::size_t end_;
};

}  // namespace

bool is_supported_pattern(std::string_view pattern) {
  return pattern_checker(pattern).check();
}

}  // namespace saphan
