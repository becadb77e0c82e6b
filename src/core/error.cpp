#include "core/error.hpp"

#include <array>

namespace saphan {
namespace {

struct descriptor {
  std::string_view code;
  int status;
  std::string_view title;
};

constexpr std::array descriptors = {
#define SAPHAN_ERRC_DESCRIPTOR(name, status, title) descriptor{#name, status, title},
    SAPHAN_ERROR_CODES(SAPHAN_ERRC_DESCRIPTOR)
#undef SAPHAN_ERRC_DESCRIPTOR
};

const descriptor& describe(errc code) noexcept {
  auto index = static_cast<std::size_t>(code);
  return index < descriptors.size() ? descriptors[index]
                                    : descriptors[static_cast<std::size_t>(errc::internal)];
}

}  // namespace

std::string_view to_string(errc code) noexcept {
  return describe(code).code;
}
int http_status(errc code) noexcept {
  return describe(code).status;
}
std::string_view title(errc code) noexcept {
  return describe(code).title;
}

bool parse_errc(std::string_view text, errc& out) noexcept {
  for (std::size_t i = 0; i < descriptors.size(); ++i) {
    if (descriptors[i].code == text) {
      out = static_cast<errc>(i);
      return true;
    }
  }
  return false;
}

}  // namespace saphan
