// The lexer: one logical line (comments, @tags and definitions already dealt with) to tokens
// that know their line and column, as keepalived 2.2.7 splits words.
#pragma once

#include "config/source.hpp"

#include <string>
#include <string_view>

namespace vigil::config {

constexpr bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}
std::string_view trim(std::string_view s);

// As keepalived: '#' or '!' outside quotes starts a comment, even inside a word; "\#" and
// "\!" stand for the characters themselves.
std::string_view strip_comment(std::string_view s);
bool has_escaped_comment_char(std::string_view s);
// S with the '\' of each "\#" and "\!" outside quotes taken off.
std::string unescape_comment_chars(std::string_view s);

// Where the tokens of a line go, and the lexer's complaints about it.
class TokenSink {
  public:
    virtual void token(const Token& t) = 0;
    virtual void error(SourceLoc at, std::string message) = 0;

  protected:
    ~TokenSink() = default;
};

// Splits LINE into words, '{', '}' and quoted strings. LINE[0] is at column OFFSET + 1 of
// LOC.line; the first token is marked line_start. An unterminated quote is an error and the
// rest of the line its text.
void tokenize_line(std::string_view line, std::size_t offset, SourceLoc loc, TokenSink& out);

}  // namespace vigil::config
