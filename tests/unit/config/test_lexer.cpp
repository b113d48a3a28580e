#include "config/source.hpp"
#include "helpers.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace vigil::config {
namespace {

using test::all;

std::vector<std::string> words(const std::string& text, PreprocessOptions o = {}) {
    TokenStream ts;
    if (o.config_id.empty()) o.config_id = "testhost";
    preprocess_text(ts, text, "t.conf", ".", o);
    std::vector<std::string> out;
    for (const auto& t : ts.tokens) out.emplace_back(t.text);
    return out;
}

TokenStream lex(const std::string& text, PreprocessOptions o = {}) {
    TokenStream ts;
    if (o.config_id.empty()) o.config_id = "testhost";
    preprocess_text(ts, text, "t.conf", ".", o);
    return ts;
}

using V = std::vector<std::string>;

TEST(Lexer, CommentsWholeLineAndInline) {
    EXPECT_EQ(words("# all\n! all\na b # c\nd ! e\n"), (V{"a", "b", "d"}));
    // keepalived ends a word at '#' or '!' too.
    EXPECT_EQ(words("interface eth1#comment\nrouter_id x!y\n"),
              (V{"interface", "eth1", "router_id", "x"}));
    // Not inside quotes.
    EXPECT_EQ(words("notify \"/x a ! b # c\"\n"), (V{"notify", "/x a ! b # c"}));
}

TEST(Lexer, EscapedCommentCharacters) {
    EXPECT_EQ(words("path /a\\#b\\!c # real comment\n"), (V{"path", "/a#b!c"}));
    EXPECT_EQ(words("k ${_HASH}${_BANG}\n"), (V{"k", "#!"}));
}

TEST(Lexer, QuotedStringIsOneToken) {
    auto ts = lex("script \"/bin/true a b\"\n");
    ASSERT_EQ(ts.tokens.size(), 2u);
    EXPECT_TRUE(ts.tokens[1].quoted);
    EXPECT_EQ(ts.tokens[1].text, "/bin/true a b");
    EXPECT_EQ(ts.tokens[1].loc.column, 8u);
}

TEST(Lexer, BracesGluedOrAlone) {
    EXPECT_EQ(words("a {b}}\n}\nc{\n"), (V{"a", "{", "b", "}", "}", "}", "c", "{"}));
}

TEST(Lexer, LineStartMarksStatements) {
    auto ts = lex("a b\n  c\n");
    ASSERT_EQ(ts.tokens.size(), 3u);
    EXPECT_TRUE(ts.tokens[0].line_start);
    EXPECT_FALSE(ts.tokens[1].line_start);
    EXPECT_TRUE(ts.tokens[2].line_start);
    EXPECT_EQ(ts.tokens[2].loc.line, 2u);
    EXPECT_EQ(ts.tokens[2].loc.column, 3u);
}

TEST(Lexer, CrlfTabsAndMissingFinalNewline) {
    auto ts = lex("a\tb\r\n\tc\r\nd");
    ASSERT_EQ(ts.tokens.size(), 4u);
    EXPECT_EQ(ts.tokens[1].text, "b");
    EXPECT_EQ(ts.tokens[2].loc.line, 2u);
    EXPECT_EQ(ts.tokens[2].loc.column, 2u);
    EXPECT_EQ(ts.tokens[3].text, "d");
    EXPECT_EQ(ts.tokens[3].loc.line, 3u);
}

TEST(Lexer, UnterminatedStringIsAnError) {
    auto ts = lex("a\nnotify \"/bin/x\n");
    ASSERT_EQ(ts.diagnostics.size(), 1u);
    EXPECT_EQ(ts.diagnostics[0].line, 2u);
    EXPECT_EQ(ts.diagnostics[0].column, 8u);
    EXPECT_NE(ts.diagnostics[0].message.find("unterminated"), std::string::npos);
}

TEST(Lexer, Definitions) {
    EXPECT_EQ(words("$IF=eth0\ninterface $IF ${IF}.5\n"), (V{"interface", "eth0", "eth0.5"}));
    // Unknown names stay as written.
    EXPECT_EQ(words("a $NOPE\n"), (V{"a", "$NOPE"}));
    // Expanded at use: a later definition counts.
    EXPECT_EQ(words("$A=x${B}\n$B=1\nk $A\n"), (V{"k", "x1"}));
}

// keepalived 2.2.7 replaces an unbraced $NAME only before a blank, the end of the line, ','
// or ')'; ${NAME} anywhere.
TEST(Lexer, UnbracedDefinitionNeedsABlankAfterIt) {
    EXPECT_EQ(words("$A=x\n$A $A,y z($A) a$A ${A}b\n"), (V{"x", "x,y", "z(x)", "ax", "xb"}));
    EXPECT_EQ(words("$A=x\n$A(1) $A.y $A-z $A/w\n"), (V{"$A(1)", "$A.y", "$A-z", "$A/w"}));
}

// keepalived 2.2.7 has no parameterised definitions (its keepalived.conf(5) documents none):
// "$NAME(a,b)=..." is not a definition, "$NAME(a,b)" is not a call and ${1} is not an
// argument. The words stay as written, as keepalived leaves them (unknown keywords).
TEST(Lexer, NoParameterisedDefinitions) {
    // Braces split words, as keepalived's "Unexpected '{'" lines show.
    EXPECT_EQ(words("$F(X,Y)=v_${X}\n$F(p,q)\n"), (V{"$F(X,Y)=v_$", "{", "X", "}", "$F(p,q)"}));
    EXPECT_EQ(words("$G=v_${1}\n$G(a,b)\n${G}\n"), (V{"$G(a,b)", "v_$", "{", "1", "}"}));
    auto r = test::load("$G=router_id ${1}\nglobal_defs {\n $G(a)\n}\n");
    EXPECT_TRUE(test::find(r, "Unknown keyword '$G(a)'")) << all(r);
}

TEST(Lexer, MultiLineDefinitionKeepsLines) {
    auto ts = lex("$BLK=\\\n  a 1 \\\n  b {\\\n  }\n$BLK\n");
    std::vector<std::string> w;
    for (const auto& t : ts.tokens) w.emplace_back(t.text);
    EXPECT_EQ(w, (V{"a", "1", "b", "{", "}"}));
    EXPECT_TRUE(ts.tokens[2].line_start);  // "b" starts its own line
}

TEST(Lexer, ConditionalLines) {
    PreprocessOptions o;
    o.config_id = "high";
    EXPECT_EQ(words("@high a\n@low b\n@^low c\n@^high d\n", o), (V{"a", "c"}));
}

TEST(Lexer, SeqAndLst) {
    EXPECT_EQ(words("~SEQ(N, 1, 3) x${N}\n"), (V{"x1", "x2", "x3"}));
    EXPECT_EQ(words("~SEQ(N,168,2,172) ${N}\n"), (V{"168", "170", "172"}));
    EXPECT_EQ(words("~SEQx(N, 10, 11) ${N}\n"), (V{"a", "b"}));
    EXPECT_EQ(words("~LST({A, B}, {1,2},{3,4}) ${A}.${B}\n"), (V{"1.2", "3.4"}));
    EXPECT_EQ(words("~LST(A, 1, 2) ~LST(B, x, y) ${A}${B}\n"), (V{"1x", "1y", "2x", "2y"}));
}

class IncludeTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/vigil-cfg-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
        std::filesystem::create_directories(dir / "sub");
    }
    void TearDown() override { std::filesystem::remove_all(dir); }
    void write(const std::filesystem::path& p, const std::string& text) {
        std::ofstream(dir / p) << text;
    }
    std::filesystem::path dir;
};

