#include "cli.hpp"
#include "log.hpp"

#include <gtest/gtest.h>
#include <syslog.h>
#include <nlohmann/json.hpp>

using namespace vigil;

namespace {

LogRecord record(std::string_view msg, LogLevel level = LogLevel::warning) {
    // 2026-12-02 05:06:07.089 UTC
    const auto t = std::chrono::sys_days{std::chrono::year{2026} / 12 / 2} + std::chrono::hours{5} +
                   std::chrono::minutes{6} + std::chrono::seconds{7} +
                   std::chrono::milliseconds{89};
    return {t, level, "Vigil", 42, msg};
}

}  // namespace

TEST(Log, FacilityAsKeepalived) {
    EXPECT_EQ(parse_log_facility("0").value(), LOG_LOCAL0);
    EXPECT_EQ(parse_log_facility("7").value(), LOG_LOCAL7);
    EXPECT_EQ(parse_log_facility("local3").value(), LOG_LOCAL3);
    EXPECT_EQ(parse_log_facility("user").value(), LOG_USER);
    EXPECT_EQ(parse_log_facility("daemon").value(), LOG_DAEMON);
    EXPECT_FALSE(parse_log_facility("8"));
    EXPECT_FALSE(parse_log_facility("local"));
    EXPECT_FALSE(parse_log_facility("-1"));
    EXPECT_FALSE(parse_log_facility("kern"));
}

TEST(Log, CommandLine) {
    auto o = parse_command_line({"-S", "5", "--log-format=json", "--syslog-ident", "vigil-a"});
    ASSERT_TRUE(o) << o.error();
    EXPECT_EQ(o->log_facility, LOG_LOCAL5);
    EXPECT_EQ(o->log_format, LogFormat::json);
    EXPECT_EQ(o->syslog_ident, "vigil-a");
    EXPECT_TRUE(o->notes.empty());  // -S is no longer ignored
    auto d = parse_command_line({"-l"});
    ASSERT_TRUE(d);
    EXPECT_EQ(d->log_facility, LOG_DAEMON);
    EXPECT_EQ(d->log_format, LogFormat::text);
    auto glued = parse_command_line({"-S7", "--log-facility=local1", "--log-format", "kv"});
    ASSERT_TRUE(glued) << glued.error();
    EXPECT_EQ(glued->log_facility, LOG_LOCAL1);
    EXPECT_EQ(glued->log_format, LogFormat::kv);
    auto bad = parse_command_line({"-S", "9"});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find("-S"), std::string::npos);
    EXPECT_FALSE(parse_command_line({"--log-format=xml"}));
}

TEST(Log, JsonLineIsOneObjectWithPriority) {
    const std::string line =
        format_log_line(record("VI_1 \"x\"\tentering\nMASTER"), LogFormat::json, false);
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line, embedded newline escaped
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["time"], "2026-12-02T05:06:07.089Z");
    EXPECT_EQ(j["level"], "warning");
    EXPECT_EQ(j["priority"], 4);
    EXPECT_EQ(j["ident"], "Vigil");
    EXPECT_EQ(j["pid"], 42);
    EXPECT_EQ(j["msg"], "VI_1 \"x\"\tentering\nMASTER");
}

TEST(Log, KeyValueQuotesOnlyWhenNeeded) {
    EXPECT_EQ(format_log_line(record("Stopped", LogLevel::info), LogFormat::kv, false),
              "time=2026-12-02T05:06:07.089Z level=info priority=6 ident=Vigil pid=42 "
              "msg=Stopped\n");
    EXPECT_EQ(format_log_line(record("a=b \"c\"\nd", LogLevel::error), LogFormat::kv, false),
              "time=2026-12-02T05:06:07.089Z level=error priority=3 ident=Vigil pid=42 "
              "msg=\"a=b \\\"c\\\"\\nd\"\n");
    EXPECT_TRUE(format_log_line(record(""), LogFormat::kv, false).ends_with(" msg=\"\"\n"));
}

TEST(Log, JournalPrefixCarriesThePriority) {
    for (auto [level, prefix] : {std::pair{LogLevel::error, "<3>"},
                                 {LogLevel::warning, "<4>"},
                                 {LogLevel::info, "<6>"},
                                 {LogLevel::debug, "<7>"}}) {
        const std::string t = format_log_line(record("m", level), LogFormat::text, true);
        EXPECT_TRUE(t.starts_with(prefix)) << t;
        EXPECT_TRUE(t.ends_with(" m\n")) << t;
        EXPECT_TRUE(format_log_line(record("m", level), LogFormat::json, true).starts_with(prefix));
    }
    EXPECT_FALSE(format_log_line(record("m"), LogFormat::text, false).starts_with("<"));
}
