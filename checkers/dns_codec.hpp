// DNS_CHECK wire format without sockets: the query keepalived sends and the reply checks.
#pragma once

#include <vigil/checkers/parse.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace vigil::checkers {

// A recursive query for (name, qtype, class IN); empty when the name is not encodable.
std::vector<std::uint8_t> encode_dns_query(std::uint16_t id, std::string_view name,
                                           std::uint16_t qtype);

enum class DnsReply { ok, too_short, wrong_id, not_response, error_rcode };

DnsReply check_dns_reply(std::span<const std::uint8_t> reply, std::uint16_t id);

}  // namespace vigil::checkers
