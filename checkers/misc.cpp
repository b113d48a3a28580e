// MISC_CHECK: the daemon runs the script (Hooks::run_script); this maps its exit code.
#include "misc.hpp"

#include <boost/asio/post.hpp>

namespace vigil::checkers {

ProbeOutcome misc_outcome(int exit_code, bool dynamic) {
    if (exit_code == 0) return ProbeOutcome::success();
    if (exit_code == -1) return ProbeOutcome::fail(Failure::script_timeout, "script timed out");
    if (exit_code < 0) return ProbeOutcome::fail(Failure::spawn_failed, "script did not start");
    if (dynamic && exit_code >= 2 && exit_code <= 255) {
        ProbeOutcome o = ProbeOutcome::success();
        o.weight = exit_code - 2;
        return o;
    }
    return ProbeOutcome::fail(Failure::script_failed,
                              "script exited with " + std::to_string(exit_code));
}

Duration misc_timeout(const CheckConfig& cfg) {
    const auto& m = std::get<MiscCheck>(cfg.kind);
    return m.timeout.count() > 0 ? m.timeout : cfg.delay_loop;
}

namespace {

class MiscProbe : public Probe, public std::enable_shared_from_this<MiscProbe> {
  public:
    MiscProbe(boost::asio::io_context& io, bool dynamic, ProbeDone done)
        : io_(io), dynamic_(dynamic), done_(std::move(done)) {}

    void start(const Hooks& hooks, const Command& cmd, Duration timeout) {
        std::weak_ptr<MiscProbe> weak = shared_from_this();
        auto on_exit = [weak, &io = io_](int code) {
            // A runner may answer at once: always report from the loop.
            boost::asio::post(io, [weak, code] {
                if (auto self = weak.lock()) self->finish(misc_outcome(code, self->dynamic_));
            });
        };
        if (!hooks.run_script || cmd.empty()) {
            on_exit(-2);
        } else {
            hooks.run_script(cmd, timeout, on_exit);
        }
        self_ = shared_from_this();  // alive until the script ends or cancel()
    }

    void cancel() override {
        finished_ = true;
        done_ = nullptr;
        self_.reset();
    }

  private:
    void finish(ProbeOutcome o) {
        auto keep = std::move(self_);
        if (finished_) return;
        finished_ = true;
        auto done = std::move(done_);
        done(std::move(o));
    }

    boost::asio::io_context& io_;
    bool dynamic_;
    ProbeDone done_;
    std::shared_ptr<MiscProbe> self_;
    bool finished_ = false;
};

}  // namespace

std::shared_ptr<Probe> start_misc_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                        ProbeDone done) {
    const auto& m = std::get<MiscCheck>(cfg->kind);
    auto p = std::make_shared<MiscProbe>(env.io, m.dynamic, std::move(done));
    p->start(env.hooks, m.command, misc_timeout(*cfg));
    return p;
}

}  // namespace vigil::checkers
