// Conditional lines: "@ID rest" is read only when the config id (-i, else the host name) is
// ID, "@^ID rest" only when it is not.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace vigil::config {

// How much of LINE (which starts with its first non-blank) to skip: the tag and the blanks
// after it, or 0 for a line without a tag; nullopt when the line is not for CONFIG_ID.
std::optional<std::size_t> conditional_prefix(std::string_view line, std::string_view config_id);

}  // namespace vigil::config
