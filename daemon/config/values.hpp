// Pure value parsers for keepalived.conf arguments.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::config {

struct Prefix {
    boost::asio::ip::address address;
    std::uint8_t length = 0;
    bool has_length = false;
};

std::optional<boost::asio::ip::address> parse_address(std::string_view s);
// "ADDR" or "ADDR/LEN"; LEN checked against the family.
std::optional<Prefix> parse_prefix(std::string_view s);
// Plain decimal integer (optional sign) within [lo, hi].
std::optional<long long> parse_integer(std::string_view s);
// "1", "0.4", "1.25": a non-negative decimal in seconds, to microseconds (no rounding beyond us).
std::optional<std::chrono::microseconds> parse_seconds(std::string_view s);
// keepalived's boolean words: true/yes/on/1 and false/no/off/0.
std::optional<bool> parse_bool(std::string_view s);
// 32 hex digits.
std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view s);
// Splits a command line on blanks, honouring '...' and "..." quoting.
std::vector<std::string> split_command(std::string_view s);

}  // namespace vigil::config
