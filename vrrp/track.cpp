#include "track.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vigil::vrrp {

Priority compute_priority(std::uint8_t base, std::span<const TrackedInterface> interfaces,
                          std::span<const TrackedScript> scripts,
                          std::span<const TrackedFile> files) {
    Priority out;
    long delta = 0;
    bool moved = false;
    auto apply = [&](int weight, bool reverse, bool good) {
        const bool applies = weight > 0 ? good : !good;
        if (!applies) return;
        delta += reverse ? -weight : weight;
        moved = true;
    };
    for (const auto& i : interfaces) {
        if (i.weight == 0) {
            if (!i.up) out.fault = true;
            continue;
        }
        apply(i.weight, i.reverse, i.up);
    }
    for (const auto& s : scripts) {
        if (s.weight == 0) {
            if (s.ok == s.reverse) out.fault = true;  // "weight 0 reverse": FAULT while good
            continue;
        }
        apply(s.weight, s.reverse, s.ok);
    }
    for (const auto& f : files) {
        if (f.weight == 0) {
            if (f.value != 0) out.fault = true;
            continue;
        }
        const long v = std::clamp(f.value, -254L, 254L) * (f.reverse ? -f.weight : f.weight);
        if (v <= -254) out.fault = true;
        if (v != 0) moved = true;
        delta += v;
    }
    if (base == 255 && !moved) {
        out.effective = 255;
        return out;
    }
    out.effective = static_cast<std::uint8_t>(std::clamp<long>(base + delta, 1, 254));
    return out;
}

bool ScriptHealth::record(bool success, int rise, int fall) {
    if (success == ok) {
        streak = 0;
        return false;
    }
    ++streak;
    if (streak >= std::max(1, ok ? fall : rise)) {
        ok = success;
        streak = 0;
        return true;
    }
    return false;
}

long parse_track_file(std::string_view s) {
    // keepalived: strtoll(buf, NULL, 0) over what one read returns, so 0x10 and 010 count too;
    // FILE_CHECK reads its file by the same rule.
    std::string text(s.substr(0, 127));
    return static_cast<long>(std::strtoll(text.c_str(), nullptr, 0));
}

std::optional<long> read_track_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_track_file(ss.str());
}

}  // namespace vigil::vrrp
