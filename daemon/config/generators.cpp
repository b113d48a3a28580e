#include "config/generators.hpp"

#include "config/lexer.hpp"

#include <charconv>
#include <cstdio>

namespace vigil::config {
namespace {

std::vector<std::string_view> unbrace(std::string_view s) {
    if (s.size() >= 2 && s.front() == '{' && s.back() == '}')
        return split_args(s.substr(1, s.size() - 2));
    return {s};
}

}  // namespace

bool parse_long(std::string_view s, long& v) {
    s = trim(s);
    int base = 10;
    bool neg = false;
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
        neg = s.front() == '-';
        s.remove_prefix(1);
    }
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return false;
    if (neg) v = -v;
    return true;
}

std::vector<std::string_view> split_args(std::string_view s) {
    std::vector<std::string_view> parts;
    int depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '{')
            ++depth;
        else if (s[i] == '}')
            --depth;
        else if (s[i] == ',' && depth == 0) {
            parts.push_back(trim(s.substr(start, i - start)));
            start = i + 1;
        }
    }
    parts.push_back(trim(s.substr(start)));
    return parts;
}

GeneratorParse parse_generator(std::string_view s) {
    GeneratorParse r;
    auto open = s.find('(');
    int level = 0;
    std::size_t close = std::string_view::npos;
    for (std::size_t i = open == std::string_view::npos ? s.size() : open; i < s.size(); ++i) {
        if (s[i] == '(')
            ++level;
        else if (s[i] == ')' && --level == 0) {
            close = i;
            break;
        }
    }
    if (open == std::string_view::npos || close == std::string_view::npos || open > 5) {
        r.error = "malformed ~SEQ/~LST: expected '(' ... ')'";
        return r;
    }
    auto args = split_args(s.substr(open + 1, close - open - 1));
    Generator g;
    g.rest = s.substr(close + 1);
    if (s.starts_with("~SEQ")) {
        g.kind = Generator::Kind::seq;
        g.hex = s.starts_with("~SEQx");
        long v[3] = {0, 0, 0};
        std::size_t n = args.size() - 1;
        if (args.size() < 2 || args.size() > 4) {
            r.error = "~SEQ needs (var, [start, [step,]] end)";
            return r;
        }
        for (std::size_t k = 0; k < n; ++k)
            if (!parse_long(args[k + 1], v[k])) {
                r.error = "~SEQ: '" + std::string(args[k + 1]) + "' is not a number";
                return r;
            }
        if (n == 1) {
            g.end = v[0];
            g.start = g.end >= 0 ? 1 : -1;
            g.step = g.end >= g.start ? 1 : -1;
        } else if (n == 2) {
            g.start = v[0];
            g.end = v[1];
            g.step = g.end >= g.start ? 1 : -1;
        } else {
            g.start = v[0];
            g.step = v[1];
            g.end = v[2];
        }
        if (g.step == 0) {
            r.error = "~SEQ: step must not be 0";
            return r;
        }
        g.vars = {args[0]};
        r.generator = std::move(g);
        return r;
    }
    if (args.size() < 2) {
        r.error = "~LST needs (var, values...)";
        return r;
    }
    g.kind = Generator::Kind::lst;
    g.vars = unbrace(args[0]);
    for (std::size_t k = 1; k < args.size(); ++k) g.values.push_back(unbrace(args[k]));
    r.generator = std::move(g);
    return r;
}

void for_each_repetition(const Generator& g, const std::function<bool(const Assignments&)>& each) {
    Assignments a;
    if (g.kind == Generator::Kind::seq) {
        for (long x = g.start; g.step > 0 ? x <= g.end : x >= g.end;) {
            char buf[32];
            std::snprintf(buf, sizeof buf, g.hex ? "%lx" : "%ld", x);
            a.assign(1, {g.vars.front(), buf});
            if (!each(a)) return;
            if (__builtin_add_overflow(x, g.step, &x)) return;
        }
        return;
    }
    for (const auto& vals : g.values) {
        a.clear();
        for (std::size_t j = 0; j < g.vars.size(); ++j)
            a.emplace_back(g.vars[j], j < vals.size() ? std::string(vals[j]) : std::string());
        if (!each(a)) return;
    }
}

}  // namespace vigil::config
