#include "vigil/ipvs/sync_daemon.hpp"

#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "genl.hpp"

namespace vigil::ipvs {

std::vector<SyncStep> sync_steps(unsigned now, unsigned want, bool config_changed) {
    std::vector<SyncStep> steps;
    const unsigned keep = config_changed ? 0u : (now & want);
    for (SyncRole r : {sync_backup, sync_master})
        if ((now & r) && !(keep & r)) steps.push_back({false, r});
    for (SyncRole r : {sync_master, sync_backup})
        if ((want & r) && !(keep & r)) steps.push_back({true, r});
    return steps;
}

std::string to_string(SyncRole role) {
    switch (role) {
        case sync_master:
            return "master";
        case sync_backup:
            return "backup";
        default:
            return "none";
    }
}

Result<NlMsg> encode_new_daemon(int family, SyncRole role, const SyncDaemonConfig& c) {
    if (role != sync_master && role != sync_backup)
        return fail("ipvs: a sync daemon is master or backup");
    if (c.interface.empty() || c.interface.size() >= IP_VS_IFNAME_MAXLEN)
        return fail(
            fmt::format("ipvs: sync daemon interface '{}' is not a valid name", c.interface));
    auto msg = genl::request(family, IPVS_CMD_NEW_DAEMON, 0);
    if (!msg) return msg;
    nl_msg* m = msg->get();
    nlattr* nest = nla_nest_start(m, IPVS_CMD_ATTR_DAEMON);
    bool ok = nest && nla_put_u32(m, IPVS_DAEMON_ATTR_STATE, role) >= 0 &&
              nla_put_string(m, IPVS_DAEMON_ATTR_MCAST_IFN, c.interface.c_str()) >= 0 &&
              nla_put_u32(m, IPVS_DAEMON_ATTR_SYNC_ID, c.sync_id) >= 0;
    if (ok && c.maxlen) ok = nla_put_u16(m, IPVS_DAEMON_ATTR_SYNC_MAXLEN, c.maxlen) >= 0;
    if (ok && c.port) ok = nla_put_u16(m, IPVS_DAEMON_ATTR_MCAST_PORT, c.port) >= 0;
    if (ok && c.ttl) ok = nla_put_u8(m, IPVS_DAEMON_ATTR_MCAST_TTL, c.ttl) >= 0;
    if (ok && c.group) {
        if (c.group->is_v4()) {
            const auto b = c.group->to_v4().to_bytes();
            ok = nla_put(m, IPVS_DAEMON_ATTR_MCAST_GROUP, int(b.size()), b.data()) >= 0;
        } else {
            const auto b = c.group->to_v6().to_bytes();
            ok = nla_put(m, IPVS_DAEMON_ATTR_MCAST_GROUP6, int(b.size()), b.data()) >= 0;
        }
    }
    if (!ok) return fail("ipvs: message too large");
    nla_nest_end(m, nest);
    return msg;
}

Result<NlMsg> encode_del_daemon(int family, SyncRole role) {
    auto msg = genl::request(family, IPVS_CMD_DEL_DAEMON, 0);
    if (!msg) return msg;
    nl_msg* m = msg->get();
    nlattr* nest = nla_nest_start(m, IPVS_CMD_ATTR_DAEMON);
    if (!nest || nla_put_u32(m, IPVS_DAEMON_ATTR_STATE, role) < 0)
        return fail("ipvs: message too large");
    nla_nest_end(m, nest);
    return msg;
}

Result<NlMsg> encode_get_daemons(int family) {
    return genl::request(family, IPVS_CMD_GET_DAEMON, NLM_F_DUMP);
}

Result<SyncDaemonState> decode_daemon(nl_msg* msg) {
    static const auto policies = [] {
        std::pair<std::array<nla_policy, IPVS_CMD_ATTR_MAX + 1>,
                  std::array<nla_policy, IPVS_DAEMON_ATTR_MAX + 1>>
            p{};
        p.first[IPVS_CMD_ATTR_DAEMON].type = NLA_NESTED;
        p.second[IPVS_DAEMON_ATTR_STATE].type = NLA_U32;
        p.second[IPVS_DAEMON_ATTR_MCAST_IFN].type = NLA_STRING;
        p.second[IPVS_DAEMON_ATTR_SYNC_ID].type = NLA_U32;
        p.second[IPVS_DAEMON_ATTR_SYNC_MAXLEN].type = NLA_U16;
        p.second[IPVS_DAEMON_ATTR_MCAST_GROUP].minlen = 4;
        p.second[IPVS_DAEMON_ATTR_MCAST_GROUP6].minlen = 16;
        p.second[IPVS_DAEMON_ATTR_MCAST_PORT].type = NLA_U16;
        p.second[IPVS_DAEMON_ATTR_MCAST_TTL].type = NLA_U8;
        return p;
    }();
    auto cmd = policies.first;
    auto dmn = policies.second;
    nlattr* top[IPVS_CMD_ATTR_MAX + 1] = {};
    if (genlmsg_parse(nlmsg_hdr(msg), 0, top, IPVS_CMD_ATTR_MAX, cmd.data()) < 0)
        return fail("ipvs: malformed message");
    if (!top[IPVS_CMD_ATTR_DAEMON]) return fail("ipvs: no daemon attribute");
    nlattr* a[IPVS_DAEMON_ATTR_MAX + 1] = {};
    if (nla_parse_nested(a, IPVS_DAEMON_ATTR_MAX, top[IPVS_CMD_ATTR_DAEMON], dmn.data()) < 0)
        return fail("ipvs: malformed daemon attribute");
    if (!a[IPVS_DAEMON_ATTR_STATE] || !a[IPVS_DAEMON_ATTR_MCAST_IFN] ||
        !a[IPVS_DAEMON_ATTR_SYNC_ID])
        return fail("ipvs: daemon without state, interface or sync id");
    SyncDaemonState d;
    d.role =
        static_cast<SyncRole>(nla_get_u32(a[IPVS_DAEMON_ATTR_STATE]) & (sync_master | sync_backup));
    d.config.interface = nla_get_string(a[IPVS_DAEMON_ATTR_MCAST_IFN]);
    d.config.sync_id = nla_get_u32(a[IPVS_DAEMON_ATTR_SYNC_ID]);
    if (a[IPVS_DAEMON_ATTR_SYNC_MAXLEN])
        d.config.maxlen = nla_get_u16(a[IPVS_DAEMON_ATTR_SYNC_MAXLEN]);
    if (a[IPVS_DAEMON_ATTR_MCAST_PORT]) d.config.port = nla_get_u16(a[IPVS_DAEMON_ATTR_MCAST_PORT]);
    if (a[IPVS_DAEMON_ATTR_MCAST_TTL]) d.config.ttl = nla_get_u8(a[IPVS_DAEMON_ATTR_MCAST_TTL]);
    if (a[IPVS_DAEMON_ATTR_MCAST_GROUP]) {
        boost::asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), nla_data(a[IPVS_DAEMON_ATTR_MCAST_GROUP]), 4);
        d.config.group = boost::asio::ip::address_v4(b);
    } else if (a[IPVS_DAEMON_ATTR_MCAST_GROUP6]) {
        boost::asio::ip::address_v6::bytes_type b;
        std::memcpy(b.data(), nla_data(a[IPVS_DAEMON_ATTR_MCAST_GROUP6]), 16);
        d.config.group = boost::asio::ip::address_v6(b);
    }
    return d;
}

