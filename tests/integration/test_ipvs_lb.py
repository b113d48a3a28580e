"""vigild directing real packets through the kernel's IPVS (in a User-Mode Linux guest).

One segment (br0) holds the client (10.0.0.100, .101), the director's eth0 (10.0.0.1 and the
VIPs), the DR real servers d1 d2 and the TUN real servers t1 t2; a second one (br1) the NAT real
servers a b c and the sorry server behind the director (10.0.1.1). Every server names itself in
its answer ("a" on its first port, "a@443" on others). vigild runs with `lvs_backend auto`,
which must pick IPVS here; each test reads the kernel's table with ipvsadm and counts answers.
"""
import collections
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uml  # noqa: E402
from netns import SOURCE_DIR, Rig, wait_until  # noqa: E402
from lvs_rig import (DirectorCase, Vigild, get, ipvs_rules, requests, start_server, sysctls,  # noqa: E402
                     wait_rules, wait_stats)

VIP, VIP_TUN, VIP_FWM1, VIP_FWM2 = "10.0.0.10", "10.0.0.11", "10.0.0.12", "10.0.0.13"
NAT = {"a": ("10.0.1.11", 1), "b": ("10.0.1.12", 2), "c": ("10.0.1.13", 3)}
SORRY = "10.0.1.20"
DR = {"d1": "10.0.0.21", "d2": "10.0.0.22"}
TUN = {"t1": "10.0.0.31", "t2": "10.0.0.32"}
REALSERVER = os.path.join(SOURCE_DIR, "contrib", "vigil-realserver")
GLOBAL = "global_defs {\n    router_id director\n    lvs_backend auto\n}\n"


def realserver(rig, host, *args, check=True):
    """vigil-realserver in host, its record in the rig's scratch directory."""
    return host.run("env", f"VIGIL_REALSERVER_STATE_DIR={rig.path('realserver')}", REALSERVER,
                    *args, check=check)


def http_check(extra=""):
    return f"""
        HTTP_GET {{
            url {{
                path /who
                status_code 200
            }}
            connect_timeout 1
            retry 0
        }}{extra}"""


