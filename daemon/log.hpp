// Log lines to syslog, the console and/or a file.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace vigil {

enum class LogLevel { debug = 7, info = 6, notice = 5, warning = 4, error = 3 };

struct LogOptions {
    bool console = false;
    bool syslog = true;
    bool detail = false;  // debug lines too
    std::string file;
    std::string ident = "Vigil";
};

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
