#include "helpers.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace vigil::config {
namespace {

using namespace std::chrono_literals;
using test::all;
using test::load;

TEST(GlobalDefs, Values) {
    auto r = load(R"(global_defs {
  router_id lb1
  notification_email {
    a@example.com
    b@example.com
  }
  notification_email_from lb@example.com
  smtp_server 192.0.2.25 2525
  smtp_connect_timeout 10
  script_user nobody nogroup
  enable_script_security
  vrrp_version 3
  vrrp_garp_master_delay 2
  vrrp_garp_master_repeat 3
  vrrp_mcast_group4 224.0.0.19
  lvs_backend nftables
  lvs_timeouts tcp 900 udp 120
  metrics_listen 127.0.0.1:9650
  status_socket /run/vigil.sock
}
)");
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& g = r.config.global;
    EXPECT_EQ(g.router_id, "lb1");
    EXPECT_EQ(g.notification_email, (std::vector<std::string>{"a@example.com", "b@example.com"}));
    ASSERT_TRUE(g.smtp_server);
    EXPECT_EQ(g.smtp_server->to_string(), "192.0.2.25");
    EXPECT_EQ(g.smtp_port, 2525);
    EXPECT_EQ(g.smtp_connect_timeout, 10s);
    EXPECT_EQ(g.script_user, "nobody");
    EXPECT_EQ(g.script_group, "nogroup");
    EXPECT_TRUE(g.enable_script_security);
    EXPECT_EQ(g.vrrp_version, 3);
    EXPECT_EQ(r.config.lvs.backend, ipvs::Backend::nftables);
    ASSERT_TRUE(r.config.lvs.timeouts);
    EXPECT_EQ(*r.config.lvs.timeouts, (ipvs::Timeouts{900, 0, 120}));
    EXPECT_EQ(g.metrics_listen, "127.0.0.1:9650");
    EXPECT_EQ(g.status_socket, "/run/vigil.sock");
}

const char* kInstance = R"(
global_defs {
  vrrp_garp_master_delay 7
  vrrp_mcast_group4 224.0.0.19
}
vrrp_script chk {
  script "/bin/true arg"
  interval 2
  weight -20
  fall 2
  rise 3
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  notify_master "/bin/true sg"
  sync_group_tracking_weight
}
vrrp_instance VI_1 {
  state MASTER
  interface lo
  virtual_router_id 51
  priority 150
  advert_int 2
  preempt_delay 5
  authentication {
    auth_type PASS
    auth_pass secret
  }
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
    192.0.2.3
  }
  virtual_ipaddress {
    192.0.2.100/24 brd 192.0.2.255 dev lo label lo:1 scope global
    192.0.2.101 no_track
  }
  virtual_ipaddress_excluded {
    192.0.2.200
  }
  virtual_routes {
    198.51.100.0/24 via 192.0.2.254 dev lo metric 10 table 5
  }
  track_interface {
    eth1 weight 10
  }
  track_script {
    chk weight 5
  }
  notify_master "/bin/echo master"
  notify_backup /bin/echo backup
  garp_master_repeat 2
  use_vmac vrrp51
  smtp_alert
}
vrrp_instance VI_2 {
  interface eth1
  virtual_router_id 52
  virtual_ipaddress {
    192.0.2.150
  }
}
)";

