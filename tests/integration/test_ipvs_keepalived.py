"""Differential: the IPVS table keepalived 2.2.7 programs and the one vigild programs, for the
same configuration, in the same kernel (UML guest), must be equal.

Configurations: the etc/*.conf samples with virtual_server blocks, and generated ones covering
schedulers, flags, persistence, fwmarks, groups, protocols, families and keepalived's fix-ups
(a virtual server with no real server, fwmark real-server ports, a quorum above the weights).
Checkers are taken out so that every real server is in both tables at once (keepalived adds a
real server before its checker's first verdict, as vigild does), and both run with -C (checkers
only: no VRRP), one after the other, each in the same namespace.
"""
import glob
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uml  # noqa: E402
from netns import SOURCE_DIR, VIGILD, Rig, wait_until  # noqa: E402
from lvs_rig import ipvs_rules  # noqa: E402

CHECKERS = {"TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "DNS_CHECK", "SMTP_CHECK",
            "UDP_CHECK", "PING_CHECK", "FILE_CHECK", "BFD_CHECK"}


def without_checkers(text):
    out, depth, skip_at = [], 0, None
    for line in text.splitlines():
        words = line.split()
        if skip_at is None and words and words[0] in CHECKERS and "{" in line:
            skip_at = depth
        depth += line.count("{") - line.count("}")
        if skip_at is not None:
            if depth <= skip_at:
                skip_at = None
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def rs(addr, port="", body="weight 1"):
    return f"    real_server {addr} {port} {{\n        {body}\n    }}\n"


GENERATED = {
    "schedulers": "".join(
        f"virtual_server 10.0.0.10 {1000 + i} {{\n    lb_algo {s}\n    lb_kind NAT\n"
        f"    protocol TCP\n{rs('10.0.1.11', 80)}{rs('10.0.1.12', 80, 'weight 3')}}}\n"
        for i, s in enumerate(["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed",
                               "nq", "mh", "fo", "ovf"])),
    "flags": f"""virtual_server 10.0.0.10 2001 {{
    lb_algo sh
    sh-port
    sh-fallback
    protocol TCP
{rs('10.0.1.11', 80)}}}
virtual_server 10.0.0.10 2002 {{
    lb_algo mh
    mh-port
    mh-fallback
    protocol TCP
{rs('10.0.1.11', 80)}}}
virtual_server 10.0.0.10 2003 {{
    lb_algo rr
    ops
    protocol UDP
{rs('10.0.1.11', 53)}}}
virtual_server 10.0.0.10 2004 {{
    lb_algo wlc
    protocol TCP
    persistence_timeout 600
    persistence_granularity 255.255.0.0
{rs('10.0.1.11', 80, 'weight 2')}}}
virtual_server 10.0.0.10 2005 {{
    lb_algo lc
    lb_kind DR
    protocol SCTP
{rs('10.0.0.21', 2005, 'uthreshold 100')}{rs('10.0.0.22', 2005, 'lthreshold 5')}}}
virtual_server 10.0.0.10 2006 {{
    lb_algo rr
    lb_kind TUN
    protocol TCP
{rs('10.0.0.31', 2006)}{rs('10.0.0.32', 2006, 'lvs_method DR')}}}
virtual_server fd00::10 80 {{
    lb_algo wrr
    protocol TCP
{rs('fd00:1::11', 8080, 'weight 4')}}}
""",
    "fixups": f"""virtual_server 10.0.0.10 80 {{
    lb_algo rr
    protocol TCP
    sorry_server 10.0.1.20 80
}}
virtual_server fwmark 3 {{
    lb_algo rr
    lb_kind NAT
    persistence_timeout 30
{rs('10.0.1.11', 443)}{rs('10.0.1.12', 443)}}}
virtual_server 10.0.0.10 81 {{
    lb_algo wrr
    protocol TCP
    quorum 10
    hysteresis 4
    sorry_server 10.0.1.20 80
{rs('10.0.1.11', 80)}{rs('10.0.1.12', 80, 'weight 0')}}}
virtual_server 10.0.0.10 83 {{
    lb_algo wrr
    protocol TCP
    quorum 5
    hysteresis 2
    sorry_server 10.0.1.20 80
{rs('10.0.1.11', 80)}{rs('10.0.1.12', 80, 'weight 2')}{rs('10.0.1.13', 80, 'weight 3')}}}
virtual_server 10.0.0.10 82 {{
    lb_algo rr
    protocol TCP
    inhibit_on_failure
    sorry_server 10.0.1.20 80
    sorry_server_inhibit
{rs('10.0.1.11', 80)}}}
""",
    "fwmark6": f"""virtual_server fwmark 7 {{
    ip_family inet6
    lb_algo rr
{rs('fd00:1::11', 80)}}}
virtual_server fwmark 8 {{
    lb_algo rr
{rs('fd00:1::12', 80)}}}
virtual_server fwmark 10 {{
    lb_algo sh
    lb_kind DR
{rs('10.0.0.21', 80)}}}
""",
    # keepalived refuses a group mixing IPv4, IPv6 and fwmark entries without ip_family, and
    # an ADDR-ADDR range over a /24 boundary wraps in its last byte (vigild: the range).
    "groups": f"""virtual_server_group G {{
    10.0.2.1-3 80
    10.0.3.250-10.0.3.252 81
    10.0.5.8/30 82
    fwmark 9
}}
virtual_server_group G6 {{
    fd00:2::1-3 83
    fd00:3::/126 84
}}
virtual_server group G {{
    lb_algo rr
    protocol TCP
{rs('10.0.1.11', 80)}{rs('10.0.0.21', 80, 'lvs_method DR')}}}
virtual_server group G6 {{
    lb_algo wlc
    protocol TCP
{rs('fd00:1::11', 80)}}}
""",
}


