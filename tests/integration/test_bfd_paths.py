"""BFD over IPv6 and over a routed path (max_hops), with Debian's keepalived 2.2.7 as the peer.

What keepalived 2.2.7 puts on the wire (seen with tcpdump in namespaces): IPv4 TTL 255 and IPv6
hop limit 64 by default (`ttl` and `hoplimit` set the one value, whatever the family), port 3784
whatever max_hops says (never RFC 5883's 4784), and it drops a packet whose TTL / hop limit is
below its own configured value less max_hops. The tests check that Vigil sends the same and
accepts what keepalived sends, and nothing less.
"""
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import RigTest, global_conf, wait_until  # noqa
from test_bfd_keepalived import DETECT, DETECT_LIMIT, MIN_MS, MULT, bfd_conf, session  # noqa


def wire(host, seconds=2.5, count=16):
    """(source, destination port, ttl or hop limit) of the BFD packets host sees on eth0."""
    r = host.run("timeout", str(seconds), "tcpdump", "-l", "-n", "-v", "-c", str(count), "-i",
                 "eth0", "udp", check=False, timeout=seconds + 5)
    out, seen = r.stdout, []
    # tcpdump -v: "IP (tos 0x0, ttl 255, ...)\n    10.0.0.2.49152 > 10.0.0.1.3784: ..." and
    # "IP6 (flowlabel ..., hlim 64, ...) fd00::2.49152 > fd00::1.3784: ..."
    for m in re.finditer(r"(?:ttl|hlim) (\d+),.*?\)\s+([0-9a-f:.]+)\.(\d+) > [0-9a-f:.]+\.(\d+):",
                         out, re.S):
        seen.append((m.group(2), int(m.group(4)), int(m.group(1))))
    return seen


# One BFD packet, state Down toward our discriminator, with the given hop limit.
PROBE = r"""
import socket, struct
fam = socket.AF_INET6 if ":" in "@DST@" else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if fam == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, @TTL@)
else:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, @TTL@)
s.bind(("@SRC@", 50001))
for i in range(@N@):
    s.sendto(struct.pack("!BBBBIIIII", 1 << 5, 1 << 6, 3, 24, 0x4321, @MINE@, 1000000, 100000,
                         0), ("@DST@", 3784))
print("sent")
"""


def probe(host, src, dst, ttl, mine, n):
    text = (PROBE.replace("@SRC@", src).replace("@DST@", dst).replace("@TTL@", str(ttl))
            .replace("@MINE@", str(mine)).replace("@N@", str(n)))
    return host.run("python3", "-c", text).stdout


class BfdIpv6(RigTest):
    TAG = "6"
    A, B = "fd00:99::1", "fd00:99::2"

    def setUp(self):
        super().setUp()
        self.r1 = self.rig.add_host("r1", [f"{self.A}/64"])
        self.r2 = self.rig.add_host("r2", [f"{self.B}/64"])

    def run_both_ways(self, vigil_extra, ka_extra, while_up=None):
        vg = self.start(self.r1, "vg", global_conf("vg") + bfd_conf("B", self.B, vigil_extra))
        ka = self.start(self.r2, "ka", global_conf("ka") + bfd_conf("B", self.A, ka_extra),
                        "keepalived")
        up = wait_until(lambda: session(vg, "B").get("state") == "Up", 15, 0.02)
        self.assertIsNotNone(up, "no IPv6 BFD session with keepalived")
        self.assertIsNotNone(wait_until(lambda: session(vg, "B").get("tx_interval_ms") == MIN_MS
                                        and not session(vg, "B").get("polling"), 5, 0.02))
        s = session(vg, "B")
        self.assertEqual(s["detection_time_ms"], MULT * MIN_MS)
        self.assertEqual(s["port"], 3784)
        self.assertEqual(s["drops"], {})
        seen = wire(self.r1)
        mine = {t for src, port, t in seen if src == self.A}
        theirs = {t for src, port, t in seen if src == self.B}
        print(f"IPv6 up after {up:.3f} s; hop limit on the wire: vigild {mine}, keepalived {theirs}")
        self.assertEqual(theirs, {64}, seen)
        self.assertEqual(mine, {64}, seen)
        self.assertEqual({port for _, port, _ in seen}, {3784})
        if while_up:
            while_up(vg)
        time.sleep(1)
        self.assertEqual(session(vg, "B")["state_changes"], s["state_changes"], "session flapped")
        self.assertEqual(session(vg, "B")["state"], "Up")
        ka.kill(signal.SIGKILL)
        took = wait_until(lambda: session(vg, "B").get("state") != "Up", 5, 0.002)
        self.assertIsNotNone(took)
        after = session(vg, "B")
        self.assertEqual(after["diag"], "control_detection_time_expired")
        print(f"IPv6: keepalived kill -9 -> Down in {took:.3f} s (detection {DETECT:.3f} s)")
        self.assertGreaterEqual(took, DETECT - MIN_MS / 1000 - 0.03)
        self.assertLessEqual(took, DETECT_LIMIT)
        return vg

    def test_vigil_active_keepalived_passive(self):
        self.run_both_ways("", "    passive\n")

    def test_keepalived_active_vigil_passive(self):
        def low_hop_limit(vg):
            # Hop limit 63 with max_hops 0 did not come straight from the neighbour: dropped,
            # although each packet (state Down, our discriminator) would end the session.
            mine = session(vg, "B")["local_discriminator"]
            self.assertIn("sent", probe(self.r2, self.B, self.A, 63, mine, 50))
            self.assertIsNotNone(wait_until(
                lambda: session(vg, "B").get("drops", {}).get("bad_ttl") == 50, 3, 0.02))

        self.run_both_ways("    passive\n", "", low_hop_limit)


