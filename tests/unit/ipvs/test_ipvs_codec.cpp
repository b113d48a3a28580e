// Every IPVS message is decoded back with libnl and an attribute policy, and each attribute
// compared with the values linux/ip_vs.h defines.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

#include "vigil/ipvs/ipvs_netlink.hpp"

using namespace vigil::ipvs;
namespace ip = boost::asio::ip;

namespace {

constexpr int kFamily = 0x2a;

struct Parsed {
    NlMsg keep;  // the attribute pointers below point into it
    int cmd = -1;
    int version = -1;
    int nl_type = -1;
    int nl_flags = 0;
    std::array<nlattr*, IPVS_CMD_ATTR_MAX + 1> top{};
    std::array<nlattr*, IPVS_SVC_ATTR_MAX + 1> svc{};
    std::array<nlattr*, IPVS_DEST_ATTR_MAX + 1> dest{};
};

Parsed parse(nl_msg* msg) {
    static nla_policy top[IPVS_CMD_ATTR_MAX + 1] = {};
    static nla_policy svc[IPVS_SVC_ATTR_MAX + 1] = {};
    static nla_policy dest[IPVS_DEST_ATTR_MAX + 1] = {};
    top[IPVS_CMD_ATTR_SERVICE].type = NLA_NESTED;
    top[IPVS_CMD_ATTR_DEST].type = NLA_NESTED;
    svc[IPVS_SVC_ATTR_AF].type = NLA_U16;
    svc[IPVS_SVC_ATTR_PROTOCOL].type = NLA_U16;
    svc[IPVS_SVC_ATTR_PORT].type = NLA_U16;
    svc[IPVS_SVC_ATTR_FWMARK].type = NLA_U32;
    svc[IPVS_SVC_ATTR_SCHED_NAME].type = NLA_NUL_STRING;
    svc[IPVS_SVC_ATTR_TIMEOUT].type = NLA_U32;
    svc[IPVS_SVC_ATTR_NETMASK].type = NLA_U32;
    dest[IPVS_DEST_ATTR_PORT].type = NLA_U16;
    dest[IPVS_DEST_ATTR_FWD_METHOD].type = NLA_U32;
    dest[IPVS_DEST_ATTR_WEIGHT].type = NLA_U32;
    dest[IPVS_DEST_ATTR_U_THRESH].type = NLA_U32;
    dest[IPVS_DEST_ATTR_L_THRESH].type = NLA_U32;
    dest[IPVS_DEST_ATTR_ADDR_FAMILY].type = NLA_U16;

    Parsed p;
    nlmsghdr* h = nlmsg_hdr(msg);
    p.nl_type = h->nlmsg_type;
    p.nl_flags = h->nlmsg_flags;
    genlmsghdr* g = genlmsg_hdr(h);
    p.cmd = g->cmd;
    p.version = g->version;
    EXPECT_EQ(genlmsg_parse(h, 0, p.top.data(), IPVS_CMD_ATTR_MAX, top), 0);
    if (p.top[IPVS_CMD_ATTR_SERVICE]) {
        EXPECT_EQ(
            nla_parse_nested(p.svc.data(), IPVS_SVC_ATTR_MAX, p.top[IPVS_CMD_ATTR_SERVICE], svc),
            0);
    }
    if (p.top[IPVS_CMD_ATTR_DEST]) {
        EXPECT_EQ(
            nla_parse_nested(p.dest.data(), IPVS_DEST_ATTR_MAX, p.top[IPVS_CMD_ATTR_DEST], dest),
            0);
    }
    return p;
}

// Parses a message and keeps it alive as long as the result.
Parsed parse_owned(Result<NlMsg> msg) {
    EXPECT_TRUE(msg);
    Parsed p = parse(msg->get());
    p.keep = std::move(*msg);
    return p;
}

std::array<unsigned char, 16> addr16(nlattr* a) {
    std::array<unsigned char, 16> out{};
    EXPECT_EQ(nla_len(a), 16);
    std::memcpy(out.data(), nla_data(a), 16);
    return out;
}

std::array<unsigned char, 16> expect16(const char* text) {
    std::array<unsigned char, 16> out{};
    auto a = ip::make_address(text);
    if (a.is_v4()) {
        auto b = a.to_v4().to_bytes();
        std::memcpy(out.data(), b.data(), 4);
    } else {
        auto b = a.to_v6().to_bytes();
        std::memcpy(out.data(), b.data(), 16);
    }
    return out;
}

Service web() {
    Service s;
    s.id.address = ip::make_address("192.0.2.10");
    s.id.port = 8080;
    s.scheduler = "wlc";
    s.flags = IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_ONEPACKET;
    s.timeout = 300;
    s.prefix = 24;
    return s;
}

}  // namespace

