// The checker keyword tables: each kind reads its own keywords and the common ones, nobody
// else's; FILE_CHECK's weight is its own; SMTP_CHECK's host block; defaults by precedence.
#include "config/checker_blocks.hpp"
#include "helpers.hpp"

namespace vigil::config {
namespace {

using test::all;
using test::find;
using test::load;

// CHECK inside the only real server of a virtual server; BODY lines go into CHECK's block.
LoadResult check(const std::string& kind, const std::string& body, const std::string& rs = "",
                 const std::string& vs = "") {
    return load(
        "vrrp_track_file tf {\n file /run/x\n weight 7\n}\n"
        "bfd_instance b1 {\n neighbor_ip 10.0.1.2\n}\n"
        "virtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n" +
        vs + " real_server 10.0.1.2 80 {\n" + rs + "  " + kind + " {\n" + body + "  }\n }\n}\n");
}

bool unknown(const LoadResult& r, const std::string& kw) {
    return find(r, "Unknown keyword '" + kw + "'") != nullptr;
}

// A valid body for each kind, so that only the keyword under test can be wrong.
std::string minimal(const std::string& kind) {
    if (kind == "HTTP_GET" || kind == "SSL_GET") return "   url {\n    path /\n   }\n";
    if (kind == "MISC_CHECK") return "   misc_path /bin/true\n";
    if (kind == "FILE_CHECK") return "   track_file tf\n";
    return "";
}

struct Kind {
    std::string name;
    std::vector<std::string> own;  // one valid line each
};

const std::vector<Kind>& kinds() {
    static const std::vector<Kind> k = {
        {"TCP_CHECK", {}},
        {"PING_CHECK", {}},
        {"HTTP_GET",
         {"url {\n path /x\n }", "virtualhost h", "http_protocol 1.1", "enable_sni",
          "fast_recovery"}},
        {"SSL_GET", {"url {\n path /x\n }", "enable_sni no"}},
        {"MISC_CHECK", {"misc_path /bin/true", "misc_timeout 3", "misc_dynamic", "user root"}},
        {"DNS_CHECK", {"type A", "name example.com"}},
        {"SMTP_CHECK", {"helo_name me", "host {\n connect_ip 10.0.1.9\n }"}},
        {"UDP_CHECK",
         {"payload 0a0b", "require_reply", "min_reply_length 1", "max_reply_length 9"}},
        {"FILE_CHECK", {"track_file tf", "weight 3 reverse"}},
    };
    return k;
}

const std::vector<std::string> kCommon = {
    "connect_ip 10.0.1.3",  "connect_port 81", "bindto 10.0.0.2",
    "bind_port 5000",       "fwmark 3",        "alpha",
    "log_all_failures no",  "delay_loop 2",    "connect_timeout 2",
    "delay_before_retry 1", "warmup 0",        "retry 2",
};

TEST(CheckerTables, EveryKindReadsItsOwnAndTheCommonKeywords) {
    for (const auto& k : kinds()) {
        std::vector<std::string> lines = k.own;
        lines.insert(lines.end(), kCommon.begin(), kCommon.end());
        for (const auto& line : lines) {
            auto r = check(k.name, minimal(k.name) + "   " + line + "\n");
            EXPECT_TRUE(r.ok()) << k.name << " / " << line << ":\n" << all(r);
            EXPECT_EQ(r.config.checks.size(), 1u) << k.name << " / " << line << ":\n" << all(r);
        }
    }
}

TEST(CheckerTables, NoKindReadsAnotherKindsKeywords) {
    for (const auto& k : kinds())
        for (const auto& other : kinds()) {
            if (other.name == k.name || (k.name.ends_with("_GET") && other.name.ends_with("_GET")))
                continue;
            for (const auto& line : other.own) {
                const auto kw = line.substr(0, line.find(' '));
                if (kw == "weight" || kw == "url" || kw == "host") continue;  // see below
                auto r = check(k.name, minimal(k.name) + "   " + line + "\n");
                EXPECT_TRUE(unknown(r, kw)) << kw << " in " << k.name << ":\n" << all(r);
            }
        }
    auto url = check("TCP_CHECK", "   url {\n    path /\n   }\n");
    EXPECT_TRUE(unknown(url, "url")) << all(url);
    EXPECT_FALSE(unknown(url, "path")) << all(url);  // one report for the whole block
}

TEST(CheckerTables, WeightIsFileChecksOwnAndUnsupportedElsewhere) {
    auto file = check("FILE_CHECK", "   track_file tf\n   weight -5\n");
    ASSERT_EQ(file.config.checks.size(), 1u) << all(file);
    const auto& f = std::get<checkers::FileCheck>(file.config.checks[0].check.kind);
    EXPECT_EQ(f.weight, -5);
    EXPECT_FALSE(find(file, "'weight' is not supported")) << all(file);
    auto own_default = check("FILE_CHECK", "   track_file tf\n");
    EXPECT_EQ(std::get<checkers::FileCheck>(own_default.config.checks.at(0).check.kind).weight,
              7);  // the track file's
    auto tcp = check("TCP_CHECK", "   weight 5\n");
    EXPECT_TRUE(find(tcp, "'weight' is not supported by vigild; ignored")) << all(tcp);
    EXPECT_TRUE(find(check("DNS_CHECK", "   dont_track\n"), "'dont_track' is not supported"));
}

TEST(CheckerTables, SmtpHostBlockGivesTheAddress) {
    auto r = check("SMTP_CHECK",
                   "   host {\n    connect_ip 10.0.1.7\n    connect_port 2525\n"
                   "    bindto 10.0.0.5\n    alpha\n    helo_name x\n   }\n");
    ASSERT_EQ(r.config.checks.size(), 1u) << all(r);
    const auto& cc = r.config.checks[0].check;
    EXPECT_EQ(cc.connect_ip->to_string(), "10.0.1.7");
    EXPECT_EQ(cc.connect_port, 2525);
    EXPECT_EQ(cc.bind_to->to_string(), "10.0.0.5");
    EXPECT_FALSE(cc.alpha);                          // a host block's other options stay in it
    EXPECT_TRUE(unknown(r, "helo_name")) << all(r);  // SMTP's own keyword, not the host's
}

TEST(CheckerTables, DefaultsOfVirtualServerRealServerAndBlock) {
    auto r = check("TCP_CHECK", "   retry 4\n", "  delay_loop 7\n  retry 3\n",
                   " delay_loop 9\n connect_timeout 8\n retry 2\n");
    ASSERT_EQ(r.config.checks.size(), 1u) << all(r);
    const auto& cc = r.config.checks[0].check;
    EXPECT_EQ(cc.connect_timeout, std::chrono::seconds(8));  // the virtual server's
    EXPECT_EQ(cc.delay_loop, std::chrono::seconds(7));       // the real server's over it
    EXPECT_EQ(cc.retry, 4u);                                 // the block's over both
    auto nb = check("TCP_CHECK", "   nb_get_retry 5\n");
    EXPECT_TRUE(find(nb, "Unknown keyword 'nb_get_retry' (keepalived 1.x): use 'retry'"));
    EXPECT_EQ(nb.config.checks.at(0).check.retry, 5u);
}

TEST(CheckerTables, KindsThatNeedSomethingAreDroppedWithoutIt) {
    auto http = check("HTTP_GET", "   connect_timeout 2\n");
    EXPECT_TRUE(find(http, "HTTP/SSL_GET checker has no urls specified - ignoring")) << all(http);
    EXPECT_TRUE(http.config.checks.empty());
    auto misc = check("MISC_CHECK", "");
    EXPECT_TRUE(find(misc, "MISC_CHECK with no misc_path - ignoring")) << all(misc);
    auto file = check("FILE_CHECK", "");
    EXPECT_TRUE(find(file, "FILE_CHECK has no track_file specified - ignoring")) << all(file);
    auto ssl = check("SSL_GET", minimal("SSL_GET"));
    ASSERT_EQ(ssl.config.checks.size(), 1u);
    EXPECT_TRUE(std::get<checkers::HttpCheck>(ssl.config.checks[0].check.kind).ssl);
}

TEST(CheckerTables, BfdCheckTakesOnlyAName) {
    auto r = check("BFD_CHECK", "   name b1\n   connect_timeout 2\n");
    EXPECT_TRUE(unknown(r, "connect_timeout")) << all(r);
    EXPECT_EQ(r.config.bfd_checks.size(), 1u) << all(r);
    EXPECT_TRUE(r.config.checks.empty());
}

TEST(CheckerTables, WhatIsAChecker) {
    for (auto k : {"TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "DNS_CHECK", "SMTP_CHECK",
                   "UDP_CHECK", "PING_CHECK", "FILE_CHECK", "BFD_CHECK"})
        EXPECT_TRUE(is_checker(k)) << k;
    for (auto k : {"TCP", "tcp_check", "url", "weight", ""}) EXPECT_FALSE(is_checker(k)) << k;
}

}  // namespace
}  // namespace vigil::config
