#!/usr/bin/env python3
"""Side-by-side figures for Vigil and Debian's keepalived, taken in the same run (TARGETS.md).

  sudo python3 tests/bench/compare_keepalived.py [--quick] [--only NAME ...]

Measures: `-t` time and peak RSS on a small file, on 1,000 vrrp_instances and on 10,000 virtual
servers / 50,000 real servers; idle CPU and RSS of a lone master with 1, 100 and 1,000 instances;
failover after kill -9 (v2 at 1 s, v3 at 0.1 s) and takeover after SIGTERM. Everything runs in
network namespaces made here and removed at the end.
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from netns import VIGILD, Rig, wait_until  # noqa: E402
from vrrp_rig import Daemon, global_conf, instance_conf, master_down  # noqa: E402
sys.path.insert(0, HERE)
import results  # noqa: E402

KEEPALIVED = "/usr/sbin/keepalived"
SECTION = "VRRP, configuration, memory (this host, namespaces)"


# Runs inside the namespace: starts the command RUNS times under /usr/bin/time (a small parent,
# so the peak RSS is the program's own), prints wall seconds (less the cost of starting
# /bin/true the same way) and peak RSS in KiB.
MEASURE = r"""
import os, subprocess, sys, time
runs = int(sys.argv[1])
def once(argv):
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - t0, int(r.stderr.split()[-1])
base = sorted(once(["/bin/true"])[0] for _ in range(5))[2]
for _ in range(runs):
    t, kib = once(sys.argv[2:])
    print(max(0.0, t - base), kib, flush=True)
"""


def config_test(ns, kind, path, runs):
    prog = [VIGILD, "-t", "-f", path] if kind == "vigil" else [KEEPALIVED, "-t", "-f", path]
    out = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", MEASURE,
                          str(runs + 1)] + prog, capture_output=True, text=True).stdout
    rows = [tuple(map(float, l.split())) for l in out.splitlines()][1:]  # first: warm-up
    return statistics.median(r[0] for r in rows), max(r[1] for r in rows) / 1024.0


def gen_small():
    return global_conf("small") + instance_conf()


def gen_instances(n):
    out = [global_conf("many")]
    for i in range(n):
        # A VRID is unique per interface: 250 instances on each of eth0..eth3.
        out.append(instance_conf(name=f"VI_{i}", vrid=i % 250 + 1, priority=100,
                                 vips=(f"10.{100 + i // 250}.{i % 250}.1/32",),
                                 iface=f"eth{i // 250}"))
    return "".join(out)


def vs_address(v):
    return f"10.{v // 65536 % 256}.{v // 256 % 256}.{v % 256}"


def rs_address(v, r):
    return f"172.16.{r}.{v % 250 + 1}"


def gen_lvs(vs_count, rs_per_vs, global_extra="", lb_kind="DR", delay_loop=10, weights=None):
    """vs_count virtual servers of rs_per_vs real servers, each with a TCP_CHECK; weights maps
    (v, r) to a weight other than 1."""
    weights = weights or {}
    out = ["global_defs {\n    router_id lvs\n" + global_extra + "}\n"]
    for v in range(vs_count):
        out.append(f"virtual_server {vs_address(v)} 80 {{\n"
                   f"    delay_loop {delay_loop}\n    lb_algo wlc\n    lb_kind {lb_kind}\n"
                   "    protocol TCP\n")
        for r in range(rs_per_vs):
            out.append(f"    real_server {rs_address(v, r)} 80 {{\n"
                       f"        weight {weights.get((v, r), 1)}\n"
                       "        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n")
        out.append("}\n")
    return "".join(out)


def add_links(h):
    """eth1..eth3 beside the rig's eth0, for configurations with more than 250 VRIDs."""
    for i in (1, 2, 3):
        h.ip("link", "add", f"eth{i}", "type", "veth", "peer", "name", f"peer{i}")
        h.ip("addr", "add", f"10.98.{i}.1/24", "dev", f"eth{i}")
        h.ip("link", "set", f"eth{i}", "up")
        h.ip("link", "set", f"peer{i}", "up")


def idle(rig, kind, instances, seconds):
    h = rig.add_host(f"idle{kind[0]}{instances}", ["10.99.0.1/24"])
    add_links(h)
    d = Daemon(h, kind, gen_instances(instances), f"idle-{kind}-{instances}").start()
    time.sleep(5 + 3.6)  # every instance becomes master
    pids = tree_pids(d.proc.pid)
    c0 = cpu_of(pids)
    time.sleep(seconds)
    pids = tree_pids(d.proc.pid)
    c1 = cpu_of(pids)
    rss = sum(rss_of(p) for p in pids)
    d.stop()
    return (c1 - c0) * 60.0 / seconds, rss


