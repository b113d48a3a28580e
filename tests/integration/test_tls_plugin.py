"""vigild maps OpenSSL only for SSL_GET: a configuration with an SSL { } block and no SSL_GET
runs without libssl, libcrypto or the TLS plugin in /proc/PID/maps; the first SSL_GET opens them
(test_checkers.py's test_ssl runs a real handshake through the plugin)."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from netns import VIGILD, Rig, wait_until  # noqa

CONFIG = """
SSL {{
    certificate /nonexistent/vigil/cert.pem
}}
vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {{
        192.0.2.100/32
    }}
}}
virtual_server 192.0.2.100 443 {{
    delay_loop 1
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 1 {{
        {check} {{
            {url}
            connect_timeout 1
        }}
    }}
}}
"""
TLS_LIBS = ("libssl.so", "libcrypto.so", "vigil-tls-openssl.so")


def tls_mapped(pid):
    with open(f"/proc/{pid}/maps") as f:
        text = f.read()
    return sorted({lib for lib in TLS_LIBS if lib in text})


class TlsPlugin(unittest.TestCase):
    def run_vigild(self, check, url):
        with Rig("tls") as rig:
            h = rig.add_host("h", ["192.0.2.1/24"])
            h.ip("link", "set", "lo", "up")
            d = rig.path("h")
            os.makedirs(d)
            conf = os.path.join(d, "vigild.conf")
            with open(conf, "w") as f:
                f.write(CONFIG.format(check=check, url=url))
            p = h.spawn([VIGILD, "-n", "-l", "-f", conf, "-p", f"{d}/pid",
                         "--status-socket", f"{d}/sock"], log=f"{d}/log")
            # Long enough for a few probes (delay_loop 1, no warmup).
            time.sleep(3)
            self.assertIsNone(p.poll(), open(f"{d}/log").read())
            mapped = tls_mapped(p.pid)
            self.assertEqual(rig.stop(p, signal.SIGTERM, timeout=10), 0)
            return mapped, open(f"{d}/log").read()

    def test_no_ssl_get_maps_no_openssl(self):
        mapped, log = self.run_vigild("TCP_CHECK", "")
        self.assertEqual(mapped, [], log)

    def test_ssl_get_opens_the_plugin(self):
        mapped, log = self.run_vigild("SSL_GET", "url { path / }")
        self.assertEqual(mapped, sorted(TLS_LIBS), log)


if __name__ == "__main__":
    unittest.main()
