"""BFD with Debian's keepalived 2.2.7 as the peer, in namespaces: sessions up both ways,
detection after kill -9, track_bfd moving VRRP, BFD_CHECK moving a real server (nftables data
plane), and a flood of malformed packets that changes nothing and is counted by reason.

keepalived runs files with no virtual_server, so it starts no checker child.
"""
import os
import signal
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from netns import VIGILD  # noqa: E402
from vrrp_rig import RigTest, global_conf, holder, instance_conf, master_down, wait_until  # noqa

VIP = "10.99.0.10"
MIN_MS, MULT = 100, 3
DETECT = MULT * MIN_MS / 1000  # multiplier x negotiated interval
# kill -9 to Down: the detection time plus one interval (when the last packet left); status
# polling and scheduling add a little.
DETECT_LIMIT = DETECT + MIN_MS / 1000 + 0.05


def bfd_conf(name, neighbor, extra=""):
    return (f"bfd_instance {name} {{\n    neighbor_ip {neighbor}\n    min_rx {MIN_MS}\n"
            f"    min_tx {MIN_MS}\n    multiplier {MULT}\n{extra}}}\n")


def session(daemon, name):
    s = daemon.status()
    if not s:
        return {}
    for x in s.get("bfd", {}).get("sessions", []):
        if x["name"] == name:
            return x
    return {}


def instance(daemon, name="VI_1"):
    s = daemon.status()
    for i in (s or {}).get("vrrp", {}).get("instances", []):
        if i["name"] == name:
            return i
    return {}


