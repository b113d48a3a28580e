// Keywords as keepalived 2.2.7 runs them: what each one sets in the modules' configuration, and
// the loud warning for those Vigil does not implement.
#include "helpers.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace vigil::config {
namespace {

using namespace std::chrono_literals;
using test::all;
using test::find;
using test::load;

std::string instance(const std::string& body, const std::string& vip = "192.0.2.10") {
    return "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n priority 100\n"
           " virtual_ipaddress {\n  " +
           vip + "\n }\n" + body + "\n}\n";
}

TEST(Version, IPv6DefaultsToVrrpv3) {
    auto r = load(instance("", "fd00::10/64"));
    ASSERT_EQ(r.config.vrrp.instances.size(), 1u) << all(r);
    EXPECT_EQ(r.config.vrrp.instances[0].version, 3);
    EXPECT_TRUE(r.config.vrrp.instances[0].ipv6);
}

TEST(Version, GlobalVrrpVersionAppliesToIPv4Only) {
    auto r = load("global_defs {\n vrrp_version 2\n}\n" + instance("", "fd00::10/64"));
    EXPECT_EQ(r.config.vrrp.instances.at(0).version, 3) << all(r);
    r = load("global_defs {\n vrrp_version 3\n}\n" + instance(""));
    EXPECT_EQ(r.config.vrrp.instances.at(0).version, 3) << all(r);
    r = load(instance(""));
    EXPECT_EQ(r.config.vrrp.instances.at(0).version, 2) << all(r);
}

TEST(Version, InstanceVersionWins) {
    auto r = load(instance(" version 2", "fd00::10/64"));
    EXPECT_EQ(r.config.vrrp.instances.at(0).version, 2) << all(r);
}

TEST(NotifyUser, WordsAfterTheCommandAreUserAndGroup) {
    auto r =
        load(instance(" notify_master \"/bin/s a1 a2\" nobody nogroup\n"
                      " notify_backup /bin/b daemon\n"
                      " notify \"/bin/n\""));
    ASSERT_EQ(r.config.vrrp.instances.size(), 1u) << all(r);
    const auto& n = *r.config.vrrp.instances[0].notify;
    EXPECT_EQ(n.master.argv, (std::vector<std::string>{"/bin/s", "a1", "a2"}));
    EXPECT_EQ(n.master.user, "nobody");
    EXPECT_EQ(n.master.group, "nogroup");
    EXPECT_EQ(n.backup.argv, (std::vector<std::string>{"/bin/b"}));
    EXPECT_EQ(n.backup.user, "daemon");
    EXPECT_EQ(n.backup.group, "");
    EXPECT_EQ(n.generic.argv, (std::vector<std::string>{"/bin/n"}));
}

TEST(NotifyUser, RealServerAndQuorumScripts) {
    auto r = load(R"(virtual_server 192.0.2.1 80 {
  lb_algo rr
  protocol TCP
  quorum_up "/bin/up q" nobody
  quorum_down /bin/down daemon daemon
  real_server 192.0.2.2 80 {
    notify_up "/bin/rs up" nobody nogroup
    notify_down /bin/rsdown
  }
}
)");
    ASSERT_EQ(r.config.lvs.virtual_servers.size(), 1u) << all(r);
    const auto& vs = r.config.lvs.virtual_servers[0];
    ASSERT_TRUE(vs.quorum_up && vs.quorum_down);
    EXPECT_EQ(vs.quorum_up->argv, (std::vector<std::string>{"/bin/up", "q"}));
    EXPECT_EQ(vs.quorum_up->user, "nobody");
    EXPECT_EQ(vs.quorum_down->argv, (std::vector<std::string>{"/bin/down"}));
    EXPECT_EQ(vs.quorum_down->group, "daemon");
    ASSERT_EQ(vs.real_servers.size(), 1u);
    ASSERT_TRUE(vs.real_servers[0].notify_up);
    EXPECT_EQ(vs.real_servers[0].notify_up->argv, (std::vector<std::string>{"/bin/rs", "up"}));
    EXPECT_EQ(vs.real_servers[0].notify_up->user, "nobody");
    EXPECT_EQ(vs.real_servers[0].notify_up->group, "nogroup");
}

