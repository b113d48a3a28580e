#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <vigil/checkers/pool.hpp>
#include <vigil/common/fake_clock.hpp>

#include "check_bindings.hpp"

namespace {

vigil::config::Config load(const std::string& text) {
    vigil::config::LoadOptions o;
    o.config_id = "testhost";
    o.check_scripts = false;
    o.check_interfaces = false;
    o.check_users = false;
    auto r = vigil::config::load_string(text, "t.conf", o);
    for (const auto& d : r.diagnostics) ADD_FAILURE() << d.message;
    return r.config;
}

std::string conf(int second_port) {
    return "virtual_server 10.1.0.100 80 {\n"
           "  protocol TCP\n  lb_algo rr\n"
           "  real_server 10.2.0.11 80 {\n"
           "    TCP_CHECK {\n      connect_timeout 1\n    }\n"
           "    HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n    }\n"
           "  }\n"
           "  real_server 10.2.0.12 " +
           std::to_string(second_port) + " {\n    TCP_CHECK {\n    }\n  }\n}\n";
}

// A pool on a clock that never moves: binding adds and updates checkers, none probes.
struct CheckBindingsWithPool : ::testing::Test {
    boost::asio::io_context io;
    vigil::FakeClock clock;
    vigil::checkers::Pool pool{io, clock, {}};
    vigil::CheckBindings b;
};

TEST(CheckBindings, AllChecksMustBeUp) {
    const std::vector<std::size_t> ids{1, 2};
    std::map<std::size_t, std::optional<bool>> up{{1, true}, {2, true}};
    auto look = [&](std::size_t id) { return up[id]; };
    EXPECT_TRUE(vigil::all_checks_up(ids, look));
    up[2] = false;
    EXPECT_FALSE(vigil::all_checks_up(ids, look));
    up[2] = std::nullopt;  // a checker the pool no longer knows
    EXPECT_FALSE(vigil::all_checks_up(ids, look));
    EXPECT_TRUE(vigil::all_checks_up({}, look));
}

TEST_F(CheckBindingsWithPool, ReloadKeepsSurvivorsAndDropsTheRest) {
    const auto before = load(conf(80));
    b.bind(before, pool);
    ASSERT_EQ(pool.size(), 3u);
    const auto first = std::vector<std::size_t>(b.ids_of({0, 0}).begin(), b.ids_of({0, 0}).end());
    ASSERT_EQ(first.size(), 2u);
    const auto second = b.ids_of({0, 1});
    ASSERT_EQ(second.size(), 1u);
    const std::size_t old_second = second[0];
    EXPECT_EQ(b.label(before, first[0]),
              "TCP_CHECK on [10.2.0.11]:tcp:80 of VS [10.1.0.100]:tcp:80");
    EXPECT_EQ(b.label(before, first[1]),
              "HTTP_GET on [10.2.0.11]:tcp:80 of VS [10.1.0.100]:tcp:80");

    // The second real server moves to another port: a new identity, a new checker.
    const auto after = load(conf(8080));
    b.bind(after, pool, before);
    EXPECT_EQ(pool.size(), 3u);
    const auto again = b.ids_of({0, 0});
    EXPECT_EQ(std::vector<std::size_t>(again.begin(), again.end()), first);
    ASSERT_EQ(b.ids_of({0, 1}).size(), 1u);
    EXPECT_NE(b.ids_of({0, 1})[0], old_second);
    EXPECT_FALSE(pool.status(old_second).has_value());
    EXPECT_EQ(b.keys().size(), 2u);
}

TEST_F(CheckBindingsWithPool, ReloadInPlaceKeepsEveryIdAndFollowsShiftedIndices) {
    const auto before = load(conf(80));
    b.bind(before, pool);
    const auto ids = [&](vigil::CheckBindings::Key k) {
        return std::vector<std::size_t>(b.ids_of(k).begin(), b.ids_of(k).end());
    };
    const auto first = ids({0, 0}), second = ids({0, 1});
    ASSERT_EQ(first.size(), 2u);

    // Only a setting changed: every checker stays, under the same ids.
    std::string text = conf(80);
    text.replace(text.find("connect_timeout 1"), 17, "connect_timeout 2");
    const auto timeout = load(text);
    b.bind(timeout, pool, before);
    EXPECT_EQ(pool.size(), 3u);
    EXPECT_EQ(ids({0, 0}), first);
    EXPECT_EQ(ids({0, 1}), second);
    EXPECT_EQ(b.find(first[0])->index, 0u);

    // A virtual server without checks comes first: the same checkers, now under index 1.
    const auto shifted = load(
        "virtual_server 10.1.0.99 80 {\n  protocol TCP\n  lb_algo rr\n  real_server 10.2.0.9 80 "
        "{\n  }\n}\n" +
        text);
    b.bind(shifted, pool, timeout);
    EXPECT_EQ(pool.size(), 3u);
    EXPECT_TRUE(ids({0, 0}).empty());
    EXPECT_EQ(ids({1, 0}), first);
    EXPECT_EQ(ids({1, 1}), second);
    EXPECT_EQ(b.find(first[0])->vs, 1u);
    EXPECT_EQ(b.label(shifted, second[0]),
              "TCP_CHECK on [10.2.0.12]:tcp:80 of VS [10.1.0.100]:tcp:80");
}

TEST(CheckBindings, WeightsStayUntilChanged) {
    vigil::CheckBindings b;
    EXPECT_FALSE(b.weight({0, 0}).has_value());
    b.set_weight({0, 0}, 7);
    EXPECT_EQ(b.weight({0, 0}), 7);
    b.set_weight({0, 0}, std::nullopt);
    EXPECT_FALSE(b.weight({0, 0}).has_value());
}

}  // namespace

TEST_F(CheckBindingsWithPool, CheckersShareTheirSettingsWithTheConfiguration) {
    auto first = load(conf(80));
    auto checks = std::make_shared<const std::vector<vigil::config::CheckBinding>>(first.checks);
    b.bind({checks, first.lvs}, pool);
    ASSERT_EQ(pool.size(), 3u);
    EXPECT_EQ(checks.use_count(), 1 + 3);  // each checker holds it: no copy of its settings

    // A reload that keeps every check: the checkers move to the new settings, the old go.
    auto again = load(conf(80));
    auto next = std::make_shared<const std::vector<vigil::config::CheckBinding>>(again.checks);
    b.bind({next, again.lvs}, pool, vigil::CheckSource{checks, first.lvs});
    EXPECT_EQ(pool.size(), 3u);
    EXPECT_EQ(next.use_count(), 1 + 3);
    EXPECT_EQ(checks.use_count(), 1);
}
