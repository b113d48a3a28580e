// The status document (`vigild --status --json`, vigilctl, the USR1/USR2 dumps) and the
// Prometheus text, both rendered from one Snapshot: pure, tested by values.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "snapshot.hpp"

namespace vigil {

// The status document as compact JSON text, keys sorted (what the status socket sends)...
std::string status_text(const Snapshot& s);
// ...and as a tree, for the dumps and the tests.
nlohmann::json status_document(const Snapshot& s);
std::string metrics_document(const Snapshot& s);

}  // namespace vigil
