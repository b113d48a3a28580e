// Address, route and rule lines (virtual_* and static_* blocks): words in, typed values out,
// diagnostics at the offending word.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/iproute2_names.hpp"
#include "helpers.hpp"

namespace vigil::config {
namespace {

using test::all;
using test::load;
using R = vrrp::VirtualRoute;
using Rule = vrrp::VirtualRule;

// Each line of LINES inside BLOCK { }, the block on line 1, the first line on line 2.
LoadResult block(const std::string& name, const std::string& lines,
                 const LoadOptions& o = test::quiet()) {
    return load(name + " {\n" + lines + "}\n", o);
}

template <class Opt>
std::string str(const Opt& a) {
    return a ? a->to_string() : "-";
}

// An error (refusing a reload) at LINE:COL whose message has NEEDLE.
void expect_error(const LoadResult& r, const std::string& needle, unsigned line, unsigned col) {
    const auto* d = test::find(r, needle);
    ASSERT_NE(d, nullptr) << "no '" << needle << "' in:\n" << all(r);
    EXPECT_EQ(d->severity, Severity::error) << format(*d);
    EXPECT_TRUE(d->refuse_reload) << format(*d);
    EXPECT_EQ(d->file, "t.conf");
    EXPECT_EQ(d->line, line) << format(*d);
    EXPECT_EQ(d->column, col) << format(*d);
}

void expect_unsupported(const LoadResult& r, const std::string& option, unsigned line,
                        unsigned col) {
    const std::string msg = "'" + option + "' is not supported by vigild; ignored";
    const auto* d = test::find(r, msg);
    ASSERT_NE(d, nullptr) << "no warning for " << option << " in:\n" << all(r);
    EXPECT_EQ(d->severity, Severity::warning);
    EXPECT_FALSE(d->refuse_reload);
    EXPECT_EQ(format(*d),
              "t.conf:" + std::to_string(line) + ":" + std::to_string(col) + ": warning: " + msg);
}

// ---- iproute2 names --------------------------------------------------------------------------

TEST(Iproute2Names, FileTextNumbersAndBuiltins) {
    const char* text = "# comment\n255\tlocal\n  200 blue # trailing\n0x10 hexa\nbad line\n";
    EXPECT_EQ(find_name(text, "blue"), 200u);
    EXPECT_EQ(find_name(text, "hexa"), 16u);
    EXPECT_EQ(find_name(text, "comment"), std::nullopt);
    EXPECT_EQ(find_name(text, "line"), std::nullopt);
    EXPECT_EQ(parse_number("0x1f"), 31u);
    EXPECT_EQ(parse_number("010"), 8u);
    EXPECT_EQ(parse_number("4294967295"), 4294967295u);
    EXPECT_EQ(parse_number("4294967296"), std::nullopt);
    EXPECT_EQ(parse_number("12a"), std::nullopt);
    Iproute2Names none({});
    EXPECT_EQ(none.find(NameFile::rt_tables, "main"), 254u);
    EXPECT_EQ(none.find(NameFile::rt_tables, "local"), 255u);
    EXPECT_EQ(none.find(NameFile::rt_tables, "default"), 253u);
    EXPECT_EQ(none.find(NameFile::rt_tables, "6909"), 6909u);
    EXPECT_EQ(none.find(NameFile::rt_protos, "keepalived"), 18u);
    EXPECT_EQ(none.find(NameFile::rt_protos, "static"), 4u);
    EXPECT_EQ(none.find(NameFile::rt_tables, "blue"), std::nullopt);
}

class NamesDir : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("vigil-names-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_ / "rt_tables.d");
        std::ofstream(dir_ / "rt_tables") << "200\tblue\n";
        std::ofstream(dir_ / "rt_tables.d" / "x.conf") << "201 green\n";
        std::ofstream(dir_ / "rt_protos") << "99 myproto\n";
        std::ofstream(dir_ / "rt_realms") << "3 north\n4 south\n";
        std::ofstream(dir_ / "group") << "7 edge\n";
        opt_ = test::quiet();
        opt_.iproute2_dirs = {dir_.string()};
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
    LoadOptions opt_;
};

TEST_F(NamesDir, TablesProtocolsRealmsAndGroupsByName) {
    auto r = block("static_routes",
                   " 10.1.0.0/16 dev eth0 table blue proto myproto realms north/south\n"
                   " 10.2.0.0/16 dev eth0 table green\n",
                   opt_);
    auto rules =
        block("static_rules",
              " from 10.0.0.0/8 lookup blue pref 9 suppress_ifgroup edge realms south\n", opt_);
    EXPECT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(rules.ok()) << all(rules);
    const auto& routes = r.config.vrrp.static_routes;
    ASSERT_EQ(routes.size(), 2u);
    EXPECT_EQ(routes[0].table, 200u);
    EXPECT_EQ(routes[0].protocol, 99);
    EXPECT_EQ(routes[0].realms, (3u << 16) | 4u);
    EXPECT_EQ(routes[1].table, 201u);
    ASSERT_EQ(rules.config.vrrp.static_rules.size(), 1u);
    const auto& rule = rules.config.vrrp.static_rules[0];
    EXPECT_EQ(rule.table, 200u);
    EXPECT_EQ(rule.suppress_ifgroup, 7u);
    EXPECT_EQ(rule.realms, 4u);
    auto bad = block("static_routes", " 10.1.0.0/16 dev eth0 table purple\n", opt_);
    expect_error(bad, "route table: unknown name or bad number 'purple'", 2, 29);
    EXPECT_TRUE(bad.config.vrrp.static_routes.empty());
}

// ---- addresses -------------------------------------------------------------------------------

TEST(AddressLine, Ipv4Options) {
    auto r = block("static_ipaddress",
                   " 10.1.0.1/24 brd + dev eth1 scope link label eth1:x metric 5 noprefixroute "
                   "autojoin valid_lft 100 preferred_lft 0\n"
                   " 10.1.0.2/24 brd - dev eth1\n"
                   " 10.2.0.1 peer 10.2.0.2/30 dev eth1\n"
                   " 10.3.0.1/24 broadcast 10.3.0.127 dev eth1 preferred_lft forever\n");
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& a = r.config.vrrp.static_addresses;
    ASSERT_EQ(a.size(), 4u);
    EXPECT_EQ(a[0].address.to_string(), "10.1.0.1");
    EXPECT_EQ(a[0].prefix_len, 24);
    EXPECT_EQ(str(a[0].broadcast), "10.1.0.255");
    EXPECT_EQ(a[0].dev, "eth1");
    EXPECT_EQ(a[0].scope, "link");
    EXPECT_EQ(a[0].label, "eth1:x");
    EXPECT_EQ(a[0].metric, 5u);
    EXPECT_TRUE(a[0].noprefixroute);
    EXPECT_TRUE(a[0].autojoin);
    EXPECT_EQ(a[0].valid_lft, 100u);
    EXPECT_EQ(a[0].preferred_lft, 0u);
    EXPECT_FALSE(a[0].home);
    EXPECT_EQ(str(a[1].broadcast), "10.1.0.0");
    EXPECT_EQ(str(a[2].peer), "10.2.0.2");
    EXPECT_EQ(a[2].prefix_len, 30);
    EXPECT_EQ(str(a[3].broadcast), "10.3.0.127");
    EXPECT_EQ(a[3].preferred_lft, vrrp::VirtualAddress::kForever);
    EXPECT_EQ(a[3].valid_lft, std::nullopt);
}

TEST(AddressLine, Ipv6Flags) {
    auto r = block("static_ipaddress",
                   " 2001:db8::1/64 dev eth0 home nodad mngtmpaddr noprefixroute\n"
                   " 2001:db8::2 dev eth0 -nodad preferred_lft forever valid_lft forever\n"
                   " 2001:db8::3/64 dev eth0 peer 2001:db8::4/128\n");
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& a = r.config.vrrp.static_addresses;
    ASSERT_EQ(a.size(), 3u);
    EXPECT_TRUE(a[0].home);
    EXPECT_TRUE(a[0].nodad);
    EXPECT_TRUE(a[0].mngtmpaddr);
    EXPECT_TRUE(a[0].noprefixroute);
    EXPECT_EQ(a[1].prefix_len, 128);
    EXPECT_TRUE(a[1].nodad);
    EXPECT_EQ(a[1].preferred_lft, vrrp::VirtualAddress::kForever);
    EXPECT_EQ(a[1].valid_lft, vrrp::VirtualAddress::kForever);
    EXPECT_EQ(str(a[2].peer), "2001:db8::4");
    EXPECT_EQ(a[2].prefix_len, 128);
}

TEST(AddressLine, StaticDevDefaultsToDefaultInterface) {
    auto r = load("static_ipaddress {\n 10.1.0.1/24\n}\n");
    ASSERT_EQ(r.config.vrrp.static_addresses.size(), 1u);
    EXPECT_EQ(r.config.vrrp.static_addresses[0].dev, "eth0");
    auto g = load("global_defs {\n default_interface bond0\n}\nstatic_ipaddress {\n 10.1.0.1\n}\n");
    ASSERT_EQ(g.config.vrrp.static_addresses.size(), 1u);
    EXPECT_EQ(g.config.vrrp.static_addresses[0].dev, "bond0");
}

TEST(AddressLine, VirtualIpaddressKeepsTheOptions) {
    auto r = load(
        "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n"
        "  2001:db8::9/64 home noprefixroute preferred_lft 0 metric 300\n }\n}\n");
    ASSERT_EQ(r.config.vrrp.instances.size(), 1u);
    const auto& v = r.config.vrrp.instances[0].vips;
    ASSERT_EQ(v.size(), 1u);
    EXPECT_TRUE(v[0].home);
    EXPECT_TRUE(v[0].noprefixroute);
    EXPECT_EQ(v[0].preferred_lft, 0u);
    EXPECT_EQ(v[0].metric, 300u);
}

TEST(AddressLine, Errors) {
    expect_error(block("static_ipaddress", " 10.0.0.1 preferred_lft soon\n"),
                 "preferred_lft: expected a number, got 'soon'", 2, 25);
    expect_error(block("static_ipaddress", " 10.0.0.1 valid_lft 10 preferred_lft 20\n"),
                 "preferred_lft is greater than valid_lft", 2, 2);
    expect_error(block("static_ipaddress", " 10.0.0.1 bogus 1\n"), "unknown address option 'bogus'",
                 2, 11);
    expect_error(block("static_ipaddress", " 10.0.0.1 dev\n"), "'dev' needs a value", 2, 11);
    expect_error(block("static_ipaddress", " 10.0.0.1 peer 2001:db8::1\n"),
                 "peer: expected an address of the same family", 2, 16);
    expect_error(block("static_ipaddress", " 2001:db8::1 label x\n"), "label is only for IPv4", 2,
                 14);
    expect_error(block("static_ipaddress", " 10.0.0.999/24\n"), "VRRP parsed invalid IP", 2, 2);
    auto r = block("static_ipaddress", " 10.0.0.1 bogus 1\n 10.0.0.2\n");
    EXPECT_EQ(r.config.vrrp.static_addresses.size(), 1u) << "the bad line is dropped alone";
}

TEST(AddressLine, Ipv6OnlyFlagsOnIpv4WarnAndKeepTheAddress) {
    auto r = block("static_ipaddress", " 10.0.0.1/24 home -nodad\n");
    EXPECT_TRUE(r.ok()) << all(r);
    const auto* d = test::find(r, "'home' is only for IPv6 addresses; ignored");
    ASSERT_NE(d, nullptr) << all(r);
    EXPECT_EQ(d->severity, Severity::warning);
    EXPECT_EQ(d->column, 14u);
    ASSERT_EQ(r.config.vrrp.static_addresses.size(), 1u);
    EXPECT_FALSE(r.config.vrrp.static_addresses[0].home);
}

TEST(AddressLine, UnsupportedOptionsWarnAndKeepTheAddress) {
    auto r = block("static_ipaddress", " 10.0.0.1 use_vmac dev eth0 track_group G1\n");
    EXPECT_TRUE(r.ok()) << all(r);
    expect_unsupported(r, "use_vmac", 2, 11);
    expect_unsupported(r, "track_group", 2, 29);
    ASSERT_EQ(r.config.vrrp.static_addresses.size(), 1u);
    EXPECT_EQ(r.config.vrrp.static_addresses[0].dev, "eth0");
}

// ---- routes ----------------------------------------------------------------------------------

TEST(RouteLine, EveryOption) {
    auto r =
        block("static_routes",
              " src 10.0.0.1 to 10.9.0.0/16 via 10.0.0.254 dev eth0 table 100 metric 7 "
              "scope link proto static tos 0x10 realms 3/4 onlink mtu lock 1400 advmss 1360 "
              "rtt 10ms rttvar 2 hoplimit 9 window 5 cwnd 6 ssthresh 7 initcwnd 10 initrwnd 11 "
              "reordering 3 rto_min 1s quickack 1 fastopen_no_cookie 1 features ecn append "
              "no_track\n");
    EXPECT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.config.vrrp.static_routes.size(), 1u);
    const auto& x = r.config.vrrp.static_routes[0];
    EXPECT_EQ(x.destination.to_string(), "10.9.0.0");
    EXPECT_EQ(x.prefix_len, 16);
    EXPECT_EQ(str(x.source), "10.0.0.1");
    EXPECT_EQ(str(x.gateway), "10.0.0.254");
    EXPECT_EQ(x.dev, "eth0");
    EXPECT_EQ(x.table, 100u);
    EXPECT_EQ(x.metric, 7u);
    EXPECT_EQ(x.scope, "link");
    EXPECT_EQ(x.protocol, 4);
    EXPECT_EQ(x.tos, 0x10);
    EXPECT_EQ(x.realms, (3u << 16) | 4u);
    EXPECT_TRUE(x.onlink);
    EXPECT_TRUE(x.append);
    EXPECT_TRUE(x.no_track);
    EXPECT_EQ(x.type, R::Type::unicast);
    const auto& m = x.metrics;
    EXPECT_EQ(m.mtu, 1400u);
    EXPECT_EQ(m.locked, 1u << 2) << "RTAX_MTU is 2";
    EXPECT_EQ(m.advmss, 1360u);
    EXPECT_EQ(m.rtt, 80u) << "10 ms in the kernel's 1/8 ms";
    EXPECT_EQ(m.rttvar, 2u) << "a bare number is raw, as ip route";
    EXPECT_EQ(m.hoplimit, 9u);
    EXPECT_EQ(m.window, 5u);
    EXPECT_EQ(m.cwnd, 6u);
    EXPECT_EQ(m.ssthresh, 7u);
    EXPECT_EQ(m.initcwnd, 10u);
    EXPECT_EQ(m.initrwnd, 11u);
    EXPECT_EQ(m.reordering, 3u);
    EXPECT_EQ(m.rto_min, 1000u);
    EXPECT_EQ(m.quickack, 1u);
    EXPECT_EQ(m.fastopen_no_cookie, 1u);
    EXPECT_EQ(m.features, 1u);
}

TEST(RouteLine, TypesDefaultsAndSynonyms) {
    auto r = block("static_routes",
                   " blackhole 10.8.0.0/16 table main\n"
                   " unreachable 10.7.0.0/16\n"
                   " prohibit 10.6.0.0/16 priority 4\n"
                   " throw 10.5.0.0/16 table 9 preference 5\n"
                   " default via 2001:db8::1 dev eth0 pref high\n"
                   " default gw 10.0.0.1 table local\n"
                   " local 10.4.0.1 dev eth0\n"
                   " inet6 default dev eth0 protocol 200\n"
                   " 2001:db8:5::/48 from 2001:db8:6::/48 dev eth0\n");
    // Routes without a device cannot be tracked and 'gw' is deprecated: -t verdicts only.
    EXPECT_TRUE(r.reloadable()) << all(r);
    const auto* gw = test::find(r, "'gw' is deprecated");
    ASSERT_NE(gw, nullptr);
    EXPECT_EQ(gw->line, 7u);
    EXPECT_EQ(gw->column, 10u);
    const auto& x = r.config.vrrp.static_routes;
    ASSERT_EQ(x.size(), 9u);
    EXPECT_EQ(x[0].type, R::Type::blackhole);
    EXPECT_EQ(x[0].table, 254u);
    EXPECT_EQ(x[1].type, R::Type::unreachable);
    EXPECT_EQ(x[2].type, R::Type::prohibit);
    EXPECT_EQ(x[2].metric, 4u);
    EXPECT_EQ(x[3].type, R::Type::throw_);
    EXPECT_EQ(x[3].metric, 5u);
    EXPECT_EQ(x[4].destination.to_string(), "::");
    EXPECT_EQ(x[4].prefix_len, 0);
    EXPECT_EQ(x[4].pref, 1);
    EXPECT_EQ(x[5].destination.to_string(), "0.0.0.0");
    EXPECT_EQ(x[5].table, 255u);
    EXPECT_EQ(x[6].type, R::Type::local);
    EXPECT_EQ(x[6].prefix_len, 32);
    EXPECT_TRUE(x[7].destination.is_v6());
    EXPECT_EQ(x[7].protocol, 200);
    EXPECT_EQ(str(x[8].from), "2001:db8:6::");
    EXPECT_EQ(x[8].from_len, 48);
}

TEST(RouteLine, MultipathAndOr) {
    auto r = block("static_routes",
                   " 10.6.0.0/16 table 6909 nexthop via 10.0.0.1 dev eth0 onlink weight 1 "
                   "nexthop via 10.0.0.2 dev eth1 weight 2\n"
                   " 10.7.0.0/16 via 10.0.0.1 or 10.0.0.2 dev eth0\n");
    const auto& x = r.config.vrrp.static_routes;
    ASSERT_EQ(x.size(), 2u) << all(r);
    ASSERT_EQ(x[0].nexthops.size(), 2u);
    EXPECT_EQ(str(x[0].nexthops[0].gateway), "10.0.0.1");
    EXPECT_EQ(x[0].nexthops[0].dev, "eth0");
    EXPECT_TRUE(x[0].nexthops[0].onlink);
    EXPECT_EQ(x[0].nexthops[0].weight, 1);
    EXPECT_EQ(str(x[0].nexthops[1].gateway), "10.0.0.2");
    EXPECT_EQ(x[0].nexthops[1].dev, "eth1");
    EXPECT_FALSE(x[0].nexthops[1].onlink);
    EXPECT_EQ(x[0].nexthops[1].weight, 2);
    EXPECT_EQ(str(x[1].gateway), "10.0.0.1");
    EXPECT_EQ(str(x[1].or_gateway), "10.0.0.2");
    // keepalived calls "or" deprecated: a -t verdict, not a reason to refuse a reload.
    const auto* d = test::find(r, "'or' is deprecated");
    ASSERT_NE(d, nullptr);
    EXPECT_FALSE(d->refuse_reload);
}

TEST(RouteLine, VirtualRoutesOfAnInstance) {
    auto r = load(
        "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_routes {\n"
        "  10.80.0.0/16 via 10.0.0.1 dev eth0 table 200 mtu 1300\n }\n}\n");
    ASSERT_EQ(r.config.vrrp.instances.size(), 1u);
    const auto& routes = r.config.vrrp.instances[0].routes;
    ASSERT_EQ(routes.size(), 1u);
    EXPECT_EQ(routes[0].table, 200u);
    EXPECT_EQ(routes[0].metrics.mtu, 1300u);
}

TEST(RouteLine, Errors) {
    expect_error(block("static_routes", " 10.0.0.0/8 via 2001:db8::1 dev eth0\n"),
                 "addresses of both families", 2, 2);
    expect_error(block("static_routes", " 10.0.0.0/8\n"), "needs a dev, a via or a nexthop", 2, 2);
    expect_error(block("static_routes", " 10.0.0.0/8 dev eth0 via\n"), "'via' needs a value", 2,
                 22);
    expect_error(block("static_routes", " 10.0.0.0/8 dev eth0 mtu big\n"),
                 "route mtu: expected a number, got 'big'", 2, 26);
    expect_error(block("static_routes", " 10.0.0.0/8 dev eth0 pref high\n"),
                 "pref is only for IPv6", 2, 2);
    expect_error(block("static_routes", " 10.0.0.0/8 dev eth0 scope planet\n"),
                 "unknown scope 'planet'", 2, 28);
    expect_error(block("static_routes", " 10.0.0.0/8 dev eth0 10.1.0.0/16\n"),
                 "unexpected '10.1.0.0/16'", 2, 22);
    expect_error(block("static_routes", " 10.0.0.300/8 dev eth0\n"),
                 "expected a destination ADDRESS[/LEN], got '10.0.0.300/8'", 2, 2);
    expect_error(block("static_routes", " 10.0.0.0/8 nexthop via 10.0.0.1 weight 300\n"),
                 "nexthop weight: '300' outside range [1, 256]", 2, 41);
    expect_error(block("static_routes", " 10.0.0.0/8 dev eth0 protocol nosuch\n"),
                 "route protocol: unknown name or bad number 'nosuch'", 2, 31);
}

TEST(RouteLine, UnsupportedOptionsWarnAndKeepTheRoute) {
    auto r = block("static_routes",
                   " 10.0.0.0/8 dev eth0 vrf blue expires 10 track_group G ttl-propagate enabled "
                   "congctl reno\n");
    EXPECT_TRUE(r.ok()) << all(r);
    expect_unsupported(r, "vrf", 2, 22);
    expect_unsupported(r, "expires", 2, 31);
    expect_unsupported(r, "track_group", 2, 42);
    expect_unsupported(r, "ttl-propagate", 2, 56);
    expect_unsupported(r, "congctl", 2, 78);
    ASSERT_EQ(r.config.vrrp.static_routes.size(), 1u);
    EXPECT_EQ(r.config.vrrp.static_routes[0].dev, "eth0");
}

// ---- rules -----------------------------------------------------------------------------------

TEST(RuleLine, EverySelector) {
    auto r = block("static_rules",
                   " not from 10.0.0.0/8 to 192.168.0.0/16 table 100 priority 50 fwmark 0x10/0xff "
                   "iif eth0 oif eth1 tos 0x10 uidrange 1000-2000 ipproto tcp sport 1000-2000 "
                   "dport 80 suppress_prefixlength 0 suppress_ifgroup 5 protocol static realms 2 "
                   "l3mdev no_track\n");
    EXPECT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.config.vrrp.static_rules.size(), 1u);
    const auto& x = r.config.vrrp.static_rules[0];
    EXPECT_TRUE(x.invert);
    EXPECT_FALSE(x.ipv6);
    EXPECT_EQ(str(x.from), "10.0.0.0");
    EXPECT_EQ(x.from_len, 8);
    EXPECT_EQ(str(x.to), "192.168.0.0");
    EXPECT_EQ(x.to_len, 16);
    EXPECT_EQ(x.action, Rule::Action::table);
    EXPECT_EQ(x.table, 100u);
    EXPECT_EQ(x.priority, 50u);
    EXPECT_EQ(x.fwmark, 0x10u);
    EXPECT_EQ(x.fwmask, 0xffu);
    EXPECT_EQ(x.iif, "eth0");
    EXPECT_EQ(x.oif, "eth1");
    EXPECT_EQ(x.tos, 0x10);
    EXPECT_EQ(x.uidrange, (std::pair<std::uint32_t, std::uint32_t>{1000, 2000}));
    EXPECT_EQ(x.ipproto, 6);
    EXPECT_EQ(x.sport, (std::pair<std::uint16_t, std::uint16_t>{1000, 2000}));
    EXPECT_EQ(x.dport, (std::pair<std::uint16_t, std::uint16_t>{80, 80}));
    EXPECT_EQ(x.suppress_prefixlength, 0u);
    EXPECT_EQ(x.suppress_ifgroup, 5u);
    EXPECT_EQ(x.protocol, 4);
    EXPECT_EQ(x.realms, 2u);
    EXPECT_TRUE(x.l3mdev);
    EXPECT_TRUE(x.no_track);
}

