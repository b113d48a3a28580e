#include <gtest/gtest.h>

#include "vigil/ipvs/table.hpp"

using namespace vigil::ipvs;
namespace ip = boost::asio::ip;

namespace {

Service svc(const char* vip, std::uint16_t port, std::vector<std::pair<const char*, int>> dests) {
    Service s;
    s.id.address = ip::make_address(vip);
    s.id.port = port;
    for (auto [a, w] : dests)
        s.destinations.push_back({ip::make_address(a), 80, Forwarding::nat, w});
    return s;
}

std::vector<std::string> describe(const std::vector<Op>& ops) {
    std::vector<std::string> out;
    for (const auto& op : ops) {
        std::string line = to_string(op.kind) + " " + to_string(op.service.id);
        if (op.destination)
            line += " " + op.destination->address.to_string() + " w" +
                    std::to_string(op.destination->weight);
        out.push_back(line);
    }
    return out;
}

}  // namespace

TEST(Diff, EmptyToTable) {
    Table want{svc("10.0.0.1", 80, {{"10.0.1.1", 1}, {"10.0.1.2", 2}})};
    EXPECT_EQ(describe(diff(want, {})),
              (std::vector<std::string>{"add service TCP 10.0.0.1:80",
                                        "add destination TCP 10.0.0.1:80 10.0.1.1 w1",
                                        "add destination TCP 10.0.0.1:80 10.0.1.2 w2"}));
}

TEST(Diff, AddsBeforeRemovingAndDeletesServicesLast) {
    Table have{svc("10.0.0.1", 80, {{"10.0.1.1", 1}, {"10.0.1.2", 2}}),
               svc("10.0.0.2", 80, {{"10.0.1.1", 1}})};
    Table want{svc("10.0.0.1", 80, {{"10.0.1.2", 5}, {"10.0.1.3", 1}})};
    want[0].scheduler = "rr";
    EXPECT_EQ(
        describe(diff(want, have)),
        (std::vector<std::string>{
            "edit service TCP 10.0.0.1:80", "add destination TCP 10.0.0.1:80 10.0.1.3 w1",
            "edit destination TCP 10.0.0.1:80 10.0.1.2 w5",
            "delete destination TCP 10.0.0.1:80 10.0.1.1 w1", "delete service TCP 10.0.0.2:80"}));
}

TEST(Diff, SameTablesGiveNothingAndApplyOpsConverges) {
    Table have{svc("10.0.0.1", 80, {{"10.0.1.1", 1}}), svc("10.0.0.3", 81, {{"10.0.1.9", 1}})};
    Table want{svc("10.0.0.1", 80, {{"10.0.1.2", 3}, {"10.0.1.1", 0}}),
               svc("10.0.0.2", 80, {{"10.0.1.5", 1}})};
    normalize(want);
    EXPECT_TRUE(diff(want, want).empty());
    Table t = have;
    apply_ops(t, diff(want, have));
    EXPECT_EQ(t, want);
}

TEST(Diff, ForwardingChangeIsAnEdit) {
    Table have{svc("10.0.0.1", 80, {{"10.0.1.1", 1}})};
    Table want = have;
    want[0].destinations[0].forwarding = Forwarding::dr;
    auto ops = diff(want, have);
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0].kind, OpKind::edit_destination);
}

TEST(Diff, FwmarkAndFamiliesAreDistinctServices) {
    Service a;
    a.id.fwmark = 1;
    Service b = a;
    b.id.ipv6 = true;
    Table t{b, a, svc("2001:db8::1", 80, {}), svc("10.0.0.1", 80, {})};
    normalize(t);
    ASSERT_EQ(t.size(), 4u);
    EXPECT_EQ(to_string(t[0].id), "TCP 10.0.0.1:80");
    EXPECT_EQ(to_string(t[1].id), "TCP [2001:db8::1]:80");
    EXPECT_EQ(to_string(t[2].id), "FWM 1");
    EXPECT_EQ(to_string(t[3].id), "FWM 1 IPv6");
}

TEST(RunOps, GoesOnPastARefusedServiceAndSkipsOnlyItsDestinations) {
    Table want = {svc("10.0.0.1", 80, {{"10.0.1.1", 1}, {"10.0.1.2", 1}}),
                  svc("10.0.0.2", 80, {{"10.0.1.1", 1}}), svc("10.0.0.3", 80, {{"10.0.1.9", 1}})};
    want[0].scheduler = "twos";
    auto ops = diff(want, {});
    std::vector<std::string> sent;
    auto refused = run_ops(ops, [&](const Op& op) -> Result<void> {
        sent.push_back(to_string(op.kind) + " " + to_string(op.service.id) +
                       (op.destination ? " " + op.destination->address.to_string() : ""));
        if (op.kind == OpKind::add_service && op.service.scheduler == "twos")
            return fail("No such file or directory");
        if (op.destination && op.destination->address.to_string() == "10.0.1.9")
            return fail("Numerical result out of range");
        return {};
    });
    EXPECT_EQ(sent, (std::vector<std::string>{
                        "add service TCP 10.0.0.1:80", "add service TCP 10.0.0.2:80",
                        "add destination TCP 10.0.0.2:80 10.0.1.1", "add service TCP 10.0.0.3:80",
                        "add destination TCP 10.0.0.3:80 10.0.1.9"}));
    ASSERT_EQ(refused.size(), 2u);
    EXPECT_EQ(to_string(refused[0]), "add service TCP 10.0.0.1:80: No such file or directory");
    EXPECT_EQ(to_string(refused[1]),
              "add destination TCP 10.0.0.3:80 -> 10.0.1.9:80: Numerical result out of range");
}
