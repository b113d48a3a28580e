"""BFD_CHECK: a real server leaves the pool (nftables data plane) within the BFD detection time
once its BFD peer (keepalived 2.2.7 on the real server) dies, and returns when the session is Up
again. The other real server, with no checker, stays throughout.
"""
import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import VIGILD, RigTest, global_conf, wait_until  # noqa
from test_bfd_keepalived import DETECT, DETECT_LIMIT, bfd_conf, session  # noqa

VIP = "10.0.0.10"
RS1, RS2 = "10.0.0.11", "10.0.0.12"


def director_conf():
    return f"""global_defs {{
    router_id director
    lvs_backend nftables
}}
{bfd_conf("B_RS1", RS1)}
virtual_server {VIP} 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server {RS1} 80 {{
        BFD_CHECK {{
            name B_RS1
        }}
    }}
    real_server {RS2} 80 {{
    }}
}}
"""


class BfdCheck(RigTest):
    TAG = "c"

    def setUp(self):
        super().setUp()
        self.dir = self.rig.add_host("dir", ["10.0.0.1/24", f"{VIP}/24"])
        self.rs1 = self.rig.add_host("rs1", [f"{RS1}/24"])

    def alive(self, vg, addr):
        s = vg.status() or {}
        for vs in s.get("virtual_servers", []):
            for rs in vs["real_servers"]:
                if rs["address"].startswith(addr + ":"):
                    return rs["alive"]
        return None

    def bfd_checks(self, vg, addr):
        for vs in (vg.status() or {}).get("virtual_servers", []):
            for rs in vs["real_servers"]:
                if rs["address"].startswith(addr + ":"):
                    return [c for c in rs["checks"] if c.get("type") == "BFD_CHECK"]
        return None

    def in_table(self, addr):
        return addr in self.dir.run("nft", "list", "ruleset").stdout

    def test_real_server_follows_its_bfd_session(self):
        vg = self.start(self.dir, "vg", director_conf())
        # No BFD peer yet: RS1 is out, RS2 (no checker) is in.
        self.assertIsNotNone(wait_until(lambda: self.alive(vg, RS2) is True, 10))
        time.sleep(1.5)
        self.assertIs(self.alive(vg, RS1), False)
        self.assertFalse(self.in_table(RS1))
        self.assertTrue(self.in_table(RS2))
        self.assertEqual(self.bfd_checks(vg, RS1),
                         [{"type": "BFD_CHECK", "name": "B_RS1", "state": "Down", "up": False}])
        self.assertEqual(self.bfd_checks(vg, RS2), [])
        dump = json.loads(self.dir.run(VIGILD, "--dump-config", "-f", vg.conf).stdout)
        self.assertEqual([b["name"] for b in dump["bfd_instances"]], ["B_RS1"])
        self.assertEqual(dump["lvs"]["virtual_servers"][0]["real_servers"][0]["bfd_check"],
                         ["B_RS1"])
        peer = self.start(self.rs1, "p", global_conf("p") + bfd_conf("B", "10.0.0.1"),
                          "keepalived")
        up = wait_until(lambda: self.alive(vg, RS1) is True and self.in_table(RS1), 15, 0.02)
        self.assertIsNotNone(up, "RS1 did not join the pool with its BFD session Up")
        self.assertEqual(session(vg, "B_RS1")["state"], "Up")
        self.assertEqual(self.bfd_checks(vg, RS1)[0]["state"], "Up")
        self.assertIs(self.bfd_checks(vg, RS1)[0]["up"], True)
        time.sleep(1.5)  # past the poll sequence: 100 ms intervals
        self.assertEqual(session(vg, "B_RS1")["detection_time_ms"], DETECT * 1000)
        t0 = time.monotonic()
        peer.kill(signal.SIGKILL)
        out = wait_until(lambda: not self.in_table(RS1), 5, 0.005)
        self.assertIsNotNone(out, "RS1 stayed in the pool after its BFD peer died")
        print(f"BFD_CHECK: RS1 in the pool {up:.3f} s after its peer started; out of the table "
              f"{out:.3f} s after kill -9 (detection {DETECT:.3f} s, limit {DETECT_LIMIT + 0.1:.3f} s)")
        self.assertLessEqual(out, DETECT_LIMIT + 0.1)  # + the nftables transaction
        self.assertIs(self.alive(vg, RS1), False)
        self.assertTrue(self.in_table(RS2))
        self.start(self.rs1, "p2", global_conf("p") + bfd_conf("B", "10.0.0.1"), "keepalived")
        back = wait_until(lambda: self.in_table(RS1), 15, 0.02)
        self.assertIsNotNone(back, "RS1 did not return with its BFD session")
        print(f"BFD_CHECK: RS1 back in the table {back:.3f} s after its peer restarted")
        vg.stop()
        self.assertFalse(self.in_table(RS2), "the director's table outlived vigild")


if __name__ == "__main__":
    unittest.main(verbosity=2)
