"""lvs_sync_daemon on a real IPVS kernel (a User-Mode Linux guest): a live LVS-DR connection
survives the death of the master director because the backup's kernel already holds it.

One segment (br0): the client (10.0.0.100), two directors (10.0.0.2 and 10.0.0.3) in a VRRP
pair holding the VIP 10.0.0.10, and two DR real servers (10.0.0.21, .22, the VIP on lo). The
client keeps one TCP connection open and sends a line every 0.2 s; the real server answers
each line on it. The master director is then killed (kill -9, its link cut): the backup takes
the VIP and, through the connection it learnt from the master's sync daemon, forwards the same
connection to the same real server.
"""
import json
import os
import re
from pathlib import Path
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uml  # noqa: E402
from netns import BUILD_DIR, Rig, wait_until  # noqa: E402
from lvs_rig import Vigild, sysctls  # noqa: E402

VIP = "10.0.0.10"
VIP2 = "10.0.0.11"  # a service of its own: no connection left from another test
DIRECTORS = {"d1": ("10.0.0.2", 150), "d2": ("10.0.0.3", 100)}
REAL = {"r1": "10.0.0.21", "r2": "10.0.0.22"}
VIGILCTL = os.path.join(BUILD_DIR, "daemon", "vigilctl")

# Answers every line of a connection with "NAME LINE", until the client closes it.
ECHO = r"""
import socket, sys, threading
name = sys.argv[1]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 80))
s.listen(16)
def serve(c):
    f = c.makefile("rwb", buffering=0)
    for line in f:
        f.write(name.encode() + b" " + line)
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""

# One connection; a line every 0.2 s for DURATION s; each answer (or the error that ended the
# connection) appended to OUT as a JSON line with its time.
CLIENT = r"""
import json, socket, sys, time
host, duration, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, 80), timeout=5)
s.settimeout(20)  # TCP retransmits across the failover
f = s.makefile("rwb", buffering=0)
port = s.getsockname()[1]
end = time.monotonic() + duration
n = 0
with open(out, "a") as log:
    while time.monotonic() < end:
        n += 1
        try:
            f.write(b"%d\n" % n)
            answer = f.readline().decode().strip()
            if not answer:
                raise ConnectionError("closed")
            rec = {"t": time.monotonic(), "n": n, "answer": answer, "port": port}
        except Exception as e:
            rec = {"t": time.monotonic(), "n": n, "error": type(e).__name__ + ": " + str(e)}
        log.write(json.dumps(rec) + "\n")
        log.flush()
        if "error" in rec:
            break
        time.sleep(0.2)
