#include "loop_guard.hpp"

#include <charconv>
#include <exception>
#include <fstream>
#include <sstream>

namespace vigil {

void run_guarded(boost::asio::io_context& io, const std::function<void(std::string_view)>& failed) {
    for (;;) {
        try {
            io.run();
            return;
        } catch (const std::exception& e) {
            if (failed) failed(e.what());
        } catch (...) {
            if (failed) failed("unknown exception");
        }
    }
}

Memory parse_proc_status(std::string_view text) {
    Memory m;
    auto field = [&](std::string_view key) -> std::uint64_t {
        const auto at = text.find(key);
        if (at == std::string_view::npos || (at != 0 && text[at - 1] != '\n')) return 0;
        auto v = text.substr(at + key.size());
        const auto start = v.find_first_not_of(" \t");
        if (start == std::string_view::npos) return 0;
        v.remove_prefix(start);
        std::uint64_t n = 0;
        std::from_chars(v.data(), v.data() + v.size(), n);
        return n;
    };
    m.rss_kib = field("VmRSS:");
    m.anon_kib = field("RssAnon:");
    return m;
}

Memory own_memory() {
    std::ifstream in("/proc/self/status");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_proc_status(ss.str());
}

}  // namespace vigil
