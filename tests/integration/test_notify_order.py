"""Notify scripts of one instance run one at a time, in transition order (the state's own script,
then the generic notify), each bounded by notify_timeout: a hanging one is killed with its process
group and the next one runs. A real server's notify_up/notify_down and a virtual server's
quorum_up/quorum_down are ordered the same way, each on its own."""
import os
from pathlib import Path
import re
import signal
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from netns import VIGILD  # noqa: E402
from vrrp_rig import RigTest, global_conf, instance_conf, wait_until  # noqa: E402

VIP = "10.99.0.10"
ADVERT = 0.1  # VRRPv3: BACKUP -> MASTER in about 0.35 s


def write_script(path, body):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, stat.S_IRWXU)


def alive(pid):
    """A process that exists and is not a zombie."""
    try:
        st = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return st[st.rindex(")") + 2] != "Z"


class NotifyOrder(RigTest):
    TAG = "no"

    def setUp(self):
        super().setUp()
        self.r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        # A link to track, inside r1's namespace: its peer going down means FAULT.
        self.r1.ip("link", "add", "up0", "type", "veth", "peer", "name", "up0p")
        self.r1.ip("link", "set", "up0", "up")
        self.r1.ip("link", "set", "up0p", "up")
        self.log = self.rig.path("calls.log")
        self.leftovers = []  # pids a hanging script reported, ended in tearDown if still there
        # The generic notify: "INSTANCE VI_1 STATE PRIORITY"; takes 0.2 s.
        self.recorder = self.rig.path("notify.sh")
        write_script(self.recorder, f"echo \"start $3 $(date +%s.%N)\" >> {self.log}\n"
                                    "sleep 0.2\n"
                                    f"echo \"end $3 $(date +%s.%N)\" >> {self.log}")

    def tearDown(self):
        for pid in self.leftovers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        super().tearDown()

    def conf(self, notify, global_extra=""):
        return global_conf("n1", global_extra) + instance_conf(
            priority=100, version=3, advert=ADVERT, notify=notify,
            extra="    track_interface {\n        up0\n    }")

    def calls(self):
        try:
            return [l.split() for l in Path(self.log).read_text().splitlines()]
        except FileNotFoundError:
            return []

    def transitions(self, d):
        return re.findall(r"\(VI_1\) Entering (\w+) STATE", d.logtext())

    def link(self, up):
        self.r1.ip("link", "set", "up0p", "up" if up else "down")

    def is_master(self):
        return self.r1.has_addr(VIP)

    def test_burst_of_transitions_runs_scripts_in_order_never_overlapping(self):
        spec = self.rig.path("spec.sh")  # the state's own script: fast, and first
        write_script(spec, f"echo \"start spec-$1 $(date +%s.%N)\" >> {self.log}\n"
                           f"echo \"end spec-$1 $(date +%s.%N)\" >> {self.log}")
        notify = {"notify": self.recorder, "notify_master": f"{spec} MASTER",
                  "notify_backup": f"{spec} BACKUP", "notify_fault": f"{spec} FAULT"}
        d = self.start(self.r1, "n1", self.conf(notify))
        self.assertIsNotNone(wait_until(self.is_master, 8), "never became MASTER")
        # 20 transitions, faster than their scripts: FAULT/BACKUP flips 0.1 s apart, and a
        # MASTER every third round.
        waiting = 0
        for rnd in range(20):
            if len(self.transitions(d)) >= 22:
                break
            self.link(False)
            self.assertIsNotNone(wait_until(lambda: not self.is_master() and
                                            self.transitions(d)[-1] == "FAULT", 3))
            time.sleep(0.1)
            self.link(True)
            time.sleep(0.1)
            if rnd % 3 == 2:
                self.assertIsNotNone(wait_until(self.is_master, 3), "no MASTER after FAULT")
            st = d.status()
            if st:
                waiting = max(waiting, st["daemon"]["notify_scripts"]["waiting"])
        self.assertIsNotNone(wait_until(lambda: self.transitions(d)[-1] in ("BACKUP", "MASTER"), 3))
        time.sleep(0.5)  # a BACKUP may still become MASTER
        states = self.transitions(d)
        self.assertGreaterEqual(len(states), 22, states)
        self.assertGreater(waiting, 0, "the burst never outran its scripts: nothing was tested")
        done = wait_until(lambda: sum(1 for c in self.calls() if c[0] == "end" and
                                      not c[1].startswith("spec")) == len(self.transitions(d)),
                          30, 0.1)
        states = self.transitions(d)
        calls = self.calls()
        self.assertIsNotNone(done, f"{len(states)} transitions, calls: {calls}")
        want = []
        for s in states:
            want += [["start", f"spec-{s}"], ["end", f"spec-{s}"], ["start", s], ["end", s]]
        self.assertEqual([c[:2] for c in calls], want,
                         "calls out of transition order, or overlapping")
        times = [float(c[2]) for c in calls]
        self.assertEqual(times, sorted(times))
        for start, end in zip(calls[2::4], calls[3::4]):
            self.assertGreaterEqual(float(end[2]) - float(start[2]), 0.19, (start, end))
        self.assertEqual(d.status()["daemon"]["notify_scripts"]["timed_out"], 0)
        self.assertEqual(d.stop(), 0)

    def test_hanging_script_is_killed_at_the_timeout_and_the_next_runs(self):
        hang = self.rig.path("hang.sh")
        write_script(hang, f"echo \"hang $(date +%s.%N) $$\" >> {self.log}\n"
                           f"sleep 30 &\necho \"child $! $!\" >> {self.log}\nwait")
        notify = {"notify": self.recorder, "notify_master": hang}
        d = self.start(self.r1, "n1", self.conf(notify, "    notify_timeout 1\n"))
        self.assertIsNotNone(wait_until(self.is_master, 8), "never became MASTER")
        self.assertIsNotNone(wait_until(lambda: any(c[0] == "child" for c in self.calls()), 3))
        hang_pid = next(int(c[2]) for c in self.calls() if c[0] == "hang")
        child_pid = next(int(c[1]) for c in self.calls() if c[0] == "child")
        self.leftovers += [hang_pid, child_pid]
        self.link(False)  # FAULT while notify_master hangs: its scripts wait their turn
        self.assertIsNotNone(wait_until(lambda: "FAULT" in self.transitions(d), 3))
        done = wait_until(lambda: ["end", "FAULT"] in [c[:2] for c in self.calls()], 10, 0.05)
        calls = self.calls()
        self.assertIsNotNone(done, calls)
        self.assertEqual([c[:2] if c[0] in ("start", "end") else c[:1] for c in calls],
                         [["start", "BACKUP"], ["end", "BACKUP"], ["hang"], ["child"],
                          ["start", "MASTER"], ["end", "MASTER"], ["start", "FAULT"],
                          ["end", "FAULT"]])
        t_hang = float(calls[2][1])
        t_next = float(calls[4][2])
        self.assertGreaterEqual(t_next - t_hang, 0.9, "the next script did not wait for the kill")
        self.assertLess(t_next - t_hang, 2.5, "the hanging script was not killed at the timeout")
        self.assertFalse(alive(hang_pid), "the timed-out script still runs")
        self.assertFalse(alive(child_pid), "what the timed-out script started still runs")
        self.assertIn("timed out and was killed", d.logtext())
        self.assertEqual(d.status()["daemon"]["notify_scripts"]["timed_out"], 1)
        self.assertEqual(d.stop(), 0)


