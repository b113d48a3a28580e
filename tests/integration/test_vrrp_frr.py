"""Interoperation with FRRouting's vrrpd (RFC 5798 v3), an independent implementation."""
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import Daemon, FrrDaemon, Rig, global_conf, instance_conf, master_down, wait_until  # noqa

VIP = "10.99.0.10"
ADVERT = 0.2


def frr_state(frr):
    m = re.search(r"Status \(v4\)\s+(\w+)", frr.show())
    return m.group(1) if m else None


class WithFrr(unittest.TestCase):
    def setUp(self):
        self.rig = Rig("f").__enter__()
        self.r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        self.r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        self.vigil = None
        self.frr = None

    def tearDown(self):
        res = self._outcome.result
        if any(t is self for t, _ in res.errors + res.failures):
            if self.vigil:
                print(f"---- vigil log ----\n{self.vigil.logtext()[-3000:]}")
            if self.frr:
                print(f"---- frr ----\n{self.frr.show()}")
        if self.frr:
            self.frr.kill()
        self.rig.close()

    def start_vigil(self, priority, state):
        self.vigil = Daemon(self.r2, "vigil",
                            global_conf("vg") + instance_conf(priority=priority, state=state,
                                                              version=3, advert=ADVERT, vrid=5),
                            "vg").start()

    def test_frr_master_vigil_backup_then_failover(self):
        self.frr = FrrDaemon(self.r1, "eth0", 5, 150, [VIP + "/24"], advert_ms=int(ADVERT * 1000)).start()
        self.assertIsNotNone(wait_until(lambda: frr_state(self.frr) == "Master", 10), "FRR not master")
        self.start_vigil(100, "BACKUP")
        time.sleep(3 * master_down(ADVERT, 100) + 1)
        self.assertFalse(self.r2.has_addr(VIP), "Vigil took the VIP from a higher-priority FRR master")
        self.assertEqual(frr_state(self.frr), "Master")
        self.frr.kill()
        took = wait_until(lambda: self.r2.has_addr(VIP), 5)
        self.assertIsNotNone(took, "Vigil did not take over from FRR")
        print(f"FRR killed -> Vigil master in {took:.3f} s")
        self.assertLessEqual(took, 1.05 * master_down(ADVERT, 100) + 0.1)

    def test_vigil_master_frr_backup_then_failover(self):
        self.start_vigil(150, "MASTER")
        self.assertIsNotNone(wait_until(lambda: self.r2.has_addr(VIP), 5), "Vigil not master")
        self.frr = FrrDaemon(self.r1, "eth0", 5, 100, [VIP + "/24"], advert_ms=int(ADVERT * 1000)).start()
        self.assertIsNotNone(wait_until(lambda: frr_state(self.frr) == "Backup", 10),
                             f"FRR not backup: {frr_state(self.frr)}")
        time.sleep(2)
        self.assertEqual(frr_state(self.frr), "Backup", "FRR did not accept Vigil's adverts")
        self.vigil.kill(signal.SIGKILL)
        self.assertIsNotNone(wait_until(lambda: frr_state(self.frr) == "Master", 5),
                             "FRR did not take over from Vigil")


if __name__ == "__main__":
    unittest.main(verbosity=2)
