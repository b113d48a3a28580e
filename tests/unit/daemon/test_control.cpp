// The control protocol's requests and vigilctl's command line and renderings.
#include <gtest/gtest.h>

#include "control.hpp"
#include "ctl.hpp"

namespace vigil {
namespace {

TEST(Control, ParsesAndChecksRequests) {
    auto r = parse_request(R"({"cmd":"drain","args":["10.0.0.10:80","10.0.1.1"],"timeout":30})");
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->cmd, "drain");
    EXPECT_EQ(r->args.size(), 2u);
    EXPECT_EQ(r->timeout, std::chrono::seconds(30));
    EXPECT_TRUE(changes_state(*r));
    EXPECT_FALSE(changes_state(*parse_request(R"({"cmd":"show"})")));
    for (const char* bad :
         {"", "[]", R"({"cmd":1})", R"({"cmd":"reboot"})", R"({"cmd":"drain","args":["x"]})",
          R"({"cmd":"maintenance","args":["VI_1","maybe"]})", R"({"cmd":"show","timeout":3})",
          R"({"cmd":"drain","args":["a","b"],"timeout":-1})", R"({"cmd":"enable","args":["a",2]})"})
        EXPECT_FALSE(parse_request(bad)) << bad;
    // What the client encodes, the server reads back.
    ControlRequest q{"maintenance", {"VI_1", "on"}, std::nullopt};
    EXPECT_EQ(*parse_request(encode_request(q)), q);
}

TEST(Control, ChangesAreForRootOnly) {
    auto drain = *parse_request(R"({"cmd":"clear"})");
    auto show = *parse_request(R"({"cmd":"show"})");
    EXPECT_FALSE(refuse(drain, Peer{1, 0, 0}));
    auto why = refuse(drain, Peer{1, 1000, 1000});
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("permission denied"), std::string::npos);
    EXPECT_FALSE(refuse(show, Peer{1, 1000, 1000}));
}

TEST(Ctl, CommandLine) {
    auto c =
        parse_ctl({"-p", "/run/x.sock", "drain", "10.0.0.10:80", "10.0.1.1", "--timeout", "5"});
    ASSERT_TRUE(c) << c.error();
    EXPECT_EQ(c->socket, "/run/x.sock");
    EXPECT_EQ(c->request.cmd, "drain");
    EXPECT_EQ(c->request.timeout, std::chrono::seconds(5));
    auto lvs = parse_ctl({"lvs", "--connections"});
    ASSERT_TRUE(lvs);
    EXPECT_EQ(lvs->request.cmd, "connections");
    for (std::vector<std::string> bad :
         std::vector<std::vector<std::string>>{{},
                                               {"show", "--stats"},
                                               {"enable", "x"},
                                               {"show", "--timeout", "3"},
                                               {"drain", "a", "b", "--timeout", "x"},
                                               {"frobnicate"},
                                               {"show", "--bogus"}})
        EXPECT_FALSE(parse_ctl(bad));
}

TEST(Ctl, LvsLayoutAsIpvsadm) {
    const char* live = R"({"ok":true,"backend":"ipvs","services":[
      {"protocol":"TCP","address":"10.0.0.10:80","scheduler":"wrr","persistent":300,
       "stats":{"conns":20,"inpkts":120,"outpkts":0,"inbytes":8000,"outbytes":0},
       "destinations":[{"address":"10.0.1.11:8080","forwarding":"Masq","weight":2,"active":3,
                        "inactive":1,"stats":{"conns":12}}]}]})";
    const auto plain = render_lvs(live, "");
    EXPECT_NE(
        plain.find("Prot LocalAddress:Port Scheduler Flags\n"
                   "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
                   "TCP  10.0.0.10:80 wrr persistent 300\n"
                   "  -> 10.0.1.11:8080               Masq    2      3          1         \n"),
        std::string::npos)
        << plain;
    const auto stats = render_lvs(live, "stats");
    EXPECT_NE(stats.find("TCP  10.0.0.10:80                       20      120        0     8000"),
              std::string::npos)
        << stats;
    EXPECT_EQ(render_lvs(R"({"ok":false,"error":"no IPVS"})", ""), "error: no IPVS\n");
}

TEST(Ctl, ConnectionsFromIpvsAndConntrack) {
    const char* ipvs =
        R"({"ok":true,"backend":"ipvs","text":"Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\nTCP 0A000064 B6A8 0A00000A 0050 0A000015 0050 ESTABLISHED   893\n"})";
    EXPECT_NE(
        render_lvs(ipvs, "connections")
            .find("TCP 14:53  ESTABLISHED 10.0.0.100:46760   10.0.0.10:80       10.0.0.21:80"),
        std::string::npos)
        << render_lvs(ipvs, "connections");
    const char* ct =
        R"({"ok":true,"backend":"nftables","text":"ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.100 dst=10.0.0.10 sport=40000 dport=80 src=10.0.1.12 dst=10.0.0.100 sport=80 dport=40000 [ASSURED] mark=0 use=2\nipv4     2 udp      17 20 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 use=1\n"})";
    const auto out = render_lvs(ct, "connections");
    EXPECT_NE(
        out.find("TCP 7199:59  ESTABLISHED 10.0.0.100:40000   10.0.0.10:80       10.0.1.12:80"),
        std::string::npos)
        << out;
    EXPECT_EQ(out.find("10.0.0.2:2"), std::string::npos);  // not load-balanced
}

TEST(Ctl, ShowSaysWhyAndListsOverrides) {
    const char* st = R"({"daemon":{"pid":7,"uptime_s":3,"config_file":"/etc/k.conf"},
      "vrrp":{"instances":[{"name":"VI_1","state":"BACKUP","vrid":51,"priority":150,
        "effective_priority":130,"master":"10.0.0.2","last_transition_s_ago":4.0,
        "maintenance":true,"group":"","vips":["10.0.0.10"]}],"drops":{"bad_ttl":2}},
      "virtual_servers":[{"name":"10.0.0.10:80","quorum_up":true,"sorry_active":false,
        "real_servers":[{"address":"10.0.1.12:80","alive":true,"weight":1,"weight_now":0,
          "in_pool":false,"admin":"draining","why":"draining","checks":[{"up":true}]}]}],
      "data_plane":{"backend":"nftables","overrides":[{"vs":"tcp:10.0.0.10:80",
        "rs":"10.0.1.12:80","admin":"draining","connections":2,"deadline_s":25}]}})";
    const auto out = render_show(st);
    for (const char* want : {"tracking -20", "maintenance (held in BACKUP)", "data plane nftables",
                             "draining  tcp:10.0.0.10:80 10.0.1.12:80  connections 2",
                             "removed in 25 s", "vrrp drops bad_ttl: 2", "maintenance VI_1"})
        EXPECT_NE(out.find(want), std::string::npos) << want << "\n" << out;
}

}  // namespace
}  // namespace vigil
