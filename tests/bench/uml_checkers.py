#!/usr/bin/env python3
"""Health checks side by side: keepalived 2.2.7 and vigild as LVS directors on the same real
servers, inside the User-Mode Linux guest (IPVS exists there, so keepalived runs its checkers).

  python3 tests/bench/uml_checkers.py [--servers 1000] [--seconds 15] [--kinds TCP_CHECK HTTP_GET]

One namespace holds the director (the daemon under test); another answers for a whole /16
(`ip route add local ... dev lo`) with tests/bench/check_farm, which counts connections and
requests. Each daemon runs the same keepalived.conf (delay_loop 1, one check per real server);
after a warm-up the figures are taken over a window: checks per second (as the farm counted
them), CPU per check (user + system of every process of the daemon), and false verdicts
(real servers the daemon took out of the pool: none is ever down). The guest has one CPU and
slower system calls than the host, so compare its figures with each other only.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import uml  # noqa: E402
from netns import BUILD_DIR, VIGILD, Rig, wait_until  # noqa: E402
sys.path.insert(0, HERE)
import results as bench_results  # noqa: E402

KEEPALIVED = "/usr/sbin/keepalived"
FARM = os.path.join(BUILD_DIR, "tests", "bench", "check_farm")
VIP = "10.2.0.1"


def rs_address(i):
    return f"10.1.{1 + i // 250}.{1 + i % 250}"


def config(kind, servers):
    check = {
        "TCP_CHECK": "TCP_CHECK {\n            connect_timeout 3\n        }",
        "HTTP_GET": "HTTP_GET {\n            url {\n                path /\n"
                    "                status_code 200\n            }\n"
                    "            connect_timeout 3\n        }",
    }[kind]
    rs = "".join(f"""
    real_server {rs_address(i)} 80 {{
        weight 1
        {check}
    }}""" for i in range(servers))
    return f"""global_defs {{
    router_id bench
}}
virtual_server {VIP} 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
{rs}
}}
"""


def tree_cpu(pid):
    """User + system CPU seconds of pid and every descendant still running."""
    tick = os.sysconf("SC_CLK_TCK")
    children = {}
    stats = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            raw = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        f = raw[raw.rindex(")") + 2:].split()
        children.setdefault(int(f[1]), []).append(int(d))
        stats[int(d)] = (int(f[11]) + int(f[12])) / tick
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += stats.get(p, 0.0)
        todo.extend(children.get(p, []))
    return total


def farm_counts(path):
    t, conns, reqs = open(path).read().split()
    return float(t), int(conns), int(reqs)


def pool_size(host):
    out = host.run("ipvsadm", "-Ln", "-t", f"{VIP}:80", check=False).stdout
    return sum(1 for x in out.splitlines() if x.strip().startswith("->") and "10.1." in x)


def measure(rig, d, name, kind, servers, warmup, seconds):
    conf = rig.path(f"{name}-{kind}.conf")
    with open(conf, "w") as f:
        f.write(config(kind, servers))
    log = rig.path(f"{name}-{kind}.log")
    if name == "keepalived":
        argv = [KEEPALIVED, "-n", "-l", "-D", "-C", "-f", conf, "-p", rig.path("ka.pid"),
                "-c", rig.path("ka-checkers.pid"), "-r", rig.path("ka-vrrp.pid")]
    else:
        argv = [VIGILD, "-n", "-l", "-f", conf, "-p", rig.path("vigild.pid"),
                "--status-socket", rig.path("vigild.sock")]
    proc = d.spawn(argv, log=log)
    try:
        if wait_until(lambda: pool_size(d) == servers, 60, 0.5) is None:
            raise RuntimeError(f"{name}: the pool never held {servers} servers "
                               f"(has {pool_size(d)})")
        time.sleep(warmup)
        cpu0, (t0, c0, r0) = tree_cpu(proc.pid), farm_counts(rig.path("farm.stats"))
        time.sleep(seconds)
        cpu1, (t1, c1, r1) = tree_cpu(proc.pid), farm_counts(rig.path("farm.stats"))
        in_pool = pool_size(d)
    finally:
        rig.stop(proc, signal.SIGTERM, timeout=20)
    text = open(log, errors="replace").read() if os.path.exists(log) else ""
    removed = len(re.findall(r"Removing service", text))
    checks = (r1 - r0) if kind == "HTTP_GET" else (c1 - c0)
    rate = checks / (t1 - t0)
    cpu_us = (cpu1 - cpu0) / checks * 1e6 if checks else float("inf")
    d.run("ipvsadm", "-C", check=False)
    return {"rate": rate, "cpu_us": cpu_us, "false": max(removed, servers - in_pool),
            "cpu_s": cpu1 - cpu0}


def guest(args):
    if not os.path.exists(FARM):
        sys.exit(f"{FARM} is missing: build the tree first")
    results = []
    with Rig("b") as rig:
        d = rig.add_host("dir", ["10.0.0.1/24"])
        s = rig.add_host("srv", ["10.0.0.2/24"])
        d.ip("route", "add", "10.1.0.0/16", "via", "10.0.0.2")
        s.ip("route", "add", "local", "10.1.0.0/16", "dev", "lo")
        d.run("sysctl", "-qw", "net.ipv4.ip_local_port_range=10000 65000")
        farm = s.spawn([FARM, "80", rig.path("farm.stats")], log=rig.path("farm.log"))
        try:
            if wait_until(lambda: os.path.exists(rig.path("farm.stats")), 10, 0.2) is None:
                raise RuntimeError("check_farm did not start")
            for kind in args.kinds:
                for name in ("keepalived", "vigild"):
                    r = measure(rig, d, name, kind, args.servers, args.warmup, args.seconds)
                    print(f"# {kind} {name}: {r}", flush=True)
                    results.append((kind, name, r))
        finally:
            rig.stop(farm)
    print(f"\nHealth checks inside the User-Mode Linux guest: {args.servers} real servers, "
          f"delay_loop 1, {args.seconds:g} s window")
    print(f"{'check':<10} {'daemon':<11} {'checks/s':>9} {'CPU us/check':>13} {'false':>6}")
    by = {}
    for kind, name, r in results:
        by[(kind, name)] = r
        print(f"{kind:<10} {name:<11} {r['rate']:>9.0f} {r['cpu_us']:>13.1f} {r['false']:>6}")
    for kind in args.kinds:
        k, v = by.get((kind, "keepalived")), by.get((kind, "vigild"))
        if k and v and v["cpu_us"]:
            print(f"{kind}: vigild uses {k['cpu_us'] / v['cpu_us']:.2f}x less CPU per check "
                  f"than keepalived")
        if k and v:
            # Read by the host side (the guest may not see the results file).
            cell = lambda r: (f"{r['rate']:,.0f}/s at {r['cpu_us']:,.0f} us CPU, "  # noqa: E731
                              f"{r['false']} false")
            print("RESULT " + json.dumps([f"{args.servers:,} {kind}: checks/s, CPU per check, "
                                          "false verdicts", cell(k), cell(v),
                                          bench_results.ratio(v["cpu_us"], k["cpu_us"])]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--kinds", nargs="+", default=["TCP_CHECK", "HTTP_GET"])
    args = ap.parse_args()
    if uml.in_guest():
        guest(args)
        return
    why = uml.missing()
    if why:
        sys.exit(f"this benchmark needs User-Mode Linux: {why}")
    r = uml.run([sys.executable, "-u", os.path.abspath(__file__)] + sys.argv[1:],
                timeout=120 + 4 * (args.seconds + args.warmup + 60))
    sys.stdout.write(r.output)
    for line in r.output.splitlines():
        if line.startswith("RESULT "):
            figure, k, v, ratio = json.loads(line[len("RESULT "):])
            bench_results.emit("health checks (User-Mode Linux guest, one vCPU)", figure, k, v,
                               ratio)
    if r.rc != 0:
        print(f"guest exit status {r.rc}; console:\n{r.console[-2000:]}")
        sys.exit(1)


if __name__ == "__main__":
    main()
