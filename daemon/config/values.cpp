#include "config/values.hpp"

#include <charconv>

namespace vigil::config {

std::optional<boost::asio::ip::address> parse_address(std::string_view s) {
    if (s.empty() || s.size() > 64) return std::nullopt;
    char buf[65];
    s.copy(buf, s.size());
    buf[s.size()] = '\0';
    boost::system::error_code ec;
    // make_address tries IPv6 first; an address without ':' can only be IPv4.
    if (s.find(':') == std::string_view::npos) {
        auto v4 = boost::asio::ip::make_address_v4(buf, ec);
        if (ec) return std::nullopt;
        return boost::asio::ip::address(v4);
    }
    auto v6 = boost::asio::ip::make_address_v6(buf, ec);
    if (ec || v6.scope_id() != 0) return std::nullopt;
    return boost::asio::ip::address(v6);
}

std::optional<Prefix> parse_prefix(std::string_view s) {
    Prefix p;
    auto slash = s.find('/');
    auto a = parse_address(s.substr(0, slash));
    if (!a) return std::nullopt;
    p.address = *a;
    unsigned max = a->is_v4() ? 32 : 128;
    p.length = static_cast<std::uint8_t>(max);
    if (slash != std::string_view::npos) {
        auto len = parse_integer(s.substr(slash + 1));
        if (!len || *len < 0 || *len > max) return std::nullopt;
        p.length = static_cast<std::uint8_t>(*len);
        p.has_length = true;
    }
    return p;
}

std::optional<long long> parse_integer(std::string_view s) {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<std::chrono::microseconds> parse_seconds(std::string_view s) {
    if (s.empty()) return std::nullopt;
    auto dot = s.find('.');
    auto whole = s.substr(0, dot);
    long long secs = 0;
    if (!whole.empty()) {
        auto v = parse_integer(whole);
        if (!v || *v < 0 || whole.front() == '+' || *v > 100'000'000) return std::nullopt;
        secs = *v;
    } else if (dot == std::string_view::npos) {
        return std::nullopt;
    }
    long long us = 0;
    if (dot != std::string_view::npos) {
        auto frac = s.substr(dot + 1);
        if (frac.empty() && whole.empty()) return std::nullopt;
        long long scale = 100'000;
        for (char c : frac) {
            if (c < '0' || c > '9') return std::nullopt;
            us += (c - '0') * scale;
            scale /= 10;
        }
    }
    return std::chrono::microseconds(secs * 1'000'000 + us);
}

std::optional<bool> parse_bool(std::string_view s) {
    if (s == "true" || s == "yes" || s == "on" || s == "1") return true;
    if (s == "false" || s == "no" || s == "off" || s == "0") return false;
    return std::nullopt;
}

std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view s) {
    if (s.size() % 2) return std::nullopt;
    std::vector<std::uint8_t> out;
    out.reserve(s.size() / 2);
    for (std::size_t i = 0; i < s.size(); i += 2) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(s.data() + i, s.data() + i + 2, v, 16);
        if (ec != std::errc{} || p != s.data() + i + 2) return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(v));
    }
    return out;
}

std::vector<std::string> split_command(std::string_view s) {
    std::vector<std::string> argv;
    std::string cur;
    bool in_word = false;
    char quote = 0;
    for (char c : s) {
        if (quote) {
            if (c == quote)
                quote = 0;
            else
                cur += c;
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
            in_word = true;
            continue;
        }
        if (c == ' ' || c == '\t') {
            if (in_word) argv.push_back(std::move(cur));
            cur.clear();
            in_word = false;
            continue;
        }
        cur += c;
        in_word = true;
    }
    if (in_word) argv.push_back(std::move(cur));
    return argv;
}

}  // namespace vigil::config
