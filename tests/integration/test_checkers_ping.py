"""PING_CHECK inside a network namespace made here: loopback answers (up), an address on a
veth link that nobody holds never answers (down). As root the raw-socket fallback runs (a new
namespace's ping_group_range is "1 0"); as nobody with ping_group_range opened in that namespace
the unprivileged ping socket runs, and without it the check fails instead of passing."""
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

BUILD = os.environ.get("VIGIL_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
DRIVER = os.path.join(BUILD, "tests", "unit", "checkers", "checkers_driver")
NS = f"vck-ping-{os.getpid()}"


def sh(*argv, check=True, timeout=30):
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {r.returncode} {r.stderr.strip()}")
    return r


def driver(ip, seconds, user=None, **kw):
    args = [DRIVER, "ping", ip, "0", str(seconds)] + [f"{k}={v}" for k, v in kw.items()]
    if user:
        args = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *args]
    r = sh("ip", "netns", "exec", NS, *args, timeout=seconds + 20)
    return r.stdout.splitlines()


def transitions(lines):
    return [l.split()[1:3] for l in lines if l.startswith("TRANSITION")]


def setup():
    sh("ip", "netns", "add", NS)
    sh("ip", "-n", NS, "link", "set", "lo", "up")
    # A veth pair with both ends here: the far end holds no address, so nothing answers.
    sh("ip", "-n", NS, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    sh("ip", "-n", NS, "link", "set", "v0", "up")
    sh("ip", "-n", NS, "link", "set", "v1", "up")
    sh("ip", "-n", NS, "addr", "add", "10.250.7.1/24", "dev", "v0")
    sh("ip", "-n", NS, "addr", "add", "fd00:250:7::1/64", "dev", "v0", "nodad")


def test_root_raw_socket():
    assert transitions(driver("127.0.0.1", 0.5, alpha=1)) == [["up", "none"]]
    lines = driver("10.250.7.2", 1.0, timeout_ms=200)
    assert transitions(lines) == [["down", "no_echo_reply"]], lines
    assert transitions(driver("::1", 0.5, alpha=1)) == [["up", "none"]]
    lines = driver("fd00:250:7::2", 1.0, timeout_ms=200)
    assert transitions(lines) == [["down", "no_echo_reply"]], lines


def test_unprivileged_ping_socket():
    nobody = "65534"
    # ping_group_range "1 0": no ping socket for nobody, and no raw socket: down, never up.
    lines = driver("127.0.0.1", 0.5, user=nobody)
    assert transitions(lines) == [["down", "network"]], lines
    sh("ip", "netns", "exec", NS, "sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 2147483647")
    lines = driver("127.0.0.1", 0.8, user=nobody, alpha=1)
    assert transitions(lines) == [["up", "none"]], lines
    assert sum(1 for l in lines if l.startswith("RESULT ok")) >= 2, lines
    lines = driver("::1", 0.5, user=nobody, alpha=1)
    assert transitions(lines) == [["up", "none"]], lines
    lines = driver("10.250.7.2", 1.0, user=nobody, timeout_ms=200)
    assert transitions(lines) == [["down", "no_echo_reply"]], lines


def main():
    if not shutil.which("setpriv"):
        print("setpriv missing")
        return 1
    failed = 0
    try:
        setup()
        for t in (test_root_raw_socket, test_unprivileged_ping_socket):
            try:
                t()
                print(f"ok   {t.__name__}")
            except Exception:
                failed += 1
                print(f"FAIL {t.__name__}")
                traceback.print_exc()
    finally:
        sh("ip", "netns", "del", NS, check=False)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
