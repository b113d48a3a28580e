"""VRRP test hosts: routers running vigild, keepalived or FRR's vrrpd, and a client, on one bridge.

Built on netns.Rig: every namespace and process is removed when the rig closes.
"""
import os
from pathlib import Path
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from netns import VIGILD, Rig, sh, wait_until  # noqa: E402

KEEPALIVED = "/usr/sbin/keepalived"
FRR_DIR = "/usr/lib/frr"


def master_down(advert, priority):
    """RFC 5798 master-down interval in seconds."""
    return 3 * advert + (256 - priority) * advert / 256


def instance_conf(name="VI_1", iface="eth0", vrid=51, priority=100, state="BACKUP", advert=1,
                  vips=("10.99.0.10/24",), version=None, extra="", auth=None, unicast=None,
                  nopreempt=False, notify=None):
    lines = [f"vrrp_instance {name} {{", f"    state {state}", f"    interface {iface}",
             f"    virtual_router_id {vrid}", f"    priority {priority}",
             f"    advert_int {advert}"]
    if version:
        lines.append(f"    version {version}")
    if nopreempt:
        lines.append("    nopreempt")
    if auth:
        lines += ["    authentication {", "        auth_type PASS", f"        auth_pass {auth}",
                  "    }"]
    if unicast:
        src, peers = unicast
        lines.append(f"    unicast_src_ip {src}")
        lines.append("    unicast_peer {")
        lines += [f"        {p}" for p in peers]
        lines.append("    }")
    if notify:
        for k, v in notify.items():
            lines.append(f"    {k} \"{v}\"")
    lines.append("    virtual_ipaddress {")
    lines += [f"        {v}" for v in vips]
    lines.append("    }")
    if extra:
        lines.append(extra)
    lines.append("}")
    return "\n".join(lines) + "\n"


def global_conf(router_id="node", extra=""):
    return ("global_defs {\n    router_id " + router_id + "\n"
            "    enable_script_security\n    script_user root\n" + extra + "}\n")


