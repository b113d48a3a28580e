#include "vigil/checkers/parse.hpp"

#include "http_regex.hpp"

namespace vigil::checkers {

namespace {

// 0-15, 0xfe for a wildcard, 0xff for anything else.
std::uint8_t hex_nibble(char c, bool allow_wildcard) {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
    if (allow_wildcard && (c == 'x' || c == 'X')) return 0xfe;
    return 0xff;
}

}  // namespace

std::optional<HexPattern> parse_hex_pattern(std::string_view text, bool allow_wildcard) {
    HexPattern out;
    bool wildcard = false;
    std::size_t i = 0;
    while (true) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
        if (i >= text.size()) break;
        std::uint8_t hi = hex_nibble(text[i++], allow_wildcard);
        if (hi == 0xff) return std::nullopt;
        std::uint8_t value = hi == 0xfe ? 0 : hi;
        std::uint8_t mask = hi == 0xfe ? 0x0f : 0;
        if (i < text.size() && text[i] != ' ' && text[i] != '\t') {
            std::uint8_t lo = hex_nibble(text[i++], allow_wildcard);
            if (lo == 0xff) return std::nullopt;
            value = static_cast<std::uint8_t>(value << 4 | (lo == 0xfe ? 0 : lo));
            mask = static_cast<std::uint8_t>(mask << 4 | (lo == 0xfe ? 0x0f : 0));
        }
        wildcard = wildcard || mask != 0;
        out.data.push_back(value);
        out.mask.push_back(mask);
    }
    if (out.data.empty()) return std::nullopt;
    if (!wildcard) out.mask.clear();
    return out;
}

std::optional<std::string> regex_error(const std::string& pattern,
                                       const std::vector<std::string>& options) {
    auto r = compile_body_regex(pattern, options);
    if (r) return std::nullopt;
    return r.error();
}

}  // namespace vigil::checkers
