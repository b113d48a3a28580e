#include "vigil/common/nft_context.hpp"

// For the functions' types only: the library is never linked.
#include <nftables/libnftables.h>

#include "vigil/common/shared_library.hpp"

namespace vigil {

struct NftContext::Api {
    struct Free {
        decltype(&::nft_ctx_free) fn;
        void operator()(nft_ctx* ctx) const { fn(ctx); }
    };
    explicit Api(SharedLibrary l) : lib(std::move(l)) {}

    SharedLibrary lib;
    decltype(&::nft_ctx_new) ctx_new = nullptr;
    decltype(&::nft_ctx_free) ctx_free = nullptr;
    decltype(&::nft_ctx_set_dry_run) set_dry_run = nullptr;
    decltype(&::nft_ctx_buffer_output) buffer_output = nullptr;
    decltype(&::nft_ctx_buffer_error) buffer_error = nullptr;
    decltype(&::nft_ctx_get_output_buffer) get_output_buffer = nullptr;
    decltype(&::nft_ctx_get_error_buffer) get_error_buffer = nullptr;
    decltype(&::nft_run_cmd_from_buffer) run_cmd_from_buffer = nullptr;
    std::unique_ptr<nft_ctx, Free> ctx{nullptr, Free{nullptr}};  // last: freed first
};

namespace {

template <class F>
std::expected<void, std::string> resolve(const SharedLibrary& lib, const char* name, F*& out) {
    auto f = lib.function<F>(name);
    if (!f) return std::unexpected(std::move(f.error()));
    out = *f;
    return {};
}

}  // namespace

std::expected<NftContext, std::string> NftContext::open(bool dry_run, const std::string& library) {
    auto lib = SharedLibrary::open(library);
    if (!lib)
        return std::unexpected("nftables: cannot load " + library +
                               " (install libnftables1): " + lib.error());
    auto api = std::make_unique<Api>(std::move(*lib));
    for (auto r : {resolve(api->lib, "nft_ctx_new", api->ctx_new),
                   resolve(api->lib, "nft_ctx_free", api->ctx_free),
                   resolve(api->lib, "nft_ctx_set_dry_run", api->set_dry_run),
                   resolve(api->lib, "nft_ctx_buffer_output", api->buffer_output),
                   resolve(api->lib, "nft_ctx_buffer_error", api->buffer_error),
                   resolve(api->lib, "nft_ctx_get_output_buffer", api->get_output_buffer),
                   resolve(api->lib, "nft_ctx_get_error_buffer", api->get_error_buffer),
                   resolve(api->lib, "nft_run_cmd_from_buffer", api->run_cmd_from_buffer)})
        if (!r) return std::unexpected("nftables: " + r.error());
    api->ctx = std::unique_ptr<nft_ctx, Api::Free>(api->ctx_new(NFT_CTX_DEFAULT),
                                                   Api::Free{api->ctx_free});
    if (!api->ctx) return std::unexpected(std::string("nftables: cannot create a context"));
    if (api->buffer_output(api->ctx.get()) != 0 || api->buffer_error(api->ctx.get()) != 0)
        return std::unexpected(std::string("nftables: cannot buffer output"));
    api->set_dry_run(api->ctx.get(), dry_run);
    return NftContext(std::move(api));
}

NftContext::NftContext(std::unique_ptr<Api> api) : api_(std::move(api)) {}
NftContext::NftContext(NftContext&&) noexcept = default;
NftContext& NftContext::operator=(NftContext&&) noexcept = default;
NftContext::~NftContext() = default;

std::expected<void, std::string> NftContext::run(const std::string& commands) {
    const int rc = api_->run_cmd_from_buffer(api_->ctx.get(), commands.c_str());
    std::string err = api_->get_error_buffer(api_->ctx.get());
    api_->get_output_buffer(api_->ctx.get());  // drain
    if (rc == 0) return {};
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return std::unexpected("nftables: " + (err.empty() ? std::string("command failed") : err));
}

}  // namespace vigil
