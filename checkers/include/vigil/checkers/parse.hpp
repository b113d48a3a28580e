// Pure helpers for the config parser: keepalived's value formats for checker keywords.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::checkers {

struct HexPattern {
    std::vector<std::uint8_t> data;
    std::vector<std::uint8_t> mask;  // empty unless a nibble was X; set bits are ignored
};

// keepalived's HEX_STR (UDP_CHECK payload / require_reply): groups separated by blanks, each
// read two digits to an octet, an odd last digit an octet of its own ("Ab12f 3" = AB 12 0F 03).
// allow_wildcard: X or x is a nibble to ignore. nullopt: empty or not hex.
std::optional<HexPattern> parse_hex_pattern(std::string_view text, bool allow_wildcard);

// nullopt when the HTTP_GET regex compiles as Vigil runs it, else the error text.
std::optional<std::string> regex_error(const std::string& pattern,
                                       const std::vector<std::string>& options);

// The query type code of a DNS_CHECK `type` (case-insensitive); nullopt: not one Vigil sends.
std::optional<std::uint16_t> dns_type_code(std::string_view type);

}  // namespace vigil::checkers
