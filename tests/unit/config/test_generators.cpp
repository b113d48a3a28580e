// ~SEQ and ~LST on their own: what they repeat and with which values.
#include "config/generators.hpp"

#include <gtest/gtest.h>

#include <climits>

namespace vigil::config {
namespace {

// "VAR=VALUE,..." per repetition.
std::vector<std::string> run(std::string_view line, std::size_t limit = 100) {
    auto p = parse_generator(line);
    EXPECT_TRUE(p.generator) << p.error;
    std::vector<std::string> out;
    if (!p.generator) return out;
    for_each_repetition(*p.generator, [&](const Assignments& a) {
        std::string s;
        for (const auto& [k, v] : a) s += (s.empty() ? "" : ",") + std::string(k) + "=" + v;
        out.push_back(s);
        return out.size() < limit;
    });
    return out;
}

using V = std::vector<std::string>;

TEST(ParseLong, SignsHexAndBlanks) {
    long v = 0;
    EXPECT_TRUE(parse_long(" -0x10 ", v));
    EXPECT_EQ(v, -16);
    EXPECT_TRUE(parse_long("+7", v));
    EXPECT_EQ(v, 7);
    EXPECT_FALSE(parse_long("7a", v));
    EXPECT_FALSE(parse_long("", v));
    EXPECT_FALSE(parse_long("-", v));
}

TEST(SplitArgs, TopLevelCommasOnly) {
    EXPECT_EQ(split_args(" a , {b, c},d"), (std::vector<std::string_view>{"a", "{b, c}", "d"}));
    EXPECT_EQ(split_args(""), (std::vector<std::string_view>{""}));
}

TEST(Seq, EndStartAndStepForms) {
    EXPECT_EQ(run("~SEQ(N, 3) x"), (V{"N=1", "N=2", "N=3"}));
    EXPECT_EQ(run("~SEQ(N, -2) x"), (V{"N=-1", "N=-2"}));
    EXPECT_EQ(run("~SEQ(N, 5, 3) x"), (V{"N=5", "N=4", "N=3"}));
    EXPECT_EQ(run("~SEQ(N, 1, 4, 10) x"), (V{"N=1", "N=5", "N=9"}));
    EXPECT_EQ(run("~SEQx(N, 9, 11) x"), (V{"N=9", "N=a", "N=b"}));
    EXPECT_EQ(parse_generator("~SEQ(N, 1, 3) rest ${N}").generator->rest, " rest ${N}");
}

TEST(Seq, StopsBeforeOverflow) {
    auto v = run("~SEQ(N, 9223372036854775806, 1, 9223372036854775807) x");
    EXPECT_EQ(v, (V{"N=9223372036854775806", "N=9223372036854775807"}));
    EXPECT_EQ(run("~SEQ(N, -9223372036854775807, -5, -9223372036854775807) x").size(), 1u);
}

TEST(Seq, Errors) {
    EXPECT_EQ(parse_generator("~SEQ N, 3").error, "malformed ~SEQ/~LST: expected '(' ... ')'");
    EXPECT_EQ(parse_generator("~SEQ(N, 3").error, "malformed ~SEQ/~LST: expected '(' ... ')'");
    EXPECT_EQ(parse_generator("~SEQ   (N, 3)").error,
              "malformed ~SEQ/~LST: expected '(' ... ')'");  // '(' further than column 6
    EXPECT_EQ(parse_generator("~SEQ(N)").error, "~SEQ needs (var, [start, [step,]] end)");
    EXPECT_EQ(parse_generator("~SEQ(N,1,2,3,4)").error, "~SEQ needs (var, [start, [step,]] end)");
    EXPECT_EQ(parse_generator("~SEQ(N, x)").error, "~SEQ: 'x' is not a number");
    EXPECT_EQ(parse_generator("~SEQ(N, 1, 0, 3)").error, "~SEQ: step must not be 0");
}

TEST(Lst, ValuesAndBracedTuples) {
    EXPECT_EQ(run("~LST(A, 1, 2) x"), (V{"A=1", "A=2"}));
    EXPECT_EQ(run("~LST({A, B}, {1,2}, {3}) x"), (V{"A=1,B=2", "A=3,B="}));
    EXPECT_EQ(parse_generator("~LST(A)").error, "~LST needs (var, values...)");
}

TEST(Generators, StopWhenAsked) {
    EXPECT_EQ(run("~SEQ(N, 1000000) x", 3).size(), 3u);
    EXPECT_EQ(run("~LST(A, 1, 2, 3) x", 1).size(), 1u);
}

}  // namespace
}  // namespace vigil::config
