#!/usr/bin/env python3
"""Reload time: SIGHUP with 10,000 virtual servers / 50,000 real servers and one real server's
weight changed, until the change is in the kernel, and what the reload touched there.

  sudo python3 tests/bench/reload.py [--quick] [--services 10000] [--servers 5]

vigild runs in a network namespace made here with the nftables backend (keepalived needs IPVS,
which this host lacks: its column says n/a). Every real server is a local address of the
namespace (`ip route add local 172.16.0.0/16 dev lo`) answered by tests/bench/check_farm, so
all 50,000 TCP_CHECKs pass and every server is in the pool. A listener in the namespace
timestamps each change the kernel makes (tests/bench/nft_events.py): "applied" is the first rule or pool element
added after the SIGHUP, and the events of the next second and a half are what the
reload touched; the status then shows the new weight. The reload's own
span ("Reloading configuration" to "Configuration reloaded") comes from the daemon's log.
"""
import argparse
import datetime
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
from compare_keepalived import gen_lvs  # noqa: E402
from netns import BUILD_DIR, VIGILD, Rig, sh, wait_until  # noqa: E402
import results  # noqa: E402

FARM = os.path.join(BUILD_DIR, "tests", "bench", "check_farm")


class Monitor:
    """tests/bench/nft_events.py in a namespace: (monotonic time, kind, table, object) of each
    change the kernel announces."""

    def __init__(self, host):
        self.events = []
        # Its own process group, ended by the rig like the others.
        self.proc = subprocess.Popen(["ip", "netns", "exec", host.ns, sys.executable, "-u",
                                      os.path.join(HERE, "nft_events.py")],
                                     stdout=subprocess.PIPE, text=True, start_new_session=True)
        host.rig.procs.append(self.proc)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("nft_events.py did not start")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            t, kind, table, obj = line.split()
            self.events.append((float(t), kind, table, obj))


def log_time(line):
    """The wall time of a vigild -l line ("2026-01-02 03:04:05.678 ...")."""
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ", line)
    return datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f") if m else None


def memory_of(pid):
    """VmRSS and RssAnon of a process, in KiB."""
    fields = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        fields[k] = v.split()[0] if v.split() else "0"
    return int(fields.get("VmRSS", 0)), int(fields.get("RssAnon", 0))


def status(sock):
    r = sh(VIGILD, "--status", "--json", "--status-socket", sock, check=False, timeout=120)
    return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None


def weights_now(st):
    return {(v, r): rs["weight_now"] for v, vs in enumerate(st["virtual_servers"])
            for r, rs in enumerate(vs["real_servers"])}


