#include "log.hpp"

#include <fmt/chrono.h>
#include <syslog.h>
#include <unistd.h>

#include <charconv>

namespace vigil {

static_assert((3 << 3) == LOG_DAEMON);

std::expected<int, std::string> parse_log_facility(std::string_view s) {
    constexpr int locals[] = {LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
                              LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
    if (s == "user") return LOG_USER;
    if (s == "daemon") return LOG_DAEMON;
    std::string_view digits = s.starts_with("local") ? s.substr(5) : s;
    unsigned n = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec == std::errc() && p == digits.data() + digits.size() && !digits.empty() && n < 8)
        return locals[n];
    return std::unexpected(
        fmt::format("log facility '{}': expected 0-7, local0-local7, user or daemon", s));
}

std::expected<LogFormat, std::string> parse_log_format(std::string_view s) {
    if (s == "text") return LogFormat::text;
    if (s == "kv" || s == "logfmt") return LogFormat::kv;
    if (s == "json") return LogFormat::json;
    return std::unexpected(fmt::format("log format '{}': expected text, kv or json", s));
}

std::string_view level_name(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::notice:
            return "notice";
        case LogLevel::warning:
            return "warning";
        case LogLevel::error:
            return "error";
    }
    return "info";
}

namespace {

void json_escape(std::string& out, std::string_view s) {
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20)
                    out += fmt::format("\\u{:04x}", c);
                else
                    out += static_cast<char>(c);
        }
    }
}

// logfmt: bare when safe, else quoted with \" \\ \n escapes.
void kv_value(std::string& out, std::string_view s) {
    bool bare = !s.empty();
    for (unsigned char c : s)
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) bare = false;
    if (bare) {
        out += s;
        return;
    }
    out += '"';
    json_escape(out, s);
    out += '"';
}

}  // namespace

std::string format_log_line(const LogRecord& r, LogFormat format, bool journal_prefix) {
    std::string line;
    // journald reads "<N>" at a line start as the line's priority.
    if (journal_prefix) line = fmt::format("<{}>", static_cast<int>(r.level));
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(r.time.time_since_epoch()) % 1000;
    const auto secs = std::chrono::floor<std::chrono::seconds>(r.time);
    if (format == LogFormat::text) {
        line += fmt::format("{:%Y-%m-%d %H:%M:%S}.{:03d} {}\n",
                            fmt::localtime(std::chrono::system_clock::to_time_t(r.time)),
                            ms.count(), r.message);
        return line;
    }
    const std::string ts = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", secs, ms.count());
    if (format == LogFormat::json) {
        line += fmt::format(R"({{"time":"{}","level":"{}","priority":{},"ident":")", ts,
                            level_name(r.level), static_cast<int>(r.level));
        json_escape(line, r.ident);
        line += fmt::format(R"(","pid":{},"msg":")", r.pid);
        json_escape(line, r.message);
        line += "\"}\n";
        return line;
    }
    line += fmt::format("time={} level={} priority={} ident=", ts, level_name(r.level),
                        static_cast<int>(r.level));
    kv_value(line, r.ident);
    line += fmt::format(" pid={} msg=", r.pid);
    kv_value(line, r.message);
    line += '\n';
    return line;
}

Logger::Logger(LogOptions options) : options_(std::move(options)) {
    if (options_.syslog) openlog(options_.ident.c_str(), LOG_PID | LOG_NDELAY, options_.facility);
    if (!options_.file.empty()) file_.reset(std::fopen(options_.file.c_str(), "a"));
}

Logger::~Logger() {
    if (options_.syslog) closelog();
}

void Logger::write(LogLevel level, std::string_view message) {
    if (level == LogLevel::debug && !options_.detail) return;
    if (options_.syslog)
        syslog(options_.facility | static_cast<int>(level), "%.*s",
               static_cast<int>(message.size()), message.data());
    if (!options_.console && !file_) return;
    const LogRecord r{std::chrono::system_clock::now(), level, options_.ident,
                      static_cast<long>(::getpid()), message};
    if (options_.console) {
        const std::string line = format_log_line(r, options_.format, options_.journal);
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fflush(stderr);
    }
    if (file_) {
        const std::string line = format_log_line(r, options_.format, false);
        std::fwrite(line.data(), 1, line.size(), file_.get());
        std::fflush(file_.get());
    }
}

}  // namespace vigil
