"""Unicast, VRRPv3 over IPv6, dual-master, and a three-node election."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import RigTest, Daemon, Rig, global_conf, holder, instance_conf, master_down, wait_until  # noqa


class Modes(RigTest):
    TAG = "m"

    def setUp(self):
        super().setUp()

    def test_unicast_pair(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        vip = "10.99.0.10"
        d1 = self.start(r1, "n1", global_conf("n1") + instance_conf(
            priority=150, state="MASTER", unicast=("10.99.0.1", ["10.99.0.2"])))
        self.start(r2, "n2", global_conf("n2") + instance_conf(
            priority=100, unicast=("10.99.0.2", ["10.99.0.1"])))
        self.assertIsNotNone(wait_until(lambda: holder([r1, r2], vip) == ["r1"], 8))
        time.sleep(2)
        self.assertEqual(holder([r1, r2], vip), ["r1"], "unicast backup did not hear the master")
        d1.kill(signal.SIGKILL)
        self.assertIsNotNone(wait_until(lambda: r2.has_addr(vip), 5))

    def test_v3_ipv6(self):
        r1 = self.rig.add_host("r1", ["fd00:99::1/64"])
        r2 = self.rig.add_host("r2", ["fd00:99::2/64"])
        # Link-local addresses must settle before v6 VRRP can be sent (DAD).
        for h in (r1, r2):
            wait_until(lambda: "tentative" not in h.ip("-6", "addr", "show", "dev", "eth0").stdout
                       and "fe80" in h.ip("-6", "addr", "show", "dev", "eth0").stdout, 5)
        vip = "fd00:99::10"
        kw = dict(version=3, advert=0.2, vips=(vip + "/64",))
        d1 = self.start(r1, "n1", global_conf("n1") + instance_conf(priority=150, state="MASTER", **kw))
        self.start(r2, "n2", global_conf("n2") + instance_conf(priority=100, **kw))
        self.assertIsNotNone(wait_until(lambda: holder([r1, r2], vip) == ["r1"], 6))
        time.sleep(1)
        self.assertEqual(holder([r1, r2], vip), ["r1"])
        d1.kill(signal.SIGKILL)
        took = wait_until(lambda: r2.has_addr(vip), 4)
        self.assertIsNotNone(took)
        # The kill, the poll and a busy host add a little; a wrong timer (a 1 s advert, no
        # skew) would be seconds off.
        self.assertLessEqual(took, 1.05 * master_down(0.2, 100) + 0.3)

    def test_dual_master(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        a, b = "10.99.0.10", "10.99.0.11"

        def conf(name, pa, pb):
            return (global_conf(name) +
                    instance_conf(name="VI_A", vrid=51, priority=pa, vips=(a + "/24",)) +
                    instance_conf(name="VI_B", vrid=52, priority=pb, vips=(b + "/24",)))

        d1 = self.start(r1, "n1", conf("n1", 150, 100))
        self.start(r2, "n2", conf("n2", 100, 150))
        self.assertIsNotNone(wait_until(lambda: holder([r1, r2], a) == ["r1"] and
                                        holder([r1, r2], b) == ["r2"], 8), "each node master of one")
        d1.kill(signal.SIGKILL)
        self.assertIsNotNone(wait_until(lambda: r2.has_addr(a) and r2.has_addr(b), 6),
                             "both VIPs should be on r2 after r1 fails")

    def test_three_nodes_elect_the_highest_then_the_next(self):
        hosts = [self.rig.add_host(f"r{i}", [f"10.99.0.{i}/24"]) for i in (1, 2, 3)]
        vip = "10.99.0.10"
        ds = [self.start(h, f"n{i}", global_conf(f"n{i}") + instance_conf(priority=p))
              for i, (h, p) in enumerate(zip(hosts, (100, 200, 150)))]
        self.assertIsNotNone(wait_until(lambda: holder(hosts, vip) == ["r2"], 8))
        ds[1].kill(signal.SIGKILL)
        self.assertIsNotNone(wait_until(lambda: holder(hosts, vip) in (["r2", "r3"], ["r3"]) and
                                        hosts[2].has_addr(vip), 6))
        time.sleep(2)
        self.assertFalse(hosts[0].has_addr(vip), "priority 100 should stay backup under 150")


if __name__ == "__main__":
    unittest.main(verbosity=2)