TEST(NotifyUser, AUserThisHostLacksDropsTheScript) {
    auto o = test::quiet();
    o.check_users = true;
    auto r = load(instance(" notify_master /bin/s no_such_user_here"), o);
    ASSERT_EQ(r.config.vrrp.instances.size(), 1u) << all(r);
    EXPECT_TRUE(r.config.vrrp.instances[0].notify->master.empty());
    const auto* d = find(r, "Script user 'no_such_user_here' does not exist");
    ASSERT_NE(d, nullptr) << all(r);
    EXPECT_EQ(d->severity, Severity::warning);
}

std::string sync_pair(const std::string& group_extra, const std::string& tracking) {
    return "vrrp_script chk {\n script /bin/true\n weight 20\n}\n"
           "vrrp_script chk0 {\n script /bin/true\n}\n"
           "vrrp_track_file tf {\n file /tmp/tf\n weight 5\n}\n"
           "vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n" +
           group_extra + "}\n" + instance(tracking) +
           "vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 8\n"
           " virtual_ipaddress {\n  192.0.2.11\n }\n}\n";
}

TEST(SyncGroup, MembersLoseTrackingWeights) {
    auto r = load(sync_pair("",
                            " track_script {\n  chk\n  chk0\n }\n track_interface {\n  eth1 "
                            "weight 10\n }\n track_file {\n  tf\n }"));
    ASSERT_EQ(r.config.vrrp.instances.size(), 2u) << all(r);
    const auto& in = r.config.vrrp.instances[0];
    ASSERT_EQ(in.track_scripts.size(), 1u) << all(r);
    EXPECT_EQ(in.track_scripts[0].name, "chk0");
    ASSERT_EQ(in.track_interfaces.size(), 1u);
    EXPECT_EQ(in.track_interfaces[0].weight, 0);
    ASSERT_EQ(in.track_files.size(), 1u);
    EXPECT_EQ(in.track_files[0].weight, 0);
    EXPECT_NE(find(r, "(VI_1) ignoring tracked script chk with weights due to SYNC group"), nullptr)
        << all(r);
    EXPECT_NE(find(r, "ignoring weights of tracked interface due to SYNC group"), nullptr);
}

TEST(SyncGroup, TrackingWeightKeepsThem) {
    for (const char* kw : {"sync_group_tracking_weight", "global_tracking"}) {
        auto r = load(sync_pair(std::string(" ") + kw + "\n",
                                " track_script {\n  chk\n }\n track_interface {\n  eth1 weight "
                                "10\n }"));
        ASSERT_EQ(r.config.vrrp.instances.size(), 2u) << all(r);
        const auto& in = r.config.vrrp.instances[0];
        ASSERT_EQ(in.track_scripts.size(), 1u) << kw << "\n" << all(r);
        EXPECT_EQ(in.track_interfaces.at(0).weight, 10) << kw;
        EXPECT_EQ(find(r, "due to SYNC group"), nullptr) << kw;
    }
}

TEST(Scripts, AnUnusedVrrpScriptIsNotRun) {
    auto r = load("vrrp_script lonely {\n script /bin/true\n}\n" + instance(""));
    EXPECT_TRUE(r.config.vrrp.scripts.empty());
    EXPECT_NE(find(r, "Warning - script lonely is not used"), nullptr) << all(r);
}

TEST(Unsupported, WarnsOncePerKeywordAndIsListed) {
    auto r = load("global_defs {\n enable_snmp_vrrp\n bfd_rt_priority 5\n enable_snmp_vrrp\n}\n");
    EXPECT_TRUE(r.ok()) << all(r);
    int warned = 0;
    for (const auto& d : r.diagnostics)
        if (d.message == "'enable_snmp_vrrp' is not supported by vigild; ignored") {
            ++warned;
            EXPECT_EQ(d.severity, Severity::warning);
            EXPECT_EQ(d.line, 2u);
            EXPECT_EQ(d.column, 2u);
        }
    EXPECT_EQ(warned, 1) << all(r);
    EXPECT_EQ(r.config.unsupported_keywords,
              (std::vector<std::string>{"enable_snmp_vrrp", "bfd_rt_priority"}));
    EXPECT_NE(
        format(r.diagnostics.front())
            .find("t.conf:2:2: warning: 'enable_snmp_vrrp' is not supported by vigild; ignored"),
        std::string::npos)
        << format(r.diagnostics.front());
}

