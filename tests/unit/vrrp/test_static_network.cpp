#include <gtest/gtest.h>

#include <set>

#include "static_network.hpp"

namespace vigil::vrrp {
namespace {

using boost::asio::ip::make_address;

// Records calls; fails what `failing` names, and knows only the devices in `devices`.
struct World : InstanceIo {
    std::vector<std::string> calls;
    std::set<std::string> failing;
    std::set<std::string> devices{"eth0"};
    std::expected<void, std::string> result(std::string call) {
        calls.push_back(call);
        if (failing.contains(call)) return std::unexpected(call + " failed");
        return {};
    }
    std::expected<void, std::string> send_advert(const InstanceConfig&, int,
                                                 std::span<const std::uint8_t>, const Address&,
                                                 const Address&) override {
        return {};
    }
    std::expected<void, std::string> add_address(int, const VirtualAddress& v) override {
        return result("add " + v.address.to_string());
    }
    std::expected<void, std::string> remove_address(int, const VirtualAddress& v) override {
        return result("del " + v.address.to_string());
    }
    std::expected<void, std::string> add_route(int, const VirtualRoute& r) override {
        return result("add route " + r.destination.to_string());
    }
    std::expected<void, std::string> remove_route(int, const VirtualRoute& r) override {
        return result("del route " + r.destination.to_string());
    }
    std::expected<void, std::string> add_rule(const VirtualRule& r) override {
        return result("add rule " + std::to_string(*r.priority));
    }
    std::expected<void, std::string> remove_rule(const VirtualRule& r) override {
        return result("del rule " + std::to_string(*r.priority));
    }
    std::expected<void, std::string> announce(int, const MacAddress&, const Address&) override {
        return {};
    }
    int ifindex_of(const std::string& name) override { return devices.contains(name) ? 2 : 0; }
    std::expected<void, std::string> filter_vip(const Address&, bool) override { return {}; }
};

StaticConfig statics() {
    StaticConfig s;
    s.addresses.emplace_back();
    s.addresses.back().address = make_address("10.98.0.5");
    s.addresses.back().dev = "eth0";
    s.routes.emplace_back();
    s.routes.back().destination = make_address("10.60.0.0");
    s.routes.back().dev = "eth0";
    s.rules.emplace_back();
    s.rules.back().priority = 100;
    return s;
}

using Calls = std::vector<std::string>;

TEST(StaticNetwork, AddsInOrderAppliesDifferencesAndClearsInReverse) {
    World w;
    StaticNetwork net(w);
    EXPECT_TRUE(net.apply(statics()).empty());
    EXPECT_EQ(w.calls, (Calls{"add 10.98.0.5", "add route 10.60.0.0", "add rule 100"}));
    w.calls.clear();
    EXPECT_TRUE(net.apply(statics()).empty());
    EXPECT_TRUE(w.calls.empty()) << "nothing changed, nothing sent";
    auto next = statics();
    next.rules.back().priority = 101;
    EXPECT_TRUE(net.apply(next).empty());
    EXPECT_EQ(w.calls, (Calls{"del rule 100", "add rule 101"}));
    w.calls.clear();
    EXPECT_TRUE(net.clear().empty());
    EXPECT_EQ(w.calls, (Calls{"del rule 101", "del route 10.60.0.0", "del 10.98.0.5"}));
    EXPECT_EQ(net.installed(), StaticConfig{});
}

TEST(StaticNetwork, FailuresAreReportedAndTriedAgain) {
    World w;
    w.failing = {"add route 10.60.0.0"};
    auto s = statics();
    s.addresses.back().dev = "eth9";  // not there yet
    StaticNetwork net(w);
    auto errors = net.apply(s);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_NE(errors[0].find("no interface 'eth9'"), std::string::npos) << errors[0];
    EXPECT_EQ(errors[1], "add route 10.60.0.0 failed");
    EXPECT_TRUE(net.installed().addresses.empty());
    EXPECT_TRUE(net.installed().routes.empty());
    EXPECT_EQ(net.installed().rules.size(), 1u);

    w.failing.clear();
    w.devices.insert("eth9");
    w.calls.clear();
    EXPECT_TRUE(net.apply(s).empty());
    EXPECT_EQ(w.calls, (Calls{"add 10.98.0.5", "add route 10.60.0.0"}));
    EXPECT_EQ(net.installed(), s);
}

}  // namespace
}  // namespace vigil::vrrp
