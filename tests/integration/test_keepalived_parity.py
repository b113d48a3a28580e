"""Where keepalived 2.2.7 and a naive reading of its file differ, Vigil does what keepalived does.

Each case runs beside a real keepalived: IPv6 instances without a version line speak VRRPv3 and
elect one master; weighted tracking in a sync group is ignored unless sync_group_tracking_weight;
the words after a quoted notify command select the user and group.
"""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import RigTest, global_conf, holder, instance_conf, master_down, wait_until  # noqa

VIP6 = "fd00:99::10"
VIP = "10.99.0.10"


def settle_v6(hosts):
    for h in hosts:
        wait_until(lambda: "tentative" not in h.ip("-6", "addr", "show", "dev", "eth0").stdout
                   and "fe80" in h.ip("-6", "addr", "show", "dev", "eth0").stdout, 5)


class Parity(RigTest):
    TAG = "p"

    def ipv6_pair(self, master_kind, backup_kind):
        r1 = self.rig.add_host("r1", ["fd00:99::1/64"])
        r2 = self.rig.add_host("r2", ["fd00:99::2/64"])
        settle_v6([r1, r2])
        # No version line: keepalived speaks VRRPv3 for IPv6; so must Vigil, or both hold the VIP.
        kw = dict(vips=(VIP6 + "/64",))
        m = self.start(r1, "m", global_conf("m") + instance_conf(priority=150, state="MASTER", **kw),
                       master_kind)
        self.start(r2, "b", global_conf("b") + instance_conf(priority=100, **kw), backup_kind)
        self.assertIsNotNone(wait_until(lambda: holder([r1, r2], VIP6) == ["r1"],
                                        3 * master_down(1, 150) + 3), "no single master")
        time.sleep(3.5)
        self.assertEqual(holder([r1, r2], VIP6), ["r1"], f"{backup_kind} did not hear {master_kind}")
        m.kill(signal.SIGKILL)
        took = wait_until(lambda: r2.has_addr(VIP6), 3 * master_down(1, 100) + 2)
        self.assertIsNotNone(took, f"{backup_kind} did not take over")
        print(f"IPv6 without version: {master_kind} -> {backup_kind} failover {took:.3f} s")

    def test_ipv6_without_version_vigil_master_keepalived_backup(self):
        self.ipv6_pair("vigil", "keepalived")

    def test_ipv6_without_version_keepalived_master_vigil_backup(self):
        self.ipv6_pair("keepalived", "vigil")

    def sync_group_conf(self, name, priority, state, tracking_weight):
        return (global_conf(name) +
                "vrrp_script chk {\n    script /bin/false\n    interval 0.5\n    weight -100\n}\n"
                "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n" +
                ("    sync_group_tracking_weight\n" if tracking_weight else "") + "}\n" +
                instance_conf(name="VI_1", vrid=51, priority=priority, state=state,
                              extra="    track_script {\n        chk\n    }") +
                instance_conf(name="VI_2", vrid=52, priority=priority, state=state,
                              vips=("10.99.0.11/24",),
                              extra="    track_script {\n        chk\n    }"))

    def test_sync_group_weights_ignored_as_keepalived_does(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        vg = self.start(r1, "vg", self.sync_group_conf("vg", 150, "MASTER", False))
        # keepalived with the same tracking, as the lower-priority peer.
        ka = self.start(r2, "ka", self.sync_group_conf("ka", 100, "BACKUP", False), "keepalived")
        self.assertIsNotNone(wait_until(lambda: holder([r1, r2], VIP) == ["r1"], 8))
        time.sleep(3)  # the script has failed several times by now
        self.assertEqual(holder([r1, r2], VIP), ["r1"], "a weight in a sync group member was applied")
        for d in (vg, ka):
            self.assertIn("ignoring tracked script chk with weights due to SYNC group", d.logtext(),
                          f"{d.kind} did not say it ignores the weight")

    def test_sync_group_tracking_weight_applies_the_weight(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        self.start(r1, "vg", self.sync_group_conf("vg", 150, "MASTER", True))
        self.start(r2, "ka", self.sync_group_conf("ka", 100, "BACKUP", False), "keepalived")
        # 150 - 100 = 50 < 100: the keepalived peer takes both instances.
        self.assertIsNotNone(wait_until(lambda: r2.has_addr(VIP) and r2.has_addr("10.99.0.11"), 10),
                             "sync_group_tracking_weight did not lower the priority")
        time.sleep(1)
        self.assertFalse(r1.has_addr(VIP))

    def test_notify_user_group_and_arguments(self):
        os.chmod(self.rig.tmp, 0o755)  # the script runs as nobody
        out_dir = self.rig.path("out")
        os.makedirs(out_dir)
        os.chmod(out_dir, 0o777)
        script = self.rig.path("n.sh")
        with open(script, "w") as f:
            f.write('#!/bin/sh\necho "$(id -un):$(id -gn):$*" > "$OUT_DIR/$1"\n'.replace(
                "$OUT_DIR", out_dir))
        os.chmod(script, 0o755)
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        for host, kind, vrid in ((r1, "vigil", 51), (r2, "keepalived", 52)):
            conf = global_conf(kind).replace("    script_user root\n", "") + instance_conf(
                vrid=vrid, priority=255, state="MASTER", vips=(f"10.99.0.{vrid}/24",),
                extra=f'    notify_master "{script} {kind} a2" nobody nogroup')
            self.start(host, kind, conf, kind)
        files = {k: os.path.join(out_dir, k) for k in ("vigil", "keepalived")}
        self.assertIsNotNone(wait_until(lambda: all(os.path.exists(f) for f in files.values()), 10),
                             "a notify_master script did not run")
        time.sleep(0.2)
        got = {k: open(f).read().strip() for k, f in files.items()}
        self.assertEqual(got["keepalived"], "nobody:nogroup:keepalived a2")
        self.assertEqual(got["vigil"], "nobody:nogroup:vigil a2")


if __name__ == "__main__":
    unittest.main(verbosity=2)