TEST(Unsupported, BfdProcessKeywordsStayLoud) {
    auto r = load(
        "global_defs {\n bfd_priority -5\n}\nbfd_instance b {\n neighbor_ip "
        "192.0.2.3\n}\n" +
        instance(" track_bfd {\n  b\n }"));
    EXPECT_NE(find(r, "'bfd_priority' is not supported by vigild; ignored"), nullptr) << all(r);
    EXPECT_EQ(find(r, "'bfd_instance' is not supported"), nullptr) << all(r);
    EXPECT_EQ(find(r, "'track_bfd' is not supported"), nullptr) << all(r);
    EXPECT_EQ(r.config.unsupported_keywords, (std::vector<std::string>{"bfd_priority"}));
}

TEST(GlobalScripts, StartupAndShutdown) {
    auto r = load(R"(global_defs {
  startup_script "/bin/up now" nobody
  startup_script_timeout 3
  shutdown_script /bin/down
  shutdown_script_timeout 1000
}
)");
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& g = r.config.global;
    EXPECT_EQ(g.startup_script.argv, (std::vector<std::string>{"/bin/up", "now"}));
    EXPECT_EQ(g.startup_script.user, "nobody");
    EXPECT_EQ(g.startup_script.timeout, 3s);
    EXPECT_EQ(g.shutdown_script.argv, (std::vector<std::string>{"/bin/down"}));
    EXPECT_EQ(g.shutdown_script.timeout, 1000s);
    r = load("global_defs {\n startup_script_timeout 0\n}\n");
    EXPECT_FALSE(r.ok());
}

TEST(GlobalDefs, Umask) {
    auto r = load("global_defs {\n umask 077\n}\n");
    EXPECT_EQ(r.config.global.umask, 077u) << all(r);
    r = load("global_defs {\n umask 0x12\n}\n");
    EXPECT_EQ(r.config.global.umask, 0x12u) << all(r);
    r = load("global_defs {\n umask IWGRP|IWOTH|IROTH\n}\n");
    EXPECT_EQ(r.config.global.umask, 026u) << all(r);
    r = load("global_defs {\n umask IWXYZ\n}\n");
    EXPECT_FALSE(r.config.global.umask);
    EXPECT_NE(find(r, "umask: unknown bit 'IWXYZ'"), nullptr) << all(r);
}

TEST(GlobalDefs, NetNamespaceAndMailFilters) {
    auto r = load("global_defs {\n net_namespace blue\n no_email_faults\n no_checker_emails\n}\n");
    EXPECT_EQ(r.config.global.net_namespace, "blue");
    EXPECT_TRUE(r.config.global.no_email_faults);
    // Vigil mails only on pool changes, never per checker: what no_checker_emails asks for.
    EXPECT_TRUE(r.config.global.no_checker_emails);
    EXPECT_TRUE(r.config.unsupported_keywords.empty());
    r = load("net_namespace red\n");
    EXPECT_EQ(r.config.global.net_namespace, "red") << all(r);
}

TEST(Source, RandomSeedRepeatsRandomValues) {
    const std::string text =
        "global_defs {\n random_seed 42\n router_id r${_RANDOM 1 1000000}\n}\n";
    auto a = load(text), b = load(text);
    EXPECT_EQ(a.config.global.router_id, b.config.global.router_id) << all(a);
    auto c = load("global_defs {\n random_seed 43\n router_id r${_RANDOM 1 1000000}\n}\n");
    EXPECT_NE(a.config.global.router_id, c.config.global.router_id);
}

TEST(Source, IncludeVariants) {
    char dir[] = "/tmp/vigil-inc-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    const std::string inc = std::string(dir) + "/part.conf";
    std::ofstream(inc) << "global_defs {\n router_id from_include\n}\n";
    for (const char* kw : {"include", "includer", "includem", "includew", "includeb", "includea"}) {
        auto r = load(std::string(kw) + " " + inc + "\n");
        EXPECT_EQ(r.config.global.router_id, "from_include") << kw << "\n" << all(r);
    }
    auto r = load("includea " + std::string(dir) + "/none*.conf\n");
    EXPECT_FALSE(r.ok());
    ::unlink(inc.c_str());
    ::rmdir(dir);
}

