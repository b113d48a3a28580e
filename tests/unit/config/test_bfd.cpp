// bfd_instance, track_bfd and BFD_CHECK as keepalived.conf(5) of 2.2.7 describes them, with
// keepalived's messages for bad values.
#include <nlohmann/json.hpp>

#include "helpers.hpp"

using namespace vigil::config;
using namespace vigil::config::test;
using namespace std::chrono_literals;

namespace {

const char* kInstance = R"(
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 1
    priority 100
    virtual_ipaddress {
        192.0.2.10
    }
    track_bfd {
        B1
        B2 weight -20 reverse
    }
}
)";

}  // namespace

TEST(BfdConfig, DefaultsOfTheManPage) {
    auto r = load("bfd_instance B1 {\n    neighbor_ip 192.0.2.1\n}\n");
    ASSERT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.config.bfd.instances.size(), 1u);
    const auto& b = r.config.bfd.instances[0];
    EXPECT_EQ(b.name, "B1");
    EXPECT_EQ(b.min_rx, 10ms);
    EXPECT_EQ(b.min_tx, 10ms);
    EXPECT_EQ(b.idle_tx, 1000ms);
    EXPECT_EQ(b.multiplier, 5);
    EXPECT_FALSE(b.passive);
    EXPECT_EQ(b.ttl, 255);
    EXPECT_EQ(b.hoplimit, 64);
    EXPECT_EQ(b.max_hops, 0);
    EXPECT_EQ(b.weight, 0);
    EXPECT_TRUE(b.vrrp && b.checker);
    EXPECT_FALSE(b.multihop());
    EXPECT_TRUE(r.config.unsupported_keywords.empty());
}

TEST(BfdConfig, EveryKeyword) {
    auto r = load(R"(
bfd_instance B1 {
    neighbour_ip 2001:db8::1
    source_ip 2001:db8::2
    min_rx 3.312
    min_tx 50
    idle_tx 2000
    multiplier 7
    passive
    hoplimit 200
    max_hops 2
    weight 10 reverse
    vrrp
}
bfd_instance B2 {
    neighbor_ip 192.0.2.2
    ttl 64
    max_hops 255
    checker
}
)");
    ASSERT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.config.bfd.instances.size(), 2u);
    const auto& a = r.config.bfd.instances[0];
    EXPECT_EQ(a.neighbor.to_string(), "2001:db8::1");
    ASSERT_TRUE(a.source);
    EXPECT_EQ(a.source->to_string(), "2001:db8::2");
    EXPECT_EQ(a.min_rx, 3312us);  // milliseconds with microsecond resolution
    EXPECT_EQ(a.min_tx, 50ms);
    EXPECT_EQ(a.idle_tx, 2s);
    EXPECT_EQ(a.multiplier, 7);
    EXPECT_TRUE(a.passive);
    EXPECT_EQ(a.hoplimit, 200);
    EXPECT_EQ(a.sent_ttl(), 200);
    EXPECT_EQ(a.max_hops, 2);
    EXPECT_TRUE(a.multihop());
    EXPECT_EQ(a.weight, 10);
    EXPECT_TRUE(a.weight_reverse);
    EXPECT_TRUE(a.vrrp);
    EXPECT_FALSE(a.checker);
    const auto& b = r.config.bfd.instances[1];
    EXPECT_EQ(b.ttl, 64);
    EXPECT_EQ(b.sent_ttl(), 64);
    EXPECT_EQ(b.max_hops, 255);  // no hop count check
    EXPECT_FALSE(b.multihop());
    EXPECT_FALSE(b.vrrp);
    EXPECT_TRUE(b.checker);
}