class Ipvs(DirectorCase):
    @classmethod
    def setUpClass(cls):
        cls.rig = rig = Rig("i").__enter__()
        try:
            cls.build(rig)
        except BaseException:
            rig.close()
            raise

    @classmethod
    def build(cls, rig):
        rig.add_bridge("br1")
        cls.client = rig.add_host("cl", ["10.0.0.100/24", "10.0.0.101/24"])
        cls.dir = d = rig.add_host("dir", ["10.0.0.1/24"] + [f"{v}/24" for v in
                                                             (VIP, VIP_TUN, VIP_FWM1, VIP_FWM2)])
        rig.plug(d, "eth1", ["10.0.1.1/24"], bridge="br1")
        sysctls(d, [("net.ipv4.ip_forward", 1), ("net.ipv4.conf.all.send_redirects", 0),
                    ("net.ipv4.conf.eth1.send_redirects", 0)])
        # Firewall marks for the fwmark services: ports 80 and 443 of two VIPs.
        for vip, mark in ((VIP_FWM1, 1), (VIP_FWM2, 2)):
            d.run("iptables-legacy", "-t", "mangle", "-A", "PREROUTING", "-d", vip, "-p", "tcp",
                  "-m", "multiport", "--dports", "80,443", "-j", "MARK", "--set-mark", str(mark))
        cls.servers = {}
        for name, (addr, _) in list(NAT.items()) + [("sorry", (SORRY, 1))]:
            h = rig.add_host(name, [f"{addr}/24"], bridge="br1")
            h.ip("route", "add", "default", "via", "10.0.1.1")
            cls.servers[name] = [h, [8080, 80, 443], None]
        for name, addr in DR.items():
            h = rig.add_host(name, [f"{addr}/24"])
            realserver(rig, h, "start", VIP)
            cls.servers[name] = [h, [80], None]
        for name, addr in TUN.items():
            h = rig.add_host(name, [f"{addr}/24"])
            # tunl0 up with the VIP, rp_filter off (the client's packets arrive on tunl0 but
            # its route is eth0), and no ARP answers for the VIP on the director's segment.
            realserver(rig, h, "start", VIP_TUN, "--tun")
            cls.servers[name] = [h, [80], None]
        for name in cls.servers:
            cls.start(name)
        # Every server answers directly before any test relies on it.
        probes = [("", NAT[n][0], 8080) for n in NAT] + [("", SORRY, 8080)]
        ok = wait_until(lambda: not any(a.startswith("error") for a in requests(d, probes)), 20, 0.5)
        assert ok is not None, "the NAT real servers never answered"

    @classmethod
    def tearDownClass(cls):
        cls.rig.close()

    @classmethod
    def start(cls, name):
        entry = cls.servers[name]
        if entry[2] is None or entry[2].poll() is not None:
            entry[2] = start_server(entry[0], name, entry[1])

    @classmethod
    def stop_server(cls, name):
        entry = cls.servers[name]
        if entry[2] is not None:
            cls.rig.stop(entry[2])
            entry[2] = None

    def tearDown(self):
        super().tearDown()
        for name in self.servers:
            self.start(name)

    def spread(self, address, port, n):
        return collections.Counter(get(self.client, address, port, n))

    def assert_only(self, address, port, names, n=12, timeout=15):
        """Waits until n fresh connections are answered by exactly the set `names`."""
        seen = [None]

        def check():
            seen[0] = set(get(self.client, address, port, n))
            return seen[0] == set(names)

        self.assertIsNotNone(wait_until(check, timeout, 0.3), f"{address}:{port} answered by "
                             f"{seen[0]}, expected {set(names)}")

    def test_nat_weights_checks_inhibit_sorry_quorum(self):
        """LVS-NAT, VS port 80 -> RS port 8080 (wrr 1:2:3, c inhibit_on_failure, sorry server),
        and VS port 81 over the same servers with quorum 5 / hysteresis 1."""
        def rs(inhibit=False):
            extra = "\n        inhibit_on_failure"
            return "".join(f"""
    real_server {addr} 8080 {{
        weight {w}{extra if inhibit and name == "c" else ""}{http_check()}
    }}""" for name, (addr, w) in NAT.items())
        conf = GLOBAL + f"""
virtual_server {VIP} 80 {{
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    sorry_server {SORRY} 8080
{rs(inhibit=True)}
}}
virtual_server {VIP} 81 {{
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    quorum 5
    hysteresis 1
    sorry_server {SORRY} 8080
{rs()}
}}
"""
        self.vigild = Vigild(self.dir, conf)
        a, b, c = (f"-r {NAT[n][0]}:8080 -m" for n in "abc")
        sorry = f"-r {SORRY}:8080 -m -w 1"
        s80, s81 = f"-t {VIP}:80", f"-t {VIP}:81"

        def table(v80, v81):
            return {f"-A {s80} -s wrr", f"-A {s81} -s wrr"} | \
                {f"-a {s80} {d}" for d in v80} | {f"-a {s81} {d}" for d in v81}

        full = [f"{a} -w 1", f"{b} -w 2", f"{c} -w 3"]
        got = wait_rules(self.dir, table(full, full))
        self.assertEqual(got, table(full, full))
        st = self.vigild.wait_status()
        self.assertEqual(st["data_plane"]["backend"], "ipvs", "lvs_backend auto did not pick IPVS")

        counts = self.spread(VIP, 80, 120)
        print("wrr 1:2:3 spread over 120:", dict(counts))
        self.assertEqual(sum(counts[n] for n in NAT), 120, counts)
        for name, expect in (("a", 20), ("b", 40), ("c", 60)):
            self.assertLessEqual(abs(counts[name] - expect), 12, counts)
        conns, inp, outp = wait_stats(self.dir, "-t", f"{VIP}:80", 120)
        self.assertGreaterEqual(conns, 120)
        self.assertGreater(outp, 0, "NAT replies must pass the director")

        # b fails its check: removed from both; VS 81 keeps quorum (4 >= 5 - 1).
        self.stop_server("b")
        v = [f"{a} -w 1", f"{c} -w 3"]
        self.assertEqual(wait_rules(self.dir, table(v, v)), table(v, v))
        self.assert_only(VIP, 80, {"a", "c"})
        # c fails: VS 80 keeps it at weight 0 (inhibit_on_failure); VS 81 drops below quorum
        # (1 < 4) and its sorry server takes over.
        self.stop_server("c")
        want = table([f"{a} -w 1", f"{c} -w 0"], [sorry])
        self.assertEqual(wait_rules(self.dir, want), want)
        self.assert_only(VIP, 80, {"a"})
        self.assert_only(VIP, 81, {"sorry"})
        # a fails: the sorry server serves VS 80 too; c stays inhibited.
        self.stop_server("a")
        want = table([f"{c} -w 0", sorry], [sorry])
        self.assertEqual(wait_rules(self.dir, want), want)
        self.assert_only(VIP, 80, {"sorry"})
        # a returns: VS 80 leaves the sorry server; VS 81 needs 5 + 1 to come back (has 1).
        self.start("a")
        want = table([f"{a} -w 1", f"{c} -w 0"], [sorry])
        self.assertEqual(wait_rules(self.dir, want), want)
        self.assert_only(VIP, 80, {"a"})
        self.start("b")
        # a + b = 3 < 6: still the sorry server on VS 81.
        want = table([f"{a} -w 1", f"{b} -w 2", f"{c} -w 0"], [sorry])
        self.assertEqual(wait_rules(self.dir, want), want)
        self.assert_only(VIP, 81, {"sorry"})
        self.start("c")
        self.assertEqual(wait_rules(self.dir, table(full, full)), table(full, full))
        self.assert_only(VIP, 81, {"a", "b", "c"})

        # Every change above went out as its own requests: the kernel's table was read once, at
        # start-up.
        self.assertEqual(self.vigild.wait_status()["data_plane"]["kernel_reads"], 1)
        # A real server deleted by hand comes back at the next reload, which reads the kernel.
        self.dir.run("ipvsadm", "-d", "-t", f"{VIP}:80", "-r", f"{NAT['b'][0]}:8080")
        self.assertNotIn(f"-a {s80} {b} -w 2", ipvs_rules(self.dir))
        self.vigild.reload(conf)
        self.assertEqual(wait_rules(self.dir, table(full, full)), table(full, full))
        self.assertEqual(self.vigild.wait_status()["data_plane"]["kernel_reads"], 2)

        self.assertEqual(self.vigild.stop(), 0)
        self.vigild = None
        self.assertEqual(ipvs_rules(self.dir), set(), "vigild left IPVS services behind")

    def test_dr_and_tun_replies_bypass_director(self):
        dr = "".join(f"""
    real_server {addr} 80 {{
        weight 1{http_check()}
    }}""" for addr in DR.values())
        tun = "".join(f"""
    real_server {addr} 80 {{
        weight 1
    }}""" for addr in TUN.values())
        conf = GLOBAL + f"""
virtual_server {VIP} 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
{dr}
}}
virtual_server {VIP_TUN} 80 {{
    lb_algo rr
    lb_kind TUN
    protocol TCP
{tun}
}}
"""
        self.vigild = Vigild(self.dir, conf)
        want = {f"-A -t {VIP}:80 -s rr", f"-A -t {VIP_TUN}:80 -s rr"} | \
            {f"-a -t {VIP}:80 -r {a}:80 -g -w 1" for a in DR.values()} | \
            {f"-a -t {VIP_TUN}:80 -r {a}:80 -i -w 1 --tun-type ipip" for a in TUN.values()}
        self.assertEqual(wait_rules(self.dir, want), want)
        # The real servers as vigil-realserver prepared them.
        for name, vip in [(n, VIP) for n in DR] + [(n, VIP_TUN) for n in TUN]:
            st = realserver(self.rig, self.servers[name][0], "status", vip, check=False)
            self.assertEqual(st.returncode, 0, f"{name}: {st.stdout}")
        for vip, names in ((VIP, DR), (VIP_TUN, TUN)):
            counts = self.spread(vip, 80, 20)
            print(f"{vip}: {dict(counts)}")
            self.assertEqual(counts, collections.Counter({n: 10 for n in names}))
            conns, inp, outp = wait_stats(self.dir, "-t", f"{vip}:80", 20)
            self.assertGreaterEqual(conns, 20)
            self.assertGreater(inp, 0)
            # The real servers answer the client themselves: the director sees no reply.
            self.assertEqual(outp, 0, f"{vip}: replies went through the director")
        # A DR server failing its check leaves the pool.
        self.stop_server("d2")
        want -= {f"-a -t {VIP}:80 -r {DR['d2']}:80 -g -w 1"}
        self.assertEqual(wait_rules(self.dir, want), want)
        self.assert_only(VIP, 80, {"d1"}, n=6)

    def test_fwmark_persistence_and_granularity(self):
        """FWM 1: persistence per client over ports 80 and 443; FWM 2: per /24."""
        # No real-server port: each packet keeps its own (80 or 443).
        rs = "".join(f"""
    real_server {addr} {{
        weight 1
    }}""" for addr, _ in NAT.values())
        conf = GLOBAL + f"""
virtual_server fwmark 1 {{
    lb_algo rr
    lb_kind NAT
    persistence_timeout 30
{rs}
}}
virtual_server fwmark 2 {{
    lb_algo rr
    lb_kind NAT
    persistence_timeout 30
    persistence_granularity 255.255.255.0
{rs}
}}
"""
        self.vigild = Vigild(self.dir, conf)
        want = {"-A -f 1 -s rr -p 30", "-A -f 2 -s rr -p 30 -M 255.255.255.0"} | \
            {f"-a -f {m} -r {a}:0 -m -w 1" for m in (1, 2) for a, _ in NAT.values()}
        self.assertEqual(wait_rules(self.dir, want), want)

        def one_server(answers):
            names = {x.split("@")[0] for x in answers}
            self.assertEqual(len(names), 1, answers)
            self.assertFalse(any(x.startswith("error") for x in answers), answers)
            return names.pop()

        for vip, same in ((VIP_FWM1, False), (VIP_FWM2, True)):
            first = requests(self.client, [("10.0.0.100", vip, p) for p in (80, 443, 80, 443)])
            second = requests(self.client, [("10.0.0.101", vip, p) for p in (443, 80, 443, 80)])
            print(f"{vip}: .100 -> {first}, .101 -> {second}")
            # Each port reaches the server's own port: no port mapping in a fwmark service.
            self.assertEqual([x.split("@")[1] for x in first], ["80", "443", "80", "443"])
            s1, s2 = one_server(first), one_server(second)
            if same:
                self.assertEqual(s1, s2, "a /24 granularity must keep .100 and .101 together")
            else:
                self.assertNotEqual(s1, s2, "rr with /32 persistence put both clients together")
        # The persistence templates: one per client on FWM 1, one for the /24 on FWM 2.
        entries = [x.split() for x in self.dir.run("ipvsadm", "-Lnc").stdout.splitlines()]
        templates = {(e[3], e[4]) for e in entries if len(e) == 6 and e[0] == "IP"}
        self.assertLessEqual({("10.0.0.100:0", "0.0.0.1:0"), ("10.0.0.101:0", "0.0.0.1:0"),
                              ("10.0.0.0:0", "0.0.0.2:0")}, templates)


if __name__ == "__main__":
    uml.main(__file__, timeout=280)
