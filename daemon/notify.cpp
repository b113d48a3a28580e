#include "notify.hpp"

namespace vigil {
namespace {

const vrrp::Command* state_script(const vrrp::NotifyConfig& n, const std::string& state) {
    if (state == "MASTER") return &n.master;
    if (state == "BACKUP") return &n.backup;
    if (state == "FAULT") return &n.fault;
    if (state == "STOP") return &n.stop;
    return nullptr;
}

std::vector<NotifyCommand> commands(const vrrp::NotifyConfig& n, const char* kind,
                                    const std::string& name, const std::string& state,
                                    int priority) {
    std::vector<NotifyCommand> out;
    if (const auto* c = state_script(n, state); c && !c->empty())
        out.push_back({c->argv, c->user, c->group});
    if (!n.generic.empty()) {
        NotifyCommand g{n.generic.argv, n.generic.user, n.generic.group};
        g.argv.insert(g.argv.end(), {kind, name, state, std::to_string(priority)});
        out.push_back(std::move(g));
    }
    return out;
}

}  // namespace

std::vector<NotifyCommand> Notifier::instance_commands(const vrrp::InstanceConfig& cfg,
                                                       const std::string& state,
                                                       int priority) const {
    return commands(*cfg.notify, "INSTANCE", cfg.name, state, priority);
}

std::vector<NotifyCommand> Notifier::group_commands(const vrrp::SyncGroupConfig& cfg,
                                                    const std::string& state) const {
    return commands(cfg.notify, "GROUP", cfg.name, state, 0);
}

}  // namespace vigil
