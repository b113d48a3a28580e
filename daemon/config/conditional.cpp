#include "config/conditional.hpp"

#include "config/lexer.hpp"

namespace vigil::config {

std::optional<std::size_t> conditional_prefix(std::string_view s, std::string_view config_id) {
    if (s.empty() || s.front() != '@') return 0;
    std::size_t i = 1;
    bool negate = false;
    if (i < s.size() && s[i] == '^') {
        negate = true;
        ++i;
    }
    std::size_t start = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    bool match = s.substr(start, i - start) == config_id;
    if (negate) match = !match;
    if (!match) return std::nullopt;
    while (i < s.size() && is_space(s[i])) ++i;
    return i;
}

}  // namespace vigil::config
