"""Notify FIFOs (notify_fifo, notify_fifo_script) with vigild in namespaces, and keepalived 2.2.7
beside it writing the same lines.

Every reader is bounded in time, every process is ended by the rig, every file is in its folder.
"""
import os
import select
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from netns import BUILD_DIR  # noqa: E402
from vrrp_rig import RigTest, global_conf, instance_conf, master_down, wait_until  # noqa: E402

VIP = "10.99.0.10"
ADVERT = 0.1


class FifoReader:
    """Reads lines from a FIFO in a thread, for at most `seconds`; never blocks on open."""

    def __init__(self, path, seconds=30):
        self.lines = []
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.stop = threading.Event()
        self.deadline = time.monotonic() + seconds
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        buf = b""
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if not r:
                continue
            chunk = os.read(self.fd, 65536)
            if not chunk:  # no writer (yet, or any more)
                time.sleep(0.02)
                continue
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.lines.append(line.decode())

    def close(self):
        self.stop.set()
        self.t.join(2)
        os.close(self.fd)

    def wait_for(self, line, timeout):
        return wait_until(lambda: line in self.lines, timeout)


# A notify_fifo_script: it gets the FIFO as its last argument, copies each line to a file, and
# (like keepalived's sample) outlives SIGTERM to read the STOP lines until the FIFO closes.
FIFO_SCRIPT = r"""
import os, select, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
out, fifo = sys.argv[1], sys.argv[-1]
with open(out + ".argv", "w") as f:
    f.write("\n".join(sys.argv[1:]) + "\n")
fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
seen_writer = False
end = time.monotonic() + 60
with open(out, "a", buffering=1) as f:
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if not r:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            if seen_writer:
                break  # the daemon closed the FIFO: done
            time.sleep(0.02)
            continue
        seen_writer = True
        f.write(chunk.decode())
"""


def fifo_globals(extra):
    return global_conf("n1", extra)