TEST(VrrpInstance, AllFields) {
    auto r = load(kInstance);
    EXPECT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.config.vrrp.instances.size(), 2u);
    const auto& in = r.config.vrrp.instances[0];
    EXPECT_EQ(in.name, "VI_1");
    EXPECT_EQ(in.state, vrrp::InstanceConfig::InitialState::master);
    EXPECT_EQ(in.interface, "lo");
    EXPECT_EQ(in.vrid, 51);
    EXPECT_EQ(in.priority, 150);
    EXPECT_EQ(in.advert_interval, 2s);
    EXPECT_EQ(in.version, 2);
    EXPECT_EQ(in.preempt_delay, 5s);
    EXPECT_EQ(in.auth, vrrp::InstanceConfig::Auth::pass);
    EXPECT_EQ(in.auth_pass, "secret");
    ASSERT_TRUE(in.unicast_src);
    EXPECT_EQ(in.unicast_peers.size(), 2u);
    ASSERT_EQ(in.vips.size(), 2u);
    EXPECT_EQ(in.vips[0].address.to_string(), "192.0.2.100");
    EXPECT_EQ(in.vips[0].prefix_len, 24);
    EXPECT_EQ(in.vips[0].broadcast->to_string(), "192.0.2.255");
    EXPECT_EQ(in.vips[0].label, "lo:1");
    EXPECT_EQ(in.vips[0].scope, "global");
    EXPECT_EQ(in.vips[1].prefix_len, 32);
    EXPECT_TRUE(in.vips[1].no_track);
    EXPECT_EQ(in.excluded_vips.size(), 1u);
    ASSERT_EQ(in.routes.size(), 1u);
    EXPECT_EQ(in.routes[0].gateway->to_string(), "192.0.2.254");
    EXPECT_EQ(*in.routes[0].metric, 10u);
    EXPECT_EQ(*in.routes[0].table, 5u);
    ASSERT_EQ(in.track_interfaces.size(), 1u);
    EXPECT_EQ(in.track_interfaces[0].weight, 10);
    ASSERT_EQ(in.track_scripts.size(), 1u);
    EXPECT_EQ(*in.track_scripts[0].weight, 5);
    EXPECT_EQ(in.notify->master.argv, (std::vector<std::string>{"/bin/echo", "master"}));
    // Unquoted, the word after the command is the user to run it as (keepalived).
    EXPECT_EQ(in.notify->backup.argv, (std::vector<std::string>{"/bin/echo"}));
    EXPECT_EQ(in.notify->backup.user, "backup");
    // Global defaults applied; the instance's own value wins.
    EXPECT_EQ(in.garp.master_delay, 7s);
    EXPECT_EQ(in.garp.master_repeat, 2u);
    EXPECT_EQ(in.mcast_group->to_string(), "224.0.0.19");
    EXPECT_TRUE(in.use_vmac);
    EXPECT_EQ(in.vmac_name, "vrrp51");
    EXPECT_TRUE(in.smtp_alert);
    EXPECT_EQ(in.sync_group, "G1");

    ASSERT_EQ(r.config.vrrp.scripts.size(), 1u);
    const auto& s = r.config.vrrp.scripts[0];
    EXPECT_EQ(s.command.argv, (std::vector<std::string>{"/bin/true", "arg"}));
    EXPECT_EQ(s.interval, 2s);
    EXPECT_EQ(s.weight, -20);
    EXPECT_EQ(s.fall, 2);
    EXPECT_EQ(s.rise, 3);
    ASSERT_EQ(r.config.vrrp.sync_groups.size(), 1u);
    EXPECT_EQ(r.config.vrrp.sync_groups[0].instances, (std::vector<std::string>{"VI_1", "VI_2"}));
    EXPECT_EQ(r.config.vrrp.instances[1].sync_group, "G1");
}

