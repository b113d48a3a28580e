#include "config/iproute2_names.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <span>

namespace vigil::config {
namespace {

struct Builtin {
    std::string_view name;
    std::uint32_t value;
};

// What iproute2 knows without any file.
constexpr Builtin kTables[] = {{"unspec", 0}, {"default", 253}, {"main", 254}, {"local", 255}};
constexpr Builtin kProtos[] = {{"unspec", 0}, {"redirect", 1}, {"kernel", 2},      {"boot", 3},
                               {"static", 4}, {"gated", 8},    {"ra", 9},          {"mrt", 10},
                               {"zebra", 11}, {"bird", 12},    {"dnrouted", 13},   {"xorp", 14},
                               {"ntk", 15},   {"dhcp", 16},    {"keepalived", 18}, {"babel", 42},
                               {"bgp", 186},  {"isis", 187},   {"ospf", 188},      {"rip", 189},
                               {"eigrp", 192}};
constexpr Builtin kRealms[] = {{"unknown", 0}, {"cosmos", 0}};
constexpr Builtin kGroups[] = {{"default", 0}};

constexpr const char* file_name(NameFile f) {
    switch (f) {
        case NameFile::rt_tables:
            return "rt_tables";
        case NameFile::rt_protos:
            return "rt_protos";
        case NameFile::rt_realms:
            return "rt_realms";
        case NameFile::rt_dsfield:
            return "rt_dsfield";
        case NameFile::group:
            return "group";
    }
    return "";
}

std::span<const Builtin> builtins(NameFile f) {
    switch (f) {
        case NameFile::rt_tables:
            return kTables;
        case NameFile::rt_protos:
            return kProtos;
        case NameFile::rt_realms:
            return kRealms;
        case NameFile::group:
            return kGroups;
        case NameFile::rt_dsfield:
            break;
    }
    return {};
}

}  // namespace

std::optional<std::uint32_t> parse_number(std::string_view t) {
    int base = 10;
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
        base = 16;
        t.remove_prefix(2);
    } else if (t.size() > 1 && t[0] == '0') {
        base = 8;
        t.remove_prefix(1);
    }
    std::uint32_t v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v, base);
    if (t.empty() || ec != std::errc{} || end != t.data() + t.size()) return std::nullopt;
    return v;
}

std::optional<std::uint32_t> find_name(std::string_view text, std::string_view name) {
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
        auto word = [&](std::string_view& s) {
            while (!s.empty() && blank(s.front())) s.remove_prefix(1);
            std::size_t n = 0;
            while (n < s.size() && !blank(s[n])) ++n;
            auto w = s.substr(0, n);
            s.remove_prefix(n);
            return w;
        };
        auto number = word(line);
        auto id = word(line);
        if (id == name && !number.empty())
            if (auto v = parse_number(number)) return v;
    }
    return std::nullopt;
}

const std::string& Iproute2Names::text(NameFile f) {
    auto& slot = texts_[static_cast<std::size_t>(f)];
    if (slot) return *slot;
    std::string all;
    namespace fs = std::filesystem;  // path arithmetic only: the files are the host's
    // Only regular files: a FIFO or a directory named *.conf reads as nothing.
    auto read = [&](const fs::path& p) {
        return host_->is_regular_file(p.string()) ? host_->read_file(p.string()).value_or("")
                                                  : std::string();
    };
    for (const auto& d : host_ ? dirs_ : std::vector<std::string>{}) {
        const fs::path base = fs::path(d) / file_name(f);
        if (host_->is_regular_file(base.string())) all += read(base) + "\n";
        const fs::path dotd = fs::path(d) / (std::string(file_name(f)) + ".d");
        std::vector<fs::path> confs;
        for (const auto& entry : host_->list_dir(dotd.string()))
            if (fs::path(entry).extension() == ".conf") confs.emplace_back(entry);
        std::sort(confs.begin(), confs.end());
        for (const auto& p : confs) all += read(p) + "\n";
    }
    slot = std::move(all);
    return *slot;
}

std::optional<std::uint32_t> Iproute2Names::find(NameFile f, std::string_view name) {
    if (auto n = parse_number(name)) return n;
    for (const auto& b : builtins(f))
        if (b.name == name) return b.value;
    return find_name(text(f), name);
}

}  // namespace vigil::config
