#include "vigil/common/shared_library.hpp"

#include <dlfcn.h>

namespace vigil {

std::expected<SharedLibrary, std::string> SharedLibrary::open(const std::string& path) {
    void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
        const char* why = ::dlerror();
        return std::unexpected(why ? std::string(why) : path + ": cannot load");
    }
    return SharedLibrary(path, h);
}

std::expected<void*, std::string> SharedLibrary::symbol(const char* name) const {
    ::dlerror();
    void* s = ::dlsym(handle_.get(), name);
    if (const char* why = ::dlerror())
        return std::unexpected(path_ + ": no symbol " + name + ": " + why);
    if (!s) return std::unexpected(path_ + ": symbol " + name + " is null");
    return s;
}

void SharedLibrary::Closer::operator()(void* handle) const {
    ::dlclose(handle);
}

}  // namespace vigil
