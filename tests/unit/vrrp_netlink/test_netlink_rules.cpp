#include <gtest/gtest.h>

#include "netns_fixture.hpp"
#include "rules.hpp"

using namespace vigil::vrrp;
using boost::asio::ip::make_address;
using vigil::test::sh;
using vigil::test::sh_ok;

namespace {

VirtualRule rule(std::uint32_t prio) {
    VirtualRule r;
    r.priority = prio;
    return r;
}

// `ip rule show` lines other than the three the kernel starts with.
std::string ours(const char* family = "-4") {
    std::string out;
    for (std::string all = sh(std::string("ip ") + family + " rule show"); !all.empty();) {
        auto nl = all.find('\n');
        std::string line = all.substr(0, nl);
        all = nl == std::string::npos ? "" : all.substr(nl + 1);
        if (line.starts_with("0:") || line.starts_with("32766:") || line.starts_with("32767:"))
            continue;
        out += line + "\n";
    }
    return out;
}

class Rules : public vigil::test::NetnsTest {
  protected:
    void SetUp() override {
        NetnsTest::SetUp();
        if (IsSkipped()) return;
        ASSERT_TRUE(sh_ok("ip link add d0 type veth peer name d0p && ip link set d0 up"));
        auto m = RuleManager::open();
        ASSERT_TRUE(m) << m.error();
        mgr_.emplace(std::move(*m));
    }
    std::optional<RuleManager> mgr_;
};

}  // namespace

TEST(MakeRule, RejectsMixedFamilies) {
    VirtualRule r = rule(1);
    r.from = make_address("2001:db8::1");
    r.from_len = 128;
    EXPECT_FALSE(make_rule(r));
    r.ipv6 = true;
    EXPECT_TRUE(make_rule(r));
}

TEST_F(Rules, SelectorsAndActionsAddAndRemove) {
    VirtualRule from = rule(100);
    from.from = make_address("10.50.0.0");
    from.from_len = 24;
    from.to = make_address("10.70.0.0");
    from.to_len = 16;
    from.table = 100;

    VirtualRule mark = rule(101);
    mark.fwmark = 5;
    mark.fwmask = 0xff;
    mark.iif = "lo";
    mark.oif = "d0";
    mark.tos = 0x10;
    mark.table = 6909;

    VirtualRule ports = rule(102);
    ports.ipproto = 6;
    ports.sport = {{1000, 2000}};
    ports.dport = {{80, 80}};
    ports.uidrange = {{1000, 2000}};
    ports.table = 100;

    VirtualRule suppress = rule(103);
    suppress.table = 254;
    suppress.suppress_prefixlength = 0;
    suppress.suppress_ifgroup = 5;

    VirtualRule go = rule(104);
    go.invert = true;
    go.from = make_address("10.60.0.0");
    go.from_len = 16;
    go.action = VirtualRule::Action::goto_;
    go.goto_target = 200;

    VirtualRule hole = rule(105);
    hole.action = VirtualRule::Action::blackhole;
    VirtualRule unreach = rule(106);
    unreach.action = VirtualRule::Action::unreachable;
    VirtualRule prohibit = rule(107);
    prohibit.action = VirtualRule::Action::prohibit;
    prohibit.realms = 4;
    VirtualRule l3 = rule(108);
    l3.l3mdev = true;
    l3.action = VirtualRule::Action::table;
    l3.table = 0;
    l3.protocol = 4;

    std::vector<VirtualRule*> all = {&from, &mark,    &ports,    &suppress, &go,
                                     &hole, &unreach, &prohibit, &l3};
    for (auto* r : all) ASSERT_TRUE(mgr_->add(*r)) << describe(*r);
    EXPECT_EQ(ours(),
              "100:\tfrom 10.50.0.0/24 to 10.70.0.0/16 lookup 100 proto keepalived\n"
              "101:\tfrom all tos 0x10 fwmark 0x5/0xff iif lo oif d0 lookup 6909 proto keepalived\n"
              "102:\tfrom all uidrange 1000-2000 ipproto tcp sport 1000-2000 dport 80 lookup 100 "
              "proto keepalived\n"
              "103:\tfrom all lookup main suppress_prefixlength 0 suppress_ifgroup 5 proto "
              "keepalived\n"
              "104:\tnot from 10.60.0.0/16 goto 200 [unresolved] proto keepalived\n"
              "105:\tfrom all blackhole proto keepalived\n"
              "106:\tfrom all unreachable proto keepalived\n"
              "107:\tfrom all realms 4 prohibit proto keepalived\n"
              "108:\tfrom all lookup [l3mdev-table] proto static\n");

    ASSERT_TRUE(mgr_->add(from)) << "adding twice is success";
    EXPECT_EQ(mgr_->counters().added, all.size());
    EXPECT_EQ(mgr_->counters().already_present, 1u);
    EXPECT_EQ(sh("ip rule show pref 100 | wc -l"), "1\n") << "no duplicate";

    for (auto* r : all) ASSERT_TRUE(mgr_->remove(*r)) << describe(*r);
    EXPECT_EQ(ours(), "");
    ASSERT_TRUE(mgr_->remove(from)) << "removing twice is success";
    EXPECT_EQ(mgr_->counters().removed, all.size());
    EXPECT_EQ(mgr_->counters().already_absent, 1u);
}

TEST_F(Rules, RemoveTakesOnlyTheMatchingRule) {
    VirtualRule a = rule(300);
    a.from = make_address("10.1.0.0");
    a.from_len = 16;
    a.table = 10;
    VirtualRule b = a;
    b.table = 11;
    ASSERT_TRUE(mgr_->add(a));
    ASSERT_TRUE(mgr_->add(b));
    ASSERT_TRUE(sh_ok("ip rule add from 10.1.0.0/16 table 12 pref 300"));  // not ours
    ASSERT_TRUE(mgr_->remove(a));
    EXPECT_EQ(ours(),
              "300:\tfrom 10.1.0.0/16 lookup 11 proto keepalived\n"
              "300:\tfrom 10.1.0.0/16 lookup 12\n");
    ASSERT_TRUE(mgr_->remove(b));
    EXPECT_EQ(ours(), "300:\tfrom 10.1.0.0/16 lookup 12\n");
}

TEST_F(Rules, Ipv6) {
    VirtualRule r = rule(50);
    r.ipv6 = true;
    r.from = make_address("2001:db8::");
    r.from_len = 32;
    r.table = 5;
    VirtualRule mark = rule(51);
    mark.ipv6 = true;
    mark.fwmark = 1;
    mark.table = 254;
    ASSERT_TRUE(mgr_->add(r));
    ASSERT_TRUE(mgr_->add(mark));
    EXPECT_EQ(ours("-6"),
              "50:\tfrom 2001:db8::/32 lookup 5 proto keepalived\n"
              "51:\tfrom all fwmark 0x1 lookup main proto keepalived\n");
    EXPECT_EQ(ours("-4"), "");
    ASSERT_TRUE(mgr_->remove(r));
    ASSERT_TRUE(mgr_->remove(mark));
    EXPECT_EQ(ours("-6"), "");
}