TEST(BfdConfig, OutOfRangeValuesAsKeepalivedSaysThem) {
    struct Case {
        const char* line;
        const char* message;
    } cases[] = {
        {"min_rx 0", "BFD instance B min_rx value 0 is not valid (must be in range [1-4294967])"},
        {"min_tx 0.5", "min_tx value 0.5 is not valid"},
        {"idle_tx 999", "idle_tx value 999 is not valid (must be in range [1000-4294967])"},
        {"multiplier 0", "multiplier value 0 not valid (must be in range [1-255])"},
        {"ttl 256", "ttl/hoplimit value 256 not valid (must be in range [1-255])"},
        {"hoplimit 0", "ttl/hoplimit value 0 not valid"},
        {"max_hops 256", "max_hops value 256 not valid (must be in range [-1-255])"},
        {"weight 254", "weight value 254 not valid (must be in range [-253-253])"},
    };
    for (const auto& c : cases) {
        auto r = load(std::string("bfd_instance B {\n    neighbor_ip 192.0.2.1\n    ") + c.line +
                      "\n}\n");
        EXPECT_FALSE(r.ok()) << c.line;
        EXPECT_NE(find(r, c.message), nullptr) << c.line << "\n" << all(r);
        EXPECT_EQ(r.config.bfd.instances.size(), 1u) << "the value is ignored, not the instance";
    }
}

TEST(BfdConfig, InstancesKeepalivedDisables) {
    auto r = load(R"(
bfd_instance B {
    min_rx 100
}
bfd_instance C {
    neighbor_ip 192.0.2.1
    source_ip 2001:db8::1
}
bfd_instance D {
    neighbor_ip 192.0.2.4
}
bfd_instance E {
    neighbor_ip 192.0.2.4
}
bfd_instance D {
    neighbor_ip 192.0.2.5
}
)");
    EXPECT_FALSE(r.ok());
    EXPECT_NE(find(r, "BFD instance B has no neighbor address set, disabling instance"), nullptr);
    EXPECT_NE(find(r,
                   "BFD instance C source address 2001:db8::1 and neighbor address "
                   "192.0.2.1 are not of the same family"),
              nullptr);
    EXPECT_NE(find(r, "BFD instance E has duplicate neighbor address 192.0.2.4"), nullptr);
    EXPECT_NE(find(r, "BFD instance D already configured - ignoring"), nullptr);
    ASSERT_EQ(r.config.bfd.instances.size(), 1u);
    EXPECT_EQ(r.config.bfd.instances[0].name, "D");
}

TEST(BfdConfig, TrackBfdTakesTheInstanceWeightUnlessItGivesOne) {
    auto r = load(std::string("bfd_instance B1 {\n    neighbor_ip 192.0.2.1\n    weight 30\n}\n"
                              "bfd_instance B2 {\n    neighbor_ip 192.0.2.2\n}\n") +
                  kInstance);
    ASSERT_TRUE(r.ok()) << all(r);
    const auto& t = r.config.vrrp.instances.at(0).track_bfds;
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[0].name, "B1");
    EXPECT_EQ(t[0].weight, 30);
    EXPECT_FALSE(t[0].reverse);
    EXPECT_EQ(t[1].name, "B2");
    EXPECT_EQ(t[1].weight, -20);
    EXPECT_TRUE(t[1].reverse);
}

TEST(BfdConfig, TrackBfdProblems) {
    auto r = load(R"(
bfd_instance B1 {
    neighbor_ip 192.0.2.1
}
bfd_instance C1 {
    neighbor_ip 192.0.2.3
    checker
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 1
    priority 100
    virtual_ipaddress {
        192.0.2.10
    }
    track_bfd {
        B1
        B1 weight 20
        NOPE
        C1
        B1 weight 300
    }
}
)");
    EXPECT_FALSE(r.ok());
    EXPECT_NE(find(r, "(VI_1) duplicate track_bfd B1 - ignoring"), nullptr);
    EXPECT_NE(find(r, "(VI_1) track bfd NOPE not found, ignoring..."), nullptr);
    EXPECT_NE(find(r, "(VI_1) track bfd C1 not found"), nullptr) << "checker-only session";
    ASSERT_EQ(r.config.vrrp.instances.at(0).track_bfds.size(), 1u);
}

