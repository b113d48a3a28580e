#include "sync_group.hpp"

namespace vigil::vrrp {

std::vector<MemberOrder> follow(std::span<const State> states, std::size_t changed, State from,
                                State to) {
    std::vector<MemberOrder> out;
    for (std::size_t i = 0; i < states.size(); ++i) {
        if (i == changed) continue;
        if (to == State::master && states[i] == State::backup)
            out.push_back({i, GroupOrder::force_master});
        else if (from == State::master && to == State::backup && states[i] == State::master)
            out.push_back({i, GroupOrder::force_backup});
    }
    return out;
}

bool group_fault(std::span<const bool> own_faults, std::size_t member) {
    for (std::size_t i = 0; i < own_faults.size(); ++i)
        if (i != member && own_faults[i]) return true;
    return false;
}

}  // namespace vigil::vrrp
