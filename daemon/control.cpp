#include "control.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace vigil {

namespace {

struct Shape {
    std::string_view cmd;
    std::size_t min_args, max_args;
    bool change;
};

constexpr Shape kCommands[] = {
    {"status", 0, 0, false},      {"show", 0, 0, false},       {"lvs", 0, 0, false},
    {"connections", 0, 0, false}, {"drain", 2, 2, true},       {"enable", 2, 2, true},
    {"disable", 2, 2, true},      {"maintenance", 2, 2, true}, {"clear", 0, 0, true},
};

const Shape* shape(std::string_view cmd) {
    for (const auto& s : kCommands)
        if (s.cmd == cmd) return &s;
    return nullptr;
}

}  // namespace

std::expected<ControlRequest, std::string> parse_request(std::string_view line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::unexpected("request is not a JSON object");
    ControlRequest r;
    if (!j.contains("cmd") || !j["cmd"].is_string()) return std::unexpected("request without cmd");
    r.cmd = j["cmd"].get<std::string>();
    const Shape* s = shape(r.cmd);
    if (!s) return std::unexpected(fmt::format("unknown command '{}'", r.cmd));
    if (j.contains("args")) {
        if (!j["args"].is_array()) return std::unexpected("args must be a list of strings");
        for (const auto& a : j["args"]) {
            if (!a.is_string()) return std::unexpected("args must be a list of strings");
            r.args.push_back(a.get<std::string>());
        }
    }
    if (r.args.size() < s->min_args || r.args.size() > s->max_args)
        return std::unexpected(fmt::format("{} takes {} argument(s)", r.cmd, s->min_args));
    if (r.cmd == "maintenance" && r.args[1] != "on" && r.args[1] != "off")
        return std::unexpected("maintenance INSTANCE on|off");
    if (j.contains("timeout")) {
        if (!j["timeout"].is_number_integer() || j["timeout"].get<long long>() < 0 ||
            j["timeout"].get<long long>() > 86400 * 7)
            return std::unexpected("timeout must be whole seconds, at most a week");
        if (r.cmd != "drain") return std::unexpected("only drain takes a timeout");
        r.timeout = std::chrono::seconds(j["timeout"].get<long long>());
    }
    return r;
}

std::string encode_request(const ControlRequest& r) {
    nlohmann::json j{{"cmd", r.cmd}, {"args", r.args}};
    if (r.timeout) j["timeout"] = r.timeout->count();
    return j.dump();
}

bool changes_state(const ControlRequest& r) {
    const Shape* s = shape(r.cmd);
    return s && s->change;
}

std::optional<std::string> refuse(const ControlRequest& r, const Peer& peer) {
    if (changes_state(r) && peer.uid != 0)
        return fmt::format("permission denied: '{}' needs root (you are uid {})", r.cmd, peer.uid);
    return std::nullopt;
}

}  // namespace vigil
