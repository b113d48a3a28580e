// Each test runs in a fresh network namespace of its own: nothing here touches the host's links.
#pragma once

#include <gtest/gtest.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <string>

namespace vigil::test {

// Runs a shell command (in this process's namespace) and returns its stdout; "" on failure.
inline std::string sh(const std::string& cmd, int* status = nullptr) {
    std::string out;
    FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    if (!p) return out;
    std::array<char, 4096> buf;
    while (size_t n = ::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    int st = ::pclose(p);
    if (status) *status = st;
    return out;
}

inline bool sh_ok(const std::string& cmd) {
    int st = -1;
    sh(cmd, &st);
    return st == 0;
}

// Waits (at most 15 s) until the kernel reports the link operationally up. Until then its
// transmit queue drops everything; the kernel's linkwatch sets it, later on a busy host.
inline bool wait_oper_up(const std::string& dev) {
    for (int i = 0; i < 300; ++i) {
        if (sh("ip -o link show " + dev).find(" state UP ") != std::string::npos) return true;
        ::usleep(50'000);
    }
    return false;
}

class NetnsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::unshare(CLONE_NEWNET) != 0) GTEST_SKIP() << "needs CAP_SYS_ADMIN for a namespace";
        ASSERT_TRUE(sh_ok("ip link set lo up"));
    }
};

}  // namespace vigil::test