class NotifyFifo(RigTest):
    TAG = "f"

    def setUp(self):
        super().setUp()
        self.r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        self.readers = []

    def tearDown(self):
        for r in self.readers:
            r.close()
        super().tearDown()

    def reader(self, path):
        r = FifoReader(path)
        self.readers.append(r)
        return r

    def mkfifo(self, name):
        path = self.rig.path(name)
        os.mkfifo(path)
        return path

    def test_instance_lines_in_transition_order_then_stop(self):
        fifo = self.mkfifo("all.fifo")
        rd = self.reader(fifo)
        d = self.start(self.r1, "n1", fifo_globals(f"    notify_fifo {fifo}\n") +
                       instance_conf(priority=100, version=3, advert=ADVERT))
        self.assertIsNotNone(rd.wait_for('INSTANCE "VI_1" MASTER 100', 5), rd.lines)
        self.assertEqual(rd.lines, ['INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_1" MASTER 100'])
        s = d.status()
        fifos = {f["kind"]: f for f in s["notify_fifos"]}
        self.assertTrue(fifos["notify_fifo"]["connected"])
        self.assertEqual(fifos["notify_fifo"]["dropped"], {"queue_full": 0, "no_reader": 0})
        self.assertEqual(d.stop(), 0)
        self.assertIsNotNone(rd.wait_for('INSTANCE "VI_1" STOP 100', 2), rd.lines)
        self.assertEqual(rd.lines[2:], ['INSTANCE "VI_1" STOP 100'])
        self.assertTrue(os.path.exists(fifo), "a FIFO the daemon did not create must stay")

    def test_master_hearing_a_lower_priority_writes_its_own(self):
        fifo = self.mkfifo("rx.fifo")
        rd = self.reader(fifo)
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        self.start(self.r1, "n1", fifo_globals(f"    notify_fifo {fifo}\n") +
                   instance_conf(priority=100, version=3, advert=ADVERT))
        self.assertIsNotNone(rd.wait_for('INSTANCE "VI_1" MASTER 100', 5), rd.lines)
        self.assertFalse(any("MASTER_RX_LOWER_PRI" in l for l in rd.lines), rd.lines)
        # Three adverts of priority 50 from another router, 0.1 s apart.
        tool = os.path.join(BUILD_DIR, "tests", "unit", "vrrp", "vrrp_wire_tool")
        r2.run(tool, "send", "eth0", "3", "51", "50", "10", "3", VIP)
        self.assertIsNotNone(rd.wait_for('INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100', 3), rd.lines)
        self.assertNotIn('INSTANCE "VI_1" BACKUP 100', rd.lines[1:], "it stays master")

    def test_sync_group_lines(self):
        fifo = self.mkfifo("vrrp.fifo")
        rd = self.reader(fifo)
        conf = (fifo_globals(f"    vrrp_notify_fifo {fifo}\n") +
                "vrrp_sync_group G1 {\n    group {\n        VI_1\n        VI_2\n    }\n}\n" +
                instance_conf("VI_1", vrid=51, priority=100, version=3, advert=ADVERT) +
                instance_conf("VI_2", vrid=52, priority=100, version=3, advert=ADVERT,
                              vips=("10.99.0.20/24",)))
        d = self.start(self.r1, "n1", conf)
        self.assertIsNotNone(rd.wait_for('GROUP "G1" MASTER 0', 5), rd.lines)
        d.stop()
        self.assertIsNotNone(rd.wait_for('GROUP "G1" STOP 0', 2), rd.lines)
        lines = rd.lines
        for name in ("VI_1", "VI_2"):
            self.assertEqual([l for l in lines if f'"{name}"' in l],
                             [f'INSTANCE "{name}" {s} 100' for s in ("BACKUP", "MASTER", "STOP")])
        groups = [l for l in lines if l.startswith("GROUP")]
        self.assertEqual(groups, ['GROUP "G1" BACKUP 0', 'GROUP "G1" MASTER 0',
                                  'GROUP "G1" STOP 0'])
        # The group is master once both members are, and stops after both.
        self.assertGreater(lines.index('GROUP "G1" MASTER 0'),
                           max(lines.index(f'INSTANCE "{n}" MASTER 100') for n in ("VI_1", "VI_2")))
        self.assertEqual(lines[-1], 'GROUP "G1" STOP 0')

    def test_fifo_script_gets_the_same_lines(self):
        fifo = self.rig.path("made.fifo")  # does not exist: the daemon creates it
        out = self.rig.path("script.out")
        script = self.rig.path("reader.py")
        with open(script, "w") as f:
            f.write(FIFO_SCRIPT)
        conf = (fifo_globals(f"    notify_fifo {fifo}\n"
                             f"    notify_fifo_script \"{sys.executable} {script} {out}\"\n") +
                instance_conf(priority=100, version=3, advert=ADVERT))
        d = self.start(self.r1, "n1", conf)

        def lines():
            try:
                with open(out) as f:
                    return f.read().splitlines()
            except FileNotFoundError:
                return []
        self.assertIsNotNone(wait_until(lambda: 'INSTANCE "VI_1" MASTER 100' in lines(), 5),
                             (lines(), d.logtext()[-2000:]))
        self.assertTrue(os.path.exists(fifo))
        with open(out + ".argv") as f:
            self.assertEqual(f.read().split(), [out, fifo], "the FIFO is the last argument")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(lines(), ['INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_1" MASTER 100',
                                   'INSTANCE "VI_1" STOP 100'])
        self.assertFalse(os.path.exists(fifo), "the FIFO the daemon created is removed")

    def test_reload_keeps_an_unchanged_fifo_and_reopens_a_changed_one(self):
        fifo_a, fifo_b = self.mkfifo("a.fifo"), self.mkfifo("b.fifo")
        ra, rb = self.reader(fifo_a), self.reader(fifo_b)

        def conf(fifo):
            return (fifo_globals(f"    notify_fifo {fifo}\n") +
                    instance_conf(priority=100, version=3, advert=ADVERT))
        d = self.start(self.r1, "n1", conf(fifo_a))
        self.assertIsNotNone(ra.wait_for('INSTANCE "VI_1" MASTER 100', 5), ra.lines)

        def fifo_status():
            s = d.status()
            return s["notify_fifos"][0] if s and s["notify_fifos"] else None
        d.reload(conf(fifo_a))
        self.assertIsNotNone(wait_until(lambda: "Configuration reloaded" in d.logtext(), 3))
        f = fifo_status()
        self.assertEqual((f["path"], f["opens"], f["connected"]), (fifo_a, 1, True),
                         "an unchanged FIFO stays open")
        d.reload(conf(fifo_b))
        self.assertIsNotNone(wait_until(lambda: (fifo_status() or {}).get("path") == fifo_b, 3))
        self.assertEqual(d.stop(), 0)
        self.assertIsNotNone(rb.wait_for('INSTANCE "VI_1" STOP 100', 2), rb.lines)
        self.assertEqual(ra.lines, ['INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_1" MASTER 100'])
        self.assertEqual(rb.lines, ['INSTANCE "VI_1" STOP 100'])

    def test_fifo_write_vrrp_states_on_reload(self):
        fifo = self.mkfifo("states.fifo")
        rd = self.reader(fifo)
        conf = (fifo_globals(f"    notify_fifo {fifo}\n    fifo_write_vrrp_states_on_reload\n") +
                instance_conf(priority=100, version=3, advert=ADVERT))
        d = self.start(self.r1, "n1", conf)
        self.assertIsNotNone(rd.wait_for('INSTANCE "VI_1" MASTER 100', 5), rd.lines)
        d.reload(conf)
        self.assertIsNotNone(wait_until(lambda: len(rd.lines) >= 3, 3), rd.lines)
        self.assertEqual(rd.lines, ['INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_1" MASTER 100',
                                    'INSTANCE "VI_1" MASTER 100'])

    def test_fifo_without_reader_never_delays_takeover(self):
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        fifo = self.mkfifo("nobody.fifo")  # nobody ever opens it for reading
        kw = dict(version=3, advert=ADVERT)
        d1 = self.start(self.r1, "n1", global_conf("n1") + instance_conf(priority=150, **kw))
        d2 = self.start(r2, "n2", global_conf("n2", f"    notify_fifo {fifo}\n") +
                        instance_conf(priority=100, **kw))
        self.assertIsNotNone(wait_until(lambda: self.r1.has_addr(VIP), 5))
        time.sleep(0.5)
        d1.kill(signal.SIGKILL)
        took = wait_until(lambda: r2.has_addr(VIP), 3)
        self.assertIsNotNone(took, "r2 never took over")
        limit = master_down(ADVERT, 100)
        print(f"takeover with an unread FIFO: {took:.3f} s (master-down {limit:.3f} s)")
        self.assertLessEqual(took, 1.05 * limit + 0.05)
        f = d2.status()["notify_fifos"][0]
        self.assertFalse(f["connected"])
        self.assertGreaterEqual(f["lines_queued"], 2)  # BACKUP and MASTER wait for a reader
        t0 = time.monotonic()
        self.assertEqual(d2.stop(), 0)
        self.assertLess(time.monotonic() - t0, 2.5, "an unread FIFO must not hold the exit")


