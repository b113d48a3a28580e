"""The man pages: each is valid roff, and vigil.conf(5) holds every keyword vigild reads.

The keyword list here is read from daemon/config/*.cpp on its own terms (every string a keyword
table holds, every string dispatch compares a keyword with), not through the page's generator,
so a handler the generator missed fails this test.
"""
import glob
import gzip
import os
import re
import subprocess
import sys
import tempfile
import unittest

BUILD = os.environ.get("VIGIL_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
SOURCE = os.environ.get("VIGIL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
MAN = os.path.join(BUILD, "man")
HAND = [os.path.join(SOURCE, "doc", "man", p)
        for p in ("vigild.8", "vigilctl.8", "vigil-realserver.8", "vigil-genhash.1")]
CONF = os.path.join(MAN, "vigil.conf.5")


def read(path):
    with open(path) as f:
        return f.read()


def page_keywords(text):
    """Keyword -> the entry's text, for every .TP entry."""
    out = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line == ".TP" and i + 1 < len(lines):
            m = re.match(r"\\fB((?:[A-Za-z0-9_]|\\-)+)\\fR", lines[i + 1])
            if m:
                kw = m.group(1).replace("\\-", "-")
                body = " ".join(lines[i + 2:i + 5])
                out.setdefault(kw, []).append(body.replace("\\-", "-"))
    return out


def source_keywords():
    found = set()
    for path in glob.glob(os.path.join(SOURCE, "daemon", "config", "*.cpp")):
        if path.endswith("json.cpp"):
            continue
        text = read(path)
        # A keyword table's entry: {"name", handler}; a handler is a lambda or a function.
        found |= set(re.findall(r'\{\s*"([A-Za-z_]\w*)",\s*(?:\[\]|unsupported_kw|\n)', text))
        # Dispatch on the keyword of a line: k == "name", ck == "name", n.key.text == "name".
        found |= set(re.findall(r'\b(?:k|ck|key\.text)\s*==\s*"([A-Za-z_]\w*)"', text))
    return found


class ManPages(unittest.TestCase):
    def lint(self, path):
        r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", path], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.stdout + r.stderr, "", f"mandoc on {path}")
        r = subprocess.run(["groff", "-man", "-ww", "-z", path], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.stdout + r.stderr, "", f"groff on {path}")
        r = subprocess.run(["man", "-l", path], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, MANPAGER="cat", MANWIDTH="80"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("NAME", r.stdout)
        return r.stdout

    def test_pages_are_clean_roff(self):
        for path in HAND + [CONF]:
            self.lint(path)

    def test_installed_form_is_the_same_page(self):
        for path in HAND + [CONF]:
            gz = os.path.join(MAN, os.path.basename(path) + ".gz")
            self.assertEqual(gzip.open(gz, "rt").read(), read(path), gz)

    def test_vigil_conf_lists_every_handled_keyword(self):
        kws = page_keywords(read(CONF))
        handled = source_keywords()
        self.assertGreater(len(handled), 250, "the source scan found too few keywords")
        missing = sorted(handled - set(kws))
        self.assertEqual(missing, [], "handled in daemon/config but not in vigil.conf(5)")
        for kw in read(os.path.join(SOURCE, "tests", "keywords", "keepalived-2.2.7.txt")).split():
            self.assertIn(kw, kws, f"keepalived keyword {kw} missing from vigil.conf(5)")

    def test_vigil_conf_says_what_is_supported(self):
        kws = page_keywords(read(CONF))
        census = {}
        for line in read(os.path.join(SOURCE, "tests", "keywords", "census.tsv")).splitlines():
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            census[cols[0]] = cols[1]
        for kw, verdict in census.items():
            for body in kws[kw]:
                if verdict == "test":
                    self.assertIn("Vigil: supported", body, kw)
                elif verdict in ("unsupported", "inside"):
                    self.assertIn("Vigil: not supported", body, kw)
        for kw in ("lvs_backend", "metrics_listen", "status_socket"):
            self.assertIn("keepalived 2.2.7: no", kws[kw][0], kw)
            self.assertIn("global_defs", read(CONF).split(f"\\fB{kw}\\fR")[0].rsplit(".SH", 1)[1])
        # A default and arguments from keepalived's synopsis.
        self.assertTrue(any("Default: 5" in b for b in kws["vrrp_garp_master_delay"]))

    def test_page_is_current(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "vigil.conf.5")
            subprocess.run([sys.executable, os.path.join(SOURCE, "doc", "man", "vigil_conf_man.py"),
                            "--source", SOURCE, "--output", out, "--version", "x"], check=True,
                           timeout=60)
            strip = lambda t: re.sub(r"^\.TH .*$", "", t, count=1, flags=re.M)  # noqa: E731
            self.assertEqual(strip(read(out)), strip(read(CONF)),
                             "the built vigil.conf(5) is older than its sources: rebuild")


if __name__ == "__main__":
    unittest.main(verbosity=2)
