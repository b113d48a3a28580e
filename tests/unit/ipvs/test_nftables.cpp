#include <gtest/gtest.h>

#include <linux/ip_vs.h>
#include <algorithm>

#include <fmt/format.h>

#include "vigil/ipvs/nftables.hpp"

using namespace vigil::ipvs;
namespace ip = boost::asio::ip;

namespace {

Destination dest(const char* a, std::uint16_t port, int weight) {
    return {ip::make_address(a), port, Forwarding::nat, weight, 0, 0};
}

Service web(const char* sched = "wrr") {
    Service s;
    s.id.address = ip::make_address("10.0.0.1");
    s.id.port = 80;
    s.scheduler = sched;
    s.destinations = {dest("10.0.1.1", 80, 1), dest("10.0.1.2", 8080, 2), dest("10.0.1.3", 80, 0)};
    return s;
}

// A pool's elements: slot . KEY : VALUE, from slot 0.
std::string slots(const std::string& key, std::initializer_list<const char*> values) {
    std::string out;
    int i = 0;
    for (const char* v : values)
        out += fmt::format("{}{} . {} : {}", i ? ", " : "", i, key, v), ++i;
    return out;
}

NftablesOptions opts() {
    NftablesOptions o;
    o.table = "vigil";
    return o;
}

// libnftables' dry run: parsed and checked against the kernel's view, never committed.
void expect_valid(const std::string& text) {
    NftablesOptions o = opts();
    o.dry_run = true;
    auto nft = Nftables::open(o);
    ASSERT_TRUE(nft) << nft.error().message;
    auto ok = (*nft)->run(text);
    EXPECT_TRUE(ok) << (ok ? "" : ok.error().message) << "\n" << text;
}

}  // namespace

TEST(NftRender, WeightedPoolExactText) {
    auto r = render_nftables({web()}, opts());
    EXPECT_EQ(r.text,
              "add table inet vigil\n"
              "delete table inet vigil\n"
              "table inet vigil {\n"
              "\tmap svc_mark {\n"
              "\t\ttype mark . nf_proto : verdict\n"
              "\t}\n"
              "\tmap svc_ip {\n"
              "\t\ttype inet_proto . ipv4_addr . inet_service : verdict\n"
              "\t\telements = { tcp . 10.0.0.1 . 80 : goto pick_ip_tcp_rr_3 }\n"
              "\t}\n"
              "\tmap svc_ip6 {\n"
              "\t\ttype inet_proto . ipv6_addr . inet_service : verdict\n"
              "\t}\n"
              "\tmap pool_ip_tcp {\n"
              "\t\ttypeof numgen inc mod 2 . ip daddr . tcp dport : ip daddr . tcp dport\n"
              "\t}\n"
              "\tchain prerouting {\n"
              "\t\ttype nat hook prerouting priority -100; policy accept;\n"
              "\t\tmeta mark . meta nfproto vmap @svc_mark\n"
              "\t\tmeta l4proto . ip daddr . th dport vmap @svc_ip\n"
              "\t\tmeta l4proto . ip6 daddr . th dport vmap @svc_ip6\n"
              "\t}\n"
              "\tchain output {\n"
              "\t\ttype nat hook output priority -100; policy accept;\n"
              "\t\tmeta mark . meta nfproto vmap @svc_mark\n"
              "\t\tmeta l4proto . ip daddr . th dport vmap @svc_ip\n"
              "\t\tmeta l4proto . ip6 daddr . th dport vmap @svc_ip6\n"
              "\t}\n"
              "\tchain pick_ip_tcp_rr_3 {\n"
              "\t\tmeta l4proto tcp dnat ip to numgen inc mod 3 . ip daddr . th dport map "
              "@pool_ip_tcp\n"
              "\t}\n"
              "}\n"
              "add element inet vigil pool_ip_tcp { 0 . 10.0.0.1 . 80 : 10.0.1.1 . 80, "
              "1 . 10.0.0.1 . 80 : 10.0.1.2 . 8080, 2 . 10.0.0.1 . 80 : 10.0.1.2 . 8080 }\n");
    EXPECT_TRUE(r.warnings.empty());
    expect_valid(r.text);
}
TEST(NftRender, RoundRobinIgnoresWeightsAndGcdShrinksMaps) {
    auto rr = render_nftables({web("rr")}, opts());
    const std::string key = "10.0.0.1 . 80";
    EXPECT_NE(rr.text.find(slots(key, {"10.0.1.1 . 80", "10.0.1.2 . 8080"}) + " }"),
              std::string::npos);
    EXPECT_NE(rr.text.find("numgen inc mod 2 . ip daddr . th dport map @pool_ip_tcp"),
              std::string::npos);
    Service s = web("wlc");
    s.destinations = {dest("10.0.1.1", 80, 100), dest("10.0.1.2", 80, 300)};
    auto w = render_nftables({s}, opts());
    EXPECT_NE(w.text.find(
                  slots(key, {"10.0.1.1 . 80", "10.0.1.2 . 80", "10.0.1.2 . 80", "10.0.1.2 . 80"}) +
                  " }"),
              std::string::npos);
    EXPECT_NE(w.text.find("numgen inc mod 4 . ip daddr . th dport map @pool_ip_tcp"),
              std::string::npos);
}

