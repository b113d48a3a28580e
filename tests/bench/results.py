"""Machine-readable results of the benchmarks, one JSON object a line, for tests/bench/table.py.

Each part of contrib/bench.sh appends its figures to the file named by VIGIL_BENCH_RESULTS (no
file: nothing is written). A row is one figure as both daemons reached it:

  {"section": "...", "figure": "...", "keepalived": "3.35 s" | null, "vigild": "3.25 s",
   "ratio": 0.97 | null}

ratio is vigild's figure over keepalived's (numbers of the same unit), null where there is no
keepalived figure.
"""
import json
import os


def emit(section, figure, keepalived, vigild, ratio=None):
    path = os.environ.get("VIGIL_BENCH_RESULTS")
    if not path:
        return
    row = {"section": section, "figure": figure, "keepalived": keepalived, "vigild": vigild,
           "ratio": ratio}
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


def ratio(vigild, keepalived):
    """vigild / keepalived, or None when either is missing or keepalived's is 0."""
    try:
        if vigild is None or keepalived is None or keepalived == 0:
            return None
        if vigild != vigild or keepalived != keepalived:  # NaN: a run that did not finish
            return None
        return vigild / keepalived
    except TypeError:
        return None
