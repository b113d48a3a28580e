#!/usr/bin/env python3
"""Renders the rows of tests/bench/results.py as one Markdown table.

  python3 tests/bench/table.py RESULTS.jsonl

The ratio is vigild's figure over keepalived's: of the time for `-t` and failover, of the CPU
for idle, of the CPU per check for health checks. Below 1, vigild needs less.
"""
import json
import sys


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    print("| figure | keepalived 2.2.7 | vigild | vigild / keepalived |")
    print("|---|---|---|---|")
    section = None
    for r in rows:
        if r["section"] != section:
            section = r["section"]
            print(f"| **{section}** | | | |")
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        keepalived = "-" if r["keepalived"] is None else r["keepalived"]
        print(f"| {r['figure'].strip()} | {keepalived} | {r['vigild']} | {ratio} |")


if __name__ == "__main__":
    main()
