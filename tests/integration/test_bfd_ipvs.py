"""BFD_CHECK through the kernel's IPVS (in a User-Mode Linux guest): a NAT real server whose BFD
peer (a second vigild on it) dies leaves the IPVS table within the detection time, and returns
when the peer comes back.

br0: the client (10.0.0.100) and the director's VIP; br1: the director (10.0.1.1) and the real
servers rs1 (BFD_CHECK) and rs2 (no checker).
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uml  # noqa: E402
from netns import Rig, wait_until  # noqa: E402
from lvs_rig import DirectorCase, Vigild, get, ipvs_rules, start_server, sysctls, wait_rules  # noqa: E402
from test_bfd_keepalived import DETECT, DETECT_LIMIT, bfd_conf  # noqa: E402

VIP, RS1, RS2 = "10.0.0.10", "10.0.1.11", "10.0.1.12"
SERVICE = f"-A -t {VIP}:80 -s rr"
LINE1, LINE2 = f"-a -t {VIP}:80 -r {RS1}:80 -m -w 1", f"-a -t {VIP}:80 -r {RS2}:80 -m -w 1"

DIRECTOR = ("global_defs {\n    router_id director\n    lvs_backend auto\n}\n" +
            bfd_conf("B_RS1", RS1) + f"""
virtual_server {VIP} 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server {RS1} 80 {{
        weight 1
        BFD_CHECK {{
            name B_RS1
        }}
    }}
    real_server {RS2} 80 {{
        weight 1
    }}
}}
""")
PEER = "global_defs {\n    router_id rs1\n}\n" + bfd_conf("B_DIR", "10.0.1.1")


class BfdCheckIpvs(DirectorCase):
    @classmethod
    def setUpClass(cls):
        cls.rig = rig = Rig("b").__enter__()
        try:
            rig.add_bridge("br1")
            cls.client = rig.add_host("cl", ["10.0.0.100/24"])
            cls.dir = d = rig.add_host("dir", ["10.0.0.1/24", f"{VIP}/24"])
            rig.plug(d, "eth1", ["10.0.1.1/24"], bridge="br1")
            sysctls(d, [("net.ipv4.ip_forward", 1)])
            cls.rs = {}
            for name, addr in (("a", RS1), ("b", RS2)):
                h = rig.add_host(name, [f"{addr}/24"], bridge="br1")
                h.ip("route", "add", "default", "via", "10.0.1.1")
                start_server(h, name, [80])
                cls.rs[name] = h
        except BaseException:
            rig.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.rig.close()

    def real_server_checks(self, addr):
        for vs in (self.vigild.status() or {}).get("virtual_servers", []):
            for rs in vs["real_servers"]:
                if rs["address"].startswith(addr + ":"):
                    return rs["checks"]
        return None

    def test_real_server_follows_its_bfd_peer_in_the_ipvs_table(self):
        self.vigild = Vigild(self.dir, DIRECTOR)
        # No peer yet: rs1 is not in the kernel's table.
        want = {SERVICE, LINE2}
        self.assertEqual(wait_rules(self.dir, want), want)
        peer = Vigild(self.rs["a"], PEER, name="peer")
        t0 = time.monotonic()
        full = {SERVICE, LINE1, LINE2}
        self.assertEqual(wait_rules(self.dir, full), full, "rs1 did not join with its session Up")
        joined = time.monotonic() - t0
        time.sleep(1.5)  # past the poll sequence: 100 ms intervals
        checks = self.real_server_checks(RS1)
        self.assertEqual(checks, [{"type": "BFD_CHECK", "name": "B_RS1", "state": "Up",
                                   "up": True}])
        self.assertEqual(sorted(set(get(self.client, VIP, 80, 4))), ["a", "b"])
        t0 = time.monotonic()
        os.killpg(peer.proc.pid, signal.SIGKILL)
        out = wait_until(lambda: LINE1 not in ipvs_rules(self.dir), 5, 0.01)
        self.assertIsNotNone(out, "rs1 stayed in the IPVS table after its BFD peer died")
        print(f"BFD_CHECK over IPVS: rs1 in the table {joined:.3f} s after its peer started; "
              f"out {out:.3f} s after kill -9 (detection {DETECT:.3f} s, "
              f"limit {DETECT_LIMIT + 0.15:.3f} s)")
        # + the ipvsadm reads of a slow guest
        self.assertLessEqual(out, DETECT_LIMIT + 0.15)
        self.assertEqual(ipvs_rules(self.dir), want)
        self.assertEqual(set(get(self.client, VIP, 80, 4)), {"b"})
        Vigild(self.rs["a"], PEER, name="peer2")
        t0 = time.monotonic()
        self.assertEqual(wait_rules(self.dir, full), full, "rs1 did not return with its peer")
        print(f"BFD_CHECK over IPVS: rs1 back {time.monotonic() - t0:.3f} s after its peer "
              f"restarted")


if __name__ == "__main__":
    uml.main(__file__, timeout=200)
