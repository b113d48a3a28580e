// keepalived runs every corpus file despite its "-t" verdicts; Vigil must start them too,
// except the one whose include is missing (refused by design).
#include "helpers.hpp"

#include <filesystem>

namespace vigil::config {
namespace {

TEST(Corpus, EveryFileKeepalivedRunsIsStartable) {
    const std::filesystem::path dir =
        std::filesystem::path(VIGIL_SOURCE_DIR) / "tests/corpus/keepalived-real";
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
    auto o = test::quiet();
    o.config_id = "bvehost";
    std::size_t files = 0;
    auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir);  // ${_PWD} and relative includes as keepalived runs them
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() != ".conf") continue;
        ++files;
        auto name = e.path().filename().string();
        auto r = load_file(name, o);
        if (name.starts_with("63-"))
            EXPECT_FALSE(r.startable()) << name;
        else
            EXPECT_TRUE(r.startable()) << name << "\n" << test::all(r);
    }
    std::filesystem::current_path(cwd);
    EXPECT_EQ(files, 68u);
}

// Read a few bytes at a time, with the text of each finished statement freed, every file gives
// the same configuration and the same diagnostics as read whole.
TEST(Corpus, ReadingInSmallPiecesChangesNothing) {
    const std::filesystem::path dir =
        std::filesystem::path(VIGIL_SOURCE_DIR) / "tests/corpus/keepalived-real";
    auto whole = test::quiet();
    whole.config_id = "bvehost";
    whole.read_chunk = 1u << 24;
    auto pieces = whole;
    pieces.read_chunk = 7;
    auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir);
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() != ".conf") continue;
        ++files;
        auto name = e.path().filename().string();
        auto a = load_file(name, whole), b = load_file(name, pieces);
        EXPECT_EQ(to_json(a.config), to_json(b.config)) << name;
        EXPECT_EQ(test::all(a), test::all(b)) << name;
    }
    std::filesystem::current_path(cwd);
    EXPECT_EQ(files, 68u);
}

}  // namespace
}  // namespace vigil::config
