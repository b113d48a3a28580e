// Checker keywords the parser fills for the checkers module: HTTP regex, UDP HEX_STR,
// FILE_CHECK track files, log_all_failures, the SSL block and dump paths.
#include "helpers.hpp"

namespace vigil::config {
namespace {

using test::all;
using test::find;
using test::load;

// One virtual server with one real server whose body is BODY (line 3 onwards).
std::string rs(const std::string& body, const std::string& before = "") {
    return before + "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n" + body +
           " }\n lb_algo rr\n protocol TCP\n}\n";
}

const checkers::CheckConfig& only_check(const LoadResult& r) {
    EXPECT_EQ(r.config.checks.size(), 1u) << all(r);
    static const checkers::CheckConfig none;
    return r.config.checks.empty() ? none : r.config.checks.front().check;
}

void expect_error_at(const LoadResult& r, const std::string& needle, unsigned line,
                     unsigned column) {
    const auto* d = find(r, needle);
    ASSERT_NE(d, nullptr) << "no '" << needle << "' in:\n" << all(r);
    EXPECT_EQ(d->severity, Severity::error) << format(*d);
    EXPECT_EQ(d->line, line) << format(*d);
    EXPECT_EQ(d->column, column) << format(*d);
    EXPECT_FALSE(r.ok());
}

TEST(HttpRegex, FillsEveryField) {
    auto r = load(rs(R"c(  HTTP_GET {
   url {
    path /health
    regex "status: (ok|fine)"
    regex_no_match
    regex_options caseless multiline
    regex_options dotall
    regex_min_offset 5
    regex_max_offset 100
    regex_stack 1000 2000
}
}
)c"));
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& h = std::get<checkers::HttpCheck>(only_check(r).kind);
    ASSERT_EQ(h.urls.size(), 1u);
    const auto& u = h.urls[0];
    EXPECT_EQ(u.regex, "status: (ok|fine)");
    EXPECT_TRUE(u.regex_no_match);
    EXPECT_EQ(u.regex_options, (std::vector<std::string>{"caseless", "multiline", "dotall"}));
    EXPECT_EQ(u.regex_min_offset, 5u);
    EXPECT_EQ(u.regex_max_offset, 101u);  // one beyond the last acceptable position
}

TEST(HttpRegex, BadPatternIsAnErrorAtThePattern) {
    auto r = load(rs(R"c(  HTTP_GET {
   url {
    path /
    regex "([a-"
   }
  }
)c"));
    expect_error_at(r, "Invalid regex", 6, 11);
}

TEST(HttpRegex, ParametersWithoutRegexAreDropped) {
    auto r = load(rs(R"c(  HTTP_GET {
   url {
    path /
    regex_no_match
    regex_min_offset 3
   }
  }
)c"));
    EXPECT_TRUE(r.ok()) << all(r);
    EXPECT_NE(find(r, "regex parameters specified without regex"), nullptr) << all(r);
    const auto& u = std::get<checkers::HttpCheck>(only_check(r).kind).urls.at(0);
    EXPECT_FALSE(u.regex_no_match);
    EXPECT_EQ(u.regex_min_offset, 0u);
}

TEST(HttpRegex, MinNotBelowMaxResetsBoth) {
    auto r = load(rs(R"c(  HTTP_GET {
   url {
    path /
    regex ok
    regex_min_offset 10
    regex_max_offset 9
   }
  }
)c"));
    EXPECT_NE(find(r, "regex min offset 10 > regex_max_offset 9"), nullptr) << all(r);
    const auto& u = std::get<checkers::HttpCheck>(only_check(r).kind).urls.at(0);
    EXPECT_EQ(u.regex_min_offset, 0u);
    EXPECT_EQ(u.regex_max_offset, 0u);
}

TEST(LogAllFailures, CheckerKeywordAndGlobalDefault) {
    const std::string body = R"c(  TCP_CHECK {
   log_all_failures
  }
  TCP_CHECK {
  }
  TCP_CHECK {
   log_all_failures false
  }
)c";
    auto r = load(rs(body));
    ASSERT_EQ(r.config.checks.size(), 3u) << all(r);
    EXPECT_TRUE(r.config.checks[0].check.log_all_failures);
    EXPECT_FALSE(r.config.checks[1].check.log_all_failures);
    EXPECT_FALSE(r.config.checks[2].check.log_all_failures);

