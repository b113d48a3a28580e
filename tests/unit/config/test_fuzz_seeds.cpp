// The config fuzz target's input format and seeds: files split at NUL bytes land where the
// includes find them, and the multi-file seed reaches every file and the host's answers.
#include "config_fuzz_input.hpp"
#include "helpers.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil::config {
namespace {

using test::all;
using test::find;

std::string read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(FuzzInput, NulBytesSeparateFiles) {
    using namespace std::string_literals;
    auto h = fuzz::host_for("a\0b\0\0d"s);
    EXPECT_EQ(h.files.size(), 4u);
    EXPECT_EQ(h.files.at(fuzz::kPaths[0]), "a");
    EXPECT_EQ(h.files.at(fuzz::kPaths[1]), "b");
    EXPECT_EQ(h.files.at(fuzz::kPaths[2]), "");
    EXPECT_EQ(h.files.at(fuzz::kPaths[3]), "d");
    auto nine = fuzz::host_for(
        "0\0"
        "1\0"
        "2\0"
        "3\0"
        "4\0"
        "5\0"
        "6\0"
        "7\0"
        "8"s);
    EXPECT_EQ(nine.files.size(), 8u);
    EXPECT_EQ(nine.files.at(fuzz::kPaths[7]), "7");  // the rest is dropped
}

TEST(FuzzInput, IncludesThatMultiplyStayBounded) {
    using namespace std::string_literals;
    // Every file includes every file: without the bounds, 4^16 reads.
    auto r = fuzz::load("include conf.d/*.conf\n\0include ../keepalived.conf\n\0include *.conf\n"s);
    EXPECT_LE(r.config.files.size(), fuzz::options().max_files);
    EXPECT_TRUE(find(r, "more than 64 files to read") || find(r, "includes nested too deeply"))
        << all(r);
}

TEST(FuzzSeeds, MultiFileSeedReachesEveryFileAndTheHost) {
    auto r = fuzz::load(read(std::filesystem::path(VIGIL_SOURCE_DIR) /
                             "tests/fuzz/seeds/config/multi-file-includes"));
    const std::vector<std::string> files = {
        "/etc/keepalived/keepalived.conf",     "/etc/keepalived/common.inc",
        "/etc/keepalived/conf.d/10-vrrp.conf", "/etc/keepalived/conf.d/20-lvs.conf",
        "/etc/keepalived/conf.d/sub/30.conf",  "/etc/keepalived/conf.d/sub/../../common.inc",
    };
    EXPECT_EQ(r.config.files, files) << all(r);
    ASSERT_EQ(r.config.vrrp.instances.size(), 1u) << all(r);
    const auto& in = r.config.vrrp.instances[0];
    EXPECT_EQ(in.name, "VI_fuzz");    // ${_INSTANCE}: the host name
    EXPECT_EQ(in.priority, 150);      // @fuzz line taken, @^fuzz not
    EXPECT_EQ(in.interface, "eth0");  // $IFACE
    EXPECT_EQ(r.config.vrrp.static_rules.size(), 1u);
    EXPECT_EQ(r.config.lvs.virtual_servers.size(), 1u);
    EXPECT_EQ(r.config.checks.size(), 4u) << all(r);  // ~LST: two TCP_CHECKs, MISC, HTTP
    // Answers of the host: a missing interface, a missing script, users that exist.
    EXPECT_TRUE(find(r, "bond9")) << all(r);
    EXPECT_FALSE(find(r, "Script user 'nobody' does not exist")) << all(r);
    EXPECT_FALSE(find(r, "interface 'vlan10' does not exist")) << all(r);
    EXPECT_FALSE(find(r, "no user 'keepalived_script'")) << all(r);
}

TEST(FuzzSeeds, EverySeedLoads) {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(
             std::filesystem::path(VIGIL_SOURCE_DIR) / "tests/fuzz/seeds/config")) {
        auto r = fuzz::load(read(e.path()));
        EXPECT_FALSE(r.config.files.empty()) << e.path();
        ++n;
    }
    EXPECT_GE(n, 9u);
}

}  // namespace
}  // namespace vigil::config