TEST(IpvsCodec, NewServiceCarriesEveryAttribute) {
    auto msg = encode_service(kFamily, IPVS_CMD_NEW_SERVICE, web());
    ASSERT_TRUE(msg) << msg.error().message;
    auto p = parse(msg->get());
    EXPECT_EQ(p.nl_type, kFamily);
    EXPECT_EQ(p.cmd, IPVS_CMD_NEW_SERVICE);
    EXPECT_EQ(p.version, IPVS_GENL_VERSION);
    ASSERT_TRUE(p.svc[IPVS_SVC_ATTR_AF]);
    EXPECT_EQ(nla_get_u16(p.svc[IPVS_SVC_ATTR_AF]), AF_INET);
    EXPECT_EQ(nla_get_u16(p.svc[IPVS_SVC_ATTR_PROTOCOL]), IPPROTO_TCP);
    EXPECT_EQ(addr16(p.svc[IPVS_SVC_ATTR_ADDR]), expect16("192.0.2.10"));
    EXPECT_EQ(nla_get_u16(p.svc[IPVS_SVC_ATTR_PORT]), htons(8080));
    EXPECT_FALSE(p.svc[IPVS_SVC_ATTR_FWMARK]);
    EXPECT_STREQ(nla_get_string(p.svc[IPVS_SVC_ATTR_SCHED_NAME]), "wlc");
    ASSERT_EQ(nla_len(p.svc[IPVS_SVC_ATTR_FLAGS]), static_cast<int>(sizeof(ip_vs_flags)));
    ip_vs_flags f;
    std::memcpy(&f, nla_data(p.svc[IPVS_SVC_ATTR_FLAGS]), sizeof f);
    EXPECT_EQ(f.flags, static_cast<__u32>(IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_ONEPACKET));
    EXPECT_EQ(f.mask, 0xffffffffu);
    EXPECT_EQ(nla_get_u32(p.svc[IPVS_SVC_ATTR_TIMEOUT]), 300u);
    EXPECT_EQ(nla_get_u32(p.svc[IPVS_SVC_ATTR_NETMASK]), htonl(0xffffff00u));
    EXPECT_FALSE(p.top[IPVS_CMD_ATTR_DEST]);
}

TEST(IpvsCodec, SetAndDelService) {
    auto set = encode_service(kFamily, IPVS_CMD_SET_SERVICE, web());
    ASSERT_TRUE(set);
    EXPECT_EQ(parse(set->get()).cmd, IPVS_CMD_SET_SERVICE);
    auto del = encode_service(kFamily, IPVS_CMD_DEL_SERVICE, web());
    ASSERT_TRUE(del);
    auto p = parse(del->get());
    EXPECT_EQ(p.cmd, IPVS_CMD_DEL_SERVICE);
    EXPECT_TRUE(p.svc[IPVS_SVC_ATTR_ADDR]);
    EXPECT_TRUE(p.svc[IPVS_SVC_ATTR_PORT]);
    EXPECT_FALSE(p.svc[IPVS_SVC_ATTR_SCHED_NAME]);
    EXPECT_FALSE(p.svc[IPVS_SVC_ATTR_FLAGS]);
}