TEST(NftRender, PoolsTooLargeToListKeepRangesInTheRule) {
    Service s = web("wlc");
    s.destinations = {dest("10.0.1.1", 80, 200), dest("10.0.1.2", 80, 301)};
    auto r = render_nftables({s}, opts());
    EXPECT_NE(
        r.text.find("numgen inc mod 501 map { 0-199 : 10.0.1.1 . 80, 200-500 : 10.0.1.2 . 80 }"),
        std::string::npos)
        << r.text;
    EXPECT_EQ(r.text.find("add element inet vigil pool_"), std::string::npos);
    expect_valid(r.text);
}

TEST(NftRender, SourceHashingFailoverAndPortZero) {
    Service sh = web("sh");
    sh.flags = IP_VS_SVC_F_SCHED_SH_PORT;
    sh.destinations = {dest("10.0.1.1", 0, 1), dest("10.0.1.2", 0, 1)};
    auto r = render_nftables({sh}, opts());
    EXPECT_NE(r.text.find("meta l4proto tcp dnat ip to jhash ip saddr . th sport mod 2 seed 0x5eed "
                          ". ip daddr . th dport map @pool_ip_tcp"),
              std::string::npos)
        << r.text;
    EXPECT_NE(r.text.find(slots("10.0.0.1 . 80", {"10.0.1.1 . 80", "10.0.1.2 . 80"}) + " }"),
              std::string::npos);
    expect_valid(r.text);
    auto fo = render_nftables({web("fo")}, opts());
    EXPECT_NE(fo.text.find("{ 0 . 10.0.0.1 . 80 : 10.0.1.2 . 8080 }"), std::string::npos);
    EXPECT_NE(fo.text.find("numgen inc mod 1 . ip daddr . th dport map @pool_ip_tcp"),
              std::string::npos);
}

TEST(NftRender, PersistenceMapLearntFromDnat) {
    Service s = web("wlc");
    s.flags = IP_VS_SVC_F_PERSISTENT;
    s.timeout = 300;
    s.prefix = 24;
    auto r = render_nftables({s}, opts());
    EXPECT_NE(r.text.find("\tmap persist_0 {\n\t\ttype ipv4_addr : ipv4_addr . inet_service\n"
                          "\t\tflags dynamic,timeout\n\t\ttimeout 300s\n\t}\n"),
              std::string::npos)
        << r.text;
    EXPECT_NE(r.text.find("\tchain postrouting {\n\t\ttype nat hook postrouting priority 100; "
                          "policy accept;\n\t\tmeta l4proto tcp ct original ip daddr 10.0.0.1 ct "
                          "original proto-dst 80 ct status dnat update @persist_0 { ip saddr and "
                          "255.255.255.0 : ip daddr . th dport }\n\t}\n"),
              std::string::npos);
    // Looked up before the scheduler.
    const auto lookup =
        r.text.find("\t\tmeta l4proto tcp dnat ip to ip saddr and 255.255.255.0 map @persist_0\n");
    const auto sched = r.text.find("dnat ip to numgen inc");
    ASSERT_NE(lookup, std::string::npos);
    EXPECT_LT(lookup, sched);
    expect_valid(r.text);
}

