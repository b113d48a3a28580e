// Includes: "include PATTERN" (and keepalived's includer/includem/includew/includeb/includea)
// names files by a glob pattern, relative to the directory of the file that says it.
#pragma once

#include "config/host.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::config {

// The directory part of PATH ("." for a bare name).
std::string dir_of(const std::string& path);
// DIR made absolute against CWD (DIR itself when CWD is unknown, i.e. empty).
std::string absolute_dir(const std::string& dir, const std::string& cwd);

// The pattern of an include line (blanks around it off), or nullopt for any other line.
// keepalived's checking variants read as include: a missing or unmatched include is an error
// here in any case.
std::optional<std::string_view> include_directive(std::string_view line);

// The glob pattern an include means: quotes off, relative to DIR; empty when none was given.
std::string include_pattern(std::string_view written, const std::string& dir);

// The files an include names, as HOST globs them, directories left out (as keepalived does); a
// message when none.
struct IncludeResolution {
    std::vector<std::string> paths;
    std::string error;
};
IncludeResolution resolve_include(std::string_view written, const std::string& dir, Host& host);

}  // namespace vigil::config