LISTENER = r"""
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 80))
s.listen(16)
while True:
    c, _ = s.accept()
    c.close()
"""


class LvsLines(RigTest):
    """A TCP_CHECK failing and recovering: RS and VS lines on the LVS FIFOs, none on VRRP's."""

    TAG = "fl"

    def test_checker_lines_reach_the_lvs_fifos_only(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        rs = self.rig.add_host("rs", ["10.99.0.50/24"])
        paths = {k: self.rig.path(f"{k}.fifo") for k in ("all", "vrrp", "lvs")}
        readers = {}
        for k, p in paths.items():
            os.mkfifo(p)
            readers[k] = FifoReader(p, seconds=40)
        try:
            conf = (global_conf("n1", f"    lvs_backend nftables\n"
                                      f"    notify_fifo {paths['all']}\n"
                                      f"    vrrp_notify_fifo {paths['vrrp']}\n"
                                      f"    lvs_notify_fifo {paths['lvs']}\n") +
                    instance_conf(priority=100, version=3, advert=ADVERT) +
                    "virtual_server 10.99.0.10 80 {\n    delay_loop 1\n    lb_algo rr\n"
                    "    lb_kind NAT\n    protocol TCP\n"
                    "    real_server 10.99.0.50 80 {\n        TCP_CHECK {\n"
                    "            connect_timeout 1\n            retry 0\n"
                    "            delay_before_retry 0.5\n        }\n    }\n}\n")
            listener = rs.spawn([sys.executable, "-c", LISTENER, "10.99.0.50"])
            d = self.start(r1, "n1", conf)
            rs_line = "RS [10.99.0.50]:tcp:80 [10.99.0.10]:tcp:80"
            vs_line = "VS [10.99.0.10]:tcp:80"
            self.assertIsNotNone(readers["vrrp"].wait_for('INSTANCE "VI_1" MASTER 100', 5))
            time.sleep(2.5)  # a few passing checks
            self.rig.stop(listener, signal.SIGKILL)
            self.assertIsNotNone(readers["lvs"].wait_for(f"{rs_line} DOWN", 8),
                                 (readers["lvs"].lines, d.logtext()[-2000:]))
            self.assertIsNotNone(readers["lvs"].wait_for(f"{vs_line} DOWN", 3),
                                 readers["lvs"].lines)
            rs.spawn([sys.executable, "-c", LISTENER, "10.99.0.50"])
            self.assertIsNotNone(readers["lvs"].wait_for(f"{rs_line} UP", 8),
                                 readers["lvs"].lines)
            self.assertIsNotNone(readers["lvs"].wait_for(f"{vs_line} UP", 3),
                                 readers["lvs"].lines)
            d.stop()
            self.assertIsNotNone(readers["all"].wait_for('INSTANCE "VI_1" STOP 100', 3))
        finally:
            for r in readers.values():
                r.close()
        lvs = readers["lvs"].lines
        print("lvs_notify_fifo:", lvs)
        self.assertTrue(all(l.startswith(("RS ", "VS ")) for l in lvs), lvs)
        down = lvs.index(f"{rs_line} DOWN")
        self.assertLess(down, lvs.index(f"{vs_line} DOWN"))
        self.assertLess(lvs.index(f"{vs_line} DOWN"), lvs.index(f"{rs_line} UP", down))
        self.assertTrue(all(l.startswith("INSTANCE") for l in readers["vrrp"].lines),
                        readers["vrrp"].lines)
        both = readers["all"].lines
        self.assertEqual([l for l in both if l.startswith(("RS ", "VS "))], lvs)
        self.assertEqual([l for l in both if l.startswith("INSTANCE")], readers["vrrp"].lines)


class SameAsKeepalived(RigTest):
    """vigild and keepalived, each alone on its own segment, with one config: the same lines."""

    TAG = "fk"

    def test_identical_instance_group_and_priority_lines(self):
        self.rig.add_bridge("br1")
        hosts = {"vigil": self.rig.add_host("rv", ["10.99.0.1/24"]),
                 "keepalived": self.rig.add_host("rk", ["10.99.0.1/24"], bridge="br1")}
        got = {}
        readers, daemons = {}, {}
        for kind, host in hosts.items():
            fifo = self.rig.path(f"{kind}.fifo")
            os.mkfifo(fifo)
            track = self.rig.path(f"{kind}.track")
            with open(track, "w") as f:
                f.write("0\n")
            conf = (global_conf(kind, f"    notify_fifo {fifo}\n"
                                      "    vrrp_notify_priority_changes true\n") +
                    f"vrrp_track_file tf {{\n    file {track}\n    weight 1\n}}\n" +
                    "vrrp_sync_group G1 {\n    group {\n        VI_1\n        VI_2\n    }\n}\n" +
                    instance_conf("VI_1", vrid=51, priority=150) +
                    instance_conf("VI_2", vrid=52, priority=120, vips=("10.99.0.20/24",)) +
                    instance_conf("VI_3", vrid=53, priority=100, vips=("10.99.0.30/24",),
                                  extra="    track_file {\n        tf\n    }"))
            readers[kind] = FifoReader(fifo)
            daemons[kind] = (self.start(host, kind, conf, kind), track)
        try:
            for kind, rd in readers.items():
                self.assertIsNotNone(rd.wait_for('INSTANCE "VI_3" MASTER 100', 8),
                                     (kind, rd.lines))
                self.assertIsNotNone(rd.wait_for('GROUP "G1" MASTER 0', 3), (kind, rd.lines))
            for kind, (d, track) in daemons.items():
                with open(track, "w") as f:
                    f.write("7\n")
            for kind, rd in readers.items():
                self.assertIsNotNone(rd.wait_for('INSTANCE "VI_3" MASTER_PRIORITY 107', 5),
                                     (kind, rd.lines))
            for kind, (d, _) in daemons.items():
                d.stop()
            for kind, rd in readers.items():
                self.assertIsNotNone(rd.wait_for('GROUP "G1" STOP 0', 3), (kind, rd.lines))
                got[kind] = list(rd.lines)
        finally:
            for rd in readers.values():
                rd.close()
        print("vigil:     ", got["vigil"])
        print("keepalived:", got["keepalived"])

        def per_name(lines):
            out = {}
            for l in lines:
                out.setdefault(l.split()[1], []).append(l)
            return out
        self.assertEqual(per_name(got["vigil"]), per_name(got["keepalived"]))
        self.assertEqual(sorted(got["vigil"]), sorted(got["keepalived"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
