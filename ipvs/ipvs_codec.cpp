#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

#include "vigil/ipvs/ipvs_netlink.hpp"

#include "genl.hpp"

namespace vigil::ipvs {

void NlMsgDeleter::operator()(nl_msg* msg) const {
    nlmsg_free(msg);
}

std::uint16_t ipvs_protocol(Protocol p) {
    switch (p) {
        case Protocol::tcp:
            return IPPROTO_TCP;
        case Protocol::udp:
            return IPPROTO_UDP;
        case Protocol::sctp:
            return IPPROTO_SCTP;
    }
    return IPPROTO_TCP;
}

std::uint32_t ipvs_forwarding(Forwarding f) {
    switch (f) {
        case Forwarding::nat:
            return IP_VS_CONN_F_MASQ;
        case Forwarding::dr:
            return IP_VS_CONN_F_DROUTE;
        case Forwarding::tun:
            return IP_VS_CONN_F_TUNNEL;
    }
    return IP_VS_CONN_F_MASQ;
}

namespace {

using Addr16 = std::array<unsigned char, 16>;  // union nf_inet_addr

Addr16 to_bytes(const Address& a) {
    Addr16 out{};
    if (a.is_v4()) {
        auto b = a.to_v4().to_bytes();
        std::memcpy(out.data(), b.data(), 4);
    } else {
        auto b = a.to_v6().to_bytes();
        std::memcpy(out.data(), b.data(), 16);
    }
    return out;
}

Address from_bytes(const void* data, int len, bool v6) {
    Addr16 raw{};
    std::memcpy(raw.data(), data, std::min<std::size_t>(static_cast<std::size_t>(len), 16));
    if (v6) {
        boost::asio::ip::address_v6::bytes_type b;
        std::memcpy(b.data(), raw.data(), 16);
        return boost::asio::ip::address_v6(b);
    }
    boost::asio::ip::address_v4::bytes_type b;
    std::memcpy(b.data(), raw.data(), 4);
    return boost::asio::ip::address_v4(b);
}

std::uint32_t kernel_netmask(const Service& s) {
    if (s.id.is_ipv6()) return s.prefix;
    const std::uint32_t m = s.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - std::min(s.prefix, 32u));
    return htonl(m);
}

// The service key: family and either fwmark or protocol, address and port.
bool put_key(nl_msg* m, const ServiceId& id) {
    const std::uint16_t af = id.is_ipv6() ? AF_INET6 : AF_INET;
    if (nla_put_u16(m, IPVS_SVC_ATTR_AF, af) < 0) return false;
    if (id.fwmark) return nla_put_u32(m, IPVS_SVC_ATTR_FWMARK, id.fwmark) >= 0;
    if (!id.address) return false;
    const Addr16 addr = to_bytes(*id.address);
    return nla_put_u16(m, IPVS_SVC_ATTR_PROTOCOL, ipvs_protocol(id.protocol)) >= 0 &&
           nla_put(m, IPVS_SVC_ATTR_ADDR, addr.size(), addr.data()) >= 0 &&
           nla_put_u16(m, IPVS_SVC_ATTR_PORT, htons(id.port)) >= 0;
}

bool put_service(nl_msg* m, const Service& s, bool full) {
    nlattr* nest = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
    if (!nest || !put_key(m, s.id)) return false;
    if (full) {
        ip_vs_flags flags{s.flags & ~std::uint32_t{IP_VS_SVC_F_HASHED}, ~std::uint32_t{0}};
        if (nla_put_string(m, IPVS_SVC_ATTR_SCHED_NAME, s.scheduler.c_str()) < 0 ||
            nla_put(m, IPVS_SVC_ATTR_FLAGS, sizeof(flags), &flags) < 0 ||
            nla_put_u32(m, IPVS_SVC_ATTR_TIMEOUT, s.timeout) < 0 ||
            nla_put_u32(m, IPVS_SVC_ATTR_NETMASK, kernel_netmask(s)) < 0)
            return false;
    }
    nla_nest_end(m, nest);
    return true;
}

bool put_dest(nl_msg* m, const Destination& d, bool full) {
    nlattr* nest = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
    if (!nest) return false;
    const Addr16 addr = to_bytes(d.address);
    if (nla_put(m, IPVS_DEST_ATTR_ADDR, addr.size(), addr.data()) < 0 ||
        nla_put_u16(m, IPVS_DEST_ATTR_PORT, htons(d.port)) < 0 ||
        nla_put_u16(m, IPVS_DEST_ATTR_ADDR_FAMILY, d.address.is_v6() ? AF_INET6 : AF_INET) < 0)
        return false;
    if (full) {
        if (nla_put_u32(m, IPVS_DEST_ATTR_FWD_METHOD, ipvs_forwarding(d.forwarding)) < 0 ||
            nla_put_u32(m, IPVS_DEST_ATTR_WEIGHT, static_cast<std::uint32_t>(d.weight)) < 0 ||
            nla_put_u32(m, IPVS_DEST_ATTR_U_THRESH, d.upper_threshold) < 0 ||
            nla_put_u32(m, IPVS_DEST_ATTR_L_THRESH, d.lower_threshold) < 0)
            return false;
    }
    nla_nest_end(m, nest);
    return true;
}

struct Policies {
    std::array<nla_policy, IPVS_CMD_ATTR_MAX + 1> cmd{};
    std::array<nla_policy, IPVS_SVC_ATTR_MAX + 1> svc{};
    std::array<nla_policy, IPVS_DEST_ATTR_MAX + 1> dest{};
};

// The attribute policy the kernel applies (net/netfilter/ipvs/ip_vs_ctl.c), as a constant.
const Policies& policies() {
    static const Policies p = [] {
        Policies p;
        p.cmd[IPVS_CMD_ATTR_SERVICE].type = NLA_NESTED;
        p.cmd[IPVS_CMD_ATTR_DEST].type = NLA_NESTED;
        p.svc[IPVS_SVC_ATTR_AF].type = NLA_U16;
        p.svc[IPVS_SVC_ATTR_PROTOCOL].type = NLA_U16;
        p.svc[IPVS_SVC_ATTR_ADDR].minlen = 4;
        p.svc[IPVS_SVC_ATTR_PORT].type = NLA_U16;
        p.svc[IPVS_SVC_ATTR_FWMARK].type = NLA_U32;
        p.svc[IPVS_SVC_ATTR_SCHED_NAME].type = NLA_STRING;
        p.svc[IPVS_SVC_ATTR_FLAGS].minlen = sizeof(ip_vs_flags);
        p.svc[IPVS_SVC_ATTR_TIMEOUT].type = NLA_U32;
        p.svc[IPVS_SVC_ATTR_NETMASK].type = NLA_U32;
        p.svc[IPVS_SVC_ATTR_STATS].type = NLA_NESTED;
        p.dest[IPVS_DEST_ATTR_ADDR].minlen = 4;
        p.dest[IPVS_DEST_ATTR_PORT].type = NLA_U16;
        p.dest[IPVS_DEST_ATTR_FWD_METHOD].type = NLA_U32;
        p.dest[IPVS_DEST_ATTR_WEIGHT].type = NLA_U32;
        p.dest[IPVS_DEST_ATTR_U_THRESH].type = NLA_U32;
        p.dest[IPVS_DEST_ATTR_L_THRESH].type = NLA_U32;
        p.dest[IPVS_DEST_ATTR_ADDR_FAMILY].type = NLA_U16;
        p.dest[IPVS_DEST_ATTR_STATS].type = NLA_NESTED;
        p.svc[IPVS_SVC_ATTR_STATS64].type = NLA_NESTED;
        p.dest[IPVS_DEST_ATTR_STATS64].type = NLA_NESTED;
        p.dest[IPVS_DEST_ATTR_ACTIVE_CONNS].type = NLA_U32;
        p.dest[IPVS_DEST_ATTR_INACT_CONNS].type = NLA_U32;
        p.dest[IPVS_DEST_ATTR_PERSIST_CONNS].type = NLA_U32;
        return p;
    }();
    return p;
}

Protocol protocol_from(std::uint16_t p) {
    if (p == IPPROTO_UDP) return Protocol::udp;
    if (p == IPPROTO_SCTP) return Protocol::sctp;
    return Protocol::tcp;
}

}  // namespace