TEST(VrrpInstance, AdvertRoundingByVersion) {
    const std::string vip = " virtual_ipaddress {\n  10.0.0.1\n }\n";
    auto v3 = load(
        "global_defs {\n vrrp_version 3\n}\nvrrp_instance A {\n interface lo\n "
        "virtual_router_id 1\n advert_int 0.456\n" +
        vip + "}\n");
    ASSERT_EQ(v3.config.vrrp.instances.size(), 1u);
    EXPECT_EQ(v3.config.vrrp.instances[0].version, 3);
    EXPECT_EQ(v3.config.vrrp.instances[0].advert_interval, 460ms);
    // keepalived's "-t" rejects a rounded interval; the daemon runs it.
    const auto* d = test::find(v3, "rounded to 460 ms");
    ASSERT_NE(d, nullptr) << all(v3);
    EXPECT_EQ(d->line, 7u);
    EXPECT_TRUE(v3.startable());

    auto v3ok = load(
        "vrrp_instance A {\n version 3\n interface lo\n virtual_router_id 1\n "
        "advert_int 0.4\n" +
        vip + "}\n");
    EXPECT_TRUE(v3ok.ok()) << all(v3ok);
    EXPECT_EQ(v3ok.config.vrrp.instances[0].advert_interval, 400ms);

    auto v2 = load("vrrp_instance A {\n interface lo\n virtual_router_id 1\n advert_int 0.4\n" +
                   vip + "}\n");
    EXPECT_EQ(v2.config.vrrp.instances[0].advert_interval, 1s);
    EXPECT_NE(test::find(v2, "must be an integer"), nullptr) << all(v2);
}

TEST(VrrpInstance, SyncGroupNamingUnknownInstance) {
    auto r = load("vrrp_sync_group G {\n group {\n  NOPE\n }\n}\n");
    auto* d = test::find(r, "NOPE");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->line, 3u);
}

TEST(VirtualServer, RealServersAndCheckers) {
    auto r = load(R"(virtual_server 192.0.2.10 80 {
  delay_loop 10
  lb_algo wrr
  lb_kind DR
  protocol TCP
  persistence_timeout 300
  persistence_granularity 255.255.255.0
  protocol TCP
  quorum 2
  hysteresis 1
  alpha
  omega
  virtualhost www.example.com
  sorry_server 192.0.2.99 8080
  real_server 192.0.2.11 8080 {
    weight 3
    inhibit_on_failure
    HTTP_GET {
      url {
        path /health
        digest 9b3a0c85a887a256d6939da88aabd8cd
        status_code 200-299 404
      }
      connect_timeout 3
      retry 2
      delay_before_retry 2
    }
    TCP_CHECK {
      connect_port 22
    }
  }
  real_server 192.0.2.12 8080 {
    MISC_CHECK {
      misc_path "/bin/true x"
      misc_timeout 5
      misc_dynamic
    }
  }
}
)");
    EXPECT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.config.lvs.virtual_servers.size(), 1u);
    const auto& vs = r.config.lvs.virtual_servers[0];
    EXPECT_EQ(vs.keys.at(0).address->to_string(), "192.0.2.10");
    EXPECT_EQ(vs.keys[0].port, 80);
    EXPECT_EQ(vs.scheduler, "wrr");
    EXPECT_EQ(vs.forwarding, ipvs::Forwarding::dr);
    EXPECT_EQ(vs.persistence_timeout, 300s);
    EXPECT_EQ(vs.quorum, 2u);
    EXPECT_EQ(vs.hysteresis, 1u);
    EXPECT_TRUE(vs.alpha);
    EXPECT_TRUE(vs.omega);
    ASSERT_TRUE(vs.sorry_server);
    EXPECT_EQ(vs.sorry_server->port, 8080);
    ASSERT_EQ(vs.real_servers.size(), 2u);
    EXPECT_EQ(vs.real_servers[0].weight, 3);
    EXPECT_EQ(vs.real_servers[0].checker_count, 2u);
    ASSERT_EQ(r.config.checks.size(), 3u);
    const auto& http = r.config.checks[0];
    EXPECT_EQ(http.real_server, 0u);
    EXPECT_EQ(http.check.target.to_string(), "192.0.2.11");
    EXPECT_EQ(http.check.target_port, 8080);
    EXPECT_EQ(http.check.delay_loop, 10s);  // from the virtual server
    EXPECT_EQ(http.check.connect_timeout, 3s);
    EXPECT_EQ(http.check.retry, 2u);
    const auto& h = std::get<checkers::HttpCheck>(http.check.kind);
    ASSERT_EQ(h.urls.size(), 1u);
    EXPECT_EQ(h.urls[0].path, "/health");
    ASSERT_TRUE(h.urls[0].digest);
    EXPECT_EQ((*h.urls[0].digest)[0], 0x9b);
    ASSERT_EQ(h.urls[0].status_codes.size(), 2u);
    EXPECT_EQ(h.urls[0].status_codes[0].low, 200);
    EXPECT_EQ(h.urls[0].status_codes[0].high, 299);
    EXPECT_EQ(h.urls[0].status_codes[1].low, 404);
    EXPECT_EQ(h.virtualhost, "www.example.com");
    EXPECT_EQ(*r.config.checks[1].check.connect_port, 22);
    const auto& m = std::get<checkers::MiscCheck>(r.config.checks[2].check.kind);
    EXPECT_EQ(m.command.argv, (std::vector<std::string>{"/bin/true", "x"}));
    EXPECT_EQ(m.timeout, 5s);
    EXPECT_TRUE(m.dynamic);
    EXPECT_EQ(r.config.checks[2].check.retry, 0u);  // MISC_CHECK default
}

