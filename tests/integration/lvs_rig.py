"""Helpers for load-balancer tests on a real IPVS kernel (inside the UML guest, see uml.py).

Small servers and clients as scripts run in namespaces, vigild as a director, and readers of
the kernel's table (ipvsadm -Sn / -Ln) so tests assert what IPVS holds and what packets did.
"""
import json
import os
from pathlib import Path
import signal
import subprocess
import time
import unittest

from netns import VIGILD, sh, wait_until  # noqa: F401

# One process per namespace answering "NAME" on the first port and "NAME@PORT" on the others,
# over TCP, UDP or SCTP (one datagram or message in, the answer out). Single-threaded.
SERVER = r"""
import selectors, socket, sys
name, proto, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3].split(",")]
fam = socket.AF_INET6 if len(sys.argv) > 4 and sys.argv[4] == "6" else socket.AF_INET
sel = selectors.DefaultSelector()
for i, port in enumerate(ports):
    body = (name if i == 0 else f"{name}@{port}").encode()
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(fam, kind, socket.IPPROTO_SCTP if proto == "sctp" else 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
    if kind == socket.SOCK_STREAM:
        s.listen(64)
    sel.register(s, selectors.EVENT_READ, (body, kind))
while True:
    for key, _ in sel.select():
        body, kind = key.data
        if kind == socket.SOCK_DGRAM:
            _, peer = key.fileobj.recvfrom(512)
            key.fileobj.sendto(body, peer)
            continue
        try:
            c, _ = key.fileobj.accept()
            c.settimeout(2)
            data = b""
            while proto == "tcp" and b"\r\n\r\n" not in data:
                chunk = c.recv(1024)
                if not chunk:
                    break
                data += chunk
            if proto == "tcp":
                c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d"
                          b"\r\n\r\n%s" % (len(body), body))
            else:
                c.recv(512)
                c.sendall(body)
            c.close()
        except OSError:
            pass
"""

# Requests as a JSON list of [source or "", host, port, proto]; prints the answers as a JSON
# list ("error:..." for a failed one). A fresh connection each, so each is scheduled anew.
CLIENT = r"""
import json, socket, sys
out = []
for src, host, port, proto in json.loads(sys.argv[1]):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(fam, kind, socket.IPPROTO_SCTP if proto == "sctp" else 0)
    # A reused client port meets IPVS's old connection and its first SYN is dropped (resent
    # after 1 s): leave room for that on a slow guest.
    s.settimeout(5)
    try:
        if src:
            s.bind((src, 0))
        s.connect((host, port))
        if proto == "tcp":
            s.sendall(b"GET /who HTTP/1.0\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            out.append(body.decode() if head.startswith(b"HTTP/1.0 200") else "error:status")
        else:
            s.send(b"who")
            out.append(s.recv(512).decode())
    except Exception as e:
        out.append("error:" + type(e).__name__)
    finally:
        s.close()
print(json.dumps(out))
"""


def requests(host, reqs, timeout=120):
    """Answers to [(source, address, port[, proto])...] sent from host."""
    full = [list(r) + ["tcp"] * (4 - len(r)) for r in reqs]
    return json.loads(host.run("python3", "-c", CLIENT, json.dumps(full), timeout=timeout).stdout)


def get(host, address, port, n, source="", proto="tcp"):
    return requests(host, [(source, address, port, proto)] * n)


def start_server(host, name, ports, proto="tcp", v6=False):
    return host.spawn(["python3", "-c", SERVER, name, proto, ",".join(str(p) for p in ports)] +
                      (["6"] if v6 else []), log=host.rig.path(f"srv-{host.name}-{proto}.log"))


def ipvs_rules(host):
    """`ipvsadm -Sn` as a set of lines."""
    return {line.strip() for line in host.run("ipvsadm", "-Sn").stdout.splitlines() if line.strip()}


