"""ha_suspend in namespaces: the checkers of a virtual server whose address is not on the host
do not probe (the status says suspended, the probe count stands still, the real server sees no
connection); they resume when the address is added and stop again when it is removed. A
virtual server without ha_suspend is checked throughout."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import RigTest, global_conf, wait_until  # noqa: E402

VIP = "10.99.0.50"
RS = "10.99.0.2"


def vs(port, extra):
    return (f"virtual_server {VIP} {port} {{\n    delay_loop 0.3\n    lb_algo rr\n"
            f"    lb_kind NAT\n    protocol TCP\n{extra}"
            f"    real_server {RS} {port} {{\n        TCP_CHECK {{\n"
            f"            connect_timeout 1\n        }}\n    }}\n}}\n")


class HaSuspend(RigTest):
    TAG = "hs"

    def checks(self, d):
        st = d.status()
        if not st:
            return None
        return {v["name"]: v["real_servers"][0]["checks"][0] for v in st["virtual_servers"]
                if v["real_servers"] and v["real_servers"][0]["checks"]}

    def test_checkers_follow_the_virtual_address(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        rs = self.rig.add_host("rs", [f"{RS}/24"])
        for port in (80, 81):
            rs.spawn(["python3", "-m", "http.server", "--bind", RS, str(port)],
                     log=self.rig.path(f"http{port}.log"))
        d = self.start(r1, "d", global_conf("hs", "    lvs_backend nftables\n") +
                       vs(80, "    ha_suspend\n") + vs(81, ""))
        got = {}

        def read():
            c = self.checks(d)
            if c and len(c) == 2:
                got.update(c)
                return True
            return False

        self.assertIsNotNone(wait_until(read, 10), "no status")
        suspended, plain = sorted(got)  # 10.99.0.50:80, 10.99.0.50:81
        self.assertTrue(wait_until(lambda: read() and got[plain]["probes"] >= 3, 10))
        self.assertTrue(got[suspended]["suspended"])
        self.assertFalse(got[plain]["suspended"])
        before = got[suspended]["probes"]
        time.sleep(1)
        read()
        self.assertEqual(got[suspended]["probes"], before, "a suspended checker probed")
        self.assertIn("Suspending healthchecker", d.logtext())

        r1.ip("addr", "add", f"{VIP}/32", "dev", "eth0")
        self.assertIsNotNone(wait_until(
            lambda: read() and not got[suspended]["suspended"] and
            got[suspended]["probes"] >= before + 2, 5), "not resumed when the address came")
        self.assertIn("Activating healthchecker", d.logtext())

        r1.ip("addr", "del", f"{VIP}/32", "dev", "eth0")
        self.assertIsNotNone(wait_until(lambda: read() and got[suspended]["suspended"], 5))
        stopped = got[suspended]["probes"]
        plain_then = got[plain]["probes"]
        time.sleep(1)
        read()
        self.assertEqual(got[suspended]["probes"], stopped)
        self.assertGreater(got[plain]["probes"], plain_then)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
