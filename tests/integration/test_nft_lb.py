"""NAT load balancing through the nftables backend, end to end, inside network namespaces.

client (10.0.0.100) -> director (VIP 10.0.0.10, ip_forward=1) -> real servers 10.0.1.11-13
and a sorry server 10.0.1.20, each a python http.server answering with its own name. The real
servers route back through the director, which undoes the NAT. The director's table is applied
by tests/unit/ipvs' vigil-nft-apply through the library's Nftables backend.
"""
import collections
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from netns import BUILD_DIR, Rig, http_requests, sh, wait_until  # noqa: E402

APPLY = os.path.join(BUILD_DIR, "tests", "unit", "ipvs", "vigil-nft-apply")
VIP = "10.0.0.10"
SERVERS = {"a": "10.0.1.11", "b": "10.0.1.12", "c": "10.0.1.13", "sorry": "10.0.1.20"}



UDP_PORT = 5353
UDP_SERVER = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    data, peer = s.recvfrom(512)
    s.sendto(sys.argv[3].encode(), peer)
"""
# One UDP flow: always the same source port, so conntrack keeps it on one server.
UDP_CLIENT = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 40000))
s.settimeout(2)
out = []
for _ in range(int(sys.argv[3])):
    s.sendto(b"who", (sys.argv[1], int(sys.argv[2])))
    try:
        out.append(s.recvfrom(512)[0].decode())
    except socket.timeout:
        out.append("timeout")
print(" ".join(out))
"""


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    print("ok:", msg)


class Lab:
    def __init__(self, rig):
        self.rig = rig
        self.table = f"vigil{os.getpid()}"
        self.client = rig.add_host("cl", ["10.0.0.100/24"])
        self.director = rig.add_host("dir", ["10.0.0.1/24", f"{VIP}/24", "10.0.1.1/24"])
        for k in ("ip_forward", "conf.all.send_redirects", "conf.eth0.send_redirects",
                  "conf.all.rp_filter", "conf.eth0.rp_filter"):
            self.director.run("sysctl", "-qw", f"net.ipv4.{k}={1 if k == 'ip_forward' else 0}")
        self.servers = {}
        for name, addr in SERVERS.items():
            h = rig.add_host(name, [f"{addr}/24"])
            h.ip("route", "add", "default", "via", "10.0.1.1")
            root = rig.path(f"www-{name}")
            os.makedirs(root)
            with open(os.path.join(root, "who"), "w") as f:
                f.write(name + "\n")
            h.spawn(["python3", "-m", "http.server", "80", "--bind", addr, "--directory", root],
                    log=rig.path(f"http-{name}.log"))
            h.spawn(["python3", "-c", UDP_SERVER, addr, str(UDP_PORT), name])
            self.servers[name] = h
        for name, addr in SERVERS.items():
            ok = wait_until(lambda: self.director.run(
                "curl", "-s", "-m", "1", f"http://{addr}/who", check=False).returncode == 0, 10, 0.1)
            check(ok is not None, f"http server {name} answers")

    def apply(self, dests, sched="wrr", persist=0, udp=None):
        path = self.rig.path("table.json")
        services = [{"vip": VIP, "port": 80, "proto": "tcp", "sched": sched, "persist": persist,
                     "dests": [{"addr": SERVERS[n], "port": 80, "weight": w} for n, w in dests]}]
        if udp:
            services.append({"vip": VIP, "port": UDP_PORT, "proto": "udp", "sched": "rr",
                             "dests": [{"addr": SERVERS[n], "port": UDP_PORT, "weight": 1}
                                       for n in udp]})
        with open(path, "w") as f:
            json.dump(services, f)
        r = self.director.run(APPLY, "--table", self.table, path, check=False)
        check(r.returncode == 0, f"apply {dests} {sched} persist={persist} ({r.stderr.strip()})")

    def flush(self):
        r = self.director.run(APPLY, "--table", self.table, "--flush", check=False)
        check(r.returncode == 0, f"flush ({r.stderr.strip()})")

    def requests(self, n, host=None):
        return http_requests(host or self.client, f"http://{VIP}/who", n, timeout=60)

    def tables(self):
        return self.director.run("nft", "list", "tables").stdout


