// Shared helpers for the config tests.
#pragma once

#include "config/config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace vigil::config::test {

// No host lookups: interfaces, users and script files are not checked.
inline LoadOptions quiet() {
    LoadOptions o;
    o.config_id = "testhost";
    o.check_scripts = false;
    o.check_interfaces = false;
    o.check_users = false;
    return o;
}

inline LoadResult load(const std::string& text, const LoadOptions& o = quiet()) {
    return load_string(text, "t.conf", o);
}

inline const Diagnostic* find(const LoadResult& r, const std::string& needle) {
    for (const auto& d : r.diagnostics)
        if (d.message.find(needle) != std::string::npos) return &d;
    return nullptr;
}

inline std::string all(const LoadResult& r) {
    std::string s;
    for (const auto& d : r.diagnostics) s += format(d) + "\n";
    return s;
}

}  // namespace vigil::config::test
