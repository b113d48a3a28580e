// A shared object opened at run time, so that the daemon maps a large library (and all it pulls
// in) only when the configuration needs it.
#pragma once

#include <expected>
#include <memory>
#include <string>

namespace vigil {

class SharedLibrary {
  public:
    // dlopen(RTLD_NOW | RTLD_LOCAL): every symbol bound now, none leaking into the global
    // namespace. Once loaded a library stays mapped (RTLD_NODELETE): the libraries loaded this
    // way (libnftables with libgmp, OpenSSL) register state that dangles once unmapped.
    static std::expected<SharedLibrary, std::string> open(const std::string& path);

    // The function `name` of the library, or an error naming it.
    template <class F>
    std::expected<F*, std::string> function(const char* name) const {
        auto s = symbol(name);
        if (!s) return std::unexpected(std::move(s.error()));
        return reinterpret_cast<F*>(*s);
    }
    std::expected<void*, std::string> symbol(const char* name) const;
    const std::string& path() const { return path_; }

  private:
    struct Closer {
        void operator()(void* handle) const;
    };
    SharedLibrary(std::string path, void* handle) : path_(std::move(path)), handle_(handle) {}

    std::string path_;
    std::unique_ptr<void, Closer> handle_;
};

}  // namespace vigil