TEST(NftRender, Ipv6FwmarkUdpAndSorryPool) {
    Service v6;
    v6.id.address = ip::make_address("2001:db8::1");
    v6.id.port = 443;
    v6.scheduler = "wrr";
    v6.flags = IP_VS_SVC_F_PERSISTENT;
    v6.timeout = 60;
    v6.prefix = 64;
    v6.destinations = {dest("2001:db8::10", 443, 1), dest("2001:db8::11", 443, 1)};
    Service fw;
    fw.id.fwmark = 5;
    fw.id.protocol = Protocol::udp;
    fw.scheduler = "rr";
    fw.destinations = {dest("10.0.2.1", 0, 1), dest("10.0.2.2", 0, 1)};
    Service udp = web();
    udp.id.protocol = Protocol::udp;
    udp.id.port = 53;
    udp.destinations = {dest("10.0.9.9", 53, 1)};  // the sorry server alone
    Table t{v6, fw, udp};
    normalize(t);
    auto r = render_nftables(t, opts());
    EXPECT_NE(r.text.find("elements = { tcp . [2001:db8::1] . 443 : goto svc_"), std::string::npos);
    EXPECT_NE(r.text.find("\tmap pool_ip6_tcp {\n\t\ttypeof numgen inc mod 2 . ip6 daddr . tcp "
                          "dport : ip6 daddr . tcp dport\n\t}\n"),
              std::string::npos);
    EXPECT_NE(
        r.text.find("add element inet vigil pool_ip6_tcp { " +
                    slots("[2001:db8::1] . 443", {"[2001:db8::10] . 443", "[2001:db8::11] . 443"}) +
                    " }\n"),
        std::string::npos);
    EXPECT_NE(r.text.find("type ipv6_addr : ipv6_addr\n"), std::string::npos);
    EXPECT_NE(r.text.find("dnat ip6 to ip6 saddr and ffff:ffff:ffff:ffff:: map @persist_"),
              std::string::npos);
    EXPECT_NE(r.text.find("elements = { 0x00000005 . ipv4 : goto pick_ipm_any_rr_2 }"),
              std::string::npos);
    // A mark's pool keys on the mark; port 0 destinations keep the packet's port.
    EXPECT_NE(r.text.find("\tmap pool_ipm_any {\n\t\ttypeof numgen inc mod 2 . meta mark : ip "
                          "daddr\n\t}\n"),
              std::string::npos);
    EXPECT_NE(r.text.find("add element inet vigil pool_ipm_any { " +
                          slots("0x00000005", {"10.0.2.1", "10.0.2.2"}) + " }\n"),
              std::string::npos);
    EXPECT_NE(r.text.find("dnat ip to numgen inc mod 2 . meta mark map @pool_ipm_any\n"),
              std::string::npos);
    EXPECT_NE(r.text.find("elements = { udp . 10.0.0.1 . 53 : goto pick_ip_udp_rr_1 }"),
              std::string::npos);
    EXPECT_NE(
        r.text.find("typeof numgen inc mod 2 . ip daddr . udp dport : ip daddr . udp dport\n"),
        std::string::npos);
    EXPECT_NE(r.text.find("add element inet vigil pool_ip_udp { 0 . 10.0.0.1 . 53 : 10.0.9.9 . "
                          "53 }\n"),
              std::string::npos);
    EXPECT_NE(r.text.find("meta l4proto udp dnat ip to numgen inc mod 1 . ip daddr . th dport map "
                          "@pool_ip_udp"),
              std::string::npos);
    // The mark is looked up first, as IPVS does.
    EXPECT_LT(r.text.find("vmap @svc_mark"), r.text.find("vmap @svc_ip"));
    expect_valid(r.text);
}

TEST(NftRender, Ipv6PersistenceNeedsUniformPorts) {
    Service v6;
    v6.id.address = ip::make_address("2001:db8::1");
    v6.id.port = 443;
    v6.timeout = 60;
    v6.prefix = 128;
    v6.destinations = {dest("2001:db8::10", 8443, 1)};
    auto r = render_nftables({v6}, opts());
    EXPECT_EQ(r.text.find("persist_"), std::string::npos);
    ASSERT_EQ(r.warnings.size(), 1u);
    expect_valid(r.text);
}

