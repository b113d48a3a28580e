#include "vip_filter.hpp"

#include <fmt/format.h>
#include <nftables/libnftables.h>

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

void VipFilter::CtxDeleter::operator()(nft_ctx* ctx) const {
    nft_ctx_free(ctx);
}

VipFilter::VipFilter(std::string table, std::unique_ptr<nft_ctx, CtxDeleter> ctx)
    : table_(std::move(table)), ctx_(std::move(ctx)) {}

std::expected<std::unique_ptr<VipFilter>, std::string> VipFilter::open(std::string table) {
    if (!valid_filter_table_name(table))
        return std::unexpected(fmt::format("invalid nftables table name '{}'", table));
    std::unique_ptr<nft_ctx, CtxDeleter> ctx(nft_ctx_new(NFT_CTX_DEFAULT));
    if (!ctx) return std::unexpected(std::string("nftables: cannot create a context"));
    if (nft_ctx_buffer_output(ctx.get()) != 0 || nft_ctx_buffer_error(ctx.get()) != 0)
        return std::unexpected(std::string("nftables: cannot buffer output"));
    std::unique_ptr<VipFilter> f(new VipFilter(std::move(table), std::move(ctx)));
    if (auto r = f->run(render_filter_table(f->table_)); !r) return std::unexpected(r.error());
    return f;
}

VipFilter::~VipFilter() {
    (void)run(render_filter_delete(table_));
}

std::expected<void, std::string> VipFilter::run(const std::string& commands) {
    const int rc = nft_run_cmd_from_buffer(ctx_.get(), commands.c_str());
    std::string err = nft_ctx_get_error_buffer(ctx_.get());
    nft_ctx_get_output_buffer(ctx_.get());  // drain
    if (rc == 0) return {};
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return std::unexpected(fmt::format("nftables: {}", err.empty() ? "command failed" : err));
}

std::expected<void, std::string> VipFilter::block(const Address& vip) {
    if (blocked_[vip]++ > 0) return {};
    auto r = run(render_filter_element(table_, vip, true));
    if (!r) blocked_.erase(vip);
    return r;
}

std::expected<void, std::string> VipFilter::unblock(const Address& vip) {
    auto it = blocked_.find(vip);
    if (it == blocked_.end()) return {};
    if (--it->second > 0) return {};
    blocked_.erase(it);
    return run(render_filter_element(table_, vip, false));
}

}  // namespace vigil::vrrp
