"""lvs_flush and lvs_flush_on_stop on the kernel's IPVS table (UML guest, one boot).

A foreign service, added with ipvsadm before vigild starts, is gone once vigild has started
with lvs_flush and kept without it; after SIGTERM the table is what lvs_flush_on_stop says:
nothing at all (no argument), or the foreign service alone (VS, and the default).
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uml  # noqa: E402
from netns import Rig  # noqa: E402
from lvs_rig import DirectorCase, Vigild, ipvs_rules, wait_rules  # noqa: E402

VIP = "10.0.0.10"
FOREIGN = {"-A -t 10.0.0.99:8080 -s rr", "-a -t 10.0.0.99:8080 -r 10.0.1.99:8080 -m -w 1"}
OURS = {f"-A -t {VIP}:80 -s rr", f"-a -t {VIP}:80 -r 10.0.1.11:80 -m -w 1"}


def conf(extra=""):
    return ("global_defs {\n    router_id t\n    lvs_backend ipvs\n" + extra + "}\n"
            f"virtual_server {VIP} 80 {{\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n"
            "    real_server 10.0.1.11 80 {\n        weight 1\n    }\n}\n")


class Flush(DirectorCase):
    @classmethod
    def setUpClass(cls):
        cls.rig = Rig("f").__enter__()
        try:
            cls.dir = cls.rig.add_host("dir", ["10.0.0.1/24", f"{VIP}/24"])
        except BaseException:
            cls.rig.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.rig.close()

    def foreign(self):
        self.dir.run("ipvsadm", "-A", "-t", "10.0.0.99:8080", "-s", "rr")
        self.dir.run("ipvsadm", "-a", "-t", "10.0.0.99:8080", "-r", "10.0.1.99:8080", "-m")
        self.assertEqual(ipvs_rules(self.dir), FOREIGN)

    def run_and_stop(self, extra):
        self.vigild = Vigild(self.dir, conf(extra))
        started = wait_rules(self.dir, OURS | (set() if "lvs_flush\n" in extra else FOREIGN))
        self.assertEqual(self.vigild.stop(), 0)
        self.vigild = None
        return started, ipvs_rules(self.dir)

    def test_default_keeps_the_foreign_service_at_start_and_stop(self):
        self.foreign()
        started, stopped = self.run_and_stop("")
        self.assertEqual(started, OURS | FOREIGN)
        self.assertEqual(stopped, FOREIGN)

    def test_lvs_flush_empties_the_table_at_start(self):
        self.foreign()
        started, stopped = self.run_and_stop("    lvs_flush\n")
        self.assertEqual(started, OURS)
        self.assertEqual(stopped, set())

    def test_lvs_flush_on_stop_flushes_everything_and_vs_only_ours(self):
        self.foreign()
        started, stopped = self.run_and_stop("    lvs_flush_on_stop\n")
        self.assertEqual(started, OURS | FOREIGN)
        self.assertEqual(stopped, set())
        self.foreign()
        started, stopped = self.run_and_stop("    lvs_flush_on_stop VS\n")
        self.assertEqual(started, OURS | FOREIGN)
        self.assertEqual(stopped, FOREIGN)


if __name__ == "__main__":
    uml.main(__file__, timeout=180)
