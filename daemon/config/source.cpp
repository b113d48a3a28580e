#include "config/source.hpp"

#include <glob.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <unordered_map>

namespace vigil::config {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}
bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string absolute_dir(const std::string& dir) {
    if (!dir.empty() && dir.front() == '/') return dir;
    char buf[4096];
    if (!::getcwd(buf, sizeof buf)) return dir;
    std::string cwd = buf;
    if (dir == "." || dir.empty()) return cwd;
    return cwd + "/" + dir;
}

// Splits "a, {b, c}, d" at top-level commas.
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

std::vector<std::string_view> unbrace(std::string_view s) {
    if (s.size() >= 2 && s.front() == '{' && s.back() == '}')
        return split_args(s.substr(1, s.size() - 2));
    return {s};
}

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

class Preprocessor {
  public:
    Preprocessor(TokenStream& out, const PreprocessOptions& options) : out_(out), opt_(options) {
        for (const auto& [k, v] : options.defines) defs_[k] = v;
        if (opt_.config_id.empty()) {
            char host[256] = {};
            if (::gethostname(host, sizeof host - 1) == 0) opt_.config_id = host;
        }
    }

    void run_text(std::string text, const std::string& name, const std::string& dir,
                  unsigned depth) {
        auto idx = static_cast<std::uint32_t>(out_.files.size());
        out_.files.push_back(name);
        out_.storage.push_back(std::move(text));
        count_hints(out_.storage.back());
        run_buffer(out_.storage.back(), idx, absolute_dir(dir), depth);
    }