def measure(args):
    changed = (args.services // 2, 2 % args.servers)
    out = {}
    with Rig("rl") as rig:
        h = rig.add_host("dir", ["10.0.0.1/24"])
        h.ip("route", "add", "local", "172.16.0.0/16", "dev", "lo")
        farm = h.spawn([FARM, "80", rig.path("farm.stats")], log=rig.path("farm.log"))
        conf, log, sock = rig.path("vigild.conf"), rig.path("vigild.log"), rig.path("vigild.sock")
        table = "vigil_vigild"  # named after the pid file

        def write(weight):
            with open(conf, "w") as f:
                f.write(gen_lvs(args.services, args.servers,
                                global_extra="    lvs_backend nftables\n", lb_kind="NAT",
                                delay_loop=args.delay_loop, weights={changed: weight}))

        write(1)
        if wait_until(lambda: os.path.exists(rig.path("farm.stats")), 10, 0.1) is None:
            raise RuntimeError("check_farm did not start")
        t_wall = datetime.datetime.now()
        proc = h.spawn([VIGILD, "-n", "-l", "-f", conf, "-p", rig.path("vigild.pid"),
                        "--status-socket", sock], log=log)
        total = args.services * args.servers

        def all_in():
            st = status(sock)
            return st is not None and sum(1 for w in weights_now(st).values() if w > 0) == total

        # From the daemon's log, not the (sparse, and slow at this size) status polls: the line
        # that says the table was applied, its servers and checks bound. Wall clock, as the log.
        def started():
            return next((l for l in open(log, errors="replace")
                         if "Virtual servers started in" in l), None)

        if wait_until(lambda: started() is not None, args.start_timeout, 0.02) is None:
            raise RuntimeError("no 'Virtual servers started' line in the log")
        # Memory as start-up leaves it, before a status request builds its large document.
        out["rss_kib"], out["anon_kib"] = memory_of(proc.pid)
        out["startup_s"] = (log_time(started()) - t_wall).total_seconds()
        if wait_until(all_in, args.start_timeout, 2) is None:
            raise RuntimeError(f"the table never held the {total} servers")
        print(f"# all {total} real servers applied {out['startup_s']:.2f} s after start",
              flush=True)
        time.sleep(args.settle)
        try:
            reloads(args, h, proc, log, sock, table, changed, write, out)
            out["rss_end_kib"], _ = memory_of(proc.pid)
        except Exception:
            print(open(log, errors="replace").read()[-3000:], file=sys.stderr)
            raise
        rig.stop(proc)
        rig.stop(farm)
    return out


def reloads(args, h, proc, log, sock, table, changed, write, out):
    mon = Monitor(h)
    applied, handled, touched, counts = [], [], set(), []
    for i in range(args.repeats):
        weight = 3 if i % 2 == 0 else 1
        write(weight)
        mark, logmark = len(mon.events), len(open(log, errors="replace").read())
        t0 = time.monotonic()
        os.kill(proc.pid, signal.SIGHUP)

        def added():
            return next((e[0] for e in mon.events[mark:] if e[1] in ("newrule", "newsetelem")), None)

        if wait_until(lambda: added() is not None, 120, 0.001) is None:
            raise RuntimeError("the reload changed no rule")
        applied.append((added() - t0) * 1000)
        wait_until(lambda: "Configuration reloaded" in open(log, errors="replace").read()[
            logmark:], 120, 0.005)
        time.sleep(1.5)  # whatever else the reload does to the kernel
        events = [e for e in mon.events[mark:] if e[1] != "newgen"]
        counts.append(len(events))
        for _, kind, tab, obj in events:
            # Anonymous sets are numbered by the kernel: one name for them all.
            touched.add(("the anonymous map" if obj.startswith("__") else obj)
                        if tab == table else f"{kind} {tab} {obj}")
        text = open(log, errors="replace").read()[logmark:].splitlines()
        a = next(log_time(l) for l in text if "Reloading configuration" in l)
        done = next(l for l in text if "Configuration reloaded" in l)
        b = log_time(done)
        handled.append((b - a).total_seconds() * 1000)
        phases = done[done.find("(") + 1:done.rfind(")")] if "(" in done else ""
        st = status(sock)
        if weights_now(st)[changed] != weight:
            raise RuntimeError(f"status shows weight {weights_now(st)[changed]}, not {weight}")
        print(f"# reload {i + 1}: weight {weight}, applied {applied[-1]:.1f} ms after "
              f"SIGHUP, handler {handled[-1]:.0f} ms ({phases}), kernel events: "
              f"{[' '.join(e[1:]) for e in events]}", flush=True)
    out.update(applied=applied, handled=handled, touched=sorted(touched), events=counts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="3 reloads instead of 7")
    ap.add_argument("--services", type=int, default=10000)
    ap.add_argument("--servers", type=int, default=5, help="real servers per virtual server")
    ap.add_argument("--delay-loop", type=int, default=60,
                    help="of every check: 60 s is 833 checks a second for 50,000 servers")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--settle", type=float, default=5, help="seconds between start-up and reloads")
    ap.add_argument("--start-timeout", type=float, default=900)
    a = ap.parse_args()
    a.repeats = a.repeats or (3 if a.quick else 7)
    if not os.path.exists(FARM):
        sys.exit(f"{FARM} is missing: build the tree first")
    r = measure(a)
    size = f"{a.services:,} VS / {a.services * a.servers:,} RS"
    med, top = statistics.median(r["applied"]), max(r["applied"])
    hmed = statistics.median(r["handled"])
    print(f"\nReload with {size} (nftables backend), one weight changed, {a.repeats} times:")
    print(f"  SIGHUP to the new rule in the kernel: median {med:.0f} ms, max {top:.0f} ms")
    print(f"  reload handler (log): median {hmed:.0f} ms")
    print(f"  kernel objects touched: {', '.join(r['touched'])} ({r['events']} events a reload)")
    touched = " and ".join(r["touched"])
    print(f"  start-up until every server was applied: {r['startup_s']:.2f} s")
    print(f"  memory then: {r['rss_kib'] / 1024:.1f} MiB RSS, {r['anon_kib'] / 1024:.1f} MiB "
          f"anonymous; {r['rss_end_kib'] / 1024:.1f} MiB RSS after the reloads and status requests")
    na = "n/a (needs IPVS)"
    sec = "reload (this host, namespace, nftables backend)"
    results.emit(sec, f"SIGHUP, {size}, one weight changed: until applied", na,
                 f"{med:.0f} ms median, {top:.0f} ms max")
    results.emit(sec, "  reload handler, read to done (log)", na, f"{hmed:.0f} ms median")
    results.emit(sec, "  kernel objects the reload touched", na,
                 f"{touched}: {max(r['events'])} events")
    results.emit(sec, f"start-up, {size}, until every server is applied; RSS, anonymous then",
                 na, f"{r['startup_s']:.2f} s; {r['rss_kib'] / 1024:.1f} MiB, "
                 f"{r['anon_kib'] / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
