#include "tls_plugin.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace vigil::checkers {

std::vector<std::string> TlsPlugin::default_candidates() {
    if (const char* env = std::getenv("VIGIL_TLS_PLUGIN"); env && *env) return {env};
    std::vector<std::string> files;
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        files.push_back(
            (exe.parent_path().parent_path() / VIGIL_TLS_PLUGIN_RELATIVE / VIGIL_TLS_PLUGIN_NAME)
                .string());
    }
    files.emplace_back(VIGIL_TLS_PLUGIN_INSTALL_DIR "/" VIGIL_TLS_PLUGIN_NAME);
    files.emplace_back(VIGIL_TLS_PLUGIN_BUILD_DIR "/" VIGIL_TLS_PLUGIN_NAME);
    return files;
}

std::expected<TlsPlugin, std::string> TlsPlugin::load() {
    return load(default_candidates());
}

std::expected<TlsPlugin, std::string> TlsPlugin::load(const std::vector<std::string>& files) {
    std::string tried;
    for (const auto& path : files) {
        if (::access(path.c_str(), F_OK) != 0) {
            tried += (tried.empty() ? "" : ", ") + path;
            continue;
        }
        auto lib = SharedLibrary::open(path);
        if (!lib) return std::unexpected("TLS plugin: " + lib.error());
        auto entry = lib->function<TlsEntry>(tls_entry_name);
        if (!entry) return std::unexpected("TLS plugin: " + entry.error());
        return TlsPlugin(std::make_shared<const SharedLibrary>(std::move(*lib)), *entry);
    }
    return std::unexpected("TLS plugin not found (tried " + (tried.empty() ? "nothing" : tried) +
                           ")");
}

std::expected<std::shared_ptr<TlsProvider>, std::string> TlsPlugin::make(
    const TlsClientConfig& config) const {
    TlsMade made = std::unexpected(std::string("TLS plugin made nothing"));
    entry_(config, made);
    if (!made) return std::unexpected(std::move(made.error()));
    if (!*made) return std::unexpected(std::string("TLS plugin made nothing"));
    // The provider's code lives in the plugin: the library goes after it.
    struct Owned {
        std::shared_ptr<const SharedLibrary> lib;
        std::unique_ptr<TlsProvider> provider;
    };
    auto owned = std::make_shared<Owned>(Owned{lib_, std::move(*made)});
    TlsProvider* p = owned->provider.get();
    return std::shared_ptr<TlsProvider>(std::move(owned), p);
}

}  // namespace vigil::checkers
