"""global_defs keywords shown by their effect on a running vigild, in namespaces:
startup_script / shutdown_script, umask, net_namespace (and -s), dont_track_primary,
no_email_faults, and the unsupported-keyword list in the status."""
import json
import os
from pathlib import Path
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import RigTest, global_conf, instance_conf, wait_until  # noqa
from netns import VIGILD, sh  # noqa
from test_operations import Alerts  # noqa: E402  (its SMTP sink)

VIP = "10.99.0.10"


class GlobalKeywords(RigTest):
    TAG = "g"

    def owner(self, extra_global="", extra_inst=""):
        return global_conf("g1", extra_global) + instance_conf(
            priority=255, state="MASTER", extra=extra_inst)

    def test_startup_and_shutdown_scripts_bracket_the_daemon(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        log = self.rig.path("order")
        script = self.rig.path("s.sh")
        # The startup script sees no VIP yet (it runs before VRRP starts) and delays start-up.
        Path(script).write_text(
            "#!/bin/sh\n"
            f'if ip -o addr show | grep -q " {VIP}/"; then v=vip; else v=novip; fi\n'
            f'echo "$1 $v $(id -un)" >> {log}\n'
            '[ "$1" = start ] && sleep 0.5\nexit 0\n')
        os.chmod(script, 0o755)
        d = self.start(r1, "d", self.owner(
            f'    startup_script "{script} start"\n    startup_script_timeout 5\n'
            f'    shutdown_script "{script} stop" root\n    shutdown_script_timeout 5\n'))
        self.assertIsNotNone(wait_until(lambda: r1.has_addr(VIP), 8), "no master")
        self.assertEqual(Path(log).read_text().split("\n")[0], "start novip root")
        self.assertEqual(d.stop(), 0)
        lines = Path(log).read_text().split()
        # The shutdown script ran after the VIP was released.
        self.assertEqual(lines[-3:], ["stop", "novip", "root"], Path(log).read_text())

    def test_startup_script_timeout_kills_it_and_starts_anyway(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        script = self.rig.path("hang.sh")
        Path(script).write_text("#!/bin/sh\nsleep 60\n")
        os.chmod(script, 0o755)
        t0 = time.monotonic()
        self.start(r1, "d", self.owner(f"    startup_script {script}\n    startup_script_timeout 1\n"))
        took = wait_until(lambda: r1.has_addr(VIP), 10)
        self.assertIsNotNone(took, "start-up waited for a hung startup_script beyond its timeout")
        self.assertGreaterEqual(time.monotonic() - t0, 1.0)

    def test_umask_applies_to_files_the_daemon_makes(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        d = self.start(r1, "d", self.owner("    umask 077\n"))
        self.assertIsNotNone(wait_until(lambda: os.path.exists(d.pidfile), 5))
        mode = stat.S_IMODE(os.stat(d.pidfile).st_mode)
        self.assertEqual(mode & 0o077, 0, oct(mode))
        d2 = self.start(self.rig.add_host("r2", ["10.99.0.2/24"]), "d2",
                        global_conf("g2", "    umask IWGRP|IWOTH\n") + instance_conf(vrid=52, vips=("10.99.0.12/24",)))
        self.assertIsNotNone(wait_until(lambda: os.path.exists(d2.pidfile), 5))
        self.assertEqual(stat.S_IMODE(os.stat(d2.pidfile).st_mode) & 0o022, 0)

    def test_net_namespace_runs_inside_it(self):
        # The interface exists only inside the namespace: vigild finds it only if it entered it.
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"], ifname="vgns0")
        name = os.path.basename(r1.ns)
        conf = self.rig.path("ns.conf")
        Path(conf).write_text(global_conf("ns", f"    net_namespace {name}\n") +
                              instance_conf(iface="vgns0", priority=255, state="MASTER"))
        t = subprocess.run([VIGILD, "-t", "-f", conf], capture_output=True, text=True, timeout=20)
        self.assertEqual(t.returncode, 0, t.stderr)
        self.assertNotIn("vgns0", t.stderr)
        pid = self.rig.path("ns.pid")
        p = subprocess.Popen([VIGILD, "-n", "-l", "-f", conf, "-p", pid, "--status-socket",
                              self.rig.path("ns.sock")], stdout=subprocess.DEVNULL,
                             stderr=subprocess.STDOUT, start_new_session=True)
        self.rig.procs.append(p)
        self.assertIsNotNone(wait_until(lambda: r1.has_addr(VIP), 8), "VIP not in the namespace")
        self.rig.stop(p)
        # -s NAME does the same from the command line.
        Path(conf).write_text(global_conf("ns") + instance_conf(iface="vgns0", priority=255, state="MASTER"))
        t = subprocess.run([VIGILD, "-t", "-s", name, "-f", conf], capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(t.returncode, 0, t.stderr)
        t = subprocess.run([VIGILD, "-t", "-s", "no-such-ns-vigil", "-f", conf], capture_output=True,
                           text=True, timeout=20)
        self.assertNotEqual(t.returncode, 0)
        self.assertIn("no-such-ns-vigil", t.stderr)

    def test_dont_track_primary_keeps_master_when_its_link_goes_down(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        a = self.start(r1, "a", self.owner(extra_inst="    dont_track_primary"))
        b = self.start(r2, "b", global_conf("g2") + instance_conf(
            vrid=52, priority=255, state="MASTER", vips=("10.99.0.12/24",)))
        for h, vip in ((r1, VIP), (r2, "10.99.0.12")):
            self.assertIsNotNone(wait_until(lambda: h.has_addr(vip), 8))
        r1.ip("link", "set", "eth0", "down")
        r2.ip("link", "set", "eth0", "down")
        state = lambda d: ((d.status() or {}).get("vrrp", {}).get("instances") or [{}])[0].get("state")  # noqa
        self.assertIsNotNone(wait_until(lambda: state(b) == "FAULT", 5), "own link down: no FAULT")
        time.sleep(1)
        self.assertEqual(state(a), "MASTER", "dont_track_primary: its own link's fault counted")

    def test_no_email_faults(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        out = self.rig.path("mails.json")
        self.rig.procs.append(subprocess.Popen(
            ["ip", "netns", "exec", r1.ns, sys.executable, "-c", Alerts.SINK, "2525",
             os.path.dirname(__file__), out], start_new_session=True))
        time.sleep(0.5)
        g = ("    notification_email {\n        ops@example.org\n    }\n"
             "    notification_email_from vigil@example.org\n    smtp_server 127.0.0.1 2525\n"
             "    no_email_faults\n")
        self.start(r1, "d", self.owner(g, "    smtp_alert"))
        mails = lambda: json.loads(Path(out).read_text()) if os.path.exists(out) else []  # noqa
        subjects = lambda: [l for m in mails() for l in m["data"].splitlines() if l.startswith("Subject:")]  # noqa
        self.assertIsNotNone(wait_until(lambda: any("MASTER" in s for s in subjects()), 8))
        r1.ip("link", "set", "eth0", "down")
        time.sleep(2)
        self.assertFalse(any("FAULT" in s for s in subjects()), subjects())

    def test_unsupported_keywords_warn_and_are_listed(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        conf = self.owner("    enable_snmp_vrrp\n    bfd_rt_priority 10\n")
        d = self.start(r1, "d", conf)
        self.assertIsNotNone(wait_until(lambda: d.status() is not None, 5))
        self.assertEqual(d.status()["daemon"]["unsupported_keywords"],
                         ["enable_snmp_vrrp", "bfd_rt_priority"])
        self.assertIn("warning: 'enable_snmp_vrrp' is not supported by vigild; ignored", d.logtext())
        t = subprocess.run([VIGILD, "-t", "-f", d.conf], capture_output=True, text=True, timeout=20)
        self.assertIn(":5:5: warning: 'enable_snmp_vrrp' is not supported by vigild; ignored", t.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
