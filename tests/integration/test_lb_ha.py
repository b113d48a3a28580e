"""Two LVS-NAT directors in a VRRP sync group: the external VIP and the real servers' gateway move
together, and new connections keep being served after the master director dies.

client (10.0.0.100) --br0-- d1/d2 (VIP 10.0.0.10) --br1-- real servers a, b (gateway 10.0.1.254)
"""
import json
import os
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from netns import VIGILD, Rig, wait_until  # noqa

VIP, GW = "10.0.0.10", "10.0.1.254"
CLIENT = r"""
import json, sys, time, urllib.request
end = time.monotonic() + float(sys.argv[2])
out = []
while time.monotonic() < end:
    t = time.monotonic()
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=0.5) as r:
            out.append([t, r.read().decode().strip()])
    except Exception as e:
        out.append([t, "error"])
    time.sleep(0.05)
print(json.dumps(out))
"""


def director_conf(name, prio, state):
    return f"""global_defs {{
    router_id {name}
    lvs_backend nftables
}}
vrrp_sync_group G {{
    group {{
        EXT
        GW
    }}
}}
vrrp_instance EXT {{
    state {state}
    interface eth0
    virtual_router_id 10
    priority {prio}
    advert_int 1
    virtual_ipaddress {{
        {VIP}/24
    }}
}}
vrrp_instance GW {{
    state {state}
    interface eth1
    virtual_router_id 11
    priority {prio}
    advert_int 1
    virtual_ipaddress {{
        {GW}/24
    }}
}}
virtual_server {VIP} 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.0.1.11 80 {{
        TCP_CHECK {{
            connect_timeout 1
        }}
    }}
    real_server 10.0.1.12 80 {{
        TCP_CHECK {{
            connect_timeout 1
        }}
    }}
}}
"""


class DirectorPair(unittest.TestCase):
    def test_new_connections_survive_director_failover(self):
        with Rig("h") as rig:
            rig.add_bridge("br1")
            cl = rig.add_host("cl", ["10.0.0.100/24"])
            dirs = []
            for i, (prio, state) in enumerate(((150, "MASTER"), (100, "BACKUP")), start=1):
                d = rig.add_host(f"d{i}", [f"10.0.0.{i}/24"])
                rig.plug(d, "eth1", [f"10.0.1.{i}/24"], bridge="br1")
                for k, v in (("ip_forward", 1), ("conf.all.rp_filter", 0), ("conf.eth0.rp_filter", 0),
                             ("conf.eth1.rp_filter", 0), ("conf.all.send_redirects", 0)):
                    d.run("sysctl", "-qw", f"net.ipv4.{k}={v}")
                conf = rig.path(f"d{i}.conf")
                with open(conf, "w") as f:
                    f.write(director_conf(f"d{i}", prio, state))
                p = d.spawn([VIGILD, "-n", "-l", "-f", conf, "-p", rig.path(f"d{i}.pid"),
                             "--status-socket", rig.path(f"d{i}.sock")], log=rig.path(f"d{i}.log"))
                dirs.append((d, p))
            for name, addr in (("a", "10.0.1.11"), ("b", "10.0.1.12")):
                h = rig.add_host(name, [f"{addr}/24"], bridge="br1")
                h.ip("route", "add", "default", "via", GW)
                root = rig.path(f"www-{name}")
                os.makedirs(root)
                with open(os.path.join(root, "who"), "w") as f:
                    f.write(name + "\n")
                h.spawn(["python3", "-m", "http.server", "80", "--bind", addr, "--directory", root])
            try:
                (d1, p1), (d2, p2) = dirs
                self.assertIsNotNone(wait_until(lambda: d1.has_addr(VIP) and d1.has_addr(GW), 10),
                                     "d1 did not become master of both instances")

                def served():
                    r = cl.run("python3", "-c", CLIENT, f"http://{VIP}/who", "1", timeout=30)
                    return {x[1] for x in json.loads(r.stdout)}

                self.assertIsNotNone(wait_until(lambda: served() == {"a", "b"}, 10, 0.2),
                                     "the pool is not served through d1")
                # A client keeps opening connections while d1 dies.
                result = {}
                t = threading.Thread(target=lambda: result.update(
                    out=cl.run("python3", "-c", CLIENT, f"http://{VIP}/who", "9", timeout=60).stdout))
                t.start()
                time.sleep(1.5)
                rig.stop(p1, signal.SIGKILL)
                d1.ip("link", "set", "eth0", "down")
                d1.ip("link", "set", "eth1", "down")
                took = wait_until(lambda: d2.has_addr(VIP) and d2.has_addr(GW), 6)
                self.assertIsNotNone(took, "d2 did not take both VIPs")
                t.join()
                out = json.loads(result["out"])
                start = out[0][0]
                kill_at = start + 1.5
                after = [r for tm, r in out if tm > kill_at + took + 0.5]
                print(f"takeover {took:.2f} s; {len(after)} requests after it, "
                      f"{sum(1 for r in after if r == 'error')} failed")
                self.assertGreater(len(after), 20)
                self.assertEqual([r for r in after if r == "error"], [],
                                 "new connections failed after the takeover")
                self.assertEqual({r for r in after}, {"a", "b"})
            except AssertionError:
                for i in (1, 2):
                    print(open(rig.path(f"d{i}.log"), errors="replace").read()[-3000:])
                raise


if __name__ == "__main__":
    unittest.main(verbosity=2)
