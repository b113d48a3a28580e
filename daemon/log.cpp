#include "log.hpp"

#include <fmt/chrono.h>
#include <syslog.h>

#include <chrono>

namespace vigil {

Logger::Logger(LogOptions options) : options_(std::move(options)) {
    if (options_.syslog) openlog(options_.ident.c_str(), LOG_PID | LOG_NDELAY, LOG_DAEMON);
    if (!options_.file.empty()) file_.reset(std::fopen(options_.file.c_str(), "a"));
}

Logger::~Logger() {
    if (options_.syslog) closelog();
}

void Logger::write(LogLevel level, std::string_view message) {
    if (level == LogLevel::debug && !options_.detail) return;
    if (options_.syslog)
        syslog(static_cast<int>(level), "%.*s", static_cast<int>(message.size()), message.data());
    if (options_.console || file_) {
        const auto now = std::chrono::system_clock::now();
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
        const std::string line = fmt::format(
            "{:%Y-%m-%d %H:%M:%S}.{:03d} {}\n",
            fmt::localtime(std::chrono::system_clock::to_time_t(now)), ms.count(), message);
        if (options_.console) {
            std::fwrite(line.data(), 1, line.size(), stderr);
            std::fflush(stderr);
        }
        if (file_) {
            std::fwrite(line.data(), 1, line.size(), file_.get());
            std::fflush(file_.get());
        }
    }
}

}  // namespace vigil
