#include "vigil/ipvs/dataplane.hpp"

#include <fmt/format.h>

#include "vigil/ipvs/ipvs_netlink.hpp"
#include "vigil/ipvs/nftables.hpp"

namespace vigil::ipvs {

namespace {

Result<std::unique_ptr<DataPlane>> open_nftables(const Config& config) {
    NftablesOptions o;
    o.table = config.nft_table;
    auto nft = Nftables::open(std::move(o));
    if (!nft) return std::unexpected(nft.error());
    return std::unique_ptr<DataPlane>(std::move(*nft));
}

}  // namespace

Result<std::unique_ptr<DataPlane>> make_dataplane(const Config& config, const LogFn& log) {
    switch (config.backend) {
        case Backend::nftables:
            return open_nftables(config);
        case Backend::ipvs: {
            auto ipvs = IpvsNetlink::open();
            if (!ipvs) return std::unexpected(ipvs.error());
            return std::unique_ptr<DataPlane>(std::move(*ipvs));
        }
        case Backend::automatic:
            break;
    }
    auto ipvs = IpvsNetlink::open();
    if (ipvs) return std::unique_ptr<DataPlane>(std::move(*ipvs));
    if (log)
        log(
            fmt::format("IPVS not available in this kernel; load balancing with nftables "
                        "(table inet {})",
                        config.nft_table));
    return open_nftables(config);
}

}  // namespace vigil::ipvs
