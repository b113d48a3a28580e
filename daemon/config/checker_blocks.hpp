// The checker blocks of a real server (TCP_CHECK, HTTP_GET/SSL_GET, MISC_CHECK, DNS_CHECK,
// SMTP_CHECK, UDP_CHECK, PING_CHECK, FILE_CHECK, BFD_CHECK): one keyword table per kind, and
// the checker parameters a virtual or real server gives all its checkers.
#pragma once

#include "config/context.hpp"

#include <string_view>

namespace vigil::config {

// Checker parameters a virtual_server or real_server may set for its checkers.
struct CheckDefaults {
    std::optional<checkers::Duration> delay_loop, connect_timeout, delay_before_retry, warmup;
    std::optional<unsigned> retry;
    std::string virtualhost;  // a real_server's default Host for its HTTP checks
};

// delay_loop, connect_timeout, delay_before_retry, warmup, retry (nb_get_retry) into D; false
// when N is none of them.
bool check_default(Ctx& c, const Node& n, CheckDefaults& d);

// Where a checker block is: its virtual and real server, and their defaults.
struct CheckSite {
    ipvs::VirtualServerConfig& vs;
    std::size_t vs_index;
    ipvs::RealServerConfig* rs;
    std::size_t rs_index;
    const CheckDefaults& vs_def;
    const CheckDefaults& rs_def;
};

bool is_checker(std::string_view keyword);
// One checker block (N's keyword is_checker) into c.cfg.checks (or c.cfg.bfd_checks).
void check_block(Ctx& c, const Node& n, CheckSite& site);

}  // namespace vigil::config
