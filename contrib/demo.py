#!/usr/bin/env python3
"""The LVS story in network namespaces (run through contrib/demo.sh).

With IPVS, LVS-DR, all on one segment:
  client 10.0.0.100, directors d1 d2 (VIP 10.0.0.10), real servers a b c (10.0.0.11-13) and
  sorry (10.0.0.20), each with the VIP on lo by vigil-realserver: they answer the client directly.
With nftables (no IPVS anywhere), LVS-NAT:
  client 10.0.0.100 --br0-- d1, d2 (VIP 10.0.0.10) --br1-- a b c (10.0.1.11-13), sorry (10.0.1.20)
  and the directors' sync group also holds the real servers' gateway (10.0.1.254).
A service 10.0.0.10:80 with HTTP_GET checks spreads a client's requests over a, b, c. Each step
changes one thing and shows the client's view live.

Where: the host's IPVS when the kernel has it, else IPVS in a User-Mode Linux guest, else the
host's nftables. --check runs the story quickly without the live table and exits 0 only when
every step's expectation held.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
os.environ.setdefault("VIGIL_BUILD_DIR", os.path.join(TOP, "build"))
import netns  # noqa: E402
import uml  # noqa: E402

VIGILD = netns.VIGILD
VIGILCTL = os.path.join(netns.BUILD_DIR, "daemon", "vigilctl")
REALSERVER = os.path.join(TOP, "contrib", "vigil-realserver")
VIP, GW, SVC = "10.0.0.10", "10.0.1.254", "10.0.0.10:80"
COLS = ["a", "b", "c", "sorry"]


class Layout:
    """Where the real servers are: beside the directors (DR) or behind them (NAT)."""

    def __init__(self, kind):
        self.kind = kind
        net = "10.0.0" if kind == "DR" else "10.0.1"
        self.servers = {"a": f"{net}.11", "b": f"{net}.12", "c": f"{net}.13"}
        self.sorry = f"{net}.20"
        self.names = {**{v: k for k, v in self.servers.items()}, self.sorry: "sorry"}

# A real server: "/" answers its name, "/health" 200, or 503 while FLAG exists. On every
# address: its own (checks) and, under DR, the VIP (clients).
SERVER = r"""
import http.server, os, socketserver, sys
name, flag = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_GET(self):
        code, body = 200, (name + "\n").encode()
        if self.path == "/health" and os.path.exists(flag):
            code, body = 503, b"failing\n"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = allow_reuse_address = True
    request_queue_size = 128
