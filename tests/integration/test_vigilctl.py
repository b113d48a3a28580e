"""vigilctl against a running vigild, in network namespaces.

Drain: client -> director (vigild, nftables data plane, VIP 10.0.0.10:80) -> real servers a, b, c
(10.0.1.11-13), each a small threaded server that answers "GET" lines with its name and keeps a
"HOLD" connection open, answering each line on it. While a client loads the VIP with fresh
connections and one long-lived connection sits on b, `vigilctl drain` takes b out of
scheduling: no request fails, b gets no new connection, and it leaves the pool once the held
connection ends. The override survives a reload; `enable` brings b back; `clear` lists and
removes overrides; a user other than root may look but not change.

Maintenance: vigild (priority 150) and Debian's keepalived (100) share VRID 51;
`vigilctl maintenance VI_1 on` hands the VIP to keepalived within an advert interval and holds
vigild in BACKUP; `off` lets it preempt back.
"""
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from netns import BUILD_DIR, VIGILD, Rig, sh, wait_until  # noqa: E402

VIGILCTL = os.path.join(BUILD_DIR, "daemon", "vigilctl")
KEEPALIVED = "/usr/sbin/keepalived"
VIP = "10.0.0.10"
SERVERS = {"a": "10.0.1.11", "b": "10.0.1.12", "c": "10.0.1.13"}

SERVER = r"""
import socket, sys, threading
name, addr = sys.argv[1], sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, 80))
s.listen(64)
def serve(c):
    f = c.makefile("rwb", buffering=0)
    try:
        for line in f:
            if line.startswith(b"HOLD"):
                f.write(name.encode() + b"\n")
                continue
            f.write(name.encode() + b"\n")
            if line.startswith(b"GET"):
                break
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""

# Fresh connections, one "GET" each, for DURATION s; every answer (or error) on a line.
LOAD = r"""
import socket, sys, time
host, duration, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
end = time.monotonic() + duration
with open(out, "w") as log:
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            s = socket.create_connection((host, 80), timeout=3)
            s.sendall(b"GET\n")
            ans = s.makefile("rb").readline().decode().strip() or "error:empty"
            s.close()
        except Exception as e:
            ans = "error:" + type(e).__name__
        log.write(f"{t:.3f} {ans}\n")
        log.flush()
        time.sleep(0.02)
"""

# Connects until a connection lands on WANT, then holds it, sending a line every 0.2 s;
# prints the server once held; exits (closing it) on SIGTERM.
HOLD = r"""
import signal, socket, sys, time
host, want = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
for _ in range(200):
    s = socket.create_connection((host, 80), timeout=3)
    f = s.makefile("rwb", buffering=0)
    f.write(b"HOLD\n")
    if f.readline().decode().strip() == want:
        break
    s.close()
else:
    sys.exit(1)
print("held", want, flush=True)
while True:
    f.write(b"HOLD\n")
    f.readline()
    time.sleep(0.2)