Result<NlMsg> encode_service(int family, std::uint8_t cmd, const Service& s) {
    if (cmd != IPVS_CMD_NEW_SERVICE && cmd != IPVS_CMD_SET_SERVICE && cmd != IPVS_CMD_DEL_SERVICE)
        return fail("ipvs: not a service command");
    if (!s.id.fwmark && !s.id.address) return fail("ipvs: service without address or fwmark");
    // Which schedulers exist is the kernel's to say (it names a missing one); only a name
    // that cannot fit its attribute is refused here.
    if (cmd != IPVS_CMD_DEL_SERVICE &&
        (s.scheduler.empty() || s.scheduler.size() >= IP_VS_SCHEDNAME_MAXLEN))
        return fail("ipvs: bad scheduler name '" + s.scheduler + "'");
    auto msg = genl::request(family, cmd, 0);
    if (!msg) return msg;
    if (!put_service(msg->get(), s, cmd != IPVS_CMD_DEL_SERVICE))
        return fail("ipvs: message too large");
    return msg;
}

Result<NlMsg> encode_destination(int family, std::uint8_t cmd, const ServiceId& id,
                                 const Destination& d) {
    if (cmd != IPVS_CMD_NEW_DEST && cmd != IPVS_CMD_SET_DEST && cmd != IPVS_CMD_DEL_DEST)
        return fail("ipvs: not a destination command");
    if (!id.fwmark && !id.address) return fail("ipvs: service without address or fwmark");
    auto msg = genl::request(family, cmd, 0);
    if (!msg) return msg;
    Service key;
    key.id = id;
    if (!put_service(msg->get(), key, false) || !put_dest(msg->get(), d, cmd != IPVS_CMD_DEL_DEST))
        return fail("ipvs: message too large");
    return msg;
}

