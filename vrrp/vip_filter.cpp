#include "vip_filter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace vigil::vrrp {

bool valid_filter_table_name(const std::string& t) {
    return !t.empty() && t.size() < 64 && std::isalpha(static_cast<unsigned char>(t[0])) &&
           std::all_of(t.begin(), t.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
           });
}

std::string render_filter_table(const std::string& t) {
    // priority -1: before the usual filter chains, as keepalived's own table.
    return fmt::format(
        "add table inet {0}\n"
        "delete table inet {0}\n"
        "table inet {0} {{\n"
        "  set vips4 {{ type ipv4_addr; }}\n"
        "  set vips6 {{ type ipv6_addr; }}\n"
        "  chain in {{\n"
        "    type filter hook prerouting priority -1; policy accept;\n"
        "    meta l4proto 112 accept\n"
        "    icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert }} accept\n"
        "    ip daddr @vips4 drop\n"
        "    ip6 daddr @vips6 drop\n"
        "  }}\n"
        "  chain out {{\n"
        "    type filter hook output priority -1; policy accept;\n"
        "    meta l4proto 112 accept\n"
        "    icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert }} accept\n"
        "    ip saddr @vips4 drop\n"
        "    ip6 saddr @vips6 drop\n"
        "  }}\n"
        "}}\n",
        t);
}

std::string render_filter_element(const std::string& t, const Address& vip, bool add) {
    return fmt::format("{} element inet {} {} {{ {} }}\n", add ? "add" : "delete", t,
                       vip.is_v4() ? "vips4" : "vips6", vip.to_string());
}

std::string render_filter_delete(const std::string& t) {
    return fmt::format("delete table inet {}\n", t);
}

VipFilter::VipFilter(std::string table, NftContext ctx)
    : table_(std::move(table)), ctx_(std::move(ctx)) {}

std::expected<std::unique_ptr<VipFilter>, std::string> VipFilter::open(std::string table) {
    if (!valid_filter_table_name(table))
        return std::unexpected(fmt::format("invalid nftables table name '{}'", table));
    auto ctx = NftContext::open();
    if (!ctx) return std::unexpected(std::move(ctx.error()));
    std::unique_ptr<VipFilter> f(new VipFilter(std::move(table), std::move(*ctx)));
    if (auto r = f->ctx_.run(render_filter_table(f->table_)); !r) return std::unexpected(r.error());
    return f;
}

VipFilter::~VipFilter() {
    (void)ctx_.run(render_filter_delete(table_));
}

std::expected<void, std::string> VipFilter::block(const Address& vip) {
    if (blocked_[vip]++ > 0) return {};
    auto r = ctx_.run(render_filter_element(table_, vip, true));
    if (!r) blocked_.erase(vip);
    return r;
}

std::expected<void, std::string> VipFilter::unblock(const Address& vip) {
    auto it = blocked_.find(vip);
    if (it == blocked_.end()) return {};
    if (--it->second > 0) return {};
    blocked_.erase(it);
    return ctx_.run(render_filter_element(table_, vip, false));
}

}  // namespace vigil::vrrp
