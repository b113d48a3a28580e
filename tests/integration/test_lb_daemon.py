"""vigild as an LVS-NAT director on the nftables data plane: HTTP_GET checks drive the pool.

client -> director (vigild, VIP 10.0.0.10:80) -> real servers a, b, c (weights 1, 2, 3) and a
sorry server, each a python http.server naming itself. Stopping a server takes it out of the pool
within delay_loop x retry; with none left the sorry server answers; a restarted server returns.
"""
import collections
import os
from pathlib import Path
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from netns import VIGILD, Rig, http_requests, wait_until  # noqa

VIP = "10.0.0.10"
SERVERS = {"a": ("10.0.1.11", 1), "b": ("10.0.1.12", 2), "c": ("10.0.1.13", 3)}
SORRY = "10.0.1.20"


def config():
    rs = "".join(f"""
    real_server {addr} 80 {{
        weight {w}
        HTTP_GET {{
            url {{
                path /who
                status_code 200
            }}
            connect_timeout 1
            retry 1
            delay_before_retry 0.5
        }}
    }}""" for addr, w in SERVERS.values())
    return f"""global_defs {{
    router_id director
    lvs_backend nftables
}}
virtual_server {VIP} 80 {{
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    sorry_server {SORRY} 80
{rs}
}}
"""


class Director(unittest.TestCase):
    def setUp(self):
        self.rig = Rig("l").__enter__()
        rig = self.rig
        self.client = rig.add_host("cl", ["10.0.0.100/24"])
        self.dir = rig.add_host("dir", ["10.0.0.1/24", f"{VIP}/24", "10.0.1.1/24"])
        for k, v in (("ip_forward", 1), ("conf.all.send_redirects", 0), ("conf.eth0.send_redirects", 0),
                     ("conf.all.rp_filter", 0), ("conf.eth0.rp_filter", 0)):
            self.dir.run("sysctl", "-qw", f"net.ipv4.{k}={v}")
        self.hosts, self.http = {}, {}
        for name, addr in list({k: v[0] for k, v in SERVERS.items()}.items()) + [("sorry", SORRY)]:
            h = rig.add_host(name, [f"{addr}/24"])
            h.ip("route", "add", "default", "via", "10.0.1.1")
            root = rig.path(f"www-{name}")
            os.makedirs(root)
            with open(os.path.join(root, "who"), "w") as f:
                f.write(name + "\n")
            self.hosts[name] = (h, addr, root)
            self.start_http(name)
        self.conf = rig.path("director.conf")
        with open(self.conf, "w") as f:
            f.write(config())
        self.log = rig.path("vigild.log")
        self.vigild = self.dir.spawn([VIGILD, "-n", "-l", "-f", self.conf, "-p", rig.path("pid"),
                                      "--status-socket", rig.path("sock")], log=self.log)

    def tearDown(self):
        res = self._outcome.result
        if any(t is self for t, _ in res.errors + res.failures):
            print(Path(self.log, errors="replace").read_text()[-5000:])
            print(self.dir.run("nft", "list", "ruleset", check=False).stdout)
        self.rig.close()

    def start_http(self, name):
        h, addr, root = self.hosts[name]
        self.http[name] = h.spawn(["python3", "-m", "http.server", "80", "--bind", addr,
                                   "--directory", root], log=self.rig.path(f"http-{name}.log"))

    def stop_http(self, name):
        self.rig.stop(self.http[name])

    def requests(self, n):
        return http_requests(self.client, f"http://{VIP}/who", n)

    def test_pool_follows_checks_with_sorry_server(self):
        ok = wait_until(lambda: set(self.requests(12)) == {"a", "b", "c"}, 15, 0.5)
        self.assertIsNotNone(ok, "the pool never served all three servers")
        counts = collections.Counter(self.requests(120))
        print("spread:", dict(counts))
        self.assertEqual(sum(counts.values()), 120)
        # wrr 1:2:3 over 120 fresh connections: 20/40/60, within a tolerance.
        for name, expect in (("a", 20), ("b", 40), ("c", 60)):
            self.assertLessEqual(abs(counts[name] - expect), 12, counts)

        t0 = time.monotonic()
        self.stop_http("b")
        gone = wait_until(lambda: "b" not in self.requests(12) and "error" not in "".join(self.requests(6)), 10, 0.2)
        self.assertIsNotNone(gone, "stopped server b stayed in the pool")
        print(f"b removed after {time.monotonic() - t0:.2f} s")
        # delay_loop 1 + connect_timeout 1, retry 1 after 0.5 s: well under 6 s.
        self.assertLess(time.monotonic() - t0, 6)

        for name in ("a", "c"):
            self.stop_http(name)
        self.assertIsNotNone(wait_until(lambda: set(self.requests(6)) == {"sorry"}, 10, 0.2),
                             "sorry server did not take the traffic")

        self.start_http("a")
        self.assertIsNotNone(wait_until(lambda: set(self.requests(6)) == {"a"}, 10, 0.2),
                             "recovered server did not return to the pool")

        self.assertEqual(self.rig.stop(self.vigild, signal.SIGTERM), 0)
        tables = self.dir.run("nft", "list", "tables").stdout
        self.assertNotIn("vigil", tables, "vigild left its nftables table behind")
        # Check changes are logged with the real server and service as keepalived names them.
        log = Path(self.log).read_text(errors="replace")
        b = SERVERS["b"][0]
        self.assertRegex(log, rf"HTTP_GET on \[{b}\]:tcp:80 of VS \[{VIP}\]:tcp:80 failed: ")
        self.assertIn(f"HTTP_GET on [{SERVERS['a'][0]}]:tcp:80 of VS [{VIP}]:tcp:80 succeeded",
                      log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
