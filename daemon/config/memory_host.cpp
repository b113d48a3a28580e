#include "config/memory_host.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace vigil::config {
namespace {

// Where the '}' that closes the '{' at OPEN is, or npos.
std::size_t closing_brace(const std::string& s, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size())
            ++i;
        else if (s[i] == '{')
            ++depth;
        else if (s[i] == '}' && --depth == 0)
            return i;
    }
    return std::string::npos;
}

bool has_magic(std::string_view s) {
    return s.find_first_of("*?[\\") != std::string_view::npos;
}

std::vector<std::string> split_path(const std::string& p) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= p.size()) {
        auto slash = p.find('/', start);
        auto part = p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (!part.empty()) parts.push_back(part);
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return parts;
}

}  // namespace

std::vector<std::string> expand_braces(const std::string& pattern) {
    std::size_t open = std::string::npos;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\' && i + 1 < pattern.size())
            ++i;
        else if (pattern[i] == '{') {
            open = i;
            break;
        }
    }
    if (open == std::string::npos) return {pattern};
    auto close = closing_brace(pattern, open);
    if (close == std::string::npos) return {pattern};
    std::vector<std::string> out;
    const std::string head = pattern.substr(0, open), tail = pattern.substr(close + 1);
    int depth = 0;
    std::size_t start = open + 1;
    for (std::size_t i = open + 1; i <= close; ++i) {
        const char c = pattern[i];
        if (c == '\\' && i + 1 < close) {
            ++i;
            continue;
        }
        if (c == '{') ++depth;
        if (c == '}' && i < close) --depth;
        if ((c == ',' && depth == 0) || i == close) {
            for (auto& e : expand_braces(head + pattern.substr(start, i - start) + tail))
                out.push_back(std::move(e));
            start = i + 1;
        }
    }
    return out;
}

std::string MemoryHost::normalize(const std::string& p) const {
    const std::string full = !p.empty() && p.front() == '/' ? p : cwd + "/" + p;
    std::vector<std::string> kept;
    for (auto& part : split_path(full)) {
        if (part == ".") continue;
        if (part == "..") {
            if (!kept.empty()) kept.pop_back();
            continue;
        }
        kept.push_back(std::move(part));
    }
    std::string out;
    for (const auto& k : kept) out += "/" + k;
    return out.empty() ? "/" : out;
}

bool MemoryHost::is_dir(const std::string& n) const {
    if (n == "/") return true;
    auto it = files.lower_bound(n + "/");
    return it != files.end() && it->first.starts_with(n + "/");
}

std::set<std::string> MemoryHost::children(const std::string& n) const {
    std::set<std::string> out;
    const std::string prefix = n == "/" ? "/" : n + "/";
    for (auto it = files.lower_bound(prefix); it != files.end() && it->first.starts_with(prefix);
         ++it) {
        auto rest = it->first.substr(prefix.size());
        out.insert(rest.substr(0, rest.find('/')));
    }
    return out;
}

std::optional<std::string> MemoryHost::read_file(const std::string& path) {
    auto it = files.find(normalize(path));
    if (it == files.end()) return std::nullopt;
    return it->second;
}

bool MemoryHost::is_regular_file(const std::string& path) {
    return files.count(normalize(path)) > 0;
}

std::vector<std::string> MemoryHost::list_dir(const std::string& dir) {
    std::vector<std::string> out;
    const auto n = normalize(dir);
    if (!is_dir(n)) return out;
    const std::string base = !dir.empty() && dir.back() == '/' ? dir : dir + "/";
    for (const auto& c : children(n)) out.push_back(base + c);
    return out;
}

// One pattern without braces: component by component, '*', '?' and '[...]' against the
// names in each directory (a leading '.' only by a '.'), then only what exists.
std::vector<std::string> MemoryHost::glob_plain(const std::string& pattern) const {
    const bool absolute = !pattern.empty() && pattern.front() == '/';
    std::vector<std::string> candidates{absolute ? "/" : ""};
    for (const auto& comp : split_path(pattern)) {
        std::vector<std::string> next;
        for (const auto& cand : candidates) {
            auto join = [&](const std::string& name) {
                return cand.empty() ? name : cand.back() == '/' ? cand + name : cand + "/" + name;
            };
            if (!has_magic(comp)) {
                next.push_back(join(comp));
                continue;
            }
            for (const auto& name : children(normalize(cand.empty() ? "." : cand)))
                if (::fnmatch(comp.c_str(), name.c_str(), FNM_PERIOD) == 0)
                    next.push_back(join(name));
        }
        candidates = std::move(next);
    }
    std::vector<std::string> out;
    for (auto& c : candidates) {
        if (c.empty()) continue;
        const auto n = normalize(c);
        if (files.count(n))
            out.push_back(std::move(c));
        else if (is_dir(n))
            out.push_back(c.back() == '/' ? std::move(c) : c + "/");
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> MemoryHost::glob(const std::string& pattern) {
    std::vector<std::string> out;
    for (auto alt : expand_braces(pattern)) {
        if (alt == "~" || alt.starts_with("~/")) alt = home + alt.substr(1);
        for (auto& p : glob_plain(alt)) out.push_back(std::move(p));
    }
    return out;
}

bool MemoryHost::executable(const std::string& program) {
    if (program.find('/') != std::string::npos) return executables.count(normalize(program)) > 0;
    for (const auto& d : path)
        if (executables.count(normalize(d + "/" + program))) return true;
    return false;
}

}  // namespace vigil::config
