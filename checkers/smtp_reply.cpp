#include "smtp_reply.hpp"

namespace vigil::checkers {

std::optional<int> SmtpReplyReader::feed(std::span<const std::uint8_t> in, std::size_t& consumed) {
    consumed = 0;
    while (consumed < in.size()) {
        char c = static_cast<char>(in[consumed++]);
        if (c != '\n') {
            if (line_.size() >= max_line) return 0;
            line_.push_back(c);
            continue;
        }
        std::string line = std::move(line_);
        line_.clear();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() < 3) return 0;
        int code = 0;
        for (int i = 0; i < 3; ++i) {
            if (line[i] < '0' || line[i] > '9') return 0;
            code = code * 10 + (line[i] - '0');
        }
        if (line.size() > 3 && line[3] == '-') continue;  // more lines follow
        if (line.size() > 3 && line[3] != ' ') return 0;
        return code;
    }
    return std::nullopt;
}

}  // namespace vigil::checkers