TEST(VirtualServer, GroupsAndFwmark) {
    auto r = load(R"(virtual_server_group G {
  192.0.2.1-3 80
  2001:db8::1 80
  fwmark 7
}
virtual_server group G {
  protocol TCP
  lvs_sched rr
  lvs_method TUN
  real_server 192.0.2.50 80 {
  }
}
virtual_server fwmark 9 {
  lb_algo rr
  persistence_timeout
  real_server 192.0.2.51 {
  }
}
)");
    EXPECT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.config.lvs.virtual_servers.size(), 2u);
    const auto& g = r.config.lvs.virtual_servers[0];
    EXPECT_EQ(g.group, "G");
    ASSERT_EQ(g.keys.size(), 5u);
    EXPECT_EQ(g.keys[2].address->to_string(), "192.0.2.3");
    EXPECT_EQ(g.keys[4].fwmark, 7u);
    EXPECT_EQ(g.forwarding, ipvs::Forwarding::tun);
    const auto& f = r.config.lvs.virtual_servers[1];
    EXPECT_EQ(f.keys.at(0).fwmark, 9u);
    EXPECT_EQ(f.persistence_timeout, 360s);
}

TEST(VirtualServer, GroupRangeForms) {
    // keepalived.conf(5): ADDR-LAST, ADDR-ADDR and ADDR/PREFIX (and their IPv6 forms).
    auto r = load(R"(virtual_server_group G {
  10.0.0.254-10.0.1.1 80
  10.0.2.8/30 81
  2001:db8::fe-101 82
  2001:db8::1:0/127 83
}
virtual_server group G {
  protocol TCP
  lb_algo rr
  real_server 10.0.9.9 80 {
  }
}
virtual_server_group BAD {
  10.0.0.9-10.0.0.1 80
  10.0.0.0/33 80
}
)");
    std::vector<std::string> got;
    ASSERT_EQ(r.config.lvs.virtual_servers.size(), 1u);
    for (const auto& k : r.config.lvs.virtual_servers[0].keys)
        got.push_back(k.address->to_string() + " " + std::to_string(k.port));
    EXPECT_EQ(got, (std::vector<std::string>{
                       "10.0.0.254 80", "10.0.0.255 80", "10.0.1.0 80", "10.0.1.1 80",
                       "10.0.2.8 81", "10.0.2.9 81", "10.0.2.10 81", "10.0.2.11 81",
                       "2001:db8::fe 82", "2001:db8::ff 82", "2001:db8::100 82", "2001:db8::101 82",
                       "2001:db8::1:0 83", "2001:db8::1:1 83"}));
    EXPECT_EQ(std::count_if(r.diagnostics.begin(), r.diagnostics.end(),
                            [](const auto& d) {
                                return d.message.find("virtual_server_group") != std::string::npos;
                            }),
              2)
        << all(r);
}

