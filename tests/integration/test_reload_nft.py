"""Reload under the nftables backend (namespaces): a changed weight replaces only the pool and chain
of its service (seen with `nft monitor`), and checkers that survive a reload keep their counters,
whether the file kept them in place or moved them."""
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import RigTest, global_conf, wait_until  # noqa: E402

# Accepts and closes: what a TCP_CHECK needs.
SERVER = r"""
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080))
s.listen(64)
while True:
    c, _ = s.accept()
    c.close()
"""


def vs(port, servers, weights=None, address="10.99.0.50"):
    weights = weights or {}
    rs = "".join(f"    real_server {a} 8080 {{\n        weight {weights.get(a, 1)}\n"
                 "        TCP_CHECK {\n            connect_timeout 1\n        }\n    }\n"
                 for a in servers)
    return (f"virtual_server {address} {port} {{\n    delay_loop 1\n    lb_algo wrr\n"
            f"    lb_kind NAT\n    protocol TCP\n{rs}}}\n")


SERVERS = ["10.98.0.1", "10.98.0.2", "10.98.0.3"]


class ReloadNft(RigTest):
    TAG = "rn"

    def conf(self, body):
        return global_conf("rn", "    lvs_backend nftables\n") + body

    def probes(self, d):
        """{(virtual server, real server): probes of its check}."""
        st = d.status() or {"virtual_servers": []}
        return {(v["name"], r["address"]): r["checks"][0]["probes"]
                for v in st["virtual_servers"] for r in v["real_servers"] if r["checks"]}

    def weights(self, d):
        st = d.status() or {"virtual_servers": []}
        return {(v["name"], r["address"]): r["weight_now"]
                for v in st["virtual_servers"] for r in v["real_servers"]}

    def monitor(self, host):
        lines = []
        p = subprocess.Popen(["ip", "netns", "exec", host.ns, "stdbuf", "-oL", "nft", "monitor"],
                             stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.rig.procs.append(p)
        threading.Thread(target=lambda: lines.extend(l.rstrip() for l in p.stdout),
                         daemon=True).start()

        def ready():
            host.run("nft", "add", "table", "inet", "probe")
            host.run("nft", "delete", "table", "inet", "probe")
            return wait_until(lambda: any("probe" in l for l in lines), 1, 0.05) is not None

        self.assertIsNotNone(wait_until(ready, 20, 0.1), "nft monitor reported nothing")
        return lines

    def reload(self, d, text):
        n = d.logtext().count("Configuration reloaded")
        d.reload(text)
        self.assertIsNotNone(
            wait_until(lambda: d.logtext().count("Configuration reloaded") > n, 20, 0.05),
            "no reload")
        # The operator sees where a reload spent its time.
        self.assertRegex(d.logtext(), r"Configuration reloaded in \d+ ms \(file \d+ ms, VRRP \d+ ms, "
                         r"virtual servers \d+ ms, checkers \d+ ms\)")

    def test_weight_change_touches_one_service_and_checkers_keep_counting(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        r1.ip("route", "add", "local", "10.98.0.0/24", "dev", "lo")
        r1.spawn(["python3", "-c", SERVER], log=self.rig.path("server.log"))
        body = vs(80, SERVERS) + vs(81, SERVERS) + vs(82, SERVERS)
        d = self.start(r1, "d", self.conf(body))
        self.assertIsNotNone(wait_until(lambda: "Virtual servers started in" in d.logtext(), 10,
                                        0.1), d.logtext())
        self.assertRegex(d.logtext(), r"Virtual servers started in \d+ ms: 3 virtual servers, 9 "
                         r"real servers, 9 checks\n")
        all_in = lambda: len(self.weights(d)) == 9 and set(self.weights(d).values()) == {1}  # noqa
        self.assertIsNotNone(wait_until(all_in, 20, 0.3), d.status())
        self.assertIsNotNone(wait_until(lambda: min(self.probes(d).values() or [0]) >= 3, 20, 0.3))
        lines = self.monitor(r1)
        mark, before = len(lines), self.probes(d)

        # One weight: that service's slots and dispatch element, nothing else.
        self.reload(d, self.conf(vs(80, SERVERS) + vs(81, SERVERS, {"10.98.0.2": 4}) +
                                 vs(82, SERVERS)))
        key = ("10.99.0.50:81", "10.98.0.2:8080")
        self.assertIsNotNone(wait_until(lambda: self.weights(d)[key] == 4, 10, 0.1))
        time.sleep(1)
        events = [l for l in lines[mark:] if not l.startswith("#")]
        print("\n".join(events))
        # Its slots in the pool map (keyed by its address and port): 10.98.0.2 holds 4 of the 6.
        elements = [l for l in events if " element " in l]
        slots = [l for l in elements if " pool_ip_tcp " in l]
        self.assertTrue(all(" . 10.99.0.50 . 81 : " in l for l in slots), events)
        added = [l for l in slots if l.startswith("add ")]
        self.assertEqual(len(added), 6, events)
        self.assertEqual(len([l for l in added if ": 10.98.0.2 . 8080 }" in l]), 4, events)
        # It now goes to the chain of 6-slot pools, new, whose one rule is the only one made.
        dispatch = [l for l in elements if " svc_ip " in l]
        self.assertEqual(len(dispatch) + len(slots), len(elements), events)
        self.assertTrue(dispatch and all(" { tcp . 10.99.0.50 . 81 : " in l for l in dispatch),
                        events)
        self.assertTrue(dispatch[-1].startswith("add ") and "goto pick_ip_tcp_rr_6 }" in
                        dispatch[-1], events)
        rules = [l for l in events if " rule " in l]
        self.assertTrue(rules and all(" pick_ip_tcp_rr_6 " in l for l in rules), events)
        self.assertFalse([l for l in events if " table " in l or
                          (" chain " in l and " pick_ip_tcp_rr_6" not in l)], events)
        after = self.probes(d)
        for k, n in before.items():
            self.assertGreaterEqual(after[k], n, f"{k}: its checker started again")

        # A virtual server first in the file and a real server gone: the others keep theirs.
        mark, before = len(lines), self.probes(d)
        self.reload(d, self.conf(vs(80, ["10.98.0.9"], address="10.99.0.49") +
                                 vs(80, SERVERS) + vs(81, SERVERS, {"10.98.0.2": 4}) +
                                 vs(82, SERVERS[:2])))
        self.assertIsNotNone(wait_until(lambda: len(self.weights(d)) == 9, 10, 0.1))
        after = self.probes(d)
        self.assertNotIn(("10.99.0.50:82", "10.98.0.3:8080"), after)
        for k, n in after.items():
            if k[0] == "10.99.0.49:80":
                continue
            self.assertGreaterEqual(n, before[k], f"{k}: its checker started again")
        self.assertIsNotNone(wait_until(lambda: self.weights(d)[("10.99.0.49:80",
                                                                 "10.98.0.9:8080")] == 1, 10, 0.2))
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
