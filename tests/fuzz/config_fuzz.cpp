// libFuzzer target: arbitrary text through the whole config front end (includes disabled,
// no host lookups), then the JSON dump of whatever was understood.
#include "config/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    vigil::config::LoadOptions o;
    o.config_id = "fuzz";
    o.check_scripts = false;
    o.check_interfaces = false;
    o.check_users = false;
    o.allow_includes = false;
    auto r = vigil::config::load_string(std::string_view(reinterpret_cast<const char*>(data), size),
                                        "fuzz.conf", o);
    for (const auto& d : r.diagnostics) (void)vigil::config::format(d);
    (void)r.ok();
    (void)r.startable();
    (void)vigil::config::to_json(r.config);
    return 0;
}