class Daemon:
    """One VRRP speaker in a host namespace."""

    def __init__(self, host, kind, conf_text, name):
        self.host, self.kind, self.name = host, kind, name
        rig = host.rig
        self.dir = rig.path(name)
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "vrrp.conf")
        self.log = os.path.join(self.dir, "log")
        self.pidfile = os.path.join(self.dir, "pid")
        with open(self.conf, "w") as f:
            f.write(conf_text)
        self.proc = None

    def start(self):
        if self.kind == "vigil":
            argv = [VIGILD, "-n", "-l", "-D", "-f", self.conf, "-p", self.pidfile,
                    "--status-socket", os.path.join(self.dir, "sock")]
        else:
            argv = [KEEPALIVED, "-n", "-l", "-D", "-P", "-f", self.conf, "-p", self.pidfile,
                    "-r", os.path.join(self.dir, "vrrp.pid"), "-c", os.path.join(self.dir, "c.pid"),
                    "-b", os.path.join(self.dir, "bfd.pid")]
        self.proc = self.host.spawn(argv, log=self.log)
        return self

    def kill(self, sig=signal.SIGKILL):
        os.killpg(self.proc.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        return self.host.rig.stop(self.proc, sig, timeout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def reload(self, conf_text=None):
        if conf_text is not None:
            with open(self.conf, "w") as f:
                f.write(conf_text)
        pid = int(Path(self.pidfile).read_text().strip()) if self.kind == "vigil" else self.proc.pid
        os.kill(pid, signal.SIGHUP)

    def logtext(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def status(self):
        import json
        r = sh(VIGILD, "--status", "--json", "--status-socket", os.path.join(self.dir, "sock"),
               check=False)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout)


class FrrDaemon:
    """FRR's zebra + vrrpd in a host namespace, with the macvlan vrrpd needs."""

    def __init__(self, host, iface, vrid, priority, vips, advert_ms=1000, version=3, name="frr"):
        self.host, self.iface, self.vrid = host, iface, vrid
        self.dir = host.rig.path(name)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(host.rig.tmp, 0o755)  # FRR drops to user frr: it must reach its own folder
        sh("chown", "frr:frr", self.dir)
        self.tag = os.path.basename(host.ns)[-12:] + name
        mv = f"vrrp4-{vrid}"
        host.ip("link", "add", mv, "link", iface, "type", "macvlan", "mode", "bridge")
        host.ip("link", "set", mv, "address", f"00:00:5e:00:01:{vrid:02x}")
        for v in vips:
            host.ip("addr", "add", v, "dev", mv)
        host.ip("link", "set", mv, "up")
        conf = [f"interface {iface}", f" vrrp {vrid} version {version}",
                f" vrrp {vrid} priority {priority}",
                f" vrrp {vrid} advertisement-interval {advert_ms}"]
        conf += [f" vrrp {vrid} ip {v.split('/')[0]}" for v in vips]
        self.conf = os.path.join(self.dir, "frr.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n!\n")
        sh("chown", "frr:frr", self.conf)
        self.procs = []

    def _daemon(self, prog):
        argv = [os.path.join(FRR_DIR, prog), "-N", self.tag, "-f", self.conf,
                "-i", os.path.join(self.dir, prog + ".pid"), "-z",
                os.path.join(self.dir, "zserv.api"), "--vty_socket", self.dir]
        p = self.host.spawn(argv, log=os.path.join(self.dir, prog + ".log"))
        self.procs.append(p)
        return p

    def start(self):
        self._daemon("zebra")
        wait_until(lambda: os.path.exists(os.path.join(self.dir, "zserv.api")), 10, 0.05)
        self._daemon("vrrpd")
        return self

    def kill(self):
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)

    def show(self):
        return self.host.run("vtysh", "--vty_socket", self.dir, "-c", "show vrrp",
                             check=False).stdout


class ArpWatch:
    """Counts gratuitous ARPs for an address seen by a host (AF_PACKET socket in its namespace)."""

    SCRIPT = r"""
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind((sys.argv[1], 0))
s.settimeout(0.2)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    try:
        f = s.recv(2048)
    except socket.timeout:
        continue
    if len(f) < 42: continue
    op = struct.unpack('!H', f[20:22])[0]
    print(time.monotonic(), op, f[22:28].hex(), socket.inet_ntoa(f[28:32]), socket.inet_ntoa(f[38:42]), flush=True)
"""

    def __init__(self, host, iface="eth0", seconds=30):
        self.lines = []
        self.proc = subprocess.Popen(["ip", "netns", "exec", host.ns, sys.executable, "-c",
                                      self.SCRIPT, iface, str(seconds)], stdout=subprocess.PIPE,
                                     text=True, start_new_session=True)
        host.rig.procs.append(self.proc)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()
        time.sleep(0.3)

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.split())

    def gratuitous(self, addr):
        """(time, sender mac) of ARP frames whose sender and target are addr."""
        return [(float(l[0]), l[2]) for l in self.lines if len(l) == 5 and l[3] == addr and l[4] == addr]


def holder(hosts, vip):
    """Names of the hosts that have vip."""
    return [h.name for h in hosts if h.has_addr(vip)]


def mac_of(host, iface="eth0"):
    out = host.ip("-o", "link", "show", iface).stdout
    return out.split("link/ether ")[1].split()[0].replace(":", "")


class RigTest(unittest.TestCase):
    """A test with its own rig; on failure it prints the logs of the daemons it started."""

    TAG = "t"

    def setUp(self):
        self.rig = Rig(self.TAG).__enter__()
        self.daemons = []

    def tearDown(self):
        res = self._outcome.result
        if any(t is self for t, _ in res.errors + res.failures):
            for d in self.daemons:
                print(f"---- {d.name} ({d.kind}) log ----\n{d.logtext()[-4000:]}")
        self.rig.close()

    def start(self, host, name, text, kind="vigil"):
        d = Daemon(host, kind, text, name).start()
        self.daemons.append(d)
        return d
