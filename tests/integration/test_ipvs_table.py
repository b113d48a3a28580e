"""What vigild programs into the kernel's IPVS table, read back with ipvsadm (UML guest).

Every scheduler the kernel has and the scheduler flags, TCP/UDP/SCTP, IPv4 and IPv6,
virtual_server_group ranges, thresholds, persistence and lvs_timeouts; then bad input: a
scheduler the kernel lacks and a destination it refuses are logged once each, counted, leave
the rest of the table applied and are tried again on reload.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uml  # noqa: E402
from netns import Rig, wait_until  # noqa: E402
from lvs_rig import (DirectorCase, Vigild, get, ipvs_rules, ipvs_thresholds, start_server,  # noqa: E402
                     sysctls, wait_rules)

VIP = "10.0.0.10"
RS = "10.0.1.11"
SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf"]


def vs(head, body, rs=f"real_server {RS} 80 {{\n        weight 1\n    }}"):
    return f"virtual_server {head} {{\n    {body}\n    {rs}\n}}\n"


class Table(DirectorCase):
    @classmethod
    def setUpClass(cls):
        cls.rig = rig = Rig("t").__enter__()
        try:
            cls.client = rig.add_host("cl", ["10.0.0.100/24", "fd00::100/64"])
            cls.dir = d = rig.add_host("dir", ["10.0.0.1/24", f"{VIP}/24", "fd00::10/64"])
            rig.add_bridge("br1")
            rig.plug(d, "eth1", ["10.0.1.1/24", "fd00:1::1/64"], bridge="br1")
            sysctls(d, [("net.ipv4.ip_forward", 1), ("net.ipv6.conf.all.forwarding", 1)])
            cls.rs = h = rig.add_host("rs", [f"{RS}/24", "fd00:1::11/64"], bridge="br1")
            h.ip("route", "add", "default", "via", "10.0.1.1")
            h.ip("-6", "route", "add", "default", "via", "fd00:1::1")
            # SCTP's default cookie HMAC (md5) is not in the guest's kernel: listen() fails.
            sysctls(h, [("net.sctp.cookie_hmac_alg", "none")])
            cls.client.ip("-6", "route", "add", "fd00:1::/64", "via", "fd00::10")
        except BaseException:
            rig.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.rig.close()


    def test_schedulers_flags_protocols_families_groups(self):
        conf = "global_defs {\n    router_id t\n    lvs_backend auto\n" \
               "    lvs_timeouts tcp 901 tcpfin 61 udp 121\n}\n"
        want = set()
        for i, s in enumerate(SCHEDULERS):
            conf += vs(f"{VIP} {1000 + i}", f"lb_algo {s}\n    lb_kind NAT\n    protocol TCP")
            want |= {f"-A -t {VIP}:{1000 + i} -s {s}", f"-a -t {VIP}:{1000 + i} -r {RS}:80 -m -w 1"}
        # Scheduler flags, one-packet scheduling, persistence with a granularity.
        conf += vs(f"{VIP} 2001", "lb_algo sh\n    sh-port\n    sh-fallback\n    protocol TCP")
        conf += vs(f"{VIP} 2002", "lb_algo mh\n    mh-port\n    mh-fallback\n    protocol TCP")
        conf += vs(f"{VIP} 2003", "lb_algo rr\n    ops\n    protocol UDP")
        conf += vs(f"{VIP} 2005", "lb_algo rr\n    protocol UDP")
        conf += vs(f"{VIP} 2004", "lb_algo wlc\n    protocol TCP\n    persistence_timeout 600\n"
                   "    persistence_granularity 255.255.0.0")
        want |= {f"-A -t {VIP}:2001 -s sh -b sh-fallback,sh-port",
                 f"-A -t {VIP}:2002 -s mh -b mh-fallback,mh-port",
                 f"-A -u {VIP}:2003 -s rr -o", f"-A -u {VIP}:2005 -s rr",
                 f"-A -t {VIP}:2004 -s wlc -p 600 -M 255.255.0.0"}
        want |= {f"-a {p} {VIP}:{port} -r {RS}:80 -m -w 1"
                 for p, port in (("-t", 2001), ("-t", 2002), ("-u", 2003), ("-t", 2004), ("-u", 2005))}
        # SCTP, thresholds, DR and TUN per real server, IPv6.
        conf += vs(f"{VIP} 3001", "lb_algo rr\n    protocol SCTP")
        conf += vs(f"{VIP} 3002", "lb_algo lc\n    protocol TCP\n    lb_kind DR",
                   f"real_server 10.0.0.21 3002 {{\n        weight 5\n        uthreshold 100\n"
                   f"        lthreshold 10\n    }}\n    real_server 10.0.0.22 3002 {{\n"
                   f"        lb_kind TUN\n    }}")
        conf += vs("fd00::10 81", "lb_algo rr\n    protocol TCP\n    persistence_timeout 300\n"
                   "    persistence_granularity 64", "real_server fd00:1::11 8080 {\n    }")
        want |= {"-A -t [fd00::10]:81 -s rr -p 300 -M 64",
                 "-a -t [fd00::10]:81 -r [fd00:1::11]:8080 -m -w 1"}
        conf += vs("fd00::10 80", "lb_algo wrr\n    protocol TCP",
                   "real_server fd00:1::11 8080 {\n        weight 2\n    }\n"
                   f"    real_server {RS} 8080 {{\n    }}")
        want |= {f"-A --sctp-service {VIP}:3001 -s rr",
                 f"-a --sctp-service {VIP}:3001 -r {RS}:80 -m -w 1",
                 f"-A -t {VIP}:3002 -s lc",
                 f"-a -t {VIP}:3002 -r 10.0.0.21:3002 -g -w 5",
                 f"-a -t {VIP}:3002 -r 10.0.0.22:3002 -i -w 1 --tun-type ipip",
                 "-A -t [fd00::10]:80 -s wrr",
                 "-a -t [fd00::10]:80 -r [fd00:1::11]:8080 -m -w 2"}
        # A group: an ADDR-LAST range, an ADDR-ADDR range, a CIDR block and a fwmark.
        conf += """virtual_server_group G {
    10.0.2.1-3 80
    10.0.3.254-10.0.4.1 81
    10.0.5.8/30 82
    fwmark 9
}
""" + vs("group G", "lb_algo rr\n    protocol TCP")
        group = [("10.0.2.%d" % i, 80) for i in (1, 2, 3)] + \
            [(a, 81) for a in ("10.0.3.254", "10.0.3.255", "10.0.4.0", "10.0.4.1")] + \
            [("10.0.5.%d" % i, 82) for i in (8, 9, 10, 11)]
        for a, p in group:
            want |= {f"-A -t {a}:{p} -s rr", f"-a -t {a}:{p} -r {RS}:80 -m -w 1"}
        want |= {"-A -f 9 -s rr", f"-a -f 9 -r {RS}:80 -m -w 1"}

        self.vigild = Vigild(self.dir, conf)
        got = wait_rules(self.dir, want, timeout=30)
        self.assertEqual(sorted(got - want), [], "in the kernel, not expected")
        self.assertEqual(sorted(want - got), [], "expected, not in the kernel")
        self.assertEqual(ipvs_thresholds(self.dir, "-t", f"{VIP}:3002"),
                         {"10.0.0.21:3002": (100, 10), "10.0.0.22:3002": (0, 0)})
        timeouts = self.dir.run("ipvsadm", "-L", "--timeout").stdout.strip()
        self.assertEqual(timeouts, "Timeout (tcp tcpfin udp): 901 61 121")

        # Real packets through three of them: IPv6 NAT with port mapping, UDP, SCTP. (A NAT reply
        # finds no connection under one-packet scheduling, so UDP goes through 2005.)
        servers = [start_server(self.rs, "v6", [8080], v6=True),
                   start_server(self.rs, "udp", [80], proto="udp"),
                   start_server(self.rs, "sctp", [80], proto="sctp")]
        try:
            for addr, port, proto, name in (("fd00::10", 80, "tcp", "v6"),
                                            (VIP, 2005, "udp", "udp"), (VIP, 3001, "sctp", "sctp")):
                seen = [None]
                ok = wait_until(lambda: (seen.__setitem__(0, get(self.client, addr, port, 3,
                                                                 proto=proto)) or
                                         seen[0] == [name] * 3), 15, 0.5)
                self.assertIsNotNone(ok, f"{proto} {addr}:{port}: {seen[0]}")
        finally:
            for p in servers:
                self.rig.stop(p)

        self.assertEqual(self.vigild.stop(), 0)
        self.vigild = None
        self.assertEqual(ipvs_rules(self.dir), set(), "vigild left IPVS services behind")

    def test_refused_by_the_kernel(self):
        bad = "global_defs {\n    router_id t\n    lvs_backend ipvs\n" \
            "    metrics_listen 127.0.0.1:9650\n}\n" + \
            vs(f"{VIP} 80", "lb_algo twos\n    protocol TCP") + \
            vs(f"{VIP} 81", "lb_algo rr\n    protocol TCP",
               f"real_server {RS} 81 {{\n        uthreshold 5\n        lthreshold 10\n    }}\n"
               f"    real_server 10.0.1.12 81 {{\n    }}") + \
            vs(f"{VIP} 82", "lb_algo rr\n    protocol TCP")
        self.vigild = Vigild(self.dir, bad)
        # The rest of the table is applied: 81 without the refused destination, 82 whole.
        want = {f"-A -t {VIP}:81 -s rr", f"-a -t {VIP}:81 -r 10.0.1.12:81 -m -w 1",
                f"-A -t {VIP}:82 -s rr", f"-a -t {VIP}:82 -r {RS}:80 -m -w 1"}
        self.assertEqual(wait_rules(self.dir, want), want)

        def lines(what):
            return [x for x in self.vigild.log_text().splitlines() if "refused" in x and what in x]

        sched = f"add service TCP {VIP}:80"
        dest = f"add destination TCP {VIP}:81 -> {RS}:81"
        self.assertIsNotNone(wait_until(lambda: lines(sched) and lines(dest), 10, 0.2),
                             self.vigild.log_text()[-3000:])
        print("\n".join(lines("")))
        self.assertIn("No such file or directory", lines(sched)[0])
        self.assertIn("twos", lines(sched)[0])
        self.assertIn("Numerical result out of range", lines(dest)[0])
        self.assertIn(".conf:", lines(dest)[0], "the log line names the virtual_server")
        st = self.vigild.wait_status()
        dp = st["data_plane"]
        self.assertEqual(dp["backend"], "ipvs")
        self.assertEqual(dp["refusals"], 2, dp)
        self.assertEqual(len(dp["refused"]), 2, dp)
        metrics = self.dir.run("curl", "-s", "-m", "5", "http://127.0.0.1:9650/metrics").stdout
        self.assertIn("vigil_lb_refusals_total 2\n", metrics)
        self.assertIn("vigil_lb_refused 2\n", metrics)
        # No crash loop, no repeated line: still running, each said once.
        time.sleep(3)
        self.assertIsNone(self.vigild.proc.poll(), "vigild exited")
        self.assertEqual((len(lines(sched)), len(lines(dest))), (1, 1))

        # A reload with the same file tries again: refused again, said once more.
        self.vigild.reload(bad)
        self.assertIsNotNone(wait_until(lambda: len(lines(sched)) == 2, 10, 0.2),
                             self.vigild.log_text()[-3000:])
        self.assertEqual(self.vigild.status()["data_plane"]["refusals"], 4)
        # A reload with the mistakes fixed applies them.
        good = bad.replace("lb_algo twos", "lb_algo wrr").replace("lthreshold 10", "lthreshold 2")
        self.vigild.reload(good)
        want |= {f"-A -t {VIP}:80 -s wrr", f"-a -t {VIP}:80 -r {RS}:80 -m -w 1",
                 f"-a -t {VIP}:81 -r {RS}:81 -m -w 1"}
        self.assertEqual(wait_rules(self.dir, want), want)
        self.assertEqual(ipvs_thresholds(self.dir, "-t", f"{VIP}:81")[f"{RS}:81"], (5, 2))
        self.assertEqual(self.vigild.status()["data_plane"]["refused"], [])
        self.assertEqual(self.vigild.stop(), 0)
        self.vigild = None
        self.assertEqual(ipvs_rules(self.dir), set())


if __name__ == "__main__":
    uml.main(__file__, timeout=240)
