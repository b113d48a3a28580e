#include "app.hpp"

#include "pidfile.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <optional>

namespace vigil {

namespace asio = boost::asio;

struct App::Impl {
    Options options;
    Logger& log;
    asio::io_context io;
    asio::signal_set signals{io};
    std::optional<PidFile> pid_file;
    config::Config running;
    bool stopping = false;

    Impl(Options o, Logger& l) : options(std::move(o)), log(l) {}

    void wait_signal() {
        signals.async_wait([this](const boost::system::error_code& ec, int sig) {
            if (ec) return;
            on_signal(sig);
            if (!stopping) wait_signal();
        });
    }

    void on_signal(int sig) {
        switch (sig) {
            case SIGHUP:
                reload();
                break;
            case SIGTERM:
            case SIGINT:
                stop();
                break;
            default:
                break;
        }
    }

    void reload() {
        log.info("Reloading configuration from {}", options.config_file);
        config::LoadOptions lo;
        lo.config_id = options.config_id;
        lo.defines = options.defines;
        auto r = config::load_file(options.config_file, lo);
        if (!r.startable()) {
            for (const auto& d : r.diagnostics) log.error("{}", config::format(d));
            log.error("Reload refused: {} has errors; the running configuration is kept",
                      options.config_file);
            return;
        }
        for (const auto& d : r.diagnostics) log.warning("{}", config::format(d));
        running = std::move(r.config);
        log.info("Configuration reloaded");
    }

    void stop() {
        if (stopping) return;
        stopping = true;
        log.info("Stopping");
        signals.cancel();
        io.stop();
    }
};

App::App(Options options, Logger& log) : impl_(std::make_unique<Impl>(std::move(options), log)) {}
App::~App() = default;

int App::run(config::Config initial) {
    auto& s = *impl_;
    auto pid = PidFile::create(s.options.pid_file);
    if (!pid) {
        s.log.error("pid file: {}", pid.error());
        return 1;
    }
    s.pid_file.emplace(std::move(*pid));
    s.running = std::move(initial);
    for (int sig : {SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) s.signals.add(sig);
    std::signal(SIGPIPE, SIG_IGN);
    s.wait_signal();
    s.log.info("Starting Vigil, configuration {}", s.options.config_file);
    s.io.run();
    s.log.info("Stopped");
    return 0;
}

}  // namespace vigil
