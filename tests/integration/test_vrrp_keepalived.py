"""Interoperation with Debian's keepalived 2.2.x: each side in turn as master, VRRP v2 and v3."""
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import RigTest, Daemon, Rig, global_conf, holder, instance_conf, master_down, wait_until  # noqa

VIP = "10.99.0.10"
# keepalived's complaints about a peer's packets.
COMPLAINTS = re.compile(r"invalid|bogus|checksum|mismatch|ttl|wrong|malformed|unknown|error",
                        re.IGNORECASE)


class WithKeepalived(RigTest):
    TAG = "k"

    def setUp(self):
        super().setUp()
        self.r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        self.r2 = self.rig.add_host("r2", ["10.99.0.2/24"])

    def speaker(self, kind, host, name, **kw):
        return self.start(host, name, global_conf(name) + instance_conf(**kw), kind)

    def holder(self):
        return holder([self.r1, self.r2], VIP)

    def assert_no_complaints(self, ka):
        bad = [l for l in ka.logtext().splitlines() if COMPLAINTS.search(l)]
        self.assertEqual(bad, [], "keepalived complained about Vigil's packets")

    def run_roles(self, master_kind, backup_kind, version, advert, auth=None):
        kw = dict(version=version, advert=advert, auth=auth)
        m = self.speaker(master_kind, self.r1, f"m-{master_kind}", priority=150, state="MASTER", **kw)
        b = self.speaker(backup_kind, self.r2, f"b-{backup_kind}", priority=100, **kw)
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r1"], 3 * master_down(advert, 150) + 3),
                             f"{master_kind} (priority 150) did not become master")
        time.sleep(4 * advert + 0.5)
        self.assertEqual(self.holder(), ["r1"], f"{backup_kind} did not stay backup")
        # Master dies: the backup takes over within the master-down interval.
        t0 = time.monotonic()
        m.kill(signal.SIGKILL)
        took = wait_until(lambda: self.r2.has_addr(VIP), 3 * master_down(advert, 100) + 2)
        self.assertIsNotNone(took, f"{backup_kind} did not take over")
        limit = master_down(advert, 100)
        print(f"{master_kind}->{backup_kind} v{version} kill -9 failover {took:.3f} s (limit {limit:.3f})")
        self.assertLessEqual(took, 1.05 * limit + 0.1)
        # The master comes back and preempts; the backup releases the address.
        self.r1.ip("addr", "del", f"{VIP}/24", "dev", "eth0", check=False)
        self.speaker(master_kind, self.r1, f"m2-{master_kind}", priority=150, state="MASTER", **kw)
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r1"], 3 * master_down(advert, 150) + 4),
                             f"{master_kind} did not preempt back from {backup_kind}")
        for d in self.daemons:
            if d.kind == "keepalived":
                self.assert_no_complaints(d)
        self.assertTrue(b.alive())

    def test_v2_vigil_master_keepalived_backup(self):
        self.run_roles("vigil", "keepalived", 2, 1)

    def test_v2_keepalived_master_vigil_backup(self):
        self.run_roles("keepalived", "vigil", 2, 1)

    def test_v2_auth_pass_both_ways(self):
        self.run_roles("vigil", "keepalived", 2, 1, auth="secret12")

    def test_v3_vigil_master_keepalived_backup(self):
        self.run_roles("vigil", "keepalived", 3, 0.2)

    def test_v3_keepalived_master_vigil_backup(self):
        self.run_roles("keepalived", "vigil", 3, 0.2)

    def test_sigterm_of_keepalived_vigil_takes_over_within_skew(self):
        ka = self.speaker("keepalived", self.r1, "ka", priority=150, state="MASTER")
        self.speaker("vigil", self.r2, "vg", priority=100)
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r1"], 8))
        time.sleep(1.2)
        t0 = time.monotonic()
        ka.kill(signal.SIGTERM)
        took = wait_until(lambda: self.r2.has_addr(VIP), 5)
        self.assertIsNotNone(took)
        print(f"keepalived SIGTERM -> vigil takeover {took:.3f} s")
        # keepalived sends its priority-0 advert at once; the backup waits skew time.
        self.assertLessEqual(took, (256 - 100) / 256 + 0.15)
        self.assertGreaterEqual(took, (256 - 100) / 256 - 0.1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
