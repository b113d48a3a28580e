#include "config/ast.hpp"

namespace vigil::config {
namespace {

class Parser {
  public:
    Parser(const std::vector<Token>& t, const std::vector<std::string>& files,
           std::vector<Diagnostic>& d)
        : t_(t), files_(files), diags_(d) {}

    std::vector<Node> top() {
        std::vector<Node> nodes;
        while (pos_ < t_.size()) {
            if (t_[pos_].kind == Token::Kind::close) {
                report(t_[pos_], "Extra '}' found: no block is open here");
                ++pos_;
                continue;
            }
            statements_until_close(nodes, 0);
        }
        return nodes;
    }

  private:
    void report(const Token& tok, std::string msg) {
        diags_.push_back({Severity::error, files_[tok.loc.file], tok.loc.line, tok.loc.column,
                          std::move(msg), false, true});
    }

    // Reads statements until a '}' (left unconsumed) or the end.
    void statements_until_close(std::vector<Node>& nodes, unsigned depth) {
        while (pos_ < t_.size()) {
            const Token& tok = t_[pos_];
            if (tok.kind == Token::Kind::close) return;
            if (tok.kind == Token::Kind::open) {
                report(tok, "unexpected '{': expected a keyword before it");
                ++pos_;
                Node dummy;
                dummy.key = tok;
                block(dummy, depth);
                continue;
            }
            Node n;
            n.key = tok;
            ++pos_;
            while (pos_ < t_.size() && t_[pos_].kind == Token::Kind::word && !t_[pos_].line_start)
                n.args.push_back(t_[pos_++]);
            if (pos_ < t_.size() && t_[pos_].kind == Token::Kind::open) {
                ++pos_;
                n.block = true;
                block(n, depth);
            }
            nodes.push_back(std::move(n));
        }
    }

    void block(Node& n, unsigned depth) {
        if (depth > 64) {
            report(n.key, "blocks nested too deeply");
            // Skip to the end: nothing sensible can follow.
            pos_ = t_.size();
            return;
        }
        statements_until_close(n.children, depth + 1);
        if (pos_ < t_.size()) {
            ++pos_;  // the '}'
        } else {
            report(n.key, "missing '}': the block of '" + std::string(n.key.text) +
                              "' opened here is not closed");
        }
    }

    const std::vector<Token>& t_;
    const std::vector<std::string>& files_;
    std::vector<Diagnostic>& diags_;
    std::size_t pos_ = 0;
};

}  // namespace

std::vector<Node> parse_tokens(const std::vector<Token>& tokens,
                               const std::vector<std::string>& files,
                               std::vector<Diagnostic>& diagnostics) {
    return Parser(tokens, files, diagnostics).top();
}

}  // namespace vigil::config
