"""static_ipaddress / static_routes / static_rules and an instance's virtual_routes /
virtual_rules, in namespaces: statics present while vigild runs, virtual ones while MASTER; and
keepalived 2.2.7 given the same file leaves the same `ip rule` / `ip route` / `ip addr` lines."""
import os
import re
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import KEEPALIVED, RigTest, global_conf, wait_until  # noqa: E402

VIP = "10.99.0.100"

STATICS = """
static_ipaddress {
    10.98.0.5/24 dev eth0 label eth0:st
    2001:db8:98::5/64 dev eth0 home noprefixroute
    2001:db8:97::5/128 dev eth0
    10.96.0.1 dev eth0 peer 10.96.0.2
}
static_routes {
    10.60.0.0/16 via 10.99.0.254 dev eth0 table 100 metric 7 mtu 1400 advmss 1300
    blackhole 10.61.0.0/16 table 100
    10.62.0.0/16 dev eth0 table 100 scope link
    2001:db8:60::/48 via fe80::1 dev eth0 table 100 metric 9
}
static_rules {
    from 10.99.0.0/24 table 100 priority 100
    fwmark 5/0xff table 100 priority 101
    to 10.70.0.0/16 iif lo priority 102 prohibit
    from all uidrange 1000-2000 table 100 priority 103
    from all ipproto tcp sport 1000-2000 table 100 priority 104
    from all table main suppress_prefixlength 0 priority 105
    from 2001:db8:98::/64 table 100 priority 106
    to 10.71.0.0/16 table 100
}
"""


def instance(priority, state):
    return f"""
vrrp_instance VI_1 {{
    state {state}
    interface eth0
    virtual_router_id 50
    priority {priority}
    advert_int 1
    virtual_ipaddress {{
        {VIP}/24
    }}
    virtual_routes {{
        10.80.0.0/16 via 10.99.0.254 dev eth0 table 200
        blackhole 10.81.0.0/16 table 200
    }}
    virtual_rules {{
        from {VIP} table 200 priority 200
        to 10.82.0.0/16 table 200 priority 201
    }}
}}
"""


def rules(host):
    """Rule lines other than the kernel's own three, both families."""
    out = []
    for fam in ("-4", "-6"):
        for line in host.ip(fam, "rule", "show").stdout.splitlines():
            if not re.match(r"^(0|32766|32767):", line):
                out.append(f"{fam} {line.strip()}")
    return out


def table(host, t):
    out = []
    for fam in ("-4", "-6"):
        r = host.ip(fam, "route", "show", "table", str(t), check=False)
        out += [f"{fam} {line.strip()}" for line in r.stdout.splitlines()
                if "proto kernel" not in line]
    return out


def static_addrs(host):
    """`ip -d addr` lines (flags included) of the static addresses."""
    out = host.ip("-d", "addr", "show", "dev", "eth0").stdout
    return [line.strip() for line in out.splitlines()
            if re.search(r"inet6? (10\.98\.|10\.96\.|2001:db8:9[78]::)", line)]


