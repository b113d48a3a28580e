// VRRP keywords of keepalived 2.2.7: promote_secondaries, check_unicast_src,
// unicast_fault_no_peer, track_src_ip, vrrp_min_garp, garp_group, garp_extra_if and
// dynamic_interfaces, use_ipvlan, use_vmac_addr / vmac_addr_prefix and a VIP's use_vmac, as the
// parser hands them to the VRRP module.
#include "helpers.hpp"

namespace vigil::config {
namespace {

using namespace std::chrono_literals;
using test::all;
using test::find;
using test::load;

std::string instance(const std::string& body, const std::string& iface = "eth0") {
    return "vrrp_instance VI_1 {\n interface " + iface +
           "\n virtual_router_id 7\n priority 100\n virtual_ipaddress {\n  192.0.2.10\n }\n" +
           body + "\n}\n";
}

const vrrp::InstanceConfig& only(const LoadResult& r) {
    EXPECT_EQ(r.config.vrrp.instances.size(), 1u) << all(r);
    return r.config.vrrp.instances.at(0);
}

TEST(PromoteSecondaries, SetOnTheInstance) {
    auto r = load(instance(" promote_secondaries"));
    EXPECT_TRUE(only(r).promote_secondaries);
    EXPECT_TRUE(r.ok()) << all(r);
    EXPECT_FALSE(only(load(instance(""))).promote_secondaries);
}

TEST(PromoteSecondaries, IgnoredWithAVmacAsKeepalived) {
    auto r = load(instance(" use_vmac\n promote_secondaries"));
    EXPECT_FALSE(only(r).promote_secondaries);
    EXPECT_NE(find(r, "promote_secondaries is automatically set for vmacs"), nullptr) << all(r);
    EXPECT_FALSE(r.ok());  // keepalived -t exits 5 on it
}

TEST(CheckUnicastSrc, InstanceAndGlobalDefault) {
    const std::string uc = " unicast_peer {\n  192.0.2.2\n }\n";
    EXPECT_FALSE(only(load(instance(uc))).check_unicast_src);
    EXPECT_TRUE(only(load(instance(uc + " check_unicast_src"))).check_unicast_src);
    auto r = load("global_defs {\n vrrp_check_unicast_src\n}\n" + instance(uc));
    EXPECT_TRUE(only(r).check_unicast_src);
    EXPECT_TRUE(r.ok()) << all(r);
}

TEST(CheckUnicastSrc, CountsAsAUnicastKeyword) {
    auto r = load(instance(" check_unicast_src"));
    EXPECT_NE(find(r, "without any unicast peers. Defaulting to multicast"), nullptr) << all(r);
}

TEST(UnicastFaultNoPeer, NoFallbackToMulticast) {
    auto r = load(instance(" unicast_src_ip 192.0.2.1\n unicast_fault_no_peer"));
    EXPECT_TRUE(only(r).unicast_fault_no_peer);
    EXPECT_TRUE(only(r).unicast_peers.empty());
    EXPECT_EQ(find(r, "Defaulting to multicast"), nullptr) << all(r);
    EXPECT_TRUE(r.ok()) << all(r);
}

TEST(TrackSrcIp, SetOnTheInstance) {
    auto r = load(instance(" mcast_src_ip 192.0.2.1\n track_src_ip"));
    EXPECT_TRUE(only(r).track_src_ip);
    EXPECT_TRUE(r.ok()) << all(r);
}

TEST(VrrpMinGarp, OneAnnouncementAndNoSecondBurst) {
    auto r = load("global_defs {\n vrrp_min_garp\n}\n" + instance(""));
    EXPECT_EQ(only(r).garp.master_repeat, 1u);
    EXPECT_EQ(only(r).garp.master_delay, 0s);
    EXPECT_TRUE(r.ok()) << all(r);
    r = load("global_defs {\n vrrp_min_garp false\n}\n" + instance(""));
    EXPECT_EQ(only(r).garp.master_repeat, 5u);
    EXPECT_EQ(only(r).garp.master_delay, 5s);
    // What the instance says itself still wins.
    r = load("global_defs {\n vrrp_min_garp\n}\n" + instance(" garp_master_repeat 3"));
    EXPECT_EQ(only(r).garp.master_repeat, 3u);
}

TEST(GarpGroup, IntervalsPerInterfaceOverTheGlobalOnes) {
    auto r = load(R"(global_defs {
 vrrp_garp_interval 0.5
 vrrp_gna_interval 0.6
}
garp_group {
 garp_interval 0.01
 gna_interval 0.02
 interfaces {
  eth0
  eth2
 }
}
garp_group {
 garp_interval 0.03
 interface eth3
}
)" + instance("") +
                  "vrrp_instance VI_2 {\n interface eth1\n virtual_router_id 8\n"
                  " virtual_ipaddress {\n  192.0.2.11\n }\n}\n");
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& gg = r.config.vrrp.garp_groups;
    ASSERT_EQ(gg.size(), 2u);
    EXPECT_EQ(gg[0].interfaces, (std::vector<std::string>{"eth0", "eth2"}));
    EXPECT_EQ(gg[0].garp_interval, 10ms);
    EXPECT_EQ(gg[0].gna_interval, 20ms);
    EXPECT_EQ(gg[1].interfaces, (std::vector<std::string>{"eth3"}));
    EXPECT_EQ(gg[1].garp_interval, 30ms);
    EXPECT_EQ(gg[1].gna_interval, 0s);
    ASSERT_EQ(r.config.vrrp.instances.size(), 2u);
    // eth0 is paced by its group (across instances), eth1 keeps the global spacing.
    EXPECT_EQ(r.config.vrrp.instances[0].garp.interval, 0s);
    EXPECT_EQ(r.config.vrrp.instances[0].garp.na_interval, 0s);
    EXPECT_EQ(r.config.vrrp.instances[1].garp.interval, 500ms);
    EXPECT_EQ(r.config.vrrp.instances[1].garp.na_interval, 600ms);
    EXPECT_TRUE(r.config.unsupported_keywords.empty());
}

