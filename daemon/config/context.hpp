// Shared state of one load: diagnostics, options, the config being filled, and the helpers
// that turn arguments into values with precise messages.
#pragma once

#include "config/ast.hpp"
#include "config/host.hpp"
#include "config/iproute2_names.hpp"
#include "config/values.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace vigil::config {

// A script named somewhere in the file, checked once the whole file is read.
struct ScriptUse {
    enum class Kind { track, notify, check, fifo };
    std::vector<std::string> argv;
    std::string user;
    SourceLoc loc;
    Kind kind = Kind::notify;
    std::string owner;  // vrrp_script name for Kind::track
};

// What an instance said itself, before global defaults are applied. Places are kept as
// SourceLocs: the text of a token is freed with its statement.
struct InstanceExtra {
    SourceLoc key;
    std::optional<std::chrono::microseconds> advert;
    SourceLoc advert_tok;
    std::optional<int> version;
    bool nopreempt = false;
    bool priority_set = false;
    bool smtp_alert_set = false;
    SourceLoc nopreempt_tok;
    bool garp_delay = false, garp_repeat = false, garp_refresh = false, garp_refresh_repeat = false,
         garp_lower_delay = false, garp_lower_repeat = false, garp_interval = false,
         gna_interval = false;
    std::optional<SourceLoc> unicast_kw;  // unicast_src_ip / unicast_ttl seen
    bool garp_extra_if = false;
    std::optional<SourceLoc> promote_secondaries;
    std::optional<SourceLoc> ipvlan_tok;
    bool auth_block = false;
    std::optional<SourceLoc> long_pass;
    std::optional<SourceLoc> ah_tok;  // auth_type AH
    std::optional<int> down_timer_adverts;
    std::optional<bool> lower_prio_no_advert, higher_prio_send_advert;
    std::vector<std::pair<std::string, SourceLoc>> track_scripts;
};

// Where lvs_sync_daemon named its VRRP instance, and whether it gave a syncid.
struct LvsSyncUse {
    SourceLoc instance;
    bool id_set = false;
};

struct Ctx {
    const std::vector<std::string>& files;
    std::vector<Diagnostic>& diags;
    const LoadOptions& opt;
    Config& cfg;
    Host& host;  // every question to the machine

    Ctx(const std::vector<std::string>& f, std::vector<Diagnostic>& d, const LoadOptions& o,
        Config& c, Host& h)
        : files(f), diags(d), opt(o), cfg(c), host(h), names(o.iproute2_dirs, &h) {}

    Iproute2Names names;                       // table, protocol, realm ... names of this host
    std::uint32_t next_rule_priority = 16384;  // for a rule that gives none
    std::vector<ScriptUse> scripts;
    bool global_script_user_failed = false;
    std::unordered_map<std::string, bool> interfaces_seen;  // the host's answers
    std::vector<InstanceExtra> inst_extra;
    // smtp_alert said explicitly: (virtual server, real server or npos for the service).
    std::vector<std::pair<std::size_t, std::size_t>> lvs_smtp_set;
    std::vector<std::size_t> sync_group_smtp_set;  // parallel to cfg.vrrp.instances
    std::vector<std::pair<std::string, SourceLoc>> sync_group_instances;  // name, where listed
    std::vector<std::pair<std::string, SourceLoc>> removed_scripts;  // vrrp_script names dropped
    std::vector<std::size_t> log_all_failures_set;
    std::unordered_set<std::string> unsupported_seen;
    std::optional<LvsSyncUse> lvs_sync;
    std::vector<std::pair<std::pair<std::size_t, std::size_t>, std::string>> bfd_check_names;
    bool static_block = false;  // reading static_ipaddress (not an instance's addresses)
    int pass = 2;               // Diagnostic::pass of what is reported now  // checks that said
                                // log_all_failures, in order

    // Severity::warning: keepalived accepts it too; informational.
    void warn(SourceLoc at, std::string msg);
    // An error for "-t" (keepalived rejects the file) that the daemon only logs at run time.
    void strict(SourceLoc at, std::string msg);
    void strict_noloc(std::string msg);
    void warn_noloc(std::string msg);
    // A bad value: the item is dropped or changed; a reload with it is refused.
    void error(SourceLoc at, std::string msg);
    // The daemon cannot run this file.
    void fatal(SourceLoc at, std::string msg);
    void unknown(const Node& n);
    // Where keepalived reports a problem of a whole block: its closing brace.
    static Token block_end(const Node& n) {
        Token t = n.key;
        if (n.block) t.loc = n.end;
        return t;
    }
    // "'KEYWORD' is not supported by vigild; ignored", once per keyword; listed in the config.
    void unsupported(const Node& n);
    // A warning: "'OPTION' is not supported by vigild; ignored".
    void unsupported(const Token& at);

