#include "helpers.hpp"

#include <pwd.h>

namespace vigil::config {
namespace {

using test::all;
using test::find;
using test::load;

struct Case {
    const char* name;
    std::string text;
    const char* needle;
    unsigned line;
    unsigned column;
    bool fatal;   // fatal_at_startup
    bool refuse;  // refuse_reload
};

std::string inst(const std::string& body) {
    return "vrrp_instance VI_1 {\n interface lo\n" + body +
           " virtual_ipaddress {\n  10.9.9.9\n }\n}\n";
}

class Errors : public ::testing::TestWithParam<Case> {};

TEST_P(Errors, NamesLineColumnAndWhatWasExpected) {
    const auto& c = GetParam();
    auto r = load(c.text);
    EXPECT_FALSE(r.ok()) << all(r);
    const auto* d = find(r, c.needle);
    ASSERT_NE(d, nullptr) << "no '" << c.needle << "' in:\n" << all(r);
    EXPECT_EQ(d->severity, Severity::error);
    EXPECT_EQ(d->file, "t.conf");
    EXPECT_EQ(d->line, c.line) << format(*d);
    EXPECT_EQ(d->column, c.column) << format(*d);
    EXPECT_EQ(d->fatal_at_startup, c.fatal) << format(*d);
    EXPECT_EQ(d->refuse_reload, c.refuse) << format(*d);
}

INSTANTIATE_TEST_SUITE_P(
    Config, Errors,
    ::testing::Values(
        Case{"bad_vip", inst(" virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.999/24\n }\n"),
             "invalid IP '10.0.0.999/24'", 5, 3, false, true},
        Case{"vip_not_address", inst(" virtual_router_id 1\n virtual_ipaddress {\n  <vip>\n }\n"),
             "invalid IP '<vip>'", 5, 3, false, true},
        Case{"vrid_300", inst(" virtual_router_id 300\n"), "number '300' outside range [1, 255]", 3,
             20, true, true},
        Case{"priority_0", inst(" virtual_router_id 1\n priority 0\n"),
             "number '0' outside range [1, 255]", 4, 11, false, true},
        Case{"advert_300", inst(" virtual_router_id 1\n advert_int 300\n"),
             "number '300' outside range", 4, 13, false, true},
        Case{"persistence_0", "virtual_server 10.0.0.1 80 {\n  persistence_timeout 0\n}\n",
             "number '0' outside range [1, 2678400]", 2, 23, false, true},
        Case{"lb_algo", "virtual_server 10.0.0.1 80 {\n  lb_algo fastest\n}\n",
             "unknown lb_algo 'fastest'", 2, 11, false, true},
        Case{"lb_kind_lower", "virtual_server 10.0.0.1 80 {\n  lb_kind dr\n}\n",
             "unknown [dr] routing method", 2, 11, false, true},
        Case{"missing_brace", "global_defs {\n  router_id x\n", "missing '}'", 1, 1, false, true},
        Case{"extra_brace", "global_defs {\n}\n}\n", "Extra '}'", 3, 1, false, true},
        Case{"unterminated", "global_defs {\n  router_id \"abc\n}\n", "unterminated", 2, 13, false,
             true},
        Case{"unknown_keyword", "global_defs {\n  frobnicate 1\n}\n",
             "Unknown keyword 'frobnicate'", 2, 3, false, false},
        Case{"nb_get_retry",
             "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  TCP_CHECK {\n   "
             "nb_get_retry 3\n  }\n }\n}\n",
             "nb_get_retry", 4, 4, false, false},
        Case{"nopreempt_master", inst(" virtual_router_id 1\n state MASTER\n nopreempt\n"),
             "nopreempt will not work", 5, 2, false, false},
        Case{"long_pass",
             inst(" virtual_router_id 1\n authentication {\n  auth_type PASS\n  auth_pass "
                  "123456789\n }\n"),
             "Truncating auth_pass", 6, 13, false, false},
        Case{"state_slave", inst(" virtual_router_id 1\n state SLAVE\n"), "unknown state 'SLAVE'",
             4, 8, false, false},
        Case{"garp_interval_0", "global_defs {\n vrrp_garp_interval 0\n}\n",
             "outside range [0.000001, 4294.967295]", 2, 21, false, false},
        Case{"empty_email", "global_defs {\n notification_email {\n }\n}\n",
             "empty notification_email", 3, 2, false, false},
        Case{"unicast_without_peers", inst(" virtual_router_id 1\n unicast_src_ip 10.0.0.1\n"),
             "without any unicast peers", 4, 2, false, false},
        Case{"protocol_on_fwmark", "virtual_server fwmark 1 {\n protocol TCP\n}\n",
             "protocol specified for fwmark", 2, 2, false, false},
        Case{"bad_smtp_server", "global_defs {\n smtp_server ** 25\n}\n", "Invalid smtp server", 2,
             14, false, true},
        Case{"quorum_0", "virtual_server 10.0.0.1 80 {\n quorum 0\n}\n",
             "number '0' outside range [1, 4294967295]", 2, 9, false, true},
        Case{"track_script_undefined",
             inst(" virtual_router_id 1\n track_script {\n  nothing\n }\n"),
             "track_script nothing not found", 5, 3, false, false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Errors, InterfaceMustExist) {
    auto o = test::quiet();
    o.check_interfaces = true;
    auto r = load_string("vrrp_instance VI_1 {\n interface vg-no-such0\n virtual_router_id 1\n}\n",
                         "t.conf", o);
    const auto* d = find(r, "interface 'vg-no-such0' does not exist");
    ASSERT_NE(d, nullptr) << all(r);
    EXPECT_EQ(d->line, 2u);
    EXPECT_EQ(d->column, 12u);
    auto ok = load_string(inst(" virtual_router_id 1\n"), "t.conf", o);
    EXPECT_TRUE(ok.ok()) << all(ok);
}

TEST(Errors, ScriptSecurity) {
    if (::getpwnam("keepalived_script")) GTEST_SKIP() << "this host has a keepalived_script user";
    auto o = test::quiet();
    o.check_scripts = true;
    o.check_users = true;
    const std::string text =
        "vrrp_script s {\n script \"/bin/true\"\n}\n" + inst(" virtual_router_id 1\n");
    auto r = load_string(text, "t.conf", o);
    EXPECT_NE(find(r, "SECURITY VIOLATION"), nullptr) << all(r);
    auto secured = load_string(
        "global_defs {\n script_user root\n enable_script_security\n}\n" + text, "t.conf", o);
    EXPECT_TRUE(secured.ok()) << all(secured);
    auto missing = load_string(
        "global_defs {\n script_user root\n enable_script_security\n}\n"
        "vrrp_script s {\n script /no/such/vigil-script\n}\n",
        "t.conf", o);
    const auto* d = find(missing, "Disabling track script s");
    ASSERT_NE(d, nullptr) << all(missing);
    EXPECT_EQ(d->line, 7u);  // keepalived names the block's closing brace
}

TEST(Errors, StartableDespiteStrictErrors) {
    // keepalived runs these files; so does Vigil.
    auto r = load(inst(" virtual_router_id 1\n state MASTER\n nopreempt\n bogus_kw\n"));
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(r.startable());
    EXPECT_TRUE(r.reloadable());
    auto bad = load(inst(" virtual_router_id 1\n priority 0\n"));
    EXPECT_TRUE(bad.startable());
    EXPECT_FALSE(bad.reloadable());
}

TEST(Errors, FormatNamesFileLineColumn) {
    Diagnostic d{Severity::error, "f.conf", 3, 7, "boom"};
    EXPECT_EQ(format(d), "f.conf:3:7: error: boom");
    Diagnostic w{Severity::warning, "f.conf", 0, 0, "whole file"};
    EXPECT_EQ(format(w), "f.conf: warning: whole file");
}

TEST(Errors, ValidFileHasNoDiagnostics) {
    auto r = load("global_defs {\n router_id a\n}\n" + inst(" virtual_router_id 9\n"));
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r.diagnostics.empty()) << all(r);
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

TEST(KeepalivedChecks, OwnInterfaceTrackedAndMissingProtocol) {
    auto r = test::load(
        "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n track_interface {\n  eth0\n "
        "}\n}\nvirtual_server 10.0.0.1 80 {\n}\n");
    const auto* own = test::find(r, "Ignoring track_interface eth0 since own interface");
    ASSERT_NE(own, nullptr) << test::all(r);
    EXPECT_EQ(own->line, 1u);
    const auto* proto = test::find(r, "no protocol set");
    ASSERT_NE(proto, nullptr) << test::all(r);
    EXPECT_EQ(proto->line, 8u);
}

TEST(KeepalivedChecks, MasterWithoutPriorityIsTheOwner) {
    auto r = test::load(
        "vrrp_instance V {\n state MASTER\n interface eth0\n virtual_router_id 1\n "
        "authentication {\n  auth_type PASS\n  auth_pass x\n }\n virtual_ipaddress {\n  10.0.0.1\n "
        "}\n}\n");
    EXPECT_TRUE(r.ok()) << test::all(r);
    EXPECT_EQ(r.config.vrrp.instances.at(0).priority, 255);
    auto p100 = test::load(
        "vrrp_instance V {\n state MASTER\n interface eth0\n virtual_router_id 1\n priority 100\n "
        "authentication {\n  auth_type AH\n  auth_pass x\n }\n virtual_ipaddress {\n  10.0.0.1\n "
        "}\n}\n");
    EXPECT_NE(test::find(p100, "incompatible with AH"), nullptr) << test::all(p100);
    // AH is not implemented: the instance is refused rather than run unauthenticated.
    EXPECT_NE(test::find(p100, "auth_type AH is not supported by vigild"), nullptr);
    EXPECT_TRUE(p100.config.vrrp.instances.empty());
}

}  // namespace
}  // namespace vigil::config
