#!/usr/bin/env python3
"""Runs the micro-benchmarks (tests/bench/bench_*) and prints their figures as rows of the
combined table (keepalived has no counterpart of these: its column is "-").

  python3 tests/bench/micro.py [--quick]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
from netns import BUILD_DIR  # noqa: E402
import results  # noqa: E402

BENCH = os.path.join(BUILD_DIR, "tests", "bench")
SECTION = "micro-benchmarks (one core, in process)"


def run(program, min_time):
    r = subprocess.run([os.path.join(BENCH, program), f"--benchmark_min_time={min_time}",
                        "--benchmark_format=json"], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        sys.exit(f"{program} failed: {r.stderr[-2000:]}")
    out = {}
    for b in json.loads(r.stdout)["benchmarks"]:
        if b.get("error_occurred"):
            sys.exit(f"{program}: {b['name']}: {b.get('error_message')}")
        out[b["name"]] = b
    return out


def ns(b):
    """A benchmark's CPU time per iteration in nanoseconds."""
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    return b["cpu_time"] * scale


def fmt_time(v):
    if v < 1e3:
        return f"{v:.0f} ns"
    if v < 1e6:
        return f"{v / 1e3:.1f} us" if v < 1e4 else f"{v / 1e3:.0f} us"
    return f"{v / 1e6:.1f} ms" if v < 1e7 else f"{v / 1e6:.0f} ms"


def row(figure, value):
    print(f"  {figure}: {value}")
    results.emit(SECTION, figure, None, value)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-checkers", action="store_true", help="leave out bench_checkers")
    a = ap.parse_args()
    t = 0.1 if a.quick else 0.5
    print("Micro-benchmarks:")
    v = run("bench_vrrp_packet", t)
    for case, label in (("V2Ipv4", "v2 IPv4"), ("V3Ipv4", "v3 IPv4"), ("V3Ipv6", "v3 IPv6")):
        parts = [f"{fmt_time(ns(v[f'BM_Encode{case}/{n}']))} / "
                 f"{fmt_time(ns(v[f'BM_Decode{case}/{n}']))}" for n in (1, 8)]
        row(f"VRRP advert {label}, encode / decode: 1 VIP; 8 VIPs", "; ".join(parts))
    c = run("bench_config", t)
    row("parse 1,000 vrrp_instances: load; as -t",
        f"{fmt_time(ns(c['BM_Load1000Instances']))}; "
        f"{fmt_time(ns(c['BM_CheckOnly1000Instances']))}")
    row("parse 10,000 VS / 50,000 RS: load (start-up, reload); as -t",
        f"{fmt_time(ns(c['BM_Load10kVs50kRs']))}; {fmt_time(ns(c['BM_CheckOnly10kVs50kRs']))}")
    n = run("bench_nft_render", t)
    row("nftables ruleset of a 1,000-server pool: rr; wrr",
        f"{fmt_time(ns(n['BM_RenderPool1000/0']))}; {fmt_time(ns(n['BM_RenderPool1000/1']))}")
    row("nftables ruleset of 10,000 services x 5 servers", fmt_time(ns(n["BM_Render10kServices"])))
    row("one weight changed in those 10,000: nftables update; IPVS operations (diff)",
        f"{fmt_time(ns(n['BM_UpdateOneWeight10kServices']))}; "
        f"{fmt_time(ns(n['BM_DiffOneWeight10kServices']))}")
    if not a.no_checkers:
        k = run("bench_checkers", t)
        parts = []
        for name, label in (("BM_TcpChecks", "TCP"), ("BM_HttpChecks", "HTTP")):
            b = next(b for key, b in k.items() if key.split("/")[0] == name)
            parts.append(f"{label} {b['checks_per_s'] / 1000:.1f}k/s at "
                         f"{b['cpu_us_per_check']:.0f} us CPU, {b['false_verdicts']:.0f} false")
        row("health checks on loopback, 1,000 servers (checker thread)", "; ".join(parts))


if __name__ == "__main__":
    main()