class BfdMultihop(RigTest):
    """r1 -- rt -- r2: one router between the BFD peers."""

    TAG = "m"
    A, B = "10.98.1.1", "10.98.2.2"

    def setUp(self):
        super().setUp()
        self.rig.add_bridge("br1")
        self.r1 = self.rig.add_host("r1", [f"{self.A}/24"])
        self.rt = self.rig.add_host("rt", ["10.98.1.254/24"])
        self.rig.plug(self.rt, "eth1", ["10.98.2.254/24"], bridge="br1")
        self.r2 = self.rig.add_host("r2", [f"{self.B}/24"], bridge="br1")
        self.rt.run("sysctl", "-qw", "net.ipv4.ip_forward=1")
        self.r1.ip("route", "add", "10.98.2.0/24", "via", "10.98.1.254")
        self.r2.ip("route", "add", "10.98.1.0/24", "via", "10.98.2.254")

    def test_session_across_a_router_and_the_ttl_check_of_max_hops(self):
        conf = lambda hops: global_conf("vg") + bfd_conf("B", self.B, f"    max_hops {hops}\n")
        vg = self.start(self.r1, "vg", conf(1))
        self.start(self.r2, "ka", global_conf("ka") + bfd_conf("B", self.A, "    max_hops 1\n"),
                   "keepalived")
        up = wait_until(lambda: session(vg, "B").get("state") == "Up", 15, 0.02)
        self.assertIsNotNone(up, "no multihop session with keepalived")
        s = session(vg, "B")
        self.assertEqual(s["port"], 3784)
        self.assertEqual(s["drops"], {})
        seen = wire(self.r1)
        # keepalived's 255 arrives as 254; Vigil's leaves at 255 to port 3784, as keepalived's.
        self.assertEqual({t for src, _, t in seen if src == self.B}, {254}, seen)
        self.assertEqual({t for src, _, t in seen if src == self.A}, {255}, seen)
        self.assertEqual({port for _, port, _ in seen}, {3784}, seen)
        print(f"multihop (max_hops 1, one router): up after {up:.3f} s; wire {sorted(set(seen))}")
        time.sleep(1.5)
        changes = session(vg, "B")["state_changes"]
        # max_hops 0: what crossed a router is refused, and the session times out.
        vg.reload(conf(0))
        down = wait_until(lambda: session(vg, "B").get("state") == "Down", 5, 0.01)
        self.assertIsNotNone(down, "max_hops 0 still accepts packets that crossed a router")
        s = session(vg, "B")
        self.assertGreater(s["drops"].get("bad_ttl", 0), 0)
        self.assertEqual(s["diag"], "control_detection_time_expired")
        self.assertEqual(s["state_changes"], changes + 1)
        print(f"max_hops 0 across a router: Down in {down:.3f} s, "
              f"drops {s['drops']}")
        vg.reload(conf(1))
        self.assertIsNotNone(wait_until(lambda: session(vg, "B").get("state") == "Up", 15, 0.02),
                             "the session did not return with max_hops 1")


if __name__ == "__main__":
    unittest.main(verbosity=2)
