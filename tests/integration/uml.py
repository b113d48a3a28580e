"""A User-Mode Linux guest for tests that need a kernel with IPVS (the host's has none).

One boot per test file: the file's host-side main calls main(__file__), which boots linux.uml
with the host's filesystem as root, loads the LVS modules and runs the same file again inside
the guest with VIGIL_UML_GUEST=1, where its unittest cases run. The guest has its own network
stack, so netns.Rig builds its namespaces there and nothing touches the host's.

Everything the guest writes goes to one scratch directory under the host's /tmp, removed
afterwards; the only process ended is the linux.uml process group started here.
"""
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES_ROOT = "/usr/lib/uml/modules"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MODULES = [
    "ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_lc", "ip_vs_wlc", "ip_vs_lblc", "ip_vs_lblcr",
    "ip_vs_dh", "ip_vs_sh", "ip_vs_sed", "ip_vs_nq", "ip_vs_mh", "ip_vs_fo", "ip_vs_ovf",
    "veth", "bridge", "macvlan", "ipvlan", "ipip", "ip6_tunnel", "nf_conntrack", "sctp",
    "x_tables", "ip_tables", "iptable_filter", "iptable_mangle", "xt_mark", "xt_tcpudp",
    "xt_multiport", "ip6_tables", "ip6table_mangle",
]

# UML 6.1 moves FPU state with PTRACE_SETREGSET(NT_X86_XSTATE) sized for an AVX machine; a
# host with a larger XSAVE area (AMX) refuses it with EFAULT and the guest's init dies. Failing
# that request's probe (GETREGSET) makes UML fall back to FXSAVE-sized state, which every host
# accepts but which does not carry AVX registers across the guest's page faults: so the guest's
# programs are kept to SSE (glibc's string functions, OpenSSL's code paths).
GUEST_TUNABLES = ("glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,"
                  "-AVX512CD,-FMA,-FMA4,-F16C,-AVX_Fast_Unaligned_Load")
GUEST_OPENSSL_CAP = "~0x1000000000000000:~0xd0230020"  # no AVX, AVX2, AVX-512


def _xstate_filter():
    """A seccomp program: ptrace(PTRACE_GETREGSET, _, NT_X86_XSTATE, _) fails with EIO."""
    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    allow, eio = 0x7FFF0000, 0x00050000 | 5
    prog = [
        (ld, 0, 0, 4), (jeq, 0, 7, 0xC000003E),  # AUDIT_ARCH_X86_64, else allow
        (ld, 0, 0, 0), (jeq, 0, 5, 101),         # __NR_ptrace
        (ld, 0, 0, 16), (jeq, 0, 3, 0x4204),     # PTRACE_GETREGSET
        (ld, 0, 0, 32), (jeq, 0, 1, 0x202),      # NT_X86_XSTATE
        (ret, 0, 0, eio), (ret, 0, 0, allow),
    ]
    return b"".join(struct.pack("HBBI", *i) for i in prog), len(prog)


def _install_filter():
    """Runs in the child between fork and exec."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    code, n = _xstate_filter()
    buf = ctypes.create_string_buffer(code, len(code))

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = Fprog(n, ctypes.addressof(buf))
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        os._exit(125)
    if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, FILTER
        os._exit(126)


def kernel_version():
    versions = sorted(os.listdir(MODULES_ROOT)) if os.path.isdir(MODULES_ROOT) else []
    return versions[-1] if versions else None


def missing():
    """Why no guest can boot here, or None."""
    if not shutil.which("linux.uml"):
        return "linux.uml not found: install user-mode-linux (contrib/setup.sh does)"
    if not kernel_version():
        return f"no UML kernel modules under {MODULES_ROOT}: reinstall user-mode-linux"
    if not shutil.which("modprobe"):
        return "modprobe not found: install kmod"
    return None


class GuestResult:
    def __init__(self, rc, output, console, seconds):
        self.rc, self.output, self.console, self.seconds = rc, output, console, seconds


def _q(s):
    return "'" + str(s).replace("'", "'\\''") + "'"


def run(argv, timeout=240, env=None, modules=MODULES, stream=None, started=None):
    """Boots a guest, runs argv there (after the modules load) and powers off.

    stream: a binary file that gets the guest's output as it is written; started: called with
    the pid (and process group) of linux.uml and the scratch directory. Returns a GuestResult; rc is None when the guest
    did not finish within timeout seconds."""
    why = missing()
    if why:
        raise RuntimeError(why)
    version = kernel_version()
    scratch = tempfile.mkdtemp(prefix="vigil-uml-", dir="/tmp")
    start = time.monotonic()
    proc = None
    try:
        modroot = os.path.join(scratch, "modroot", "lib", "modules")
        os.makedirs(modroot)
        os.symlink(os.path.join(MODULES_ROOT, version), os.path.join(modroot, version))
        for d in ("tmp", "home", "uml"):
            os.makedirs(os.path.join(scratch, d))
        genv = {
            "PATH": PATH,
            "HOME": os.path.join(scratch, "home"),
            "TMPDIR": os.path.join(scratch, "tmp"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "GLIBC_TUNABLES": GUEST_TUNABLES,
            "OPENSSL_ia32cap": GUEST_OPENSSL_CAP,
            "VIGIL_UML_GUEST": "1",
            "VIGIL_UML_SCRATCH": scratch,
        }
        for k in ("VIGIL_BUILD_DIR", "VIGIL_SOURCE_DIR"):
            if k in os.environ:
                genv[k] = os.path.abspath(os.environ[k])
        genv.update(env or {})
        exports = "".join(f"export {k}={_q(v)}\n" for k, v in genv.items())
        init = os.path.join(scratch, "init")
        with open(init, "w") as f:
            f.write(f"""#!/bin/sh
