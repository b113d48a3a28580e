// The syntax tree of a keepalived.conf: statements (keyword, arguments, optional block).
#pragma once

#include "config/source.hpp"

#include <vector>

namespace vigil::config {

struct Node {
    Token key;
    std::vector<Token> args;
    std::vector<Node> children;
    bool block = false;  // "{ ... }" followed
};

// Groups tokens into statements. Brace errors go to DIAGNOSTICS (with FILES for names).
std::vector<Node> parse_tokens(const std::vector<Token>& tokens,
                               const std::vector<std::string>& files,
                               std::vector<Diagnostic>& diagnostics);

}  // namespace vigil::config
