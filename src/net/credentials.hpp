// What a running hub or connector replaces when an operator rotates its certificates and keys
// (SIGHUP): the CA it pins and its CRL, its TLS contexts, and its signing key with its
// certificate. Each part reloads on its own; a part whose files do not load stays as it was.
#pragma once

#include <memory>
#include <vector>

#include "core/result.hpp"
#include "net/tls_context.hpp"
#include "pki/member_signature.hpp"
#include "pki/trust.hpp"

namespace saphan::net {

struct reloadable_credentials {
  std::shared_ptr<pki::trust_anchor> trust;
  std::vector<std::shared_ptr<tls_context>> tls;  // null entries are skipped
  std::shared_ptr<pki::reloadable_signer> signer;
};

// Reloads the trust first (a new CA must be trusted before certificates it issued are used),
// then the TLS contexts, then the signer, logging each (credentials.reloaded, or
// credentials.reload_failed with the reason). Errors: the first part that failed, after trying
// them all.
result<void> reload_credentials(const reloadable_credentials& parts);

}  // namespace saphan::net