TEST(GarpGroup, WithoutAnIntervalItIsIgnored) {
    auto r = load("garp_group {\n interface eth0\n}\n" + instance(""));
    EXPECT_TRUE(r.config.vrrp.garp_groups.empty());
    EXPECT_NE(find(r, "garp_group has no garp_interval or gna_interval"), nullptr) << all(r);
}

TEST(GarpExtraIf, InstanceAndGlobal) {
    auto r = load(instance(" garp_extra_if all 100"));
    EXPECT_EQ(only(r).garp.extra_if, 100s);
    EXPECT_TRUE(only(r).garp.extra_if_all);
    r = load(instance(" garp_extra_if 50"));
    EXPECT_EQ(only(r).garp.extra_if, 50s);
    EXPECT_FALSE(only(r).garp.extra_if_all);
    r = load("global_defs {\n vrrp_garp_extra_if all 30\n}\n" + instance(""));
    EXPECT_EQ(only(r).garp.extra_if, 30s);
    EXPECT_TRUE(only(r).garp.extra_if_all);
    EXPECT_TRUE(r.ok()) << all(r);
    // The instance's 0 turns the global default off.
    r = load("global_defs {\n vrrp_garp_extra_if 30\n}\n" + instance(" garp_extra_if 0"));
    EXPECT_EQ(only(r).garp.extra_if, 0s);
}

TEST(GarpExtraIf, KeepalivedVerdicts) {
    auto r = load(instance(" garp_extra_if all"));
    EXPECT_NE(find(r, "garp_extra_if specified without time - ignoring"), nullptr) << all(r);
    EXPECT_EQ(only(r).garp.extra_if, 0s);
    for (const char* v : {"0", "86401"}) {
        r = load(std::string("global_defs {\n vrrp_garp_extra_if ") + v + "\n}\n" + instance(""));
        EXPECT_FALSE(r.ok()) << v;
        EXPECT_EQ(only(r).garp.extra_if, 0s);
    }
}

TEST(DynamicInterfaces, MissingInterfacesAreAccepted) {
    auto o = test::quiet();
    o.check_interfaces = true;
    const std::string body = instance(" track_interface {\n  vgnosuch1\n }", "vgnosuch0");
    auto r = load(body, o);
    EXPECT_FALSE(r.ok());
    EXPECT_NE(find(r, "interface 'vgnosuch0' does not exist"), nullptr) << all(r);
    for (const char* g : {"dynamic_interfaces", "dynamic_interfaces allow_if_changes"}) {
        r = load(std::string("global_defs {\n ") + g + "\n}\n" + body, o);
        EXPECT_TRUE(r.ok()) << g << "\n" << all(r);
        EXPECT_TRUE(r.config.vrrp.dynamic_interfaces);
        EXPECT_EQ(only(r).interface, "vgnosuch0");
    }
    EXPECT_TRUE(load("global_defs {\n dynamic_interfaces allow_if_changes\n}\n", o)
                    .config.global.allow_if_changes);
}

