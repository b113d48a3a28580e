"""Test hosts in network namespaces: a bridge in its own namespace, one veth per host.

Everything made here is removed on exit, also when a test fails. Nothing touches the host's
interfaces: links are created directly inside the namespaces.
"""
import os
import signal
import subprocess
import time

BUILD_DIR = os.environ.get("VIGIL_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
SOURCE_DIR = os.environ.get("VIGIL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
VIGILD = os.path.join(BUILD_DIR, "daemon", "vigild")


def sh(*argv, check=True, timeout=20, capture=True):
    r = subprocess.run(list(argv), capture_output=capture, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


# Runs inside a client namespace: N fresh HTTP connections, the answers as a JSON list.
HTTP_CLIENT = r"""
import json, sys, urllib.request
out = []
for _ in range(int(sys.argv[2])):
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
            out.append(r.read().decode().strip())
    except Exception as e:
        out.append("error:" + type(e).__name__)
print(json.dumps(out))
"""


def http_requests(host, url, n, timeout=90):
    """The bodies of n fresh GETs of url from host ("error:..." for a failed one)."""
    import json
    return json.loads(host.run("python3", "-c", HTTP_CLIENT, url, str(n), timeout=timeout).stdout)


def wait_until(pred, timeout, interval=0.01):
    """Polls pred until it is true or timeout seconds pass; returns the time taken or None."""
    start = time.monotonic()
    deadline = start + timeout
    while True:
        if pred():
            return time.monotonic() - start
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


class Host:
    def __init__(self, rig, name, ns):
        self.rig, self.name, self.ns = rig, name, ns

    def run(self, *argv, check=True, timeout=20):
        return sh("ip", "netns", "exec", self.ns, *argv, check=check, timeout=timeout)

    def ip(self, *args, check=True):
        return sh("ip", "-n", self.ns, *args, check=check)

    def spawn(self, argv, log=None, env=None):
        """Starts argv in this namespace in a new process group; the rig ends it."""
        out = open(log, "w") if log else subprocess.DEVNULL
        try:
            p = subprocess.Popen(["ip", "netns", "exec", self.ns, *argv], stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True, env=env)
        finally:
            if log:
                out.close()  # the child has its own copy
        self.rig.procs.append(p)
        return p

    def has_addr(self, addr, dev=None):
        args = ["-o", "addr", "show"] + (["dev", dev] if dev else [])
        out = self.ip(*args, check=False).stdout
        return any(f" {addr}/" in line for line in out.splitlines())

    def addrs(self):
        return self.ip("-o", "addr", "show").stdout


class Rig:
    """A switch namespace with a bridge, and hosts plugged into it."""

    counter = 0

    def __init__(self, tag="t"):
        Rig.counter += 1
        self.prefix = f"vg{tag}{os.getpid()}x{Rig.counter}"
        self.namespaces = []
        self.procs = []
        self.hosts = {}
        self.tmp = None

    def __enter__(self):
        import tempfile
        self.tmp = tempfile.mkdtemp(prefix=self.prefix)
        self.switch = self._netns("sw")
        sh("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.switch, "link", "set", "br0", "up")
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _netns(self, name):
        ns = f"{self.prefix}{name}"
        sh("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        return ns

    def add_bridge(self, name):
        """Another segment on the switch."""
        sh("ip", "-n", self.switch, "link", "add", name, "type", "bridge")
        sh("ip", "-n", self.switch, "link", "set", name, "up")

    def add_host(self, name, addrs=(), ifname="eth0", mac=None, bridge="br0"):
        ns = self._netns(name)
        h = Host(self, name, ns)
        self.hosts[name] = h
        self.plug(h, ifname, addrs, bridge, mac)
        return h

    def plug(self, host, ifname, addrs=(), bridge="br0", mac=None):
        """A veth from host's ifname to a port of bridge."""
        self.ports = getattr(self, "ports", 0) + 1
        port = f"p{self.ports - 1}"
        sh("ip", "-n", host.ns, "link", "add", ifname, "type", "veth", "peer", "name", port,
           "netns", self.switch)
        if mac:
            sh("ip", "-n", host.ns, "link", "set", ifname, "address", mac)
        sh("ip", "-n", self.switch, "link", "set", port, "master", bridge)
        sh("ip", "-n", self.switch, "link", "set", port, "up")
        for a in addrs:
            sh("ip", "-n", host.ns, "addr", "add", a, "dev", ifname, "nodad")
        sh("ip", "-n", host.ns, "link", "set", ifname, "up")

    def path(self, name):
        return os.path.join(self.tmp, name)

    def stop(self, p, sig=signal.SIGTERM, timeout=10):
        """Ends one started process group; returns its exit code."""
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            return p.wait(timeout=5)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        self.procs.clear()
        for ns in reversed(self.namespaces):
            sh("ip", "netns", "del", ns, check=False)
        self.namespaces.clear()
        if self.tmp:
            subprocess.run(["rm", "-rf", self.tmp])
            self.tmp = None