    bool need_args(const Node& n, std::size_t count);
    std::string_view arg(const Node& n, std::size_t i) const {
        return i < n.args.size() ? n.args[i].text : std::string_view{};
    }
    // Integer in [lo, hi] from argument I; reports and returns nullopt when bad.
    std::optional<long long> integer(const Node& n, std::size_t i, long long lo, long long hi,
                                     bool fatal_if_bad = false);
    std::optional<std::chrono::microseconds> seconds(const Node& n, std::size_t i, double lo,
                                                     double hi);
    std::optional<Address> address(const Node& n, std::size_t i);
    std::string string_arg(const Node& n);            // all arguments joined by one space
    std::vector<std::string> command(const Node& n);  // a script command line
    // keepalived's `CMD|"QUOTED CMD" [username [groupname]]` (notify_*, quorum_*, *_script):
    // the words after the command select the user and group and are never arguments. A user or
    // group this host lacks drops the command, as keepalived does.
    struct UserCommand {
        std::vector<std::string> argv;
        std::string user, group;
    };
    UserCommand user_command(const Node& n);
    bool interface_exists(const Token& at, std::string_view name, bool report = true);
};

// A `CMD|"QUOTED CMD" [username [groupname]]` keyword into OUT (any type with argv, user and
// group), recorded for the script checks; false (OUT untouched) when nothing usable was given.
template <class Cmd>
bool user_command_into(Ctx& c, const Node& n, Cmd& out, ScriptUse::Kind kind) {
    if (n.args.empty()) {
        c.error(n.key, "'" + std::string(n.key.text) + "' expects a command");
        return false;
    }
    auto uc = c.user_command(n);
    if (uc.argv.empty()) return false;
    c.scripts.push_back({uc.argv, uc.user, n.key.loc, kind, {}});
    out.argv = std::move(uc.argv);
    out.user = std::move(uc.user);
    out.group = std::move(uc.group);
    return true;
}

// Handlers per block. Each handles N's keyword, or calls ctx.unknown(N).
template <class T>
using Handler = void (*)(Ctx&, const Node&, T&);

void parse_global_defs(Ctx& c, const Node& block);
void parse_vrrp_instance(Ctx& c, const Node& block);
void parse_vrrp_sync_group(Ctx& c, const Node& block);
void parse_vrrp_script(Ctx& c, const Node& block);
void parse_vrrp_track_file(Ctx& c, const Node& block);
void parse_vrrp_track_process(Ctx& c, const Node& block);
void parse_static_block(Ctx& c, const Node& block);
// One line of virtual_ipaddress / static_ipaddress, virtual_routes / static_routes,
// virtual_rules / static_rules; nullopt (with a diagnostic) when it cannot be used.
std::optional<vrrp::VirtualAddress> parse_address_line(Ctx& c, const Node& line);
std::optional<vrrp::VirtualRoute> parse_route_line(Ctx& c, const Node& line);
std::optional<vrrp::VirtualRule> parse_rule_line(Ctx& c, const Node& line);
void parse_garp_group(Ctx& c, const Node& block);
void parse_bfd_instance(Ctx& c, const Node& block);
// track_bfd { NAME [weight W [reverse|noreverse]] }: weights resolved from the bfd_instance.
std::vector<vrrp::TrackRef> track_bfd_refs(Ctx& c, const Node& n, const std::string& owner);
// BFD_CHECK { name NAME } of a real server: a verdict kept beside the checkers.
void bfd_check(Ctx& c, const Node& n, const std::string& rs_label, std::size_t vs_index,
               std::size_t rs_index, ipvs::RealServerConfig* rs, bool sorry);
void drop_bfd_sync_weights(Ctx& c);
void parse_ssl(Ctx& c, const Node& block);  // the top-level SSL { } block
void parse_virtual_server_group(
    Ctx& c, const Node& block,
    std::unordered_map<std::string, std::vector<ipvs::ServiceKey>>& groups);
void parse_virtual_server(
    Ctx& c, const Node& block,
    const std::unordered_map<std::string, std::vector<ipvs::ServiceKey>>& groups);
// Without sync_group_tracking_weight, tracked processes in sync groups lose their weights.
void drop_process_weights(Ctx& c, std::vector<vrrp::TrackRef>& refs, const std::string& owner,
                          SourceLoc at);
// Checks run after the whole file is read (cross references, host lookups, keepalived's
// start-up warnings).
void validate(Ctx& c);

}  // namespace vigil::config

namespace vigil::config {

template <class T>
class KeywordTable {
  public:
    KeywordTable(std::initializer_list<std::pair<const std::string_view, Handler<T>>> l)
        : map_(l) {}
    Handler<T> find(std::string_view k) const {
        auto it = map_.find(k);
        return it == map_.end() ? nullptr : it->second;
    }

  private:
    std::unordered_map<std::string_view, Handler<T>> map_;
};

// A keepalived keyword Vigil does not implement: warned about, never silently dropped.
template <class T>
void unsupported_kw(Ctx& c, const Node& n, T&) {
    c.unsupported(n);
}

template <class T>
void dispatch(Ctx& c, const Node& block, T& target, const KeywordTable<T>& table) {
    for (const auto& n : block.children) {
        if (auto h = table.find(n.key.text))
            h(c, n, target);
        else
            c.unknown(n);
    }
}

// A flag keyword with an optional boolean argument.
inline bool flag_value(Ctx& c, const Node& n) {
    if (n.args.empty()) return true;
    auto b = parse_bool(n.args[0].text);
    if (!b) {
        c.error(n.args[0], "'" + std::string(n.key.text) + "': expected true/false, got '" +
                               std::string(n.args[0].text) + "'");
        return true;
    }
    return *b;
}

}  // namespace vigil::config
