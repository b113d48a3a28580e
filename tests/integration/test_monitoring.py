"""contrib/monitoring against running vigilds: their metrics pass `promtool check metrics`, the
alert rules pass `promtool check rules` and their own `promtool test rules`, and a Prometheus in
a namespace, scraping two directors, raises the alerts that the directors' state calls for.

r1 and r2 hold VRID 51 with different passwords, so neither accepts the other's adverts: both are
MASTER (split brain) and both count drops. r1 also has an instance on a link that is down
(FAULT) and a virtual server (nftables data plane) whose only live real server is below quorum.
Once r2 gets the right password the split brain must clear: the rule is not always true.
"""
import json
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns import SOURCE_DIR, wait_until  # noqa: E402
from vrrp_rig import RigTest, global_conf, instance_conf  # noqa: E402

MON = os.path.join(SOURCE_DIR, "contrib", "monitoring")
RULES = os.path.join(MON, "vigil-alerts.rules.yml")
RULE_TESTS = os.path.join(MON, "vigil-alerts.test.yml")
DASHBOARD = os.path.join(MON, "vigil-dashboard.json")
PORT, PROM_PORT = 9650, 19090

FETCH = ("import sys, urllib.request\n"
         "print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end='')")


def director_conf(router_id, addr, password, fault_iface=None, lvs=False):
    extra = f"    metrics_listen {addr}:{PORT}\n"
    if lvs:
        extra += "    lvs_backend nftables\n"
    text = global_conf(router_id, extra)
    text += instance_conf("VI_1", vrid=51, priority=150 if router_id == "r1" else 100,
                          auth=password, vips=("10.0.0.10/24",))
    if fault_iface:
        text += instance_conf("VI_F", iface=fault_iface, vrid=61, vips=("10.0.1.10/24",))
    if lvs:
        text += """
virtual_server 10.0.0.10 80 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
    quorum 2
    real_server 10.0.0.21 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 10.0.0.22 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
"""
    return text


