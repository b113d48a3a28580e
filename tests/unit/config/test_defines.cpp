// $NAME=value definitions and their expansion, on their own.
#include "config/defines.hpp"

#include <gtest/gtest.h>

namespace vigil::config {
namespace {

std::string expand(Definitions& d, std::string_view s, bool* changed = nullptr,
                   Definitions::Builtins b = {"/etc/k", "lb1"}) {
    std::string out;
    bool c = d.expand(s, out, b, 1 << 20);
    if (changed) *changed = c;
    return out;
}

Definitions defs() {
    return Definitions([] { return 5u; });
}

TEST(ParseDefinition, NameValueAndContinuation) {
    auto d = parse_definition("$IF=  eth0  ");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->name, "IF");
    EXPECT_EQ(d->value, "eth0");
    EXPECT_FALSE(d->continues);
    auto c = parse_definition("$BLK= a 1 \\");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->value, "a 1");
    EXPECT_TRUE(c->continues);
    EXPECT_FALSE(parse_definition("$=x"));
    EXPECT_FALSE(parse_definition("$A"));
    EXPECT_FALSE(parse_definition("$A(x)=y"));
    EXPECT_FALSE(parse_definition("A=y"));
}

TEST(ContinuationLine, CommentBlanksAndBackslash) {
    auto a = continuation_line("  b {\\ # c");
    EXPECT_EQ(a.text, "b {");
    EXPECT_TRUE(a.more);
    auto b = continuation_line("  } ");
    EXPECT_EQ(b.text, "}");
    EXPECT_FALSE(b.more);
}

TEST(Definitions, ExpandsKnownNamesOnly) {
    auto d = defs();
    d.set("A", "x");
    bool changed = false;
    EXPECT_EQ(expand(d, "$A ${A}b $B", &changed), "x xb $B");
    EXPECT_TRUE(changed);
    EXPECT_EQ(expand(d, "no $B here", &changed), "no $B here");
    EXPECT_FALSE(changed);
    // Unbraced only before a blank, the end, ',' or ')'.
    EXPECT_EQ(expand(d, "$A,$A) $A.y $A(1)"), "x,x) $A.y $A(1)");
    EXPECT_EQ(expand(d, "${A"), "${A");
}

TEST(Definitions, ValuesExpandInTurnAndLateDefinitionsCount) {
    auto d = defs();
    d.set("A", "<${B}>");
    d.set("B", "1");
    EXPECT_EQ(expand(d, "$A"), "<1>");
    d.set("B", "2");
    EXPECT_EQ(expand(d, "$A"), "<2>");
    // A definition that names itself stops 16 levels down.
    d.set("L", "+$L");
    EXPECT_EQ(expand(d, "$L"), std::string(17, '+') + "$L");
}

TEST(Definitions, ContinuedValueKeepsItsLines) {
    auto d = defs();
    d.set("BLK", "a 1");
    d.append_line("BLK", "b {");
    d.append_line("BLK", "");
    d.append_line("BLK", "}");
    EXPECT_EQ(expand(d, "$BLK"), "a 1\nb {\n}");
    ASSERT_NE(d.find("BLK"), nullptr);
    EXPECT_EQ(d.find("NONE"), nullptr);
}

TEST(Definitions, Builtins) {
    auto d = defs();
    EXPECT_EQ(expand(d, "${_PWD}/x ${_INSTANCE} ${_HASH}${_BANG}"), "/etc/k/x lb1 #!");
}

TEST(Definitions, OutputStopsGrowingPastTheBound) {
    auto d = defs();
    d.set("A", std::string(100, 'a'));
    std::string out;
    d.expand("$A $A $A $A", out, {}, 150);
    EXPECT_GT(out.size(), 150u);
    EXPECT_LT(out.size(), 250u);  // not all four
}

TEST(RandomBounds, DefaultsOrderAndBadWords) {
    using P = std::pair<unsigned long, unsigned long>;
    EXPECT_EQ(random_bounds("_RANDOM"), (P{0, 32767}));
    EXPECT_EQ(random_bounds("_RANDOM 5"), (P{5, 32767}));
    EXPECT_EQ(random_bounds("_RANDOM 9 5"), (P{5, 9}));
    EXPECT_EQ(random_bounds("_RANDOM 40000"), (P{32767, 40000}));
    EXPECT_EQ(random_bounds("_RANDOM x"), std::nullopt);
    EXPECT_EQ(random_bounds("_RANDOM 1 2 3"), std::nullopt);
    EXPECT_EQ(random_bounds("_RANDOM 4294967296"), std::nullopt);
    EXPECT_EQ(random_bounds("_RANDOMX"), std::nullopt);
    EXPECT_EQ(random_bounds("RANDOM"), std::nullopt);
}

TEST(Definitions, RandomIsSeededOnceAndReseedable) {
    int asked = 0;
    Definitions d([&] {
        ++asked;
        return 11u;
    });
    EXPECT_EQ(asked, 0);
    auto first = expand(d, "${_RANDOM} ${_RANDOM} ${_RANDOM}");
    EXPECT_EQ(asked, 1);
    Definitions same([] { return 11u; });
    EXPECT_EQ(expand(same, "${_RANDOM} ${_RANDOM} ${_RANDOM}"), first);
    d.seed(3);
    same.seed(3);
    EXPECT_EQ(expand(d, "${_RANDOM 1 6}"), expand(same, "${_RANDOM 1 6}"));
    EXPECT_EQ(asked, 1);
}

}  // namespace
}  // namespace vigil::config
