"""Tracking (scripts, interfaces) moves mastership; notify scripts run in order with keepalived's
arguments."""
import os
from pathlib import Path
import signal
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import RigTest, Daemon, Rig, global_conf, holder, instance_conf, wait_until  # noqa

VIP = "10.99.0.10"


def write_script(path, body):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, stat.S_IRWXU)


class Tracking(RigTest):
    TAG = "t"

    def setUp(self):
        super().setUp()
        self.r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        self.r2 = self.rig.add_host("r2", ["10.99.0.2/24"])

    def holder(self):
        return holder([self.r1, self.r2], VIP)

    def test_failing_track_script_lowers_priority_and_moves_the_vip(self):
        flag = self.rig.path("fail")
        chk = self.rig.path("chk.sh")
        write_script(chk, f"test ! -e {flag}")
        conf1 = (global_conf("n1") +
                 f"vrrp_script chk {{\n    script \"{chk}\"\n    interval 1\n    weight -60\n"
                 "    fall 1\n    rise 1\n}\n" +
                 instance_conf(priority=150, state="MASTER",
                               extra="    track_script {\n        chk\n    }"))
        self.start(self.r1, "n1", conf1)
        self.start(self.r2, "n2", global_conf("n2") + instance_conf(priority=100))
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r1"], 8))
        open(flag, "w").close()  # the check now fails: 150 - 60 = 90 < 100
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r2"], 6),
                             "failing track_script did not move the VIP")
        os.unlink(flag)
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r1"], 6),
                             "recovered track_script did not move the VIP back")

    def test_tracked_interface_down_means_fault(self):
        # A second link on r1 to track (a veth pair inside r1's namespace).
        self.r1.ip("link", "add", "up0", "type", "veth", "peer", "name", "up0p")
        self.r1.ip("link", "set", "up0", "up")
        self.r1.ip("link", "set", "up0p", "up")
        conf1 = global_conf("n1") + instance_conf(
            priority=150, state="MASTER", extra="    track_interface {\n        up0\n    }")
        self.start(self.r1, "n1", conf1)
        self.start(self.r2, "n2", global_conf("n2") + instance_conf(priority=100))
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r1"], 8))
        self.r1.ip("link", "set", "up0p", "down")  # carrier lost on up0
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r2"], 6),
                             "tracked link down did not move the VIP")
        self.r1.ip("link", "set", "up0p", "up")
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r1"], 8),
                             "tracked link up did not bring r1 back")

    def test_notify_scripts_order_and_arguments(self):
        log = self.rig.path("notify.log")
        gen = self.rig.path("notify.sh")
        write_script(gen, f"echo \"generic $*\" >> {log}")
        per = {}
        for st in ("master", "backup", "fault", "stop"):
            per[st] = self.rig.path(f"notify_{st}.sh")
            write_script(per[st], f"echo \"{st} $*\" >> {log}")
        notify = {"notify": gen, "notify_master": per["master"], "notify_backup": per["backup"],
                  "notify_fault": per["fault"], "notify_stop": per["stop"]}
        d1 = self.start(self.r1, "n1", global_conf("n1") +
                        instance_conf(priority=150, state="MASTER", notify=notify))
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r1"], 8))
        wait_until(lambda: os.path.exists(log) and "generic INSTANCE VI_1 MASTER 150" in Path(log).read_text(), 3)
        d1.stop(signal.SIGTERM)
        wait_until(lambda: "STOP" in Path(log).read_text(), 3)
        lines = [l.strip() for l in Path(log).read_text().splitlines()]
        generic = [l for l in lines if l.startswith("generic")]
        self.assertEqual(generic, ["generic INSTANCE VI_1 BACKUP 150", "generic INSTANCE VI_1 MASTER 150",
                                   "generic INSTANCE VI_1 STOP 150"], lines)
        self.assertIn("backup", [l.split()[0] for l in lines])
        self.assertIn("master", [l.split()[0] for l in lines])
        self.assertIn("stop", [l.split()[0] for l in lines])


if __name__ == "__main__":
    unittest.main(verbosity=2)
