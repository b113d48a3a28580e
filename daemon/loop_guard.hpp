// Exceptions never cross the event loop: one that escapes a handler is counted, logged by the
// caller and the loop goes on with the next handler.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace vigil {

// Runs io until it has no more work or is stopped; `failed` gets each escaped exception's text.
void run_guarded(boost::asio::io_context& io, const std::function<void(std::string_view)>& failed);

// VmRSS and RssAnon of /proc/PID/status, in KiB (0 when absent).
struct Memory {
    std::uint64_t rss_kib = 0, anon_kib = 0;
};
Memory parse_proc_status(std::string_view text);
Memory own_memory();

}  // namespace vigil
