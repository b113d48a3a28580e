// virtual_server ha_suspend and HTTP_GET/SSL_GET fast_recovery as the parser reads them.
#include "helpers.hpp"

namespace vigil::config {
namespace {

using test::all;
using test::find;
using test::load;

std::string vs(const std::string& head, const std::string& body, const std::string& check = "") {
    return "virtual_server " + head + " {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n" + body +
           " real_server 10.0.1.2 80 {\n" + check + " }\n}\n";
}

TEST(HaSuspend, SetOnAddressServices) {
    auto r = load(vs("10.0.0.10 80", " ha_suspend\n"));
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(r.config.lvs.virtual_servers.at(0).ha_suspend);
    EXPECT_FALSE(load(vs("10.0.0.10 80", "")).config.lvs.virtual_servers.at(0).ha_suspend);
    EXPECT_TRUE(r.config.unsupported_keywords.empty());
}

TEST(HaSuspend, ClearedOnFirewallMarks) {
    auto r = load(vs("fwmark 5", " ha_suspend\n"));
    EXPECT_TRUE(find(r, "cannot use ha_suspend with fwmarks - clearing ha_suspend")) << all(r);
    EXPECT_FALSE(r.config.lvs.virtual_servers.at(0).ha_suspend);
}

const checkers::HttpCheck& http(const LoadResult& r) {
    return std::get<checkers::HttpCheck>(r.config.checks.at(0).check.kind);
}

TEST(FastRecovery, FlagWithOptionalBool) {
    const std::string url = "  url {\n   path /\n  }\n";
    auto off = load(vs("10.0.0.10 80", "", " HTTP_GET {\n" + url + " }\n"));
    ASSERT_TRUE(off.ok()) << all(off);
    EXPECT_FALSE(http(off).fast_recovery);
    auto on = load(vs("10.0.0.10 80", "", " SSL_GET {\n  fast_recovery\n" + url + " }\n"));
    ASSERT_TRUE(on.ok()) << all(on);
    EXPECT_TRUE(http(on).fast_recovery);
    EXPECT_TRUE(on.config.unsupported_keywords.empty());
    auto no = load(vs("10.0.0.10 80", "", " HTTP_GET {\n  fast_recovery no\n" + url + " }\n"));
    EXPECT_FALSE(http(no).fast_recovery);
    auto bad = load(vs("10.0.0.10 80", "", " HTTP_GET {\n  fast_recovery maybe\n" + url + " }\n"));
    EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace vigil::config
