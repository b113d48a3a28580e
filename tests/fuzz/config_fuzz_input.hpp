// How config_fuzz turns its input into files: up to eight files separated by NUL bytes, the
// first the main file, the others where its includes can find them (conf.d/, a sub-directory,
// a sibling, iproute2's name files), on a MemoryHost with a fixed host name, interfaces, users,
// groups, executables and CPUs. Shared with the unit test that reads the seeds.
#pragma once

#include "config/config.hpp"
#include "config/memory_host.hpp"

#include <array>
#include <string_view>

namespace vigil::config::fuzz {

inline constexpr std::array<const char*, 8> kPaths = {
    "/etc/keepalived/keepalived.conf",     "/etc/keepalived/conf.d/10-vrrp.conf",
    "/etc/keepalived/conf.d/20-lvs.conf",  "/etc/keepalived/conf.d/sub/30.conf",
    "/etc/keepalived/common.inc",          "/etc/iproute2/rt_tables",
    "/etc/iproute2/rt_protos.d/fuzz.conf", "/usr/share/iproute2/group",
};

inline MemoryHost host_for(std::string_view input) {
    MemoryHost h;
    h.cwd = "/etc/keepalived";
    h.hostname = "fuzz";
    h.interfaces = {"lo", "eth0", "eth1", "bond0", "vlan10"};
    h.users = {"root", "keepalived_script", "nobody"};
    h.groups = {"root", "nogroup"};
    h.executables = {"/bin/true", "/usr/bin/false", "/etc/keepalived/check.sh"};
    h.cpus = 4;
    h.rt_priorities = {1, 99};
    h.seed = 1;
    for (const char* path : kPaths) {
        auto nul = input.find('\0');
        h.files[path] = std::string(input.substr(0, nul));
        if (nul == std::string_view::npos) break;
        input.remove_prefix(nul + 1);
    }
    return h;
}

// Every host check on (as vigild -t), includes bounded so that files including each other
// stay cheap.
inline LoadOptions options() {
    LoadOptions o;
    o.max_include_depth = 4;
    o.max_files = 64;
    return o;
}

inline LoadResult load(std::string_view input) {
    auto host = host_for(input);
    return load_file(kPaths[0], options(), host);
}

}  // namespace vigil::config::fuzz
