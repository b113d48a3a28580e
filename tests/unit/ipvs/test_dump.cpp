#include <gtest/gtest.h>
#include <linux/ip_vs.h>

#include "vigil/ipvs/dump.hpp"

using namespace vigil::ipvs;
namespace ip = boost::asio::ip;

TEST(Dump, IpvsadmSaveStyle) {
    Service a;
    a.id.address = ip::make_address("10.0.0.1");
    a.id.port = 80;
    a.scheduler = "wlc";
    a.flags = IP_VS_SVC_F_PERSISTENT;
    a.timeout = 300;
    a.destinations = {{ip::make_address("10.0.1.1"), 80, Forwarding::dr, 1, 0, 0},
                      {ip::make_address("10.0.1.2"), 8080, Forwarding::nat, 3, 100, 10},
                      {ip::make_address("10.0.1.3"), 80, Forwarding::tun, 0, 0, 0}};
    Service u;
    u.id.address = ip::make_address("2001:db8::1");
    u.id.port = 53;
    u.id.protocol = Protocol::udp;
    u.scheduler = "sh";
    u.flags = IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_SCHED_SH_PORT | IP_VS_SVC_F_ONEPACKET;
    u.timeout = 60;
    u.prefix = 64;
    u.destinations = {{ip::make_address("2001:db8::2"), 53, Forwarding::nat, 1, 0, 0}};
    Service f;
    f.id.fwmark = 7;
    f.scheduler = "rr";
    f.prefix = 24;  // no persistence: the netmask is not printed
    f.destinations = {{ip::make_address("10.0.2.1"), 0, Forwarding::dr, 2, 0, 0}};
    Service p;
    p.id.address = ip::make_address("10.0.0.2");
    p.id.port = 443;
    p.id.protocol = Protocol::sctp;
    p.scheduler = "rr";
    p.flags = IP_VS_SVC_F_PERSISTENT;
    p.timeout = 30;
    p.prefix = 24;
    EXPECT_EQ(dump_ipvsadm({a, u, f, p}),
              "-A -t 10.0.0.1:80 -s wlc -p 300\n"
              "-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 1\n"
              "-a -t 10.0.0.1:80 -r 10.0.1.2:8080 -m -w 3 -x 100 -y 10\n"
              "-a -t 10.0.0.1:80 -r 10.0.1.3:80 -i -w 0\n"
              "-A -u [2001:db8::1]:53 -s sh -b sh-port -p 60 -M 64 -o\n"
              "-a -u [2001:db8::1]:53 -r [2001:db8::2]:53 -m -w 1\n"
              "-A -f 7 -s rr\n"
              "-a -f 7 -r 10.0.2.1:0 -g -w 2\n"
              "-A --sctp-service 10.0.0.2:443 -s rr -p 30 -M 255.255.255.0\n");
}