"""


def config(extra=""):
    rs = "".join(f"""
    real_server {a} 80 {{
        weight 1
        TCP_CHECK {{
            connect_timeout 1
        }}
    }}""" for a in SERVERS.values())
    return f"""global_defs {{
    router_id director
    lvs_backend nftables
    status_socket_mode 0666
{extra}}}
virtual_server {VIP} 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
{rs}
}}
"""


class Vigilctl(unittest.TestCase):
    def setUp(self):
        self.rig = Rig("c").__enter__()
        rig = self.rig
        self.client = rig.add_host("cl", ["10.0.0.100/24"])
        self.dir = rig.add_host("dir", ["10.0.0.1/24", f"{VIP}/24", "10.0.1.1/24"])
        for k, v in (("ip_forward", 1), ("conf.all.send_redirects", 0),
                     ("conf.eth0.send_redirects", 0), ("conf.all.rp_filter", 0),
                     ("conf.eth0.rp_filter", 0)):
            self.dir.run("sysctl", "-qw", f"net.ipv4.{k}={v}")
        for name, addr in SERVERS.items():
            h = rig.add_host(name, [f"{addr}/24"])
            h.ip("route", "add", "default", "via", "10.0.1.1")
            h.spawn(["python3", "-c", SERVER, name, addr], log=rig.path(f"srv-{name}.log"))
        self.conf = rig.path("director.conf")
        Path(self.conf).write_text(config())
        self.sock = rig.path("vigild.sock")
        self.log = rig.path("vigild.log")
        self.vigild = None

    def tearDown(self):
        res = self._outcome.result
        if any(t is self for t, _ in res.errors + res.failures):
            if os.path.exists(self.log):
                print(Path(self.log).read_text(errors="replace")[-5000:])
        self.rig.close()

    def start_vigild(self):
        self.vigild = self.dir.spawn([VIGILD, "-n", "-l", "-f", self.conf, "-p",
                                      self.rig.path("pid"), "--status-socket", self.sock],
                                     log=self.log)
        self.assertTrue(wait_until(lambda: os.path.exists(self.sock), 10, 0.1))

    def ctl(self, *args, user=None, check=True):
        argv = [VIGILCTL, "-p", self.sock] + list(args)
        if user:
            argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + argv
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        if check and r.returncode != 0:
            raise AssertionError(f"vigilctl {args}: rc {r.returncode}: {r.stderr}")
        return r

    def status(self):
        return json.loads(self.ctl("show", "--json").stdout)

    def rs(self, name):
        for vs in self.status()["virtual_servers"]:
            for r in vs["real_servers"]:
                if r["address"] == f"{SERVERS[name]}:80":
                    return r
        raise AssertionError(name)

    def answers(self, n=12):
        seen = []
        for _ in range(n):
            r = self.client.run("python3", "-c",
                                "import socket,sys\ns=socket.create_connection((sys.argv[1],80),"
                                "timeout=3)\ns.sendall(b'GET\\n')\n"
                                "print(s.makefile('rb').readline().decode().strip())", VIP,
                                check=False)
            seen.append(r.stdout.strip() if r.returncode == 0 else "error")
        return seen

    def test_drain_enable_clear_and_reload(self):
        self.start_vigild()
        self.assertTrue(wait_until(lambda: set(self.answers(9)) == set(SERVERS), 20, 0.5),
                        "the pool never served a, b and c")
        hold = self.client.spawn(["python3", "-u", "-c", HOLD, VIP, "b"],
                                 log=self.rig.path("hold.log"))
        self.assertTrue(wait_until(lambda: "held b" in Path(self.rig.path("hold.log"))
                                   .read_text(), 15, 0.2), "no connection landed on b")
        load_out = self.rig.path("load.txt")
        load = self.client.spawn(["python3", "-c", LOAD, VIP, "12", load_out],
                                 log=self.rig.path("load.log"))
        time.sleep(1)
        t_drain = time.monotonic()
        r = self.ctl("drain", f"{VIP}:80", SERVERS["b"])
        self.assertIn("drain tcp:10.0.0.10:80 10.0.1.12:80", r.stdout)
        # Weight 0 at once, still in the table while the held connection lives.
        self.assertTrue(wait_until(lambda: self.rs("b")["weight_now"] == 0, 5, 0.1), self.rs("b"))
        b = self.rs("b")
        self.assertEqual((b["admin"], b["why"]), ("draining", "draining"))
        self.assertTrue(wait_until(lambda: self.status()["data_plane"]["overrides"][0]
                                   ["connections"] >= 1, 5, 0.2))
        shown = self.ctl("show").stdout
        self.assertIn("draining  tcp:10.0.0.10:80 10.0.1.12:80  connections 1", shown)
        lvs = self.ctl("lvs").stdout
        self.assertIn(f"TCP  {VIP}:80 rr", lvs)
        self.assertRegex(lvs, r"-> 10\.0\.1\.12:80\s+Masq\s+0\s+1\s")
        self.assertIn(f"10.0.0.100:", self.ctl("lvs", "--connections").stdout)
        time.sleep(2)
        self.assertEqual(self.rs("b")["admin"], "draining", "left the pool with a connection open")
        # The held connection ends: b leaves the pool.
        self.rig.stop(hold)
        t_end = time.monotonic()
        self.assertTrue(wait_until(lambda: self.rs("b")["admin"] == "disabled", 8, 0.2),
                        self.rs("b"))
        print(f"b left the pool {time.monotonic() - t_end:.2f} s after its last connection ended")
        self.assertEqual(self.rs("b")["weight_now"], -1)
        load.wait(timeout=30)
        lines = [x.split() for x in Path(load_out).read_text().splitlines()]
        failed = [x for x in lines if x[1].startswith("error")]
        self.assertEqual(failed, [], "requests failed during the drain")
        late_b = [x for x in lines if float(x[0]) > t_drain + 0.5 and x[1] == "b"]
        self.assertEqual(late_b, [], "b got new connections while draining")
        print(f"{len(lines)} requests during the drain, none failed, none new on b")

        # A reload keeps the override; enable brings b back.
        os.kill(self.vigild.pid, signal.SIGHUP)
        time.sleep(1.5)
        self.assertEqual(self.rs("b")["admin"], "disabled")
        self.assertNotIn("b", self.answers(6))
        self.ctl("enable", f"tcp:{VIP}:80", f"{SERVERS['b']}:80")
        self.assertTrue(wait_until(lambda: "b" in self.answers(6), 10, 0.3), "b did not return")
        os.kill(self.vigild.pid, signal.SIGHUP)
        time.sleep(1.5)
        self.assertIn("b", self.answers(6))

        # Not root: may look (status_socket_mode 0666), may not change.
        self.assertEqual(os.stat(self.sock).st_mode & 0o777, 0o666)
        os.chmod(os.path.dirname(self.sock), 0o711)
        r = self.ctl("show", user=65534, check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("virtual server 10.0.0.10:80", r.stdout)
        r = self.ctl("disable", f"{VIP}:80", SERVERS["a"], user=65534, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("permission denied", r.stderr)
        self.assertEqual(self.rs("a")["admin"], "enabled")

        # clear lists and removes every override.
        self.ctl("disable", f"{VIP}:80", SERVERS["a"])
        self.assertTrue(wait_until(lambda: "a" not in self.answers(6), 5, 0.2))
        r = self.ctl("clear")
        self.assertIn("cleared disabled tcp:10.0.0.10:80 10.0.1.11:80", r.stdout)
        self.assertTrue(wait_until(lambda: "a" in self.answers(6), 5, 0.2))
        r = self.ctl("drain", f"{VIP}:80", "10.0.1.99", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no real server '10.0.1.99'", r.stderr)
        log = Path(self.log).read_text()
        self.assertIn("control: uid 0: drain tcp:10.0.0.10:80 10.0.1.12:80", log)
        self.assertIn("control: uid 65534 refused 'disable'", log)


VRRP = """{track}vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {prio}
    advert_int 1
    virtual_ipaddress {{
        10.0.5.100/24
    }}
}}
"""


class Maintenance(unittest.TestCase):
    def test_maintenance_hands_over_to_keepalived_and_back(self):
        with Rig("m") as rig:
            v = rig.add_host("v", ["10.0.5.1/24"])
            k = rig.add_host("k", ["10.0.5.2/24"])
            sock = rig.path("v.sock")
            vconf, kconf = rig.path("v.conf"), rig.path("k.conf")
            flag = rig.path("flag")
            Path(flag).write_text("1\n")
            track = (f"vrrp_track_file f {{\n    file {flag}\n    weight -10\n}}\n")
            Path(vconf).write_text(VRRP.format(prio=160, track=track).replace(
                "    advert_int 1\n", "    advert_int 1\n    track_file {\n        f\n    }\n"))
            Path(kconf).write_text(VRRP.format(prio=100, track=""))
            vlog = rig.path("v.log")
            v.spawn([VIGILD, "-n", "-l", "-f", vconf, "-p", rig.path("v.pid"),
                     "--status-socket", sock], log=vlog)
            k.spawn([KEEPALIVED, "-n", "-l", "-P", "-f", kconf, "-p", rig.path("k.pid"),
                     "-r", rig.path("k-vrrp.pid")], log=rig.path("k.log"))

            def ctl(*a):
                return subprocess.run([VIGILCTL, "-p", sock] + list(a), capture_output=True,
                                      text=True, timeout=20)

            def state():
                r = ctl("show", "--json")
                return json.loads(r.stdout)["vrrp"]["instances"][0] if r.returncode == 0 else {}

            try:
                self.assertTrue(wait_until(lambda: v.has_addr("10.0.5.100"), 15, 0.1),
                                "vigild never became master")
                t0 = time.monotonic()
                r = ctl("maintenance", "VI_1", "on")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertTrue(wait_until(lambda: k.has_addr("10.0.5.100"), 5, 0.02),
                                "keepalived did not take over")
                took = time.monotonic() - t0
                print(f"keepalived took over {took:.2f} s after maintenance on")
                self.assertLess(took, 1.5)  # its skew time after our priority-0 advert
                self.assertFalse(v.has_addr("10.0.5.100"))
                st = state()
                self.assertEqual((st["state"], st["maintenance"]), ("BACKUP", True))
                # What lowered the priority, and why the last transition happened.
                self.assertEqual((st["priority"], st["effective_priority"]), (160, 150))
                self.assertEqual(st["tracking"], ["file f = 1: -10"])
                self.assertEqual(st["last_cause"], "maintenance")
                self.assertIn("maintenance (held in BACKUP)", ctl("show").stdout)
                # Held, also across a reload: vigild does not preempt keepalived.
                vpid = int(Path(rig.path("v.pid")).read_text())
                os.kill(vpid, signal.SIGHUP)
                time.sleep(4)
                self.assertEqual(state()["state"], "BACKUP")
                self.assertTrue(state()["maintenance"])
                self.assertTrue(k.has_addr("10.0.5.100"))
                self.assertEqual(ctl("maintenance", "VI_1", "off").returncode, 0)
                self.assertTrue(wait_until(lambda: v.has_addr("10.0.5.100"), 8, 0.1),
                                "vigild did not preempt back")
                self.assertTrue(wait_until(lambda: not k.has_addr("10.0.5.100"), 5, 0.1))
                self.assertFalse(state()["maintenance"])
                r = ctl("maintenance", "VI_9", "on")
                self.assertEqual(r.returncode, 1)
                self.assertIn("no vrrp_instance 'VI_9'", r.stderr)
            except BaseException:
                print(Path(vlog).read_text(errors="replace")[-4000:])
                raise


if __name__ == "__main__":
    unittest.main(verbosity=2)
