// @ID / @^ID conditional lines.
#include "config/conditional.hpp"

#include <gtest/gtest.h>

namespace vigil::config {
namespace {

TEST(ConditionalPrefix, UntaggedLinesApplyWhole) {
    EXPECT_EQ(conditional_prefix("router_id x", "lb1"), 0u);
    EXPECT_EQ(conditional_prefix("", "lb1"), 0u);
}

TEST(ConditionalPrefix, TagMatchesTheConfigIdExactly) {
    EXPECT_EQ(conditional_prefix("@lb1 router_id x", "lb1"), 5u);
    EXPECT_EQ(conditional_prefix("@lb1 \t router_id x", "lb1"), 7u);  // blanks after it too
    EXPECT_EQ(conditional_prefix("@lb1 router_id x", "lb2"), std::nullopt);
    EXPECT_EQ(conditional_prefix("@lb router_id x", "lb1"), std::nullopt);
    EXPECT_EQ(conditional_prefix("@lb1", "lb1"), 4u);
}

TEST(ConditionalPrefix, CaretNegates) {
    EXPECT_EQ(conditional_prefix("@^lb1 x", "lb1"), std::nullopt);
    EXPECT_EQ(conditional_prefix("@^lb1 x", "lb2"), 6u);
}

TEST(ConditionalPrefix, BareAtMatchesOnlyAnEmptyId) {
    EXPECT_EQ(conditional_prefix("@ x", "lb1"), std::nullopt);
    EXPECT_EQ(conditional_prefix("@ x", ""), 2u);
}

}  // namespace
}  // namespace vigil::config
