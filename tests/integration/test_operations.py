"""Operations: reload without flap, a bad file refused whole, dumps, status, metrics, SIGTERM,
the SysV init script, and SMTP alerts."""
import json
import os
from pathlib import Path
import signal
import socketserver
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import Daemon, Rig, global_conf, instance_conf, wait_until  # noqa
from netns import SOURCE_DIR, VIGILD, sh  # noqa

A, B = "10.99.0.10", "10.99.0.11"
FAST = dict(version=3, advert=0.1)


def conf_with(instances, extra_global=""):
    return global_conf("ops", extra_global) + "".join(instances)


def inst_a(**kw):
    return instance_conf(name="VI_A", vrid=51, priority=150, vips=(A + "/24",), **FAST, **kw)


def inst_b(**kw):
    return instance_conf(name="VI_B", vrid=52, priority=150, vips=(B + "/24",), **FAST, **kw)


class Operations(unittest.TestCase):
    def setUp(self):
        self.rig = Rig("o").__enter__()
        self.r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        self.d = None

    def tearDown(self):
        res = self._outcome.result
        if any(t is self for t, _ in res.errors + res.failures) and self.d:
            print(f"---- log ----\n{self.d.logtext()[-5000:]}")
        self.rig.close()

    def instance_status(self, name):
        s = self.d.status()
        if not s:
            return None
        for i in s["vrrp"]["instances"]:
            if i["name"] == name:
                return i
        return None

    def test_reload_keeps_state_refuses_bad_files_and_touches_only_changes(self):
        notify_log = self.rig.path("notify.log")
        script = self.rig.path("n.sh")
        with open(script, "w") as f:
            f.write(f"#!/bin/sh\necho \"$*\" >> {notify_log}\n")
        os.chmod(script, 0o700)
        n = {"notify": script}
        self.d = Daemon(self.r1, "vigil", conf_with([inst_a(notify=n)]), "d").start()
        self.assertIsNotNone(wait_until(lambda: self.r1.has_addr(A), 5))
        self.assertIsNotNone(wait_until(lambda: (self.instance_status("VI_A") or {}).get("state") == "MASTER", 3))
        before = self.instance_status("VI_A")

        # 1. A file with a syntax error is refused whole: nothing changes.
        self.d.reload(conf_with([inst_a(notify=n), inst_b(notify=n)]).replace("VI_B {", "VI_B {{"))
        time.sleep(1)
        self.assertIn("Reload refused", self.d.logtext())
        self.assertTrue(self.r1.has_addr(A))
        self.assertFalse(self.r1.has_addr(B))
        s = self.d.status()
        self.assertEqual(s["daemon"]["reloads_refused"], 1)

        # 2. A bad value (VRID 300) in an otherwise good file: refused too.
        self.d.reload(conf_with([inst_a(notify=n), inst_b(notify=n).replace("virtual_router_id 52", "virtual_router_id 300")]))
        time.sleep(1)
        self.assertEqual(self.d.status()["daemon"]["reloads_refused"], 2)
        self.assertFalse(self.r1.has_addr(B))

        # 3. A valid reload adds VI_B and leaves VI_A alone.
        self.d.reload(conf_with([inst_a(notify=n), inst_b(notify=n)]))
        self.assertIsNotNone(wait_until(lambda: self.r1.has_addr(B), 5), "added instance did not start")
        after = self.instance_status("VI_A")
        self.assertEqual(after["became_master"], before["became_master"], "VI_A flapped on reload")
        self.assertTrue(self.r1.has_addr(A))

        # 4. Removing VI_B stops it cleanly and leaves VI_A alone.
        self.d.reload(conf_with([inst_a(notify=n)]))
        self.assertIsNotNone(wait_until(lambda: not self.r1.has_addr(B), 5), "removed instance kept its VIP")
        self.assertTrue(self.r1.has_addr(A))
        self.assertEqual(self.instance_status("VI_A")["became_master"], before["became_master"])
        lines = [l.strip() for l in Path(notify_log).read_text().splitlines()]
        self.assertEqual([l for l in lines if "VI_A" in l], ["INSTANCE VI_A BACKUP 150", "INSTANCE VI_A MASTER 150"],
                         "VI_A saw transitions during reloads")

    def test_dumps_status_metrics_and_clean_stop(self):
        port = 19650
        old_tmp = os.environ.get("TMPDIR")
        os.environ["TMPDIR"] = self.rig.tmp  # the dumps go to $TMPDIR, as keepalived's
        try:
            self.d = Daemon(self.r1, "vigil", conf_with([inst_a()], f"    metrics_listen 127.0.0.1:{port}\n"),
                            "d").start()
        finally:
            if old_tmp is None:
                del os.environ["TMPDIR"]
            else:
                os.environ["TMPDIR"] = old_tmp
        self.assertIsNotNone(wait_until(lambda: self.r1.has_addr(A), 5))
        pid = int(Path(self.d.pidfile).read_text())
        # Dumps: names derived from the pid file, in $TMPDIR.
        os.kill(pid, signal.SIGUSR1)
        os.kill(pid, signal.SIGUSR2)
        data = os.path.join(self.rig.tmp, "pid.data")
        stats = os.path.join(self.rig.tmp, "pid.stats")
        self.assertIsNotNone(wait_until(lambda: os.path.exists(data) and os.path.exists(stats), 3),
                             os.listdir(self.rig.tmp))
        time.sleep(0.2)
        dj = json.loads(Path(data).read_text())
        self.assertEqual(dj["vrrp"]["instances"][0]["name"], "VI_A")
        self.assertIn("config", dj)
        json.loads(Path(stats).read_text())
        # Human-readable status.
        r = sh(VIGILD, "--status", "--status-socket", os.path.join(self.d.dir, "sock"))
        self.assertIn("VI_A", r.stdout)
        self.assertIn("MASTER", r.stdout)
        # Metrics over HTTP from inside the namespace.
        out = self.r1.run(sys.executable, "-c",
                          f"import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:{port}/metrics',timeout=5).read().decode())").stdout
        self.assertIn('vigil_vrrp_state{vrrp_instance="VI_A",state="MASTER"} 1', out)
        self.assertIn("vigil_up 1", out)
        # SIGTERM: exit 0, VIP released, pid file and socket gone.
        self.assertEqual(self.d.stop(signal.SIGTERM), 0)
        self.assertFalse(self.r1.has_addr(A))
        self.assertFalse(os.path.exists(self.d.pidfile))
        self.assertFalse(os.path.exists(os.path.join(self.d.dir, "sock")))

    def test_sysv_init_script(self):
        conf = self.rig.path("init.conf")
        with open(conf, "w") as f:
            f.write(conf_with([inst_a()]))
        pidfile = self.rig.path("init.pid")
        env = dict(os.environ, DAEMON=VIGILD, CONFIG=conf, PIDFILE=pidfile, VIGIL_NO_DEFAULTS="1",
                   DAEMON_ARGS=f"--status-socket {self.rig.path('init.sock')}")
        init = os.path.join(SOURCE_DIR, "contrib", "vigild.init")

        def svc(action):
            return subprocess.run(["ip", "netns", "exec", self.r1.ns, "sh", init, action], env=env,
                                  capture_output=True, text=True, timeout=30)
        try:
            self.assertEqual(svc("status").returncode, 3)
            r = svc("start")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(svc("status").returncode, 0)
            self.assertIsNotNone(wait_until(lambda: self.r1.has_addr(A), 5))
            self.assertEqual(svc("reload").returncode, 0)
            time.sleep(0.5)
            self.assertTrue(self.r1.has_addr(A))
            r = svc("stop")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(svc("status").returncode, 3)
            self.assertFalse(self.r1.has_addr(A))
        finally:
            if os.path.exists(pidfile):
                try:
                    os.kill(int(Path(pidfile).read_text()), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass


class SmtpSink(socketserver.ThreadingTCPServer):
    allow_reuse_address = True

    def __init__(self, addr):
        self.mails = []
        super().__init__(addr, SmtpHandler)


class SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self):
        w = lambda s: self.wfile.write((s + "\r\n").encode())  # noqa
        w("220 sink")
        mail, data = {"rcpt": []}, False
        body = []
        for raw in self.rfile:
            line = raw.decode(errors="replace").rstrip("\r\n")
            if data:
                if line == ".":
                    data = False
                    mail["data"] = "\n".join(body)
                    self.server.mails.append(mail)
                    w("250 ok")
                else:
                    body.append(line)
                continue
            cmd = line.upper()
            if cmd.startswith("RCPT"):
                mail["rcpt"].append(line)
            if cmd == "DATA":
                data = True
                w("354 go")
            elif cmd == "QUIT":
                w("221 bye")
                return
            else:
                w("250 ok")


