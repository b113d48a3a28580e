// Test helper: applies a table described in JSON through the nftables backend.
//   vigil-nft-apply --table NAME FILE.json    apply (one transaction)
//   vigil-nft-apply --table NAME --flush      remove the table
//   vigil-nft-apply --print FILE.json         print the transaction, apply nothing
//   vigil-nft-apply --ipvs                    try the IPVS backend (prints its error)
//   vigil-nft-apply --cut PROTO VIP PORT RIP RPORT
//                                             runs the conntrack command that cuts the flows
//                                             of one destination (conntrack_flush_argv)
// JSON: [{"vip": "10.0.0.1", "port": 80, "proto": "tcp", "sched": "wrr", "persist": 0,
//         "fwmark": 0, "dests": [{"addr": "10.0.1.1", "port": 80, "weight": 1}]}]
#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "vigil/ipvs/ipvs_netlink.hpp"
#include "vigil/ipvs/nftables.hpp"

using namespace vigil::ipvs;

namespace {

Table load(const std::string& path) {
    std::ifstream in(path);
    auto j = nlohmann::json::parse(in);
    Table t;
    for (const auto& s : j) {
        Service svc;
        svc.id.fwmark = s.value("fwmark", 0u);
        if (!svc.id.fwmark)
            svc.id.address = boost::asio::ip::make_address(s.at("vip").get<std::string>());
        svc.id.port = s.value("port", 0);
        const std::string proto = s.value("proto", "tcp");
        svc.id.protocol = proto == "udp"    ? Protocol::udp
                          : proto == "sctp" ? Protocol::sctp
                                            : Protocol::tcp;
        svc.scheduler = s.value("sched", "wrr");
        svc.timeout = s.value("persist", 0u);
        if (svc.timeout) svc.flags |= 1;
        svc.prefix = svc.id.is_ipv6() ? 128 : 32;
        for (const auto& d : s.at("dests"))
            svc.destinations.push_back(
                {boost::asio::ip::make_address(d.at("addr").get<std::string>()),
                 d.value("port", std::uint16_t{0}), Forwarding::nat, d.value("weight", 1), 0, 0});
        t.push_back(std::move(svc));
    }
    normalize(t);
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    NftablesOptions o;
    std::string file;
    bool flush = false, print = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--table" && i + 1 < argc) {
            o.table = argv[++i];
        } else if (a == "--flush") {
            flush = true;
        } else if (a == "--print") {
            print = true;
        } else if (a == "--cut" && i + 5 < argc) {
            ServiceId id;
            const std::string proto = argv[i + 1];
            id.protocol = proto == "udp" ? Protocol::udp : Protocol::tcp;
            id.address = boost::asio::ip::make_address(argv[i + 2]);
            id.port = static_cast<std::uint16_t>(std::stoi(argv[i + 3]));
            Destination d{boost::asio::ip::make_address(argv[i + 4]),
                          static_cast<std::uint16_t>(std::stoi(argv[i + 5])),
                          Forwarding::nat,
                          1,
                          0,
                          0};
            auto args = conntrack_flush_argv(id, d);
            std::vector<char*> cargs;
            for (auto& s : args) cargs.push_back(s.data());
            cargs.push_back(nullptr);
            ::execvp(cargs[0], cargs.data());
            std::perror("execvp");
            return 127;
        } else if (a == "--ipvs") {
            auto r = IpvsNetlink::open();
            if (r) return std::puts("ipvs available"), 0;
            std::cerr << r.error().message << "\n";
            return 2;
        } else {
            file = a;
        }
    }
    try {
        if (print) {
            std::cout << render_nftables(load(file), o).text;
            return 0;
        }
        auto nft = Nftables::open(o);
        if (!nft) return std::cerr << nft.error().message << "\n", 1;
        auto ok = flush ? (*nft)->flush() : (*nft)->apply(load(file));
        if (!ok) return std::cerr << ok.error().message << "\n", 1;
        for (const auto& w : (*nft)->last_warnings()) std::cerr << "warning: " << w << "\n";
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
