// Test driver: runs one checker of the pool for a while and prints each transition and every
// probe result as a line, for tests/integration/test_checkers*.py.
//   checkers_driver KIND IP PORT SECONDS [key=value ...]
// KIND: tcp http ssl misc dns smtp udp ping file. Keys: path, digest, status (e.g.
// 200-299,404), vhost, sni, retry, delay_loop_ms, retry_ms, timeout_ms, alpha, script
// (space-separated argv), dynamic, misc_timeout_ms, type, name, helo, default_helo, regex,
// regex_no_match, require_reply, reply (HEX_STR), payload (HEX_STR), file, weight, reverse,
// log_all. Log lines of the pool are printed as "LOG <level> <text>".
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/asio.hpp>
#include <cstdio>
#include <map>
#include <sstream>

#include "vigil/checkers/parse.hpp"
#include "vigil/checkers/pool.hpp"

extern char** environ;

using namespace vigil::checkers;
using namespace std::chrono;

namespace {

// posix_spawn + polling waitpid on a timer; SIGKILL after the timeout. Test use only.
struct Child : std::enable_shared_from_this<Child> {
    Child(boost::asio::io_context& io, pid_t p, steady_clock::time_point d, ScriptDone cb)
        : timer(io), pid(p), deadline(d), done(std::move(cb)) {}
    void poll() {
        int st = 0;
        if (waitpid(pid, &st, WNOHANG) == pid) return done(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
        if (steady_clock::now() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return done(-1);
        }
        timer.expires_after(2ms);
        timer.async_wait([self = shared_from_this()](auto) { self->poll(); });
    }
    boost::asio::steady_timer timer;
    pid_t pid;
    steady_clock::time_point deadline;
    ScriptDone done;
};

void run_script(boost::asio::io_context& io, const Command& cmd, microseconds timeout,
                ScriptDone done) {
    std::vector<char*> argv;
    for (auto& a : cmd.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
        boost::asio::post(io, [done] { done(-2); });
        return;
    }
    auto child = std::make_shared<Child>(io, pid, steady_clock::now() + timeout, std::move(done));
    boost::asio::post(io, [child] { child->poll(); });
}

std::vector<StatusRange> parse_status(const std::string& s) {
    std::vector<StatusRange> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) {
        auto dash = item.find('-');
        int lo = std::stoi(item.substr(0, dash));
        int hi = dash == std::string::npos ? lo : std::stoi(item.substr(dash + 1));
        out.push_back({lo, hi});
    }
    return out;
}

std::array<std::uint8_t, 16> parse_digest(const std::string& hex) {
    std::array<std::uint8_t, 16> d{};
    for (int i = 0; i < 16; ++i) d[i] = std::stoi(hex.substr(2 * i, 2), nullptr, 16);
    return d;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: %s KIND IP PORT SECONDS [key=value ...]\n", argv[0]);
        return 2;
    }
    std::string kind = argv[1];
    std::map<std::string, std::string> kv;
    for (int i = 5; i < argc; ++i) {
        std::string a = argv[i];
        auto eq = a.find('=');
        kv[a.substr(0, eq)] = eq == std::string::npos ? "1" : a.substr(eq + 1);
    }
    auto get = [&](const std::string& k, const std::string& def) {
        auto it = kv.find(k);
        return it == kv.end() ? def : it->second;
    };