S(("", 80), H).serve_forever()
"""

# The client: a fresh connection per request, forever; "TIME ANSWER" lines ("error" if failed).
CLIENT = r"""
import socket, sys, time
host, out = sys.argv[1], sys.argv[2]
with open(out, "a", buffering=1) as log:
    while True:
        t = time.monotonic()
        ans = "error"
        try:
            s = socket.create_connection((host, 80), timeout=0.5)
            s.settimeout(1)
            s.sendall(b"GET / HTTP/1.0\r\nHost: demo\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            s.close()
            head, _, body = data.partition(b"\r\n\r\n")
            if head.startswith(b"HTTP/1.0 200"):
                ans = body.decode().strip() or "error"
        except Exception:
            pass
        log.write(f"{t:.3f} {ans}\n")
        time.sleep(0.03)
"""


def director_conf(name, prio, state, backend, lay):
    rs = "".join(f"""
    real_server {addr} 80 {{
        weight 1
        HTTP_GET {{
            url {{
                path /health
                status_code 200
            }}
            connect_timeout 1
            retry 0
        }}
    }}""" for addr in lay.servers.values())
    inst = "".join(f"""
vrrp_instance {iname} {{
    state {state}
    interface {dev}
    virtual_router_id {vrid}
    priority {prio}
    version 3
    advert_int 0.5
    virtual_ipaddress {{
        {vip}/24
    }}
}}
""" for iname, dev, vrid, vip in (("EXT", "eth0", 10, VIP), ("GW", "eth1", 11, GW))
        if lay.kind == "NAT" or iname == "EXT")
    # NAT: the gateway must move with the VIP, or replies would leave through the dead director.
    group = """vrrp_sync_group DIRECTORS {
    group {
        EXT
        GW
    }
}
""" if lay.kind == "NAT" else ""
    return f"""global_defs {{
    router_id {name}
    lvs_backend {backend}
}}
{group}{inst}
virtual_server {VIP} 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind {lay.kind}
    protocol TCP
    sorry_server {lay.sorry} 80
{rs}
}}
"""


def host_has_ipvs():
    if os.path.exists("/proc/net/ip_vs"):
        return True
    subprocess.run(["modprobe", "-q", "ip_vs"], capture_output=True, timeout=20)
    return os.path.exists("/proc/net/ip_vs")


class Story:
    def __init__(self, rig, backend, check):
        self.rig, self.backend, self.check = rig, backend, check
        self.lay = Layout("DR" if backend == "ipvs" else "NAT")
        self.live = not check
        self.pause = 1.5 if check else 6.0
        self.answers = []  # (time, answer)
        self.pos = 0
        self.failures = []
        self.dirs = {}
        self.drawn = 0
        self.step_no = 0
        self.caption = ""
        self.step_start = time.monotonic()

    # --- the rig
    def build(self):
        rig, lay = self.rig, self.lay
        nat = lay.kind == "NAT"
        if nat:
            rig.add_bridge("br1")
        self.client = rig.add_host("cl", ["10.0.0.100/24"])
        for i, (prio, state) in enumerate(((150, "MASTER"), (100, "BACKUP")), start=1):
            d = rig.add_host(f"d{i}", [f"10.0.0.{i}/24"])
            if nat:
                rig.plug(d, "eth1", [f"10.0.1.{i}/24"], bridge="br1")
                for k, v in (("ip_forward", 1), ("conf.all.rp_filter", 0),
                             ("conf.eth0.rp_filter", 0), ("conf.eth1.rp_filter", 0),
                             ("conf.all.send_redirects", 0), ("conf.eth1.send_redirects", 0)):
                    d.run("sysctl", "-qw", f"net.ipv4.{k}={v}")
            name = f"d{i}"
            conf = rig.path(f"{name}.conf")
            with open(conf, "w") as f:
                f.write(director_conf(name, prio, state, self.backend, lay))
            self.dirs[name] = {"host": d, "sock": rig.path(f"{name}.sock"), "conf": conf,
                               "log": rig.path(f"{name}.log")}
        self.hosts = {}
        for name, addr in {**lay.servers, "sorry": lay.sorry}.items():
            h = rig.add_host(name, [f"{addr}/24"], bridge="br1" if nat else "br0")
            self.hosts[name] = h
            if nat:
                h.ip("route", "add", "default", "via", GW)
            else:
                self.realserver(h, "start", VIP)
            h.spawn(["python3", "-c", SERVER, name, self.flag(name)],
                    log=rig.path(f"srv-{name}.log"))
        for name, d in self.dirs.items():
            d["proc"] = d["host"].spawn([VIGILD, "-n", "-l", "-f", d["conf"], "-p",
                                         self.rig.path(f"{name}.pid"), "--status-socket",
                                         d["sock"]], log=d["log"])
        self.client_log = rig.path("client.log")
        open(self.client_log, "w").close()

    def realserver(self, host, *args):
        """vigil-realserver on a real server, its record in the rig's scratch directory."""
        return host.run("env", f"VIGIL_REALSERVER_STATE_DIR={self.rig.path('realserver')}",
                        REALSERVER, *args, check=False)

    def flag(self, name):
        return self.rig.path(f"{name}.failing")

    def start_client(self):
        self.client.spawn(["python3", "-c", CLIENT, VIP, self.client_log])

    # --- what is going on
    def ctl(self, name, *args, check=False):
        return subprocess.run([VIGILCTL, "-p", self.dirs[name]["sock"], *args],
                              capture_output=True, text=True, timeout=10, check=check)

    def show(self, name):
        if self.dirs[name]["proc"].poll() is not None:
            return None
        r = self.ctl(name, "show", "--json")
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout)
        except ValueError:
            return None

    def observe(self):
        """States of the directors, the master, the master's pool, and new client answers."""
        states, shows = {}, {}
        for name in self.dirs:
            j = self.show(name)
            shows[name] = j
            st = "down" if self.dirs[name]["proc"].poll() is not None else "starting"
            if j:
                for i in j.get("vrrp", {}).get("instances", []):
                    if i.get("name") == "EXT":
                        st = i.get("state", "?")
            states[name] = st
        masters = [n for n, s in states.items() if s == "MASTER"]
        view = shows.get(masters[0]) if masters else next((j for j in shows.values() if j), None)
        pool = set()
        if view:
            for vs in view.get("virtual_servers", []):
                for rs in vs.get("real_servers", []):
                    if rs.get("in_pool"):
                        addr = rs.get("address", "")
                        pool.add(self.lay.names.get(addr.split(":")[0], addr))
                if vs.get("sorry_active"):
                    pool.add("sorry")
        with open(self.client_log) as f:
            f.seek(self.pos)
            data = f.read()
        end = data.rfind("\n") + 1
        self.pos += end
        for line in data[:end].splitlines():
            t, _, ans = line.partition(" ")
            try:
                self.answers.append((float(t), ans))
            except ValueError:
                pass
        self.state = {"states": states, "masters": masters, "pool": pool}
        return self.state

    def since(self, t0):
        return [a for t, a in self.answers if t >= t0]

    def counts(self, answers):
        c = {k: 0 for k in COLS + ["error"]}
        for a in answers:
            c[a if a in c else "error"] += 1
        return c

    # --- the live table
    def frame(self):
        st = self.state
        now = time.monotonic()
        last = self.counts(self.since(now - 1.0))
        step = self.counts(self.since(self.step_start))
        dirs = "   ".join(f"{n} {s}" for n, s in st["states"].items())
        pool = " ".join(k for k in COLS if k in st["pool"]) or "(empty)"
        rows = [
            f"directors: {dirs}",
            f"pool: {pool}",
            f"{'':10}" + "".join(f"{k:>7}" for k in COLS) + f"{'errors':>8}",
            f"{'req/s':10}" + "".join(f"{last[k]:>7}" for k in COLS) + f"{last['error']:>8}",
            f"{'this step':10}" + "".join(f"{step[k]:>7}" for k in COLS) + f"{step['error']:>8}",
        ]
        return rows

    def draw(self, final=False):
        rows = self.frame()
        if not self.live:
            if final:
                print("\n".join("   " + r for r in rows), flush=True)
            return
        out = f"\033[{self.drawn}F" if self.drawn else ""
        out += "".join(f"   {r}\033[K\n" for r in rows)
        sys.stdout.write(out)
        sys.stdout.flush()
        self.drawn = 0 if final else len(rows)

    def watch(self, seconds, until=None):
        """Refreshes the table until `until()` holds (True) or seconds pass (False)."""
        end = time.monotonic() + seconds
        while True:
            self.observe()
            self.draw()
            if until and until():
                return True
            if time.monotonic() >= end:
                return until is None
            time.sleep(0.25)

    # --- the story
    def step(self, caption):
        if self.step_no:
            self.finish_step()
        self.step_no += 1
        self.caption = caption
        self.step_start = time.monotonic()
        self.drawn = 0
        title = f"{self.step_no}. {caption}"
        print("\n" + (f"\033[1m{title}\033[0m" if self.live else title), flush=True)

    def finish_step(self):
        self.observe()
        self.draw(final=True)
        master = (self.state["masters"] or [None])[0]
        if master:
            out = self.ctl(master, "lvs").stdout.rstrip()
            print(f"   vigilctl lvs ({master}):")
            print("\n".join("     " + line for line in out.splitlines()), flush=True)

    def say(self, text):
        """A line above the live table, which is drawn again below it."""
        if self.live and self.drawn:
            sys.stdout.write(f"\033[{self.drawn}F\033[J")
            self.drawn = 0
            print(text, flush=True)
            self.draw()
        else:
            print(text, flush=True)

    def expect(self, ok, what):
        mark = "ok" if ok else "FAILED"
        self.say(f"   [{mark}] {what}")
        if not ok:
            self.failures.append(f"step {self.step_no}: {what}")
        return ok

    def pool_is(self, want):
        return lambda: self.state["pool"] == set(want)

    def tell(self):
        p = self.pause
        print("starting vigild on d1 (priority 150) and d2 (100), real servers a b c and sorry",
              flush=True)
        ready = self.watch(40, lambda: self.state["masters"] == ["d1"] and
                           self.state["pool"] == {"a", "b", "c"})
        self.draw(final=True)
        kind = self.lay.kind
        self.step(f"steady state: d1 is master, a, b and c share the client's requests (LVS-{kind})")
        self.expect(ready, "d1 master, pool a b c")
        if kind == "DR":
            # The real servers hold the VIP without answering ARP for it: only the master does.
            r = self.realserver(self.hosts["a"], "status", VIP)
            self.say("   vigil-realserver status on a:\n" +
                     "\n".join("     " + ln for ln in r.stdout.strip().splitlines()))
            self.expect(r.returncode == 0, "the real servers hold the VIP on lo, ARP silent")
        self.start_client()
        t0 = time.monotonic()
        self.watch(p + 1)
        c = self.counts(self.since(t0))
        self.expect(c["error"] == 0 and all(c[k] for k in "abc"), "no error, all three serve")

        self.step("a's /health answers 503: its HTTP check fails and it leaves the pool")
        open(self.flag("a"), "w").close()
        left = self.watch(15, self.pool_is("bc"))
        self.expect(left, "pool is b c")
        t0 = time.monotonic()
        self.watch(p)
        c = self.counts(self.since(t0 + 0.5))
        self.expect(c["a"] == 0 and c["error"] == 0 and c["b"] and c["c"],
                    "no request reaches a, no error")

        self.step("b and c fail too: no real server left, the sorry server answers")
        for n in "bc":
            open(self.flag(n), "w").close()
        self.expect(self.watch(15, self.pool_is(["sorry"])), "pool is the sorry server")
        t0 = time.monotonic()
        self.watch(p)
        c = self.counts(self.since(t0 + 0.5))
        self.expect(c["sorry"] > 0 and c["sorry"] == sum(c.values()),
                    "every answer comes from the sorry server")

        self.step("they recover: a, b and c pass their checks and take the load back")
        for n in "abc":
            os.unlink(self.flag(n))
        self.expect(self.watch(20, self.pool_is("abc")), "pool is a b c")
        t0 = time.monotonic()
        self.watch(p)
        c = self.counts(self.since(t0 + 0.5))
        self.expect(c["sorry"] == 0 and c["error"] == 0 and all(c[k] for k in "abc"),
                    "a b c answer, the sorry server no more")

        self.step("vigilctl drain b on both directors: weight 0, then out of the pool, no error")
        t0 = time.monotonic()
        applied = None  # when the master answered: weight 0 from then on
        for d in self.dirs:
            r = self.ctl(d, "drain", SVC, f"{self.lay.servers['b']}:80", "--timeout", "10")
            if d in self.state["masters"] and applied is None:
                applied = time.monotonic()
            self.say(f"   {d}: vigilctl drain {SVC} {self.lay.servers['b']}:80 -> "
                     f"{(r.stdout or r.stderr).strip()}")
        self.expect(self.watch(15, self.pool_is("ac")), "pool is a c")
        self.watch(p)
        c = self.counts(self.since(t0))
        late = self.counts(self.since(applied + 0.2 if applied else t0 + 1.0))
        self.expect(c["error"] == 0 and late["b"] == 0, "no error, b gets no new request")

        self.step("vigilctl enable b: back in the pool")
        for d in self.dirs:
            self.ctl(d, "enable", SVC, f"{self.lay.servers['b']}:80")
        self.expect(self.watch(10, self.pool_is("abc")), "pool is a b c")
        t0 = time.monotonic()
        self.watch(p)
        c = self.counts(self.since(t0 + 0.5))
        self.expect(c["error"] == 0 and all(c[k] for k in "abc"), "no error, all three serve")

        what = "the VIP and the gateway" if kind == "NAT" else "the VIP"
        self.step(f"d1 dies (vigild killed, links down): d2 takes over {what}")
        d1 = self.dirs["d1"]
        t0 = time.monotonic()
        self.rig.stop(d1["proc"], signal.SIGKILL)
        d1["host"].ip("link", "set", "eth0", "down")
        if kind == "NAT":
            d1["host"].ip("link", "set", "eth1", "down")
        took = self.watch(10, lambda: self.state["masters"] == ["d2"])
        t1 = time.monotonic()
        self.expect(took, f"d2 is master after {t1 - t0:.1f} s")
        self.watch(max(p, 3))
        failed = self.counts(self.since(t0))["error"]
        after = self.counts(self.since(t1 + 1.0))
        served = sum(after[k] for k in "abc")
        self.say(f"   the client saw {failed} failed request(s) during the takeover")
        self.expect(failed <= 10 and after["error"] == 0 and all(after[k] for k in "abc"),
                    f"at most 10 failed, then no error and a b c answer ({served} answers)")
        self.finish_step()


