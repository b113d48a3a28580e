"""Two vigild routers on a bridge: election, failover after kill -9 and SIGTERM, preemption."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import (RigTest, Daemon, ArpWatch, Rig, global_conf, holder, instance_conf, mac_of,  # noqa
                      master_down, wait_until)

VIP = "10.99.0.10"


class Pair(RigTest):
    TAG = "p"

    def setUp(self):
        super().setUp()
        self.r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        self.r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        self.cl = self.rig.add_host("cl", ["10.99.0.100/24"])

    def vigil(self, host, name, **kw):
        return self.start(host, name, global_conf(name) + instance_conf(**kw))

    def wait_holder(self, name, timeout):
        return wait_until(lambda: holder([self.r1, self.r2], VIP) == [name], timeout)

    def test_election_then_kill9_failover_within_master_down(self):
        d1 = self.vigil(self.r1, "n1", priority=150, state="MASTER")
        self.vigil(self.r2, "n2", priority=100)
        self.assertIsNotNone(self.wait_holder("r1", 8), "r1 (priority 150) did not become master")
        time.sleep(1.5)
        self.assertEqual(holder([self.r1, self.r2], VIP), ["r1"])
        watch = ArpWatch(self.cl, seconds=15)
        t0 = time.monotonic()
        d1.kill(signal.SIGKILL)
        took = wait_until(lambda: self.r2.has_addr(VIP), 8)
        self.assertIsNotNone(took, "r2 never took over")
        limit = master_down(1, 100)
        print(f"kill -9 failover: {took:.3f} s (master-down {limit:.3f} s)")
        self.assertLessEqual(took, 1.05 * limit + 0.05)
        self.assertGreaterEqual(took, limit - 1.0 - 0.05)  # never before master-down after the last advert
        self.assertTrue(wait_until(lambda: watch.gratuitous(VIP), 2) is not None, "no gratuitous ARP")
        garp = watch.gratuitous(VIP)
        self.assertEqual(garp[0][1], mac_of(self.r2), "gratuitous ARP not from r2's MAC")
        self.assertLessEqual(garp[0][0] - t0, 1.05 * limit + 0.1)

    def test_sigterm_hands_over_within_skew(self):
        d1 = self.vigil(self.r1, "n1", priority=150, state="MASTER")
        self.vigil(self.r2, "n2", priority=100)
        self.assertIsNotNone(self.wait_holder("r1", 8))
        time.sleep(1.2)
        d1.kill(signal.SIGTERM)
        took = wait_until(lambda: self.r2.has_addr(VIP), 5)
        self.assertIsNotNone(took)
        skew = (256 - 100) / 256
        print(f"SIGTERM takeover: {took:.3f} s (skew {skew:.3f} s)")
        self.assertLessEqual(took, skew + 0.15)
        self.assertEqual(d1.stop(signal.SIGTERM), 0)
        self.assertFalse(self.r1.has_addr(VIP), "stopped master kept the VIP")

    def test_preempt_back_and_nopreempt(self):
        d1 = self.vigil(self.r1, "n1", priority=150, state="MASTER")
        self.vigil(self.r2, "n2", priority=100)
        self.assertIsNotNone(self.wait_holder("r1", 8))
        d1.stop(signal.SIGTERM)
        self.assertIsNotNone(self.wait_holder("r2", 5))
        # Higher priority returns: it preempts.
        self.vigil(self.r1, "n1b", priority=150, state="MASTER")
        self.assertIsNotNone(self.wait_holder("r1", 8), "r1 did not preempt")
        self.assertFalse(self.r2.has_addr(VIP))

    def test_nopreempt_keeps_the_lower_priority_master(self):
        self.vigil(self.r2, "n2", priority=100)
        self.assertIsNotNone(self.wait_holder("r2", 8))
        self.vigil(self.r1, "n1", priority=150, state="BACKUP", nopreempt=True)
        time.sleep(5)
        self.assertEqual(holder([self.r1, self.r2], VIP), ["r2"], "nopreempt node took over")

    def test_equal_priority_two_masters_resolve_to_higher_address(self):
        # Partitioned (the switch drops r2's frames, carrier stays up), both become master;
        # joined, the lower primary address steps down.
        from netns import sh
        sw = self.rig.switch
        rules = ("table bridge part { chain c { type filter hook forward priority 0; "
                 "iifname p1 drop; oifname p1 drop; }; }")
        sh("ip", "netns", "exec", sw, "nft", rules)
        self.vigil(self.r1, "n1", priority=100)
        self.vigil(self.r2, "n2", priority=100)
        both = wait_until(lambda: holder([self.r1, self.r2], VIP) == ["r1", "r2"], 10)
        self.assertIsNotNone(both, "partitioned routers should both be master")
        sh("ip", "netns", "exec", sw, "nft", "delete table bridge part")
        self.assertIsNotNone(self.wait_holder("r2", 5), "10.99.0.2 should win the tie")
        time.sleep(2)
        self.assertEqual(holder([self.r1, self.r2], VIP), ["r2"])

if __name__ == "__main__":
    unittest.main(verbosity=2)
