#include "config/lexer.hpp"

#include <array>
#include <cstdint>

namespace vigil::config {

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

namespace {

// Byte classes, so the scans below test one table entry per ordinary byte.
enum Class : std::uint8_t { plain, space, brace, quote, backslash, comment };

constexpr std::array<Class, 256> classes = [] {
    std::array<Class, 256> t{};
    for (unsigned c = 0; c < t.size(); ++c)
        if (is_space(static_cast<char>(c))) t[c] = space;
    t['{'] = t['}'] = brace;
    t['"'] = quote;
    t['\\'] = backslash;
    t['#'] = t['!'] = comment;
    return t;
}();

Class class_of(char c) {
    return classes[static_cast<unsigned char>(c)];
}

}  // namespace

std::string_view strip_comment(std::string_view s) {
    bool quote = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        switch (class_of(s[i])) {
            case backslash:
                if (i + 1 < s.size()) ++i;
                break;
            case Class::quote:
                quote = !quote;
                break;
            case comment:
                if (!quote) return s.substr(0, i);
                break;
            default:
                break;
        }
    }
    return s;
}

bool has_escaped_comment_char(std::string_view s) {
    for (auto i = s.find('\\'); i != std::string_view::npos && i + 1 < s.size();
         i = s.find('\\', i + 1))
        if (s[i + 1] == '#' || s[i + 1] == '!') return true;
    return false;
}

std::string unescape_comment_chars(std::string_view s) {
    std::string plain;
    bool quote = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '"') quote = !quote;
        if (!quote && s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '#' || s[i + 1] == '!'))
            continue;
        plain += s[i];
    }
    return plain;
}

void tokenize_line(std::string_view s, std::size_t offset, SourceLoc loc, TokenSink& out) {
    bool first = true;
    std::size_t i = 0;
    auto push = [&](std::string_view text, std::size_t col, Token::Kind kind, bool quoted) {
        out.token(Token{text, SourceLoc{loc.file, loc.line, std::uint32_t(offset + col + 1)}, kind,
                        quoted, first});
        first = false;
    };
    while (i < s.size()) {
        char c = s[i];
        if (is_space(c)) {
            ++i;
            continue;
        }
        if (c == '{' || c == '}') {
            push(s.substr(i, 1), i, c == '{' ? Token::Kind::open : Token::Kind::close, false);
            ++i;
            continue;
        }
        if (c == '"') {
            auto close = s.find('"', i + 1);
            if (close == std::string_view::npos) {
                out.error(SourceLoc{loc.file, loc.line, std::uint32_t(offset + i + 1)},
                          "unterminated quoted string: expected a closing '\"'");
                push(s.substr(i + 1), i, Token::Kind::word, true);
                return;
            }
            push(s.substr(i + 1, close - i - 1), i, Token::Kind::word, true);
            i = close + 1;
            continue;
        }
        std::size_t j = i;
        while (j < s.size()) {
            auto k = class_of(s[j]);
            if (k == space || k == brace || k == Class::quote) break;
            ++j;
        }
        push(s.substr(i, j - i), i, Token::Kind::word, false);
        i = j;
    }
}

}  // namespace vigil::config