TEST_F(IncludeTest, GlobRelativeToIncludingFile) {
    write("main.conf", "a\ninclude sub/*.conf\nz\n");
    write("sub/1.conf", "b\ninclude ../more.inc\n");
    write("sub/2.conf", "c\n");
    write("more.inc", "m\n");
    TokenStream ts;
    preprocess_file(ts, (dir / "main.conf").string(), {});
    std::vector<std::string> w;
    for (const auto& t : ts.tokens) w.emplace_back(t.text);
    EXPECT_EQ(w, (V{"a", "b", "m", "c", "z"}));
    EXPECT_TRUE(ts.diagnostics.empty());
    // Locations name the included file.
    EXPECT_EQ(ts.files[ts.tokens[1].loc.file], (dir / "sub/1.conf").string());
}

TEST_F(IncludeTest, PwdIsTheFilesDirectory) {
    write("main.conf", "include ${_PWD}/sub/x.conf\n");
    write("sub/x.conf", "x\n");
    TokenStream ts;
    preprocess_file(ts, (dir / "main.conf").string(), {});
    ASSERT_EQ(ts.tokens.size(), 1u);
    EXPECT_EQ(ts.tokens[0].text, "x");
}

TEST_F(IncludeTest, MissingIncludeIsFatalWithLine) {
    write("main.conf", "a\n\ninclude nothing-*.conf\n");
    auto r = load_file((dir / "main.conf").string(), test::quiet());
    auto* d = test::find(r, "included file missing");
    ASSERT_NE(d, nullptr) << all(r);
    EXPECT_EQ(d->line, 3u);
    EXPECT_EQ(d->column, 1u);
    EXPECT_TRUE(d->fatal_at_startup);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.startable());
}

TEST(Lexer, IncludesCanBeDisabled) {
    PreprocessOptions o;
    o.allow_includes = false;
    auto ts = lex("include /etc/passwd\n", o);
    EXPECT_TRUE(ts.tokens.empty());
    ASSERT_EQ(ts.diagnostics.size(), 1u);
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

TEST(Lexer, InstanceDefinitionIsTheConfigId) {
    EXPECT_EQ(words("router_id ${_INSTANCE}\n"),
              (std::vector<std::string>{"router_id", "testhost"}));
    PreprocessOptions o;
    o.config_id = "lb2";
    EXPECT_EQ(words("router_id r-$_INSTANCE\n", o),
              (std::vector<std::string>{"router_id", "r-lb2"}));
}

TEST(Lexer, RandomStaysInItsRange) {
    PreprocessOptions o;
    o.random_seed = 7;
    std::string text;
    for (int i = 0; i < 200; ++i) text += "v ${_RANDOM 5 9} ${_RANDOM 32760} ${_RANDOM}\n";
    auto w = words(text, o);
    ASSERT_EQ(w.size(), 800u);
    std::set<long> seen;
    for (std::size_t i = 0; i < w.size(); i += 4) {
        long a = std::stol(w[i + 1]), b = std::stol(w[i + 2]), c = std::stol(w[i + 3]);
        EXPECT_TRUE(a >= 5 && a <= 9) << a;
        EXPECT_TRUE(b >= 32760 && b <= 32767) << b;  // one bound is MIN
        EXPECT_TRUE(c >= 0 && c <= 32767) << c;
        seen.insert(a);
    }
    EXPECT_EQ(seen.size(), 5u);    // every value of a small range shows up
    EXPECT_EQ(words(text, o), w);  // the same seed gives the same text
    // Not a number: left as written, like any undefined name.
    EXPECT_EQ(words("v ${_RANDOM x}\n", o),
              (std::vector<std::string>{"v", "$", "{", "_RANDOM", "x", "}"}));
}

}  // namespace
}  // namespace vigil::config
