// ha_suspend's view of local addresses: rtnetlink address messages and the per-VS decision.
#include "local_addresses.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cstring>

namespace vigil {
namespace {

// One RTM_NEWADDR/RTM_DELADDR message with IFA_ADDRESS (and IFA_LOCAL when given).
void put_addr_msg(std::vector<std::byte>& out, int type, int family, int ifindex,
                  const std::vector<unsigned char>& address,
                  const std::vector<unsigned char>& local = {}) {
    std::vector<unsigned char> m(NLMSG_LENGTH(sizeof(ifaddrmsg)));
    auto add_attr = [&m](int t, const std::vector<unsigned char>& v) {
        rtattr ra{static_cast<unsigned short>(RTA_LENGTH(v.size())),
                  static_cast<unsigned short>(t)};
        std::size_t at = NLMSG_ALIGN(m.size());
        m.resize(at + RTA_ALIGN(ra.rta_len));
        std::memcpy(m.data() + at, &ra, sizeof ra);
        std::memcpy(m.data() + at + RTA_LENGTH(0), v.data(), v.size());
    };
    add_attr(IFA_ADDRESS, address);
    if (!local.empty()) add_attr(IFA_LOCAL, local);
    nlmsghdr h{};
    h.nlmsg_len = static_cast<unsigned>(m.size());
    h.nlmsg_type = static_cast<unsigned short>(type);
    std::memcpy(m.data(), &h, sizeof h);
    ifaddrmsg ifa{};
    ifa.ifa_family = static_cast<unsigned char>(family);
    ifa.ifa_index = static_cast<unsigned>(ifindex);
    std::memcpy(m.data() + NLMSG_HDRLEN, &ifa, sizeof ifa);
    for (auto c : m) out.push_back(std::byte(c));
}

TEST(LocalAddresses, ParsesNewAndDeletedAddresses) {
    std::vector<std::byte> buf;
    put_addr_msg(buf, RTM_NEWADDR, AF_INET, 2, {10, 0, 0, 1});
    // Point-to-point: IFA_LOCAL is ours, IFA_ADDRESS the peer's.
    put_addr_msg(buf, RTM_NEWADDR, AF_INET, 3, {10, 9, 9, 9}, {10, 0, 0, 2});
    std::vector<unsigned char> v6(16, 0);
    v6[0] = 0xfd;
    v6[15] = 1;
    put_addr_msg(buf, RTM_DELADDR, AF_INET6, 4, v6);
    auto ev = parse_address_messages(buf);
    ASSERT_EQ(ev.size(), 3u);
    EXPECT_EQ(ev[0], (AddressEvent{boost::asio::ip::make_address("10.0.0.1"), 2, true}));
    EXPECT_EQ(ev[1], (AddressEvent{boost::asio::ip::make_address("10.0.0.2"), 3, true}));
    EXPECT_EQ(ev[2], (AddressEvent{boost::asio::ip::make_address("fd00::1"), 4, false}));
}

TEST(LocalAddresses, TruncatedBufferIsSkipped) {
    std::vector<std::byte> buf;
    put_addr_msg(buf, RTM_NEWADDR, AF_INET, 2, {10, 0, 0, 1});
    buf.resize(buf.size() - 6);
    EXPECT_TRUE(parse_address_messages(buf).empty());
}

TEST(LocalAddresses, VirtualServerAddressDecides) {
    ipvs::VirtualServerConfig vs;
    vs.keys.push_back({boost::asio::ip::make_address("10.0.0.10"), 80, 0, false});
    vs.keys.push_back({boost::asio::ip::make_address("10.0.0.11"), 80, 0, false});
    auto only = [](const char* a) {
        return [a](const IpAddress& x) { return x == boost::asio::ip::make_address(a); };
    };
    EXPECT_FALSE(vs_address_local(vs, only("10.0.0.1")));
    EXPECT_TRUE(vs_address_local(vs, only("10.0.0.11")));  // any member of a group
    ipvs::VirtualServerConfig fwm;
    fwm.keys.push_back({std::nullopt, 0, 7, false});
    EXPECT_TRUE(vs_address_local(fwm, only("10.0.0.1")));  // no address: never suspended
}

}  // namespace
}  // namespace vigil
