// Line generators: "~SEQ(var, [start, [step,]] end) rest" (~SEQx: hex values) and
// "~LST(var|{vars}, values|{values}...) rest" repeat REST once per value, with the variables
// defined for it.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::config {

// A number as ~SEQ reads one: decimal or 0x hex, with an optional sign, blanks around.
bool parse_long(std::string_view s, long& v);
// "a, {b, c}, d" split at its top-level commas, each part trimmed.
std::vector<std::string_view> split_args(std::string_view s);

struct Generator {
    enum class Kind { seq, lst };
    Kind kind = Kind::seq;
    std::vector<std::string_view> vars;  // ~SEQ: one
    // ~SEQ
    long start = 0, step = 1, end = 0;
    bool hex = false;
    // ~LST: one list of values per repetition
    std::vector<std::vector<std::string_view>> values;
    std::string_view rest;  // the text after ')', repeated
};

// A line that starts with "~SEQ" or "~LST": the generator, or a message saying what is wrong.
struct GeneratorParse {
    std::optional<Generator> generator;
    std::string error;
};
GeneratorParse parse_generator(std::string_view line);

// The variables of one repetition: (name, value), in the generator's order.
using Assignments = std::vector<std::pair<std::string_view, std::string>>;
// Calls EACH once per repetition, in order, until it returns false. ~SEQ stops before its
// value would leave the range of long.
void for_each_repetition(const Generator& g, const std::function<bool(const Assignments&)>& each);

}  // namespace vigil::config
