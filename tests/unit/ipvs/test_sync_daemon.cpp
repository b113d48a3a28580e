// The sync-daemon messages, read back attribute by attribute against linux/ip_vs.h, and the
// order in which daemons are switched.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/ip_vs.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <array>
#include <cstring>

#include "vigil/ipvs/sync_daemon.hpp"

using namespace vigil::ipvs;
namespace ip = boost::asio::ip;

namespace {

constexpr int kFamily = 0x2b;

struct Parsed {
    int cmd = -1;
    int nl_type = -1;
    int nl_flags = 0;
    std::array<nlattr*, IPVS_DAEMON_ATTR_MAX + 1> d{};
};

Parsed parse(nl_msg* msg) {
    static nla_policy top[IPVS_CMD_ATTR_MAX + 1] = {};
    static nla_policy dmn[IPVS_DAEMON_ATTR_MAX + 1] = {};
    top[IPVS_CMD_ATTR_DAEMON].type = NLA_NESTED;
    dmn[IPVS_DAEMON_ATTR_STATE].type = NLA_U32;
    dmn[IPVS_DAEMON_ATTR_MCAST_IFN].type = NLA_STRING;
    dmn[IPVS_DAEMON_ATTR_SYNC_ID].type = NLA_U32;
    dmn[IPVS_DAEMON_ATTR_SYNC_MAXLEN].type = NLA_U16;
    dmn[IPVS_DAEMON_ATTR_MCAST_PORT].type = NLA_U16;
    dmn[IPVS_DAEMON_ATTR_MCAST_TTL].type = NLA_U8;
    Parsed p;
    nlmsghdr* h = nlmsg_hdr(msg);
    p.nl_type = h->nlmsg_type;
    p.nl_flags = h->nlmsg_flags;
    p.cmd = genlmsg_hdr(h)->cmd;
    nlattr* t[IPVS_CMD_ATTR_MAX + 1] = {};
    EXPECT_EQ(genlmsg_parse(h, 0, t, IPVS_CMD_ATTR_MAX, top), 0);
    if (t[IPVS_CMD_ATTR_DAEMON]) {
        EXPECT_EQ(nla_parse_nested(p.d.data(), IPVS_DAEMON_ATTR_MAX, t[IPVS_CMD_ATTR_DAEMON], dmn),
                  0);
    }
    return p;
}

SyncDaemonConfig full() {
    SyncDaemonConfig c;
    c.interface = "eth1";
    c.sync_id = 51;
    c.maxlen = 1400;
    c.port = 8849;
    c.ttl = 3;
    c.group = ip::make_address("224.0.0.90");
    return c;
}

}  // namespace

TEST(SyncDaemonCodec, NewDaemonCarriesEveryAttribute) {
    auto msg = encode_new_daemon(kFamily, sync_master, full());
    ASSERT_TRUE(msg) << msg.error().message;
    auto p = parse(msg->get());
    EXPECT_EQ(p.nl_type, kFamily);
    EXPECT_EQ(p.cmd, IPVS_CMD_NEW_DAEMON);
    ASSERT_TRUE(p.d[IPVS_DAEMON_ATTR_STATE]);
    EXPECT_EQ(nla_get_u32(p.d[IPVS_DAEMON_ATTR_STATE]), IP_VS_STATE_MASTER);
    EXPECT_STREQ(nla_get_string(p.d[IPVS_DAEMON_ATTR_MCAST_IFN]), "eth1");
    EXPECT_EQ(nla_get_u32(p.d[IPVS_DAEMON_ATTR_SYNC_ID]), 51u);
    EXPECT_EQ(nla_get_u16(p.d[IPVS_DAEMON_ATTR_SYNC_MAXLEN]), 1400);
    // Host order: the kernel applies htons itself.
    EXPECT_EQ(nla_get_u16(p.d[IPVS_DAEMON_ATTR_MCAST_PORT]), 8849);
    EXPECT_EQ(nla_get_u8(p.d[IPVS_DAEMON_ATTR_MCAST_TTL]), 3);
    ASSERT_TRUE(p.d[IPVS_DAEMON_ATTR_MCAST_GROUP]);
    ASSERT_EQ(nla_len(p.d[IPVS_DAEMON_ATTR_MCAST_GROUP]), 4);
    in_addr group{};
    std::memcpy(&group, nla_data(p.d[IPVS_DAEMON_ATTR_MCAST_GROUP]), 4);
    EXPECT_EQ(group.s_addr, inet_addr("224.0.0.90"));
    EXPECT_FALSE(p.d[IPVS_DAEMON_ATTR_MCAST_GROUP6]);
}

TEST(SyncDaemonCodec, DefaultsAreLeftToTheKernel) {
    SyncDaemonConfig c;
    c.interface = "eth0";
    auto msg = encode_new_daemon(kFamily, sync_backup, c);
    ASSERT_TRUE(msg);
    auto p = parse(msg->get());
    EXPECT_EQ(nla_get_u32(p.d[IPVS_DAEMON_ATTR_STATE]), IP_VS_STATE_BACKUP);
    EXPECT_EQ(nla_get_u32(p.d[IPVS_DAEMON_ATTR_SYNC_ID]), 0u);
    for (int a :
         {IPVS_DAEMON_ATTR_SYNC_MAXLEN, IPVS_DAEMON_ATTR_MCAST_PORT, IPVS_DAEMON_ATTR_MCAST_TTL,
          IPVS_DAEMON_ATTR_MCAST_GROUP, IPVS_DAEMON_ATTR_MCAST_GROUP6})
        EXPECT_FALSE(p.d[a]) << a;
}

