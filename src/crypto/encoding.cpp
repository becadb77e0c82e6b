#include "crypto/encoding.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace saphan::crypto {
namespace {

constexpr std::string_view base64url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view hex_digits = "0123456789abcdef";
constexpr std::int8_t invalid_sextet = -1;

constexpr std::array<std::int8_t, 256> make_decode_table() {
  std::array<std::int8_t, 256> table{};
  table.fill(invalid_sextet);
  for (std::size_t i = 0; i < base64url_alphabet.size(); ++i) {
    table[static_cast<unsigned char>(base64url_alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}
constexpr auto decode_table = make_decode_table();

// The two characters of every 12 bits, so that three bytes take two lookups instead of four.
constexpr std::array<std::array<char, 2>, 4096> make_pair_table() {
  std::array<std::array<char, 2>, 4096> table{};
  for (std::size_t i = 0; i < table.size(); ++i)
    table[i] = {base64url_alphabet[i >> 6], base64url_alphabet[i & 63]};
  return table;
}
constexpr auto pair_table = make_pair_table();

error bad_base64(std::string_view rule, std::size_t offset) {
  return make_error(errc::invalid_argument,
                    "base64url: " + std::string(rule) + " at offset " + std::to_string(offset));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  // Written in place into a string of the final size: every JWS header (with its certificate)
  // and JWE part on the exchange path passes through here.
  const std::size_t whole = bytes.size() / 3;
  const std::size_t rest = bytes.size() % 3;
  std::string out(whole * 4 + (rest == 0 ? 0 : rest + 1), '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  char* o = out.data();
  for (std::size_t q = 0; q < whole; ++q, in += 3, o += 4) {
    const std::uint32_t n = std::uint32_t{in[0]} << 16 | std::uint32_t{in[1]} << 8 | in[2];
    std::memcpy(o, pair_table[n >> 12].data(), 2);
    std::memcpy(o + 2, pair_table[n & 0xfff].data(), 2);
  }
  if (rest == 0)
    return out;
  const std::uint32_t n = std::uint32_t{in[0]} << 16 | (rest == 2 ? std::uint32_t{in[1]} << 8 : 0);
  o[0] = base64url_alphabet[n >> 18 & 63];
  o[1] = base64url_alphabet[n >> 12 & 63];
  if (rest == 2)
    o[2] = base64url_alphabet[n >> 6 & 63];
  return out;
}

namespace {

// Decodes whole quanta of four characters in place; false at the first character outside the
// alphabet, for the checking loop below to name it.
bool decode_quanta(const unsigned char* in, std::size_t quanta, char* out) {
  for (std::size_t q = 0; q < quanta; ++q, in += 4, out += 3) {
    const int a = decode_table[in[0]], b = decode_table[in[1]], c = decode_table[in[2]],
              d = decode_table[in[3]];
    if ((a | b | c | d) < 0)
      return false;
    const auto n = static_cast<std::uint32_t>(a << 18 | b << 12 | c << 6 | d);
    out[0] = static_cast<char>(n >> 16);
    out[1] = static_cast<char>(n >> 8 & 0xff);
    out[2] = static_cast<char>(n & 0xff);
  }
  return true;
}

}  // namespace

// Character by character, naming the offset (from `offset`) of what breaks the rules.
static result<std::string> base64url_decode_checked(std::string_view text, std::size_t offset);

result<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1)
    return bad_base64("impossible length", text.size());
  // The common case, text of the alphabet: whole quanta at once, then the 2 or 3 left.
  const std::size_t quanta = text.size() / 4;
  std::string fast(quanta * 3, '\0');
  if (decode_quanta(reinterpret_cast<const unsigned char*>(text.data()), quanta, fast.data())) {
    const auto tail = text.substr(quanta * 4);
    if (tail.empty())
      return fast;
    auto last = SAPHAN_TRY(base64url_decode_checked(tail, quanta * 4));
    fast += last;
    return fast;
  }
  return base64url_decode_checked(text, 0);
}

static result<std::string> base64url_decode_checked(std::string_view text, std::size_t offset) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto value = decode_table[static_cast<unsigned char>(text[i])];
    if (value == invalid_sextet) {
      return bad_base64(
          text[i] == '=' ? "padding is not allowed" : "character outside the alphabet", offset + i);
    }
    bits = (bits << 6 | static_cast<std::uint32_t>(value)) & 0xffffff;
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out += static_cast<char>(bits >> bit_count & 0xff);
    }
  }
  // The leftover bits (2 or 4) must be zero; otherwise two texts would decode to the same bytes.
  if (bit_count > 0 && (bits & ((1u << bit_count) - 1)) != 0) {
    return bad_base64("non-zero trailing bits", offset + text.size() - 1);
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out = base64url_encode(bytes);
  for (auto& c : out) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
  }
  out.append((4 - out.size() % 4) % 4, '=');
  return out;
}

result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return bad_base64("length is not a multiple of 4", text.size());
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
    ++padding;
  std::string url(text.substr(0, text.size() - padding));
  for (std::size_t i = 0; i < url.size(); ++i) {
    char& c = url[i];
    if (c == '-' || c == '_')
      return bad_base64("character outside the alphabet", i);
    if (c == '+')
      c = '-';
    else if (c == '/')
      c = '_';
  }
  // The padding must be exactly what the length needs: "QQ==" but not "QUI==" or "QQ=".
  if (padding != (4 - url.size() % 4) % 4)
    return bad_base64("wrong padding", url.size());
  return base64url_decode(url);
}

std::string hex_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += hex_digits[c >> 4];
    out += hex_digits[c & 15];
  }
  return out;
}

result<std::string> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) {
    return make_error(errc::invalid_argument, "hex: length must be even");
  }
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int high = hex_value(text[i]);
    int low = hex_value(text[i + 1]);
    if (high < 0 || low < 0) {
      return make_error(errc::invalid_argument,
                        "hex: invalid digit at offset " + std::to_string(high < 0 ? i : i + 1));
    }
    out += static_cast<char>(high << 4 | low);
  }
  return out;
}

result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else {
      if (i + 2 >= text.size())
        return make_error(errc::invalid_argument, "truncated percent-encoding");
      int high = hex_value(text[i + 1]);
      int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0)
        return make_error(errc::invalid_argument, "bad percent-encoding");
      out += static_cast<char>(high << 4 | low);
      i += 2;
    }
  }
  return out;
}

}  // namespace saphan::crypto