class StaticAndVirtual(RigTest):
    TAG = "sr"

    def setUp(self):
        super().setUp()
        self.r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        self.r2 = self.rig.add_host("r2", ["10.99.0.2/24"])

    def assert_statics(self, host, present):
        want_rules = 7 if present else 0
        got = [r for r in rules(host) if re.match(r"^-[46] 10[0-6]:", r)]
        self.assertEqual(len(got), want_rules, got)
        self.assertEqual(len(table(host, 100)), 4 if present else 0, table(host, 100))
        self.assertEqual(len(static_addrs(host)), 4 if present else 0, static_addrs(host))

    def virtual_present(self, host):
        v = [r for r in rules(host) if re.match(r"^-4 20[01]:", r)]
        return len(v) == 2 and len(table(host, 200)) == 2

    def virtual_absent(self, host):
        return (not [r for r in rules(host) if re.match(r"^-4 20[01]:", r)]
                and not table(host, 200))

    def test_lifetimes_and_options(self):
        d1 = self.start(self.r1, "n1", global_conf("n1") + STATICS + instance(100, "BACKUP"))
        # Statics arrive at start-up, before the instance has left BACKUP.
        self.assertIsNotNone(wait_until(lambda: len(static_addrs(self.r1)) == 4, 5),
                             static_addrs(self.r1))
        self.assert_statics(self.r1, True)
        self.assertFalse(self.r1.has_addr(VIP))
        self.assertTrue(self.virtual_absent(self.r1), rules(self.r1) + table(self.r1, 200))

        # Options reach the kernel.
        r = rules(self.r1)
        for want in ["-4 100:\tfrom 10.99.0.0/24 lookup 100 proto keepalived",
                     "-4 101:\tfrom all fwmark 0x5/0xff lookup 100 proto keepalived",
                     "-4 102:\tfrom all to 10.70.0.0/16 iif lo prohibit proto keepalived",
                     "-4 103:\tfrom all uidrange 1000-2000 lookup 100 proto keepalived",
                     "-4 104:\tfrom all ipproto tcp sport 1000-2000 lookup 100 proto keepalived",
                     "-4 105:\tfrom all lookup main suppress_prefixlength 0 proto keepalived",
                     "-6 106:\tfrom 2001:db8:98::/64 lookup 100 proto keepalived"]:
            self.assertIn(want, r)
        t = table(self.r1, 100)
        self.assertIn("-4 10.60.0.0/16 via 10.99.0.254 dev eth0 proto keepalived metric 7 mtu 1400 "
                      "advmss 1300", t)
        self.assertIn("-4 blackhole 10.61.0.0/16 proto keepalived", t)
        a = static_addrs(self.r1)
        self.assertTrue(any("10.98.0.5/24" in x and "eth0:st" in x for x in a), a)
        self.assertTrue(any("10.96.0.1 peer 10.96.0.2/32" in x for x in a), a)
        self.assertTrue(any("2001:db8:98::5/64" in x and "home" in x and "noprefixroute" in x
                            for x in a), a)
        self.assertTrue(any("2001:db8:97::5/128" in x and "deprecated" in x for x in a), a)

        # MASTER: the virtual routes and rules appear with the VIP.
        self.assertIsNotNone(wait_until(lambda: self.r1.has_addr(VIP), 8), "r1 never became master")
        self.assertIsNotNone(wait_until(lambda: self.virtual_present(self.r1), 2),
                             rules(self.r1) + table(self.r1, 200))

        # A higher priority router takes over: r1 leaves MASTER, its virtual ones go, statics stay.
        d2 = self.start(self.r2, "n2", global_conf("n2") + instance(200, "MASTER"))
        self.assertIsNotNone(wait_until(lambda: not self.r1.has_addr(VIP), 8), "r1 stayed master")
        self.assertIsNotNone(wait_until(lambda: self.virtual_absent(self.r1), 2),
                             rules(self.r1) + table(self.r1, 200))
        self.assert_statics(self.r1, True)
        self.assertIsNotNone(wait_until(lambda: self.virtual_present(self.r2), 5))

        # TERM: the statics go with the daemon; r2's virtual ones go with its stop.
        self.assertEqual(d1.stop(signal.SIGTERM), 0)
        self.assert_statics(self.r1, False)
        self.assertTrue(self.virtual_absent(self.r1))
        self.assertEqual(d2.stop(signal.SIGTERM), 0)
        self.assertTrue(self.virtual_absent(self.r2), rules(self.r2) + table(self.r2, 200))
        self.assertFalse(self.r2.has_addr(VIP))

    def test_statics_alone_follow_a_reload(self):
        d = self.start(self.r1, "n1", global_conf("n1") + STATICS)
        self.assertIsNotNone(wait_until(lambda: len(static_addrs(self.r1)) == 4, 5),
                             d.logtext()[-2000:])
        self.assert_statics(self.r1, True)
        changed = (STATICS.replace("    fwmark 5/0xff table 100 priority 101\n", "")
                   .replace("    blackhole 10.61.0.0/16 table 100\n",
                            "    blackhole 10.61.0.0/16 table 100\n"
                            "    unreachable 10.63.0.0/16 table 100\n"))
        self.assertNotEqual(changed, STATICS)
        d.reload(global_conf("n1") + changed)

        def reloaded():
            r, t = rules(self.r1), table(self.r1, 100)
            return (not any(x.startswith("-4 101:") for x in r)
                    and "-4 unreachable 10.63.0.0/16 proto keepalived" in t)
        self.assertIsNotNone(wait_until(reloaded, 5), rules(self.r1) + table(self.r1, 100))
        self.assertEqual(len(table(self.r1, 100)), 5)
        self.assertEqual(len(static_addrs(self.r1)), 4, "unchanged addresses stay")
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertEqual(rules(self.r1), [])
        self.assertEqual(table(self.r1, 100), [])
        self.assertEqual(static_addrs(self.r1), [])
        self.assertNotIn("static:", d.logtext(), "a static failed to apply")

    @unittest.skipUnless(os.access(KEEPALIVED, os.X_OK), "keepalived not installed")
    def test_same_lines_as_keepalived(self):
        # Each daemon alone on its own segment, as master, with the same file.
        self.rig.add_bridge("br1")
        self.rig.add_bridge("br2")
        hv = self.rig.add_host("hv", ["10.99.0.1/24"], bridge="br1")
        hk = self.rig.add_host("hk", ["10.99.0.1/24"], bridge="br2")
        text = global_conf("d") + STATICS + instance(255, "MASTER")
        seen = {}
        for host, kind in ((hv, "vigil"), (hk, "keepalived")):
            d = self.start(host, kind, text, kind=kind)
            ok = wait_until(lambda: self.virtual_present(host) and len(static_addrs(host)) == 4, 10)
            self.assertIsNotNone(ok, f"{kind}: {rules(host)} {table(host, 200)} {static_addrs(host)}")
            seen[kind] = [sorted(x) for x in (rules(host), table(host, 100), table(host, 200),
                                                static_addrs(host))]
            self.assertEqual(d.stop(signal.SIGTERM), 0)
            self.assertEqual(rules(host), [], f"{kind} left rules")
            left = static_addrs(host)
            if kind == "keepalived":
                # keepalived 2.2.7 deletes a peer address without its peer: it stays behind.
                left = [a for a in left if " peer " not in a]
            self.assertEqual(left, [], f"{kind} left addresses")
        for i, what in enumerate(("ip rule", "ip route table 100", "ip route table 200",
                                  "ip -d addr")):
            self.assertEqual(seen["vigil"][i], seen["keepalived"][i], what)


if __name__ == "__main__":
    unittest.main(verbosity=2)