TEST(IpvsCodec, SchedulersAndFlags) {
    for (const char* name :
         {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"}) {
        Service s = web();
        s.scheduler = name;
        s.flags = IP_VS_SVC_F_SCHED_SH_FALLBACK | IP_VS_SVC_F_SCHED_SH_PORT | IP_VS_SVC_F_SCHED3;
        auto msg = encode_service(kFamily, IPVS_CMD_NEW_SERVICE, s);
        ASSERT_TRUE(msg) << name;
        auto p = parse(msg->get());
        EXPECT_STREQ(nla_get_string(p.svc[IPVS_SVC_ATTR_SCHED_NAME]), name);
        auto back = decode_service(msg->get());
        ASSERT_TRUE(back);
        EXPECT_EQ(back->flags, static_cast<std::uint32_t>(IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 |
                                                          IP_VS_SVC_F_SCHED3));
    }
    // A scheduler Vigil does not know goes to the kernel, which names it if it lacks it.
    Service twos = web();
    twos.scheduler = "twos";
    auto tp = parse_owned(encode_service(kFamily, IPVS_CMD_NEW_SERVICE, twos));
    EXPECT_STREQ(nla_get_string(tp.svc[IPVS_SVC_ATTR_SCHED_NAME]), "twos");
    Service bad = web();
    bad.scheduler = "a-name-too-long-for-ipvs";
    EXPECT_FALSE(encode_service(kFamily, IPVS_CMD_NEW_SERVICE, bad));
    bad.scheduler = "";
    EXPECT_FALSE(encode_service(kFamily, IPVS_CMD_NEW_SERVICE, bad));
    // The kernel owns the hashed bit: never sent.
    Service hashed = web();
    hashed.flags |= IP_VS_SVC_F_HASHED;
    auto p = parse_owned(encode_service(kFamily, IPVS_CMD_NEW_SERVICE, hashed));
    ip_vs_flags f;
    std::memcpy(&f, nla_data(p.svc[IPVS_SVC_ATTR_FLAGS]), sizeof f);
    EXPECT_EQ(f.flags & IP_VS_SVC_F_HASHED, 0u);
}

TEST(IpvsCodec, Ipv6AndFwmarkServices) {
    Service v6 = web();
    v6.id.address = ip::make_address("2001:db8::80");
    v6.id.protocol = Protocol::udp;
    v6.prefix = 64;
    auto p = parse_owned(encode_service(kFamily, IPVS_CMD_NEW_SERVICE, v6));
    EXPECT_EQ(nla_get_u16(p.svc[IPVS_SVC_ATTR_AF]), AF_INET6);
    EXPECT_EQ(nla_get_u16(p.svc[IPVS_SVC_ATTR_PROTOCOL]), IPPROTO_UDP);
    EXPECT_EQ(addr16(p.svc[IPVS_SVC_ATTR_ADDR]), expect16("2001:db8::80"));
    EXPECT_EQ(nla_get_u32(p.svc[IPVS_SVC_ATTR_NETMASK]), 64u);

    Service fw;
    fw.id.fwmark = 42;
    fw.id.ipv6 = true;
    fw.scheduler = "sh";
    p = parse_owned(encode_service(kFamily, IPVS_CMD_NEW_SERVICE, fw));
    EXPECT_EQ(nla_get_u16(p.svc[IPVS_SVC_ATTR_AF]), AF_INET6);
    EXPECT_EQ(nla_get_u32(p.svc[IPVS_SVC_ATTR_FWMARK]), 42u);
    EXPECT_FALSE(p.svc[IPVS_SVC_ATTR_ADDR]);
    EXPECT_FALSE(p.svc[IPVS_SVC_ATTR_PORT]);

    Service sctp = web();
    sctp.id.protocol = Protocol::sctp;
    p = parse_owned(encode_service(kFamily, IPVS_CMD_NEW_SERVICE, sctp));
    EXPECT_EQ(nla_get_u16(p.svc[IPVS_SVC_ATTR_PROTOCOL]), IPPROTO_SCTP);
}

TEST(IpvsCodec, DestinationsCarryServiceKeyAndEveryAttribute) {
    Destination d{ip::make_address("198.51.100.7"), 80, Forwarding::dr, 5, 100, 50};
    const std::pair<Forwarding, unsigned> methods[] = {{Forwarding::nat, IP_VS_CONN_F_MASQ},
                                                       {Forwarding::dr, IP_VS_CONN_F_DROUTE},
                                                       {Forwarding::tun, IP_VS_CONN_F_TUNNEL}};
    for (auto [fwd, value] : methods) {
        d.forwarding = fwd;
        for (std::uint8_t cmd : {IPVS_CMD_NEW_DEST, IPVS_CMD_SET_DEST}) {
            auto msg = encode_destination(kFamily, cmd, web().id, d);
            ASSERT_TRUE(msg);
            auto p = parse(msg->get());
            EXPECT_EQ(p.cmd, cmd);
            EXPECT_EQ(addr16(p.svc[IPVS_SVC_ATTR_ADDR]), expect16("192.0.2.10"));
            EXPECT_EQ(nla_get_u16(p.svc[IPVS_SVC_ATTR_PORT]), htons(8080));
            EXPECT_FALSE(p.svc[IPVS_SVC_ATTR_SCHED_NAME]);
            EXPECT_EQ(addr16(p.dest[IPVS_DEST_ATTR_ADDR]), expect16("198.51.100.7"));
            EXPECT_EQ(nla_get_u16(p.dest[IPVS_DEST_ATTR_PORT]), htons(80));
            EXPECT_EQ(nla_get_u16(p.dest[IPVS_DEST_ATTR_ADDR_FAMILY]), AF_INET);
            EXPECT_EQ(nla_get_u32(p.dest[IPVS_DEST_ATTR_FWD_METHOD]), value);
            EXPECT_EQ(nla_get_u32(p.dest[IPVS_DEST_ATTR_WEIGHT]), 5u);
            EXPECT_EQ(nla_get_u32(p.dest[IPVS_DEST_ATTR_U_THRESH]), 100u);
            EXPECT_EQ(nla_get_u32(p.dest[IPVS_DEST_ATTR_L_THRESH]), 50u);
            auto back = decode_destination(msg->get());
            ASSERT_TRUE(back);
            EXPECT_EQ(*back, d);
        }
    }
    auto del = encode_destination(kFamily, IPVS_CMD_DEL_DEST, web().id, d);
    auto p = parse(del->get());
    EXPECT_EQ(p.cmd, IPVS_CMD_DEL_DEST);
    EXPECT_TRUE(p.dest[IPVS_DEST_ATTR_ADDR]);
    EXPECT_FALSE(p.dest[IPVS_DEST_ATTR_WEIGHT]);
    EXPECT_FALSE(p.dest[IPVS_DEST_ATTR_FWD_METHOD]);

    Destination d6{ip::make_address("2001:db8::7"), 443, Forwarding::nat, 1, 0, 0};
    Service s6;
    s6.id.address = ip::make_address("2001:db8::1");
    s6.id.port = 443;
    p = parse_owned(encode_destination(kFamily, IPVS_CMD_NEW_DEST, s6.id, d6));
    EXPECT_EQ(nla_get_u16(p.dest[IPVS_DEST_ATTR_ADDR_FAMILY]), AF_INET6);
    EXPECT_EQ(addr16(p.dest[IPVS_DEST_ATTR_ADDR]), expect16("2001:db8::7"));
}

TEST(IpvsCodec, DumpsAndFlush) {
    auto svcs = encode_get_services(kFamily);
    auto p = parse(svcs->get());
    EXPECT_EQ(p.cmd, IPVS_CMD_GET_SERVICE);
    EXPECT_TRUE(p.nl_flags & NLM_F_DUMP);
    EXPECT_FALSE(p.top[IPVS_CMD_ATTR_SERVICE]);

    auto dests = encode_get_destinations(kFamily, web().id);
    p = parse(dests->get());
    EXPECT_EQ(p.cmd, IPVS_CMD_GET_DEST);
    EXPECT_TRUE(p.nl_flags & NLM_F_DUMP);
    EXPECT_EQ(nla_get_u16(p.svc[IPVS_SVC_ATTR_PORT]), htons(8080));

    p = parse_owned(encode_flush(kFamily));
    EXPECT_EQ(p.cmd, IPVS_CMD_FLUSH);
    EXPECT_FALSE(p.top[IPVS_CMD_ATTR_SERVICE]);
}

TEST(IpvsCodec, ServiceRoundTrip) {
    for (Service s : {web(), [] {
                          Service f;
                          f.id.fwmark = 9;
                          f.scheduler = "mh";
                          f.prefix = 32;
                          return f;
                      }()}) {
        auto back = decode_service(encode_service(kFamily, IPVS_CMD_NEW_SERVICE, s)->get());
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, s);
    }
}

