#include "config/values.hpp"

#include <gtest/gtest.h>

namespace vigil::config {
namespace {

using namespace std::chrono_literals;

TEST(Values, Addresses) {
    EXPECT_TRUE(parse_address("10.0.0.1"));
    EXPECT_TRUE(parse_address("2001:db8::1"));
    EXPECT_FALSE(parse_address("10.0.0.999"));
    EXPECT_FALSE(parse_address("10.0.0"));
    EXPECT_FALSE(parse_address(""));
    auto p = parse_prefix("10.0.0.1/24");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->length, 24);
    EXPECT_TRUE(p->has_length);
    EXPECT_EQ(parse_prefix("2001:db8::1")->length, 128);
    EXPECT_FALSE(parse_prefix("10.0.0.1/33"));
    EXPECT_FALSE(parse_prefix("10.0.0.1/"));
}

TEST(Values, Seconds) {
    EXPECT_EQ(parse_seconds("1"), 1s);
    EXPECT_EQ(parse_seconds("0.4"), 400ms);
    EXPECT_EQ(parse_seconds(".5"), 500ms);
    EXPECT_EQ(parse_seconds("0.000001"), 1us);
    EXPECT_FALSE(parse_seconds("-1"));
    EXPECT_FALSE(parse_seconds("1s"));
    EXPECT_FALSE(parse_seconds("."));
}

TEST(Values, Integers) {
    EXPECT_EQ(parse_integer("42"), 42);
    EXPECT_EQ(parse_integer("-3"), -3);
    EXPECT_FALSE(parse_integer("4x"));
    EXPECT_FALSE(parse_integer(""));
}

TEST(Values, CommandSplitting) {
    EXPECT_EQ(split_command("/bin/sh -c 'echo a b'"),
              (std::vector<std::string>{"/bin/sh", "-c", "echo a b"}));
    EXPECT_EQ(split_command("  a   b "), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace vigil::config
