// Log lines to syslog, the console and/or a file.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

namespace vigil {

enum class LogLevel { debug = 7, info = 6, notice = 5, warning = 4, error = 3 };

// How a console or file line is written: text for people, kv (logfmt) or json for shippers.
enum class LogFormat { text, kv, json };

struct LogOptions {
    bool console = false;
    bool syslog = true;
    bool detail = false;  // debug lines too
    std::string file;
    std::string ident = "Vigil";
    int facility = 3 << 3;  // LOG_DAEMON
    LogFormat format = LogFormat::text;
    bool journal = false;  // stderr is journald's stream: prefix console lines with <priority>
};

// keepalived's -S argument: 0-7 (local0-7), local0-7, user or daemon; the syslog facility.
std::expected<int, std::string> parse_log_facility(std::string_view s);
std::expected<LogFormat, std::string> parse_log_format(std::string_view s);
std::string_view level_name(LogLevel level);

struct LogRecord {
    std::chrono::system_clock::time_point time;
    LogLevel level;
    std::string_view ident;
    long pid;
    std::string_view message;
};

// One console/file line, newline included. Time is local in text, UTC (RFC 3339) otherwise.
std::string format_log_line(const LogRecord& r, LogFormat format, bool journal_prefix);

class Logger {
  public:
    explicit Logger(LogOptions options);
    ~Logger();
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    void write(LogLevel level, std::string_view message);

    template <typename... Args>
    void info(fmt::format_string<Args...> f, Args&&... args) {
        write(LogLevel::info, fmt::format(f, std::forward<Args>(args)...));
    }
    template <typename... Args>
    void warning(fmt::format_string<Args...> f, Args&&... args) {
        write(LogLevel::warning, fmt::format(f, std::forward<Args>(args)...));
    }
    template <typename... Args>
    void error(fmt::format_string<Args...> f, Args&&... args) {
        write(LogLevel::error, fmt::format(f, std::forward<Args>(args)...));
    }
    template <typename... Args>
    void debug(fmt::format_string<Args...> f, Args&&... args) {
        if (options_.detail) write(LogLevel::debug, fmt::format(f, std::forward<Args>(args)...));
    }

  private:
    struct FileCloser {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    LogOptions options_;
    std::unique_ptr<std::FILE, FileCloser> file_;
};

}  // namespace vigil
