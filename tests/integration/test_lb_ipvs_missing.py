"""`lvs_backend ipvs` on a kernel without IPVS (this host's): one clear log line, a counter in
the status, VRRP running on, another try on reload, and no crash loop."""
import os
from pathlib import Path
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns import VIGILD, Rig, sh, wait_until  # noqa: E402

CONF = """global_defs {
    router_id d
    lvs_backend ipvs
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 255
    advert_int 1
    virtual_ipaddress {
        10.0.0.10/24
    }
}
virtual_server 10.0.0.10 80 {
    lb_algo rr
    protocol TCP
    real_server 10.0.0.21 80 {
    }
}
"""


def kernel_has_ipvs():
    return os.path.exists("/proc/net/ip_vs") or \
        sh("sh", "-c", "grep -q '^ip_vs ' /proc/modules", check=False).returncode == 0


class IpvsMissing(unittest.TestCase):
    def test_lvs_backend_ipvs_without_ipvs(self):
        if kernel_has_ipvs():
            self.skipTest("this kernel has IPVS")
        with Rig("m") as rig:
            d = rig.add_host("dir", ["10.0.0.1/24"])
            conf = rig.path("d.conf")
            Path(conf).write_text(CONF)
            log, sock = rig.path("d.log"), rig.path("d.sock")
            p = d.spawn([VIGILD, "-n", "-l", "-f", conf, "-p", rig.path("d.pid"),
                         "--status-socket", sock], log=log)

            def status():
                import json
                r = sh(VIGILD, "--status", "--json", "--status-socket", sock, check=False)
                return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None

            def lines():
                return [x for x in Path(log).read_text(errors="replace").splitlines()
                        if "IPVS not available" in x]

            try:
                self.assertIsNotNone(wait_until(lambda: lines() and status(), 10, 0.1),
                                     Path(log).read_text())
                print(lines()[0])
                st = status()
                self.assertEqual(st["data_plane"]["open_failures"], 1, st["data_plane"])
                self.assertFalse(st["data_plane"]["running"])
                self.assertIn("IPVS not available", st["data_plane"]["last_error"])
                # VRRP is not taken down with the load balancer.
                self.assertIsNotNone(wait_until(lambda: d.has_addr("10.0.0.10"), 5, 0.1))
                self.assertEqual(status()["vrrp"]["instances"][0]["state"], "MASTER")
                time.sleep(2)
                self.assertIsNone(p.poll(), "vigild exited")
                self.assertEqual(len(lines()), 1, "said more than once")
                os.kill(p.pid, signal.SIGHUP)
                self.assertIsNotNone(
                    wait_until(lambda: status()["data_plane"]["open_failures"] == 2, 10, 0.1),
                    "reload did not try IPVS again")
                self.assertEqual(rig.stop(p), 0)
            except BaseException:
                print(Path(log).read_text(errors="replace")[-4000:])
                raise


if __name__ == "__main__":
    unittest.main(verbosity=2)