TEST(SyncDaemonCodec, Ipv6GroupAndBadRequests) {
    auto c = full();
    c.group = ip::make_address("ff02::1:5");
    auto msg = encode_new_daemon(kFamily, sync_backup, c);
    ASSERT_TRUE(msg);
    auto p = parse(msg->get());
    ASSERT_TRUE(p.d[IPVS_DAEMON_ATTR_MCAST_GROUP6]);
    EXPECT_EQ(nla_len(p.d[IPVS_DAEMON_ATTR_MCAST_GROUP6]), 16);
    EXPECT_EQ(std::memcmp(nla_data(p.d[IPVS_DAEMON_ATTR_MCAST_GROUP6]),
                          c.group->to_v6().to_bytes().data(), 16),
              0);
    EXPECT_FALSE(p.d[IPVS_DAEMON_ATTR_MCAST_GROUP]);

    EXPECT_FALSE(encode_new_daemon(kFamily, sync_none, full()));
    c.interface = "sixteen_chars_xx";  // IP_VS_IFNAME_MAXLEN includes the NUL
    EXPECT_FALSE(encode_new_daemon(kFamily, sync_master, c));
    c.interface.clear();
    EXPECT_FALSE(encode_new_daemon(kFamily, sync_master, c));
}

TEST(SyncDaemonCodec, DelAndGet) {
    auto del = encode_del_daemon(kFamily, sync_backup);
    ASSERT_TRUE(del);
    auto p = parse(del->get());
    EXPECT_EQ(p.cmd, IPVS_CMD_DEL_DAEMON);
    EXPECT_EQ(nla_get_u32(p.d[IPVS_DAEMON_ATTR_STATE]), IP_VS_STATE_BACKUP);
    EXPECT_FALSE(p.d[IPVS_DAEMON_ATTR_MCAST_IFN]);
    auto get = encode_get_daemons(kFamily);
    ASSERT_TRUE(get);
    auto g = parse(get->get());
    EXPECT_EQ(g.cmd, IPVS_CMD_GET_DAEMON);
    EXPECT_TRUE(g.nl_flags & NLM_F_DUMP);
}

// A GET_DAEMON answer as the kernel writes it (ip_vs_genl_fill_daemon).
TEST(SyncDaemonCodec, DecodesTheKernelsAnswer) {
    NlMsg msg(nlmsg_alloc());
    ASSERT_TRUE(genlmsg_put(msg.get(), 0, 0, kFamily, 0, 0, IPVS_CMD_NEW_DAEMON, 1));
    nlattr* nest = nla_nest_start(msg.get(), IPVS_CMD_ATTR_DAEMON);
    nla_put_u32(msg.get(), IPVS_DAEMON_ATTR_STATE, IP_VS_STATE_BACKUP);
    nla_put_string(msg.get(), IPVS_DAEMON_ATTR_MCAST_IFN, "br0");
    nla_put_u32(msg.get(), IPVS_DAEMON_ATTR_SYNC_ID, 200);
    nla_put_u16(msg.get(), IPVS_DAEMON_ATTR_SYNC_MAXLEN, 1472);
    nla_put_u16(msg.get(), IPVS_DAEMON_ATTR_MCAST_PORT, 8848);
    nla_put_u8(msg.get(), IPVS_DAEMON_ATTR_MCAST_TTL, 1);
    const in_addr group{inet_addr("224.0.0.81")};
    nla_put(msg.get(), IPVS_DAEMON_ATTR_MCAST_GROUP, 4, &group);
    nla_nest_end(msg.get(), nest);
    auto d = decode_daemon(msg.get());
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->role, sync_backup);
    EXPECT_EQ(d->config.interface, "br0");
    EXPECT_EQ(d->config.sync_id, 200u);
    EXPECT_EQ(d->config.maxlen, 1472);
    EXPECT_EQ(d->config.port, 8848);
    EXPECT_EQ(d->config.ttl, 1);
    EXPECT_EQ(d->config.group, ip::make_address("224.0.0.81"));

    NlMsg empty(nlmsg_alloc());
    ASSERT_TRUE(genlmsg_put(empty.get(), 0, 0, kFamily, 0, 0, IPVS_CMD_NEW_DAEMON, 1));
    EXPECT_FALSE(decode_daemon(empty.get()));
}

TEST(SyncSteps, StopsBeforeStartsAndKeepsWhatStays) {
    using S = std::vector<SyncStep>;
    EXPECT_EQ(sync_steps(sync_none, sync_backup, false), (S{{true, sync_backup}}));
    // keepalived's switch to MASTER: stop the backup, start the master.
    EXPECT_EQ(sync_steps(sync_backup, sync_master, false),
              (S{{false, sync_backup}, {true, sync_master}}));
    EXPECT_EQ(sync_steps(sync_master, sync_backup, false),
              (S{{false, sync_master}, {true, sync_backup}}));
    EXPECT_EQ(sync_steps(sync_master, sync_master, false), S{});
    EXPECT_EQ(sync_steps(sync_master, sync_master, true),
              (S{{false, sync_master}, {true, sync_master}}));
    EXPECT_EQ(sync_steps(sync_master | sync_backup, sync_none, false),
              (S{{false, sync_backup}, {false, sync_master}}));
    EXPECT_EQ(sync_steps(sync_backup, sync_master | sync_backup, false), (S{{true, sync_master}}));
}