class SyncGroupNotifyOrder(RigTest):
    """A sync group and its members share one queue: the group's scripts after its members'."""

    TAG = "ng"

    def test_group_scripts_follow_their_members_in_order(self):
        self.rig.add_bridge("br1")
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        self.rig.plug(r1, "eth1", ["10.98.0.1/24"], "br1")
        r1.ip("link", "add", "trk0", "type", "veth", "peer", "name", "trk1")
        r1.ip("link", "set", "trk1", "up")
        r1.ip("link", "set", "trk0", "up")
        log = self.rig.path("calls.log")
        rec = self.rig.path("rec.sh")  # "INSTANCE|GROUP NAME STATE PRIORITY"
        write_script(rec, f"echo \"start $2-$3 $(date +%s.%N)\" >> {log}\nsleep 0.2\n"
                          f"echo \"end $2-$3 $(date +%s.%N)\" >> {log}")
        conf = (global_conf("n1") +
                f"vrrp_sync_group G {{\n    group {{\n        VI_A\n        VI_B\n    }}\n"
                f"    notify \"{rec}\"\n}}\n" +
                instance_conf("VI_A", "eth0", 51, 100, version=3, advert=0.1,
                              vips=("10.99.0.10/24",), notify={"notify": rec},
                              extra="    track_interface {\n        trk0\n    }") +
                instance_conf("VI_B", "eth1", 52, 100, version=3, advert=0.1,
                              vips=("10.98.0.10/24",), notify={"notify": rec}))
        d = self.start(r1, "n1", conf)

        def events():
            return [f"{m[0] or m[2]}-{m[1] or m[3]}" for m in re.findall(
                r"\((VI_\w)\) Entering (\w+) STATE|VRRP_Group\((\w+)\) Syncing instances to (\w+)",
                d.logtext())]

        def calls():
            try:
                return [l.split() for l in Path(log).read_text().splitlines()]
            except FileNotFoundError:
                return []

        master = lambda: r1.has_addr("10.99.0.10") and r1.has_addr("10.98.0.10")  # noqa: E731
        self.assertIsNotNone(wait_until(master, 8), "the group never became MASTER")
        for _ in range(3):
            r1.ip("link", "set", "trk1", "down")
            self.assertIsNotNone(wait_until(lambda: "G-FAULT" in events()[-2:], 3), events())
            r1.ip("link", "set", "trk1", "up")
            self.assertIsNotNone(wait_until(master, 5), events())
        time.sleep(0.3)
        done = wait_until(lambda: sum(1 for c in calls() if c[0] == "end") == len(events()),
                          30, 0.1)
        ev, got = events(), calls()
        self.assertIsNotNone(done, f"events {ev}, calls {got}")
        self.assertGreaterEqual(ev.count("G-MASTER"), 4, ev)
        self.assertEqual([c[:2] for c in got],
                         [x for e in ev for x in (["start", e], ["end", e])],
                         "out of the daemon's transition order, or overlapping")
        # keepalived's order: both members' transitions, then the group's.
        prev = -1
        for k, e in enumerate(ev):
            if e.startswith("G-"):
                self.assertEqual(sorted(ev[prev + 1:k]), [f"VI_A-{e[2:]}", f"VI_B-{e[2:]}"], ev)
                prev = k
        self.assertEqual(d.stop(), 0)


