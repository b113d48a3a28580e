#include <gtest/gtest.h>

#include "vip_filter.hpp"

namespace vigil::vrrp {
namespace {

using boost::asio::ip::make_address;

TEST(VipFilter, TableDropsVipTrafficButLetsVrrpAndNeighbourDiscoveryPass) {
    const auto t = render_filter_table("vigil_vrrp");
    EXPECT_NE(t.find("delete table inet vigil_vrrp"), std::string::npos);
    EXPECT_NE(t.find("ip daddr @vips4 drop"), std::string::npos);
    EXPECT_NE(t.find("ip6 saddr @vips6 drop"), std::string::npos);
    // Accepts come before the drops.
    EXPECT_LT(t.find("meta l4proto 112 accept"), t.find("ip daddr @vips4 drop"));
    EXPECT_LT(t.find("nd-neighbor-solicit"), t.find("ip6 daddr @vips6 drop"));
    EXPECT_EQ(render_filter_element("x", make_address("10.0.0.1"), true),
              "add element inet x vips4 { 10.0.0.1 }\n");
    EXPECT_EQ(render_filter_element("x", make_address("2001:db8::1"), false),
              "delete element inet x vips6 { 2001:db8::1 }\n");
    EXPECT_TRUE(valid_filter_table_name("vigil_vrrp-2"));
    EXPECT_FALSE(valid_filter_table_name("bad name"));
    EXPECT_FALSE(valid_filter_table_name("x; flush ruleset"));
}

}  // namespace
}  // namespace vigil::vrrp
