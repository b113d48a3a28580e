// Names iproute2 gives to numbers (routing tables, protocols, realms, DS fields, groups), as
// its files under /etc/iproute2 (read through the Host) and its built-in names say.
#pragma once

#include "config/host.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::config {

enum class NameFile { rt_tables, rt_protos, rt_realms, rt_dsfield, group };

// The number NAME has in the text of one such file ("NUMBER NAME" lines, '#' comments).
std::optional<std::uint32_t> find_name(std::string_view file_text, std::string_view name);

// A number as iproute2 reads one: decimal, 0x hex, or 0 octal.
std::optional<std::uint32_t> parse_number(std::string_view text);

// NAME or a number, looked up in DIRS (each "D/FILE" then "D/FILE.d/*.conf", first hit wins)
// after iproute2's built-in names. HOST reads the files, once per instance; without a host only
// the built-in names are known.
class Iproute2Names {
  public:
    explicit Iproute2Names(std::vector<std::string> dirs, Host* host = nullptr)
        : dirs_(std::move(dirs)), host_(host) {}
    std::optional<std::uint32_t> find(NameFile file, std::string_view name);

  private:
    const std::string& text(NameFile file);
    std::vector<std::string> dirs_;
    Host* host_;
    std::array<std::optional<std::string>, 5> texts_;
};

}  // namespace vigil::config