class Monitoring(RigTest):
    TAG = "mo"

    def setUp(self):
        super().setUp()
        rig = self.rig
        rig.add_bridge("br1")
        self.r1 = rig.add_host("r1", ["10.0.0.1/24"])
        rig.plug(self.r1, "eth1", ["10.0.1.1/24"], bridge="br1")
        self.r1.ip("link", "set", "eth1", "down")
        self.r2 = rig.add_host("r2", ["10.0.0.2/24"])
        self.web = rig.add_host("web", ["10.0.0.21/24"])
        self.web.spawn(["python3", "-m", "http.server", "--bind", "10.0.0.21", "80"])
        self.mon = rig.add_host("mon", ["10.0.0.9/24"])
        self.d1 = self.start(self.r1, "r1", director_conf("r1", "10.0.0.1", "secret1", "eth1",
                                                          lvs=True))
        self.d2 = self.start(self.r2, "r2", director_conf("r2", "10.0.0.2", "secret2"))

    def scrape(self, addr):
        return self.mon.run(sys.executable, "-c", FETCH, f"http://{addr}:{PORT}/metrics").stdout

    def wait_scrape(self, addr, pred, timeout=20):
        seen = [""]

        def ok():
            r = self.mon.run(sys.executable, "-c", FETCH, f"http://{addr}:{PORT}/metrics",
                             check=False)
            seen[0] = r.stdout
            return r.returncode == 0 and pred(r.stdout)

        self.assertIsNotNone(wait_until(ok, timeout, 0.3), f"{addr} metrics:\n{seen[0][-2000:]}")
        return seen[0]

    def start_prometheus(self):
        conf = self.rig.path("prometheus.yml")
        with open(conf, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {RULES}
scrape_configs:
  - job_name: vigil
    static_configs:
      - targets: ["10.0.0.1:{PORT}", "10.0.0.2:{PORT}"]
""")
        self.mon.spawn(["prometheus", f"--config.file={conf}",
                        f"--storage.tsdb.path={self.rig.path('tsdb')}",
                        f"--web.listen-address=127.0.0.1:{PROM_PORT}"],
                       log=self.rig.path("prometheus.log"))

    def api(self, path, **params):
        url = f"http://127.0.0.1:{PROM_PORT}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        r = self.mon.run(sys.executable, "-c", FETCH, url, check=False)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout)

    def alerts(self):
        a = self.api("alerts")
        return [] if a is None else a["data"]["alerts"]

    def query(self, expr):
        return self.api("query", query=expr)

    def test_metrics_rules_and_alerts(self):
        text1 = self.wait_scrape("10.0.0.1", lambda t: 'state="FAULT"} 1' in t and
                                 'vigil_real_server_up{vs="10.0.0.10:80",rs="10.0.0.21:80"} 1' in t,
                                 timeout=30)
        text2 = self.wait_scrape("10.0.0.2", lambda t: "vigil_vrrp_instance_info" in t)
        for text in (text1, text2):
            r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                               text=True, timeout=30)
            self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""), "promtool check metrics")
        r = subprocess.run(["promtool", "check", "rules", RULES], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS: 7 rules found", r.stdout)
        r = subprocess.run(["promtool", "test", "rules", RULE_TESTS], capture_output=True,
                           text=True, timeout=60, cwd=MON)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        # Every metric the rules and the dashboard read is one vigild exports.
        exported = set(re.findall(r"^# TYPE (\w+) ", text1, re.M))
        with open(RULES) as f:
            rules_text = f.read()
        with open(DASHBOARD) as f:
            dashboard = json.load(f)
        exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
        used = set(re.findall(r"\bvigil_\w+", rules_text + "\n".join(exprs)))
        self.assertGreater(len(used), 10)
        self.assertEqual(used - exported, set(), "metrics vigild does not export")

        # Both MASTER, the drops counted, r1's VI_F in FAULT, the pool below quorum.
        self.wait_scrape("10.0.0.2", lambda t: 'vigil_vrrp_state{vrrp_instance="VI_1",state="MASTER"} 1'
                         in t and re.search(r'vigil_vrrp_drops_total\{vrrp_instance="VI_1",reason="[^"]+"\} [1-9]', t),
                         timeout=20)
        self.start_prometheus()
        want = {"VigilSplitBrain", "VigilInstanceFault", "VigilPoolBelowQuorum",
                "VigilAdvertDropsRising"}
        seen = [[]]

        def raised():
            seen[0] = self.alerts()
            return want <= {a["labels"]["alertname"] for a in seen[0]
                            if a["state"] in ("pending", "firing")}

        ok = wait_until(raised, 60, 1)
        with open(self.rig.path("prometheus.log")) as f:
            plog = f.read()[-3000:]
        self.assertIsNotNone(ok, f"alerts: {json.dumps(seen[0], indent=1)}\nprometheus:\n{plog}")
        by_name = {a["labels"]["alertname"]: a for a in seen[0]}
        self.assertEqual(by_name["VigilSplitBrain"]["labels"]["vrid"], "51")
        self.assertEqual(by_name["VigilInstanceFault"]["labels"]["vrrp_instance"], "VI_F")
        self.assertEqual(by_name["VigilPoolBelowQuorum"]["labels"]["vs"], "10.0.0.10:80")
        self.assertNotIn("VigilRealServerFlapping", by_name)
        self.assertNotIn("VigilDown", by_name)

        # Each dashboard query is valid PromQL here.
        for e in exprs:
            q = self.query(e.replace("$job", ".*").replace("$__rate_interval", "1m"))
            self.assertIsNotNone(q, e)
            self.assertEqual(q["status"], "success", e)

        # r2 learns the right password: one master for VRID 51 again, the split brain clears.
        self.d2.reload(director_conf("r2", "10.0.0.2", "secret1"))
        masters = dashboard["panels"][0]["targets"][0]["expr"].replace('job=~"$job"', 'job="vigil"')

        def one_master():
            q = self.query(masters)
            res = q["data"]["result"] if q else []
            return len(res) == 1 and res[0]["value"][1] == "1"

        self.assertIsNotNone(wait_until(one_master, 30, 1), self.query(masters))
        self.assertIsNotNone(wait_until(lambda: "VigilSplitBrain" not in {
            a["labels"]["alertname"] for a in self.alerts()}, 30, 1), "split brain alert stayed")


if __name__ == "__main__":
    unittest.main(verbosity=2)
