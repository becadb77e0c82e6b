#include "schema/pattern.hpp"

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
    return alternation(0).has_value() && pos_ == end_;
  }

 private:
  static constexpr std::size_t max_length = 1024;
  static constexpr int max_group_depth = 16;
  static constexpr unsigned max_repeat = 1000;

  bool ends_with_anchor() const {
    if (p_.empty() || p_.back() != '$')
      return false;
    std::size_t backslashes = 0;
    for (auto i = p_.size() - 1; i > 0 && p_[i - 1] == '\\'; --i)
      ++backslashes;
    return backslashes % 2 == 0;
  }

  bool at(char c) const { return pos_ < end_ && p_[pos_] == c; }

  // What the engine makes of a sub-pattern that matters here: in how many ways it matches the
  // empty string. The engine adds states to its set by following every empty path, without
  // marking the splits it passes, so a repetition of something that can match empty ("(a?)*")
  // loops until the stack overflows, and sub-patterns with two empty paths each ("(a?|b?)",
  // "(a?)?") multiply: sixteen of them in a row take seconds on every subject. A pattern whose
  // every part has at most one empty path costs time linear in its size.
  struct shape {
    unsigned empty_paths = 0;  // 0 or 1; a part with more is refused
  };
  using part = std::optional<shape>;

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
    }
    if (!out || out->empty_paths > 1)
      return std::nullopt;
    return out;
  }

  part concatenation(int depth) {
    int pieces = 0;
    shape out{1};
    while (pos_ < end_ && !at('|') && !at(')')) {
      part piece = atom(depth);
      if (piece)
        piece = quantifier(*piece);
      if (!piece)
        return std::nullopt;
      out.empty_paths *= piece->empty_paths;
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
        return char_class() ? part(shape{0}) : std::nullopt;
      case '\\':
        return escape("^$|()?*+.[]{}\\fnrtv") ? part(shape{0}) : std::nullopt;
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
        return shape{0};  // '.' or a literal (UTF-8 continuation bytes are never metacharacters)
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
      return shape{plus ? 0u : 1u};
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
    if (unbounded || m > n) {
      if (atom.empty_paths != 0)
        return std::nullopt;
      return shape{n == 0 ? 1u : 0u};
    }
    return shape{n == 0 ? 1u : atom.empty_paths};
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
