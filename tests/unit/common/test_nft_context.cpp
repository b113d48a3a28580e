#include <gtest/gtest.h>

#include "vigil/common/nft_context.hpp"
#include "vigil/common/shared_library.hpp"

using vigil::NftContext;
using vigil::SharedLibrary;

TEST(SharedLibrary, MissingLibraryIsAnErrorNamingIt) {
    auto lib = SharedLibrary::open("libvigil-no-such-library.so.7");
    ASSERT_FALSE(lib);
    EXPECT_NE(lib.error().find("libvigil-no-such-library.so.7"), std::string::npos) << lib.error();
}

TEST(SharedLibrary, MissingSymbolIsAnErrorNamingIt) {
    auto lib = SharedLibrary::open(NftContext::default_library);
    ASSERT_TRUE(lib) << lib.error();
    auto f = lib->function<int()>("vigil_no_such_function");
    ASSERT_FALSE(f);
    EXPECT_NE(f.error().find("vigil_no_such_function"), std::string::npos) << f.error();
    auto g = lib->function<void()>("nft_ctx_new");
    ASSERT_TRUE(g) << g.error();
    EXPECT_NE(*g, nullptr);
}

TEST(NftContext, LoadsLibnftablesAndResolvesEveryFunction) {
    auto ctx = NftContext::open(/*dry_run=*/true);
    ASSERT_TRUE(ctx) << ctx.error();
    // A dry run parses and checks against the kernel's view, and commits nothing.
    auto ok = ctx->run("add table inet vigil_nft_context_test\n");
    EXPECT_TRUE(ok) << ok.error();
}

TEST(NftContext, SyntaxErrorIsNftablesMessage) {
    auto ctx = NftContext::open(/*dry_run=*/true);
    ASSERT_TRUE(ctx) << ctx.error();
    auto bad = ctx->run("add tabel inet x\n");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().rfind("nftables: ", 0), 0u) << bad.error();
    EXPECT_NE(bad.error().find("syntax error"), std::string::npos) << bad.error();
    EXPECT_NE(bad.error().back(), '\n');
    // The context stays usable after a failed transaction.
    auto ok = ctx->run("add table inet vigil_nft_context_test\n");
    EXPECT_TRUE(ok) << ok.error();
}

TEST(NftContext, BadLibraryNameIsAnErrorValue) {
    auto ctx = NftContext::open(false, "libnftables-missing.so.1");
    ASSERT_FALSE(ctx);
    EXPECT_EQ(ctx.error().rfind("nftables: cannot load libnftables-missing.so.1", 0), 0u)
        << ctx.error();
    EXPECT_NE(ctx.error().find("install libnftables1"), std::string::npos) << ctx.error();
}

TEST(NftContext, LibraryWithoutNftFunctionsIsAnErrorValue) {
    // Loads, but is not libnftables: the first missing function is named.
    auto ctx = NftContext::open(false, "libc.so.6");
    ASSERT_FALSE(ctx);
    EXPECT_NE(ctx.error().find("nft_ctx_new"), std::string::npos) << ctx.error();
}

TEST(NftContext, MovedContextRunsAndOriginalIsGone) {
    auto ctx = NftContext::open(true);
    ASSERT_TRUE(ctx) << ctx.error();
    NftContext moved = std::move(*ctx);
    EXPECT_TRUE(moved.run("add table inet vigil_nft_context_test\n"));
}