def tree_pids(root):
    """root and its descendants (ip netns exec execs, so root is the daemon itself)."""
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(x) for x in f.read().split()]
        except FileNotFoundError:
            pass
    return out


def cpu_of(pids):
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in pids:
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except FileNotFoundError:
            pass
    return total / tick


def rss_of(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except FileNotFoundError:
        pass
    return 0.0


def failover(kind, version, advert, how, repeats):
    results = []
    for _ in range(repeats):
        with Rig("b") as rig:
            r1 = rig.add_host("r1", ["10.99.0.1/24"])
            r2 = rig.add_host("r2", ["10.99.0.2/24"])
            kw = dict(version=version, advert=advert)
            m = Daemon(r1, kind, global_conf("m") + instance_conf(priority=150, state="MASTER", **kw), "m").start()
            Daemon(r2, kind, global_conf("b") + instance_conf(priority=100, **kw), "b").start()
            if wait_until(lambda: r1.has_addr("10.99.0.10"), 3 * master_down(advert, 150) + 3) is None:
                results.append(float("nan"))
                continue
            time.sleep(advert * 3 + 0.3)
            # Kill at a random phase of the advert cycle.
            time.sleep((time.monotonic_ns() % 1000) / 1000.0 * advert)
            if how == "kill":
                m.kill(signal.SIGKILL)
            else:
                m.kill(signal.SIGTERM)
            t = wait_until(lambda: r2.has_addr("10.99.0.10"), 10, 0.002)
            results.append(t if t is not None else float("nan"))
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, shorter windows")
    ap.add_argument("--only", nargs="*", default=None,
                    help="config-test idle failover (default: all)")
    a = ap.parse_args()
    runs = 5 if a.quick else 15
    only = set(a.only or ["config-test", "idle", "failover"])
    rows = []

    if "config-test" in only:
        with Rig("ct") as rig, tempfile.TemporaryDirectory() as tmp:
            h = rig.add_host("ct", [])
            add_links(h)
            files = {"small file": gen_small(), "1,000 vrrp_instances": gen_instances(1000),
                     "10,000 VS / 50,000 RS": gen_lvs(10000, 5)}
            for label, text in files.items():
                path = os.path.join(tmp, label.replace(" ", "_").replace("/", "") + ".conf")
                with open(path, "w") as f:
                    f.write(text)
                vt, vm = config_test(h.ns, "vigil", path, runs)
                kt, km = config_test(h.ns, "keepalived", path, max(3, runs // 3))
                rows.append((f"-t {label}", f"{kt * 1000:.1f} ms, {km:.1f} MiB",
                             f"{vt * 1000:.1f} ms, {vm:.1f} MiB"))
                results.emit(SECTION, f"`-t` {label}: time, peak RSS", rows[-1][1], rows[-1][2],
                             results.ratio(vt, kt))

    if "idle" in only:
        secs = 20 if a.quick else 60
        for n in (1, 100, 1000):
            with Rig("id") as rig:
                kc, kr = idle(rig, "keepalived", n, secs)
                vc, vr = idle(rig, "vigil", n, secs)
            rows.append((f"idle, {n} instances (CPU-s/min, RSS)", f"{kc:.3f}, {kr:.1f} MiB",
                         f"{vc:.3f}, {vr:.1f} MiB"))
            what = "instance" if n == 1 else "instances"
            results.emit(SECTION, f"idle, {n:,} {what} at 1 s: CPU-s per minute, RSS",
                         rows[-1][1], rows[-1][2], results.ratio(vc, kc))

    if "failover" in only:
        rep = 3 if a.quick else 7
        for version, advert, how, label in ((2, 1, "kill", "kill -9, v2 1 s"),
                                             (3, 0.1, "kill", "kill -9, v3 0.1 s"),
                                             (2, 1, "term", "SIGTERM, v2 1 s")):
            k = failover("keepalived", version, advert, how, rep)
            v = failover("vigil", version, advert, how, rep)
            fmt = lambda xs: f"median {statistics.median(xs):.3f} s (max {max(xs):.3f})"  # noqa
            rows.append((f"failover {label}", fmt(k), fmt(v)))
            results.emit(SECTION, f"failover, {label}", rows[-1][1], rows[-1][2],
                         results.ratio(statistics.median(v), statistics.median(k)))
        rows.append(("  master-down v2 1 s / v3 0.1 s, skew", "", f"{master_down(1, 100):.3f} / "
                     f"{master_down(0.1, 100):.3f} s, {(256 - 100) / 256:.3f} s"))
        results.emit(SECTION, "  (limits: master-down v2 1 s / v3 0.1 s; skew)", None,
                     rows[-1][2])

    w = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{w}}  {'keepalived 2.2.7':<32}  Vigil")
    for r in rows:
        print(f"{r[0]:<{w}}  {r[1]:<32}  {r[2]}")


if __name__ == "__main__":
    main()
