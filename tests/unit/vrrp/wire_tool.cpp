// Test-only tool: sends or receives VRRP adverts through VrrpSocket in the current namespace.
//   vrrp_wire_tool send IFNAME VERSION(2|3) VRID PRIO INTERVAL_CS COUNT [pass=PW] VIP...
//   vrrp_wire_tool recv IFNAME v4|v6 SECONDS
// recv prints one line per datagram: "ok v=2 vrid=51 prio=100 int=100 auth=1 addrs=a,b src=S ttl=T"
// or "drop REASON src=S".
#include <ifaddrs.h>
#include <net/if.h>

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "packet.hpp"
#include "socket.hpp"

using namespace vigil::vrrp;
namespace asio = boost::asio;

namespace {

std::optional<Address> source_of(const std::string& ifname, bool v6) {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return std::nullopt;
    std::optional<Address> out;
    for (auto* i = list; i && !out; i = i->ifa_next) {
        if (!i->ifa_addr || ifname != i->ifa_name) continue;
        if (!v6 && i->ifa_addr->sa_family == AF_INET) {
            auto* s = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
            asio::ip::address_v4::bytes_type b;
            std::memcpy(b.data(), &s->sin_addr, 4);
            out = asio::ip::address_v4(b);
        } else if (v6 && i->ifa_addr->sa_family == AF_INET6) {
            auto* s = reinterpret_cast<sockaddr_in6*>(i->ifa_addr);
            asio::ip::address_v6::bytes_type b;
            std::memcpy(b.data(), &s->sin6_addr, 16);
            asio::ip::address_v6 a(b);
            if (a.is_link_local()) out = a;
        }
    }
    freeifaddrs(list);
    return out;
}

int usage() {
    std::fprintf(stderr, "usage: vrrp_wire_tool send|recv ...\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5) return usage();
    const std::string mode = argv[1], ifname = argv[2];
    const int ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
    if (ifindex == 0) return usage();
    asio::io_context io;
    if (mode == "recv") {
        const bool v6 = std::string(argv[3]) == "v6";
        SocketOptions o;
        o.key = {ifindex, v6, v6 ? kGroupV6 : kGroupV4};
        o.ifname = ifname;
        auto sock = VrrpSocket::open(io, o);
        if (!sock) {
            std::fprintf(stderr, "%s\n", sock.error().c_str());
            return 1;
        }
        (*sock)->start([](const RawPacket& p) {
            auto a = decode(p.message, p.src, p.dst);
            if (!a) {
                std::printf("drop %s src=%s\n", std::string(to_string(a.error())).c_str(),
                            p.src.to_string().c_str());
            } else {
                std::string addrs;
                for (const auto& x : a->addresses)
                    addrs += (addrs.empty() ? "" : ",") + x.to_string();
                std::printf("ok v=%d vrid=%d prio=%d int=%d auth=%d addrs=%s src=%s ttl=%d\n",
                            a->version, a->vrid, a->priority, a->interval_cs,
                            static_cast<int>(a->auth_type), addrs.c_str(),
                            p.src.to_string().c_str(), p.ttl);
            }
            std::fflush(stdout);
        });
        io.run_for(std::chrono::seconds(std::stoi(argv[4])));
        return 0;
    }
    if (mode != "send" || argc < 9) return usage();
    Advert a;
    a.version = std::stoi(argv[3]);
    a.vrid = static_cast<std::uint8_t>(std::stoi(argv[4]));
    a.priority = static_cast<std::uint8_t>(std::stoi(argv[5]));
    a.interval_cs = static_cast<std::uint16_t>(std::stoi(argv[6]));
    const int count = std::stoi(argv[7]);
    bool v6 = false;
    for (int i = 8; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.rfind("pass=", 0) == 0) {
            a.auth_type = AuthType::pass;
            a.auth = pad_password(arg.substr(5));
            continue;
        }
        a.addresses.push_back(asio::ip::make_address(arg));
        v6 = a.addresses.back().is_v6();
    }
    auto src = source_of(ifname, v6);
    if (!src) {
        std::fprintf(stderr, "no source address on %s\n", ifname.c_str());
        return 1;
    }
    SocketOptions o;
    o.key = {ifindex, v6, v6 ? kGroupV6 : kGroupV4};
    o.ifname = ifname;
    auto sock = VrrpSocket::open(io, o);
    if (!sock) {
        std::fprintf(stderr, "%s\n", sock.error().c_str());
        return 1;
    }
    const auto dst = *o.key.group;
    const auto bytes = encode(a, *src, dst);
    for (int i = 0; i < count; ++i) {
        if (auto r = (*sock)->send(bytes, *src, dst); !r) {
            std::fprintf(stderr, "%s\n", r.error().c_str());
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(a.interval_cs * 10));
    }
    return 0;
}
