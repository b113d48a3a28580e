// Feeds arbitrary bytes to the BFD codec, and what decodes to a session: whatever decodes must
// re-encode to the same packet, and no packet may break the session's invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "packet.hpp"
#include "session.hpp"

using namespace vigil::bfd;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto p = decode(std::span<const std::uint8_t>(data, size));
    if (!p) return 0;
    if (p->auth || p->detect_mult == 0 || p->my_discriminator == 0 || p->version != 1) std::abort();
    // The length field is carried as received; the re-encoded packet is 24 bytes long.
    ControlPacket q = *p;
    q.length = 24;
    auto r = decode(encode(q));
    if (!r || !(*r == q)) std::abort();
    const TimePoint t0{};
    Session s(Timing{}, 1, size, t0);
    auto a = s.on_packet(*p, t0);
    if (a.send && a.send->poll && a.send->final) std::abort();
    if (s.state() != State::down && s.detection_time().count() <= 0) std::abort();
    (void)s.on_timer(s.deadline() == TimePoint::max() ? t0 : s.deadline());
    return 0;
}
