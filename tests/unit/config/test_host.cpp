// The Host: the in-memory one as the tests and the fuzz target use it, the real one on this
// machine, and the config front end asking one of them for everything it needs.
#include "config/memory_host.hpp"
#include "config/source.hpp"
#include "config/system_host.hpp"
#include "helpers.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace vigil::config {
namespace {

using test::all;
using test::find;
using V = std::vector<std::string>;

TEST(ExpandBraces, AlternativesInOrderNestedAndUnmatched) {
    EXPECT_EQ(expand_braces("a{b,c}d"), (V{"abd", "acd"}));
    EXPECT_EQ(expand_braces("{x,y}{1,2}"), (V{"x1", "x2", "y1", "y2"}));
    EXPECT_EQ(expand_braces("a{b,{c,d}e}"), (V{"ab", "ace", "ade"}));
    EXPECT_EQ(expand_braces("a{b}"), (V{"ab"}));
    EXPECT_EQ(expand_braces("a{,b}"), (V{"a", "ab"}));
    EXPECT_EQ(expand_braces("a{b,c"), (V{"a{b,c"}));
    EXPECT_EQ(expand_braces("plain"), (V{"plain"}));
}

MemoryHost sample() {
    MemoryHost h;
    h.cwd = "/etc/keepalived";
    h.files["/etc/keepalived/keepalived.conf"] = "main";
    h.files["/etc/keepalived/conf.d/b.conf"] = "b";
    h.files["/etc/keepalived/conf.d/a.conf"] = "a";
    h.files["/etc/keepalived/conf.d/.hidden.conf"] = "h";
    h.files["/etc/keepalived/conf.d/sub/c.conf"] = "c";
    h.files["/etc/keepalived/other.inc"] = "o";
    return h;
}

TEST(MemoryHost, FilesDirectoriesAndPaths) {
    auto h = sample();
    EXPECT_EQ(h.read_file("/etc/keepalived/conf.d/a.conf"), "a");
    EXPECT_EQ(h.read_file("conf.d/./sub/../a.conf"), "a");  // relative to cwd, "." and ".."
    EXPECT_EQ(h.read_file("/etc/keepalived/conf.d"), std::nullopt);
    EXPECT_EQ(h.read_file("/nope"), std::nullopt);
    EXPECT_TRUE(h.is_regular_file("//etc/keepalived/other.inc"));
    EXPECT_FALSE(h.is_regular_file("/etc/keepalived"));
    auto entries = h.list_dir("/etc/keepalived/conf.d");
    std::sort(entries.begin(), entries.end());
    EXPECT_EQ(entries, (V{"/etc/keepalived/conf.d/.hidden.conf", "/etc/keepalived/conf.d/a.conf",
                          "/etc/keepalived/conf.d/b.conf", "/etc/keepalived/conf.d/sub"}));
    EXPECT_TRUE(h.list_dir("/etc/keepalived/other.inc").empty());
    EXPECT_EQ(h.normalize("/../a//b/."), "/a/b");
}

TEST(MemoryHost, GlobAsGlob3) {
    auto h = sample();
    // Sorted; '*' takes no '/' and no leading '.'.
    EXPECT_EQ(h.glob("/etc/keepalived/conf.d/*.conf"),
              (V{"/etc/keepalived/conf.d/a.conf", "/etc/keepalived/conf.d/b.conf"}));
    EXPECT_EQ(h.glob("/etc/keepalived/conf.d/.*.conf"), (V{"/etc/keepalived/conf.d/.hidden.conf"}));
    EXPECT_EQ(h.glob("/etc/keepalived/*/*/?.conf"), (V{"/etc/keepalived/conf.d/sub/c.conf"}));
    EXPECT_EQ(h.glob("/etc/keepalived/conf.d/[ab].conf").size(), 2u);
    // Each brace alternative sorted on its own, in the order written.
    EXPECT_EQ(h.glob("/etc/keepalived/{other.inc,conf.d/*.conf}"),
              (V{"/etc/keepalived/other.inc", "/etc/keepalived/conf.d/a.conf",
                 "/etc/keepalived/conf.d/b.conf"}));
    // A path as written, ".." included, when it exists; directories match too.
    EXPECT_EQ(h.glob("/etc/keepalived/conf.d/../other.inc"),
              (V{"/etc/keepalived/conf.d/../other.inc"}));
    EXPECT_EQ(h.glob("/etc/keepalived/conf*"), (V{"/etc/keepalived/conf.d/"}));  // GLOB_MARK
    EXPECT_TRUE(h.glob("/etc/keepalived/none*.conf").empty());
    EXPECT_TRUE(h.glob("/etc/keepalived/missing.conf").empty());
    h.home = "/etc/keepalived";
    EXPECT_EQ(h.glob("~/other.inc"), (V{"/etc/keepalived/other.inc"}));
}

TEST(MemoryHost, ExecutablesByPathOrInPath) {
    MemoryHost h;
    h.executables = {"/usr/bin/true", "/opt/check.sh"};
    EXPECT_TRUE(h.executable("/usr/bin/true"));
    EXPECT_TRUE(h.executable("true"));
    EXPECT_TRUE(h.executable("/opt/../opt/check.sh"));
    EXPECT_FALSE(h.executable("check.sh"));  // not in PATH
    EXPECT_FALSE(h.executable("/usr/bin/false"));
}

// ---- the front end through a MemoryHost ------------------------------------------------------

LoadOptions checked() {
    LoadOptions o;  // every host check on, as vigild -t
    o.check_only = false;
    return o;
}

const std::string kInstance =
    "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n"
    " virtual_ipaddress {\n  192.0.2.1\n }\n}\n";

TEST(FrontEndOnMemoryHost, IncludesAcrossFilesWithLocations) {
    MemoryHost h;
    h.interfaces = {"lo", "eth0"};
    h.files["/k/main.conf"] = "global_defs {\n router_id r1\n}\ninclude conf.d/*.conf\n";
    h.files["/k/conf.d/1.conf"] = kInstance + "include ../more/x.inc\n";
    h.files["/k/conf.d/2.conf"] = "vrrp_instance VI_2 {\n interface eth9\n}\n";
    h.files["/k/more/x.inc"] = "bogus_keyword 1\n";
    auto r = load_file("/k/main.conf", checked(), h);
    EXPECT_EQ(r.config.files, (V{"/k/main.conf", "/k/conf.d/1.conf", "/k/conf.d/../more/x.inc",
                                 "/k/conf.d/2.conf"}));
    EXPECT_EQ(r.config.global.router_id, "r1");
    ASSERT_EQ(r.config.vrrp.instances.size(), 2u);
    const auto* unknown = find(r, "Unknown keyword 'bogus_keyword'");
    ASSERT_NE(unknown, nullptr) << all(r);
    EXPECT_EQ(unknown->file, "/k/conf.d/../more/x.inc");
    EXPECT_EQ(unknown->line, 1u);
    const auto* iface = find(r, "interface 'eth9' does not exist on this host");
    ASSERT_NE(iface, nullptr) << all(r);
    EXPECT_EQ(iface->file, "/k/conf.d/2.conf");
    EXPECT_EQ(iface->line, 2u);
    EXPECT_EQ(find(r, "interface 'eth0'"), nullptr) << all(r);
}

// The text of a statement is freed once it is parsed: what outlives it (a service whose group
// comes later, an include inside a block, a place kept for a later warning) keeps its own.
TEST(FrontEndOnMemoryHost, StatementsOutliveTheTextReadInPieces) {
    MemoryHost h;
    h.interfaces = {"lo", "eth0"};
    h.files["/k/main.conf"] = "virtual_server group LATER {\n lb_algo rr\n include rs.inc\n}\n" +
                              kInstance +
                              "vrrp_sync_group SG {\n group {\n  VI_1\n  VI_MISSING\n }\n}\n"
                              "virtual_server_group LATER {\n 192.0.2.10 80\n}\n";
    h.files["/k/rs.inc"] = "real_server 192.0.2.50 8080 {\n weight 7\n}\n";
    for (std::size_t chunk : {1u, 5u, 64u, 1u << 20}) {
        auto o = checked();
        o.read_chunk = chunk;
        auto r = load_file("/k/main.conf", o, h);
        ASSERT_EQ(r.config.lvs.virtual_servers.size(), 1u) << chunk << all(r);
        const auto& vs = r.config.lvs.virtual_servers[0];
        EXPECT_EQ(vs.group, "LATER");
        EXPECT_EQ(vs.scheduler, "rr");
        ASSERT_EQ(vs.real_servers.size(), 1u) << chunk;
        EXPECT_EQ(vs.real_servers[0].address.to_string(), "192.0.2.50");
        EXPECT_EQ(vs.real_servers[0].port, 8080);
        EXPECT_EQ(vs.real_servers[0].weight, 7);
        const auto* missing = find(r, "VI_MISSING");
        ASSERT_NE(missing, nullptr) << chunk << all(r);
        EXPECT_EQ(missing->file, "/k/main.conf");
        EXPECT_EQ(missing->line, 16u) << chunk;
    }
}

TEST(FrontEndOnMemoryHost, MissingAndUnreadableIncludes) {
    MemoryHost h;
    h.files["/k/main.conf"] = "include nothing/*.conf\n";
    auto r = load_file("/k/main.conf", checked(), h);
    const auto* d = find(r, "included file missing: 'nothing/*.conf' matches no file");
    ASSERT_NE(d, nullptr) << all(r);
    EXPECT_TRUE(d->fatal_at_startup);
    auto none = load_file("/k/absent.conf", checked(), h);
    ASSERT_EQ(none.diagnostics.size(), 1u);
    EXPECT_EQ(format(none.diagnostics[0]), "/k/absent.conf: error: cannot open configuration file");
}

TEST(FrontEndOnMemoryHost, BoundsOnIncludes) {
    MemoryHost h;
    h.files["/k/main.conf"] = "include d/*.conf\n";
    for (auto n : {"1", "2", "3"}) h.files[std::string("/k/d/") + n + ".conf"] = "x\n";
    auto o = test::quiet();
    o.max_files = 3;
    auto r = load_file("/k/main.conf", o, h);
    EXPECT_EQ(r.config.files, (V{"/k/main.conf", "/k/d/1.conf", "/k/d/2.conf"}));
    const auto* d = find(r, "more than 3 files to read");
    ASSERT_NE(d, nullptr) << all(r);
    EXPECT_TRUE(d->fatal_at_startup);
    EXPECT_EQ(d->line, 1u);
    h.files["/k/d/1.conf"] = "include ../main.conf\n";  // main -> 1 -> main -> ...
    o = test::quiet();
    o.max_include_depth = 2;
    auto deep = load_file("/k/main.conf", o, h);
    EXPECT_TRUE(find(deep, "includes nested too deeply")) << all(deep);
    // main, 1.conf, main again (depth 2, whose include would be 3), 2.conf, 3.conf.
    EXPECT_EQ(deep.config.files.size(), 5u) << all(deep);
}

TEST(FrontEndOnMemoryHost, RelativeNamesResolveFromTheHostsWorkingDirectory) {
    MemoryHost h;
    h.cwd = "/srv/ka";
    h.files["/srv/ka/main.conf"] = "include part.conf\nrouter_id ${_PWD}\n";
    h.files["/srv/ka/part.conf"] = "$X=1\n";
    TokenStream ts;
    preprocess_file(ts, "main.conf", {}, h);
    EXPECT_TRUE(ts.diagnostics.empty());
    ASSERT_EQ(ts.tokens.size(), 2u);
    EXPECT_EQ(ts.tokens[1].text, "/srv/ka");
    EXPECT_EQ(ts.files, (V{"main.conf", "/srv/ka/part.conf"}));
    TokenStream text;
    preprocess_text(text, "k ${_PWD}\n", "t.conf", ".", {}, h);
    ASSERT_EQ(text.tokens.size(), 2u);
    EXPECT_EQ(text.tokens[1].text, "/srv/ka");
}

TEST(FrontEndOnMemoryHost, HostNameIsTheDefaultConfigId) {
    MemoryHost h;
    h.hostname = "lb7";
    TokenStream ts;
    preprocess_text(ts, "@lb7 a\n@lb8 b\nc ${_INSTANCE}\n", "t.conf", "/", {}, h);
    V w;
    for (const auto& t : ts.tokens) w.emplace_back(t.text);
    EXPECT_EQ(w, (V{"a", "c", "lb7"}));
}

TEST(FrontEndOnMemoryHost, RandomStartsFromTheHostsSeed) {
    auto draw = [](unsigned seed) {
        MemoryHost h;
        h.seed = seed;
        TokenStream ts;
        preprocess_text(ts, "a ${_RANDOM} ${_RANDOM} ${_RANDOM}\n", "t.conf", "/", {}, h);
        std::string s;
        for (const auto& t : ts.tokens) s += std::string(t.text) + " ";
        return s;
    };
    EXPECT_EQ(draw(3), draw(3));
    EXPECT_NE(draw(3), draw(4));
}

TEST(FrontEndOnMemoryHost, UsersGroupsAndScripts) {
    MemoryHost h;
    h.interfaces = {"lo", "eth0"};
    h.users = {"root", "ops"};
    h.groups = {"root"};
    h.executables = {"/usr/bin/check"};
    const std::string scripts =
        "vrrp_script present {\n script check\n}\nvrrp_script absent {\n script /no/such\n}\n"
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n"
        " track_script {\n  present\n  absent\n }\n notify_master \"/usr/bin/check x\" nobody\n}\n";
    auto r =
        load_string("global_defs {\n script_user ops wheel\n}\n" + scripts, "t.conf", checked(), h);
    EXPECT_TRUE(find(r, "Error setting global script uid/gid: no user 'ops' or group 'wheel'"))
        << all(r);
    EXPECT_TRUE(find(r, "Script user 'nobody' does not exist")) << all(r);
    EXPECT_TRUE(find(r, "Disabling track script absent since not found/accessible")) << all(r);
    EXPECT_FALSE(find(r, "Disabling track script present")) << all(r);
    // No keepalived_script user: scripts run as root, unsecured.
    auto unsafe = load_string(scripts, "t.conf", checked(), h);
    EXPECT_TRUE(find(unsafe, "SECURITY VIOLATION")) << all(unsafe);
    h.users.insert("keepalived_script");
    auto safe = load_string(scripts, "t.conf", checked(), h);
    EXPECT_FALSE(find(safe, "SECURITY VIOLATION")) << all(safe);
}

// The user database (NSS: often a library loaded for good) is read only for a configuration
// that runs scripts.
TEST(FrontEndOnMemoryHost, UsersAreLookedUpOnlyForScripts) {
    MemoryHost h;
    h.interfaces = {"lo", "eth0"};
    auto r = load_string(kInstance, "t.conf", checked(), h);
    EXPECT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(h.users_asked.empty());
    auto with_script =
        load_string(kInstance.substr(0, kInstance.size() - 2) + " notify_master /bin/true\n}\n",
                    "t.conf", checked(), h);
    ASSERT_EQ(with_script.config.vrrp.instances.size(), 1u) << all(with_script);
    EXPECT_EQ(with_script.config.vrrp.instances[0].notify->master.user, "root");
    EXPECT_NE(std::find(h.users_asked.begin(), h.users_asked.end(), "keepalived_script"),
              h.users_asked.end());
}

TEST(FrontEndOnMemoryHost, CpusAndRealTimePrioritiesOfTheHost) {
    MemoryHost h;
    h.cpus = 2;
    h.rt_priorities = {5, 50};
    auto r = load_string(
        "global_defs {\n vrrp_cpu_affinity 1\n checker_cpu_affinity 2\n vrrp_rt_priority 60\n}\n",
        "t.conf", checked(), h);
    EXPECT_EQ(r.config.global.vrrp_process.cpu_affinity, (std::vector<int>{1}));
    EXPECT_TRUE(
        find(r, "Invalid cpu_id:2 specified for checker process (this host has CPUs 0 to 1)"))
        << all(r);
    EXPECT_TRUE(find(r, "real-time priority 60 greater than maximum 50")) << all(r);
    EXPECT_EQ(r.config.global.vrrp_process.rt_priority, 50);
}

TEST(FrontEndOnMemoryHost, Iproute2NamesFromHostFiles) {
    MemoryHost h;
    h.files["/ip/rt_tables"] = "100 blue\n";
    h.files["/ip/rt_tables.d/b.conf"] = "102 green\n";
    h.files["/ip/rt_tables.d/a.conf"] = "101 green\n";  // a.conf first: 101 wins
    h.files["/ip/rt_tables.d/c.txt"] = "103 red\n";     // not *.conf
    auto o = test::quiet();
    o.iproute2_dirs = {"/ip"};
    auto r = load_string(
        "static_routes {\n 10.1.0.0/16 dev eth0 table blue\n 10.2.0.0/16 dev eth0 table green\n"
        " 10.3.0.0/16 dev eth0 table red\n}\n",
        "t.conf", o, h);
    const auto& routes = r.config.vrrp.static_routes;
    ASSERT_EQ(routes.size(), 2u) << all(r);
    EXPECT_EQ(routes[0].table, 100u);
    EXPECT_EQ(routes[1].table, 101u);
    EXPECT_TRUE(find(r, "red")) << all(r);
}

// ---- the real host, and both hosts agreeing --------------------------------------------------

class OnDisk : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/vigil-host-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    // Writes the file on disk and into MEM under the same absolute path.
    void put(const std::string& rel, const std::string& text) {
        const auto p = dir_ + "/" + rel;
        std::filesystem::create_directories(std::filesystem::path(p).parent_path());
        std::ofstream(p) << text;
        mem_.files[p] = text;
    }
    std::string dir_;
    MemoryHost mem_;
};

