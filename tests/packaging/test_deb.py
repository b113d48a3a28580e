"""The Debian package: cpack builds it, it unpacks into a scratch root (never onto this host),
the unpacked vigild checks the packaged sample configuration, and lintian finds no error.

The sample names eth0, so `vigild -t` runs in a network namespace made for the test with a dummy
eth0: the result does not depend on the host's interfaces.
"""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("VIGIL_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))

FILES = [
    "usr/sbin/vigild", "usr/sbin/vigilctl", "usr/bin/vigil-genhash", "usr/sbin/vigil-realserver",
    "usr/share/man/man8/vigild.8.gz", "usr/share/man/man8/vigilctl.8.gz",
    "usr/share/man/man8/vigil-realserver.8.gz",
    "usr/share/man/man5/vigil.conf.5.gz", "usr/share/man/man1/vigil-genhash.1.gz",
    "lib/systemd/system/vigild.service", "etc/init.d/vigild", "etc/vigil/vigild.conf",
    "etc/default/vigild",
    "usr/share/doc/vigil/copyright", "usr/share/doc/vigil/changelog.gz",
    "usr/lib/vigil/vigil-tls-openssl.so",
]


def run(*argv, timeout=120, **kw):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, **kw)


class DebPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="vigil-deb-")
        try:
            r = run("cpack", "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"),
                    "-B", os.path.join(cls.tmp, "out"), timeout=280)
            assert r.returncode == 0, f"cpack failed:\n{r.stdout}\n{r.stderr}"
            debs = glob.glob(os.path.join(cls.tmp, "out", "*.deb"))
            assert len(debs) == 1, debs
            cls.deb = debs[0]
            cls.root = os.path.join(cls.tmp, "root")
            r = run("dpkg", "-x", cls.deb, cls.root)
            assert r.returncode == 0, r.stderr
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def field(self, name):
        return run("dpkg-deb", "-f", self.deb, name).stdout.strip()

    def test_contents(self):
        for f in FILES:
            self.assertTrue(os.path.isfile(os.path.join(self.root, f)), f"{f} not in the package")
        for f in ("usr/sbin/vigild", "usr/sbin/vigilctl", "usr/bin/vigil-genhash",
                  "usr/sbin/vigil-realserver", "etc/init.d/vigild"):
            self.assertTrue(os.access(os.path.join(self.root, f), os.X_OK), f)
        ctrl = os.path.join(self.tmp, "ctrl")
        self.assertEqual(run("dpkg-deb", "-e", self.deb, ctrl).returncode, 0)
        with open(os.path.join(ctrl, "conffiles")) as f:
            self.assertEqual(set(f.read().split()), {"/etc/init.d/vigild", "/etc/vigil/vigild.conf",
                                                "/etc/default/vigild"})

    def needed(self, f):
        r = run("readelf", "-d", os.path.join(self.root, f))
        self.assertEqual(r.returncode, 0, r.stderr)
        return [ln.split("[")[1].rstrip("]") for ln in r.stdout.splitlines() if "(NEEDED)" in ln]

    def test_openssl_only_in_the_tls_plugin(self):
        for f in ("usr/sbin/vigild", "usr/bin/vigil-genhash"):
            self.assertEqual([lib for lib in self.needed(f) if "ssl" in lib or "crypto" in lib],
                             [], f)
        plugin = self.needed("usr/lib/vigil/vigil-tls-openssl.so")
        self.assertIn("libssl.so.3", plugin)
        self.assertIn("libcrypto.so.3", plugin)
        # The packaged genhash opens the packaged plugin (found beside its own directory).
        env = {k: v for k, v in os.environ.items() if k != "VIGIL_TLS_PLUGIN"}
        env["LD_DEBUG"] = "files"
        r = run(os.path.join(self.root, "usr/bin/vigil-genhash"), "-s", "127.0.0.1", "-p", "1",
                "-u", "/", "-S", env=env)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Connection failed", r.stderr)
        opened = os.path.join(self.root, "usr/lib/vigil/vigil-tls-openssl.so")
        self.assertIn(f"file={opened}", r.stderr)

    def test_depends_come_from_the_binaries(self):
        depends = self.field("Depends")
        for lib in ("libc6", "libnl-3-200", "libnl-route-3-200", "libnl-genl-3-200",
                    "libnftables1", "libssl3", "libfmt9", "iproute2"):
            self.assertIn(lib, depends)
        self.assertEqual(self.field("Package"), "vigil")

    def test_maintainer_is_the_builder(self):
        maint = self.field("Maintainer")
        self.assertRegex(maint, r"^[^<>]+ <[^<>@ ]+@[^<>@ ]+>$")
        self.assertNotIn("example.org", maint)
        # The changelog's trailer names the same person.
        r = run("sh", "-c", f"gzip -dc {self.root}/usr/share/doc/vigil/changelog.gz")
        self.assertIn(f" -- {maint}  ", r.stdout)

    def test_service_takes_its_file_from_etc_default(self):
        unit = os.path.join(self.root, "lib/systemd/system/vigild.service")
        with open(unit) as f:
            text = f.read()
        self.assertIn("EnvironmentFile=-/etc/default/vigild", text)
        self.assertRegex(text, r"ExecStart=/usr/sbin/vigild -n -f \$\{CONFIG\} ")
        # Environment= comes before EnvironmentFile=, so the file's CONFIG wins.
        self.assertLess(text.index("Environment=CONFIG="), text.index("EnvironmentFile="))
        with open(os.path.join(self.root, "etc/default/vigild")) as f:
            self.assertIn("CONFIG=/etc/vigil/vigild.conf", f.read())
        if shutil.which("systemd-analyze"):
            # Verified on this host's systemd, its programs taken from the unpacked package.
            copy = os.path.join(self.tmp, "vigild.service")
            with open(copy, "w") as f:
                f.write(text.replace("/usr/sbin/", os.path.join(self.root, "usr/sbin/")))
            r = run("systemd-analyze", "verify", copy)
            # The man pages are looked up on this host, which has not installed them.
            complaints = [ln for ln in (r.stdout + r.stderr).splitlines()
                          if "vigild.service" in ln and "Command 'man " not in ln]
            self.assertEqual(complaints, [])
        # The init script reads CONFIG from the same file.
        env = {"PATH": os.environ["PATH"], "DAEMON": "/bin/false",
               "PIDFILE": os.path.join(self.tmp, "none.pid")}
        script = os.path.join(self.root, "etc/init.d/vigild")
        defaults = os.path.join(self.tmp, "default-vigild")
        with open(defaults, "w") as f:
            f.write("CONFIG=/etc/vigil/vigild.conf\n")
        with open(script) as f:
            body = f.read().replace("/etc/default/vigild", defaults)
        tried = os.path.join(self.tmp, "init-copy")
        with open(tried, "w") as f:
            f.write(body)
        r = run("sh", tried, "start", env=env)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("-t -f /etc/vigil/vigild.conf", r.stderr)

    def test_installed_programs_run(self):
        vigild = os.path.join(self.root, "usr/sbin/vigild")
        r = run(vigild, "--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("vigild "), r.stdout)
        r = run(os.path.join(self.root, "usr/sbin/vigilctl"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("drain VS RS", r.stderr)
        r = run(os.path.join(self.root, "usr/bin/vigil-genhash"), "--help")
        self.assertIn("--server", r.stdout + r.stderr)
        r = run(os.path.join(self.root, "usr/sbin/vigil-realserver"), "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("start|stop|status", r.stdout)
        self.assertEqual(run("file", vigild).stdout.count("not stripped"), 0, "vigild not stripped")

    def test_installed_vigild_checks_the_sample(self):
        ns = f"vgdeb{os.getpid()}"
        self.assertEqual(run("ip", "netns", "add", ns).returncode, 0)
        try:
            for cmd in (["link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"],
                        ["link", "set", "eth0", "up"],
                        ["link", "set", "lo", "up"]):
                self.assertEqual(run("ip", "-n", ns, *cmd).returncode, 0, cmd)
            conf = os.path.join(self.root, "etc/vigil/vigild.conf")
            r = run("ip", "netns", "exec", ns, os.path.join(self.root, "usr/sbin/vigild"), "-t",
                    "-f", conf)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("0 error(s)", r.stderr)
            # And -t fails on a broken copy: the check is real.
            bad = os.path.join(self.tmp, "bad.conf")
            with open(conf) as f, open(bad, "w") as out:
                out.write(f.read().replace("virtual_router_id 51", "virtual_router_id 300"))
            r = run("ip", "netns", "exec", ns, os.path.join(self.root, "usr/sbin/vigild"), "-t",
                    "-f", bad)
            self.assertEqual(r.returncode, 5, r.stderr)
        finally:
            run("ip", "netns", "del", ns)

    def test_lintian_reports_no_error(self):
        r = run("lintian", "--tag-display-limit", "0", self.deb, timeout=280)
        out = r.stdout + r.stderr
        print(out)
        errors = [ln for ln in out.splitlines() if ln.startswith("E:")]
        self.assertEqual(errors, [])
        self.assertEqual(r.returncode, 0, out)  # lintian fails on errors by default
        # lintian ran on the package (an unreadable file would make it say so and exit 2).
        self.assertNotIn("not a Debian package", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