def settle(host, timeout=15, quiet=1.5):
    """The table once it has been non-empty and unchanged for `quiet` seconds."""
    last, since = None, time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = ipvs_rules(host)
        if now != last:
            last, since = now, time.monotonic()
        elif now and time.monotonic() - since >= quiet:
            break
        time.sleep(0.2)
    return last or set()


class Differential(unittest.TestCase):
    def setUp(self):
        self.rig = Rig("k").__enter__()
        self.host = self.rig.add_host("lb", ["10.0.0.1/24", "10.0.0.10/24", "fd00::1/64"])

    def tearDown(self):
        self.rig.close()

    def run_daemon(self, tag, argv):
        log = self.rig.path(f"{tag}.log")
        p = self.host.spawn(argv, log=log)
        table = settle(self.host)
        code = self.rig.stop(p, signal.SIGTERM, timeout=15)
        left = ipvs_rules(self.host)
        self.host.run("ipvsadm", "-C")
        with open(log, errors="replace") as f:
            text = f.read()
        return table, code, left, text

    def compare(self, name, conf_text):
        conf = self.rig.path(f"{name}.conf")
        with open(conf, "w") as f:
            f.write(conf_text)
        p = self.rig.path
        ka, ka_code, ka_left, ka_log = self.run_daemon(
            f"ka-{name}", ["keepalived", "-n", "-l", "-G", "-C", "-f", conf, "-p", p("ka.pid"),
                           "-c", p("ka-c.pid"), "-r", p("ka-r.pid"), "-b", p("ka-b.pid")])
        vg, vg_code, vg_left, vg_log = self.run_daemon(
            f"vg-{name}", [VIGILD, "-n", "-l", "-C", "-f", conf, "-p", p("vg.pid"),
                           "--status-socket", p("vg.sock")])
        msg = (f"\n{name}: only keepalived: {sorted(ka - vg)}\n{name}: only vigild: "
               f"{sorted(vg - ka)}\nkeepalived log:\n{ka_log[-2500:]}\nvigild log:\n{vg_log[-2500:]}")
        print(f"{name}: keepalived {len(ka)} lines, vigild {len(vg)} lines")
        self.assertTrue(ka, f"keepalived programmed nothing for {name}:\n{ka_log[-3000:]}")
        self.assertEqual(ka, vg, msg)
        self.assertEqual(vg_code, 0, vg_log[-2000:])
        self.assertEqual(vg_left, set(), "vigild left services behind")

    def test_samples(self):
        texts = {}
        for path in glob.glob(os.path.join(SOURCE_DIR, "etc", "*.conf")):
            with open(path) as f:
                texts[path] = f.read()
        files = sorted(p for p, t in texts.items() if re.search(r"^\s*virtual_server\s", t, re.M))
        self.assertGreaterEqual(len(files), 5)
        for path in files:
            with self.subTest(sample=os.path.basename(path)):
                self.compare(os.path.basename(path)[:-5], without_checkers(texts[path]))

    def test_generated(self):
        for name, body in GENERATED.items():
            with self.subTest(config=name):
                self.compare(name, "global_defs {\n    router_id diff\n}\n" + body)


if __name__ == "__main__":
    uml.main(__file__, timeout=280)
