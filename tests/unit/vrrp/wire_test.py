"""Wire format against real peers: Vigil's codec and socket talking to itself and to keepalived.

Three hosts on a bridge, each in its own namespace. h1 sends Vigil adverts (priority 200) with
vrrp_wire_tool, h2 runs Debian's keepalived (priority 100) for the same VRID, h3 listens with
vrrp_wire_tool. keepalived must stay BACKUP without complaint while Vigil sends, then take over
when Vigil stops; h3 must decode both senders' adverts (checksums included).
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("VIGIL_SOURCE_DIR",
                                               os.path.join(os.path.dirname(__file__), "../../..")),
                                "tests", "integration"))
from netns import Rig, wait_until  # noqa: E402

TOOL = sys.argv[1]
KEEPALIVED = "/usr/sbin/keepalived"
COMPLAINTS = ("checksum", "bogus", "invalid", "mismatch", "wrong", "error", "Entering MASTER")

CASES = [
    # name, version, advert_int (s), auth, family, vips
    ("v2-pass", 2, 1, "secret", "v4", ["10.0.0.100", "10.0.0.101"]),
    ("v3-ipv4", 3, 0.5, None, "v4", ["10.0.0.100"]),
    ("v3-ipv6", 3, 0.5, None, "v6", ["2001:db8::100"]),
]


def keepalived_conf(version, adv, auth, vips):
    auth_block = (f"    authentication {{\n        auth_type PASS\n        auth_pass {auth}\n    }}\n"
                  if auth else "")
    vip_lines = "".join(f"        {v}/{64 if ':' in v else 24}\n" for v in vips)
    return (f"global_defs {{\n    router_id peer\n    vrrp_version {version}\n}}\n"
            f"vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n"
            f"    virtual_router_id 51\n    priority 100\n    advert_int {adv}\n"
            f"{auth_block}    virtual_ipaddress {{\n{vip_lines}    }}\n}}\n")


def link_local_ready(host):
    out = host.ip("-6", "-o", "addr", "show", "dev", "eth0", "scope", "link").stdout
    return "fe80" in out and "tentative" not in out


def run_case(name, version, adv, auth, family, vips):
    with Rig(tag="w") as rig:
        hosts = [rig.add_host(f"h{i}", [f"10.0.0.{i}/24", f"2001:db8::{i}/64"]) for i in (1, 2, 3)]
        h1, h2, h3 = hosts
        for h in hosts:
            assert wait_until(lambda h=h: link_local_ready(h), 10), "link-local address not ready"
        conf = rig.path("keepalived.conf")
        with open(conf, "w") as f:
            f.write(keepalived_conf(version, adv, auth, vips))
        ka_log, rx_log = rig.path("keepalived.log"), rig.path("rx.log")
        listen_s = 16
        rx = h3.spawn([TOOL, "recv", "eth0", family, str(listen_s)], log=rx_log)
        cs = int(adv * 100)
        sends = int(6 / adv)
        extra = [f"pass={auth}"] if auth else []
        tx = h1.spawn([TOOL, "send", "eth0", str(version), "51", "200", str(cs), str(sends)] + extra
                      + vips, log=rig.path("tx.log"))
        time.sleep(0.2)
        ka = h2.spawn([KEEPALIVED, "-n", "-l", "-D", "-P", "-f", conf, "-p", rig.path("ka.pid"),
                       "-r", rig.path("vrrp.pid"), "-c", rig.path("check.pid")], log=ka_log)
        # While Vigil sends at priority 200, keepalived must stay backup.
        took = wait_until(lambda: h2.has_addr(vips[0]), 5.5)
        log = open(ka_log).read()
        assert took is None, f"{name}: keepalived took the VIP while Vigil was master:\n{log}"
        assert "Entering BACKUP STATE" in log, f"{name}: keepalived never entered BACKUP:\n{log}"
        bad = [ln for ln in log.splitlines() if any(c.lower() in ln.lower() for c in COMPLAINTS)]
        assert not bad, f"{name}: keepalived complained:\n" + "\n".join(bad)
        assert tx.wait(timeout=15) == 0, f"{name}: sender failed: {open(rig.path('tx.log')).read()}"
        # Vigil is gone: keepalived takes over after its master-down interval.
        assert wait_until(lambda: h2.has_addr(vips[0]), 3 * adv + 3), \
            f"{name}: keepalived did not take over:\n{open(ka_log).read()}"
        time.sleep(2 * adv + 0.2)
        rig.stop(ka)
        rx.wait(timeout=listen_s + 5)
        lines = open(rx_log).read().splitlines()
        drops = [ln for ln in lines if ln.startswith("drop")]
        assert not drops, f"{name}: listener dropped adverts: {drops}"
        auth_type = 1 if auth else 0
        if version == 3:
            auth_type = 0
        want_addrs = ",".join(vips)
        ours = [ln for ln in lines if ln.startswith(f"ok v={version} vrid=51 prio=200 int={cs}")]
        theirs = [ln for ln in lines if ln.startswith(f"ok v={version} vrid=51 prio=100 int={cs}")]
        assert len(ours) >= sends - 2, f"{name}: Vigil adverts not seen: {lines}"
        assert theirs, f"{name}: keepalived adverts not decoded: {lines}"
        for ln in ours + theirs:
            assert f"auth={auth_type} " in ln and f"addrs={want_addrs} " in ln \
                and ln.endswith("ttl=255"), f"{name}: unexpected advert {ln}"
        print(f"{name}: ok ({len(ours)} Vigil adverts, {len(theirs)} keepalived adverts)")


def main():
    if os.geteuid() != 0:
        print("needs root")
        return 77
    for case in CASES:
        run_case(*case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
