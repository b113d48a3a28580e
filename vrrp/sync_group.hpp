// Sync groups: members move together. Pure decisions over the members' states.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "vigil/vrrp/engine.hpp"

namespace vigil::vrrp {

enum class GroupOrder { force_master, force_backup };

struct MemberOrder {
    std::size_t member;
    GroupOrder order;
    bool operator==(const MemberOrder&) const = default;
};

// Member `changed` went from `from` to `to`; what the other members must do. A member entering
// MASTER pulls the backups up; a master leaving MASTER for BACKUP pushes the other masters down.
// FAULT is shared through group_fault() instead.
std::vector<MemberOrder> follow(std::span<const State> states, std::size_t changed, State from,
                                State to);

// A member is held in FAULT while any other member has a fault of its own.
bool group_fault(std::span<const bool> own_faults, std::size_t member);

}  // namespace vigil::vrrp