struct SyncDaemons::Impl {
    struct SockDeleter {
        void operator()(nl_sock* s) const { nl_socket_free(s); }
    };
    std::unique_ptr<nl_sock, SockDeleter> sock;
    int family = 0;

    // The kernel's errno, 0 when it accepted.
    Result<int> request(Result<NlMsg> msg) {
        if (!msg) return std::unexpected(msg.error());
        return genl::transact(sock.get(), std::move(*msg));
    }
};

SyncDaemons::SyncDaemons(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SyncDaemons::~SyncDaemons() {
    for (SyncRole r : {sync_master, sync_backup})
        if (running_ & r) (void)impl_->request(encode_del_daemon(impl_->family, r));
}

Result<std::unique_ptr<SyncDaemons>> SyncDaemons::open() {
    auto impl = std::make_unique<Impl>();
    impl->sock.reset(nl_socket_alloc());
    if (!impl->sock) return fail("netlink: out of memory");
    if (int e = genl_connect(impl->sock.get()); e < 0)
        return fail(fmt::format("netlink: cannot connect: {}", nl_geterror(e)));
    impl->family = genl_ctrl_resolve(impl->sock.get(), IPVS_GENL_NAME);
    if (impl->family < 0) return fail(std::string(ipvs_unavailable));
    return std::make_unique<SyncDaemons>(std::move(impl));
}

Result<void> SyncDaemons::set(const SyncDaemonConfig& config, unsigned want) {
    for (const auto& step : sync_steps(running_, want, !(config == config_))) {
        if (!step.start) {
            auto err = impl_->request(encode_del_daemon(impl_->family, step.role));
            if (!err) return std::unexpected(err.error());
            // ESRCH: it had already stopped (the interface went away, another tool stopped it).
            if (*err && *err != ESRCH)
                return fail(fmt::format("cannot stop the {} sync daemon: {}", to_string(step.role),
                                        std::strerror(*err)));
            running_ &= ~unsigned(step.role);
            continue;
        }
        auto err = impl_->request(encode_new_daemon(impl_->family, step.role, config));
        // One left by an earlier run (a crash, another director tool): replace it.
        if (err && *err == EEXIST) {
            (void)impl_->request(encode_del_daemon(impl_->family, step.role));
            err = impl_->request(encode_new_daemon(impl_->family, step.role, config));
        }
        if (!err) return std::unexpected(err.error());
        if (*err)
            return fail(fmt::format("cannot start the {} sync daemon on {} (syncid {}): {}",
                                    to_string(step.role), config.interface, config.sync_id,
                                    std::strerror(*err)));
        running_ |= step.role;
    }
    config_ = config;
    return {};
}

Result<std::vector<SyncDaemonState>> SyncDaemons::read() {
    auto req = encode_get_daemons(impl_->family);
    if (!req) return std::unexpected(req.error());
    return genl::dump<SyncDaemonState>(impl_->sock.get(), std::move(*req), decode_daemon);
}

}  // namespace vigil::ipvs
