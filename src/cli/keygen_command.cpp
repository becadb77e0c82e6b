// `saphan keygen`: a member's new Ed25519 signing key, for its first certificate or a rotation.
// The member keeps the secret half; the CA certifies the public half (saphan ca issue
// --signing-key) and the hub registers it (saphan admin add-key --use signing).
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "crypto/keys.hpp"

namespace saphan::cli {
namespace {

constexpr const char* usage = R"(--out PREFIX --kid KID [--force]

Writes a new Ed25519 signing key: PREFIX.jwk (secret, mode 0600) and PREFIX.pub.jwk (public),
both naming KID (1..64 of A-Z a-z 0-9 . _ -; a rotation takes a new one, e.g. jfo-sig-2).
Existing files are kept unless --force.
)";

constexpr std::size_t max_kid_bytes = 64;

bool valid_kid(const std::string& kid) {
  if (kid.empty() || kid.size() > max_kid_bytes)
    return false;
  for (unsigned char c : kid) {
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-')
      return false;
  }
  return true;
}

command_result run_keygen(const parsed_args& args) {
  auto prefix = SAPHAN_TRY(args.required("out"));
  auto kid = SAPHAN_TRY(args.required("kid"));
  if (!valid_kid(kid))
    return make_error(errc::invalid_argument, "--kid: 1..64 of A-Z a-z 0-9 . _ -");
  const auto secret_path = prefix + ".jwk";
  const auto public_path = prefix + ".pub.jwk";
  if (!args.flag("force")) {
    for (const auto& path : {secret_path, public_path}) {
      if (std::filesystem::exists(path)) {
        return command_result::failure(
            make_error(errc::already_exists, path + " exists (--force replaces it)"));
      }
    }
  }
  const auto keys = crypto::generate_signing_key();
  if (auto written = crypto::write_private_key_file(secret_path, keys, kid); !written)
    return command_result::failure(written.error());
  if (auto written = crypto::write_public_key_file(public_path, keys.public_key, kid); !written)
    return command_result::failure(written.error());
  std::printf("signing key %s\n  secret: %s\n  public: %s\n", kid.c_str(), secret_path.c_str(),
              public_path.c_str());
  return {};
}

}  // namespace

int run_keygen_command(const arguments& args) {
  return run_command("keygen", {run_keygen, {"out", "kid"}, usage, {"force"}}, args);
}

}  // namespace saphan::cli
