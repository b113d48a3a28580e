"""Sync groups across two interfaces, unicast peers and in-place reload, with vigild in namespaces.

A sync group's members move together: a tracked interface failing under one member puts the whole
group in FAULT and the peer takes every VIP; when it recovers the group takes them back together.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import RigTest, Daemon, Rig, global_conf, holder, instance_conf, wait_until  # noqa

VIP_A = "10.99.0.10"
VIP_B = "10.98.0.10"


def group_conf(router_id, priority, track=None):
    a_extra = ("    track_interface {\n        " + track + "\n    }") if track else ""
    return (global_conf(router_id) +
            "vrrp_sync_group G {\n    group {\n        VI_A\n        VI_B\n    }\n}\n" +
            instance_conf("VI_A", "eth0", 51, priority, version=3, advert=0.1,
                          vips=(VIP_A + "/24",), extra=a_extra) +
            instance_conf("VI_B", "eth1", 52, priority, version=3, advert=0.1,
                          vips=(VIP_B + "/24",)))


class SyncGroup(RigTest):
    TAG = "g"

    def setUp(self):
        super().setUp()
        self.rig.add_bridge("br1")
        self.r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        self.r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        self.rig.plug(self.r1, "eth1", ["10.98.0.1/24"], "br1")
        self.rig.plug(self.r2, "eth1", ["10.98.0.2/24"], "br1")

    def holders(self):
        hosts = [self.r1, self.r2]
        return holder(hosts, VIP_A), holder(hosts, VIP_B)

    def state_of(self, d, name):
        s = d.status()
        if not s:
            return None
        for i in s["vrrp"]["instances"]:
            if i["name"] == name:
                return i["state"]
        return None

    def test_tracked_interface_failure_moves_the_whole_group(self):
        # A link only VI_A tracks: a veth pair inside r1.
        self.r1.ip("link", "add", "trk0", "type", "veth", "peer", "name", "trk1")
        self.r1.ip("link", "set", "trk1", "up")
        self.r1.ip("link", "set", "trk0", "up")
        n1 = self.start(self.r1, "n1", group_conf("n1", 150, track="trk0"))
        self.start(self.r2, "n2", group_conf("n2", 100))
        self.assertIsNotNone(wait_until(lambda: self.holders() == (["r1"], ["r1"]), 8),
                             f"r1 should hold both VIPs: {self.holders()}")

        self.r1.ip("link", "set", "trk0", "down")
        self.assertIsNotNone(wait_until(lambda: self.holders() == (["r2"], ["r2"]), 5),
                             f"the peer should take both VIPs: {self.holders()}")
        self.assertEqual(self.state_of(n1, "VI_A"), "FAULT")
        self.assertIn(self.state_of(n1, "VI_B"), ("FAULT", "BACKUP"))

        self.r1.ip("link", "set", "trk0", "up")
        self.assertIsNotNone(wait_until(lambda: self.holders() == (["r1"], ["r1"]), 8),
                             f"r1 should take both back: {self.holders()}")

    def test_unicast_peers_elect_and_fail_over(self):
        def conf(rid, prio, src, peer):
            return global_conf(rid) + instance_conf(
                "VI_U", "eth0", 61, prio, version=3, advert=0.1, vips=(VIP_A + "/24",),
                unicast=(src, [peer]))
        n1 = self.start(self.r1, "n1", conf("n1", 150, "10.99.0.1", "10.99.0.2"))
        n2 = self.start(self.r2, "n2", conf("n2", 100, "10.99.0.2", "10.99.0.1"))
        hosts = [self.r1, self.r2]
        self.assertIsNotNone(wait_until(lambda: holder(hosts, VIP_A) == ["r1"], 8))

        def received():
            s = n2.status()
            return s["vrrp"]["instances"][0]["adverts_received"] if s else 0
        # 0.1 s adverts reach the backup over unicast, and keep it backup.
        self.assertIsNotNone(wait_until(lambda: received() > 10, 3), n2.status())
        self.assertEqual(self.state_of(n2, "VI_U"), "BACKUP")
        self.assertEqual(holder(hosts, VIP_A), ["r1"])
        n1.kill()
        # kill -9 leaves r1's address behind: only r2's side tells.
        self.assertIsNotNone(wait_until(lambda: self.r2.has_addr(VIP_A), 3),
                             "unicast backup did not take over")

    def test_reload_changes_priority_and_vips_in_place(self):
        def conf(rid, prio, vips):
            return global_conf(rid) + instance_conf("VI_R", "eth0", 71, prio, version=3,
                                                    advert=0.1, vips=vips)
        n1 = self.start(self.r1, "n1", conf("n1", 150, (VIP_A + "/24",)))
        n2 = self.start(self.r2, "n2", conf("n2", 100, (VIP_A + "/24",)))
        hosts = [self.r1, self.r2]
        self.assertIsNotNone(wait_until(lambda: holder(hosts, VIP_A) == ["r1"], 8))

        def inst(d):
            return d.status()["vrrp"]["instances"][0]
        before = inst(n1)
        # Lower, but still above the peer, and one more VIP: no transition, the VIP appears.
        # The peer has the same reload (its VIP list must match the master's adverts).
        n1.reload(conf("n1", 120, (VIP_A + "/24", "10.99.0.11/24")))
        n2.reload(conf("n2", 100, (VIP_A + "/24", "10.99.0.11/24")))
        self.assertIsNotNone(wait_until(lambda: self.r1.has_addr("10.99.0.11"), 3),
                             self.r1.addrs())
        self.assertIsNotNone(wait_until(lambda: inst(n1)["effective_priority"] == 120, 3))
        after = inst(n1)
        self.assertEqual(after["state"], "MASTER")
        self.assertEqual(after["became_master"], before["became_master"], "flapped on reload")
        self.assertEqual(after["released_master"], before["released_master"])
        self.assertEqual(holder(hosts, VIP_A), ["r1"])
        # Below the peer: the peer preempts, as the priorities demand.
        n1.reload(conf("n1", 90, (VIP_A + "/24", "10.99.0.11/24")))
        self.assertIsNotNone(wait_until(lambda: holder(hosts, "10.99.0.11") == ["r2"], 3),
                             f"peer did not preempt: {holder(hosts, VIP_A)}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
