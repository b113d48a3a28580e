#include "config/includes.hpp"

#include "config/lexer.hpp"

namespace vigil::config {
namespace {

std::string_view unquote(std::string_view s) {
    if (!s.empty() && s.front() == '"' && s.back() == '"' && s.size() >= 2)
        return s.substr(1, s.size() - 2);
    return s;
}

}  // namespace

std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string absolute_dir(const std::string& dir, const std::string& cwd) {
    if (!dir.empty() && dir.front() == '/') return dir;
    if (cwd.empty()) return dir;
    if (dir == "." || dir.empty()) return cwd;
    return cwd + "/" + dir;
}

std::optional<std::string_view> include_directive(std::string_view s) {
    if (!s.starts_with("include")) return std::nullopt;
    std::size_t kw = 7;
    if (s.size() > 7 && std::string_view("abmrw").find(s[7]) != std::string_view::npos) kw = 8;
    if (s.size() != kw && !is_space(s[kw])) return std::nullopt;
    return trim(s.substr(kw));
}

std::string include_pattern(std::string_view written, const std::string& dir) {
    std::string pattern(unquote(written));
    if (!pattern.empty() && pattern.front() != '/') pattern = dir + "/" + pattern;
    return pattern;
}

IncludeResolution resolve_include(std::string_view written, const std::string& dir, Host& host) {
    IncludeResolution r;
    auto pattern = include_pattern(written, dir);
    if (pattern.empty()) {
        r.error = "include: expected a file name or pattern";
        return r;
    }
    r.paths = host.glob(pattern);
    std::erase_if(r.paths, [](const std::string& p) { return p.ends_with('/'); });
    if (r.paths.empty())
        r.error = "included file missing: '" + std::string(unquote(written)) + "' matches no file";
    return r;
}

}  // namespace vigil::config
