#include "pidfile.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

TEST(PidFile, WrittenAndRemoved) {
    const auto path =
        std::filesystem::temp_directory_path() / ("vigil-pid-" + std::to_string(getpid()));
    {
        auto p = vigil::PidFile::create(path.string());
        ASSERT_TRUE(p) << p.error();
        std::ifstream in(path);
        long pid = 0;
        in >> pid;
        EXPECT_EQ(pid, getpid());
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(PidFile, RefusesALiveOwner) {
    const auto path =
        std::filesystem::temp_directory_path() / ("vigil-pid1-" + std::to_string(getpid()));
    { std::ofstream(path) << getppid() << "\n"; }
    auto p = vigil::PidFile::create(path.string());
    EXPECT_FALSE(p);
    std::filesystem::remove(path);
}

TEST(PidFile, DerivedPathsDifferPerPidFile) {
    EXPECT_EQ(vigil::derived_path("/run/vigild.pid", "", ".sock"), "/run/vigild.sock");
    EXPECT_EQ(vigil::derived_path("/tmp/a/node1.pid", "/tmp", ".data"), "/tmp/node1.data");
    EXPECT_NE(vigil::derived_path("/x/n1.pid", "/tmp", ".data"),
              vigil::derived_path("/x/n2.pid", "/tmp", ".data"));
}