TEST(IpvsCodec, OpsMapToCommands) {
    Destination d{ip::make_address("198.51.100.7"), 80, Forwarding::nat, 1, 0, 0};
    const std::pair<OpKind, int> cases[] = {{OpKind::add_service, IPVS_CMD_NEW_SERVICE},
                                            {OpKind::edit_service, IPVS_CMD_SET_SERVICE},
                                            {OpKind::delete_service, IPVS_CMD_DEL_SERVICE},
                                            {OpKind::add_destination, IPVS_CMD_NEW_DEST},
                                            {OpKind::edit_destination, IPVS_CMD_SET_DEST},
                                            {OpKind::delete_destination, IPVS_CMD_DEL_DEST}};
    for (auto [kind, cmd] : cases) {
        Op op{kind, web(), d};
        auto msg = encode_op(kFamily, op);
        ASSERT_TRUE(msg);
        EXPECT_EQ(parse(msg->get()).cmd, cmd);
    }
}

TEST(IpvsBackend, UnavailableKernelGivesClearError) {
    // This kernel is built without IPVS: the family does not resolve.
    auto r = IpvsNetlink::open();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "IPVS not available in this kernel; use lvs_backend nftables");
}

TEST(IpvsBackend, AutomaticFallsBackToNftablesWithOneLogLine) {
    Config c;
    c.nft_table = "vigil_unit";
    std::vector<std::string> lines;
    auto plane = make_dataplane(c, [&](std::string_view l) { lines.emplace_back(l); });
    ASSERT_TRUE(plane) << plane.error().message;
    EXPECT_EQ((*plane)->name(), "nftables");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("IPVS not available"), std::string::npos);
    c.backend = Backend::ipvs;
    auto ipvs = make_dataplane(c, {});
    ASSERT_FALSE(ipvs);
    EXPECT_EQ(ipvs.error().message, std::string(ipvs_unavailable));
}

TEST(IpvsCodec, TimeoutsCarryOnlyWhatIsSet) {
    Timeouts t;
    t.tcp = 900;
    t.udp = 120;
    auto msg = encode_set_timeouts(kFamily, t);
    ASSERT_TRUE(msg);
    nlmsghdr* h = nlmsg_hdr(msg->get());
    auto* g = static_cast<genlmsghdr*>(nlmsg_data(h));
    EXPECT_EQ(g->cmd, IPVS_CMD_SET_CONFIG);
    nlattr* a[IPVS_CMD_ATTR_MAX + 1] = {};
    ASSERT_EQ(genlmsg_parse(h, 0, a, IPVS_CMD_ATTR_MAX, nullptr), 0);
    ASSERT_TRUE(a[IPVS_CMD_ATTR_TIMEOUT_TCP]);
    EXPECT_EQ(nla_get_u32(a[IPVS_CMD_ATTR_TIMEOUT_TCP]), 900u);
    EXPECT_FALSE(a[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]);
    ASSERT_TRUE(a[IPVS_CMD_ATTR_TIMEOUT_UDP]);
    EXPECT_EQ(nla_get_u32(a[IPVS_CMD_ATTR_TIMEOUT_UDP]), 120u);
}
