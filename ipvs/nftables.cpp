#include "vigil/ipvs/nftables.hpp"

#include <fmt/format.h>

#include <malloc.h>
#include <fstream>
#include <iterator>

namespace vigil::ipvs {

Nftables::Nftables(NftablesOptions options, NftContext ctx)
    : options_(std::move(options)), ctx_(std::move(ctx)) {}

Nftables::~Nftables() = default;

Result<std::unique_ptr<Nftables>> Nftables::open(NftablesOptions options) {
    if (!valid_table_name(options.table))
        return fail(fmt::format("invalid nftables table name '{}'", options.table));
    auto ctx = NftContext::open(options.dry_run);
    if (!ctx) return fail(std::move(ctx.error()));
    return std::unique_ptr<Nftables>(new Nftables(std::move(options), std::move(*ctx)));
}

Result<void> Nftables::run(const std::string& commands) {
    if (auto r = ctx_.run(commands); !r) return fail(std::move(r.error()));
    return {};
}

Result<void> Nftables::apply(const Table& desired) {
    Table sorted = desired;
    normalize(sorted);
    if (present_) {
        if (auto u = render_nftables_update(applied_, sorted, options_, chains_)) {
            // A failure says the kernel's table is not the one last applied (removed by
            // hand, or a dry run): recreate it whole below.
            if (u->text.empty() || run(u->text)) {
                if (!u->text.empty()) {
                    ++chain_applies_;
                    last_text_ = std::move(u->text);
                }
                for (auto& [i, w] : u->warnings) service_warnings_[i] = std::move(w);
                if (!u->warnings.empty()) {
                    last_warnings_.clear();
                    for (const auto& ws : service_warnings_)
                        last_warnings_.insert(last_warnings_.end(), ws.begin(), ws.end());
                }
                chains_.insert(u->new_chains.begin(), u->new_chains.end());
                applied_ = std::move(sorted);
                return {};
            }
        }
    }
    auto r = render_nftables(sorted, options_);
    if (auto ok = run(r.text); !ok) return ok;
    // libnftables keeps in its cache every element it just added (tens of megabytes at 50,000
    // servers) and later transactions read back only what they need: a fresh context forgets
    // them, and the pages freed with them go back to the system.
    if (auto fresh = NftContext::open(options_.dry_run)) ctx_ = std::move(*fresh);
    ::malloc_trim(0);
    std::vector<std::vector<std::string>> warnings;
    auto w = r.warnings.begin();
    for (auto n : r.warnings_of) {
        warnings.emplace_back(w, w + static_cast<std::ptrdiff_t>(n));
        w += static_cast<std::ptrdiff_t>(n);
    }
    ++full_applies_;
    last_text_ = std::move(r.text);
    last_warnings_ = std::move(r.warnings);
    service_warnings_ = std::move(warnings);
    chains_ = {r.chains.begin(), r.chains.end()};
    applied_ = std::move(sorted);
    present_ = true;
    return {};
}

Result<Table> Nftables::read() {
    if (options_.dry_run) return present_ ? applied_ : Table{};
    // The table is Vigil's alone: its presence says whether the last applied table is live.
    if (!ctx_.run(fmt::format("list table inet {}", options_.table))) return Table{};
    return present_ ? applied_ : Table{};
}

Result<LiveTable> Nftables::live() {
    std::string text;
    if (std::ifstream in(options_.conntrack_file); in) {
        // Bounded: a huge table costs one read of this size, never the loop's whole turn.
        text.resize(std::size_t{64} << 20);
        in.read(text.data(), std::streamsize(text.size()));
        text.resize(std::size_t(in.gcount()));
    }
    const auto counts = count_conntrack(text);
    LiveTable out;
    if (!present_) return out;
    for (const auto& s : applied_) {
        LiveService ls;
        ls.service = s;
        ls.service.destinations.clear();
        for (const auto& d : s.destinations) {
            LiveDestination ld;
            ld.destination = d;
            if (s.id.address) {
                auto it = counts.find(
                    conntrack_key(s.id.protocol, *s.id.address, s.id.port, d.address, d.port));
                if (it != counts.end()) {
                    ld.active = it->second.active;
                    ld.inactive = it->second.inactive;
                }
            }
            ls.destinations.push_back(ld);
        }
        out.push_back(std::move(ls));
    }
    return out;
}

Result<void> Nftables::flush() {
    if (auto ok = run(render_nftables_flush(options_)); !ok) return ok;
    applied_.clear();
    service_warnings_.clear();
    chains_.clear();
    present_ = false;
    return {};
}

}  // namespace vigil::ipvs
