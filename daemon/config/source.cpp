// The preprocessor: reads a file line by line and hands each line to the steps in keepalived's
// order (@tag, comment, $DEF=, ~SEQ/~LST, expansion, include, lexer), within bounds on the
// text that definitions and generators may produce.
#include "config/source.hpp"

#include "config/conditional.hpp"
#include "config/defines.hpp"
#include "config/generators.hpp"
#include "config/includes.hpp"
#include "config/lexer.hpp"

#include <algorithm>
#include <memory>
#include <random>

namespace vigil::config {
namespace {

class Preprocessor : TokenSink {
  public:
    Preprocessor(TokenStream& out, const PreprocessOptions& options, Host& host)
        : out_(out),
          opt_(options),
          host_(host),
          defs_([this] { return opt_.random_seed ? *opt_.random_seed : host_.random_seed(); }) {
        for (const auto& [k, v] : options.defines) defs_.set(k, v);
        if (opt_.config_id.empty()) opt_.config_id = host_.host_name();
    }

    void run_text(std::string text, const std::string& name, const std::string& dir,
                  unsigned depth) {
        run_reader(*string_reader(std::move(text)), name, dir, depth);
    }

    void run_file(const std::string& path, unsigned depth, SourceLoc from, bool from_include) {
        auto file = host_.open_file(path);
        if (!file) {
            if (from_include)
                error(from, "cannot read included file '" + path + "'", true);
            else
                out_.diagnostics.push_back(
                    {Severity::error, path, 0, 0, "cannot open configuration file", true, true});
            return;
        }
        run_reader(*file, path, dir_of(path), depth);
    }

  private:
    // The working directory, asked only when DIR is relative.
    std::string current_dir(const std::string& dir) {
        if (!dir.empty() && dir.front() == '/') return {};
        return host_.current_dir();
    }

    struct FileCtx {
        std::uint32_t file;
        const std::string& dir;
        unsigned depth;
    };

    static constexpr std::size_t max_line = 1 << 20;

    static std::size_t count(std::string_view text, std::string_view word) {
        std::size_t n = 0;
        for (auto p = text.find(word); p != std::string_view::npos; p = text.find(word, p + 1)) ++n;
        return n;
    }

    void count_hints(std::string_view text) {
        out_.hint_checks += count(text, "CHECK") + count(text, "_GET");
        out_.hint_virtual_servers += count(text, "virtual_server ");
    }

    void error(SourceLoc loc, std::string msg, bool fatal) {
        out_.diagnostics.push_back({Severity::error, out_.files[loc.file], loc.line, loc.column,
                                    std::move(msg), fatal, true});
    }

    // TokenSink: what the lexer makes of a line.
    void token(const Token& t) override {
        if (out_.sink)
            out_.sink(t);
        else
            out_.tokens.push_back(t);
    }
    void error(SourceLoc at, std::string message) override { error(at, std::move(message), false); }

    // A file's text, piece by piece. A piece the tokens no longer point into is freed, so a
    // large file is never held whole.
    void run_reader(FileReader& r, const std::string& name, const std::string& dir,
                    unsigned depth) {
        ++files_read_;
        auto idx = static_cast<std::uint32_t>(out_.files.size());
        out_.files.push_back(name);
        // Counted before it is read, so large vectors are reserved once.
        bool counted = r.rewind();
        if (counted) {
            for_each_piece(r, [&](std::unique_ptr<std::string> piece) { count_hints(*piece); });
            counted = r.rewind();
        }
        const std::string abs = absolute_dir(dir, current_dir(dir));
        FileCtx ctx{idx, abs, depth};
        std::uint32_t lineno = 0;
        for_each_piece(r, [&](std::unique_ptr<std::string> piece) {
            if (!counted) count_hints(*piece);
            run_lines(*piece, ctx, lineno);
            retire(std::move(piece));
        });
        continuing_ = false;
    }

