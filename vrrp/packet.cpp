#include "packet.hpp"

#include <algorithm>

namespace vigil::vrrp {

namespace {

using boost::asio::ip::address;

std::uint32_t sum_bytes(std::span<const std::uint8_t> data, std::uint32_t sum) {
    std::size_t i = 0;
    for (; i + 1 < data.size(); i += 2) sum += (std::uint32_t{data[i]} << 8) | data[i + 1];
    if (i < data.size()) sum += std::uint32_t{data[i]} << 8;
    return sum;
}

template <std::size_t N>
std::uint32_t sum_array(const std::array<unsigned char, N>& a, std::uint32_t sum) {
    return sum_bytes(std::span<const std::uint8_t>(a.data(), a.size()), sum);
}

// Sum of the v3 pseudo-header (RFC 5798 5.2.8: the IPv4 or IPv6 upper-layer pseudo-header).
std::uint32_t pseudo_header_sum(const address& src, const address& dst, std::size_t length) {
    std::uint32_t sum = 0;
    if (src.is_v4() && dst.is_v4()) {
        sum = sum_array(src.to_v4().to_bytes(), sum);
        sum = sum_array(dst.to_v4().to_bytes(), sum);
        sum += kProtocol;
        sum += static_cast<std::uint32_t>(length & 0xffff);
    } else if (src.is_v6() && dst.is_v6()) {
        sum = sum_array(src.to_v6().to_bytes(), sum);
        sum = sum_array(dst.to_v6().to_bytes(), sum);
        sum +=
            static_cast<std::uint32_t>(length >> 16) + static_cast<std::uint32_t>(length & 0xffff);
        sum += kProtocol;
    }
    return sum;
}

std::size_t address_size(bool v6) {
    return v6 ? 16 : 4;
}

}  // namespace

std::string_view to_string(DropReason r) {
    switch (r) {
        case DropReason::too_short:
            return "too_short";
        case DropReason::bad_ip_header:
            return "bad_ip_header";
        case DropReason::bad_version:
            return "bad_version";
        case DropReason::bad_type:
            return "bad_type";
        case DropReason::bad_checksum:
            return "bad_checksum";
        case DropReason::bad_ttl:
            return "bad_ttl";
        case DropReason::unknown_vrid:
            return "unknown_vrid";
        case DropReason::family_mismatch:
            return "family_mismatch";
        case DropReason::addr_count_mismatch:
            return "addr_count_mismatch";
        case DropReason::addr_list_mismatch:
            return "addr_list_mismatch";
        case DropReason::auth_type_mismatch:
            return "auth_type_mismatch";
        case DropReason::auth_mismatch:
            return "auth_mismatch";
        case DropReason::interval_mismatch:
            return "interval_mismatch";
        case DropReason::bad_interval:
            return "bad_interval";
        case DropReason::not_from_peer:
            return "not_from_peer";
        case DropReason::own_packet:
            return "own_packet";
        case DropReason::wrong_version:
            return "wrong_version";
        case DropReason::count_:
            break;
    }
    return "unknown";
}

std::uint16_t inet_checksum(std::span<const std::uint8_t> data, std::uint32_t initial) {
    std::uint32_t sum = sum_bytes(data, initial);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::array<std::uint8_t, kAuthSize> pad_password(std::string_view password) {
    std::array<std::uint8_t, kAuthSize> out{};
    std::copy_n(password.begin(), std::min(password.size(), out.size()), out.begin());
    return out;
}

std::vector<std::uint8_t> encode(const Advert& a, const address& src, const address& dst) {
    const bool v6 = src.is_v6();
    std::vector<std::uint8_t> out;
    out.reserve(kHeaderSize + a.addresses.size() * address_size(v6) + kAuthSize);
    out.push_back(static_cast<std::uint8_t>((a.version << 4) | 1));
    out.push_back(a.vrid);
    out.push_back(a.priority);
    out.push_back(static_cast<std::uint8_t>(a.addresses.size()));
    if (a.version == 2) {
        out.push_back(static_cast<std::uint8_t>(a.auth_type));
        const unsigned secs = std::clamp<unsigned>((a.interval_cs + 50u) / 100u, 1u, 255u);
        out.push_back(static_cast<std::uint8_t>(secs));
    } else {
        const std::uint16_t cs = a.interval_cs & 0x0fff;
        out.push_back(static_cast<std::uint8_t>(cs >> 8));
        out.push_back(static_cast<std::uint8_t>(cs & 0xff));
    }
    out.push_back(0);
    out.push_back(0);
    for (const auto& addr : a.addresses) {
        if (addr.is_v4() && !v6) {
            const auto b = addr.to_v4().to_bytes();
            out.insert(out.end(), b.begin(), b.end());
        } else if (addr.is_v6() && v6) {
            const auto b = addr.to_v6().to_bytes();
            out.insert(out.end(), b.begin(), b.end());
        }
    }
    if (a.version == 2) out.insert(out.end(), a.auth.begin(), a.auth.end());
    const std::uint32_t initial = a.version == 3 ? pseudo_header_sum(src, dst, out.size()) : 0;
    const std::uint16_t sum = inet_checksum(out, initial);
    out[6] = static_cast<std::uint8_t>(sum >> 8);
    out[7] = static_cast<std::uint8_t>(sum & 0xff);
    return out;
}

std::expected<Advert, DropReason> decode(std::span<const std::uint8_t> m, const address& src,
                                         const address& dst) {
    if (m.size() < kHeaderSize) return std::unexpected(DropReason::too_short);
    Advert a;
    a.version = m[0] >> 4;
    if (a.version != 2 && a.version != 3) return std::unexpected(DropReason::bad_version);
    if ((m[0] & 0x0f) != 1) return std::unexpected(DropReason::bad_type);
    a.vrid = m[1];
    a.priority = m[2];
    const std::size_t count = m[3];
    const bool v6 = src.is_v6();
    const std::size_t need =
        kHeaderSize + count * address_size(v6) + (a.version == 2 ? kAuthSize : 0);
    if (m.size() < need) return std::unexpected(DropReason::too_short);
    const std::uint32_t initial = a.version == 3 ? pseudo_header_sum(src, dst, m.size()) : 0;
    if (inet_checksum(m, initial) != 0) return std::unexpected(DropReason::bad_checksum);
    if (a.version == 2) {
        a.auth_type = static_cast<AuthType>(m[4]);
        a.interval_cs = static_cast<std::uint16_t>(m[5] * 100);
    } else {
        a.interval_cs = static_cast<std::uint16_t>(((m[4] & 0x0f) << 8) | m[5]);
    }
    std::size_t off = kHeaderSize;
    a.addresses.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        if (v6) {
            boost::asio::ip::address_v6::bytes_type b;
            std::copy_n(m.begin() + static_cast<std::ptrdiff_t>(off), b.size(), b.begin());
            a.addresses.emplace_back(boost::asio::ip::address_v6(b));
        } else {
            boost::asio::ip::address_v4::bytes_type b;
            std::copy_n(m.begin() + static_cast<std::ptrdiff_t>(off), b.size(), b.begin());
            a.addresses.emplace_back(boost::asio::ip::address_v4(b));
        }
        off += address_size(v6);
    }
    if (a.version == 2)
        std::copy_n(m.begin() + static_cast<std::ptrdiff_t>(off), kAuthSize, a.auth.begin());
    return a;
}

std::expected<Ipv4Datagram, DropReason> split_ipv4(std::span<const std::uint8_t> d) {
    if (d.size() < 20) return std::unexpected(DropReason::too_short);
    if ((d[0] >> 4) != 4) return std::unexpected(DropReason::bad_ip_header);
    const std::size_t ihl = std::size_t{d[0] & 0x0fu} * 4;
    const std::size_t total = (std::size_t{d[2]} << 8) | d[3];
    if (ihl < 20 || d.size() < ihl) return std::unexpected(DropReason::bad_ip_header);
    // Raw sockets hand over the datagram as received; trust the shorter of both lengths.
    const std::size_t end = std::min(d.size(), std::max(total, ihl));
    Ipv4Datagram out;
    out.ttl = d[8];
    out.protocol = d[9];
    out.src = boost::asio::ip::address_v4({d[12], d[13], d[14], d[15]});
    out.dst = boost::asio::ip::address_v4({d[16], d[17], d[18], d[19]});
    out.payload = d.subspan(ihl, end - ihl);
    return out;
}

std::expected<void, DropReason> validate(const Advert& a, std::uint8_t ttl, const Expectation& e) {
    if (a.version != e.version) return std::unexpected(DropReason::wrong_version);
    if (a.vrid != e.vrid) return std::unexpected(DropReason::unknown_vrid);
    if (!e.unicast && ttl != kTtl) return std::unexpected(DropReason::bad_ttl);
    for (const auto& addr : a.addresses)
        if (addr.is_v6() != e.ipv6) return std::unexpected(DropReason::family_mismatch);
    if (a.version == 2) {
        if (a.auth_type != e.auth_type) return std::unexpected(DropReason::auth_type_mismatch);
        if (e.auth_type == AuthType::pass && a.auth != e.auth)
            return std::unexpected(DropReason::auth_mismatch);
        if (a.interval_cs != e.interval_cs) return std::unexpected(DropReason::interval_mismatch);
    } else if (a.interval_cs == 0) {
        return std::unexpected(DropReason::bad_interval);
    }
    if (e.skip_check_adv_addr && e.same_master_as_last) return {};
    if (a.addresses.size() != e.vips.size())
        return std::unexpected(DropReason::addr_count_mismatch);
    for (const auto& vip : e.vips)
        if (std::find(a.addresses.begin(), a.addresses.end(), vip) == a.addresses.end())
            return std::unexpected(DropReason::addr_list_mismatch);
    return {};
}

}  // namespace vigil::vrrp
