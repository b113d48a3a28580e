"""VRRP keywords in namespaces: promote_secondaries, check_unicast_src / vrrp_check_unicast_src,
unicast_fault_no_peer, track_src_ip, vrrp_min_garp, garp_group, garp_extra_if,
dynamic_interfaces, use_vmac_addr / vmac_addr_prefix and a VIP's use_vmac, each judged by what
the kernel, the wire or `vigild --status` shows."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import (VIGILD, ArpWatch, RigTest, global_conf, holder, instance_conf,  # noqa: E402
                      wait_until)

FAST = dict(version=3, advert=0.2)


def state_of(d, name="VI_1"):
    s = d.status()
    if not s:
        return None
    for i in s["vrrp"]["instances"]:
        if i["name"] == name:
            return i["state"]
    return None


def instance_of(d, name="VI_1"):
    s = d.status() or {"vrrp": {"instances": []}}
    return next((i for i in s["vrrp"]["instances"] if i["name"] == name), None)


def sysctl(host, key):
    return host.run("sysctl", "-n", key).stdout.strip()


class Keywords(RigTest):
    TAG = "k"

    def test_promote_secondaries_set_while_running_and_restored(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        key = "net.ipv4.conf.eth0.promote_secondaries"
        self.assertEqual(sysctl(r1, key), "0")
        d = self.start(r1, "n1", global_conf("n1") + instance_conf(
            extra="    promote_secondaries", **FAST))
        self.assertIsNotNone(wait_until(lambda: sysctl(r1, key) == "1", 5))
        # Its effect: removing the primary keeps the other address of the subnet.
        r1.ip("addr", "add", "10.99.0.5/24", "dev", "eth0")
        r1.ip("addr", "del", "10.99.0.1/24", "dev", "eth0")
        self.assertTrue(r1.has_addr("10.99.0.5"), "the secondary went with the primary")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(sysctl(r1, key), "0", "promote_secondaries not restored on stop")

    def test_check_unicast_src(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        r3 = self.rig.add_host("r3", ["10.99.0.3/24"])
        r4 = self.rig.add_host("r4", ["10.99.0.4/24"])
        vip = "10.99.0.10"
        # r1 is master and sends to r2, r3, r4; none of them lists r1 as a peer.
        self.start(r1, "n1", global_conf("n1") + instance_conf(
            priority=200, unicast=("10.99.0.1", ["10.99.0.2", "10.99.0.3", "10.99.0.4"]), **FAST))
        stranger = ("10.99.0.{}", ["10.99.0.50"])
        d2 = self.start(r2, "n2", global_conf("n2") + instance_conf(
            unicast=(stranger[0].format(2), stranger[1]), **FAST))
        d3 = self.start(r3, "n3", global_conf("n3", "    vrrp_check_unicast_src\n") + instance_conf(
            unicast=(stranger[0].format(3), stranger[1]), **FAST))
        d4 = self.start(r4, "n4", global_conf("n4") + instance_conf(
            unicast=(stranger[0].format(4), stranger[1]), extra="    check_unicast_src", **FAST))
        self.assertIsNotNone(wait_until(
            lambda: state_of(d3) == "MASTER" and state_of(d4) == "MASTER", 5))
        time.sleep(1)
        # Without the check the master is heard from any address, as keepalived does.
        self.assertEqual(state_of(d2), "BACKUP")
        self.assertFalse(r2.has_addr(vip))
        self.assertGreater(instance_of(d2)["adverts_received"], 0)
        for d in (d3, d4):
            i = instance_of(d)
            self.assertGreater(i["drops"].get("not_from_peer", 0), 0, d.name)
            self.assertEqual(i["adverts_received"], 0, d.name)
        self.assertEqual(holder([r2, r3, r4], vip), ["r3", "r4"])

    def test_unicast_fault_no_peer(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        d1 = self.start(r1, "n1", global_conf("n1") + instance_conf(
            vrid=51, vips=("10.99.0.10/24",),
            extra="    unicast_src_ip 10.99.0.1\n    unicast_fault_no_peer", **FAST))
        # Without the keyword an instance with no peers falls back to multicast.
        d2 = self.start(r2, "n2", global_conf("n2") + instance_conf(
            vrid=52, vips=("10.99.0.11/24",), extra="    unicast_src_ip 10.99.0.2", **FAST))
        self.assertIsNotNone(wait_until(lambda: state_of(d2) == "MASTER", 5))
        time.sleep(1)
        self.assertEqual(state_of(d1), "FAULT")
        self.assertFalse(r1.has_addr("10.99.0.10"))
        self.assertIn("Cannot use unicast without any peers", d1.logtext())

    def test_track_src_ip(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24", "10.98.0.1/24"])
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        vip = "10.99.0.10"
        d1 = self.start(r1, "n1", global_conf("n1") + instance_conf(
            vrid=51, extra="    mcast_src_ip 10.98.0.1\n    track_src_ip", **FAST))
        # The configured source is not there at all: FAULT from the start.
        d2 = self.start(r2, "n2", global_conf("n2") + instance_conf(
            vrid=52, vips=("10.99.0.11/24",), extra="    mcast_src_ip 10.98.0.2\n    track_src_ip",
            **FAST))
        self.assertIsNotNone(wait_until(lambda: r1.has_addr(vip), 5))
        self.assertEqual(state_of(d2), "FAULT")
        r1.ip("addr", "del", "10.98.0.1/24", "dev", "eth0")
        self.assertIsNotNone(wait_until(lambda: state_of(d1) == "FAULT", 3))
        self.assertFalse(r1.has_addr(vip))
        r1.ip("addr", "add", "10.98.0.1/24", "dev", "eth0")
        self.assertIsNotNone(wait_until(lambda: state_of(d1) == "MASTER" and r1.has_addr(vip), 5))
        r2.ip("addr", "add", "10.98.0.2/24", "dev", "eth0")
        self.assertIsNotNone(wait_until(lambda: state_of(d2) == "MASTER", 5))

    def test_vrrp_min_garp(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        c = self.rig.add_host("c", ["10.99.0.100/24"])
        watch = ArpWatch(c, seconds=12)
        vips = ("10.99.0.10/24", "10.99.0.11/24")
        self.start(r1, "n1", global_conf("n1", "    vrrp_min_garp\n") + instance_conf(
            priority=255, state="MASTER", vips=vips, **FAST))
        self.assertIsNotNone(wait_until(lambda: r1.has_addr("10.99.0.11"), 5))
        time.sleep(7)  # past the default garp_master_delay of 5 s
        for v in vips:
            self.assertEqual(len(watch.gratuitous(v.split("/")[0])), 1, v)

    def test_garp_group_spaces_announcements_across_instances(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        c = self.rig.add_host("c", ["10.99.0.100/24"])
        watch = ArpWatch(c, seconds=15)
        group = "garp_group {\n    garp_interval 0.2\n    interface eth0\n}\n"
        a = ("10.99.0.10/24", "10.99.0.11/24")
        b = ("10.99.0.20/24", "10.99.0.21/24")
        extra = "    garp_master_repeat 2\n    garp_master_delay 0"
        self.start(r1, "n1", global_conf("n1") + group +
                   instance_conf(name="VI_A", vrid=51, priority=255, state="MASTER", vips=a,
                                 extra=extra, **FAST) +
                   instance_conf(name="VI_B", vrid=52, priority=255, state="MASTER", vips=b,
                                 extra=extra, **FAST))
        want = 2 * (len(a) + len(b))
        self.assertIsNotNone(wait_until(
            lambda: sum(len(watch.gratuitous(v.split("/")[0])) for v in a + b) >= want, 8))
        times = sorted(t for v in a + b for t, _ in watch.gratuitous(v.split("/")[0]))
        self.assertEqual(len(times), want)
        gaps = [y - x for x, y in zip(times, times[1:])]
        self.assertGreaterEqual(min(gaps), 0.18, gaps)  # one at a time on eth0, both instances

    def test_garp_extra_if(self):
        self.rig.add_bridge("br1")
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        self.rig.plug(r1, "eth1", ["10.98.0.1/24"], bridge="br1")
        self.rig.plug(r2, "eth1", ["10.98.0.2/24"], bridge="br1")
        c = self.rig.add_host("c", ["10.98.0.100/24"], bridge="br1")
        watch = ArpWatch(c, seconds=15)
        extra = "    garp_master_repeat 1\n    garp_master_delay 0\n    garp_extra_if {}"
        # r1 refreshes every interface of its VIPs; r2 only VMACs, and it has none.
        self.start(r1, "n1", global_conf("n1") + instance_conf(
            vrid=51, priority=255, state="MASTER", vips=("10.99.0.10/24", "10.98.0.10/24 dev eth1"),
            extra=extra.format("all 1"), **FAST))
        self.start(r2, "n2", global_conf("n2") + instance_conf(
            vrid=52, priority=255, state="MASTER", vips=("10.99.0.20/24", "10.98.0.20/24 dev eth1"),
            extra=extra.format("1"), **FAST))
        self.assertIsNotNone(wait_until(
            lambda: r1.has_addr("10.98.0.10") and r2.has_addr("10.98.0.20"), 5))
        time.sleep(4.5)
        refreshed = watch.gratuitous("10.98.0.10")
        self.assertGreaterEqual(len(refreshed), 4, refreshed)  # the first burst + one a second
        self.assertLessEqual(len(refreshed), 7, refreshed)
        mac1 = r1.ip("-o", "link", "show", "eth1").stdout.split("link/ether ")[1].split()[0]
        self.assertEqual({m for _, m in refreshed}, {mac1.replace(":", "")},
                         "not sent from eth1's own MAC")
        self.assertEqual(len(watch.gratuitous("10.98.0.20")), 1)

    def test_dynamic_interfaces(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        vip = "10.98.0.10"
        body = instance_conf(iface="eth1", vips=(vip + "/24",), **FAST)
        plain = global_conf("n1") + body
        dynamic = global_conf("n1", "    dynamic_interfaces\n") + body
        conf = self.rig.path("plain.conf")
        with open(conf, "w") as f:
            f.write(plain)
        self.assertNotEqual(r1.run(VIGILD, "-t", "-f", conf, check=False).returncode, 0)
        d = self.start(r1, "n1", dynamic)
        self.assertEqual(r1.run(VIGILD, "-t", "-f", d.conf, check=False).returncode, 0)
        self.assertIsNotNone(wait_until(lambda: state_of(d) == "FAULT", 5))
        time.sleep(1)
        self.assertEqual(state_of(d), "FAULT")
        for round_ in range(2):
            self.rig.plug(r1, "eth1", ["10.98.0.1/24"])
            self.assertIsNotNone(wait_until(
                lambda: state_of(d) == "MASTER" and r1.has_addr(vip, "eth1"), 5), round_)
            r1.ip("link", "del", "eth1")
            self.assertIsNotNone(wait_until(lambda: state_of(d) == "FAULT", 5), round_)
        self.assertTrue(d.alive())

    def test_use_vmac_addr(self):
        self.rig.add_bridge("br1")
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        self.rig.plug(r1, "eth1", ["10.98.0.1/24"], bridge="br1")
        self.rig.plug(r2, "eth1", ["10.98.0.2/24"], bridge="br1")
        c = self.rig.add_host("c", ["10.98.0.100/24"], bridge="br1")
        watch = ArpWatch(c, seconds=15)
        # VRID 51: VIPs off the instance's interface or family go on abc.51 / abc6.51 on eth1.
        d1 = self.start(r1, "n1", global_conf("n1", "    vmac_addr_prefix abc\n") + instance_conf(
            vrid=51, priority=255, state="MASTER", vips=("10.99.0.10/24", "10.98.0.10/24 dev eth1"),
            extra="    use_vmac_addr\n    virtual_ipaddress_excluded {\n"
                  "        fd00:98::10/64 dev eth1\n    }", **FAST))
        # VRID 52: only the VIP that says use_vmac, on vrrp.52 (vmac_addr_prefix defaults to
        # vmac_prefix, "vrrp").
        self.start(r2, "n2", global_conf("n2") + instance_conf(
            vrid=52, priority=255, state="MASTER",
            vips=("10.99.0.20/24", "10.98.0.20/24 dev eth1 use_vmac", "10.98.0.21/24 dev eth1"),
            **FAST))
        self.assertIsNotNone(wait_until(
            lambda: r1.has_addr("10.98.0.10", "abc.51") and r2.has_addr("10.98.0.20", "vrrp.52"),
            6))
        link = lambda h, dev: h.ip("-d", "-o", "link", "show", dev).stdout  # noqa: E731
        self.assertIn("link/ether 00:00:5e:00:01:33", link(r1, "abc.51"))
        self.assertIn("macvlan", link(r1, "abc.51"))
        self.assertIn("link/ether 00:00:5e:00:02:33", link(r1, "abc6.51"))
        self.assertTrue(r1.has_addr("fd00:98::10", "abc6.51"))
        self.assertTrue(r1.has_addr("10.99.0.10", "eth0"))
        self.assertIn("link/ether 00:00:5e:00:01:34", link(r2, "vrrp.52"))
        self.assertTrue(r2.has_addr("10.98.0.21", "eth1"))
        self.assertFalse(r2.has_addr("10.98.0.21", "vrrp.52"))
        # Gratuitous ARPs for them come from the virtual MAC.
        self.assertIsNotNone(wait_until(lambda: watch.gratuitous("10.98.0.10"), 3))
        self.assertEqual({m for _, m in watch.gratuitous("10.98.0.10")}, {"00005e000133"})
        self.assertEqual({m for _, m in watch.gratuitous("10.98.0.20")}, {"00005e000134"})
        self.assertEqual(d1.stop(), 0)
        for dev in ("abc.51", "abc6.51"):
            self.assertNotEqual(r1.ip("link", "show", dev, check=False).returncode, 0, dev)


if __name__ == "__main__":
    unittest.main()