    // Hands R's text to EACH in pieces of about opt_.read_chunk bytes, each ending at a line's
    // end (or the file's).
    template <class Each>
    void for_each_piece(FileReader& r, Each&& each) {
        std::string carry;
        for (;;) {
            auto piece = std::make_unique<std::string>(std::move(carry));
            carry.clear();
            const auto have = piece->size();
            const auto want = std::max(opt_.read_chunk, have);  // a longer line: read more
            piece->resize_and_overwrite(have + want, [&](char* p, std::size_t) {
                return have + r.read({p + have, want});
            });
            if (piece->size() == have) {
                if (have) each(std::move(piece));
                return;
            }
            auto nl = piece->rfind('\n');
            if (nl == std::string::npos) {
                carry = std::move(*piece);
                continue;
            }
            carry.assign(*piece, nl + 1);
            piece->resize(nl + 1);
            each(std::move(piece));
        }
    }

    bool at_rest() const { return out_.sink && out_.at_rest && out_.at_rest(); }

    // PIECE is read; it and the text kept before it are freed once no token points into them.
    void retire(std::unique_ptr<std::string> piece) {
        out_.pieces.push_back(std::move(piece));
        release_if_at_rest();
    }

    void release_if_at_rest() {
        const bool freeable = !out_.pieces.empty() || (!pinned_ && !out_.storage.empty());
        if (!freeable || !at_rest()) return;
        out_.pieces.clear();
        if (!pinned_) out_.storage.clear();
    }

    void run_lines(std::string_view buf, const FileCtx& ctx, std::uint32_t& lineno) {
        std::size_t pos = 0;
        while (pos < buf.size()) {
            auto nl = buf.find('\n', pos);
            std::string_view line =
                buf.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
            pos = nl == std::string_view::npos ? buf.size() : nl + 1;
            ++lineno;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            SourceLoc loc{ctx.file, lineno, 1};
            if (continuing_) {
                auto c = continuation_line(line);
                defs_.append_line(cont_name_, c.text);
                continuing_ = c.more;
                continue;
            }
            process_line(line, 0, loc, ctx, 0);
            release_if_at_rest();
        }
    }

    // offset: column of s[0] minus one in the physical line (0 for expanded text).
    // EXPAND false: S is already the result of expanding definitions (expand() recursed into
    // the values), so expanding again could only multiply text.
    void process_line(std::string_view s, std::size_t offset, SourceLoc loc, const FileCtx& ctx,
                      unsigned depth, bool expand_defs = true) {
        // Views into out_.storage live across the includes below.
        ++pinned_;
        struct Unpin {
            std::size_t& n;
            ~Unpin() { --n; }
        } unpin{pinned_};
        while (!s.empty() && is_space(s.front())) {
            s.remove_prefix(1);
            ++offset;
        }
        if (s.empty()) return;
        auto skip = conditional_prefix(s, opt_.config_id);
        if (!skip) return;
        s.remove_prefix(*skip);
        offset += *skip;
        // Comments went before expansion: an expanded '#' (${_HASH}) is text.
        if (expand_defs) s = strip_comment(s);
        while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
        if (s.empty()) return;
        if (expand_defs && has_escaped_comment_char(s)) {
            s = out_.storage.emplace_back(unescape_comment_chars(s));
            offset = 0;
        }

        if (auto d = parse_definition(s)) {
            defs_.set(d->name, std::string(d->value));
            if (d->continues) {
                continuing_ = true;
                cont_name_ = std::move(d->name);
            }
            return;
        }
        if (s.starts_with("~SEQ") || s.starts_with("~LST")) {
            generate(s, loc, ctx, depth);
            return;
        }
        if (expand_defs && s.find('$') != std::string_view::npos && depth < 32) {
            std::string expanded;
            if (defs_.expand(s, expanded, {ctx.dir, opt_.config_id}, max_line)) {
                if (expanded.size() > max_line) {
                    error(loc,
                          "definitions expand to more than " + std::to_string(max_line) +
                              " bytes on one line",
                          true);
                    return;
                }
                if (++expanded_lines_ > opt_.max_expanded_lines) {
                    if (expanded_lines_ == opt_.max_expanded_lines + 1)
                        error(loc, "too many lines produced by definitions", true);
                    return;
                }
                std::string_view all;
                if (!keep(std::move(expanded), loc, all)) return;
                std::size_t p = 0;
                while (p <= all.size()) {
                    auto nl = all.find('\n', p);
                    auto piece = all.substr(
                        p, nl == std::string_view::npos ? std::string_view::npos : nl - p);
                    process_line(piece, 0, loc, ctx, depth + 1, false);
                    if (nl == std::string_view::npos) break;
                    p = nl + 1;
                }
                return;
            }
        }
        if (auto pattern = include_directive(s)) {
            include(*pattern, SourceLoc{loc.file, loc.line, std::uint32_t(offset + 1)}, ctx);
            return;
        }
        // random_seed takes effect as it is read, so the ${_RANDOM}s after it repeat.
        if (s.starts_with("random_seed") && s.size() > 11 && is_space(s[11])) {
            long seed = 0;
            auto rest = trim(s.substr(11));
            if (parse_long(rest.substr(0, rest.find_first_of(" \t")), seed) && seed >= 0)
                defs_.seed(static_cast<std::mt19937::result_type>(seed));
        }
        tokenize_line(s, offset, loc, *this);
    }