    // The global keyword may come after the checkers; an explicit value still wins.
    auto g = load(rs(body) + "global_defs {\n checker_log_all_failures true\n}\n");
    EXPECT_TRUE(g.ok()) << all(g);
    ASSERT_EQ(g.config.checks.size(), 3u);
    EXPECT_TRUE(g.config.checks[0].check.log_all_failures);
    EXPECT_TRUE(g.config.checks[1].check.log_all_failures);
    EXPECT_FALSE(g.config.checks[2].check.log_all_failures);
    EXPECT_TRUE(g.config.global.checker_log_all_failures);
}

TEST(UdpCheck, HexStrOverAllArguments) {
    auto r = load(rs(R"c(  UDP_CHECK {
   payload Ab12f 3 456 546443123
   require_reply 01x2 X f
  }
)c"));
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& u = std::get<checkers::UdpCheck>(only_check(r).kind);
    EXPECT_EQ(u.payload, (std::vector<std::uint8_t>{0xAB, 0x12, 0x0F, 0x03, 0x45, 0x06, 0x54, 0x64,
                                                    0x43, 0x12, 0x03}));
    EXPECT_TRUE(u.require_reply);
    EXPECT_EQ(u.reply_data, (std::vector<std::uint8_t>{0x01, 0x02, 0x00, 0x0F}));
    EXPECT_EQ(u.reply_mask, (std::vector<std::uint8_t>{0x00, 0xF0, 0x0F, 0x00}));
}

TEST(UdpCheck, RequireReplyAloneChecksNoData) {
    auto r = load(rs("  UDP_CHECK {\n   require_reply\n  }\n"));
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& u = std::get<checkers::UdpCheck>(only_check(r).kind);
    EXPECT_TRUE(u.require_reply);
    EXPECT_TRUE(u.reply_data.empty());
    EXPECT_TRUE(u.payload.empty());
}

TEST(UdpCheck, BadHexIsAnErrorAtItsFirstArgument) {
    auto r = load(rs("  UDP_CHECK {\n   payload 01 zz\n  }\n"));
    expect_error_at(r, "payload: invalid hex string '01 zz'", 4, 12);
    // X is a wildcard only in require_reply.
    auto p = load(rs("  UDP_CHECK {\n   payload 0X\n  }\n"));
    expect_error_at(p, "payload: invalid hex string", 4, 12);
    auto q = load(rs("  UDP_CHECK {\n   require_reply 0X g1\n  }\n"));
    expect_error_at(q, "require_reply: invalid hex string", 4, 18);
}

const std::string kTrackFile = R"c(vrrp_track_file tf {
 file /run/vigil-weight
 weight 7 reverse
}
)c";

TEST(FileCheck, ResolvesTheTrackFileAndItsWeight) {
    auto r = load(rs("  FILE_CHECK {\n   track_file tf\n  }\n", kTrackFile));
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& f = std::get<checkers::FileCheck>(only_check(r).kind);
    EXPECT_EQ(f.track_file, "tf");
    EXPECT_EQ(f.path, "/run/vigil-weight");
    EXPECT_EQ(f.weight, 7);
    EXPECT_TRUE(f.reverse);
}

TEST(FileCheck, OwnWeightOverridesTheTrackFile) {
    auto r =
        load(rs("  FILE_CHECK {\n   track_file tf\n   weight -3 noreverse\n  }\n", kTrackFile));
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& f = std::get<checkers::FileCheck>(only_check(r).kind);
    EXPECT_EQ(f.weight, -3);
    EXPECT_FALSE(f.reverse);
    auto d = load(rs("  FILE_CHECK {\n   track_file tf\n   weight 2\n  }\n",
                     "track_file tf {\n file /x\n}\n"));
    const auto& g = std::get<checkers::FileCheck>(only_check(d).kind);
    EXPECT_EQ(g.weight, 2);
    EXPECT_FALSE(g.reverse);
    auto one =
        load(rs("  FILE_CHECK {\n   track_file tf\n  }\n", "track_file tf {\n file /x\n}\n"));
    EXPECT_EQ(std::get<checkers::FileCheck>(only_check(one).kind).weight, 1);  // the default
}