class RealServerNotifyOrder(RigTest):
    """A director on the nftables data plane whose one real server's MISC_CHECK flips fast."""

    TAG = "nl"
    dlog = None

    def tearDown(self):
        res = self._outcome.result
        if self.dlog and any(t is self for t, _ in res.errors + res.failures):
            print(Path(self.dlog).read_text(errors="replace")[-4000:])
        super().tearDown()

    def test_real_server_and_quorum_scripts_in_order_never_overlapping(self):
        d = self.rig.add_host("dir", ["10.0.0.1/24", "10.0.0.10/24", "10.0.1.1/24"])
        flag = self.rig.path("down")
        check = self.rig.path("check.sh")
        write_script(check, f"test ! -e {flag}")
        log = self.rig.path("calls.log")
        rec = self.rig.path("rec.sh")
        write_script(rec, f"echo \"start $1 $(date +%s.%N)\" >> {log}\nsleep 0.2\n"
                          f"echo \"end $1 $(date +%s.%N)\" >> {log}")
        conf = self.rig.path("lvs.conf")
        with open(conf, "w") as f:
            f.write(f"""global_defs {{
    router_id director
    lvs_backend nftables
    enable_script_security
    script_user root
}}
virtual_server 10.0.0.10 80 {{
    delay_loop 0.05
    lb_algo rr
    lb_kind NAT
    protocol TCP
    quorum 1
    quorum_up "{rec} quorum_up"
    quorum_down "{rec} quorum_down"
    real_server 10.0.1.11 80 {{
        weight 1
        notify_up "{rec} up"
        notify_down "{rec} down"
        MISC_CHECK {{
            misc_path {check}
            misc_timeout 1
            retry 0
        }}
    }}
}}
""")
        dlog = self.rig.path("vigild.log")
        p = d.spawn([VIGILD, "-n", "-l", "-f", conf, "-p", self.rig.path("pid"),
                     "--status-socket", self.rig.path("sock")], log=dlog)

        def events():
            text = Path(dlog).read_text(errors="replace")
            rs = re.findall(r"(Adding|Removing) service \S+ (?:to|from) virtual server", text)
            vs = re.findall(r"(Gained|Lost) quorum", text)
            return ([{"Adding": "up", "Removing": "down"}[e] for e in rs],
                    [{"Gained": "quorum_up", "Lost": "quorum_down"}[e] for e in vs])

        def calls():
            try:
                return [l.split() for l in Path(log).read_text().splitlines()]
            except FileNotFoundError:
                return []

        self.dlog = dlog
        # A checked real server starts in the pool (keepalived): no notify_up for that.
        self.assertIsNotNone(wait_until(lambda: "quorum_up" in events()[1], 10), "no quorum")
        for _ in range(10):  # 20 flips, each quicker than the scripts it causes
            Path(flag).touch()
            self.assertIsNotNone(wait_until(lambda: events()[0][-1:] == ["down"], 3))
            os.unlink(flag)
            self.assertIsNotNone(wait_until(lambda: events()[0][-1:] == ["up"], 3))
        rs, vs = events()
        self.assertGreaterEqual(len(rs), 20, rs)
        done = wait_until(lambda: sum(1 for c in calls() if c[0] == "end") == sum(map(len, events())),
                          30, 0.1)
        rs, vs = events()
        got = calls()
        self.assertIsNotNone(done, f"events {rs} {vs}, calls {got}")
        for series, want in ((["up", "down"], rs), (["quorum_up", "quorum_down"], vs)):
            mine = [c for c in got if c[1] in series]
            self.assertEqual([c[:2] for c in mine],
                             [x for e in want for x in (["start", e], ["end", e])],
                             f"{series}: out of order or overlapping")
            for start, end in zip(mine[0::2], mine[1::2]):
                self.assertGreaterEqual(float(end[2]) - float(start[2]), 0.19, (start, end))
        # Independent keys: the quorum scripts did not wait for the real server's.
        starts = [c[1] for c in got if c[0] == "start"]
        overlap = any(a[0] == "start" and b[0] == "start" for a, b in zip(got, got[1:]))
        self.assertTrue(overlap, f"real-server and quorum scripts never ran side by side: {starts}")
        self.assertEqual(self.rig.stop(p, signal.SIGTERM), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