TEST(UseIpvlan, NameAddressAndMode) {
    using M = vrrp::InstanceConfig::IpvlanMode;
    auto r = load(instance(" use_ipvlan ipv1 192.0.2.7/24 private"));
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& in = only(r);
    EXPECT_TRUE(in.use_ipvlan);
    EXPECT_EQ(in.ipvlan_name, "ipv1");
    ASSERT_TRUE(in.ipvlan_address);
    EXPECT_EQ(in.ipvlan_address->address.to_string(), "192.0.2.7");
    EXPECT_EQ(in.ipvlan_address->prefix_len, 24);
    EXPECT_EQ(in.ipvlan_mode, M::private_);
    r = load(instance(" use_ipvlan 192.0.2.8 vepa"));
    EXPECT_EQ(only(r).ipvlan_name, "");
    EXPECT_EQ(only(r).ipvlan_address->prefix_len, 32);
    EXPECT_EQ(only(r).ipvlan_mode, M::vepa);
    r = load("global_defs {\n vmac_prefix kv\n}\n" + instance(" use_ipvlan 192.0.2.8"));
    EXPECT_EQ(only(r).ipvlan_name, "kv.7");
    EXPECT_EQ(only(r).ipvlan_mode, M::bridge);
}

TEST(UseIpvlan, KeepalivedVerdicts) {
    auto r = load(instance(" use_ipvlan"));
    EXPECT_NE(find(r, "IPv4 ipvlan requires a source ip address"), nullptr) << all(r);
    EXPECT_TRUE(only(r).use_ipvlan);  // it runs, in FAULT
    r = load(instance(" use_ipvlan x1 192.0.2.7 l3"));
    EXPECT_NE(find(r, "IPVLAN interface already specified - ignoring 'l3'"), nullptr) << all(r);
    r = load(instance(" use_ipvlan abcdefghijklmnopq 192.0.2.7"));
    EXPECT_NE(find(r, "IPVLAN interface name 'abcdefghijklmnopq' too long"), nullptr) << all(r);
    EXPECT_EQ(only(r).ipvlan_name, "");
    r = load(instance(" use_ipvlan x1 fd00::7"));
    EXPECT_NE(find(r, "address family must match VRRP instance"), nullptr) << all(r);
    EXPECT_FALSE(only(r).ipvlan_address);
    r = load(instance(" use_ipvlan x1 192.0.2.7\n vmac_xmit_base"));
    EXPECT_NE(find(r, "vmac_xmit_base is only valid with a vmac"), nullptr) << all(r);
    EXPECT_FALSE(only(r).vmac_xmit_base);
    r = load(instance(" use_ipvlan x1 192.0.2.7\n promote_secondaries"));
    EXPECT_NE(find(r, "promote_secondaries is automatically set for vmacs"), nullptr) << all(r);
    // keepalived takes use_vmac beside it silently and makes the ipvlan.
    r = load(instance(" use_vmac\n use_ipvlan x1 192.0.2.7"));
    EXPECT_TRUE(r.ok()) << all(r);
    EXPECT_FALSE(only(r).use_vmac);
    EXPECT_TRUE(only(r).use_ipvlan);
}

TEST(UseVmacAddr, PrefixAndPerAddressUseVmac) {
    auto r =
        load(instance(" use_vmac_addr\n virtual_ipaddress_excluded {\n  192.0.2.20 dev eth1 "
                      "use_vmac\n }"));
    EXPECT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(only(r).use_vmac_addr);
    EXPECT_EQ(only(r).vmac_addr_prefix, "vrrp");
    ASSERT_EQ(only(r).excluded_vips.size(), 1u);
    EXPECT_TRUE(only(r).excluded_vips[0].use_vmac);
    EXPECT_FALSE(only(r).vips[0].use_vmac);
    EXPECT_TRUE(r.config.unsupported_keywords.empty());
    r = load("global_defs {\n vmac_prefix vp\n}\n" + instance(" use_vmac_addr"));
    EXPECT_EQ(only(r).vmac_addr_prefix, "vp");
    r = load("global_defs {\n vmac_prefix vp\n vmac_addr_prefix va\n}\n" + instance(""));
    EXPECT_EQ(only(r).vmac_addr_prefix, "va");
    EXPECT_FALSE(load("global_defs {\n vmac_addr_prefix eleven_char\n}\n").ok());
}

}  // namespace
}  // namespace vigil::config
