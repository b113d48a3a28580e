"""Process keywords of global_defs on a running vigild, read back from /proc:
vrrp_rt_priority / checker_rt_priority (SCHED_RR), vrrp_rlimit_rttime / checker_rlimit_rttime
(RLIMIT_RTTIME), vrrp_cpu_affinity / checker_cpu_affinity, vrrp_no_swap / checker_no_swap
(mlockall), vrrp_priority / checker_priority (nice); and a notify script that gets none of them."""
import os
from pathlib import Path
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import RigTest, global_conf, instance_conf, wait_until  # noqa: E402

VIP = "10.99.0.10"
SCHED_OTHER, SCHED_RR = 0, 2


def stat_fields(text):
    """nice, rt_priority, policy from a /proc/PID/stat line."""
    f = text[text.rindex(")") + 2:].split()  # f[0] is field 3 (state)
    return {"nice": int(f[16]), "rt_priority": int(f[37]), "policy": int(f[38])}


def status_field(text, name):
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return None


def rttime(limits_text):
    for line in limits_text.splitlines():
        if line.startswith("Max realtime timeout"):
            return line.split()[3:5]
    return None


def has_cap_sys_resource():
    eff = status_field(Path("/proc/self/status").read_text(), "CapEff")
    return bool(int(eff, 16) >> 24 & 1)


def cpu_list(cpus):
    """/proc's Cpus_allowed_list form of a set of CPUs ("0-1", "0,2")."""
    cpus, out, i = sorted(cpus), [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(out)


class ProcessTuning(RigTest):
    TAG = "pt"

    def recorder(self):
        """A notify script that copies its own /proc entries and scheduling policy."""
        out = self.rig.path("script")
        script = self.rig.path("rec.sh")
        Path(script).write_text(
            "#!/bin/sh\n"
            f"cp /proc/$$/stat {out}.stat.tmp; cp /proc/$$/status {out}.status\n"
            f"cp /proc/$$/limits {out}.limits; chrt -p $$ > {out}.chrt\n"
            f"mv {out}.stat.tmp {out}.stat\n")
        os.chmod(script, 0o755)
        return script, out

    def daemon(self, host, name, extra_global, script=None):
        notify = {"notify_master": script} if script else None
        d = self.start(host, name, global_conf(name, extra_global) + instance_conf(
            priority=255, state="MASTER", notify=notify))
        self.assertIsNotNone(wait_until(lambda: host.has_addr(VIP), 8), "no master")
        pid = int(Path(d.pidfile).read_text().strip())
        proc = Path(f"/proc/{pid}")
        return d, stat_fields((proc / "stat").read_text()), (proc / "status").read_text(), \
            (proc / "limits").read_text()

    def test_realtime_affinity_no_swap_and_rttime_and_scripts_get_none(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        script, out = self.recorder()
        mine = os.sched_getaffinity(0)
        cpu = max(mine)
        d, st, status, limits = self.daemon(r1, "d", (
            "    vrrp_rt_priority 20\n    vrrp_rlimit_rttime 60000\n"
            f"    checker_cpu_affinity {cpu}\n    checker_no_swap\n    checker_rt_priority 30\n"),
            script)
        self.assertEqual(st["policy"], SCHED_RR, st)
        self.assertEqual(st["rt_priority"], 20, "the vrrp_ value governs")
        self.assertEqual(status_field(status, "Cpus_allowed_list"), str(cpu))
        self.assertGreater(int(status_field(status, "VmLck").split()[0]), 0)
        self.assertEqual(rttime(limits), ["30000", "60000"])  # soft half the hard, as keepalived
        self.assertIn("vrrp_rt_priority 20 and checker_rt_priority 30", d.logtext())

        self.assertIsNotNone(wait_until(lambda: os.path.exists(out + ".stat"), 5), "no script")
        sst = stat_fields(Path(out + ".stat").read_text())
        self.assertEqual((sst["policy"], sst["rt_priority"], sst["nice"]), (SCHED_OTHER, 0, 0))
        self.assertIn("SCHED_OTHER", Path(out + ".chrt").read_text())
        sstatus = Path(out + ".status").read_text()
        self.assertEqual(status_field(sstatus, "Cpus_allowed_list"), cpu_list(mine))
        self.assertEqual(status_field(sstatus, "VmLck").split()[0], "0")
        if has_cap_sys_resource():  # needed to raise the hard limit back
            self.assertEqual(rttime(Path(out + ".limits").read_text()),
                             rttime(Path("/proc/self/limits").read_text()))
        self.assertEqual(d.stop(), 0)

    def test_nice_from_the_vrrp_value_else_the_checker_value(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        script, out = self.recorder()
        d, st, status, limits = self.daemon(r1, "d", "    checker_priority 7\n", script)
        self.assertEqual((st["policy"], st["nice"]), (SCHED_OTHER, 7))
        self.assertEqual(status_field(status, "VmLck").split()[0], "0")
        self.assertIsNotNone(wait_until(lambda: os.path.exists(out + ".stat"), 5), "no script")
        self.assertEqual(stat_fields(Path(out + ".stat").read_text())["nice"], 0)
        self.assertEqual(d.stop(), 0)

        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        d2, st2, _, _ = self.daemon(r2, "d2", "    vrrp_priority -4\n    checker_priority 7\n")
        self.assertEqual(st2["nice"], -4)
        self.assertIn("vrrp_priority -4 and checker_priority 7", d2.logtext())


if __name__ == "__main__":
    unittest.main(verbosity=2)
