#include "snapshot_render.hpp"

#include "bfd_link.hpp"
#include "metrics.hpp"
#include "names.hpp"

namespace vigil {

using nlohmann::json;

namespace {

json notify_json(const std::optional<NotifyScriptsView>& n) {
    if (!n) return json::object();
    return {{"running", n->running},   {"waiting", n->waiting},     {"queued", n->queued},
            {"finished", n->finished}, {"timed_out", n->timed_out}, {"abandoned", n->abandoned},
            {"dropped", n->dropped},   {"refused", n->refused}};
}

json instance_json(const InstanceView& v) {
    const auto& i = v.status;
    return {{"name", i.name},
            {"group", i.group},
            {"interface", i.interface},
            {"vrid", i.vrid},
            {"version", i.version},
            {"state", upper(vrrp::to_string(i.state))},
            {"priority", i.base_priority},
            {"effective_priority", i.effective_priority},
            {"maintenance", i.maintenance},
            {"last_cause", i.last_cause},
            {"tracking", i.tracking},
            {"master", i.master ? i.master->to_string() : ""},
            {"last_transition_s_ago", v.since_transition_s},
            {"vips", v.vips},
            {"adverts_sent", i.adverts_sent},
            {"adverts_received", i.adverts_received},
            {"became_master", i.became_master},
            {"released_master", i.released_master},
            {"priority_zero_sent", i.priority_zero_sent},
            {"priority_zero_received", i.priority_zero_received},
            {"drops", i.drops},
            {"errors", i.errors}};
}

json check_json(const CheckView& c) {
    if (c.bfd)
        return {{"type", "BFD_CHECK"},
                {"name", c.name},
                {"state", c.state ? json(*c.state) : json(nullptr)},
                {"up", c.up}};
    return {{"up", c.up},
            {"last", c.last},
            {"latency_us", c.latency_us},
            {"probes", c.probes},
            {"suspended", c.suspended}};
}

}  // namespace

std::string real_server_why(const RealServerView& rs, bool sorry_active) {
    if (rs.admin == ipvs::Admin::disabled) return "disabled by the operator";
    if (rs.admin == ipvs::Admin::draining) return "draining";
    if (!rs.alive) return "checks failing";
    if (sorry_active) return "sorry server in use";
    if (rs.weight_now < 0) return "not applied yet";
    return "checks passing";
}

namespace {

json virtual_server_json(const VirtualServerView& vs) {
    json rss = json::array();
    for (const auto& rs : vs.real_servers) {
        json checks = json::array();
        for (const auto& c : rs.checks) checks.push_back(check_json(c));
        json r = {{"address", rs.address},
                  {"alive", rs.alive},
                  {"weight", rs.weight},
                  {"weight_now", rs.weight_now},
                  {"in_pool", rs.weight_now > 0},
                  {"admin", ipvs::to_string(rs.admin)},
                  {"why", real_server_why(rs, vs.sorry_active)}};
        r["checks"] = std::move(checks);  // moved, not copied through an initializer
        rss.push_back(std::move(r));
    }
    json v = {{"name", vs.name}, {"quorum_up", vs.quorum_up}, {"sorry_active", vs.sorry_active}};
    v["real_servers"] = std::move(rss);
    return v;
}

}  // namespace

std::string status_text(const Snapshot& s) {
    json j;
    const auto& d = s.daemon;
    j["daemon"] = {{"pid", d.pid},
                   {"config_file", d.config_file},
                   {"uptime_s", d.uptime_s},
                   {"reloads", d.reloads},
                   {"reloads_refused", d.reloads_refused},
                   {"scripts_running", d.scripts_running},
                   {"notify_scripts", notify_json(d.notify_scripts)},
                   {"unsupported_keywords", d.unsupported_keywords},
                   {"handler_failures", d.handler_failures},
                   {"rss_kib", d.rss_kib},
                   {"anon_kib", d.anon_kib}};
    json inst = json::array();
    for (const auto& i : s.instances) inst.push_back(instance_json(i));
    json procs = json::array();
    for (const auto& p : s.track_processes)
        procs.push_back({{"name", p.name}, {"running", p.running}, {"quorum", p.quorum}});
    j["vrrp"] = {{"drops", s.vrrp_drops.empty() ? json::object() : json(s.vrrp_drops)}};
    j["vrrp"]["instances"] = std::move(inst);
    j["vrrp"]["track_processes"] = std::move(procs);

    if (s.data_plane) {
        const auto& dp = *s.data_plane;
        json ov = json::array();
        for (const auto& o : dp.overrides) {
            json e{{"vs", o.override.vs},
                   {"rs", o.override.rs},
                   {"admin", ipvs::to_string(o.override.admin)},
                   {"connections", o.override.connections}};
            if (o.deadline_s) e["deadline_s"] = *o.deadline_s;
            ov.push_back(e);
        }
        j["data_plane"] = {{"backend", dp.backend},
                           {"overrides", ov},
                           {"drains_completed", dp.counters.drains_completed},
                           {"drains_timed_out", dp.counters.drains_timed_out},
                           {"overrides_dropped", dp.counters.overrides_dropped},
                           {"running", dp.running},
                           {"applies", dp.counters.applies},
                           {"apply_failures", dp.counters.apply_failures},
                           {"open_failures", dp.counters.open_failures},
                           {"refusals", dp.counters.refusals},
                           {"kernel_reads", dp.counters.kernel_reads},
                           {"refused", dp.refused},
                           {"last_error", dp.last_error}};
    }
    // Rendered one at a time into the text: at 50,000 real servers a tree of the whole list
    // would hold a hundred megabytes for the time of a request. Its place (keys come sorted)
    // is held by a null, which no string of the document can spell unescaped.
    j["virtual_servers"] = nullptr;
    json groups = json::array();
    for (const auto& g : s.sync_groups)
        groups.push_back({{"name", g.name}, {"state", g.state}, {"instances", g.instances}});
    j["sync_groups"] = std::move(groups);
    if (s.lvs_sync) {
        const auto& ls = *s.lvs_sync;
        json roles = json::array();
        for (auto r : {ipvs::sync_master, ipvs::sync_backup})
            if (ls.running & r) roles.push_back(ipvs::to_string(r));
        j["lvs_sync_daemon"] = {
            {"configured", ls.configured}, {"interface", ls.interface},  {"instance", ls.instance},
            {"sync_id", ls.sync_id},       {"running", roles},           {"changes", ls.changes},
            {"failures", ls.failures},     {"last_error", ls.last_error}};
    }
    json fj = json::array();
    for (const auto& f : s.fifos) {
        const auto& c = f.counters;
        fj.push_back(
            {{"kind", f.kind},
             {"path", f.path},
             {"connected", f.connected},
             {"script_pid", f.script_pid},
             {"lines_queued", c.lines_queued},
             {"bytes_written", c.bytes_written},
             {"opens", c.opens},
             {"open_errors", c.open_errors},
             {"write_errors", c.write_errors},
             {"dropped",
              {{"queue_full", c.dropped_queue_full}, {"no_reader", c.dropped_no_reader}}}});
    }
    j["notify_fifos"] = std::move(fj);
    if (s.bfd) j["bfd"] = *s.bfd;
    std::string out = j.dump();
    std::string list = "[";
    for (const auto& vs : s.virtual_servers) {
        if (list.size() > 1) list += ',';
        list += virtual_server_json(vs).dump();
    }
    list += ']';
    static constexpr std::string_view kKey = "\"virtual_servers\":", kNull = "null";
    const auto at = out.find(std::string(kKey) + std::string(kNull)) + kKey.size();
    out.replace(at, kNull.size(), list);
    return out;
}

json status_document(const Snapshot& s) {
    return json::parse(status_text(s));
}

std::string metrics_document(const Snapshot& s) {
    MetricsText m;
    const auto n = [](auto v) { return static_cast<double>(v); };
    m.family("vigil_up", "gauge", "1 while the daemon runs");
    m.sample("vigil_up", "", 1);
    m.family("vigil_reloads_total", "counter", "configuration reloads, by outcome");
    m.sample("vigil_reloads_total", MetricsText::label("outcome", "applied"),
             n(s.daemon.reloads - s.daemon.reloads_refused));
    m.sample("vigil_reloads_total", MetricsText::label("outcome", "refused"),
             n(s.daemon.reloads_refused));
    m.family("vigil_vrrp_state", "gauge", "1 for the state each instance is in");
    m.family("vigil_vrrp_priority", "gauge", "effective priority");
    m.family("vigil_vrrp_adverts_sent_total", "counter", "adverts sent");
    m.family("vigil_vrrp_adverts_received_total", "counter", "adverts accepted");
    m.family("vigil_vrrp_drops_total", "counter", "received adverts dropped, by reason");
    // VRID and interface apart from the state: alerts join on them (two masters, one VRID).
    m.family("vigil_vrrp_instance_info", "gauge", "1 for each instance, with its VRID");
    for (const auto& v : s.instances) {
        const auto& i = v.status;
        // "instance" is Prometheus's own label (the scraped target).
        const std::string in = MetricsText::label("vrrp_instance", i.name);
        m.sample("vigil_vrrp_instance_info",
                 in + "," + MetricsText::label("vrid", std::to_string(i.vrid)) + "," +
                     MetricsText::label("interface", i.interface),
                 1);
        const std::string state = upper(vrrp::to_string(i.state));
        for (const char* st : {"INIT", "BACKUP", "MASTER", "FAULT", "STOP"})
            m.sample("vigil_vrrp_state", in + "," + MetricsText::label("state", st),
                     state == st ? 1 : 0);
        m.sample("vigil_vrrp_priority", in, i.effective_priority);
        m.sample("vigil_vrrp_adverts_sent_total", in, n(i.adverts_sent));
        m.sample("vigil_vrrp_adverts_received_total", in, n(i.adverts_received));
        for (const auto& [reason, count] : i.drops)
            m.sample("vigil_vrrp_drops_total", in + "," + MetricsText::label("reason", reason),
                     n(count));
    }
    for (const auto& [reason, count] : s.vrrp_drops)
        m.sample(
            "vigil_vrrp_drops_total",
            MetricsText::label("vrrp_instance", "") + "," + MetricsText::label("reason", reason),
            n(count));
    m.family("vigil_lb_apply_failures_total", "counter",
             "load-balancing tables the data plane could not apply or open");
    m.family("vigil_lb_refusals_total", "counter",
             "services and destinations the kernel refused, each counted once");
    m.family("vigil_lb_refused", "gauge", "operations the kernel refuses now");
    if (s.data_plane) {
        const auto& dp = *s.data_plane;
        m.sample("vigil_lb_apply_failures_total", "",
                 n(dp.counters.apply_failures + dp.counters.open_failures));
        m.sample("vigil_lb_refusals_total", "", n(dp.counters.refusals));
        m.sample("vigil_lb_refused", "", n(dp.refused.size()));
    }
    m.family("vigil_lvs_sync_daemon_running", "gauge",
             "1 while the kernel runs this IPVS sync daemon for vigild");
    m.family("vigil_lvs_sync_daemon_failures_total", "counter",
             "sync daemon starts and stops that failed");
    if (s.lvs_sync) {
        for (auto role : {ipvs::sync_master, ipvs::sync_backup})
            m.sample("vigil_lvs_sync_daemon_running",
                     MetricsText::label("role", std::string(ipvs::to_string(role))),
                     (s.lvs_sync->running & role) ? 1 : 0);
        m.sample("vigil_lvs_sync_daemon_failures_total", "", n(s.lvs_sync->failures));
    }
    m.family("vigil_real_server_up", "gauge", "1 while the real server is in the pool");
    m.family("vigil_virtual_server_quorum", "gauge", "1 while quorum is met");
    for (const auto& vs : s.virtual_servers) {
        const std::string vl = MetricsText::label("vs", vs.name);
        m.sample("vigil_virtual_server_quorum", vl, vs.quorum_up ? 1 : 0);
        for (const auto& rs : vs.real_servers)
            m.sample("vigil_real_server_up", vl + "," + MetricsText::label("rs", rs.address),
                     rs.alive ? 1 : 0);
    }
    m.family("vigil_notify_scripts_failed_total", "counter",
             "notify scripts killed at notify_timeout, never reaped, dropped at shutdown, or "
             "refused by a full queue");
    if (const auto& ns = s.daemon.notify_scripts) {
        m.sample("vigil_notify_scripts_failed_total", MetricsText::label("reason", "timed_out"),
                 n(ns->timed_out));
        m.sample("vigil_notify_scripts_failed_total", MetricsText::label("reason", "abandoned"),
                 n(ns->abandoned));
        m.sample("vigil_notify_scripts_failed_total", MetricsText::label("reason", "dropped"),
                 n(ns->dropped));
        m.sample("vigil_notify_scripts_failed_total", MetricsText::label("reason", "refused"),
                 n(ns->refused));
    }
    BfdLink::metrics(m, s.bfd ? *s.bfd : json::object());
    m.family("vigil_notify_fifo_lines_total", "counter", "lines queued for a notify FIFO");
    m.family("vigil_notify_fifo_dropped_total", "counter", "notify FIFO lines dropped, by reason");
    m.family("vigil_notify_fifo_connected", "gauge", "1 while a reader has the FIFO open");
    for (const auto& f : s.fifos) {
        const std::string fl = MetricsText::label("fifo", f.kind);
        m.sample("vigil_notify_fifo_lines_total", fl, n(f.counters.lines_queued));
        m.sample("vigil_notify_fifo_dropped_total",
                 fl + "," + MetricsText::label("reason", "queue_full"),
                 n(f.counters.dropped_queue_full));
        m.sample("vigil_notify_fifo_dropped_total",
                 fl + "," + MetricsText::label("reason", "no_reader"),
                 n(f.counters.dropped_no_reader));
        m.sample("vigil_notify_fifo_connected", fl, f.connected ? 1 : 0);
    }
    return m.text();
}

}  // namespace vigil