class Alerts(unittest.TestCase):
    """SMTP alerts to a sink inside the router's namespace (on its own loopback)."""

    SINK = r"""
import socketserver, sys, json
sys.path.insert(0, sys.argv[2])
from test_operations import SmtpSink
s = SmtpSink(("127.0.0.1", int(sys.argv[1])))
import threading
t = threading.Thread(target=s.serve_forever, daemon=True); t.start()
import time
end = time.monotonic() + 30
while time.monotonic() < end:
    time.sleep(0.1)
    with open(sys.argv[3] + ".tmp", "w") as f: json.dump(s.mails, f)
    import os; os.replace(sys.argv[3] + ".tmp", sys.argv[3])  # readers never see half a file
"""

    def test_mail_on_transition_and_dead_server_does_not_delay(self):
        with Rig("a") as rig:
            r1 = rig.add_host("r1", ["10.99.0.1/24"])
            out = rig.path("mails.json")
            sink = r1.spawn([sys.executable, "-c", self.SINK, "2525", os.path.dirname(__file__), out])
            time.sleep(0.5)
            g = ("    notification_email {\n        ops@example.org\n        noc@example.org\n    }\n"
                 "    notification_email_from vigil@example.org\n    smtp_server 127.0.0.1 2525\n"
                 "    smtp_connect_timeout 5\n")
            d = Daemon(r1, "vigil", global_conf("LVS_A", g) + inst_a(extra="    smtp_alert"), "d").start()
            got = wait_until(lambda: os.path.exists(out) and len(json.loads(Path(out).read_text())) >= 2, 8)
            self.assertIsNotNone(got, d.logtext()[-2000:])
            mails = json.loads(Path(out).read_text())
            subjects = [l for m in mails for l in m["data"].splitlines() if l.startswith("Subject:")]
            self.assertIn("Subject: [LVS_A] VRRP Instance VI_A - Entering BACKUP state", subjects)
            self.assertIn("Subject: [LVS_A] VRRP Instance VI_A - Entering MASTER state", subjects)
            m = [m for m in mails if "MASTER" in m["data"]][0]
            self.assertEqual(len(m["rcpt"]), 2)
            self.assertIn("=> VRRP Instance is now owning VRRP VIPs <=", m["data"])
            self.assertIn("To: ops@example.org, noc@example.org", m["data"])
            d.stop()
            rig.stop(sink)

    def test_unreachable_smtp_server_does_not_delay_failover(self):
        with Rig("b") as rig:
            r1 = rig.add_host("r1", ["10.99.0.1/24"])
            # 10.99.0.250 does not exist: connect hangs until the timeout.
            g = ("    notification_email {\n        ops@example.org\n    }\n"
                 "    smtp_server 10.99.0.250\n    smtp_connect_timeout 30\n")
            t0 = time.monotonic()
            d = Daemon(r1, "vigil", global_conf("x", g) + inst_a(extra="    smtp_alert"), "d").start()
            took = wait_until(lambda: r1.has_addr(A), 5)
            self.assertIsNotNone(took)
            self.assertLess(time.monotonic() - t0, 2.0)
            d.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
