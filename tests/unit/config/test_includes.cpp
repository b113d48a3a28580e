// include lines: which lines they are and what pattern they mean.
#include "config/includes.hpp"

#include "config/memory_host.hpp"

#include <gtest/gtest.h>

namespace vigil::config {
namespace {

TEST(IncludeDirective, KeywordAndItsVariants) {
    EXPECT_EQ(include_directive("include  a/*.conf "), "a/*.conf");
    for (auto kw : {"includer", "includem", "includew", "includeb", "includea"})
        EXPECT_EQ(include_directive(std::string(kw) + "\t/x"), "/x") << kw;
    EXPECT_EQ(include_directive("include"), "");
    EXPECT_EQ(include_directive("includes /x"), std::nullopt);
    EXPECT_EQ(include_directive("include_x /x"), std::nullopt);
    EXPECT_EQ(include_directive("router_id include"), std::nullopt);
}

TEST(IncludePattern, QuotesAndRelativePaths) {
    EXPECT_EQ(include_pattern("sub/*.conf", "/etc/k"), "/etc/k/sub/*.conf");
    EXPECT_EQ(include_pattern("\"/a b/x.conf\"", "/etc/k"), "/a b/x.conf");
    EXPECT_EQ(include_pattern("\"\"", "/etc/k"), "");
    EXPECT_EQ(include_pattern("\"", "/etc/k"), "/etc/k/\"");
}

TEST(Dirs, DirOfAndAbsolute) {
    EXPECT_EQ(dir_of("/etc/k/a.conf"), "/etc/k");
    EXPECT_EQ(dir_of("/a.conf"), "/");
    EXPECT_EQ(dir_of("a.conf"), ".");
    EXPECT_EQ(dir_of("sub/a.conf"), "sub");
    EXPECT_EQ(absolute_dir("/x", "/cwd"), "/x");
    EXPECT_EQ(absolute_dir(".", "/cwd"), "/cwd");
    EXPECT_EQ(absolute_dir("", "/cwd"), "/cwd");
    EXPECT_EQ(absolute_dir("sub", "/cwd"), "/cwd/sub");
    EXPECT_EQ(absolute_dir("sub", ""), "sub");  // no working directory known
}

TEST(ResolveInclude, MatchesOrWhyNot) {
    MemoryHost h;
    h.files["/k/sub/2.conf"] = "";
    h.files["/k/sub/1.conf"] = "";
    h.files["/abs.conf"] = "";
    auto r = resolve_include("sub/*.conf", "/k", h);
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.paths, (std::vector<std::string>{"/k/sub/1.conf", "/k/sub/2.conf"}));
    EXPECT_EQ(resolve_include("\"/abs.conf\"", "/k", h).paths,
              (std::vector<std::string>{"/abs.conf"}));
    auto none = resolve_include("\"none/*.conf\"", "/k", h);
    EXPECT_TRUE(none.paths.empty());
    EXPECT_EQ(none.error, "included file missing: 'none/*.conf' matches no file");
    EXPECT_EQ(resolve_include("\"\"", "/k", h).error, "include: expected a file name or pattern");
    EXPECT_EQ(resolve_include("", "/k", h).error, "include: expected a file name or pattern");
    // Directories are left out: nothing but a directory is no file.
    EXPECT_EQ(resolve_include("*", "/k", h).error, "included file missing: '*' matches no file");
    EXPECT_EQ(resolve_include("/*", "/k", h).paths, (std::vector<std::string>{"/abs.conf"}));
}

}  // namespace
}  // namespace vigil::config