TEST(LvsKeywords, IpFamilyAndRealServerVirtualhost) {
    auto r = load(R"(virtual_server fwmark 3 {
  lb_algo rr
  ip_family inet6
  real_server fd00::2 80 {
    virtualhost rs.example
    HTTP_GET {
      url {
        path /
      }
    }
  }
}
)");
    ASSERT_EQ(r.config.lvs.virtual_servers.size(), 1u) << all(r);
    EXPECT_TRUE(r.config.lvs.virtual_servers[0].keys.at(0).ipv6);
    ASSERT_EQ(r.config.checks.size(), 1u);
    const auto* h = std::get_if<checkers::HttpCheck>(&r.config.checks[0].check.kind);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->virtualhost, "rs.example");
}

// Keywords whose effect is tested in the module (vrrp/checkers tests drive these fields).
TEST(InstanceKeywords, ReachTheInstance) {
    auto r = load(instance(R"( mcast_src_ip 192.0.2.1
 mcast_dst_ip 224.0.0.19
 unicast_ttl 7
 strict_mode
 no_accept
 dont_track_primary
 notify_master_rx_lower_pri /bin/lower
 garp_master_delay 2
 garp_master_repeat 3
 garp_master_refresh 30
 garp_master_refresh_repeat 2
 garp_lower_prio_delay 4
 garp_lower_prio_repeat 6
 garp_interval 0.01
 gna_interval 0.02)"));
    ASSERT_EQ(r.config.vrrp.instances.size(), 1u) << all(r);
    const auto& in = r.config.vrrp.instances[0];
    EXPECT_EQ(in.mcast_src->to_string(), "192.0.2.1");
    EXPECT_EQ(in.mcast_group->to_string(), "224.0.0.19");
    EXPECT_EQ(in.unicast_ttl, 7);
    EXPECT_TRUE(in.strict);
    EXPECT_FALSE(in.accept);
    EXPECT_TRUE(in.dont_track_primary);
    EXPECT_EQ(in.notify->master_rx_lower_pri.argv, (std::vector<std::string>{"/bin/lower"}));
    EXPECT_EQ(in.garp.master_delay, 2s);
    EXPECT_EQ(in.garp.master_repeat, 3u);
    EXPECT_EQ(in.garp.master_refresh, 30s);
    EXPECT_EQ(in.garp.master_refresh_repeat, 2u);
    EXPECT_EQ(in.garp.lower_prio_delay, 4s);
    EXPECT_EQ(in.garp.lower_prio_repeat, 6u);
    EXPECT_EQ(in.garp.interval, 10ms);
    EXPECT_EQ(in.garp.na_interval, 20ms);
}

TEST(InstanceKeywords, GlobalDefaults) {
    auto r = load(R"(global_defs {
  vrrp_garp_master_refresh 40
  vrrp_garp_master_refresh_repeat 3
  vrrp_garp_lower_prio_delay 7
  vrrp_garp_lower_prio_repeat 8
  vrrp_gna_interval 0.03
  vrrp_mcast_group6 ff02::13
  vrrp_skip_check_adv_addr
  vrrp_startup_delay 2.5
  smtp_alert_vrrp true
  smtp_helo_name helo.example
}
)" + instance("", "fd00::10/64"));
    ASSERT_EQ(r.config.vrrp.instances.size(), 1u) << all(r);
    const auto& in = r.config.vrrp.instances[0];
    EXPECT_EQ(in.garp.master_refresh, 40s);
    EXPECT_EQ(in.garp.master_refresh_repeat, 3u);
    EXPECT_EQ(in.garp.lower_prio_delay, 7s);
    EXPECT_EQ(in.garp.lower_prio_repeat, 8u);
    EXPECT_EQ(in.garp.na_interval, 30ms);
    EXPECT_EQ(in.mcast_group->to_string(), "ff02::13");
    EXPECT_TRUE(in.skip_check_adv_addr);
    EXPECT_EQ(r.config.vrrp.startup_delay, 2500ms);
    EXPECT_TRUE(in.smtp_alert);
    EXPECT_EQ(r.config.global.smtp_helo_name, "helo.example");
}

