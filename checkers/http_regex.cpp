#include "http_regex.hpp"

#include <algorithm>

namespace vigil::checkers {

std::expected<BodyRegex, std::string> compile_body_regex(const std::string& pattern,
                                                         const std::vector<std::string>& options) {
    auto flags = std::regex::ECMAScript;
#if defined(__GLIBCXX__)
    flags |= std::regex_constants::__polynomial;  // Thompson NFA: stack does not grow with input
#endif
    for (const auto& o : options) {
        if (o == "caseless") flags |= std::regex::icase;
        if (o == "multiline") flags |= std::regex::multiline;
    }
    try {
        return std::make_shared<const std::regex>(pattern, flags);
    } catch (const std::regex_error& e) {
        return std::unexpected(std::string("regex '") + pattern + "': " + e.what());
    }
}

void RegexWindow::feed(std::span<const std::uint8_t> body) {
    std::size_t begin = seen_;
    seen_ += body.size();
    if (seen_ <= min_) return;
    std::size_t skip = begin < min_ ? min_ - begin : 0;
    std::size_t room = max_window - window_.size();
    std::size_t take = std::min(body.size() - skip, room);
    window_.append(reinterpret_cast<const char*>(body.data() + skip), take);
}

bool RegexWindow::matches(const std::regex& re) const {
    std::cmatch m;
    const char* first = window_.data();
    const char* last = first + window_.size();
    if (!std::regex_search(first, last, m, re)) return false;
    std::size_t at = min_ + static_cast<std::size_t>(m.position(0));
    return max_ == 0 || at < max_;
}

}  // namespace vigil::checkers