TEST_F(OnDisk, SystemHostReadsGlobsAndLists) {
    put("a.conf", "x\n");
    put("d/2.conf", "");
    put("d/1.conf", "y");
    SystemHost s;
    EXPECT_EQ(s.read_file(dir_ + "/a.conf"), "x\n");
    EXPECT_EQ(s.read_file(dir_ + "/d/2.conf"), "");
    EXPECT_EQ(s.read_file(dir_ + "/none"), std::nullopt);
    EXPECT_TRUE(s.is_regular_file(dir_ + "/a.conf"));
    EXPECT_FALSE(s.is_regular_file(dir_ + "/d"));
    EXPECT_EQ(s.glob(dir_ + "/{d/*.conf,a.conf}"),
              (V{dir_ + "/d/1.conf", dir_ + "/d/2.conf", dir_ + "/a.conf"}));
    EXPECT_EQ(s.glob(dir_ + "/{d/*.conf,a.conf}"), mem_.glob(dir_ + "/{d/*.conf,a.conf}"));
    EXPECT_EQ(s.glob(dir_ + "/*"), (V{dir_ + "/a.conf", dir_ + "/d/"}));
    EXPECT_EQ(s.glob(dir_ + "/*"), mem_.glob(dir_ + "/*"));
    EXPECT_EQ(s.read_file(dir_ + "/d"), std::nullopt);
    auto entries = s.list_dir(dir_ + "/d");
    std::sort(entries.begin(), entries.end());
    EXPECT_EQ(entries, (V{dir_ + "/d/1.conf", dir_ + "/d/2.conf"}));
    EXPECT_TRUE(s.interface_exists("lo"));
    EXPECT_FALSE(s.interface_exists("vg-no-such0"));
    EXPECT_TRUE(s.user_exists("root"));
    EXPECT_FALSE(s.user_exists("vigil-no-such-user"));
    EXPECT_TRUE(s.executable("sh"));
    EXPECT_FALSE(s.executable(dir_ + "/a.conf"));  // not executable
    EXPECT_GE(s.cpu_count(), 1);
    EXPECT_FALSE(s.current_dir().empty());
}

