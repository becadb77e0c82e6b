// The demo's people-facing side, private to the demo module: the HTTPS certificate of the
// console, the portal and the OpenID provider (pki/web.crt), the two console configurations
// (console/auditor.json, console/portal.json with their client secrets) and the demo OpenID
// provider's clients and users (oidc/clients.json, oidc/users.json: two auditors and three
// synthetic citizens, the first of them the demo subject), with their passwords printed.
// Ports: auditor console base+12, citizen portal base+13, OpenID provider base+14.
#pragma once

#include <filesystem>

#include "core/result.hpp"
#include "demo/demo_init.hpp"
#include "demo/synthetic.hpp"

namespace saphan::demo {

inline constexpr int auditor_console_offset = 12;
inline constexpr int citizen_portal_offset = 13;
inline constexpr int oidc_offset = 14;

result<void> make_web_certificate(const std::filesystem::path& root, const progress_fn& progress);

result<void> write_console_files(const std::filesystem::path& root, const demo_options& options,
                                 const synthetic_data& data, const progress_fn& progress);

}  // namespace saphan::demo