TEST(NftRender, EmptyPoolAndDirectRoutingWarning) {
    Service s = web();
    s.destinations = {dest("10.0.1.3", 80, 0)};
    auto r = render_nftables({s}, opts());
    // Its packets go on untouched.
    EXPECT_NE(r.text.find("elements = { tcp . 10.0.0.1 . 80 : accept }"), std::string::npos);
    EXPECT_EQ(r.text.find("\tchain svc_"), std::string::npos);
    EXPECT_EQ(r.text.find("\tchain pick_"), std::string::npos);
    expect_valid(r.text);
    s.destinations[0].weight = 1;
    s.destinations[0].forwarding = Forwarding::dr;
    EXPECT_EQ(render_nftables({s}, opts()).warnings.size(), 1u);
}

TEST(NftRender, UpdateChangesOnlyTheChangedServiceElements) {
    Service other = web("rr");
    other.id.port = 443;
    Table before{web(), other};
    normalize(before);
    Table after = before;
    after[0].destinations[0].weight = 3;  // 10.0.1.1 on :80
    auto u = render_nftables_update(before, after, opts());
    ASSERT_TRUE(u);
    const std::string key = "10.0.0.1 . 80";
    const std::string now = slots(key, {"10.0.1.1 . 80", "10.0.1.1 . 80", "10.0.1.1 . 80",
                                        "10.0.1.2 . 8080", "10.0.1.2 . 8080"});
    // Five slots: the chain of 5-slot pools, made as it is new, and the dispatch element.
    EXPECT_EQ(
        u->text,
        "delete element inet vigil pool_ip_tcp { 0 . 10.0.0.1 . 80, 1 . 10.0.0.1 "
        ". 80, 2 . 10.0.0.1 . 80 }\n"
        "add element inet vigil pool_ip_tcp { " +
            now +
            " }\n"
            "add chain inet vigil pick_ip_tcp_rr_5\n"
            "flush chain inet vigil pick_ip_tcp_rr_5\n"
            "add rule inet vigil pick_ip_tcp_rr_5 meta l4proto tcp dnat ip to numgen inc "
            "mod 5 . ip daddr . th dport map @pool_ip_tcp\n"
            "delete element inet vigil svc_ip { tcp . 10.0.0.1 . 80 }\n"
            "add element inet vigil svc_ip { tcp . 10.0.0.1 . 80 : goto pick_ip_tcp_rr_5 }\n");
    EXPECT_TRUE(u->warnings.empty());
    EXPECT_EQ(u->new_chains, std::vector<std::string>{"pick_ip_tcp_rr_5"});
    // The whole table, then the update, in one transaction the kernel accepts.
    const auto table = render_nftables(before, opts());
    expect_valid(table.text + u->text);
    EXPECT_EQ(table.chains, (std::vector<std::string>{"pick_ip_tcp_rr_3", "pick_ip_tcp_rr_2"}));
    // A chain the table has already is left alone.
    auto known = render_nftables_update(before, after, opts(), {"pick_ip_tcp_rr_5"});
    ASSERT_TRUE(known);
    EXPECT_EQ(known->text.find("chain"), std::string::npos) << known->text;
    EXPECT_TRUE(known->new_chains.empty());
    // As the whole render of the new table has them.
    const auto whole = render_nftables(after, opts()).text;
    EXPECT_NE(whole.find("pool_ip_tcp { " + now + ", "), std::string::npos);
    EXPECT_NE(whole.find("tcp . 10.0.0.1 . 80 : goto pick_ip_tcp_rr_5"), std::string::npos);
    EXPECT_NE(whole.find("\tchain pick_ip_tcp_rr_5 {\n\t\tmeta l4proto tcp dnat ip to numgen inc "
                         "mod 5 . ip daddr . th dport map @pool_ip_tcp\n\t}\n"),
              std::string::npos);
    // Other servers in the same slots: the pool's elements change, nothing else.
    Table swapped = before;
    swapped[0].destinations[0].address = ip::make_address("10.0.1.7");
    auto e = render_nftables_update(before, swapped, opts());
    ASSERT_TRUE(e);
    EXPECT_EQ(e->text,
              "delete element inet vigil pool_ip_tcp { 0 . 10.0.0.1 . 80, 1 . 10.0.0.1 "
              ". 80, 2 . 10.0.0.1 . 80 }\n"
              "add element inet vigil pool_ip_tcp { " +
                  slots(key, {"10.0.1.7 . 80", "10.0.1.2 . 8080", "10.0.1.2 . 8080"}) + " }\n");
    expect_valid(render_nftables(before, opts()).text + e->text);
    // A pool that empties: its packets go on untouched; the shared chain stays for the others.
    Table empty = before;
    for (auto& d : empty[0].destinations) d.weight = 0;
    auto z = render_nftables_update(before, empty, opts());
    ASSERT_TRUE(z);
    EXPECT_EQ(z->text,
              "delete element inet vigil pool_ip_tcp { 0 . 10.0.0.1 . 80, 1 . 10.0.0.1 "
              ". 80, 2 . 10.0.0.1 . 80 }\n"
              "delete element inet vigil svc_ip { tcp . 10.0.0.1 . 80 }\n"
              "add element inet vigil svc_ip { tcp . 10.0.0.1 . 80 : accept }\n");
    expect_valid(render_nftables(before, opts()).text + z->text);
    auto same = render_nftables_update(before, before, opts());
    ASSERT_TRUE(same);
    EXPECT_TRUE(same->text.empty());
}
TEST(NftRender, UpdateForgetsTheChangedServiceLearntClientsOnly) {
    Service p = web();
    p.timeout = 300;
    Service q = p;
    q.id.port = 443;
    Table before{p, q};
    normalize(before);
    Table after = before;
    after[1].destinations.pop_back();
    after[1].destinations[0].weight = 0;  // 10.0.1.1 leaves :443
    auto u = render_nftables_update(before, after, opts());
    ASSERT_TRUE(u);
    EXPECT_NE(u->text.find("delete element inet vigil pool_ip_tcp { 0 . 10.0.0.1 . 443, 1 . "
                           "10.0.0.1 . 443, 2 . 10.0.0.1 . 443 }\n"
                           "add element inet vigil pool_ip_tcp { 0 . 10.0.0.1 . 443 : 10.0.1.2 . "
                           "8080 }\n"
                           "flush map inet vigil persist_1\n"
                           "flush chain inet vigil svc_1\n"
                           "add rule inet vigil svc_1 meta l4proto tcp dnat ip to ip saddr map "
                           "@persist_1\n"
                           "add rule inet vigil svc_1 meta l4proto tcp dnat ip to numgen inc mod 1 "
                           ". ip daddr . th dport map @pool_ip_tcp\n"),
              std::string::npos)
        << u->text;
    EXPECT_EQ(u->text.find("svc_0"), std::string::npos);
    EXPECT_EQ(u->text.find(". 10.0.0.1 . 80"), std::string::npos);
    EXPECT_EQ(u->text.find("persist_0"), std::string::npos);
    expect_valid(render_nftables(before, opts()).text + u->text);
}