    void run_file(const std::string& path, unsigned depth, SourceLoc from, bool from_include) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            if (from_include)
                error(from, "cannot read included file '" + path + "'", true);
            else
                out_.diagnostics.push_back(
                    {Severity::error, path, 0, 0, "cannot open configuration file", true, true});
            return;
        }
        // One exact-size buffer: tokens point into it for the whole load.
        in.seekg(0, std::ios::end);
        auto size = in.tellg();
        in.seekg(0, std::ios::beg);
        std::string text;
        if (size > 0) {
            text.resize(static_cast<std::size_t>(size));
            in.read(text.data(), size);
            text.resize(static_cast<std::size_t>(in.gcount()));
        } else {  // a pipe or a /proc file: no size known
            in.clear();
            char buf[65536];
            while (in.read(buf, sizeof buf) || in.gcount() > 0)
                text.append(buf, static_cast<std::size_t>(in.gcount()));
        }
        run_text(std::move(text), path, dir_of(path), depth);
    }

  private:
    struct FileCtx {
        std::uint32_t file;
        const std::string& dir;
        unsigned depth;
    };

    static std::size_t count(std::string_view text, std::string_view word) {
        std::size_t n = 0;
        for (auto p = text.find(word); p != std::string_view::npos; p = text.find(word, p + 1)) ++n;
        return n;
    }

    void count_hints(std::string_view text) {
        out_.hint_checks += count(text, "CHECK") + count(text, "_GET");
        out_.hint_virtual_servers += count(text, "virtual_server ");
    }

    void error(SourceLoc loc, std::string msg, bool fatal) {
        out_.diagnostics.push_back({Severity::error, out_.files[loc.file], loc.line, loc.column,
                                    std::move(msg), fatal, true});
    }

    void run_buffer(std::string_view buf, std::uint32_t file, const std::string& dir,
                    unsigned depth) {
        FileCtx ctx{file, dir, depth};
        std::uint32_t lineno = 0;
        std::size_t pos = 0;
        while (pos < buf.size()) {
            auto nl = buf.find('\n', pos);
            std::string_view line =
                buf.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
            pos = nl == std::string_view::npos ? buf.size() : nl + 1;
            ++lineno;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            SourceLoc loc{file, lineno, 1};
            if (continuing_) {
                auto body = trim(strip_comment(line));
                bool more = !body.empty() && body.back() == '\\';
                if (more) body = trim(body.substr(0, body.size() - 1));
                auto& value = defs_[cont_name_];
                if (!value.empty() && !body.empty()) value += '\n';
                value.append(body);
                continuing_ = more;
                continue;
            }
            process_line(line, 0, loc, ctx, 0);
        }
        continuing_ = false;
    }

    // As keepalived: '#' or '!' outside quotes starts a comment, even inside a word;
    // "\\#" and "\\!" stand for the characters themselves.
    static std::string_view strip_comment(std::string_view s) {
        bool quote = false;
        for (std::size_t i = 0; i < s.size(); ++i) {
            char c = s[i];
            if (c == '\\' && i + 1 < s.size())
                ++i;
            else if (c == '"')
                quote = !quote;
            else if (!quote && (c == '#' || c == '!'))
                return s.substr(0, i);
        }
        return s;
    }

    static bool has_escaped_comment_char(std::string_view s) {
        for (std::size_t i = 0; i + 1 < s.size(); ++i)
            if (s[i] == '\\' && (s[i + 1] == '#' || s[i + 1] == '!')) return true;
        return false;
    }

    // offset: column of s[0] minus one in the physical line (0 for expanded text).
    // EXPAND false: S is already the result of expanding definitions (expand() recursed into
    // the values), so expanding again could only multiply text.
    void process_line(std::string_view s, std::size_t offset, SourceLoc loc, const FileCtx& ctx,
                      unsigned depth, bool expand_defs = true) {
        while (!s.empty() && is_space(s.front())) {
            s.remove_prefix(1);
            ++offset;
        }
        if (s.empty()) return;
        if (s.front() == '@') {
            std::size_t i = 1;
            bool negate = false;
            if (i < s.size() && s[i] == '^') {
                negate = true;
                ++i;
            }
            std::size_t start = i;
            while (i < s.size() && !is_space(s[i])) ++i;
            bool match = s.substr(start, i - start) == opt_.config_id;
            if (negate) match = !match;
            if (!match) return;
            s.remove_prefix(i);
            offset += i;
            while (!s.empty() && is_space(s.front())) {
                s.remove_prefix(1);
                ++offset;
            }
        }
        // Comments went before expansion: an expanded '#' (${_HASH}) is text.
        if (expand_defs) s = strip_comment(s);
        while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
        if (s.empty()) return;
        if (expand_defs && has_escaped_comment_char(s)) {
            std::string plain;
            bool quote = false;
            for (std::size_t i = 0; i < s.size(); ++i) {
                if (s[i] == '"') quote = !quote;
                if (!quote && s[i] == '\\' && i + 1 < s.size() &&
                    (s[i + 1] == '#' || s[i + 1] == '!'))
                    continue;
                plain += s[i];
            }
            s = out_.storage.emplace_back(std::move(plain));
            offset = 0;
        }

        if (s.front() == '$') {  // $NAME=value
            std::size_t i = 1;
            while (i < s.size() && is_name_char(s[i])) ++i;
            if (i > 1 && i < s.size() && s[i] == '=') {
                std::string name(s.substr(1, i - 1));
                auto value = trim(s.substr(i + 1));
                bool more = !value.empty() && value.back() == '\\';
                if (more) value = trim(value.substr(0, value.size() - 1));
                defs_[name] = std::string(value);
                if (more) {
                    continuing_ = true;
                    cont_name_ = std::move(name);
                }
                return;
            }
        }
        if (s.starts_with("~SEQ") || s.starts_with("~LST")) {
            generator(s, loc, ctx, depth);
            return;
        }
        if (expand_defs && s.find('$') != std::string_view::npos && depth < 32) {
            std::string expanded;
            if (expand(s, expanded, ctx, 0)) {
                if (expanded.size() > max_line) {
                    error(loc,
                          "definitions expand to more than " + std::to_string(max_line) +
                              " bytes on one line",
                          true);
                    return;
                }
                if (++expanded_lines_ > opt_.max_expanded_lines) {
                    if (expanded_lines_ == opt_.max_expanded_lines + 1)
                        error(loc, "too many lines produced by definitions", true);
                    return;
                }
                if (expanded.find('\n') != std::string::npos) {
                    std::string_view all;
                    if (!keep(std::move(expanded), loc, all)) return;
                    std::size_t p = 0;
                    while (p <= all.size()) {
                        auto nl = all.find('\n', p);
                        auto piece = all.substr(
                            p, nl == std::string_view::npos ? std::string_view::npos : nl - p);
                        process_line(piece, 0, loc, ctx, depth + 1, false);
                        if (nl == std::string_view::npos) break;
                        p = nl + 1;
                    }
                    return;
                }
                std::string_view stored;
                if (!keep(std::move(expanded), loc, stored)) return;
                process_line(stored, 0, loc, ctx, depth + 1, false);
                return;
            }
        }
        // includer/includem/includew/includeb/includea add keepalived's include checks; a
        // missing or unmatched include is already an error here, so they read as include.
        if (s.starts_with("include")) {
            std::size_t kw = 7;
            if (s.size() > 7 && std::string_view("abmrw").find(s[7]) != std::string_view::npos)
                kw = 8;
            if (s.size() == kw || is_space(s[kw])) {
                include(trim(s.substr(kw)),
                        SourceLoc{loc.file, loc.line, std::uint32_t(offset + 1)}, ctx);
                return;
            }
        }
        // random_seed takes effect as it is read, so the ${_RANDOM}s after it repeat.
        if (s.starts_with("random_seed") && s.size() > 11 && is_space(s[11])) {
            long seed = 0;
            auto rest = trim(s.substr(11));
            if (parse_long(rest.substr(0, rest.find_first_of(" \t")), seed) && seed >= 0)
                rng_.emplace(static_cast<std::mt19937::result_type>(seed));
        }
        tokenize(s, offset, loc);
    }

    static constexpr std::size_t max_line = 1 << 20;

    // Keeps generated text alive for the tokens; false once the budget for generated text
    // (definitions, ~SEQ, ~LST) is spent.
    bool keep(std::string text, SourceLoc loc, std::string_view& out) {
        generated_bytes_ += text.size();
        if (generated_bytes_ > opt_.max_generated_bytes) {
            if (!budget_reported_) {
                budget_reported_ = true;
                error(loc,
                      "definitions and generators produce more than " +
                          std::to_string(opt_.max_generated_bytes) + " bytes of text",
                      true);
            }
            return false;
        }
        out = out_.storage.emplace_back(std::move(text));
        return true;
    }

    bool expand(std::string_view s, std::string& out, const FileCtx& ctx, unsigned depth) {
        bool changed = false;
        std::size_t i = 0;
        while (i < s.size() && out.size() <= max_line) {
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
                // keepalived 2.2.7 replaces an unbraced $NAME only before a blank, the end,
                // ',' or ')' (~SEQ arguments): "$NAME(a,b)" and "$NAME.x" stay as written.
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
                out += ctx.dir;
                changed = true;
                i = end;
                continue;
            }
            if (name == "_INSTANCE") {
                out += opt_.config_id;
                changed = true;
                i = end;
                continue;
            }
            if (auto r = random_value(name)) {
                out += std::to_string(*r);
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
                expand(value, out, ctx, depth + 1);
            } else {
                out += it->second;
            }
            i = end;
        }
        return changed;
    }

    // ${_RANDOM [MIN [MAX]]}: an integer in [MIN, MAX], defaults 0 and 32767.
    std::optional<unsigned long> random_value(std::string_view name) {
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
        if (!rng_) rng_.emplace(opt_.random_seed ? *opt_.random_seed : std::random_device{}());
        return std::uniform_int_distribution<unsigned long>(bounds[0], bounds[1])(*rng_);
    }

    // ~SEQ(var, [start, [step,]] end) / ~SEQx / ~LST(var|{vars}, values...) then the rest.
    void generator(std::string_view s, SourceLoc loc, const FileCtx& ctx, unsigned depth) {
        bool hex = s.starts_with("~SEQx");
        bool seq = s.starts_with("~SEQ");
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
            error(loc, "malformed ~SEQ/~LST: expected '(' ... ')'", false);
            return;
        }
        auto args = split_args(s.substr(open + 1, close - open - 1));
        std::string rest(s.substr(close + 1));
        if (seq) {
            long v[3] = {0, 0, 0};
            std::size_t n = args.size() - 1;
            if (args.size() < 2 || args.size() > 4) {
                error(loc, "~SEQ needs (var, [start, [step,]] end)", false);
                return;
            }
            for (std::size_t k = 0; k < n; ++k)
                if (!parse_long(args[k + 1], v[k])) {
                    error(loc, "~SEQ: '" + std::string(args[k + 1]) + "' is not a number", false);
                    return;
                }
            long start, step, end;
            if (n == 1) {
                end = v[0];
                start = end >= 0 ? 1 : -1;
                step = end >= start ? 1 : -1;
            } else if (n == 2) {
                start = v[0];
                end = v[1];
                step = end >= start ? 1 : -1;
            } else {
                start = v[0];
                step = v[1];
                end = v[2];
            }
            if (step == 0) {
                error(loc, "~SEQ: step must not be 0", false);
                return;
            }
            std::string var(args[0]);
            for (long x = start; step > 0 ? x <= end : x >= end; x += step) {
                if (++expanded_lines_ > opt_.max_expanded_lines) {
                    error(loc, "too many lines produced by ~SEQ", true);
                    return;
                }
                char buf[32];
                std::snprintf(buf, sizeof buf, hex ? "%lx" : "%ld", x);
                defs_[var] = buf;
                std::string line = rest;
                std::string_view kept;
                if (!keep(std::move(line), loc, kept)) return;
                process_line(kept, 0, loc, ctx, depth + 1);
            }
            return;
        }
        if (args.size() < 2) {
            error(loc, "~LST needs (var, values...)", false);
            return;
        }
        auto vars = unbrace(args[0]);
        for (std::size_t k = 1; k < args.size(); ++k) {
            auto vals = unbrace(args[k]);
            if (++expanded_lines_ > opt_.max_expanded_lines) {
                error(loc, "too many lines produced by ~LST", true);
                return;
            }
            for (std::size_t j = 0; j < vars.size(); ++j)
                defs_[std::string(vars[j])] = j < vals.size() ? std::string(vals[j]) : "";
            std::string line = rest;
            std::string_view kept;
            if (!keep(std::move(line), loc, kept)) return;
            process_line(kept, 0, loc, ctx, depth + 1);
        }
    }

    void include(std::string_view pattern_in, SourceLoc loc, const FileCtx& ctx) {
        if (!opt_.allow_includes) {
            error(loc, "include is not allowed here", true);
            return;
        }
        if (ctx.depth + 1 > opt_.max_include_depth) {
            error(loc, "includes nested too deeply", true);
            return;
        }
        std::string pattern;
        if (!pattern_in.empty() && pattern_in.front() == '"' && pattern_in.back() == '"' &&
            pattern_in.size() >= 2)
            pattern_in = pattern_in.substr(1, pattern_in.size() - 2);
        pattern = std::string(pattern_in);
        if (pattern.empty()) {
            error(loc, "include: expected a file name or pattern", true);
            return;
        }
        if (pattern.front() != '/') pattern = ctx.dir + "/" + pattern;
        glob_t g{};
        int rc = ::glob(pattern.c_str(), GLOB_BRACE | GLOB_TILDE, nullptr, &g);
        std::vector<std::string> paths;
        if (rc == 0)
            for (std::size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
        ::globfree(&g);
        if (paths.empty()) {
            error(loc, "included file missing: '" + std::string(pattern_in) + "' matches no file",
                  true);
            return;
        }
        for (const auto& p : paths) run_file(p, ctx.depth + 1, loc, true);
    }

    void tokenize(std::string_view s, std::size_t offset, SourceLoc loc) {
        bool first = true;
        std::size_t i = 0;
        auto push = [&](std::string_view text, std::size_t col, Token::Kind kind, bool quoted) {
            const Token tok{text, SourceLoc{loc.file, loc.line, std::uint32_t(offset + col + 1)},
                            kind, quoted, first};
            if (out_.sink)
                out_.sink(tok);
            else
                out_.tokens.push_back(tok);
            first = false;
        };
        while (i < s.size()) {
            char c = s[i];
            if (is_space(c)) {
                ++i;
                continue;
            }
            if (c == '{' || c == '}') {
                push(s.substr(i, 1), i, c == '{' ? Token::Kind::open : Token::Kind::close, false);
                ++i;
                continue;
            }
            if (c == '"') {
                auto close = s.find('"', i + 1);
                if (close == std::string_view::npos) {
                    error(SourceLoc{loc.file, loc.line, std::uint32_t(offset + i + 1)},
                          "unterminated quoted string: expected a closing '\"'", false);
                    push(s.substr(i + 1), i, Token::Kind::word, true);
                    return;
                }
                push(s.substr(i + 1, close - i - 1), i, Token::Kind::word, true);
                i = close + 1;
                continue;
            }
            std::size_t j = i;
            while (j < s.size() && !is_space(s[j]) && s[j] != '{' && s[j] != '}' && s[j] != '"')
                ++j;
            push(s.substr(i, j - i), i, Token::Kind::word, false);
            i = j;
        }
    }

    TokenStream& out_;
    PreprocessOptions opt_;
    std::unordered_map<std::string, std::string> defs_;
    std::optional<std::mt19937> rng_;  // seeded on first ${_RANDOM}
    bool continuing_ = false;
    std::string cont_name_;
    std::size_t expanded_lines_ = 0;
    std::size_t generated_bytes_ = 0;
    bool budget_reported_ = false;
};

}  // namespace

void preprocess_text(TokenStream& out, std::string text, const std::string& name,
                     const std::string& base_dir, const PreprocessOptions& options) {
    Preprocessor pp(out, options);
    pp.run_text(std::move(text), name, base_dir, 0);
}

void preprocess_file(TokenStream& out, const std::string& path, const PreprocessOptions& options) {
    Preprocessor pp(out, options);
    pp.run_file(path, 0, SourceLoc{}, false);
}

}  // namespace vigil::config