def ipvs_service_stats(host, flag, service):
    """(conns, in_packets, out_packets) of one service from `ipvsadm -Ln --stats --exact`."""
    out = host.run("ipvsadm", "-Ln", "--stats", "--exact", flag, service).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 5 and f[0] in ("TCP", "UDP", "SCTP", "FWM") and f[1] == service:
            return int(f[2]), int(f[3]), int(f[4])
    raise AssertionError(f"no stats for {service}:\n{out}")


def ipvs_thresholds(host, flag, service):
    """{"ADDR:PORT": (upper, lower)} of one service (`ipvsadm -S` does not show them)."""
    out = host.run("ipvsadm", "-Ln", "--thresholds", flag, service).stdout
    rows = [x.split() for x in out.splitlines() if x.strip().startswith("->")]
    return {r[1]: (int(r[2]), int(r[3])) for r in rows if len(r) >= 4 and r[2].isdigit()}


def wait_stats(host, flag, service, conns, timeout=8):
    """Service counters once they show `conns` connections (the 6.1 kernel copies them to
    what ipvsadm reads every 2 s)."""
    last = [None]

    def seen():
        last[0] = ipvs_service_stats(host, flag, service)
        return last[0][0] >= conns

    wait_until(seen, timeout, 0.5)
    return last[0]


def wait_rules(host, want, timeout=20):
    """Waits until `ipvsadm -Sn` is exactly the set `want`; returns the last set read."""
    last = [set()]

    def same():
        last[0] = ipvs_rules(host)
        return last[0] == set(want)

    wait_until(same, timeout, 0.3)
    return last[0]


class Vigild:
    """vigild -n on a config in host's namespace; stop() sends SIGTERM and returns the code."""

    def __init__(self, host, config, name="vigild"):
        self.host, self.rig = host, host.rig
        self.conf = self.rig.path(f"{name}.conf")
        Path(self.conf).write_text(config)
        self.log = self.rig.path(f"{name}.log")
        self.sock = self.rig.path(f"{name}.sock")
        self.proc = host.spawn([VIGILD, "-n", "-l", "-f", self.conf, "-p",
                                self.rig.path(f"{name}.pid"), "--status-socket", self.sock],
                               log=self.log)

    def status(self):
        r = sh(VIGILD, "--status", "--json", "--status-socket", self.sock, check=False)
        return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None

    def wait_status(self, timeout=15):
        st = [None]
        wait_until(lambda: (st.__setitem__(0, self.status()) or st[0]) is not None, timeout, 0.2)
        return st[0]

    def reload(self, config):
        Path(self.conf).write_text(config)
        os.kill(self.proc.pid, signal.SIGHUP)

    def log_text(self):
        return Path(self.log).read_text(errors="replace") if os.path.exists(self.log) else ""

    def stop(self):
        return self.rig.stop(self.proc, signal.SIGTERM, timeout=15)


def sysctls(host, pairs):
    for k, v in pairs:
        host.run("sysctl", "-qw", f"{k}={v}")


def wait_listening(host, address, port, timeout=15):
    """Until a TCP connect from host to address:port succeeds."""
    probe = ("import socket,sys\ns=socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else "
             "socket.AF_INET)\ns.settimeout(1)\ns.connect((sys.argv[1],int(sys.argv[2])))")
    return wait_until(lambda: host.run("python3", "-c", probe, address, str(port),
                                       check=False).returncode == 0, timeout, 0.2)


def now():
    return time.monotonic()


class DirectorCase(unittest.TestCase):
    """One vigild per test on cls.dir: on failure its log and the kernel's table are printed,
    and the table is cleared after every test."""

    def setUp(self):
        self.vigild = None

    def tearDown(self):
        res = self._outcome.result
        failed = any(t is self for t, _ in res.errors + res.failures)
        if self.vigild:
            if failed:
                print(self.vigild.log_text()[-6000:])
                print(self.dir.run("ipvsadm", "-Sn", check=False).stdout)
            self.vigild.stop()
        self.dir.run("ipvsadm", "-C", check=False)