export PATH={PATH}
S={_q(scratch)}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run
[ -c /dev/null ] || mount -t devtmpfs devtmpfs /dev
export GLIBC_TUNABLES={_q(GUEST_TUNABLES)}
for m in {' '.join(modules)}; do
    modprobe -d "$S/modroot" "$m" >>"$S/modprobe.log" 2>&1 || echo "modprobe $m failed" >>"$S/modprobe.log"
done
ip link set lo up
cd "$S/tmp"
( {exports} exec {' '.join(_q(a) for a in argv)} ) >"$S/output" 2>&1 </dev/null
echo $? >"$S/rc.tmp" && mv "$S/rc.tmp" "$S/rc"
poweroff -f
""")
        os.chmod(init, 0o755)
        console = open(os.path.join(scratch, "console"), "w")
        try:
            proc = subprocess.Popen(
                ["linux.uml", "mem=1024M", "rootfstype=hostfs", "rootflags=/", "rw",
                 f"init={init}", "con=null", "con0=null,fd:2", "quiet",
                 f"uml_dir={os.path.join(scratch, 'uml')}", "umid=vigil"],
                stdin=subprocess.DEVNULL, stdout=console, stderr=console,
                start_new_session=True, preexec_fn=_install_filter,
                env={"PATH": PATH, "TMPDIR": os.path.join(scratch, "tmp")})
        finally:
            console.close()
        if started:
            started(proc.pid, scratch)
        if stream is None:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        else:
            _follow(proc, os.path.join(scratch, "output"), stream, time.monotonic() + timeout)
        _end(proc)
        proc = None

        def read(name):
            p = os.path.join(scratch, name)
            return open(p, errors="replace").read() if os.path.exists(p) else ""

        rc_text = read("rc").strip()
        rc = int(rc_text) if rc_text.isdigit() else None
        console_text = read("console") + read("modprobe.log")
        return GuestResult(rc, read("output"), console_text, time.monotonic() - start)
    finally:
        if proc is not None:
            _end(proc)
        shutil.rmtree(scratch, ignore_errors=True)


def _follow(proc, path, stream, deadline):
    """Copies what the guest appends to path into stream until it ends or the deadline."""
    pos = 0

    def copy():
        nonlocal pos
        try:
            with open(path, "rb") as f:
                f.seek(pos)
                data = f.read()
        except FileNotFoundError:
            return
        if data:
            pos += len(data)
            stream.write(data)
            stream.flush()

    while time.monotonic() < deadline:
        try:
            proc.wait(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            copy()
    copy()


def _end(proc):
    """Ends the guest's process group (UML's helper processes live in it)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def in_guest():
    return os.environ.get("VIGIL_UML_GUEST") == "1"


def main(test_file, timeout=240):
    """The __main__ of a UML test file: unittest in the guest, a boot of the guest on the host."""
    import unittest
    if in_guest():
        unittest.main(module="__main__", verbosity=2)
        return
    why = missing()
    if why:
        print(f"FAIL: this test needs User-Mode Linux: {why}", file=sys.stderr)
        sys.exit(1)
    r = run([sys.executable or "python3", "-u", os.path.abspath(test_file)], timeout=timeout)
    sys.stdout.write(r.output)
    print(f"[uml] guest ran {os.path.basename(test_file)} in {r.seconds:.1f} s, exit status {r.rc}")
    if r.rc is None:
        print(f"FAIL: the guest did not finish within {timeout} s; console:\n{r.console[-4000:]}")
        sys.exit(1)
    if r.rc != 0:
        print(f"guest console (tail):\n{r.console[-2000:]}")
    sys.exit(r.rc)


# `python3 uml.py`: checks the guest itself (modules, IPVS, a netns.Rig with two hosts).
SELF_TEST = r"""
import os, sys, subprocess
sys.path.insert(0, sys.argv[1])
from netns import Rig, sh
print(open("/proc/version").read().strip())
log = os.path.join(os.environ["VIGIL_UML_SCRATCH"], "modprobe.log")
print("modprobe:", (open(log).read().strip() if os.path.exists(log) else "") or "all loaded")
sh("ipvsadm", "-A", "-t", "10.9.9.9:80", "-s", "mh")
print(sh("ipvsadm", "-Sn").stdout.strip())
sh("ipvsadm", "-C")
with Rig("u") as rig:
    a = rig.add_host("a", ["10.1.0.1/24"])
    b = rig.add_host("b", ["10.1.0.2/24"])
    print(a.run("ping", "-c", "1", "-W", "2", "10.1.0.2").stdout.splitlines()[-1])
print("self-test ok")
"""

if __name__ == "__main__":
    if in_guest():
        sys.exit("uml.py is not a test")
    res = run([sys.executable, "-c", SELF_TEST, HERE], timeout=120)
    print(res.output)
    print(f"rc={res.rc} in {res.seconds:.1f} s")
    if res.rc != 0:
        print(res.console[-3000:])
    sys.exit(0 if res.rc == 0 else 1)