Result<NlMsg> encode_get_services(int family) {
    return genl::request(family, IPVS_CMD_GET_SERVICE, NLM_F_DUMP);
}

Result<NlMsg> encode_get_destinations(int family, const ServiceId& id) {
    auto msg = genl::request(family, IPVS_CMD_GET_DEST, NLM_F_DUMP);
    if (!msg) return msg;
    Service key;
    key.id = id;
    if (!put_service(msg->get(), key, false)) return fail("ipvs: message too large");
    return msg;
}

Result<NlMsg> encode_flush(int family) {
    return genl::request(family, IPVS_CMD_FLUSH, 0);
}

Result<NlMsg> encode_set_timeouts(int family, const Timeouts& t) {
    auto msg = genl::request(family, IPVS_CMD_SET_CONFIG, 0);
    if (!msg) return msg;
    for (auto [attr, value] : {std::pair{IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp},
                               std::pair{IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcp_fin},
                               std::pair{IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp}})
        if (value && nla_put_u32(msg->get(), attr, value) < 0)
            return fail("ipvs: message too large");
    return msg;
}

Result<NlMsg> encode_op(int family, const Op& op) {
    switch (op.kind) {
        case OpKind::add_service:
            return encode_service(family, IPVS_CMD_NEW_SERVICE, op.service);
        case OpKind::edit_service:
            return encode_service(family, IPVS_CMD_SET_SERVICE, op.service);
        case OpKind::delete_service:
            return encode_service(family, IPVS_CMD_DEL_SERVICE, op.service);
        default:
            break;
    }
    if (!op.destination) return fail("ipvs: destination operation without a destination");
    const std::uint8_t cmd = op.kind == OpKind::add_destination    ? IPVS_CMD_NEW_DEST
                             : op.kind == OpKind::edit_destination ? IPVS_CMD_SET_DEST
                                                                   : IPVS_CMD_DEL_DEST;
    return encode_destination(family, cmd, op.service.id, *op.destination);
}