class BfdWithKeepalived(RigTest):
    TAG = "f"

    def setUp(self):
        super().setUp()
        self.r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        self.r2 = self.rig.add_host("r2", ["10.99.0.2/24"])

    def wait_up(self, vg, name="B", timeout=15):
        return wait_until(lambda: session(vg, name).get("state") == "Up", timeout, 0.02)

    def measure_detection(self, vg, peer):
        before = session(vg, "B")
        t0 = time.monotonic()
        peer.kill(signal.SIGKILL)
        took = wait_until(lambda: session(vg, "B").get("state") != "Up", 5, 0.002)
        self.assertIsNotNone(took, "the session stayed Up after the peer died")
        after = session(vg, "B")
        self.assertEqual(after["state"], "Down")
        self.assertEqual(after["diag"], "control_detection_time_expired")
        self.assertEqual(after["state_changes"], before["state_changes"] + 1)
        return took

    def run_both_ways(self, vigil_extra, ka_extra):
        vg = self.start(self.r1, "vg", global_conf("vg") + bfd_conf("B", "10.99.0.2", vigil_extra))
        ka = self.start(self.r2, "ka", global_conf("ka") + bfd_conf("B", "10.99.0.1", ka_extra),
                        "keepalived")
        up = self.wait_up(vg)
        self.assertIsNotNone(up, "no BFD session with keepalived")
        # The slow start rate (idle_tx 1 s) gives way to 100 ms after a poll sequence.
        self.assertIsNotNone(wait_until(lambda: session(vg, "B").get("tx_interval_ms") == MIN_MS
                                        and not session(vg, "B").get("polling"), 5, 0.02))
        s = session(vg, "B")
        self.assertEqual(s["rx_interval_ms"], MIN_MS)
        self.assertEqual(s["detection_time_ms"], MULT * MIN_MS)
        self.assertEqual(s["remote_multiplier"], MULT)
        self.assertEqual(s["remote_state"], "Up")
        self.assertEqual(s["drops"], {})
        time.sleep(2)
        self.assertEqual(session(vg, "B")["state_changes"], s["state_changes"], "session flapped")
        took = self.measure_detection(vg, ka)
        print(f"session up after {up:.3f} s; keepalived kill -9 -> Down in {took:.3f} s "
              f"(detection {DETECT:.3f} s, limit {DETECT_LIMIT:.3f} s)")
        self.assertGreaterEqual(took, DETECT - MIN_MS / 1000 - 0.03)
        self.assertLessEqual(took, DETECT_LIMIT)
        # The peer returns: the session comes back.
        self.start(self.r2, "ka2", global_conf("ka") + bfd_conf("B", "10.99.0.1", ka_extra),
                   "keepalived")
        self.assertIsNotNone(self.wait_up(vg), "the session did not come back")
        return vg

    def test_vigil_active_keepalived_passive(self):
        self.run_both_ways("", "    passive\n")

    def test_keepalived_active_vigil_passive(self):
        self.run_both_ways("    passive\n", "")

    def test_both_active(self):
        vg = self.run_both_ways("", "")
        # Vigil's SIGTERM sends AdminDown: keepalived sees the session end at once.
        vg.stop()

    def test_admin_down_on_removal_and_stop_seen_by_keepalived(self):
        signalled = "Entering Down state (Local diagnostic - Neighbor Signaled Session Down"
        conf = global_conf("vg") + bfd_conf("B", "10.99.0.2")
        vg = self.start(self.r1, "vg", conf)
        ka = self.start(self.r2, "ka", global_conf("ka") + bfd_conf("B", "10.99.0.1"), "keepalived")
        self.assertIsNotNone(self.wait_up(vg))
        time.sleep(1.5)  # past the poll sequence: 100 ms, detection 300 ms
        # Removed by a reload: keepalived hears AdminDown, it does not time the session out.
        vg.reload(global_conf("vg"))
        self.assertIsNotNone(wait_until(lambda: ka.logtext().count(signalled) == 1, 3, 0.02),
                             "keepalived did not see AdminDown on removal")
        self.assertEqual(session(vg, "B"), {})
        vg.reload(conf)
        self.assertIsNotNone(self.wait_up(vg), "the session did not come back after the reload")
        time.sleep(1.5)
        # Stop: AdminDown for a detection time, and the daemon's exit waits no longer than that.
        t0 = time.monotonic()
        self.assertEqual(vg.stop(), 0)
        took = time.monotonic() - t0
        self.assertIsNotNone(wait_until(lambda: ka.logtext().count(signalled) == 2, 3, 0.02),
                             "keepalived did not see AdminDown on stop")
        self.assertNotIn("Detection Time Expired", ka.logtext())
        print(f"stop with AdminDown for {DETECT:.3f} s: vigild exited in {took:.3f} s")
        self.assertGreaterEqual(took, DETECT - MIN_MS / 1000)
        self.assertLess(took, DETECT + 0.5)

    def test_reload_keeps_unchanged_sessions(self):
        conf = global_conf("vg") + bfd_conf("B", "10.99.0.2")
        vg = self.start(self.r1, "vg", conf)
        self.start(self.r2, "ka", global_conf("ka") + bfd_conf("B", "10.99.0.1"), "keepalived")
        self.assertIsNotNone(self.wait_up(vg))
        time.sleep(1.5)
        s = session(vg, "B")
        # Unchanged, beside a new session to nobody: the first keeps its discriminator and state.
        vg.reload(conf + bfd_conf("N", "10.99.0.9"))
        self.assertIsNotNone(wait_until(lambda: session(vg, "N").get("state") == "Down", 5))
        s2 = session(vg, "B")
        self.assertEqual(s2["state"], "Up")
        self.assertEqual(s2["local_discriminator"], s["local_discriminator"])
        self.assertEqual(s2["state_changes"], s["state_changes"])
        # A new min_tx is negotiated with a poll sequence, without leaving Up.
        vg.reload(global_conf("vg") + bfd_conf("B", "10.99.0.2").replace("min_tx 100",
                                                                          "min_tx 250"))
        self.assertIsNotNone(wait_until(lambda: session(vg, "B").get("tx_interval_ms") == 250
                                        and not session(vg, "B").get("polling"), 5, 0.02))
        s3 = session(vg, "B")
        self.assertEqual(s3["state"], "Up")
        self.assertEqual(s3["state_changes"], s["state_changes"])
        self.assertEqual(s3["local_discriminator"], s["local_discriminator"])
        self.assertEqual(session(vg, "N"), {}, "the removed session still runs")

    def test_malformed_flood_changes_nothing_and_is_counted(self):
        vg = self.start(self.r1, "vg", global_conf("vg") + bfd_conf("B", "10.99.0.2"))
        self.start(self.r2, "ka", global_conf("ka") + bfd_conf("B", "10.99.0.1"), "keepalived")
        self.assertIsNotNone(self.wait_up(vg))
        time.sleep(1.5)  # past the poll sequence
        s = session(vg, "B")
        mine = s["local_discriminator"]
        n = 2000
        # Each would take the session Down if it were accepted (state Down, our discriminator).
        status = [VIGILD, "--status", "--json", "--status-socket", os.path.join(vg.dir, "sock")]
        flood = (FLOOD.replace("@MINE@", str(mine)).replace("@N@", str(n))
                 .replace("@STATUS@", repr(status)))
        r = self.r2.run("python3", "-c", flood, timeout=120)
        self.assertIn("sent", r.stdout)
        time.sleep(0.5)
        after = session(vg, "B")
        self.assertEqual(after["state"], "Up")
        self.assertEqual(after["state_changes"], s["state_changes"])
        want = {"bad_version": n, "bad_length": n, "zero_multiplier": n,
                "zero_my_discriminator": n, "bad_ttl": n}
        self.assertEqual(after["drops"], want)
        self.assertEqual(vg.status()["bfd"]["drops"], want)
        print(f"{5 * n} malformed packets: session unchanged, drops {after['drops']}")


