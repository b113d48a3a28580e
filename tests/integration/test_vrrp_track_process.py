"""vrrp_track_process inside network namespaces (where keepalived's proc connector fails): a
tracked process that ends moves the VIP to the peer within its delay + 1 s, by weight or by FAULT,
and its return brings the VIP back; a quorum of 2 is not met by one process.

The tracked processes are this test's own `sleep` children with an argument no one else uses,
or a copy of sleep under a name of this test's own; each is ended by its pid."""
import os
import shutil
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import RigTest, global_conf, holder, instance_conf, wait_until  # noqa: E402

VIP = "10.99.0.10"
ADVERT = 0.1  # VRRPv3: a backup takes over 0.36 s after the master's priority drops


def unique_seconds(n):
    """A sleep argument that names this run: no other process has it."""
    return f"{80000 + os.getpid() % 9000}.{n}"


class TrackProcess(RigTest):
    TAG = "p"

    def setUp(self):
        super().setUp()
        self.r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        self.r2 = self.rig.add_host("r2", ["10.99.0.2/24"])

    def holder(self):
        return holder([self.r1, self.r2], VIP)

    def spawn(self, argv):
        return self.r1.spawn(argv)

    def end(self, proc):
        self.rig.stop(proc, signal.SIGKILL, timeout=5)

    def pair(self, track_block, ref):
        conf1 = (global_conf("n1") + track_block +
                 instance_conf(priority=150, state="MASTER", advert=ADVERT, version=3,
                               extra=f"    track_process {{\n        {ref}\n    }}"))
        d1 = self.start(self.r1, "n1", conf1)
        d2 = self.start(self.r2, "n2", global_conf("n2") +
                        instance_conf(priority=100, advert=ADVERT, version=3))
        return d1, d2

    def tracked(self, d, name):
        s = d.status()
        if not s:
            return None
        for p in s["vrrp"]["track_processes"]:
            if p["name"] == name:
                return p
        return None

    def state(self, d):
        s = d.status()
        return s["vrrp"]["instances"][0]["state"] if s else None

    def move_and_back(self, block, proc_argv, delay, expect_fault):
        proc = self.spawn(proc_argv)  # running before the daemons start
        d1, d2 = self.pair(block, "app")
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r1"] and
                                        self.state(d2) == "BACKUP", 10),
                             "r1 never became master with its process running")
        self.assertEqual(self.tracked(d1, "app"), {"name": "app", "running": 1, "quorum": True})

        t0 = time.monotonic()
        self.end(proc)
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r2"], delay + 3),
                             "the VIP did not move when the process ended")
        moved = time.monotonic() - t0
        print(f"process killed -> VIP on the peer in {moved:.3f} s (delay {delay} s)")
        self.assertGreaterEqual(moved, delay, "the terminate delay was not honoured")
        self.assertLessEqual(moved, delay + 1.0)
        self.assertEqual(self.tracked(d1, "app"), {"name": "app", "running": 0, "quorum": False})
        self.assertEqual(self.state(d1), "FAULT" if expect_fault else "BACKUP")

        # A start is seen at the next scan (0.5 s at most), then the delay, then preemption.
        t0 = time.monotonic()
        proc = self.spawn(proc_argv)
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r1"], delay + 3),
                             "the VIP did not come back with the process")
        back = time.monotonic() - t0
        print(f"process restarted -> VIP back on r1 in {back:.3f} s (delay {delay} s)")
        self.assertGreaterEqual(back, delay, "the fork delay was not honoured")
        self.assertLessEqual(back, delay + 1.5)
        self.assertEqual(self.state(d1), "MASTER")
        self.end(proc)

    def test_weighted_process_moves_the_vip_and_back(self):
        arg = unique_seconds(1)
        block = ("vrrp_track_process app {\n"
                 f"    process sleep {arg}\n"  # parameters: the full command line, exactly
                 "    weight -60\n"
                 "    delay 1\n"
                 "}\n")
        self.move_and_back(block, ["sleep", arg], 1.0, expect_fault=False)

    def test_unweighted_process_means_fault(self):
        arg = unique_seconds(2)
        block = ("vrrp_track_process app {\n"
                 f"    process sleep {arg}\n"
                 "    param_match partial\n"  # more parameters may follow
                 "    terminate_delay 0.5\n"
                 "    fork_delay 0.5\n"
                 "}\n")
        self.move_and_back(block, ["sleep", arg, "1"], 0.5, expect_fault=True)

    def test_quorum_of_two_needs_two(self):
        name = f"vgq{os.getpid() % 100000}"  # the comm: at most 15 characters
        prog = self.rig.path(name)
        shutil.copy(shutil.which("sleep"), prog)
        block = ("vrrp_track_process app {\n"
                 f"    process {name}\n"
                 "    quorum 2\n"
                 "}\n")
        conf = (global_conf("n1") + block +
                instance_conf(priority=150, state="MASTER", advert=ADVERT, version=3,
                              extra="    track_process {\n        app\n    }"))
        d1 = self.start(self.r1, "n1", conf)
        first = self.spawn([prog, "600"])
        self.assertIsNotNone(wait_until(lambda: (self.tracked(d1, "app") or {}).get("running") == 1, 5))
        time.sleep(1.0)  # long enough to become master, were the quorum met
        self.assertEqual(self.tracked(d1, "app")["quorum"], False)
        self.assertEqual(self.state(d1), "FAULT")
        self.assertEqual(self.holder(), [])

        t0 = time.monotonic()
        second = self.spawn([prog, "600"])
        self.assertIsNotNone(wait_until(lambda: self.holder() == ["r1"], 3),
                             "two processes did not meet the quorum")
        print(f"second process started -> master in {time.monotonic() - t0:.3f} s")
        self.assertEqual(self.tracked(d1, "app"), {"name": "app", "running": 2, "quorum": True})
        self.end(second)
        self.assertIsNotNone(wait_until(lambda: self.state(d1) == "FAULT", 3))
        self.assertEqual(self.holder(), [])
        self.end(first)


if __name__ == "__main__":
    unittest.main(verbosity=2)
