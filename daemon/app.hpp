// The daemon: owns the event loop, wires the modules with callbacks, and is the only place where
// module events become side effects (logs, notify scripts, alerts, status).
#pragma once

#include "cli.hpp"
#include "config/config.hpp"
#include "log.hpp"

#include <memory>

namespace vigil {

class App {
  public:
    App(Options options, Logger& log);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // Runs until TERM/INT; returns the process exit code.
    int run(config::Config initial);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
