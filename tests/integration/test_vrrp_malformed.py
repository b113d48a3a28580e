"""A flood of malformed or rejected VRRP packets changes no state and re-arms no timer: each is
dropped and counted by reason (keepalived lets such a flood silence its master)."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import Daemon, Rig, global_conf, holder, instance_conf, master_down, wait_until  # noqa

VIP = "10.99.0.10"

# Runs in the attacker's namespace: N adverts for VRID 51, each broken in one way, multicast to
# 224.0.0.18 with a raw IP socket (the kernel builds the IP header unless the TTL is the fault).
FLOOD = r"""
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
def advert(ver=2, typ=1, vrid=51, prio=254, count=1, auth=0, adv=1, addrs=("10.99.0.10",), good=True):
    body = struct.pack("!BBBBBBH", (ver << 4) | typ, vrid, prio, count, auth, adv, 0)
    body += b"".join(socket.inet_aton(a) for a in addrs) + b"\0" * 8
    c = csum(body) if good else 0x1234
    return body[:6] + struct.pack("!H", c) + body[8:]
kinds = [
    ("bad_checksum", dict(good=False), 255),
    ("bad_ttl", dict(), 64),
    ("bad_version", dict(ver=4), 255),
    ("bad_type", dict(typ=2), 255),
    ("addr_list", dict(addrs=("10.99.0.99",)), 255),
    ("addr_count", dict(count=2, addrs=("10.99.0.10", "10.99.0.11")), 255),
    ("interval", dict(adv=3), 255),
]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[2]))
import time
n = int(sys.argv[1])
for i in range(n):
    if i % 10 == 0:
        time.sleep(0.004)  # about 2,500 a second: the flood outlasts the master-down interval
    name, kw, ttl = kinds[i % len(kinds)]
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
    s.sendto(advert(**kw), ("224.0.0.18", 0))
    if name == "bad_checksum" and i % 1000 == 0:
        # a truncated packet too
        s.sendto(b"\x21\x33", ("224.0.0.18", 0))
print("sent", n)
"""


class Malformed(unittest.TestCase):
    def test_ten_thousand_bad_packets_change_nothing(self):
        with Rig("x") as rig:
            r1 = rig.add_host("r1", ["10.99.0.1/24"])
            r2 = rig.add_host("r2", ["10.99.0.2/24"])
            bad = rig.add_host("bad", ["10.99.0.66/24"])
            m = Daemon(r1, "vigil", global_conf("m") + instance_conf(priority=150, state="MASTER"), "m").start()
            b = Daemon(r2, "vigil", global_conf("b") + instance_conf(priority=100), "b").start()
            try:
                self.assertIsNotNone(wait_until(lambda: holder([r1, r2], VIP) == ["r1"], 8))
                time.sleep(1.2)
                before_m = m.status()["vrrp"]["instances"][0]
                before_b = b.status()["vrrp"]["instances"][0]
                # Flood for a while, several times the master-down interval: if bad packets
                # re-armed the backup's timer it would still hold; if they counted as adverts
                # from a better master, the master would step down.
                t0 = time.monotonic()
                bad.run(sys.executable, "-c", FLOOD, "10000", "10.99.0.66", timeout=60)
                self.assertEqual(holder([r1, r2], VIP), ["r1"], "the flood moved the VIP")
                after_m = m.status()["vrrp"]["instances"][0]
                after_b = b.status()["vrrp"]["instances"][0]
                self.assertEqual(after_m["state"], "MASTER")
                self.assertEqual(after_b["state"], "BACKUP")
                self.assertEqual(after_m["became_master"], before_m["became_master"])
                self.assertEqual(after_b["became_master"], before_b["became_master"])
                drops_b = sum(after_b["drops"].values()) + sum(b.status()["vrrp"]["drops"].values())
                print(f"flood of 10,000 took {time.monotonic() - t0:.2f} s; backup drops by reason: "
                      f"{after_b['drops']} socket-level: {b.status()['vrrp']['drops']}")
                self.assertGreaterEqual(drops_b, 10000 * 0.99, "drops not counted")
                self.assertGreaterEqual(len(set(after_b["drops"]) | set(b.status()["vrrp"]["drops"])), 5,
                                        "drops not counted by reason")
                # The master dies: the backup still takes over on time (no timer was re-armed).
                m.kill(signal.SIGKILL)
                took = wait_until(lambda: r2.has_addr(VIP), 6)
                self.assertIsNotNone(took)
                self.assertLessEqual(took, 1.05 * master_down(1, 100) + 0.1)
            except AssertionError:
                print(m.logtext()[-2000:], b.logtext()[-2000:])
                raise


if __name__ == "__main__":
    unittest.main(verbosity=2)
