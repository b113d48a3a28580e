// Tokens that know their file, line and column, and the preprocessor that makes them from
// keepalived.conf text (includes, $DEFS, @tags, ~SEQ/~LST; see source.cpp for the order).
#pragma once

#include "config/config.hpp"
#include "config/host.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::config {

struct SourceLoc {
    std::uint32_t file = 0;  // index into TokenStream::files
    std::uint32_t line = 0;
    std::uint32_t column = 0;
};

struct Token {
    enum class Kind : std::uint8_t { word, open, close };
    std::string_view text;  // into a file buffer or TokenStream::storage
    SourceLoc loc;
    Kind kind = Kind::word;
    bool quoted = false;
    bool line_start = false;  // first token of a logical line
    // Where it was read: all that may be kept of a token once its statement is parsed, since
    // the text it points into is freed then.
    operator SourceLoc() const { return loc; }  // NOLINT(google-explicit-constructor)
};

struct TokenStream {
    std::vector<std::string> files;  // names as given or resolved
    // Pieces of files and expanded lines the tokens point into (stable addresses).
    std::deque<std::string> storage;
    std::deque<std::unique_ptr<std::string>> pieces;  // read text tokens may still point into
    std::vector<Token> tokens;                        // filled when no sink is set
    std::function<void(const Token&)> sink;           // set: each token goes here instead
    // With a sink: true while the sink holds no token, so the text read so far may be freed.
    std::function<bool()> at_rest;
    // Upper bounds seen in the raw text read so far, to reserve storage once.
    std::size_t hint_checks = 0;
    std::size_t hint_virtual_servers = 0;
    std::vector<Diagnostic> diagnostics;
};

struct PreprocessOptions {
    std::string config_id;  // @tag lines match it; empty: the host name
    std::vector<std::pair<std::string, std::string>> defines;
    bool allow_includes = true;
    unsigned max_include_depth = 16;
    std::size_t max_files = std::numeric_limits<std::size_t>::max();  // read in all
    std::size_t max_expanded_lines = 1'000'000;    // bounds ~SEQ/~LST and recursive $DEFS
    std::size_t max_generated_bytes = 128u << 20;  // text those may produce in all
    std::optional<unsigned> random_seed;           // ${_RANDOM}; unset: Host::random_seed()
    std::size_t read_chunk = 256u << 10;           // bytes read from a file at a time
};

// Tokenises TEXT as file NAME; relative includes resolve from BASE_DIR. Files, the working
// directory, the host name and the first random seed come from HOST.
void preprocess_text(TokenStream& out, std::string text, const std::string& name,
                     const std::string& base_dir, const PreprocessOptions& options, Host& host);

// Reads PATH and tokenises it; a missing file is a diagnostic.
void preprocess_file(TokenStream& out, const std::string& path, const PreprocessOptions& options,
                     Host& host);

// The same on this machine (SystemHost).
void preprocess_text(TokenStream& out, std::string text, const std::string& name,
                     const std::string& base_dir, const PreprocessOptions& options);
void preprocess_file(TokenStream& out, const std::string& path, const PreprocessOptions& options);

}  // namespace vigil::config
