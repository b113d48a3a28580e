// The syntax tree of a keepalived.conf: statements (keyword, arguments, optional block).
#pragma once

#include "config/source.hpp"

#include <deque>
#include <functional>
#include <memory>
#include <memory_resource>
#include <optional>
#include <vector>

namespace vigil::config {

// A copy allocates from the default resource: only a statement being built lives in the
// parser's arena.
struct Node {
    Node() = default;
    explicit Node(std::pmr::memory_resource* r) : args(r), children(r) {}

    Token key;
    std::pmr::vector<Token> args;
    std::pmr::vector<Node> children;
    bool block = false;  // "{ ... }" followed
    SourceLoc end{};     // its closing '}': where keepalived reports problems of a whole block
};

// Builds statements from tokens pushed one at a time and hands each complete top-level
// statement to a callback, so a large file never exists as one whole tree.
class StatementParser {
  public:
    using Sink = std::function<void(Node&&)>;
    StatementParser(const std::vector<std::string>& files, std::vector<Diagnostic>& diagnostics,
                    Sink sink)
        : files_(files), diags_(diagnostics), sink_(std::move(sink)) {}

    void push(const Token& t);
    void finish();  // end of input: reports unclosed blocks, flushes the last statement
    // No token is held: every statement pushed so far went to the sink.
    bool at_rest() const { return stack_.empty() && !pending_ && !skipped_depth_; }

    static constexpr std::size_t max_depth = 64;
    static constexpr std::size_t arena_size = 64u << 10;

  private:
    void report(const Token& tok, std::string msg, int pass = 2);
    void flush_pending();
    void attach(Node&& n);

    const std::vector<std::string>& files_;
    std::vector<Diagnostic>& diags_;
    Sink sink_;
    // The statement being built; emptied after each top-level statement reaches the sink.
    std::unique_ptr<std::byte[]> arena_buffer_ = std::make_unique<std::byte[]>(arena_size);
    std::pmr::monotonic_buffer_resource arena_{arena_buffer_.get(), arena_size};
    std::vector<Node> stack_;        // open blocks, outermost first
    std::vector<bool> discard_;      // parallel to stack_: a block opened by a stray '{'
    std::optional<Node> pending_;    // statement still collecting arguments
    std::size_t skipped_depth_ = 0;  // nesting beyond max_depth, ignored
};

// N with every token's text copied into STORE, so it outlives the text it was read from.
void keep_text(Node& n, std::deque<std::string>& store);

// Whole-input convenience: all top-level statements of TOKENS.
std::vector<Node> parse_tokens(const std::vector<Token>& tokens,
                               const std::vector<std::string>& files,
                               std::vector<Diagnostic>& diagnostics);

}  // namespace vigil::config