// keepalived skips a directory an include matches; reading one as a file cannot work.
TEST_F(OnDisk, DirectoriesAreNoConfigurationFiles) {
    put("main.conf", "include *\ninclude sub\n");
    put("sub/x.conf", "router_id x\n");
    SystemHost sys;
    for (Host* h : {static_cast<Host*>(&mem_), static_cast<Host*>(&sys)}) {
        auto r = load_file(dir_ + "/main.conf", test::quiet(), *h);
        // "*" matched main.conf itself (read again, nested) and sub/ (left out).
        EXPECT_TRUE(find(r, "includes nested too deeply")) << all(r);
        const auto* d = find(r, "included file missing: 'sub' matches no file");
        ASSERT_NE(d, nullptr) << all(r);
        EXPECT_EQ(d->line, 2u);
        auto dir = load_file(dir_ + "/sub", test::quiet(), *h);
        ASSERT_EQ(dir.diagnostics.size(), 1u) << all(dir);
        EXPECT_EQ(dir.diagnostics[0].message, "cannot open configuration file");
    }
}

// The same files through either host: the same tokens, diagnostics and configuration.
TEST_F(OnDisk, BothHostsReadTheSameConfiguration) {
    put("main.conf",
        "$IF=lo\n~SEQ(N, 1, 2) include conf.d/${N}.conf\ninclude {x,conf.d/[3]}.conf\n"
        "include missing/*.conf\n");
    put("conf.d/1.conf", "global_defs {\n router_id one\n}\n");
    put("conf.d/2.conf",
        "vrrp_instance VI_1 {\n interface $IF\n virtual_router_id 2\n priority 100\n"
        " virtual_ipaddress {\n  192.0.2.2\n }\n}\n");
    put("conf.d/3.conf", "include ../x.conf\n");
    put("x.conf", "unknown_here 1\n");
    mem_.interfaces = {"lo"};
    auto o = test::quiet();
    o.check_interfaces = true;
    SystemHost sys;
    auto a = load_file(dir_ + "/main.conf", o, sys);
    auto b = load_file(dir_ + "/main.conf", o, mem_);
    EXPECT_EQ(all(a), all(b));
    EXPECT_EQ(to_json(a.config), to_json(b.config));
    EXPECT_EQ(a.config.files, b.config.files);
    EXPECT_EQ(a.config.files.size(), 6u) << all(a);
    EXPECT_TRUE(find(a, "included file missing")) << all(a);
}

}  // namespace
}  // namespace vigil::config
