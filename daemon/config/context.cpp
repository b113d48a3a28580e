#include "config/context.hpp"

#include <net/if.h>

#include <cstdio>

namespace vigil::config {
namespace {

std::string fmt_range(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

}  // namespace

void Ctx::warn(SourceLoc at, std::string msg) {
    diags.push_back({Severity::warning, files[at.file], at.line, at.column, std::move(msg), false,
                     false, pass});
}
void Ctx::strict(SourceLoc at, std::string msg) {
    diags.push_back(
        {Severity::error, files[at.file], at.line, at.column, std::move(msg), false, false, pass});
}
void Ctx::strict_noloc(std::string msg) {
    diags.push_back({Severity::error, files.empty() ? std::string() : files.front(), 0, 0,
                     std::move(msg), false, false, pass});
}
void Ctx::warn_noloc(std::string msg) {
    diags.push_back({Severity::warning, files.empty() ? std::string() : files.front(), 0, 0,
                     std::move(msg), false, false, pass});
}
void Ctx::error(SourceLoc at, std::string msg) {
    diags.push_back(
        {Severity::error, files[at.file], at.line, at.column, std::move(msg), false, true, pass});
}
void Ctx::fatal(SourceLoc at, std::string msg) {
    diags.push_back(
        {Severity::error, files[at.file], at.line, at.column, std::move(msg), true, true, pass});
}

void Ctx::unknown(const Node& n) {
    strict(n.key, "Unknown keyword '" + std::string(n.key.text) + "'");
}

void Ctx::unsupported(const Node& n) {
    std::string k(n.key.text);
    if (!unsupported_seen.insert(k).second) return;
    warn(n.key, "'" + k + "' is not supported by vigild; ignored");
    cfg.unsupported_keywords.push_back(std::move(k));
}

void Ctx::unsupported(const Token& at) {
    warn(at, "'" + std::string(at.text) + "' is not supported by vigild; ignored");
}

bool Ctx::need_args(const Node& n, std::size_t count) {
    if (n.args.size() >= count) return true;
    error(n.key, "'" + std::string(n.key.text) + "' expects " + std::to_string(count) +
                     (count == 1 ? " value" : " values"));
    return false;
}

std::optional<long long> Ctx::integer(const Node& n, std::size_t i, long long lo, long long hi,
                                      bool fatal_if_bad) {
    if (!need_args(n, i + 1)) return std::nullopt;
    const Token& t = n.args[i];
    auto v = parse_integer(t.text);
    if (v && *v >= lo && *v <= hi) return v;
    std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    std::string msg;
    if (!v)
        msg = "'" + std::string(n.key.text) + "': expected a number in " + range + ", got '" +
              std::string(t.text) + "'";
    else
        msg = "'" + std::string(n.key.text) + "': number '" + std::string(t.text) +
              "' outside range " + range;
    if (fatal_if_bad)
        fatal(t, std::move(msg));
    else
        error(t, std::move(msg));
    return std::nullopt;
}

std::optional<std::chrono::microseconds> Ctx::seconds(const Node& n, std::size_t i, double lo,
                                                      double hi) {
    if (!need_args(n, i + 1)) return std::nullopt;
    const Token& t = n.args[i];
    auto v = parse_seconds(t.text);
    auto range = [&] { return "[" + fmt_range(lo) + ", " + fmt_range(hi) + "]"; };
    if (!v) {
        error(t, "'" + std::string(n.key.text) + "': expected seconds in " + range() + ", got '" +
                     std::string(t.text) + "'");
        return std::nullopt;
    }
    double s = static_cast<double>(v->count()) / 1e6;
    if (s < lo || s > hi) {
        error(t, "'" + std::string(n.key.text) + "': number '" + std::string(t.text) +
                     "' outside range " + range());
        return std::nullopt;
    }
    return v;
}

std::optional<Address> Ctx::address(const Node& n, std::size_t i) {
    if (!need_args(n, i + 1)) return std::nullopt;
    auto a = parse_address(n.args[i].text);
    if (!a)
        error(n.args[i], "'" + std::string(n.key.text) + "': expected an IP address, got '" +
                             std::string(n.args[i].text) + "'");
    return a;
}

std::string Ctx::string_arg(const Node& n) {
    std::string s;
    for (std::size_t i = 0; i < n.args.size(); ++i) {
        if (i) s += ' ';
        s.append(n.args[i].text);
    }
    return s;
}

std::vector<std::string> Ctx::command(const Node& n) {
    if (n.args.size() == 1 && n.args[0].quoted) return split_command(n.args[0].text);
    std::vector<std::string> argv;
    for (const auto& a : n.args) {
        if (a.quoted) {
            auto more = split_command(a.text);
            if (argv.empty()) {
                argv.insert(argv.end(), more.begin(), more.end());
                continue;
            }
        }
        argv.emplace_back(a.text);
    }
    return argv;
}

Ctx::UserCommand Ctx::user_command(const Node& n) {
    UserCommand out;
    if (n.args.empty()) return out;
    const Token& first = n.args[0];
    if (first.quoted)
        out.argv = split_command(first.text);
    else
        out.argv.emplace_back(first.text);
    if (n.args.size() > 1) out.user = std::string(n.args[1].text);
    if (n.args.size() > 2) out.group = std::string(n.args[2].text);
    if (n.args.size() > 3)
        warn(n.args[3], "'" + std::string(n.key.text) +
                            "': words after the user and group are ignored (quote the command "
                            "to pass arguments)");
    if (out.user.empty() || !opt.check_users || out.argv.empty()) return out;
    std::string bad;
    std::size_t at = 1;  // the word that names it
    if (!host.user_exists(out.user)) {
        bad = "Script user '" + out.user + "' does not exist";
    } else if (!out.group.empty() && !host.group_exists(out.group)) {
        bad = "Script group '" + out.group + "' does not exist";
        at = 2;
    }
    if (!bad.empty()) {
        warn(n.args[at], bad + ": invalid user/group for " + std::string(n.key.text) + " script " +
                             out.argv.front() + " - ignoring");
        out.argv.clear();
    }
    return out;
}

bool Ctx::interface_exists(const Token& at, std::string_view name, bool report) {
    if (!opt.check_interfaces) return true;
    std::string n(name);
    auto [it, fresh] = interfaces_seen.try_emplace(n, false);
    if (fresh) it->second = n.size() < IF_NAMESIZE && host.interface_exists(n);
    if (it->second) return true;
    // keepalived: dynamic_interfaces accepts an interface that is not there (yet), silently.
    if (cfg.global.dynamic_interfaces) return false;
    if (report) error(at, "interface '" + n + "' does not exist on this host");
    return false;
}

}  // namespace vigil::config
