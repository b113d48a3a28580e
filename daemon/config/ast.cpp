#include "config/ast.hpp"

namespace vigil::config {

void StatementParser::report(const Token& tok, std::string msg, int pass) {
    diags_.push_back({Severity::error, files_[tok.loc.file], tok.loc.line, tok.loc.column,
                      std::move(msg), false, true, pass});
}

void StatementParser::attach(Node&& n) {
    if (stack_.empty()) {
        {
            Node top = std::move(n);
            sink_(std::move(top));
        }
        arena_.release();
        return;
    }
    if (!discard_.back()) stack_.back().children.push_back(std::move(n));
}

void StatementParser::flush_pending() {
    if (!pending_) return;
    Node n = std::move(*pending_);
    pending_.reset();
    attach(std::move(n));
}

void StatementParser::push(const Token& t) {
    if (skipped_depth_) {
        if (t.kind == Token::Kind::open)
            ++skipped_depth_;
        else if (t.kind == Token::Kind::close)
            --skipped_depth_;
        return;
    }
    switch (t.kind) {
        case Token::Kind::word:
            if (pending_ && !t.line_start) {
                pending_->args.push_back(t);
                return;
            }
            flush_pending();
            pending_.emplace(&arena_);
            pending_->key = t;
            return;
        case Token::Kind::open: {
            if (stack_.size() >= max_depth) {
                report(t, "blocks nested too deeply (more than " + std::to_string(max_depth) +
                              "): ignored up to the matching '}'");
                flush_pending();
                skipped_depth_ = 1;
                return;
            }
            bool stray = !pending_;
            Node n(&arena_);
            if (stray) {
                report(t, "unexpected '{': expected a keyword before it");
                n.key = t;
            } else {
                n = std::move(*pending_);
                pending_.reset();
            }
            n.block = true;
            stack_.push_back(std::move(n));
            discard_.push_back(stray || (!discard_.empty() && discard_.back()));
            return;
        }
        case Token::Kind::close: {
            flush_pending();
            if (stack_.empty()) {
                report(t, "Extra '}' found: no block is open here", 0);
                return;
            }
            Node n = std::move(stack_.back());
            n.end = t.loc;
            bool drop = discard_.back();
            stack_.pop_back();
            discard_.pop_back();
            if (!drop) attach(std::move(n));
            return;
        }
    }
}

void StatementParser::finish() {
    flush_pending();
    if (skipped_depth_) skipped_depth_ = 0;
    while (!stack_.empty()) {
        Node n = std::move(stack_.back());
        bool drop = discard_.back();
        stack_.pop_back();
        discard_.pop_back();
        report(n.key, "missing '}': the block of '" + std::string(n.key.text) +
                          "' opened here is not closed");
        if (!drop) attach(std::move(n));
    }
}

void keep_text(Node& n, std::deque<std::string>& store) {
    auto keep = [&](Token& t) { t.text = store.emplace_back(t.text); };
    keep(n.key);
    for (auto& a : n.args) keep(a);
    for (auto& c : n.children) keep_text(c, store);
}

std::vector<Node> parse_tokens(const std::vector<Token>& tokens,
                               const std::vector<std::string>& files,
                               std::vector<Diagnostic>& diagnostics) {
    std::vector<Node> out;
    StatementParser p(files, diagnostics, [&](Node&& n) { out.push_back(Node(n)); });
    for (const auto& t : tokens) p.push(t);
    p.finish();
    return out;
}

}  // namespace vigil::config