TEST(ScriptKeywords, InitFailAndInitFile) {
    auto r = load(
        "vrrp_script s {\n script /bin/true\n init_fail\n}\n"
        "vrrp_track_file f {\n file /tmp/f\n init_file 3\n}\n" +
        instance(" track_script {\n  s\n }\n track_file {\n  f\n }"));
    ASSERT_EQ(r.config.vrrp.scripts.size(), 1u) << all(r);
    EXPECT_TRUE(r.config.vrrp.scripts[0].init_fail);
    ASSERT_EQ(r.config.vrrp.track_files.size(), 1u);
    EXPECT_EQ(r.config.vrrp.track_files[0].init_file, 3);
}

TEST(CheckKeywords, BindAndProtocol) {
    auto r = load(R"(virtual_server 192.0.2.1 80 {
  lb_algo rr
  protocol TCP
  real_server 192.0.2.2 80 {
    HTTP_GET {
      url {
        path /
      }
      bindto 192.0.2.100
      bind_port 4000
      bind_if eth0
      http_protocol 1.1
    }
  }
}
)");
    ASSERT_EQ(r.config.checks.size(), 1u) << all(r);
    const auto& cc = r.config.checks[0].check;
    EXPECT_EQ(cc.bind_to->to_string(), "192.0.2.100");
    EXPECT_EQ(cc.bind_port, 4000);
    EXPECT_EQ(cc.bind_if, "eth0");
    EXPECT_EQ(std::get<checkers::HttpCheck>(cc.kind).http_protocol, "1.1");
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

// alpha on the virtual or real server starts its checkers down, so the server joins the pool
// only after a first success; a checker's own alpha wins.
TEST(LvsKeywords, AlphaReachesTheCheckers) {
    auto r = test::load(R"(virtual_server 192.0.2.1 80 {
  lb_algo rr
  protocol TCP
  alpha
  real_server 192.0.2.2 80 {
    TCP_CHECK {
    }
  }
  real_server 192.0.2.3 80 {
    TCP_CHECK {
      alpha false
    }
  }
}
virtual_server 192.0.2.1 81 {
  lb_algo rr
  protocol TCP
  real_server 192.0.2.4 81 {
    alpha
    TCP_CHECK {
    }
  }
  real_server 192.0.2.5 81 {
    TCP_CHECK {
    }
  }
}
)");
    ASSERT_EQ(r.config.checks.size(), 4u) << test::all(r);
    EXPECT_TRUE(r.config.checks[0].check.alpha);
    EXPECT_FALSE(r.config.checks[1].check.alpha);
    EXPECT_TRUE(r.config.checks[2].check.alpha);
    EXPECT_FALSE(r.config.checks[3].check.alpha);
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

// The three FIFO scripts share one parser; the FIFO lines are tested in test_notify_fifo.py.
TEST(FifoKeywords, EachScriptKeepsItsCommandAndUser) {
    auto r = test::load(R"(global_defs {
  vrrp_notify_fifo /run/v.fifo
  vrrp_notify_fifo_script "/bin/vr a" nobody
  lvs_notify_fifo /run/l.fifo
  lvs_notify_fifo_script /bin/lv daemon daemon
}
)");
    EXPECT_TRUE(r.ok()) << test::all(r);
    const auto& g = r.config.global;
    EXPECT_EQ(g.vrrp_notify_fifo.script, (std::vector<std::string>{"/bin/vr", "a"}));
    EXPECT_EQ(g.vrrp_notify_fifo.script_user, "nobody");
    EXPECT_EQ(g.lvs_notify_fifo.path, "/run/l.fifo");
    EXPECT_EQ(g.lvs_notify_fifo.script, (std::vector<std::string>{"/bin/lv"}));
    EXPECT_EQ(g.lvs_notify_fifo.script_group, "daemon");
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

