// Test-only tool: sends or receives VRRP adverts through VrrpSocket in the current namespace.
//   vrrp_wire_tool send IFNAME VERSION(2|3) VRID PRIO INTERVAL_CS COUNT [pass=PW] VIP...
//   vrrp_wire_tool recv IFNAME v4|v6 SECONDS
//   vrrp_wire_tool engine IFNAME VERSION VRID PRIO INTERVAL_MS SECONDS VIP...
// engine runs a vrrp::Engine for one instance and prints "transition FROM TO" lines; SIGTERM
// stops it cleanly (priority-0 advert, VIPs removed), then it prints its status and exits.
// recv prints one line per datagram: "ok v=2 vrid=51 prio=100 int=100 auth=1 addrs=a,b src=S ttl=T"
// or "drop REASON src=S".
#include <ifaddrs.h>
#include <net/if.h>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "packet.hpp"
#include "socket.hpp"
#include "vigil/vrrp/engine.hpp"

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

int run_engine(asio::io_context& io, vigil::Clock& clock, int argc, char** argv) {
    if (argc < 9) return 2;
    InstanceConfig c;
    c.name = "VI_1";
    c.interface = argv[2];
    c.version = std::stoi(argv[3]);
    c.vrid = static_cast<std::uint8_t>(std::stoi(argv[4]));
    c.priority = static_cast<std::uint8_t>(std::stoi(argv[5]));
    c.advert_interval = std::chrono::milliseconds(std::stoi(argv[6]));
    const int seconds = std::stoi(argv[7]);
    for (int i = 8; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "vmac" || arg == "xmit_base" || arg == "strict" || arg == "accept") {
            (arg == "vmac"        ? c.use_vmac
             : arg == "xmit_base" ? c.vmac_xmit_base
             : arg == "strict"    ? c.strict
                                  : c.accept) = true;
            continue;
        }
        if (arg.rfind("pass=", 0) == 0) {
            c.auth = InstanceConfig::Auth::pass;
            c.auth_pass = arg.substr(5);
            continue;
        }
        VirtualAddress v;
        v.address = asio::ip::make_address(arg);
        v.prefix_len = v.address.is_v6() ? 64 : 24;
        c.ipv6 = v.address.is_v6();
        c.vips.push_back(v);
    }
    Config config;
    config.instances.push_back(c);
    Hooks hooks;
    hooks.on_transition = [](const TransitionEvent& e) {
        const auto now = std::chrono::steady_clock::now().time_since_epoch();
        std::printf("transition %s %s prio=%d at=%.6f\n", std::string(to_string(e.from)).c_str(),
                    std::string(to_string(e.to)).c_str(), e.priority,
                    std::chrono::duration<double>(now).count());
        std::fflush(stdout);
    };
    hooks.log = [](LogLevel, std::string msg) {
        std::printf("log %s\n", msg.c_str());
        std::fflush(stdout);
    };
    Engine engine(io, clock, hooks);
    if (auto r = engine.start(config); !r) {
        std::fprintf(stderr, "%s\n", r.error().c_str());
        return 1;
    }
    bool stopping = false;
    auto stop = [&] {
        if (std::exchange(stopping, true)) return;
        engine.stop([&] {
            std::printf("stopped\n");
            std::fflush(stdout);
            io.stop();
        });
    };
    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) stop();
    });
    asio::steady_timer limit(io, std::chrono::seconds(seconds));
    limit.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) stop();
    });
    io.run();
    for (const auto& s : engine.status().instances) {
        std::printf("status %s state=%s sent=%llu received=%llu zero_sent=%llu\n", s.name.c_str(),
                    std::string(to_string(s.state)).c_str(),
                    static_cast<unsigned long long>(s.adverts_sent),
                    static_cast<unsigned long long>(s.adverts_received),
                    static_cast<unsigned long long>(s.priority_zero_sent));
        for (const auto& [r, n] : s.drops)
            std::printf("drop %s %llu\n", r.c_str(), static_cast<unsigned long long>(n));
        for (const auto& [r, n] : s.errors)
            std::printf("error %s %llu\n", r.c_str(), static_cast<unsigned long long>(n));
    }
    return 0;
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
    vigil::AsioClock clock(io);
    if (mode == "engine") return run_engine(io, clock, argc, argv);
    if (mode == "recv") {
        const bool v6 = std::string(argv[3]) == "v6";
        SocketOptions o;
        o.key = {ifindex, v6, v6 ? kGroupV6 : kGroupV4};
        o.ifname = ifname;
        auto sock = VrrpSocket::open(io, clock, o);
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
    auto sock = VrrpSocket::open(io, clock, o);
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