TEST(RuleLine, ActionsFamiliesAndSynonyms) {
    auto r = block("static_rules",
                   " from all goto 100 priority 10\n"
                   " to 10.0.0.0/8 blackhole pref 5\n"
                   " from 10.1.0.0/16 unreachable preference 6\n"
                   " from 10.2.0.0/16 prohibit prio 7\n"
                   " fwmark 3 nop pref 8\n"
                   " from 2001:db8::/32 lookup 5 pref 1\n"
                   " inet6 fwmark 1 table main pref 2\n"
                   " from 10.3.0.0/16 pref 3\n"
                   " dev eth0 ip_proto udp dport 53 table 9 pref 4\n");
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& x = r.config.vrrp.static_rules;
    ASSERT_EQ(x.size(), 9u);
    EXPECT_EQ(x[0].action, Rule::Action::goto_);
    EXPECT_EQ(x[0].goto_target, 100u);
    EXPECT_FALSE(x[0].from);
    EXPECT_EQ(x[1].action, Rule::Action::blackhole);
    EXPECT_EQ(x[1].priority, 5u);
    EXPECT_EQ(x[2].action, Rule::Action::unreachable);
    EXPECT_EQ(x[2].priority, 6u);
    EXPECT_EQ(x[3].action, Rule::Action::prohibit);
    EXPECT_EQ(x[3].priority, 7u);
    EXPECT_EQ(x[4].action, Rule::Action::nop);
    EXPECT_TRUE(x[5].ipv6);
    EXPECT_EQ(x[5].table, 5u);
    EXPECT_TRUE(x[6].ipv6);
    EXPECT_EQ(x[6].table, 254u);
    EXPECT_EQ(x[7].table, 254u) << "no action: lookup main, as ip rule";
    EXPECT_EQ(x[8].iif, "eth0");
    EXPECT_EQ(x[8].ipproto, 17);
}