Result<Service> decode_service(nl_msg* msg) {
    nlattr* attrs[IPVS_CMD_ATTR_MAX + 1] = {};
    if (genlmsg_parse(nlmsg_hdr(msg), 0, attrs, IPVS_CMD_ATTR_MAX, policies().cmd.data()) < 0)
        return fail("ipvs: malformed message");
    if (!attrs[IPVS_CMD_ATTR_SERVICE]) return fail("ipvs: no service attribute");
    nlattr* a[IPVS_SVC_ATTR_MAX + 1] = {};
    if (nla_parse_nested(a, IPVS_SVC_ATTR_MAX, attrs[IPVS_CMD_ATTR_SERVICE],
                         policies().svc.data()) < 0)
        return fail("ipvs: malformed service attribute");
    if (!a[IPVS_SVC_ATTR_AF]) return fail("ipvs: service without family");
    Service s;
    const bool v6 = nla_get_u16(a[IPVS_SVC_ATTR_AF]) == AF_INET6;
    s.id.ipv6 = v6;
    if (a[IPVS_SVC_ATTR_FWMARK]) s.id.fwmark = nla_get_u32(a[IPVS_SVC_ATTR_FWMARK]);
    if (!s.id.fwmark) {
        if (!a[IPVS_SVC_ATTR_ADDR] || !a[IPVS_SVC_ATTR_PORT] || !a[IPVS_SVC_ATTR_PROTOCOL])
            return fail("ipvs: service without address, port or protocol");
        s.id.address =
            from_bytes(nla_data(a[IPVS_SVC_ATTR_ADDR]), nla_len(a[IPVS_SVC_ATTR_ADDR]), v6);
        s.id.port = ntohs(nla_get_u16(a[IPVS_SVC_ATTR_PORT]));
        s.id.protocol = protocol_from(nla_get_u16(a[IPVS_SVC_ATTR_PROTOCOL]));
        s.id.ipv6 = false;
    }
    if (a[IPVS_SVC_ATTR_SCHED_NAME]) s.scheduler = nla_get_string(a[IPVS_SVC_ATTR_SCHED_NAME]);
    if (a[IPVS_SVC_ATTR_FLAGS]) {
        ip_vs_flags f;
        std::memcpy(&f, nla_data(a[IPVS_SVC_ATTR_FLAGS]), sizeof(f));
        s.flags = f.flags & ~std::uint32_t{IP_VS_SVC_F_HASHED};
    }
    if (a[IPVS_SVC_ATTR_TIMEOUT]) s.timeout = nla_get_u32(a[IPVS_SVC_ATTR_TIMEOUT]);
    s.prefix = v6 ? 128 : 32;
    if (a[IPVS_SVC_ATTR_NETMASK]) {
        const std::uint32_t m = nla_get_u32(a[IPVS_SVC_ATTR_NETMASK]);
        s.prefix = v6 ? m : static_cast<unsigned>(__builtin_popcount(m));
    }
    return s;
}

Result<Destination> decode_destination(nl_msg* msg) {
    nlattr* attrs[IPVS_CMD_ATTR_MAX + 1] = {};
    if (genlmsg_parse(nlmsg_hdr(msg), 0, attrs, IPVS_CMD_ATTR_MAX, policies().cmd.data()) < 0)
        return fail("ipvs: malformed message");
    if (!attrs[IPVS_CMD_ATTR_DEST]) return fail("ipvs: no destination attribute");
    nlattr* a[IPVS_DEST_ATTR_MAX + 1] = {};
    if (nla_parse_nested(a, IPVS_DEST_ATTR_MAX, attrs[IPVS_CMD_ATTR_DEST], policies().dest.data()) <
        0)
        return fail("ipvs: malformed destination attribute");
    if (!a[IPVS_DEST_ATTR_ADDR] || !a[IPVS_DEST_ATTR_PORT])
        return fail("ipvs: destination without address or port");
    const bool v6 =
        a[IPVS_DEST_ATTR_ADDR_FAMILY] && nla_get_u16(a[IPVS_DEST_ATTR_ADDR_FAMILY]) == AF_INET6;
    Destination d;
    d.address = from_bytes(nla_data(a[IPVS_DEST_ATTR_ADDR]), nla_len(a[IPVS_DEST_ATTR_ADDR]), v6);
    d.port = ntohs(nla_get_u16(a[IPVS_DEST_ATTR_PORT]));
    if (a[IPVS_DEST_ATTR_FWD_METHOD]) {
        switch (nla_get_u32(a[IPVS_DEST_ATTR_FWD_METHOD]) & IP_VS_CONN_F_FWD_MASK) {
            case IP_VS_CONN_F_DROUTE:
                d.forwarding = Forwarding::dr;
                break;
            case IP_VS_CONN_F_TUNNEL:
                d.forwarding = Forwarding::tun;
                break;
            default:
                d.forwarding = Forwarding::nat;
                break;
        }
    }
    if (a[IPVS_DEST_ATTR_WEIGHT])
        d.weight = static_cast<int>(nla_get_u32(a[IPVS_DEST_ATTR_WEIGHT]));
    if (a[IPVS_DEST_ATTR_U_THRESH]) d.upper_threshold = nla_get_u32(a[IPVS_DEST_ATTR_U_THRESH]);
    if (a[IPVS_DEST_ATTR_L_THRESH]) d.lower_threshold = nla_get_u32(a[IPVS_DEST_ATTR_L_THRESH]);
    return d;
}

