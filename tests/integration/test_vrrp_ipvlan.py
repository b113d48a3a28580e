"""use_ipvlan (UML guest: the host kernel may have no ipvlan), as keepalived 2.2.7 does it: an L2
ipvlan of the mode asked for on the instance's interface, carrying the configured address that
the adverts leave from, while the VIPs stay on the base interface; the ipvlan goes when vigild
stops. An IPv4 instance without an address gets its ipvlan and stays in FAULT."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uml  # noqa: E402
from vrrp_rig import RigTest, global_conf, instance_conf, wait_until  # noqa: E402

FAST = dict(version=3, advert=0.2)


def instance_of(d, name="VI_1"):
    s = d.status() or {"vrrp": {"instances": []}}
    return next((i for i in s["vrrp"]["instances"] if i["name"] == name), None)


def state_of(d, name="VI_1"):
    return (instance_of(d, name) or {}).get("state")


def link_details(host, name):
    r = host.ip("-d", "-o", "link", "show", name, check=False)
    return r.stdout if r.returncode == 0 else None


class Ipvlan(RigTest):
    TAG = "v"

    def test_use_ipvlan(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        r2 = self.rig.add_host("r2", ["10.99.0.2/24"])
        r3 = self.rig.add_host("r3", ["10.99.0.3/24"])
        vip = "10.99.0.10"
        d1 = self.start(r1, "n1", global_conf("n1") + instance_conf(
            priority=200, extra="    use_ipvlan ipv1 10.99.0.7/24 private", **FAST) +
            instance_conf(name="VI_2", vrid=52, priority=200, vips=("10.99.0.20/24",),
                          extra="    use_ipvlan 10.99.0.8 private", **FAST) +
            instance_conf(name="VI_3", vrid=53, priority=200, vips=("10.99.0.30/24",),
                          extra="    use_ipvlan ipv3 private", **FAST))
        d2 = self.start(r2, "n2", global_conf("n2") + instance_conf(priority=100, **FAST))
        # The mode belongs to the base interface (the kernel's rule, the man page says so):
        # every ipvlan on r1 is private, vepa is on another host.
        self.start(r3, "n3", global_conf("n3") + instance_conf(
            name="VI_4", vrid=54, priority=200, vips=("10.99.0.40/24",),
            extra="    use_ipvlan 10.99.0.9/24 vepa", **FAST))
        self.assertIsNotNone(wait_until(lambda: r1.has_addr(vip, "eth0"), 15))
        self.assertIsNotNone(wait_until(lambda: state_of(d1, "VI_2") == "MASTER", 15))
        ipv1 = link_details(r1, "ipv1")
        self.assertIn("ipvlan", ipv1)
        self.assertIn("mode l2 private", ipv1)
        self.assertIn("mode l2 private", link_details(r1, "vrrp.52"))
        self.assertIsNotNone(wait_until(lambda: r3.has_addr("10.99.0.40", "eth0"), 15))
        self.assertIn("mode l2 vepa", link_details(r3, "vrrp.54"))
        self.assertTrue(r1.has_addr("10.99.0.7", "ipv1"))
        self.assertTrue(r1.has_addr("10.99.0.8", "vrrp.52"))
        self.assertFalse(r1.has_addr(vip, "ipv1"))
        # The ipvlan shares its base's MAC; the adverts come from its address.
        mac = lambda dev: r1.ip("-o", "link", "show", dev).stdout.split("link/ether ")[1].split()[0]  # noqa
        self.assertEqual(mac("ipv1"), mac("eth0"))
        self.assertIsNotNone(wait_until(
            lambda: (instance_of(d2) or {}).get("master") == "10.99.0.7", 3))
        self.assertEqual(state_of(d2), "BACKUP")
        # IPv4 without an address: an ipvlan, and FAULT.
        self.assertEqual(state_of(d1, "VI_3"), "FAULT")
        self.assertIn("mode l2 private", link_details(r1, "ipv3"))
        self.assertFalse(r1.has_addr("10.99.0.30"))
        self.assertEqual(d1.stop(), 0)
        self.assertIsNone(link_details(r1, "ipv1"), "ipvlan left after stop")
        self.assertIsNone(link_details(r1, "vrrp.52"), "ipvlan left after stop")
        self.assertIsNone(link_details(r1, "ipv3"), "ipvlan left after stop")
        self.assertIsNotNone(wait_until(lambda: r2.has_addr(vip), 3))


if __name__ == "__main__":
    uml.main(__file__, timeout=240)
