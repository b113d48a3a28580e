"""IPv6 NAT load balancing through the nftables backend, in network namespaces.

client 2001:db8::100 -> director (VIP 2001:db8::10, forwarding on) -> real servers
2001:db8:1::11 and ::12 (python http.server), routed back through the director.
"""
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from netns import BUILD_DIR, Rig, http_requests, wait_until  # noqa: E402

APPLY = os.path.join(BUILD_DIR, "tests", "unit", "ipvs", "vigil-nft-apply")
VIP = "2001:db8::10"
SERVERS = {"a": "2001:db8:1::11", "b": "2001:db8:1::12"}


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    print("ok:", msg)


def main():
    if not os.path.exists(APPLY):
        raise SystemExit(f"missing {APPLY}: build the vigil-nft-apply target")
    with Rig("nl6") as rig:
        table = f"vigil6x{os.getpid()}"
        client = rig.add_host("cl", ["2001:db8::100/64"])
        director = rig.add_host("dir", ["2001:db8::1/64", f"{VIP}/64", "2001:db8:1::1/64"])
        director.run("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
        for name, addr in SERVERS.items():
            h = rig.add_host(name, [f"{addr}/64"])
            h.ip("-6", "route", "add", "default", "via", "2001:db8:1::1")
            root = rig.path(f"www-{name}")
            os.makedirs(root)
            with open(os.path.join(root, "who"), "w") as f:
                f.write(name + "\n")
            h.spawn(["python3", "-m", "http.server", "80", "--bind", addr, "--directory", root])
        for name, addr in SERVERS.items():
            ok = wait_until(lambda: director.run("curl", "-s", "-m", "1", f"http://[{addr}]/who",
                                                 check=False).returncode == 0, 10, 0.1)
            check(ok is not None, f"http server {name} answers")

        def apply(sched, persist=0):
            path = rig.path("table.json")
            with open(path, "w") as f:
                json.dump([{"vip": VIP, "port": 80, "sched": sched, "persist": persist,
                            "dests": [{"addr": a, "port": 80, "weight": 1}
                                      for a in SERVERS.values()]}], f)
            r = director.run(APPLY, "--table", table, path, check=False)
            check(r.returncode == 0, f"apply {sched} persist={persist} ({r.stderr.strip()})")

        def requests(n):
            return collections.Counter(http_requests(client, f"http://[{VIP}]/who", n, timeout=60))

        apply("rr")
        c = requests(20)
        if not (c["a"] == 10 and c["b"] == 10):
            # What the path looked like, for a failure seen only on a loaded machine.
            seen = [(director, ["nft", "list", "table", "inet", table])]
            seen += [(h, ["ip", "-6", "neigh"]) for h in [director, client] +
                     [rig.hosts[n] for n in SERVERS]]
            seen += [(director, ["conntrack", "-L", "-f", "ipv6"])]
            for h, argv in seen:
                r = h.run(*argv, check=False)
                print(f"{h.name}$ {' '.join(argv)}\n{r.stdout}{r.stderr}", flush=True)
        check(c["a"] == 10 and c["b"] == 10, f"IPv6 round robin {dict(c)}")
        apply("wlc", persist=300)
        c = requests(8)
        check(len(c) == 1 and next(iter(c)) in "ab", f"IPv6 persistence {dict(c)}")
        r = director.run(APPLY, "--table", table, "--flush", check=False)
        check(r.returncode == 0, "flush")
        check(table not in director.run("nft", "list", "tables").stdout, "no table left")
    print("PASS")


if __name__ == "__main__":
    main()