def run_story(args):
    backend = args.backend
    tag = os.environ.get("VIGIL_DEMO_TAG", "demo")
    print(f"data plane: {'IPVS' if backend == 'ipvs' else 'nftables'}"
          f"{' in the User-Mode Linux guest' if uml.in_guest() else ''}", flush=True)
    with netns.Rig(tag) as rig:
        story = Story(rig, backend, args.check)
        story.build()
        try:
            story.tell()
        except Exception as e:
            story.failures.append(f"step {story.step_no}: {type(e).__name__}: {e}")
            print(f"   error: {e}", flush=True)
        if story.failures:
            for name, d in story.dirs.items():
                tail = open(d["log"], errors="replace").read()[-2000:]
                print(f"\n--- {name}'s log (tail)\n{tail}")
            print("\nexpectations that did not hold:\n  " + "\n  ".join(story.failures))
            return 1
        print("\nevery step went as expected; removing the namespaces", flush=True)
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="quick, no live table; exit 0 only if every step went as expected")
    ap.add_argument("--where", choices=["auto", "host", "uml"], default="auto",
                    help="run on the host (IPVS if the kernel has it, else nftables) or in UML")
    ap.add_argument("--backend", choices=["ipvs", "nftables"], help=argparse.SUPPRESS)
    args = ap.parse_args()

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    if args.backend:  # inside the guest, or told
        return run_story(args)
    where = args.where
    if where == "auto":
        where = "host" if host_has_ipvs() or uml.missing() else "uml"
    if where == "host":
        args.backend = "ipvs" if host_has_ipvs() else "nftables"
        if args.backend == "nftables":
            print("(no IPVS in this kernel and no User-Mode Linux: the nftables data plane)")
        return run_story(args)
    print("no IPVS in the host's kernel: booting a User-Mode Linux guest that has it ...",
          flush=True)
    argv = [sys.executable, "-u", os.path.abspath(__file__), "--backend", "ipvs"]
    if args.check:
        argv.append("--check")
    pgid = os.environ.get("VIGIL_DEMO_UML_PID_FILE")

    def started(pid, scratch):
        if pgid:
            with open(pgid, "w") as f:
                f.write(f"{pid} {scratch}\n")

    try:
        r = uml.run(argv, timeout=300, stream=sys.stdout.buffer, started=started,
                    env={"VIGIL_DEMO_TAG": os.environ.get("VIGIL_DEMO_TAG", "demo")})
    finally:
        if pgid and os.path.exists(pgid):
            os.unlink(pgid)  # uml.run has ended the guest
    if r.rc is None:
        print(f"the guest did not finish; its console:\n{r.console[-3000:]}")
        return 1
    return r.rc


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: everything removed")
        sys.exit(130)
