// Health checks at scale on loopback: 1,000 TCP and 1,000 HTTP real servers served by a second
// thread, checked by one Pool on this thread. Prints checks per second, CPU microseconds per
// check on the checking thread, and false verdicts (any checker seen down: none must be).
#include <benchmark/benchmark.h>
#include <time.h>

#include <boost/asio.hpp>
#include <deque>
#include <thread>

#include "vigil/checkers/pool.hpp"

using namespace vigil::checkers;
using boost::asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kResponse =
    "HTTP/1.0 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain\r\n\r\nhello world\n";

// Servers on their own thread and io_context.
class Farm {
  public:
    Farm(int count, bool http) : http_(http) {
        for (int i = 0; i < count; ++i) {
            acceptors_.emplace_back(io_,
                                    tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
            acceptors_.back().listen(1024);
            ports_.push_back(acceptors_.back().local_endpoint().port());
            accept(acceptors_.back());
        }
        thread_ = std::thread([this] { io_.run(); });
    }
    ~Farm() {
        io_.stop();
        thread_.join();
    }
    const std::vector<std::uint16_t>& ports() const { return ports_; }

  private:
    void accept(tcp::acceptor& a) {
        a.async_accept([this, &a](const boost::system::error_code& ec, tcp::socket s) {
            if (ec) return;
            if (http_) serve(std::make_shared<tcp::socket>(std::move(s)));
            accept(a);
        });
    }
    void serve(std::shared_ptr<tcp::socket> s) {
        auto buf = std::make_shared<std::array<char, 512>>();
        s->async_read_some(
            boost::asio::buffer(*buf), [s, buf](const boost::system::error_code& ec, std::size_t) {
                if (ec) return;
                boost::asio::async_write(*s, boost::asio::buffer(kResponse), [s](auto, auto) {});
            });
    }
    bool http_;
    boost::asio::io_context io_;
    std::deque<tcp::acceptor> acceptors_;
    std::vector<std::uint16_t> ports_;
    std::thread thread_;
};

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void run(benchmark::State& state, bool http) {
    const int servers = 1000;
    Farm farm(servers, http);
    boost::asio::io_context io;
    std::uint64_t false_verdicts = 0;
    Hooks hooks;
    hooks.on_state_change = [&](std::size_t, bool up, const CheckResult&) {
        if (!up) ++false_verdicts;
    };
    vigil::AsioClock clock(io);
    Pool pool(io, clock, hooks);
    for (auto port : farm.ports()) {
        CheckConfig c;
        c.target = boost::asio::ip::make_address("127.0.0.1");
        c.target_port = port;
        c.delay_loop = 50ms;  // 1,000 servers: 20,000 checks/s offered
        c.connect_timeout = 2s;
        c.retry = 0;
        if (http) {
            HttpCheck h;
            h.urls.emplace_back();
            c.kind = h;
        } else {
            c.kind = TcpCheck{};
        }
        pool.add(c);
    }
    io.run_for(300ms);  // warm-up: every checker has started
    auto probes = [&] {
        std::uint64_t n = 0;
        for (auto& s : pool.status()) n += s.counters.successes;
        for (auto& s : pool.status()) {
            for (auto f : s.counters.failures) n += f;
        }
        return n;
    };
    for (auto _ : state) {
        std::uint64_t before = probes();
        double cpu0 = thread_cpu_seconds();
        auto t0 = std::chrono::steady_clock::now();
        io.run_for(3s);
        double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        double cpu = thread_cpu_seconds() - cpu0;
        std::uint64_t done = probes() - before;
        state.counters["checks_per_s"] = static_cast<double>(done) / wall;
        state.counters["cpu_us_per_check"] = cpu * 1e6 / static_cast<double>(done ? done : 1);
        state.counters["cpu_s_per_1000_checks"] = cpu * 1000 / static_cast<double>(done ? done : 1);
        std::uint64_t failures = 0;
        for (auto& s : pool.status()) {
            for (auto f : s.counters.failures) failures += f;
        }
        state.counters["failed_probes"] = static_cast<double>(failures);
        state.counters["false_verdicts"] = static_cast<double>(false_verdicts);
    }
}

void BM_TcpChecks(benchmark::State& state) {
    run(state, false);
}
void BM_HttpChecks(benchmark::State& state) {
    run(state, true);
}

}  // namespace

BENCHMARK(BM_TcpChecks)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_HttpChecks)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK_MAIN();
