// Entry points: text or file -> tokens -> tree -> typed configuration + diagnostics.
#include "config/context.hpp"

#include <algorithm>

namespace vigil::config {
namespace {

bool is_top_ignored(std::string_view k) {
    return k == "net_namespace" || k == "net_namespace_ipvs" || k == "namespace_with_ipsets" ||
           k == "instance" || k == "use_pid_dir" || k == "linkbeat_use_polling" ||
           k == "child_wait_time";
}

void build(Ctx& c, const std::vector<Node>& top) {
    std::unordered_map<std::string, std::vector<ipvs::ServiceKey>> groups;
    for (const auto& n : top)
        if (n.key.text == "virtual_server_group") parse_virtual_server_group(c, n, groups);
    for (const auto& n : top) {
        auto k = n.key.text;
        if (k == "virtual_server_group") continue;
        if (k == "global_defs")
            parse_global_defs(c, n);
        else if (k == "vrrp_instance")
            parse_vrrp_instance(c, n);
        else if (k == "vrrp_sync_group")
            parse_vrrp_sync_group(c, n);
        else if (k == "vrrp_script")
            parse_vrrp_script(c, n);
        else if (k == "vrrp_track_file" || k == "track_file")
            parse_vrrp_track_file(c, n);
        else if (k == "vrrp_track_process")
            parse_vrrp_track_process(c, n);
        else if (k == "static_ipaddress" || k == "static_routes" || k == "static_rules")
            parse_static_block(c, n);
        else if (k == "garp_group")
            parse_garp_group(c, n);
        else if (k == "bfd_instance")
            parse_bfd_instance(c, n);
        else if (k == "virtual_server")
            parse_virtual_server(c, n, groups);
        else if (is_top_ignored(k)) {
        } else
            c.unknown(n);
    }
    validate(c);
}

PreprocessOptions pp_options(const LoadOptions& o) {
    PreprocessOptions p;
    p.config_id = o.config_id;
    p.allow_includes = o.allow_includes;
    for (const auto& d : o.defines) {
        auto eq = d.find('=');
        if (eq == std::string::npos)
            p.defines.emplace_back(d, "");
        else
            p.defines.emplace_back(d.substr(0, eq), d.substr(eq + 1));
    }
    return p;
}

LoadResult finish(TokenStream& ts, const LoadOptions& options) {
    LoadResult r;
    r.diagnostics = std::move(ts.diagnostics);
    auto tree = parse_tokens(ts.tokens, ts.files, r.diagnostics);
    Ctx c{ts.files, r.diagnostics, options, r.config};
    build(c, tree);
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

LoadResult load_file(const std::string& path, const LoadOptions& options) {
    TokenStream ts;
    preprocess_file(ts, path, pp_options(options));
    return finish(ts, options);
}

LoadResult load_string(std::string_view text, const std::string& name, const LoadOptions& options) {
    TokenStream ts;
    preprocess_text(ts, std::string(text), name, ".", pp_options(options));
    return finish(ts, options);
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
