// libnftables, opened at run time: only a configuration with an nftables data plane or
// vrrp_strict filtering maps it and the libraries it pulls in (libnftnl, libmnl, libxtables,
// libjansson, libgmp).
#pragma once

#include <expected>
#include <memory>
#include <string>

namespace vigil {

// One nft context whose output and errors land in buffers, never on the daemon's stderr.
class NftContext {
  public:
    static constexpr const char* default_library = "libnftables.so.1";

    // Loads `library` (a no-op after the first time) and makes a context; `dry_run` checks
    // every transaction without committing it. A library that is missing or lacks a function
    // is an error naming it and the package to install.
    static std::expected<NftContext, std::string> open(
        bool dry_run = false, const std::string& library = default_library);
    NftContext(NftContext&&) noexcept;
    NftContext& operator=(NftContext&&) noexcept;
    ~NftContext();

    // Runs `commands` as one transaction; on failure nft's message as "nftables: MESSAGE".
    std::expected<void, std::string> run(const std::string& commands);

  private:
    struct Api;
    explicit NftContext(std::unique_ptr<Api> api);
    std::unique_ptr<Api> api_;
};

}  // namespace vigil
