#!/usr/bin/env python3
"""The keyword census: no keepalived keyword is accepted silently.

keepalived-2.2.7.txt lists every keyword of keepalived.conf(5) (see extract.py). census.tsv gives
each one a verdict:
  test FILE...          it works; each FILE is a test that exercises it (names the keyword)
  unsupported BLOCK     vigild -t prints "'KW' is not supported by vigild; ignored" for it in BLOCK
  inside BLOCK          it only exists inside BLOCK, itself unsupported (the warning names BLOCK)
  loud BLOCK MESSAGE    vigild -t rejects or warns with MESSAGE (a substring) for it in BLOCK
The census fails on a keyword with no verdict, a test file that does not name its keyword, an
unsupported keyword that does not warn, and on any no-op keyword handler left in daemon/.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--vigild", required=True)
ap.add_argument("--source", required=True)
args = ap.parse_args()
here = os.path.join(args.source, "tests", "keywords")

keywords = open(os.path.join(here, "keepalived-2.2.7.txt")).read().split()
verdicts = {}
problems = []
for n, line in enumerate(open(os.path.join(here, "census.tsv")), 1):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    cols = line.split("\t")
    if len(cols) < 3:
        problems.append(f"census.tsv:{n}: expected KEYWORD<TAB>VERDICT<TAB>WHERE")
        continue
    if cols[0] in verdicts:
        problems.append(f"census.tsv:{n}: {cols[0]} listed twice")
    verdicts[cols[0]] = (n, cols[1], cols[2:])

# A snippet that puts KEYWORD in BLOCK; real servers and instances need a minimal frame.
FRAMES = {
    "global_defs": "global_defs {{\n    {kw} 1\n}}\n",
    "top": "{kw} 1\n",
    "vrrp_instance": "vrrp_instance VI_census {{\n    interface lo\n    virtual_router_id 9\n"
                     "    priority 100\n    virtual_ipaddress {{\n        192.0.2.9\n    }}\n"
                     "    {kw} 1\n}}\n",
    "vrrp_sync_group": "vrrp_sync_group G_census {{\n    group {{\n        VI_census\n    }}\n"
                       "    {kw} 1\n}}\n",
    "virtual_server": "virtual_server 192.0.2.1 80 {{\n    lb_algo rr\n    protocol TCP\n"
                      "    {kw} 1\n    real_server 192.0.2.2 80 {{\n    }}\n}}\n",
    "real_server": "virtual_server 192.0.2.1 80 {{\n    lb_algo rr\n    protocol TCP\n"
                   "    real_server 192.0.2.2 80 {{\n        {kw} 1\n    }}\n}}\n",
    "HTTP_GET": "virtual_server 192.0.2.1 80 {{\n    lb_algo rr\n    protocol TCP\n"
                "    real_server 192.0.2.2 80 {{\n        HTTP_GET {{\n            url {{\n"
                "                path /\n            }}\n            {kw} 1\n        }}\n    }}\n}}\n",
    "url": "virtual_server 192.0.2.1 80 {{\n    lb_algo rr\n    protocol TCP\n"
           "    real_server 192.0.2.2 80 {{\n        HTTP_GET {{\n            url {{\n"
           "                path /\n                {kw} 1\n            }}\n        }}\n    }}\n}}\n",
    "bfd_instance": "bfd_instance B_census {{\n    neighbor_ip 192.0.2.3\n    {kw} 1\n}}\n",
    "garp_group": "garp_group {{\n    garp_interval 1\n    {kw} 1\n}}\n",
}
# A checker keyword as a block of its own (BFD_CHECK { ... }).
FRAMES["real_server_block"] = FRAMES["real_server"].replace("{kw} 1", "{kw} {{\n        }}")


def check_output(block, kw):
    frame = FRAMES.get(block)
    if frame is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write(frame.format(kw=kw))
        path = f.name
    try:
        r = subprocess.run([args.vigild, "-t", "-f", path], capture_output=True, text=True,
                           timeout=30)
        return r.stdout + r.stderr
    finally:
        os.unlink(path)


texts = {}


def names(path, kw):
    full = os.path.join(args.source, path)
    if full not in texts:
        try:
            texts[full] = open(full, errors="replace").read()
        except OSError:
            texts[full] = None
    t = texts[full]
    return t is not None and re.search(r"(?<![A-Za-z0-9_-])" + re.escape(kw) + r"(?![A-Za-z0-9_-])", t)


counts = {}
for kw in keywords:
    if kw not in verdicts:
        problems.append(f"{kw}: no verdict in census.tsv (a test that shows its effect, or unsupported)")
        continue
    n, verdict, where = verdicts[kw]
    counts[verdict] = counts.get(verdict, 0) + 1
    if verdict == "test":
        files = where[0].split()
        if not files:
            problems.append(f"census.tsv:{n}: {kw}: 'test' names no test file")
        for f in files:
            if not names(f, kw):
                problems.append(f"census.tsv:{n}: {kw}: {f} does not exist or does not name it")
    elif verdict in ("unsupported", "inside", "loud"):
        block = where[0]
        out = check_output(block, kw)
        if out is None:
            problems.append(f"census.tsv:{n}: {kw}: unknown block '{block}'")
            continue
        if verdict == "unsupported":
            want = f"warning: '{kw}' is not supported by vigild; ignored"
        elif verdict == "inside":
            want = f"warning: '{block}' is not supported by vigild; ignored"
        else:
            want = where[1] if len(where) > 1 else ""
        if not want or want not in out:
            problems.append(f"census.tsv:{n}: {kw} in {block}: vigild -t does not say '{want}':\n"
                            + out.strip())
    else:
        problems.append(f"census.tsv:{n}: {kw}: unknown verdict '{verdict}'")

for kw in verdicts:
    if kw not in keywords:
        problems.append(f"census.tsv:{verdicts[kw][0]}: {kw} is not in keepalived-2.2.7.txt")

# No handler that accepts a keyword and does nothing.
for root, _, files in os.walk(os.path.join(args.source, "daemon")):
    for f in files:
        if not f.endswith((".cpp", ".hpp")):
            continue
        path = os.path.join(root, f)
        for i, line in enumerate(open(path), 1):
            if re.search(r"\bignore_kw\b|\[\]\(Ctx&, const Node&, [A-Za-z]+&\) \{\}", line):
                problems.append(f"{os.path.relpath(path, args.source)}:{i}: a no-op keyword handler")

print(f"census: {len(keywords)} keywords: " +
      ", ".join(f"{v} {c}" for v, c in sorted(counts.items())))
for p in problems:
    print("census:", p)
sys.exit(1 if problems else 0)