namespace {

// IPVS_*_ATTR_STATS64 (every counter u64) when the kernel sends it, else the older STATS
// (counts and rates u32, bytes u64).
Stats read_stats(nlattr* stats64, nlattr* stats32) {
    Stats s;
    nlattr* a[IPVS_STATS_ATTR_MAX + 1] = {};
    nlattr* nest = stats64 ? stats64 : stats32;
    if (!nest || nla_parse_nested(a, IPVS_STATS_ATTR_MAX, nest, nullptr) < 0) return s;
    auto get = [&](int attr) -> std::uint64_t {
        if (!a[attr]) return 0;
        if (nla_len(a[attr]) >= 8) return nla_get_u64(a[attr]);
        if (nla_len(a[attr]) >= 4) return nla_get_u32(a[attr]);
        return 0;
    };
    s.conns = get(IPVS_STATS_ATTR_CONNS);
    s.inpkts = get(IPVS_STATS_ATTR_INPKTS);
    s.outpkts = get(IPVS_STATS_ATTR_OUTPKTS);
    s.inbytes = get(IPVS_STATS_ATTR_INBYTES);
    s.outbytes = get(IPVS_STATS_ATTR_OUTBYTES);
    s.cps = get(IPVS_STATS_ATTR_CPS);
    s.inpps = get(IPVS_STATS_ATTR_INPPS);
    s.outpps = get(IPVS_STATS_ATTR_OUTPPS);
    s.inbps = get(IPVS_STATS_ATTR_INBPS);
    s.outbps = get(IPVS_STATS_ATTR_OUTBPS);
    return s;
}

}  // namespace

Result<LiveService> decode_live_service(nl_msg* msg) {
    auto s = decode_service(msg);
    if (!s) return std::unexpected(s.error());
    nlattr* attrs[IPVS_CMD_ATTR_MAX + 1] = {};
    nlattr* a[IPVS_SVC_ATTR_MAX + 1] = {};
    genlmsg_parse(nlmsg_hdr(msg), 0, attrs, IPVS_CMD_ATTR_MAX, policies().cmd.data());
    nla_parse_nested(a, IPVS_SVC_ATTR_MAX, attrs[IPVS_CMD_ATTR_SERVICE], policies().svc.data());
    LiveService out;
    out.service = std::move(*s);
    out.stats = read_stats(a[IPVS_SVC_ATTR_STATS64], a[IPVS_SVC_ATTR_STATS]);
    return out;
}

Result<LiveDestination> decode_live_destination(nl_msg* msg) {
    auto d = decode_destination(msg);
    if (!d) return std::unexpected(d.error());
    nlattr* attrs[IPVS_CMD_ATTR_MAX + 1] = {};
    nlattr* a[IPVS_DEST_ATTR_MAX + 1] = {};
    genlmsg_parse(nlmsg_hdr(msg), 0, attrs, IPVS_CMD_ATTR_MAX, policies().cmd.data());
    nla_parse_nested(a, IPVS_DEST_ATTR_MAX, attrs[IPVS_CMD_ATTR_DEST], policies().dest.data());
    LiveDestination out;
    out.destination = *d;
    if (a[IPVS_DEST_ATTR_ACTIVE_CONNS]) out.active = nla_get_u32(a[IPVS_DEST_ATTR_ACTIVE_CONNS]);
    if (a[IPVS_DEST_ATTR_INACT_CONNS]) out.inactive = nla_get_u32(a[IPVS_DEST_ATTR_INACT_CONNS]);
    if (a[IPVS_DEST_ATTR_PERSIST_CONNS])
        out.persistent = nla_get_u32(a[IPVS_DEST_ATTR_PERSIST_CONNS]);
    out.stats = read_stats(a[IPVS_DEST_ATTR_STATS64], a[IPVS_DEST_ATTR_STATS]);
    return out;
}

}  // namespace vigil::ipvs
