// Definitions: "$NAME=value" lines (continued with a final '\') and their expansion, $NAME or
// ${NAME}, with keepalived's built-in names ${_PWD}, ${_INSTANCE}, ${_HASH}, ${_BANG} and
// ${_RANDOM [MIN [MAX]]}.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace vigil::config {

inline bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// "$NAME=value": the value trimmed; CONTINUES when it ended in '\' (taken off), so the lines
// after it add to the value.
struct DefinitionLine {
    std::string name;
    std::string_view value;
    bool continues = false;
};
std::optional<DefinitionLine> parse_definition(std::string_view line);

// A line that continues a definition: its text (comment, blanks and a final '\' off) and
// whether one more follows.
struct ContinuationLine {
    std::string_view text;
    bool more = false;
};
ContinuationLine continuation_line(std::string_view line);

// The bounds of ${_RANDOM [MIN [MAX]]} (defaults 0 and 32767, MIN <= MAX); nullopt for any
// other name or words that are not numbers up to 2^32-1.
std::optional<std::pair<unsigned long, unsigned long>> random_bounds(std::string_view name);

// The definitions of one load.
class Definitions {
  public:
    // What the built-in names stand for where a line is expanded.
    struct Builtins {
        std::string_view pwd;       // ${_PWD}: the directory of the file being read
        std::string_view instance;  // ${_INSTANCE}: the config id
    };

    // FIRST_SEED seeds ${_RANDOM} at its first use, unless seed() came before.
    explicit Definitions(std::function<unsigned()> first_seed)
        : first_seed_(std::move(first_seed)) {}

    void set(const std::string& name, std::string value) { defs_[name] = std::move(value); }
    // A continuation line of NAME's value: on a line of its own.
    void append_line(const std::string& name, std::string_view text);
    const std::string* find(const std::string& name) const;
    // random_seed: the ${_RANDOM}s after it repeat for the same seed.
    void seed(unsigned s) { rng_.emplace(s); }

    // Appends S to OUT with each defined $NAME / ${NAME} replaced by its value, itself
    // expanded (16 levels deep at most); names not defined stay as written. OUT stops growing
    // once past MAX_BYTES. False when nothing was replaced.
    bool expand(std::string_view s, std::string& out, const Builtins& b, std::size_t max_bytes) {
        return expand(s, out, b, max_bytes, 0);
    }

  private:
    bool expand(std::string_view s, std::string& out, const Builtins& b, std::size_t max_bytes,
                unsigned depth);
    unsigned long draw(std::pair<unsigned long, unsigned long> bounds);

    std::unordered_map<std::string, std::string> defs_;
    std::function<unsigned()> first_seed_;
    std::optional<std::mt19937> rng_;
};

}  // namespace vigil::config