# From the neighbour's address (another port than keepalived's): 5 kinds x N packets, in
# batches the receive buffer holds; each batch waits until the daemon has counted it, so a
# busy host delays the flood rather than overflowing the socket.
FLOOD = r"""
import json, socket, struct, subprocess, time
mine, n, status = @MINE@, @N@, @STATUS@
def pkt(ver=1, state=1, mult=3, length=24, my=0x1234, your=mine):
    return struct.pack("!BBBBIIIII", (ver << 5), state << 6, mult, length, my, your,
                       1000000, 100000, 0)
def counted():
    r = subprocess.run(status, capture_output=True, text=True)
    if r.returncode != 0:
        return -1
    return sum(json.loads(r.stdout).get("bfd", {}).get("drops", {}).values())
def settle(want):
    end = time.monotonic() + 10
    while counted() < want and time.monotonic() < end:
        time.sleep(0.02)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.0.2", 50001))
dst = ("10.99.0.1", 3784)
batch, sent = 40, 0
for start in range(0, n, batch):
    for i in range(start, min(n, start + batch)):
        s.sendto(pkt(ver=2), dst)
        s.sendto(pkt(length=20), dst)
        s.sendto(pkt(mult=0), dst)
        s.sendto(pkt(my=0), dst)
        sent += 4
    settle(sent)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 254)
for start in range(0, n, 4 * batch):
    for i in range(start, min(n, start + 4 * batch)):
        s.sendto(pkt(), dst)
        sent += 1
    settle(sent)
print("sent")
"""


class TrackBfd(RigTest):
    """r1 and r2 are a VRRP pair; r1 tracks a BFD session to r3 (its gateway, say)."""

    TAG = "g"

    def setUp(self):
        super().setUp()
        self.r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        self.r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        self.r3 = self.rig.add_host("r3", ["10.99.0.3/24"])

    def run_track(self, master_kind, bfd_kind, backup_kind, weight=None):
        track = "    track_bfd {\n        B" + (f" weight {weight}" if weight else "") + "\n    }"
        m = self.start(self.r1, "m", global_conf("m") + bfd_conf("B", "10.99.0.3") +
                       instance_conf(priority=150, state="MASTER", extra=track), master_kind)
        b = self.start(self.r2, "b", global_conf("b") + instance_conf(priority=100), backup_kind)
        peer = self.start(self.r3, "p", global_conf("p") + bfd_conf("B", "10.99.0.1"), bfd_kind)
        hosts = [self.r1, self.r2]
        self.assertIsNotNone(wait_until(lambda: holder(hosts, VIP) == ["r1"], 20),
                             "r1 did not become master once its BFD session was up")
        time.sleep(2)
        self.assertEqual(holder(hosts, VIP), ["r1"])
        t0 = time.monotonic()
        peer.kill(signal.SIGKILL)
        if master_kind == "vigil":
            if weight:
                left = wait_until(lambda: instance(m).get("effective_priority") == 150 + weight,
                                  5, 0.002)
            else:
                left = wait_until(lambda: instance(m).get("state") == "FAULT", 5, 0.002)
            self.assertIsNotNone(left, "track_bfd did not move the instance")
            print(f"{bfd_kind} BFD peer kill -9 -> vigil instance "
                  f"{'priority ' + str(150 + weight) if weight else 'FAULT'} in {left:.3f} s "
                  f"(limit {DETECT_LIMIT:.3f})")
            self.assertLessEqual(left, DETECT_LIMIT)
        took = wait_until(lambda: self.r2.has_addr(VIP), 10, 0.005)
        self.assertIsNotNone(took, "the peer did not take over")
        took = time.monotonic() - t0 if took is not None else None
        md = master_down(1, 100)
        skew = (256 - 100) / 256
        print(f"{master_kind} master / {bfd_kind} BFD peer / {backup_kind} backup"
              f"{' weight ' + str(weight) if weight else ''}: takeover {took:.3f} s "
              f"(master-down interval {md:.3f} s)")
        if weight:
            # A lower priority is only noticed when the backup's master-down timer runs out.
            self.assertLessEqual(took, DETECT_LIMIT + md + 0.3)
        else:
            # FAULT releases with a priority-0 advert: detection, then the backup's skew time.
            self.assertLessEqual(took, DETECT_LIMIT + skew + 0.2)
            self.assertLess(took, md)
        self.assertFalse(self.r1.has_addr(VIP))
        # The BFD peer returns: r1 preempts back.
        self.start(self.r3, "p2", global_conf("p") + bfd_conf("B", "10.99.0.1"), bfd_kind)
        self.assertIsNotNone(wait_until(lambda: holder(hosts, VIP) == ["r1"], 20),
                             "r1 did not return to master with its BFD session")
        self.assertTrue(b.alive())

    def test_vigil_fault_on_keepalived_bfd_loss_keepalived_takes_over(self):
        self.run_track("vigil", "keepalived", "keepalived")

    def test_vigil_weight_on_keepalived_bfd_loss(self):
        # keepalived as the backup re-arms its timer on a lower-priority advert (2.2.7 does) and
        # never takes over from a weighted-down master; a Vigil backup does, as RFC 5798 says.
        self.run_track("vigil", "keepalived", "vigil", weight=-60)

    def test_keepalived_fault_on_vigil_bfd_loss_vigil_takes_over(self):
        self.run_track("keepalived", "vigil", "vigil")


if __name__ == "__main__":
    unittest.main(verbosity=2)
