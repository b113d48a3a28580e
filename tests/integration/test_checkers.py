"""Health checkers and vigil-genhash against real servers on 127.0.0.1 (no namespaces needed:
nothing leaves loopback). Every server is started here and stopped on exit."""
import os
from pathlib import Path
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

BUILD = os.environ.get("VIGIL_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
GENHASH = os.path.join(BUILD, "checkers", "vigil-genhash")
DRIVER = os.path.join(BUILD, "tests", "unit", "checkers", "checkers_driver")
LO = "127.0.0.1"


class RawServer:
    """Accepts on a free port; mode: respond (after reading the request), hang, reset."""

    def __init__(self, response=b"", mode="respond", tls=None):
        self.response, self.mode, self.tls = response, mode, tls
        self.connections = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LO, 0))
        self.sock.listen(128)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        try:
            if self.mode == "hang":
                self.held.append(c)
                return
            if self.mode == "reset":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()
                return
            c.settimeout(3)
            if self.tls:
                c = self.tls.wrap_socket(c, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = c.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.last_request = data
            c.sendall(self.response)
            c.close()
        except Exception:
            try:
                c.close()
            except Exception:
                pass

    def close(self):
        self.running = False
        self.sock.close()
        for c in self.held:
            c.close()


def free_port():
    s = socket.socket()
    s.bind((LO, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def driver(kind, port, seconds, **kw):
    args = [DRIVER, kind, LO, str(port), str(seconds)] + [f"{k}={v}" for k, v in kw.items()]
    r = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 20)
    assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
    return r.stdout.splitlines()


def transitions(lines):
    return [l.split()[1:3] for l in lines if l.startswith("TRANSITION")]


def genhash(cmd, port, path, *extra):
    r = subprocess.run([cmd, "-s", LO, "-p", str(port), "-u", path, *extra],
                       capture_output=True, text=True, timeout=20)
    return r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "", r.returncode


CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
CLEN = b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA-BYTES"
CLOSE = b"HTTP/1.0 200 OK\r\nServer: t\r\n\r\nclose delimited body\n" * 1


def test_genhash_parity(tmp):
    servers = [RawServer(CHUNKED), RawServer(CLEN), RawServer(CLOSE)]
    try:
        for s in servers:
            mine, rc = genhash(GENHASH, s.port, "/x")
            ref, _ = genhash("genhash", s.port, "/x")
            assert rc == 0, mine
            assert mine == ref, (s.response, mine, ref)
            assert len(mine) == 32
        # The request line and headers keepalived sends.
        assert servers[0].last_request == (
            f"GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: {LO}:{servers[0].port}"
            "\r\n\r\n").encode(), servers[0].last_request
        mine, _ = genhash(GENHASH, servers[1].port, "/x", "-V", "www.example.org")
        assert servers[1].last_request.endswith(b"Host: www.example.org\r\n\r\n")
    finally:
        for s in servers:
            s.close()
    # Refused: non-zero exit, no digest.
    out, rc = genhash(GENHASH, free_port(), "/")
    assert rc != 0


def make_tls(tmp):
    cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=vigil.test"], check=True,
                   capture_output=True, timeout=60)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def test_ssl(tmp):
    srv = RawServer(CLEN, tls=make_tls(tmp))
    try:
        mine, rc = genhash(GENHASH, srv.port, "/", "-S")
        ref, _ = genhash("genhash", srv.port, "/", "-S")
        assert rc == 0 and mine == ref, (mine, ref)
        lines = driver("ssl", srv.port, 1.0, digest=mine, alpha=1, sni=1, vhost="vigil.test")
        assert transitions(lines) == [["up", "none"]], lines
        lines = driver("ssl", srv.port, 1.0, digest="0" * 32)
        assert transitions(lines) == [["down", "bad_digest"]], lines
    finally:
        srv.close()


def test_http_verdicts(tmp):
    ok = RawServer(CHUNKED)
    notfound = RawServer(b"HTTP/1.0 404 Not Found\r\n\r\nnope")
    hang = RawServer(mode="hang")
    reset = RawServer(mode="reset")
    try:
        digest, _ = genhash("genhash", ok.port, "/")
        lines = driver("http", ok.port, 1.0, digest=digest, alpha=1)
        assert transitions(lines) == [["up", "none"]], lines
        assert "FINAL up" in lines[-1]
        assert transitions(driver("http", ok.port, 1.0, digest="1" * 32)) == [["down", "bad_digest"]]
        assert transitions(driver("http", notfound.port, 1.0)) == [["down", "bad_status"]]
        lines = driver("http", notfound.port, 1.0, status="200,400-404", alpha=1)
        assert transitions(lines) == [["up", "none"]], lines
        lines = driver("http", hang.port, 1.5, timeout_ms=300)
        assert transitions(lines) == [["down", "timeout"]], lines
        assert transitions(driver("http", free_port(), 0.5)) == [["down", "refused"]]
        assert transitions(driver("tcp", free_port(), 0.5)) == [["down", "refused"]]
        tr = transitions(driver("http", reset.port, 0.5))
        assert tr and tr[0][0] == "down" and tr[0][1] in ("refused", "bad_response"), tr
        assert transitions(driver("tcp", ok.port, 0.5, alpha=1)) == [["up", "none"]]
    finally:
        for s in (ok, notfound, hang, reset):
            s.close()


def test_retry_counts(tmp):
    bad = RawServer(b"HTTP/1.0 500 Oops\r\n\r\n")
    try:
        # retry 2: three attempts, 50 ms apart, then down; the next probe only after delay_loop.
        lines = driver("http", bad.port, 0.6, retry=2, retry_ms=50, delay_loop_ms=5000)
        assert transitions(lines) == [["down", "bad_status"]], lines
        assert bad.connections == 3, bad.connections
    finally:
        bad.close()


def test_recovery(tmp):
    port = free_port()
    proc = subprocess.Popen([DRIVER, "tcp", LO, str(port), "2.5", "delay_loop_ms=100"],
                            stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.8)
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((LO, port))
        s.listen(64)
        out, _ = proc.communicate(timeout=20)
        s.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert transitions(out.splitlines()) == [["down", "refused"], ["up", "none"]], out


def test_misc(tmp):
    dyn = os.path.join(tmp, "dyn.sh")
    with open(dyn, "w") as f:
        f.write("#!/bin/sh\nexit 12\n")
    slow = os.path.join(tmp, "slow.sh")
    pidfile = os.path.join(tmp, "slow.pid")
    with open(slow, "w") as f:
        f.write(f"#!/bin/sh\necho $$ > {pidfile}\nexec sleep 30\n")
    fail = os.path.join(tmp, "fail.sh")
    with open(fail, "w") as f:
        f.write("#!/bin/sh\nexit 1\n")
    for p in (dyn, slow, fail):
        os.chmod(p, 0o755)
    lines = driver("misc", 0, 0.6, script=dyn, dynamic=1, alpha=1)
    assert transitions(lines) == [["up", "none"]], lines
    assert "WEIGHT 10" in lines, lines
    assert transitions(driver("misc", 0, 0.6, script=fail)) == [["down", "script_failed"]]
    lines = driver("misc", 0, 1.0, script=slow, misc_timeout_ms=200, delay_loop_ms=5000)
    assert transitions(lines) == [["down", "script_timeout"]], lines
    pid = int(Path(pidfile).read_text())
    assert not os.path.exists(f"/proc/{pid}"), "timed-out script still running"


def test_smtp_dns(tmp):
    smtp = socket.socket()
    smtp.bind((LO, 0))
    smtp.listen(8)
    smtp.settimeout(3)
    seen = []

    def smtp_serve():
        try:
            c, _ = smtp.accept()
            c.sendall(b"220-hello\r\n220 mail ready\r\n")
            seen.append(c.recv(1024))
            c.sendall(b"250 ok\r\n")
            seen.append(c.recv(1024))
            c.close()
        except Exception:
            traceback.print_exc()

    t = threading.Thread(target=smtp_serve, daemon=True)
    t.start()
    lines = driver("smtp", smtp.getsockname()[1], 0.4, alpha=1, delay_loop_ms=5000)
    t.join(5)
    smtp.close()
    assert transitions(lines) == [["up", "none"]], lines
    assert seen[0] == b"HELO vigil.test\r\n" and seen[1] == b"QUIT\r\n", seen

    for rcode, want in ((0, [["up", "none"]]), (3, [["down", "dns_error"]])):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((LO, 0))
        u.settimeout(3)

        def dns_serve():
            try:
                q, a = u.recvfrom(512)
                u.sendto(q[:2] + bytes([0x81, 0x80 | rcode]) + q[4:], a)
            except Exception:
                pass

        t = threading.Thread(target=dns_serve, daemon=True)
        t.start()
        extra = {"alpha": 1} if rcode == 0 else {}
        lines = driver("dns", u.getsockname()[1], 0.4, delay_loop_ms=5000, **extra)
        t.join(5)
        u.close()
        assert transitions(lines) == want, (rcode, lines)


def test_udp_reply_and_file(tmp):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((LO, 0))
    u.settimeout(0.2)
    stop = threading.Event()

    def echo():
        while not stop.is_set():
            try:
                q, a = u.recvfrom(512)
                u.sendto(b"\xca\xfe" + q, a)
            except (socket.timeout, OSError):
                continue

    t = threading.Thread(target=echo, daemon=True)
    t.start()
    try:
        port = u.getsockname()[1]
        lines = driver("udp", port, 0.5, payload="0102", reply="CA fe 01 0x", alpha=1)
        assert transitions(lines) == [["up", "none"]], lines
        lines = driver("udp", port, 0.5, payload="0102", reply="CA fe 02")
        assert transitions(lines) == [["down", "udp_reply"]], lines
    finally:
        stop.set()
        t.join(2)
        u.close()

    path = os.path.join(tmp, "state")
    Path(path).write_text("0\n")
    proc = subprocess.Popen([DRIVER, "file", LO, "0", "2.0", f"file={path}", "delay_loop_ms=60000"],
                            stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        Path(path + ".new").write_text("1\n")
        os.rename(path + ".new", path)  # inotify, not the 60 s poll
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert transitions(out.splitlines()) == [["down", "file_fault"]], out


def main():
    failed = 0
    tests = [v for k, v in sorted(globals().items()) if k.startswith("test_")]
    for t in tests:
        tmp = tempfile.mkdtemp(prefix="vigil-checkers-")
        try:
            t(tmp)
            print(f"ok   {t.__name__}")
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__}")
            traceback.print_exc()
        finally:
            subprocess.run(["rm", "-rf", tmp])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