TEST(FileCheck, UnknownTrackFileIsAnError) {
    auto r = load(rs("  FILE_CHECK {\n   track_file nope\n  }\n", kTrackFile));
    expect_error_at(r, "track_file nope not found", 8, 15);
    EXPECT_TRUE(r.config.checks.empty());
    EXPECT_EQ(find(r, "has no track_file"), nullptr) << all(r);
    // Defined only after the checker: keepalived does not find it either.
    auto late = load(rs("  FILE_CHECK {\n   track_file tf\n  }\n") + kTrackFile);
    expect_error_at(late, "track_file tf not found", 4, 15);
}

TEST(FileCheck, MissingTrackFileAndBadWeightOption) {
    auto r = load(rs("  FILE_CHECK {\n   weight 2\n  }\n"));
    expect_error_at(r, "FILE_CHECK has no track_file specified", 3, 3);
    auto w = load(rs("  FILE_CHECK {\n   track_file tf\n   weight 2 sideways\n  }\n", kTrackFile));
    expect_error_at(w, "unknown track file weight option sideways", 9, 13);
    auto big = load(rs("  FILE_CHECK {\n   track_file tf\n   weight 70000\n  }\n", kTrackFile));
    EXPECT_FALSE(big.ok()) << all(big);
}

TEST(SslBlock, FillsTheClientIdentity) {
    auto r = load(R"c(SSL {
 ca /etc/vigil/ca.pem
 certificate /etc/vigil/client.pem
 key /etc/vigil/client.key
 password secret
}
)c");
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& t = r.config.global.tls;
    EXPECT_EQ(t.ca, "/etc/vigil/ca.pem");
    EXPECT_EQ(t.certificate, "/etc/vigil/client.pem");
    EXPECT_EQ(t.key, "/etc/vigil/client.key");
    EXPECT_EQ(t.password, "secret");
    auto bad = load("SSL {\n ca /x\n cipher foo\n}\n");
    EXPECT_NE(find(bad, "Unknown keyword 'cipher'"), nullptr) << all(bad);
}

TEST(GlobalDefs, DumpPaths) {
    auto r = load(R"c(global_defs {
 tmp_dir /var/tmp/vigil
 data_file /run/vigil.data
 stats_file /run/vigil.stats
 tmp_config_directory /var/tmp
}
)c");
    EXPECT_TRUE(r.ok()) << all(r);
    EXPECT_EQ(r.config.global.tmp_dir, "/var/tmp/vigil");
    EXPECT_EQ(r.config.global.data_file, "/run/vigil.data");
    EXPECT_EQ(r.config.global.stats_file, "/run/vigil.stats");
    auto two = load("global_defs {\n data_file /a /b\n}\n");
    expect_error_at(two, "'data_file': expected one path", 2, 15);
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

// "-t" keeps no real servers nor checkers, yet reports exactly what a full load reports.
TEST(CheckOnly, SameDiagnosticsNothingRetained) {
    const std::string text =
        rs("  weight 3\n  notify_up /bin/true\n  FILE_CHECK {\n   track_file nope\n  }\n"
           "  TCP_CHECK {\n   connect_timeout 0\n  }\n  HTTP_GET {\n   url {\n    regex \"(\"\n"
           "   }\n  }\n");
    auto full = load(text);
    auto o = test::quiet();
    o.check_only = true;
    auto lean = load(text, o);
    EXPECT_FALSE(full.ok());
    EXPECT_EQ(all(lean), all(full));
    EXPECT_EQ(full.config.checks.size(), 2u);  // TCP_CHECK and HTTP_GET, bad values and all
    EXPECT_EQ(full.config.lvs.virtual_servers.at(0).real_servers.size(), 1u);
    EXPECT_TRUE(lean.config.checks.empty());
    EXPECT_TRUE(lean.config.lvs.virtual_servers.at(0).real_servers.empty());
    // Files are named by index.
    EXPECT_EQ(full.config.files, (std::vector<std::string>{"t.conf"}));
    EXPECT_EQ(full.config.lvs.virtual_servers[0].real_servers[0].file, 0u);
    EXPECT_EQ(full.config.lvs.virtual_servers[0].real_servers[0].line, 2u);
    EXPECT_EQ(full.config.checks[0].check.line, 8u);
    EXPECT_EQ(full.config.checks[1].check.line, 11u);
}

}  // namespace
}  // namespace vigil::config
