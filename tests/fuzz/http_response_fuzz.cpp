// The HTTP response parser on arbitrary bytes, fed in arbitrary pieces: it must never read out
// of bounds, never hash more than Content-Length, and agree with a one-piece feed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "http_response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::size_t step = data[0] % 64 + 1;
    std::span<const std::uint8_t> in(data + 1, size - 1);

    vigil::checkers::HttpResponseParser whole, pieces;
    auto a = whole.feed(in);
    std::string body_whole(reinterpret_cast<const char*>(a.data()), a.size());
    std::string body_pieces;
    for (std::size_t i = 0; i < in.size(); i += step) {
        auto out = pieces.feed(in.subspan(i, std::min(step, in.size() - i)));
        body_pieces.append(reinterpret_cast<const char*>(out.data()), out.size());
    }
    if (whole.state() != vigil::checkers::HttpResponseParser::State::error) {
        if (body_whole != body_pieces || whole.status_code() != pieces.status_code()) std::abort();
    }
    if (auto cl = whole.content_length(); cl && whole.body_bytes() > *cl) std::abort();
    (void)vigil::checkers::http_request("/", "h", "1.1");
    return 0;
}
