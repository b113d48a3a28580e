// libFuzzer target: arbitrary text through the whole config front end, then the JSON dump of
// whatever was understood. The input is several files on an in-memory host
// (config_fuzz_input.hpp), so includes, interfaces, users and scripts are all exercised.
#include "config_fuzz_input.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto r = vigil::config::fuzz::load(std::string_view(reinterpret_cast<const char*>(data), size));
    for (const auto& d : r.diagnostics) (void)vigil::config::format(d);
    (void)r.ok();
    (void)r.startable();
    (void)r.reloadable();
    (void)vigil::config::to_json(r.config);
    return 0;
}