    // Keeps generated text alive for the tokens; false once the budget for generated text
    // (definitions, ~SEQ, ~LST) is spent.
    bool keep(std::string text, SourceLoc loc, std::string_view& out) {
        generated_bytes_ += text.size();
        if (generated_bytes_ > opt_.max_generated_bytes) {
            if (!budget_reported_) {
                budget_reported_ = true;
                error(loc,
                      "definitions and generators produce more than " +
                          std::to_string(opt_.max_generated_bytes) + " bytes of text",
                      true);
            }
            return false;
        }
        out = out_.storage.emplace_back(std::move(text));
        return true;
    }

    void generate(std::string_view s, SourceLoc loc, const FileCtx& ctx, unsigned depth) {
        auto parsed = parse_generator(s);
        if (!parsed.generator) {
            error(loc, std::move(parsed.error), false);
            return;
        }
        const auto& g = *parsed.generator;
        const char* what = g.kind == Generator::Kind::seq ? "~SEQ" : "~LST";
        for_each_repetition(g, [&](const Assignments& vars) {
            if (++expanded_lines_ > opt_.max_expanded_lines) {
                error(loc, std::string("too many lines produced by ") + what, true);
                return false;
            }
            for (const auto& [name, value] : vars) defs_.set(std::string(name), value);
            std::string_view kept;
            if (!keep(std::string(g.rest), loc, kept)) return false;
            process_line(kept, 0, loc, ctx, depth + 1);
            return true;
        });
    }

    void include(std::string_view written, SourceLoc loc, const FileCtx& ctx) {
        if (!opt_.allow_includes) {
            error(loc, "include is not allowed here", true);
            return;
        }
        if (ctx.depth + 1 > opt_.max_include_depth) {
            error(loc, "includes nested too deeply", true);
            return;
        }
        auto r = resolve_include(written, ctx.dir, host_);
        if (!r.error.empty()) {
            error(loc, std::move(r.error), true);
            return;
        }
        for (const auto& p : r.paths) {
            if (files_read_ >= opt_.max_files) {
                if (!files_reported_)
                    error(loc, "more than " + std::to_string(opt_.max_files) + " files to read",
                          true);
                files_reported_ = true;
                return;
            }
            run_file(p, ctx.depth + 1, loc, true);
        }
    }

    TokenStream& out_;
    PreprocessOptions opt_;
    Host& host_;
    Definitions defs_;
    bool continuing_ = false;
    std::string cont_name_;
    std::size_t expanded_lines_ = 0;
    std::size_t generated_bytes_ = 0;
    bool budget_reported_ = false;
    std::size_t files_read_ = 0;
    bool files_reported_ = false;
    std::size_t pinned_ = 0;  // process_line calls in progress
};

}  // namespace

void preprocess_text(TokenStream& out, std::string text, const std::string& name,
                     const std::string& base_dir, const PreprocessOptions& options, Host& host) {
    Preprocessor pp(out, options, host);
    pp.run_text(std::move(text), name, base_dir, 0);
}

void preprocess_file(TokenStream& out, const std::string& path, const PreprocessOptions& options,
                     Host& host) {
    Preprocessor pp(out, options, host);
    pp.run_file(path, 0, SourceLoc{}, false);
}

}  // namespace vigil::config
