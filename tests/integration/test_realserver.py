"""vigil-realserver in namespaces: the LVS-DR/TUN real-server settings, idempotent, undone exactly.

A client and real servers on one bridge. The ARP tests ask the client's view: with the VIP on lo
and no settings, a Linux host answers ARP for it on eth0; once vigil-realserver is started it must
not, and after stop it must again. LVS traffic itself is in test_ipvs_lb.py (UML guest).
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns import SOURCE_DIR, Rig  # noqa: E402

TOOL = os.path.join(SOURCE_DIR, "contrib", "vigil-realserver")
VIP, VIP2 = "10.0.0.10", "10.0.0.11"
ARP = ["net.ipv4.conf.all.arp_ignore", "net.ipv4.conf.all.arp_announce",
       "net.ipv4.conf.lo.arp_ignore", "net.ipv4.conf.lo.arp_announce"]
TUN = ["net.ipv4.conf.all.rp_filter"]


class RealServer(unittest.TestCase):
    def setUp(self):
        self.rig = Rig("rs").__enter__()
        self.addCleanup(self.rig.close)
        self.state = self.rig.path("state")
        self.client = self.rig.add_host("cl", ["10.0.0.100/24"])
        self.rs = self.rig.add_host("rs", ["10.0.0.21/24"])

    def tool(self, *args, host=None, check=True):
        # Never the host's modprobe: the host kernel's modules are not the test's to load.
        r = (host or self.rs).run("env", f"VIGIL_REALSERVER_STATE_DIR={self.state}",
                                  "VIGIL_REALSERVER_MODPROBE=false", TOOL, *args, check=False)
        if check:
            self.assertEqual(r.returncode, 0, f"vigil-realserver {' '.join(args)}: {r.stderr}")
        return r

    def sysctls(self, keys, host=None):
        out = {}
        for k in keys:
            out[k] = (host or self.rs).run("sysctl", "-n", k).stdout.strip()
        return out

    def set_sysctls(self, values, host=None):
        for k, v in values.items():
            (host or self.rs).run("sysctl", "-qw", f"{k}={v}")

    def vips_on(self, dev, host=None):
        out = (host or self.rs).ip("-o", "-4", "addr", "show", "dev", dev).stdout
        return [a for a in (line.split()[3] for line in out.splitlines()) if a != "127.0.0.1/8"]

    def arp_answered(self, addr):
        r = self.client.run("arping", "-c", "2", "-w", "3", "-I", "eth0", addr, check=False,
                            timeout=10)
        return r.returncode == 0

    def test_dr_start_twice_stop_twice_restores_the_previous_values(self):
        # Values that are neither the defaults nor the ones start sets: stop must bring these back.
        before = {ARP[0]: "0", ARP[1]: "1", ARP[2]: "2", ARP[3]: "0"}
        self.set_sysctls(before)
        self.assertEqual(self.tool("status", VIP, check=False).returncode, 3)

        self.tool("start", VIP)
        after = self.sysctls(ARP)
        self.assertEqual(after, {ARP[0]: "1", ARP[1]: "2", ARP[2]: "1", ARP[3]: "2"})
        self.assertEqual(self.vips_on("lo"), [f"{VIP}/32"])
        st = self.tool("status", VIP)
        self.assertIn(f"{VIP}: on lo", st.stdout)

        # Start again: nothing more is added or recorded.
        self.tool("start", VIP)
        self.assertEqual(self.vips_on("lo"), [f"{VIP}/32"])
        self.assertEqual(self.sysctls(ARP), after)

        self.tool("stop", VIP)
        self.assertEqual(self.vips_on("lo"), [])
        self.assertEqual(self.sysctls(ARP), before)
        self.assertEqual(self.tool("status", VIP, check=False).returncode, 3)
        self.assertEqual(os.listdir(self.state), [], "the state is removed with the last VIP")
        # Stop without start: a no-op.
        self.tool("stop", VIP)
        self.assertEqual(self.sysctls(ARP), before)

    def test_status_sees_a_setting_changed_behind_its_back(self):
        self.tool("start", VIP)
        self.rs.run("sysctl", "-qw", f"{ARP[0]}=0")
        st = self.tool("status", VIP, check=False)
        self.assertEqual(st.returncode, 3, st.stdout)
        self.assertIn("want 1", st.stdout)
        self.tool("start", VIP)  # puts it right, and stop still restores the first value
        self.assertEqual(self.tool("status").returncode, 0)
        self.tool("stop", VIP)
        self.assertEqual(self.sysctls([ARP[0]]), {ARP[0]: "0"})

    def test_arp_for_the_vip_stops_and_comes_back(self):
        # An address that was there before start stays after stop.
        self.rs.ip("addr", "add", f"{VIP}/32", "dev", "lo")
        self.assertTrue(self.arp_answered(VIP), "without arp_ignore a Linux host answers")
        self.tool("start", VIP)
        self.assertFalse(self.arp_answered(VIP), "a DR real server answered ARP for the VIP")
        self.assertTrue(self.arp_answered("10.0.0.21"), "its own address must still answer")
        self.tool("stop", VIP)
        self.assertEqual(self.vips_on("lo"), [f"{VIP}/32"])
        self.assertTrue(self.arp_answered(VIP))

    def test_two_vips_share_the_settings_until_the_last_stops(self):
        before = self.sysctls(ARP)
        self.tool("start", VIP)
        self.tool("start", VIP2)
        self.tool("stop", VIP)
        self.assertEqual(self.vips_on("lo"), [f"{VIP2}/32"])
        self.assertEqual(self.sysctls([ARP[0]]), {ARP[0]: "1"}, "VIP2 still needs arp_ignore")
        self.assertEqual(self.tool("status").returncode, 0)
        self.tool("stop", VIP2)
        self.assertEqual(self.sysctls(ARP), before)
        self.assertEqual(self.tool("status", check=False).returncode, 3)

    def test_each_namespace_has_its_own_record(self):
        other = self.rig.add_host("rs2", ["10.0.0.22/24"])
        self.tool("start", VIP)
        self.tool("start", VIP, host=other)
        self.tool("stop", VIP, host=other)
        self.assertEqual(self.vips_on("lo", host=other), [])
        self.assertEqual(self.vips_on("lo"), [f"{VIP}/32"], "a stop elsewhere removed it here")
        self.assertEqual(self.tool("status", VIP).returncode, 0)
        self.tool("stop", VIP)

    def test_tun(self):
        has_tunl0 = self.rs.ip("link", "show", "tunl0", check=False).returncode == 0
        before = self.sysctls(ARP + TUN)
        r = self.tool("start", VIP, "--tun", check=False)
        if not has_tunl0:
            # No ipip here (and the test may not load it): refused, and nothing left changed.
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("tunl0", r.stderr)
            self.assertEqual(self.sysctls(ARP + TUN), before)
            self.assertEqual(self.vips_on("lo"), [])
            self.assertEqual(os.listdir(self.state), [])
            return
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.vips_on("tunl0"), [f"{VIP}/32"])
        self.assertEqual(self.sysctls(TUN + ["net.ipv4.conf.tunl0.rp_filter"]),
                         {TUN[0]: "0", "net.ipv4.conf.tunl0.rp_filter": "0"})
        self.tool("stop", VIP)
        self.assertEqual(self.sysctls(ARP + TUN), before)
        self.assertNotIn("UP", self.rs.ip("-o", "link", "show", "tunl0").stdout.split(">")[0])

    def test_bad_arguments(self):
        for args in (["start"], ["start", "10.0.0.300"], ["frob", VIP], ["start", VIP, "--x"]):
            self.assertEqual(self.tool(*args, check=False).returncode, 2, args)
        self.assertEqual(self.vips_on("lo"), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