TEST(VirtualServer, FwmarkFamily) {
    auto r = load(R"(virtual_server fwmark 7 {
  ip_family inet6
  lb_algo rr
  real_server 10.0.0.1 80 {
  }
}
virtual_server fwmark 8 {
  lb_algo rr
  real_server 2001:db8::8 80 {
  }
}
virtual_server fwmark 9 {
  lb_algo rr
  real_server 10.0.0.9 80 {
  }
}
)");
    ASSERT_EQ(r.config.lvs.virtual_servers.size(), 3u);
    EXPECT_TRUE(r.config.lvs.virtual_servers[0].keys[0].ipv6);   // said
    EXPECT_TRUE(r.config.lvs.virtual_servers[1].keys[0].ipv6);   // IPv6 real servers
    EXPECT_FALSE(r.config.lvs.virtual_servers[2].keys[0].ipv6);  // IPv4 ones
}

TEST(Checkers, KindsAndOldSyntax) {
    auto r = load(R"(virtual_server 192.0.2.10 25 {
  lb_algo rr
  protocol TCP
  real_server 192.0.2.11 25 {
    SMTP_CHECK {
      helo_name mx.example.com
      host {
        connect_ip 192.0.2.12
        connect_port 2525
      }
    }
    DNS_CHECK {
      type A
      name example.com
    }
    UDP_CHECK {
      payload 0a0b
      require_reply
    }
    PING_CHECK {
    }
    SSL_GET {
      url {
        path /
      }
    }
  }
}
)");
    EXPECT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.config.checks.size(), 5u);
    EXPECT_EQ(std::get<checkers::SmtpCheck>(r.config.checks[0].check.kind).helo_name,
              "mx.example.com");
    EXPECT_EQ(r.config.checks[0].check.connect_ip->to_string(), "192.0.2.12");
    EXPECT_EQ(*r.config.checks[0].check.connect_port, 2525);
    EXPECT_EQ(std::get<checkers::DnsCheck>(r.config.checks[1].check.kind).type, "A");
    EXPECT_EQ(r.config.checks[1].check.retry, 3u);
    EXPECT_EQ(std::get<checkers::UdpCheck>(r.config.checks[2].check.kind).payload.size(), 2u);
    EXPECT_TRUE(std::holds_alternative<checkers::PingCheck>(r.config.checks[3].check.kind));
    EXPECT_TRUE(std::get<checkers::HttpCheck>(r.config.checks[4].check.kind).ssl);
}

TEST(Json, DumpIsValidJsonWithFinalValues) {
    auto r = load(kInstance);
    auto j = nlohmann::json::parse(to_json(r.config));
    const auto& in = j["vrrp"]["instances"][0];
    EXPECT_EQ(in["name"], "VI_1");
    EXPECT_EQ(in["advert_interval_us"], 2000000);
    EXPECT_EQ(in["virtual_ipaddress"][0]["address"], "192.0.2.100");
    EXPECT_EQ(in["sync_group"], "G1");
    EXPECT_EQ(in["garp"]["master_delay_us"], 7000000);
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

TEST(GlobalDefaults, ScriptUserAndSmtpAlertReachEveryItem) {
    auto r = test::load(R"(global_defs {
  script_user nobody nogroup
  smtp_alert
  smtp_alert_checker false
}
vrrp_script s {
  script /bin/true
  user daemon
}
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  notify_master /bin/true
  track_script {
    s
  }
  virtual_ipaddress {
    10.0.0.100
  }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  smtp_alert false
  virtual_ipaddress {
    10.0.0.101
  }
}
virtual_server 10.0.0.1 80 {
  lb_algo rr
  protocol TCP
  real_server 10.0.0.2 80 {
    notify_up /bin/true
    MISC_CHECK {
      misc_path /bin/true
    }
  }
}
)");
    EXPECT_TRUE(r.ok()) << test::all(r);
    const auto& v = r.config.vrrp;
    EXPECT_EQ(v.scripts.at(0).command.user, "daemon");  // its own user wins
    EXPECT_EQ(v.instances.at(0).notify->master.user, "nobody");
    EXPECT_EQ(v.instances.at(0).notify->master.group, "nogroup");
    EXPECT_TRUE(v.instances.at(0).smtp_alert);   // global default
    EXPECT_FALSE(v.instances.at(1).smtp_alert);  // said itself
    const auto& rs = r.config.lvs.virtual_servers.at(0).real_servers.at(0);
    ASSERT_TRUE(rs.notify_up);
    EXPECT_EQ(rs.notify_up->user, "nobody");
    EXPECT_FALSE(rs.notify_down);
    EXPECT_FALSE(rs.smtp_alert);  // smtp_alert_checker false
    EXPECT_EQ(std::get<checkers::MiscCheck>(r.config.checks.at(0).check.kind).command.user,
              "nobody");
}

