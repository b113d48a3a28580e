// The TLS plugin, found and opened at run time (see tls.hpp).
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "tls.hpp"
#include "vigil/common/shared_library.hpp"

namespace vigil::checkers {

class TlsPlugin {
  public:
    // The first of default_candidates() that exists.
    static std::expected<TlsPlugin, std::string> load();
    // The first of these files that exists; an error names them all when none does.
    static std::expected<TlsPlugin, std::string> load(const std::vector<std::string>& files);
    // $VIGIL_TLS_PLUGIN alone when set; else LIBDIR/vigil beside the running program's directory (a
    // package or an install under any prefix, and the build tree, which has the same layout); then
    // the install directory and the build directory this program was built for.
    static std::vector<std::string> default_candidates();

    // A client context for `config`; the plugin stays loaded while it lives.
    std::expected<std::shared_ptr<TlsProvider>, std::string> make(
        const TlsClientConfig& config) const;
    const std::string& path() const { return lib_->path(); }

  private:
    TlsPlugin(std::shared_ptr<const SharedLibrary> lib, TlsEntry* entry)
        : lib_(std::move(lib)), entry_(entry) {}
    std::shared_ptr<const SharedLibrary> lib_;
    TlsEntry* entry_;
};

}  // namespace vigil::checkers
