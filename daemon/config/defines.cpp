#include "config/defines.hpp"

#include "config/lexer.hpp"

#include <charconv>

namespace vigil::config {

std::optional<DefinitionLine> parse_definition(std::string_view s) {
    if (s.empty() || s.front() != '$') return std::nullopt;
    std::size_t i = 1;
    while (i < s.size() && is_name_char(s[i])) ++i;
    if (i == 1 || i == s.size() || s[i] != '=') return std::nullopt;
    DefinitionLine d;
    d.name = std::string(s.substr(1, i - 1));
    d.value = trim(s.substr(i + 1));
    d.continues = !d.value.empty() && d.value.back() == '\\';
    if (d.continues) d.value = trim(d.value.substr(0, d.value.size() - 1));
    return d;
}

ContinuationLine continuation_line(std::string_view line) {
    ContinuationLine c;
    c.text = trim(strip_comment(line));
    c.more = !c.text.empty() && c.text.back() == '\\';
    if (c.more) c.text = trim(c.text.substr(0, c.text.size() - 1));
    return c;
}

std::optional<std::pair<unsigned long, unsigned long>> random_bounds(std::string_view name) {
    if (!name.starts_with("_RANDOM")) return std::nullopt;
    auto rest = name.substr(7);
    if (!rest.empty() && !is_space(rest.front())) return std::nullopt;
    unsigned long bounds[2] = {0, 32767};
    std::size_t n = 0;
    while (true) {
        while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
        if (rest.empty()) break;
        std::size_t len = 0;
        while (len < rest.size() && !is_space(rest[len])) ++len;
        unsigned long v = 0;
        auto [p, ec] = std::from_chars(rest.data(), rest.data() + len, v);
        if (n == 2 || ec != std::errc() || p != rest.data() + len || v > 0xffffffffUL)
            return std::nullopt;
        bounds[n++] = v;
        rest.remove_prefix(len);
    }
    if (bounds[0] > bounds[1]) std::swap(bounds[0], bounds[1]);
    return std::pair{bounds[0], bounds[1]};
}

void Definitions::append_line(const std::string& name, std::string_view text) {
    auto& value = defs_[name];
    if (!value.empty() && !text.empty()) value += '\n';
    value.append(text);
}

const std::string* Definitions::find(const std::string& name) const {
    auto it = defs_.find(name);
    return it == defs_.end() ? nullptr : &it->second;
}

unsigned long Definitions::draw(std::pair<unsigned long, unsigned long> bounds) {
    if (!rng_) rng_.emplace(first_seed_());
    return std::uniform_int_distribution<unsigned long>(bounds.first, bounds.second)(*rng_);
}

bool Definitions::expand(std::string_view s, std::string& out, const Builtins& b,
                         std::size_t max_bytes, unsigned depth) {
    bool changed = false;
    std::size_t i = 0;
    while (i < s.size() && out.size() <= max_bytes) {
        char c = s[i];
        if (c != '$') {
            out += c;
            ++i;
            continue;
        }
        std::string_view name;
        std::size_t end;
        if (i + 1 < s.size() && s[i + 1] == '{') {
            auto close = s.find('}', i + 2);
            if (close == std::string_view::npos) {
                out += c;
                ++i;
                continue;
            }
            name = s.substr(i + 2, close - i - 2);
            end = close + 1;
        } else {
            std::size_t j = i + 1;
            while (j < s.size() && is_name_char(s[j])) ++j;
            // keepalived 2.2.7 replaces an unbraced $NAME only before a blank, the end, ','
            // or ')' (~SEQ arguments): "$NAME(a,b)" and "$NAME.x" stay as written.
            if (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != ',' && s[j] != ')') {
                out.append(s.substr(i, j - i));
                i = j;
                continue;
            }
            name = s.substr(i + 1, j - i - 1);
            end = j;
        }
        if (name == "_HASH" || name == "_BANG") {
            out += name == "_HASH" ? '#' : '!';
            changed = true;
            i = end;
            continue;
        }
        if (name == "_PWD") {
            out += b.pwd;
            changed = true;
            i = end;
            continue;
        }
        if (name == "_INSTANCE") {
            out += b.instance;
            changed = true;
            i = end;
            continue;
        }
        if (auto bounds = random_bounds(name)) {
            out += std::to_string(draw(*bounds));
            changed = true;
            i = end;
            continue;
        }
        auto it = name.empty() ? defs_.end() : defs_.find(std::string(name));
        if (it == defs_.end()) {
            out.append(s.substr(i, end - i));
            i = end;
            continue;
        }
        changed = true;
        if (depth < 16 && it->second.find('$') != std::string::npos) {
            std::string value = it->second;  // the map may change while expanding
            expand(value, out, b, max_bytes, depth + 1);
        } else {
            out += it->second;
        }
        i = end;
    }
    return changed;
}

}  // namespace vigil::config