"""


def config(name, sync_opts, vip=VIP):
    addr, prio = DIRECTORS[name]
    rs = "".join(f"""
    real_server {a} 80 {{
        weight 1
    }}""" for a in REAL.values())
    return f"""global_defs {{
    router_id {name}
    lvs_backend auto
    lvs_sync_daemon eth0 VI_1{sync_opts}
}}
vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {prio}
    advert_int 1
    virtual_ipaddress {{
        {vip}/24
    }}
}}
virtual_server {vip} 80 {{
    lb_algo rr
    lb_kind DR
    protocol TCP
{rs}
}}
"""


def daemons(host):
    """`ipvsadm -L --daemon` as a list of lines."""
    return [x.strip() for x in host.run("ipvsadm", "-L", "--daemon").stdout.splitlines()
            if x.strip()]


def connections(host):
    """`ipvsadm -Lnc` rows as (state, source, virtual, destination)."""
    rows = []
    for line in host.run("ipvsadm", "-Lnc").stdout.splitlines():
        f = line.split()
        if len(f) == 6 and f[0] == "TCP":
            rows.append((f[2], f[3], f[4], f[5]))
    return rows


class SyncDaemon(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rig = rig = Rig("s").__enter__()
        try:
            cls.client = rig.add_host("cl", ["10.0.0.100/24"])
            cls.dirs = {n: rig.add_host(n, [f"{a}/24"]) for n, (a, _) in DIRECTORS.items()}
            for h in cls.dirs.values():
                sysctls(h, [("net.ipv4.conf.all.send_redirects", 0),
                            ("net.ipv4.conf.eth0.send_redirects", 0)])
            cls.servers = []
            for n, a in REAL.items():
                h = rig.add_host(n, [f"{a}/24"])
                h.ip("addr", "add", f"{VIP}/32", "dev", "lo")
                h.ip("addr", "add", f"{VIP2}/32", "dev", "lo")
                sysctls(h, [("net.ipv4.conf.all.arp_ignore", 1),
                            ("net.ipv4.conf.all.arp_announce", 2),
                            ("net.ipv4.conf.eth0.arp_ignore", 1),
                            ("net.ipv4.conf.eth0.arp_announce", 2)])
                cls.servers.append(h.spawn(["python3", "-c", ECHO, n],
                                           log=rig.path(f"echo-{n}.log")))
        except BaseException:
            rig.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.rig.close()

    def setUp(self):
        self.vigilds = {}

    def tearDown(self):
        res = self._outcome.result
        failed = any(t is self for t, _ in res.errors + res.failures)
        for name, v in self.vigilds.items():
            if failed:
                print(f"--- {name}\n{v.log_text()[-4000:]}")
                print(self.dirs[name].run("ipvsadm", "-Lnc", check=False).stdout)
            if v.proc.poll() is None:
                v.stop()
            self.dirs[name].run("ipvsadm", "-C", check=False)
            self.dirs[name].run("ipvsadm", "--stop-daemon", "master", check=False)
            self.dirs[name].run("ipvsadm", "--stop-daemon", "backup", check=False)
        for h in self.dirs.values():
            h.ip("link", "set", "eth0", "up", check=False)

    def master(self):
        for name, v in self.vigilds.items():
            st = v.status()
            if st and st["vrrp"]["instances"] and st["vrrp"]["instances"][0]["state"] == "MASTER":
                return name
        return None

    def test_connection_survives_master_death(self):
        for name in DIRECTORS:
            self.vigilds[name] = Vigild(self.dirs[name], config(name, " id 7 maxlen 1400"), name)
        self.assertTrue(wait_until(lambda: self.master() == "d1", 20, 0.3), "d1 never became master")
        # The master runs the master sync daemon, the backup the backup one, as keepalived.
        want = {"d1": "master sync daemon (mcast=eth0, syncid=7, maxlen=1400, "
                      "group=224.0.0.81, port=8848, ttl=1)",
                "d2": "backup sync daemon (mcast=eth0, syncid=7, maxlen=1400, "
                      "group=224.0.0.81, port=8848, ttl=1)"}
        for name, line in want.items():
            got = [None]
            ok = wait_until(lambda: (got.__setitem__(0, daemons(self.dirs[name])) or
                                     got[0] == [line]), 10, 0.3)
            self.assertTrue(ok, f"{name}: {got[0]}")
        st = self.vigilds["d1"].status()["lvs_sync_daemon"]
        self.assertEqual((st["instance"], st["sync_id"], st["running"]), ("VI_1", 7, ["master"]))
        st = self.vigilds["d2"].status()["lvs_sync_daemon"]
        self.assertEqual((st["running"], st["failures"]), (["backup"], 0))

        out = self.rig.path("client.jsonl")
        client = self.client.spawn(["python3", "-c", CLIENT, VIP, "25", out],
                                   log=self.rig.path("client.log"))

        def answers():
            if not os.path.exists(out):
                return []
            return [json.loads(x) for x in Path(out).read_text().splitlines() if x.strip()]

        self.assertTrue(wait_until(lambda: len(answers()) >= 10, 15, 0.2), answers())
        first = answers()[0]
        self.assertNotIn("error", first, first)
        server = first["answer"].split()[0]
        # The backup learnt the connection from the master's sync daemon.
        conn = [c for c in connections(self.dirs["d2"])
                if c[1] == f"10.0.0.100:{first['port']}"]
        self.assertTrue(wait_until(lambda: any(
            c[1] == f"10.0.0.100:{first['port']}" and c[2] == f"{VIP}:80" and
            c[3] == f"{REAL[server]}:80" for c in connections(self.dirs["d2"])), 10, 0.3),
            f"backup's table: {connections(self.dirs['d2'])} {conn}")

        # The master dies: no priority-0 advert, its link gone.
        before = len(answers())
        killed_at = time.monotonic()
        os.kill(self.vigilds["d1"].proc.pid, signal.SIGKILL)
        self.vigilds["d1"].proc.wait(timeout=10)
        self.dirs["d1"].ip("link", "set", "eth0", "down")
        self.assertTrue(wait_until(lambda: self.master() == "d2", 15, 0.2), "d2 never took over")
        self.assertTrue(wait_until(lambda: daemons(self.dirs["d2"]) == [
            want["d2"].replace("backup", "master")], 10, 0.3), daemons(self.dirs["d2"]))
        # The same connection goes on after the takeover, answered by the same server.
        self.assertTrue(wait_until(lambda: any(
            a["t"] > killed_at + 1 for a in answers()[before:]), 25, 0.3), answers()[-3:])
        client.wait(timeout=40)
        recs = answers()
        errors = [a for a in recs if "error" in a]
        self.assertEqual(errors, [], f"the connection broke: {errors}")
        after = [a for a in recs if a["t"] > killed_at]
        self.assertGreater(len(after), 5)
        self.assertEqual({a["answer"].split()[0] for a in recs}, {server})
        self.assertEqual({a["port"] for a in recs}, {first["port"]})
        gap = max(b["t"] - a["t"] for a, b in zip(recs, recs[1:]))
        print(f"{len(recs)} answers on one connection, {len(after)} after the master died; "
              f"longest gap {gap:.2f} s, served by {server}")
        # Stopping the director stops its sync daemon.
        self.assertEqual(self.vigilds["d2"].stop(), 0)
        self.assertEqual(daemons(self.dirs["d2"]), [])

    def test_vigilctl_lvs_and_drain_on_ipvs(self):
        """vigilctl's table view from the kernel's counters, and a drain that waits for the
        kernel's ActiveConn to reach zero."""
        import subprocess
        v = self.vigilds["d1"] = Vigild(self.dirs["d1"], config("d1", "", VIP2), "d1")
        self.assertTrue(wait_until(lambda: self.master() == "d1", 20, 0.3))

        def ctl(*a):
            r = subprocess.run([VIGILCTL, "-p", v.sock] + list(a), capture_output=True,
                               text=True, timeout=20)
            self.assertEqual(r.returncode, 0, r.stderr)
            return r.stdout

        out = self.rig.path("hold.jsonl")
        client = self.client.spawn(["python3", "-c", CLIENT, VIP2, "60", out],
                                   log=self.rig.path("hold.log"))
        self.assertTrue(wait_until(lambda: os.path.exists(out) and
                                   len(Path(out).read_text().splitlines()) >= 3, 15, 0.2))
        server = json.loads(Path(out).read_text().splitlines()[0])["answer"].split()[0]
        addr = REAL[server]
        lvs = ctl("lvs")
        print(lvs)
        self.assertIn(f"TCP  {VIP2}:80 rr", lvs)
        self.assertRegex(lvs, rf"-> {addr}:80\s+Route\s+1\s+[1-9]")
        self.assertTrue(wait_until(lambda: re.search(
            rf"-> {addr}:80\s+[1-9]", ctl("lvs", "--stats")), 8, 0.5), ctl("lvs", "--stats"))
        self.assertIn(f"{VIP2}:80", ctl("lvs", "--connections"))
        ctl("drain", f"{VIP2}:80", addr, "--timeout", "60")
        rules = lambda: self.dirs["d1"].run("ipvsadm", "-Sn").stdout  # noqa: E731
        self.assertTrue(wait_until(lambda: f"-r {addr}:80 -g -w 0" in rules(), 5, 0.2), rules())
        time.sleep(2)
        self.assertIn(f"-r {addr}:80 -g -w 0", rules(), "left the pool with a connection open")
        self.rig.stop(client)
        self.assertTrue(wait_until(lambda: f"-r {addr}:80" not in rules(), 10, 0.3), rules())
        self.assertIn("disabled", ctl("show"))
        ctl("enable", f"{VIP2}:80", addr)
        self.assertTrue(wait_until(lambda: f"-r {addr}:80 -g -w 1" in rules(), 5, 0.2), rules())


if __name__ == "__main__":
    uml.main(__file__, timeout=200)
