// The lexer on its own: one logical line to tokens with their columns.
#include "config/lexer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil::config {
namespace {

struct Collect : TokenSink {
    std::vector<Token> tokens;
    std::vector<std::pair<SourceLoc, std::string>> errors;
    std::vector<std::string> order;  // "t:TEXT" / "e" as they came
    void token(const Token& t) override {
        tokens.push_back(t);
        order.push_back("t:" + std::string(t.text));
    }
    void error(SourceLoc at, std::string m) override {
        errors.emplace_back(at, std::move(m));
        order.push_back("e");
    }
};

Collect lex(std::string_view line, std::size_t offset = 0) {
    Collect c;
    tokenize_line(line, offset, SourceLoc{3, 7, 1}, c);
    return c;
}

TEST(TokenizeLine, WordsBracesAndQuotesWithColumns) {
    auto c = lex("a {b}\t\"x y\"z", 4);
    ASSERT_EQ(c.tokens.size(), 6u);
    std::vector<std::string> w;
    std::vector<unsigned> col;
    for (const auto& t : c.tokens) {
        w.emplace_back(t.text);
        col.push_back(t.loc.column);
        EXPECT_EQ(t.loc.file, 3u);
        EXPECT_EQ(t.loc.line, 7u);
    }
    EXPECT_EQ(w, (std::vector<std::string>{"a", "{", "b", "}", "x y", "z"}));
    EXPECT_EQ(col, (std::vector<unsigned>{5, 7, 8, 9, 11, 16}));
    EXPECT_EQ(c.tokens[1].kind, Token::Kind::open);
    EXPECT_EQ(c.tokens[3].kind, Token::Kind::close);
    EXPECT_TRUE(c.tokens[4].quoted);
    EXPECT_FALSE(c.tokens[5].quoted);
    EXPECT_TRUE(c.tokens[0].line_start);
    for (std::size_t i = 1; i < c.tokens.size(); ++i) EXPECT_FALSE(c.tokens[i].line_start);
    EXPECT_TRUE(c.errors.empty());
}

TEST(TokenizeLine, EmptyQuotesAreAToken) {
    auto c = lex("k \"\"");
    ASSERT_EQ(c.tokens.size(), 2u);
    EXPECT_EQ(c.tokens[1].text, "");
    EXPECT_TRUE(c.tokens[1].quoted);
}

TEST(TokenizeLine, UnterminatedQuoteReportsBeforeItsToken) {
    auto c = lex("a \"b c", 2);
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_EQ(c.errors[0].first.column, 5u);
    EXPECT_EQ(c.errors[0].second, "unterminated quoted string: expected a closing '\"'");
    EXPECT_EQ(c.order, (std::vector<std::string>{"t:a", "e", "t:b c"}));
}

TEST(Comments, StripOutsideQuotesOnly) {
    EXPECT_EQ(strip_comment("a b # c"), "a b ");
    EXPECT_EQ(strip_comment("x!y"), "x");
    EXPECT_EQ(strip_comment("\"a#b\" c!d"), "\"a#b\" c");
    EXPECT_EQ(strip_comment("a\\#b # c"), "a\\#b ");
    EXPECT_EQ(strip_comment("plain"), "plain");
}

TEST(Comments, EscapedCharactersLoseTheirBackslash) {
    EXPECT_TRUE(has_escaped_comment_char("a\\#b"));
    EXPECT_TRUE(has_escaped_comment_char("\\!"));
    EXPECT_FALSE(has_escaped_comment_char("a\\b#"));
    EXPECT_EQ(unescape_comment_chars("/a\\#b\\!c"), "/a#b!c");
    // Inside quotes the backslash stays.
    EXPECT_EQ(unescape_comment_chars("\"\\#\" \\#"), "\"\\#\" #");
    EXPECT_EQ(unescape_comment_chars("a\\x"), "a\\x");
}

TEST(Trim, BlanksOfEveryKind) {
    EXPECT_EQ(trim(" \t\r\v\fa b\t "), "a b");
    EXPECT_EQ(trim("   "), "");
}

}  // namespace
}  // namespace vigil::config