TEST(GlobalDefs, NotifyFifosWithOwnersAndScripts) {
    auto r = load(R"(global_defs {
  script_user nobody nogroup
  notify_fifo /run/all.fifo
  notify_fifo_script "/usr/bin/reader --all" daemon daemon
  vrrp_notify_fifo /run/vrrp.fifo nobody nogroup
  vrrp_notify_fifo_script /usr/bin/vrrp-reader
  lvs_notify_fifo /run/lvs.fifo
  vrrp_notify_priority_changes
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  notify_priority_changes false
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 2
  priority 100
  virtual_ipaddress {
    10.0.0.2
  }
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority 100
  notify_priority_changes true
  virtual_ipaddress {
    10.0.0.1
  }
}
)");
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& g = r.config.global;
    EXPECT_EQ(g.notify_fifo.path, "/run/all.fifo");
    // A FIFO the daemon creates belongs to script_user unless its line names an owner.
    EXPECT_EQ(g.notify_fifo.user, "nobody");
    EXPECT_EQ(g.notify_fifo.group, "nogroup");
    EXPECT_EQ(g.notify_fifo.script, (std::vector<std::string>{"/usr/bin/reader", "--all"}));
    EXPECT_EQ(g.notify_fifo.script_user, "daemon");
    EXPECT_EQ(g.notify_fifo.script_group, "daemon");
    EXPECT_EQ(g.vrrp_notify_fifo.path, "/run/vrrp.fifo");
    EXPECT_EQ(g.vrrp_notify_fifo.user, "nobody");
    EXPECT_EQ(g.vrrp_notify_fifo.group, "nogroup");
    // Without its own user the script runs as script_user.
    EXPECT_EQ(g.vrrp_notify_fifo.script, (std::vector<std::string>{"/usr/bin/vrrp-reader"}));
    EXPECT_EQ(g.vrrp_notify_fifo.script_user, "nobody");
    EXPECT_EQ(g.vrrp_notify_fifo.script_group, "nogroup");
    EXPECT_EQ(g.lvs_notify_fifo.path, "/run/lvs.fifo");
    EXPECT_TRUE(g.lvs_notify_fifo.script.empty());
    EXPECT_TRUE(g.vrrp_notify_priority_changes);
    ASSERT_EQ(r.config.vrrp.instances.size(), 2u);
    EXPECT_EQ(r.config.vrrp.instances[1].notify->priority_changes, true);
    EXPECT_FALSE(r.config.vrrp.instances[0].notify->priority_changes);
    ASSERT_EQ(r.config.vrrp.sync_groups.size(), 1u);
    EXPECT_EQ(r.config.vrrp.sync_groups[0].notify.priority_changes, false);
}

TEST(GlobalDefs, SecondNotifyFifoIsIgnored) {
    auto r = load("global_defs {\n  notify_fifo /a\n  notify_fifo /b\n}\n");
    EXPECT_EQ(r.config.global.notify_fifo.path, "/a");
    EXPECT_NE(test::find(r, "already specified"), nullptr) << all(r);
}

}  // namespace
}  // namespace vigil::config
