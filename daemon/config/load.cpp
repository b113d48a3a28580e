// Entry points: text or file -> tokens -> tree -> typed configuration + diagnostics.
#include "config/context.hpp"

#include <algorithm>

namespace vigil::config {
namespace {

// Top-level keywords keepalived accepts that Vigil does not implement.
bool is_top_unsupported(std::string_view k) {
    return k == "net_namespace_ipvs" || k == "namespace_with_ipsets" || k == "instance" ||
           k == "use_pid_dir" || k == "linkbeat_use_polling" || k == "child_wait_time" ||
           k == "linkbeat_interfaces" || k == "track_group";
}

// Turns each top-level statement into configuration as soon as it is complete.
class Builder {
  public:
    Builder(Ctx& c, const TokenStream& ts) : c_(c), ts_(ts) {}

    void top(const Node& n) {
        reserve();
        auto k = n.key.text;
        c_.pass =
            k == "global_defs" || k == "virtual_server" || k == "virtual_server_group" || k == "SSL"
                ? 1
                : 2;
        if (k == "virtual_server_group")
            parse_virtual_server_group(c_, n, groups_);
        else if (k == "global_defs")
            parse_global_defs(c_, n);
        else if (k == "vrrp_instance")
            parse_vrrp_instance(c_, n);
        else if (k == "vrrp_sync_group")
            parse_vrrp_sync_group(c_, n);
        else if (k == "vrrp_script")
            parse_vrrp_script(c_, n);
        else if (k == "vrrp_track_file" || k == "track_file")
            parse_vrrp_track_file(c_, n);
        else if (k == "vrrp_track_process")
            parse_vrrp_track_process(c_, n);
        else if (k == "static_ipaddress" || k == "static_routes" || k == "static_rules")
            parse_static_block(c_, n);
        else if (k == "garp_group") {
            parse_garp_group(c_, n);
        } else if (k == "bfd_instance")
            parse_bfd_instance(c_, n);
        else if (k == "SSL")
            parse_ssl(c_, n);
        else if (k == "virtual_server") {
            // A group may be defined after the service that names it.
            if (n.args.size() >= 2 && n.args[0].text == "group" &&
                !groups_.count(std::string(n.args[1].text))) {
                deferred_.push_back(n);
                keep_text(deferred_.back(), deferred_text_);
            } else
                parse_virtual_server(c_, n, groups_);
        } else if (k == "net_namespace") {
            if (c_.need_args(n, 1)) c_.cfg.global.net_namespace = std::string(n.args[0].text);
        } else if (is_top_unsupported(k)) {
            c_.unsupported(n);
        } else
            c_.unknown(n);
    }

    void finish() {
        c_.pass = 1;
        for (const auto& n : deferred_) parse_virtual_server(c_, n, groups_);
        c_.pass = 2;
        validate(c_);
    }

  private:
    // Growing by doubling would briefly hold two copies of large vectors.
    void reserve() {
        auto& checks = c_.cfg.checks;
        if (!c_.opt.check_only && ts_.hint_checks > checks.capacity() &&
            ts_.hint_checks < (1u << 24))
            checks.reserve(ts_.hint_checks);
        auto& vss = c_.cfg.lvs.virtual_servers;
        if (ts_.hint_virtual_servers > vss.capacity() && ts_.hint_virtual_servers < (1u << 24))
            vss.reserve(ts_.hint_virtual_servers);
    }

    Ctx& c_;
    const TokenStream& ts_;
    std::unordered_map<std::string, std::vector<ipvs::ServiceKey>> groups_;
    std::vector<Node> deferred_;
    std::deque<std::string> deferred_text_;  // the text of deferred_: the file's is freed
};

PreprocessOptions pp_options(const LoadOptions& o) {
    PreprocessOptions p;
    p.config_id = o.config_id;
    p.allow_includes = o.allow_includes;
    p.max_include_depth = o.max_include_depth;
    p.max_files = o.max_files;
    p.read_chunk = o.read_chunk;
    for (const auto& d : o.defines) {
        auto eq = d.find('=');
        if (eq == std::string::npos)
            p.defines.emplace_back(d, "");
        else
            p.defines.emplace_back(d.substr(0, eq), d.substr(eq + 1));
    }
    return p;
}

template <class Read>
LoadResult run(Read&& read, const LoadOptions& options, Host& host) {
    LoadResult r;
    TokenStream ts;
    Ctx c{ts.files, ts.diagnostics, options, r.config, host};
    Builder builder(c, ts);
    StatementParser parser(ts.files, ts.diagnostics, [&](Node&& n) { builder.top(n); });
    ts.sink = [&](const Token& t) { parser.push(t); };
    ts.at_rest = [&] { return parser.at_rest(); };
    read(ts);
    parser.finish();
    builder.finish();
    r.config.files = ts.files;
    r.diagnostics = std::move(ts.diagnostics);
    // Stable by pass (0..2), in file order within each (no std::stable_sort: clang deprecates
    // the temporary buffer libstdc++ 12 gives it).
    std::vector<Diagnostic> ordered;
    ordered.reserve(r.diagnostics.size());
    for (int pass = 0; pass <= 2; ++pass)
        for (auto& d : r.diagnostics)
            if (d.pass == pass || (pass == 2 && (d.pass < 0 || d.pass > 2)))
                ordered.push_back(std::move(d));
    r.diagnostics = std::move(ordered);
    return r;
}

}  // namespace

bool LoadResult::ok() const {
    return std::none_of(diagnostics.begin(), diagnostics.end(),
                        [](const Diagnostic& d) { return d.severity == Severity::error; });
}
bool LoadResult::startable() const {
    return std::none_of(diagnostics.begin(), diagnostics.end(),
                        [](const Diagnostic& d) { return d.fatal_at_startup; });
}
bool LoadResult::reloadable() const {
    return std::none_of(diagnostics.begin(), diagnostics.end(),
                        [](const Diagnostic& d) { return d.refuse_reload || d.fatal_at_startup; });
}

LoadResult load_file(const std::string& path, const LoadOptions& options, Host& host) {
    return run([&](TokenStream& ts) { preprocess_file(ts, path, pp_options(options), host); },
               options, host);
}

LoadResult load_string(std::string_view text, const std::string& name, const LoadOptions& options,
                       Host& host) {
    return run(
        [&](TokenStream& ts) {
            preprocess_text(ts, std::string(text), name, ".", pp_options(options), host);
        },
        options, host);
}

std::string format(const Diagnostic& d) {
    std::string s = d.file;
    if (d.line) {
        s += ':' + std::to_string(d.line);
        if (d.column) s += ':' + std::to_string(d.column);
    }
    s += d.severity == Severity::error ? ": error: " : ": warning: ";
    s += d.message;
    return s;
}

}  // namespace vigil::config