// The FSM tests (tests/unit/vrrp/test_fsm.cpp) show what each of these does.
TEST(InstanceKeywords, AdvertPolicies) {
    auto own = test::load(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n down_timer_adverts 5\n"
        " lower_prio_no_advert\n higher_prio_send_advert true\n virtual_ipaddress {\n"
        "  192.0.2.10\n }\n}\n");
    ASSERT_EQ(own.config.vrrp.instances.size(), 1u) << test::all(own);
    EXPECT_EQ(own.config.vrrp.instances[0].down_timer_adverts, 5);
    EXPECT_TRUE(own.config.vrrp.instances[0].lower_prio_no_advert);
    EXPECT_TRUE(own.config.vrrp.instances[0].higher_prio_send_advert);
    auto global = test::load(
        "global_defs {\n vrrp_down_timer_adverts 4\n vrrp_lower_prio_no_advert false\n"
        " vrrp_higher_prio_send_advert\n vrrp_strict\n}\n"
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {\n"
        "  192.0.2.10\n }\n}\n");
    ASSERT_EQ(global.config.vrrp.instances.size(), 1u) << test::all(global);
    EXPECT_EQ(global.config.vrrp.instances[0].down_timer_adverts, 4);
    EXPECT_FALSE(global.config.vrrp.instances[0].lower_prio_no_advert);
    EXPECT_TRUE(global.config.vrrp.instances[0].higher_prio_send_advert);
    // Under strict mode a master keeps to the RFC by default.
    auto strict = test::load(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n strict_mode\n"
        " virtual_ipaddress {\n  192.0.2.10\n }\n}\n");
    ASSERT_EQ(strict.config.vrrp.instances.size(), 1u) << test::all(strict);
    EXPECT_TRUE(strict.config.vrrp.instances[0].lower_prio_no_advert);
    EXPECT_EQ(strict.config.vrrp.instances[0].down_timer_adverts, 3);
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

// The engine names an instance's macvlan vmac_name (tests/unit/vrrp/engine_test.py).
TEST(InstanceKeywords, VmacPrefixNamesGeneratedVmacs) {
    auto r = test::load(
        "global_defs {\n vmac_prefix vx\n}\n"
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n use_vmac\n"
        " virtual_ipaddress {\n  192.0.2.10\n }\n}\n"
        "vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 52\n use_vmac own.52\n"
        " virtual_ipaddress {\n  192.0.2.11\n }\n}\n");
    ASSERT_EQ(r.config.vrrp.instances.size(), 2u) << test::all(r);
    EXPECT_EQ(r.config.vrrp.instances[0].vmac_name, "vx.51");
    EXPECT_EQ(r.config.vrrp.instances[1].vmac_name, "own.52");
    EXPECT_FALSE(test::load("global_defs {\n vmac_prefix twelve_chars\n}\n").ok());
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

const char* kSyncInstance =
    "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n"
    " virtual_ipaddress {\n  192.0.2.10\n }\n}\n";

TEST(LvsSyncDaemon, OptionsAndTheVridAsDefaultSyncId) {
    auto r =
        test::load(std::string("global_defs {\n lvs_sync_daemon eth1 VI_1 maxlen 1400 port 8849 "
                               "ttl 2 group 224.0.0.90\n}\n") +
                   kSyncInstance);
    ASSERT_TRUE(r.ok()) << test::all(r);
    const auto& sd = r.config.global.lvs_sync_daemon;
    ASSERT_TRUE(sd);
    EXPECT_EQ(sd->instance, "VI_1");
    EXPECT_EQ(sd->daemon.interface, "eth1");
    EXPECT_EQ(sd->daemon.sync_id, 51u);
    EXPECT_EQ(sd->daemon.maxlen, 1400);
    EXPECT_EQ(sd->daemon.port, 8849);
    EXPECT_EQ(sd->daemon.ttl, 2);
    EXPECT_EQ(sd->daemon.group, boost::asio::ip::make_address("224.0.0.90"));
}

TEST(LvsSyncDaemon, IdKeywordAndTheOldPositionalSyncId) {
    auto r = test::load(std::string("global_defs {\n lvs_sync_daemon eth1 VI_1 id 7\n}\n") +
                        kSyncInstance);
    ASSERT_TRUE(r.ok()) << test::all(r);
    EXPECT_EQ(r.config.global.lvs_sync_daemon->daemon.sync_id, 7u);
    auto old =
        test::load(std::string("global_defs {\n lvs_sync_daemon eth1 VI_1 9\n}\n") + kSyncInstance);
    ASSERT_TRUE(old.ok()) << test::all(old);
    EXPECT_EQ(old.config.global.lvs_sync_daemon->daemon.sync_id, 9u);
    EXPECT_TRUE(test::find(old, "Please use keyword \"id\""));
}

TEST(LvsSyncDaemon, BadForms) {
    for (const char* bad :
         {"lvs_sync_daemon eth1", "lvs_sync_daemon eth1 VI_1 id 256",
          "lvs_sync_daemon eth1 VI_1 maxlen 0", "lvs_sync_daemon eth1 VI_1 port",
          "lvs_sync_daemon eth1 VI_1 group 10.0.0.1", "lvs_sync_daemon eth1 VI_1 colour red",
          "lvs_sync_daemon an_interface_name_too_long VI_1"}) {
        auto r = test::load(std::string("global_defs {\n ") + bad + "\n}\n" + kSyncInstance);
        EXPECT_FALSE(r.ok()) << bad;
        EXPECT_FALSE(r.config.global.lvs_sync_daemon) << bad;
    }
}

TEST(LvsSyncDaemon, UnknownInstanceDisablesIt) {
    auto r =
        test::load(std::string("global_defs {\n lvs_sync_daemon eth1 VI_9\n}\n") + kSyncInstance);
    EXPECT_TRUE(r.ok()) << test::all(r);
    EXPECT_FALSE(r.config.global.lvs_sync_daemon);
    EXPECT_TRUE(test::find(r, "VI_9 not found - disabling syncd"));
}

// Deprecated, and an error under -t as in keepalived, but it still runs the daemon.
TEST(LvsSyncDaemon, DeprecatedInstanceKeyword) {
    auto r = test::load(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n"
        " lvs_sync_daemon_interface eth1\n virtual_ipaddress {\n  192.0.2.10\n }\n}\n");
    EXPECT_TRUE(test::find(r, "deprecated"));
    ASSERT_TRUE(r.config.global.lvs_sync_daemon);
    EXPECT_EQ(r.config.global.lvs_sync_daemon->daemon.interface, "eth1");
    EXPECT_EQ(r.config.global.lvs_sync_daemon->instance, "VI_1");
    EXPECT_EQ(r.config.global.lvs_sync_daemon->daemon.sync_id, 51u);
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

// keepalived reads an IPv6 service's granularity as a prefix length, an IPv4 one as a netmask.
TEST(PersistenceGranularity, PrefixLengthForIpv6) {
    auto r = test::load(
        "virtual_server fd00::10 80 {\n lb_algo rr\n protocol TCP\n persistence_timeout 300\n"
        " persistence_granularity 64\n"
        " real_server fd00::11 80 {\n }\n}\n"
        "virtual_server 10.0.0.10 80 {\n lb_algo rr\n protocol TCP\n"
        " persistence_granularity 255.255.255.0\n"
        " real_server 10.0.0.11 80 {\n }\n}\n");
    ASSERT_TRUE(r.ok()) << test::all(r);
    ASSERT_EQ(r.config.lvs.virtual_servers.size(), 2u);
    EXPECT_EQ(r.config.lvs.virtual_servers[0].persistence_granularity,
              boost::asio::ip::make_address("ffff:ffff:ffff:ffff::"));
    EXPECT_EQ(r.config.lvs.virtual_servers[1].persistence_granularity,
              boost::asio::ip::make_address("255.255.255.0"));
    EXPECT_FALSE(
        test::load("virtual_server fd00::10 80 {\n persistence_granularity 129\n}\n").ok());
}

TEST(GlobalDefs, NotifyTimeout) {
    auto r = load("global_defs {\n router_id x\n}\n");
    EXPECT_EQ(r.config.global.notify_timeout, std::chrono::seconds(10)) << "the default";
    r = load("global_defs {\n notify_timeout 2.5\n}\n");
    EXPECT_EQ(r.config.global.notify_timeout, std::chrono::milliseconds(2500)) << all(r);
    EXPECT_TRUE(r.config.unsupported_keywords.empty());
    r = load("global_defs {\n notify_timeout 0\n}\n");
    EXPECT_EQ(r.config.global.notify_timeout, std::chrono::seconds(10));
    EXPECT_NE(find(r, "outside range"), nullptr) << all(r);
}

}  // namespace
}  // namespace vigil::config