TEST(RuleLine, VirtualRulesOfAnInstanceAndMissingPreference) {
    auto r = load(
        "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_rules {\n"
        "  from 10.50.0.100 table 200 priority 200\n  to 10.9.0.0/16 table 200\n }\n}\n");
    ASSERT_EQ(r.config.vrrp.instances.size(), 1u);
    const auto& rules = r.config.vrrp.instances[0].rules;
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(rules[0].from_len, 32);
    EXPECT_EQ(rules[0].priority, 200u);
    EXPECT_EQ(rules[1].priority, 16384u);
    const auto* d = test::find(r, "Rule has no preference specified - setting to 16384");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->line, 6u);
    EXPECT_FALSE(d->refuse_reload);
    // Each further rule without one gets one less, as keepalived.
    auto two = block("static_rules", " from 10.1.0.0/16 table 1\n from 10.2.0.0/16 table 2\n");
    ASSERT_EQ(two.config.vrrp.static_rules.size(), 2u);
    EXPECT_EQ(two.config.vrrp.static_rules[0].priority, 16384u);
    EXPECT_EQ(two.config.vrrp.static_rules[1].priority, 16383u);
}

TEST(RuleLine, Errors) {
    expect_error(block("static_rules", " from 10.0.0.1 to 2001:db8::1 pref 1\n"),
                 "addresses of both families", 2, 2);
    expect_error(block("static_rules", " fwmark x pref 1\n"),
                 "rule fwmark: expected MARK[/MASK], got 'x'", 2, 9);
    expect_error(block("static_rules", " uidrange 5-1 pref 1\n"),
                 "rule uidrange: expected N or N-M", 2, 11);
    expect_error(block("static_rules", " sport 70000 pref 1\n"), "rule sport", 2, 8);
    expect_error(block("static_rules", " table 5 blackhole pref 1\n"), "a table and another action",
                 2, 2);
    expect_error(block("static_rules", " ipproto nosuch pref 1\n"),
                 "rule ipproto: unknown protocol 'nosuch'", 2, 10);
    expect_error(block("static_rules", " from 10.0.0.0/33 pref 1\n"),
                 "rule from: invalid address '10.0.0.0/33'", 2, 7);
    expect_error(block("static_rules", " bogus pref 1\n"), "rule: unknown option 'bogus'", 2, 2);
    expect_error(block("static_rules", " from 10.0.0.0/8 pref\n"), "'pref' needs a value", 2, 18);
    expect_error(block("static_rules", " suppress_prefixlength 200 pref 1\n"),
                 "'200' outside range [0, 128]", 2, 24);
}

TEST(RuleLine, UnsupportedOptionsWarnAndKeepTheRule) {
    auto r = block("static_rules", " from 10.0.0.0/8 nat 192.0.2.1 table 5 pref 1 track_group G\n");
    EXPECT_TRUE(r.ok()) << all(r);
    expect_unsupported(r, "nat", 2, 18);
    expect_unsupported(r, "track_group", 2, 47);
    ASSERT_EQ(r.config.vrrp.static_rules.size(), 1u);
    EXPECT_EQ(r.config.vrrp.static_rules[0].table, 5u);
}

}  // namespace
}  // namespace vigil::config