TEST(BfdConfig, SyncGroupMembersLoseTheirBfdWeights) {
    const std::string group = R"(
vrrp_sync_group G {
    group {
        VI_1
        VI_2
    }
    track_bfd {
        B1
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 2
    priority 100
    virtual_ipaddress {
        192.0.2.11
    }
}
)";
    const std::string bfds =
        "bfd_instance B1 {\n    neighbor_ip 192.0.2.1\n}\n"
        "bfd_instance B2 {\n    neighbor_ip 192.0.2.2\n}\n";
    auto r = load(bfds + kInstance + group);
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_NE(find(r, "(VI_1) ignoring weight of tracked bfd B2 due to SYNC group"), nullptr);
    const auto& t = r.config.vrrp.instances.at(0).track_bfds;
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[1].weight, 0);
    ASSERT_EQ(r.config.vrrp.sync_groups.at(0).track_bfds.size(), 1u);

    auto kept = load(bfds + kInstance +
                     std::string(group).replace(group.find("    track_bfd"), 0,
                                                "    sync_group_tracking_weight\n"));
    ASSERT_TRUE(kept.ok()) << all(kept);
    EXPECT_EQ(kept.config.vrrp.instances.at(0).track_bfds.at(1).weight, -20);
}

TEST(BfdConfig, BfdCheckBindsTheRealServer) {
    const std::string head =
        "bfd_instance B1 {\n    neighbor_ip 192.0.2.1\n}\n"
        "bfd_instance V1 {\n    neighbor_ip 192.0.2.9\n    vrrp\n}\n";
    auto r = load(head + R"(
virtual_server 192.0.2.100 80 {
    lb_algo rr
    protocol TCP
    real_server 192.0.2.21 80 {
        BFD_CHECK {
            name B1
        }
        BFD_CHECK {
            name B1
        }
        BFD_CHECK {
            name NOPE
        }
        BFD_CHECK {
            name V1
        }
        BFD_CHECK {
        }
    }
}
)");
    EXPECT_NE(find(r, "([192.0.2.21]:tcp:80) BFD_CHECK - RS already monitoring B1"), nullptr)
        << all(r);
    EXPECT_NE(find(r, "BFD_CHECK - BFD NOPE not configured"), nullptr);
    EXPECT_NE(find(r, "BFD_CHECK - BFD V1 not configured"), nullptr) << "vrrp-only session";
    EXPECT_NE(find(r, "No name has been specified for BFD_CHECKER - skipping"), nullptr);
    ASSERT_EQ(r.config.bfd_checks.size(), 1u);
    EXPECT_EQ(r.config.bfd_checks[0].session, "B1");
    EXPECT_EQ(r.config.bfd_checks[0].virtual_server, 0u);
    EXPECT_EQ(r.config.bfd_checks[0].real_server, 0u);
    EXPECT_EQ(r.config.lvs.virtual_servers.at(0).real_servers.at(0).checker_count, 1u);
    EXPECT_TRUE(r.config.checks.empty());
}

TEST(BfdConfig, DumpConfigHasTheSessionsTheirTrackersAndChecks) {
    auto r = load(std::string("bfd_instance B1 {\n    neighbor_ip fd00::2\n    min_rx 100\n"
                              "    max_hops 2\n}\n"
                              "bfd_instance B2 {\n    neighbor_ip 192.0.2.2\n}\n") +
                  kInstance + R"(
virtual_server 192.0.2.100 80 {
    lb_algo rr
    protocol TCP
    real_server 192.0.2.21 80 {
        BFD_CHECK {
            name B1
        }
    }
    real_server 192.0.2.22 80 {
    }
}
)");
    ASSERT_TRUE(r.ok()) << all(r);
    const auto j = nlohmann::json::parse(to_json(r.config));
    ASSERT_EQ(j["bfd_instances"].size(), 2u);
    const auto& b = j["bfd_instances"][0];
    EXPECT_EQ(b["name"], "B1");
    EXPECT_EQ(b["neighbor_ip"], "fd00::2");
    EXPECT_EQ(b["min_rx_us"], 100000);
    EXPECT_EQ(b["sent_ttl"], 64);
    EXPECT_EQ(b["max_hops"], 2);
    EXPECT_EQ(j["bfd_instances"][1]["sent_ttl"], 255);
    const auto& in = j["vrrp"]["instances"][0];
    ASSERT_EQ(in["track_bfd"].size(), 2u);
    EXPECT_EQ(in["track_bfd"][1]["name"], "B2");
    const auto& rss = j["lvs"]["virtual_servers"][0]["real_servers"];
    EXPECT_EQ(rss[0]["bfd_check"], nlohmann::json::array({"B1"}));
    EXPECT_FALSE(rss[1].contains("bfd_check"));
}
