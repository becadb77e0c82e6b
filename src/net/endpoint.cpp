#include "net/endpoint.hpp"

#include <string>

namespace saphan::net {

result<endpoint> parse_endpoint(std::string_view url) {
  endpoint ep;
  std::string_view rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    ep.tls = false;
    rest = url.substr(7);
  } else {
    return make_error(errc::invalid_argument, "endpoint must start with https:// or http://");
  }
  if (!rest.empty() && rest.back() == '/')
    rest.remove_suffix(1);
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return make_error(errc::invalid_argument, "endpoint needs host:port");
  }
  ep.host = std::string(rest.substr(0, colon));
  auto port_text = rest.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string_view::npos) {
    return make_error(errc::invalid_argument, "endpoint port must be a number");
  }
  auto port = std::stoul(std::string(port_text));
  if (port == 0 || port > 65535)
    return make_error(errc::invalid_argument, "endpoint port out of range");
  ep.port = static_cast<std::uint16_t>(port);
  return ep;
}

}  // namespace saphan::net