def spread(answers):
    return collections.Counter(answers)


def main():
    if not os.path.exists(APPLY):
        raise SystemExit(f"missing {APPLY}: build the vigil-nft-apply target")
    with Rig("nlb") as rig:
        lab = Lab(rig)

        # The IPVS backend reports clearly that this kernel has none.
        r = lab.director.run(APPLY, "--ipvs", check=False)
        check(r.returncode == 2 and
              "IPVS not available in this kernel; use lvs_backend nftables" in r.stderr,
              "IPVS backend: not available error")

        lab.apply([("a", 1), ("b", 2), ("c", 3)])
        c = spread(lab.requests(60))
        print("weights 1:2:3 ->", dict(c))
        check(sum(c[k] for k in "abc") == 60, "every request answered by a real server")
        for name, want in (("a", 10), ("b", 20), ("c", 30)):
            check(abs(c[name] - want) <= 4, f"{name} got {c[name]} of 60, weight share {want}")

        # Local clients on the director go through the output hook.
        c = spread(lab.requests(6, host=lab.director))
        check(sum(c[k] for k in "abc") == 6, f"local client balanced too {dict(c)}")

        lab.apply([("a", 1), ("c", 3)])
        c = spread(lab.requests(40))
        print("b removed ->", dict(c))
        check(c["b"] == 0 and c["a"] + c["c"] == 40, "removed server takes no new connection")
        check(abs(c["a"] - 10) <= 3, f"a keeps its share ({c['a']} of 40)")

        # Empty pool: the model puts the sorry server in.
        lab.apply([("sorry", 1)])
        c = spread(lab.requests(10))
        check(c["sorry"] == 10, f"sorry server answers everything {dict(c)}")

        lab.apply([("a", 1), ("b", 1), ("c", 1)], sched="rr")
        c = spread(lab.requests(30))
        print("restored rr ->", dict(c))
        check(all(abs(c[k] - 10) <= 2 for k in "abc"), f"restore: round robin again {dict(c)}")

        # Persistence: one client stays on one server, learnt from the first connection.
        lab.apply([("a", 1), ("b", 1), ("c", 1)], sched="wlc", persist=300)
        c = spread(lab.requests(12))
        print("persistent ->", dict(c))
        check(len(c) == 1 and next(iter(c)) in "abc", "persistent client sticks to one server")

        # Replacing the table is atomic: requests during 20 updates all succeed.
        errors = []
        stop = threading.Event()

        def load():
            while not stop.is_set():
                errors.extend(a for a in lab.requests(10) if a.startswith("error"))

        t = threading.Thread(target=load)
        t.start()
        try:
            for i in range(20):
                lab.apply([("a", 1 + i % 3), ("b", 1), ("c", 2)])
        finally:
            stop.set()
            t.join(timeout=60)
        check(not errors, f"no failed request while the table is replaced ({len(errors)} errors)")

        # A flow keeps its server after a map change until its conntrack entry is cut.
        def udp(n):
            return lab.client.run("python3", "-c", UDP_CLIENT, VIP, str(UDP_PORT), str(n),
                                  timeout=30).stdout.split()
        lab.apply([("a", 1)], udp=["a"])
        check(udp(2) == ["a", "a"], "udp flow starts on a")
        lab.apply([("a", 1)], udp=["b"])
        check(udp(2) == ["a", "a"], "existing udp flow stays on a after a is removed")
        r = lab.director.run(APPLY, "--cut", "udp", VIP, str(UDP_PORT), SERVERS["a"],
                             str(UDP_PORT), check=False)
        check(r.returncode == 0, f"conntrack cut of a's flows ({r.stderr.strip()})")
        check(udp(2) == ["b", "b"], "after the cut the flow moves to b")

        lab.flush()
        check(lab.table not in lab.tables(), "flush leaves no table behind")
        c = spread(lab.requests(3))
        check(all(a.startswith("error") for a in c), "no balancing after flush")
        lab.flush()  # idempotent
    print("PASS")


if __name__ == "__main__":
    main()
