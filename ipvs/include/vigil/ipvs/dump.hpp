// ipvsadm -S style text of a table (what `ipvsadm-save -n` would print for Vigil's services).
#pragma once

#include <string>

#include "vigil/ipvs/table.hpp"

namespace vigil::ipvs {

std::string dump_ipvsadm(const Table& table);

}  // namespace vigil::ipvs