TEST(NftRender, UpdateNeedsTheSameServicesAndPersistence) {
    Table before{web()};
    Table more = before;
    Service other = web();
    other.id.port = 443;
    more.push_back(other);
    normalize(more);
    EXPECT_FALSE(render_nftables_update(before, more, opts()));
    EXPECT_FALSE(render_nftables_update(more, before, opts()));
    Table moved = before;
    moved[0].id.port = 8080;
    EXPECT_FALSE(render_nftables_update(before, moved, opts()));
    Table persistent = before;
    persistent[0].timeout = 60;  // a map and a learning rule appear
    EXPECT_FALSE(render_nftables_update(before, persistent, opts()));
    Table rr = before;
    rr[0].scheduler = "rr";  // the chain alone
    auto u = render_nftables_update(before, rr, opts());
    ASSERT_TRUE(u);
    EXPECT_NE(u->text.find("numgen inc mod 2 . ip daddr . th dport map"), std::string::npos);
}

TEST(NftRender, ServicesOfOneSizeShareAChainAndAPoolMap) {
    Table t;
    for (unsigned i = 0; i < 100; ++i) {
        Service s = web("rr");
        s.id.address = ip::make_address(fmt::format("10.0.0.{}", i + 1));
        t.push_back(s);
    }
    normalize(t);
    auto r = render_nftables(t, opts());
    auto count = [&](const std::string& what) {
        std::size_t n = 0;
        for (auto p = r.text.find(what); p != std::string::npos; p = r.text.find(what, p + 1)) ++n;
        return n;
    };
    // Two base chains, one shared chain, one pool map filled after the chain that reads it.
    EXPECT_EQ(count("\tchain "), 3u);
    EXPECT_EQ(count(": goto pick_ip_tcp_rr_2"), 100u);
    EXPECT_EQ(count("\tmap pool_"), 1u);
    EXPECT_EQ(count("add element inet vigil pool_ip_tcp "), 1u);
    EXPECT_LT(r.text.find("\tchain pick_"), r.text.find("add element inet vigil pool_"));
    expect_valid(r.text);

    // Two services grow to three slots: the new shared chain is made once.
    Table after = t;
    for (auto* s : {&after[7], &after[42]}) s->destinations[2].weight = 1;
    auto u = render_nftables_update(t, after, opts());
    ASSERT_TRUE(u);
    EXPECT_EQ(std::count(u->text.begin(), u->text.end(), '\n'), 2 * 2 + 3 + 2 * 2);
    EXPECT_NE(u->text.find("add chain inet vigil pick_ip_tcp_rr_3\n"), std::string::npos);
    expect_valid(r.text + u->text);
}
TEST(NftRender, UpdateReportsChangedWarnings) {
    Table before{web()};
    Table after = before;
    after[0].destinations[0].forwarding = Forwarding::dr;
    auto u = render_nftables_update(before, after, opts());
    ASSERT_TRUE(u);
    ASSERT_EQ(u->warnings.size(), 1u);
    EXPECT_EQ(u->warnings[0].first, 0u);
    ASSERT_EQ(u->warnings[0].second.size(), 1u);
    EXPECT_NE(u->warnings[0].second[0].find("uses dr forwarding"), std::string::npos);
    EXPECT_EQ(render_nftables(after, opts()).warnings, u->warnings[0].second);
    EXPECT_EQ(render_nftables(after, opts()).warnings_of, (std::vector<std::size_t>{1}));
}

