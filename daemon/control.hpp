// The control protocol on the status socket: one JSON request line in, one JSON answer out.
// Reading (status, show, lvs, connections) is for whoever may open the socket; changes
// (drain, enable, disable, maintenance, clear) are for root only.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "status.hpp"

namespace vigil {

struct ControlRequest {
    std::string cmd;
    std::vector<std::string> args;
    std::optional<std::chrono::seconds> timeout;  // drain --timeout
    bool operator==(const ControlRequest&) const = default;
};

// {"cmd": "drain", "args": ["10.0.0.10:80", "10.0.1.11:8080"], "timeout": 30}; the number of
// arguments is checked per command.
std::expected<ControlRequest, std::string> parse_request(std::string_view line);
std::string encode_request(const ControlRequest& r);
bool changes_state(const ControlRequest& r);
// Why the peer may not run this request; nothing when it may.
std::optional<std::string> refuse(const ControlRequest& r, const Peer& peer);

}  // namespace vigil
