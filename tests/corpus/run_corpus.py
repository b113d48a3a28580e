#!/usr/bin/env python3
"""Config-check verdicts: vigild -t on the keepalived corpus, sample configs and test configs.

Each file is judged inside a network namespace this script creates, holding one dummy link per
interface the file needs, with host name "bvehost" (so @tag lines are off, as when keepalived's
verdicts were taken). Debian's keepalived judges etc/ and tests/configs/ files too, and both
must agree on valid vs invalid. Exit 77 (skip) only when vigild is not built.
"""
import argparse
import csv
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
TIMEOUT = 30
DEFAULT_IFACES = ["eth0", "eth1"]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, **kw)


class Namespace:
    """A network namespace with dummy links; removed on exit, also on failure."""

    def __init__(self, name, ifaces):
        self.name = name
        self.ifaces = ifaces

    def __enter__(self):
        run(["ip", "netns", "del", self.name])
        r = run(["ip", "netns", "add", self.name])
        if r.returncode:
            raise RuntimeError(f"ip netns add {self.name}: {r.stderr}")
        try:
            for n, i in enumerate(x for x in self.ifaces if x != "lo"):
                r = run(["ip", "-n", self.name, "link", "add", i, "type", "dummy"])
                if r.returncode:
                    # No dummy driver here: a veth pair, both ends inside the namespace.
                    r = run(["ip", "-n", self.name, "link", "add", i, "type", "veth",
                             "peer", "name", f"vgpeer{n}"])
                if r.returncode:
                    raise RuntimeError(f"link {i}: {r.stderr}")
                run(["ip", "-n", self.name, "link", "set", i, "up"])
            run(["ip", "-n", self.name, "link", "set", "lo", "up"])
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):  # noqa: D105
        run(["ip", "netns", "del", self.name])

    def exec(self, argv, cwd):
        # A private UTS namespace fixes the host name without touching the host's.
        shell = 'hostname bvehost && exec "$@"'
        return run(["unshare", "--uts", "sh", "-c", shell, "sh", "ip", "netns", "exec", self.name]
                   + argv, cwd=cwd)


def first_line(stderr):
    m = re.search(r":(\d+)(?::\d+)?: error:", stderr)
    return int(m.group(1)) if m else None


def file_ifaces(path):
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"\s*#\s*ifaces:\s*(.*)", line)
            if m:
                return m.group(1).split()
    return DEFAULT_IFACES


def marker(path, name):
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"\s*#\s*" + re.escape(name) + r":\s*(\S+)", line)
            if m:
                return m.group(1)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigild", default=os.path.join(os.environ.get("VIGIL_BUILD_DIR", "."),
                                                      "daemon", "vigild"))
    ap.add_argument("--source", default=os.environ.get(
        "VIGIL_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))))
    ap.add_argument("--no-keepalived", action="store_true")
    args = ap.parse_args()

    vigild = os.path.abspath(args.vigild)
    if not os.access(vigild, os.X_OK):
        print(f"SKIP: vigild not built ({vigild})")
        return SKIP
    if os.geteuid() != 0:
        print("FAIL: needs root for network namespaces")
        return 1
    keepalived = None if args.no_keepalived else shutil.which("keepalived")

    src = args.source
    corpus = os.path.join(src, "tests", "corpus", "keepalived-real")
    failures = []
    rows = []
    ns_base = f"vgcfg{os.getpid()}"
    counter = [0]

    def ns_name():
        counter[0] += 1
        return f"{ns_base}-{counter[0]}"

    def vigil_check(ns, path, cwd):
        r = ns.exec([vigild, "-t", "-f", path], cwd)
        return r

    # 1. The corpus against keepalived's recorded verdicts.
    with open(os.path.join(corpus, "VERDICTS.tsv")) as f:
        verdicts = list(csv.DictReader(f, delimiter="\t"))
    for v in verdicts:
        ifaces = v["ifaces"].split()
        path = os.path.join(corpus, v["file"])
        with Namespace(ns_name(), ifaces) as ns:
            r = vigil_check(ns, v["file"], corpus)
        got = "accept" if r.returncode == 0 else "reject"
        ok = got == v["expect"]
        status = "ok" if ok else "MISMATCH"
        if not ok:
            failures.append(f"{v['file']}: expected {v['expect']}, vigild rc {r.returncode}\n"
                            + r.stderr[-2000:])
        elif got == "reject" and v["error_lines"]:
            # The first problem keepalived names is the first one Vigil names.
            want_line = int(v["error_lines"].split(",")[0])
            if first_line(r.stderr) != want_line:
                status = "WRONG LINE"
                failures.append(f"{v['file']}: first error on line {first_line(r.stderr)}, "
                                f"keepalived's on line {want_line} ({v['first_message']})\n"
                                + r.stderr[-2000:])
        rows.append((v["file"], v["expect"], got, r.returncode, status))

    tmp = tempfile.mkdtemp(prefix="vigil-corpus-")
    try:
        def keepalived_check(ns, path):
            pid = os.path.join(tmp, "ka")
            r = ns.exec([keepalived, "--config-test", "-f", path, "-p", pid + ".pid",
                         "-r", pid + "-vrrp.pid", "-c", pid + "-checkers.pid",
                         "--no-syslog"], os.path.dirname(path))
            return r

        # 2. Our own files: expected valid or invalid, plus keepalived's opinion.
        sets = [("valid", sorted(glob.glob(os.path.join(src, "tests/configs/valid/*.conf")))),
                ("invalid", sorted(glob.glob(os.path.join(src, "tests/configs/invalid/*.conf")))),
                ("valid", sorted(glob.glob(os.path.join(src, "etc/*.conf"))))]
        for expect, files in sets:
            for path in files:
                rel = os.path.relpath(path, src)
                with Namespace(ns_name(), file_ifaces(path)) as ns:
                    r = vigil_check(ns, path, os.path.dirname(path))
                    ka = keepalived_check(ns, path) if keepalived else None
                got = "accept" if r.returncode == 0 else "reject"
                want = "accept" if expect == "valid" else "reject"
                status = "ok"
                if got != want:
                    status = "MISMATCH"
                    failures.append(f"{rel}: expected {want}, vigild rc {r.returncode}\n"
                                    + r.stderr[-2000:])
                if expect == "invalid" and got == "reject":
                    line = marker(path, "expect-error-line")
                    if line is not None and first_line(r.stderr) != int(line):
                        status = "WRONG LINE"
                        failures.append(f"{rel}: first error on line {first_line(r.stderr)}, "
                                        f"expected {line}\n" + r.stderr[-2000:])
                ka_got = "-"
                if ka is not None:
                    ka_got = "accept" if ka.returncode == 0 else "reject"
                    ka_want = marker(path, "keepalived-verdict") or want
                    if ka_got != ka_want:
                        status = "KEEPALIVED DISAGREES"
                        failures.append(f"{rel}: keepalived says {ka_got} (rc {ka.returncode}),"
                                        f" expected {ka_want}\n" + ka.stderr[-2000:])
                rows.append((rel, want, got, r.returncode, status + f" (keepalived {ka_got})"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    width = max(len(r[0]) for r in rows)
    print(f"{'file':<{width}}  expect  vigild  rc  status")
    for name, want, got, rc, status in rows:
        print(f"{name:<{width}}  {want:<6}  {got:<6}  {rc:<2}  {status}")
    print(f"\n{len(rows) - len(failures)} of {len(rows)} as expected")
    for f in failures:
        print("\n--- " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