TEST(NftRender, FlushAndTableNames) {
    NftablesOptions o;
    o.table = "lb-ns1";
    EXPECT_EQ(render_nftables_flush(o), "add table inet lb-ns1\ndelete table inet lb-ns1\n");
    EXPECT_TRUE(valid_table_name("vigil"));
    EXPECT_FALSE(valid_table_name(""));
    EXPECT_FALSE(valid_table_name("a b"));
    EXPECT_FALSE(valid_table_name("x;flush ruleset"));
    o.table = "bad name";
    EXPECT_FALSE(Nftables::open(o));
}

TEST(NftRender, ConntrackArgv) {
    Service s = web();
    auto argv = conntrack_flush_argv(s.id, dest("10.0.1.2", 8080, 1));
    EXPECT_EQ(argv, (std::vector<std::string>{"conntrack", "-D", "-f", "ipv4", "-p", "tcp",
                                              "--reply-src", "10.0.1.2", "--reply-port-src", "8080",
                                              "--orig-dst", "10.0.0.1"}));
}

TEST(NftBackend, DryRunApplyKeepsWhatWasApplied) {
    NftablesOptions o = opts();
    o.dry_run = true;
    auto nft = Nftables::open(o);
    ASSERT_TRUE(nft);
    Table t{web()};
    ASSERT_TRUE((*nft)->apply(t));
    auto back = (*nft)->read();
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, t);
    ASSERT_TRUE((*nft)->flush());
    EXPECT_TRUE((*nft)->read()->empty());
    // A text the kernel would refuse is reported, not thrown.
    auto bad = (*nft)->run("table inet vigil { chain c { ip daddr 10.0.0.999 accept } }\n");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("nftables:"), std::string::npos);
}
