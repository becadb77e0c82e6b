#include "schema/pattern.hpp"

#include <cstddef>

namespace saphan {
namespace {

class pattern_checker {
 public:
  explicit pattern_checker(std::string_view pattern) : p_(pattern), end_(pattern.size()) {}

  bool check() {
    if (p_.size() > max_length)
      return false;
    // The engine reads a pattern as a C string: it never sees what follows a NUL byte, so
    // "(\0)" would reach it as "(", one of the patterns it aborts on.
    if (p_.find('\0') != std::string_view::npos)
      return false;
    if (ends_with_anchor())
      --end_;
    if (pos_ < end_ && p_[pos_] == '^')
      ++pos_;
    return alternation(0) && pos_ == end_;
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

  bool alternation(int depth) {
    if (depth > max_group_depth || !concatenation(depth))
      return false;
    while (at('|')) {
      ++pos_;
      if (!concatenation(depth))
        return false;
    }
    return true;
  }

  bool concatenation(int depth) {
    int pieces = 0;
    while (pos_ < end_ && !at('|') && !at(')')) {
      if (!atom(depth) || !quantifier())
        return false;
      ++pieces;
    }
    return pieces > 0;
  }

  bool atom(int depth) {
    char c = p_[pos_++];
    switch (c) {
      case '(':
        if (!alternation(depth + 1) || !at(')'))
          return false;
        ++pos_;
        return true;
      case '[':
        return char_class();
      case '\\':
        return escape("^$|()?*+.[]{}\\fnrtv");
      case '*':
      case '+':
      case '?':
      case '{':
      case '}':
      case ']':
      case '^':
      case '$':
        return false;
      default:
        return true;  // '.' or a literal (UTF-8 continuation bytes are never metacharacters)
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

  bool quantifier() {
    if (at('*') || at('+') || at('?')) {
      ++pos_;
      return true;
    }
    if (!at('{'))
      return true;
    ++pos_;
    unsigned n = 0, m = 0;
    if (!number(n))
      return false;
    m = n;
    if (at(',')) {
      ++pos_;
      if (!at('}') && (!number(m) || m < n))
        return false;
    }
    if (!at('}'))
      return false;
    ++pos_;
    return true;
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