    CheckConfig cfg;
    cfg.target = boost::asio::ip::make_address(argv[2]);
    cfg.target_port = static_cast<std::uint16_t>(std::stoi(argv[3]));
    cfg.warmup = Duration{0};
    cfg.delay_loop = milliseconds(std::stoi(get("delay_loop_ms", "200")));
    cfg.delay_before_retry = milliseconds(std::stoi(get("retry_ms", "50")));
    cfg.connect_timeout = milliseconds(std::stoi(get("timeout_ms", "500")));
    cfg.retry = static_cast<unsigned>(std::stoi(get("retry", "0")));
    cfg.alpha = kv.count("alpha") > 0;
    cfg.log_all_failures = kv.count("log_all") > 0;
    if (kind == "tcp") {
        cfg.kind = TcpCheck{};
    } else if (kind == "http" || kind == "ssl") {
        HttpCheck h;
        h.ssl = kind == "ssl";
        h.enable_sni = kv.count("sni") > 0;
        h.virtualhost = get("vhost", "");
        HttpUrl u;
        u.path = get("path", "/");
        if (kv.count("digest")) u.digest = parse_digest(kv["digest"]);
        if (kv.count("status")) u.status_codes = parse_status(kv["status"]);
        u.regex = get("regex", "");
        u.regex_no_match = kv.count("regex_no_match") > 0;
        h.urls.push_back(u);
        cfg.kind = h;
    } else if (kind == "misc") {
        MiscCheck m;
        std::stringstream ss(get("script", "/bin/true"));
        std::string w;
        while (ss >> w) m.command.argv.push_back(w);
        m.dynamic = kv.count("dynamic") > 0;
        m.timeout = milliseconds(std::stoi(get("misc_timeout_ms", "0")));
        cfg.kind = m;
    } else if (kind == "dns") {
        cfg.kind = DnsCheck{get("type", "A"), get("name", "example.org")};
    } else if (kind == "smtp") {
        cfg.kind = SmtpCheck{get("helo", "")};
    } else if (kind == "udp") {
        UdpCheck u;
        u.require_reply = kv.count("require_reply") > 0 || kv.count("reply") > 0;
        if (kv.count("reply")) {
            auto p = parse_hex_pattern(kv["reply"], true);
            if (!p) return 2;
            u.reply_data = p->data;
            u.reply_mask = p->mask;
        }
        if (kv.count("payload")) {
            auto p = parse_hex_pattern(kv["payload"], false);
            if (!p) return 2;
            u.payload = p->data;
        }
        cfg.kind = u;
    } else if (kind == "ping") {
        cfg.kind = PingCheck{};
    } else if (kind == "file") {
        FileCheck f;
        f.path = get("file", "");
        f.weight = std::stoi(get("weight", "0"));
        f.reverse = kv.count("reverse") > 0;
        cfg.kind = f;
    } else {
        std::fprintf(stderr, "unknown kind %s\n", kind.c_str());
        return 2;
    }

    boost::asio::io_context io;
    Hooks hooks;
    hooks.on_state_change = [](std::size_t, bool up, const CheckResult& r) {
        std::printf("TRANSITION %s %s %s\n", up ? "up" : "down",
                    std::string(to_string(r.failure)).c_str(), r.reason.c_str());
        std::fflush(stdout);
    };
    hooks.on_weight_change = [](std::size_t, std::optional<int> w) {
        std::printf("WEIGHT %d\n", w ? *w : -1);
        std::fflush(stdout);
    };
    hooks.run_script = [&io](const Command& c, microseconds t, ScriptDone d) {
        run_script(io, c, t, std::move(d));
    };
    hooks.on_weight_offset = [](std::size_t, int off) {
        std::printf("OFFSET %d\n", off);
        std::fflush(stdout);
    };
    hooks.log = [](int level, std::string m) {
        std::printf("LOG %d %s\n", level, m.c_str());
        std::fflush(stdout);
    };
    vigil::AsioClock clock(io);
    Pool pool(io, clock, hooks);
    PoolSettings settings;
    settings.default_helo = get("default_helo", "vigil.test");
    if (auto err = pool.configure(settings)) {
        std::fprintf(stderr, "%s\n", err->c_str());
        return 2;
    }
    auto id = pool.add(cfg);
    std::uint64_t printed = 0;
    auto end = steady_clock::now() + milliseconds(static_cast<int>(std::stod(argv[4]) * 1000));
    while (steady_clock::now() < end) {
        io.run_for(5ms);
        auto st = *pool.status(id);
        if (st.counters.probes - (st.has_run ? 0 : 1) > printed && st.has_run) {
            // One line per finished probe.
            std::uint64_t finished = st.counters.successes;
            for (auto f : st.counters.failures) finished += f;
            while (printed < finished) {
                ++printed;
                std::printf("RESULT %s %s\n", st.last.up ? "ok" : "fail",
                            std::string(to_string(st.last.failure)).c_str());
            }
            std::fflush(stdout);
        }
    }
    auto st = *pool.status(id);
    std::printf("FINAL %s probes=%llu\n", st.up ? "up" : "down",
                static_cast<unsigned long long>(st.counters.probes));
    return 0;
}
