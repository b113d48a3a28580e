"""lvs_flush and lvs_flush_on_stop under the nftables backend (namespaces): the data plane owns
one table and holds nothing else, so both only say so in the log; the table is there while
vigild runs and gone after stop, as without them."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp_rig import RigTest, global_conf, wait_until  # noqa: E402

CONF = ("virtual_server 10.99.0.50 80 {\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n"
        "    real_server 10.99.0.2 80 {\n        weight 1\n    }\n}\n")


class NftFlush(RigTest):
    TAG = "nf"

    def tables(self, host):
        return host.run("nft", "list", "tables", check=False).stdout

    def test_both_are_logged_no_ops(self):
        r1 = self.rig.add_host("r1", ["10.99.0.1/24"])
        d = self.start(r1, "d", global_conf("nf", "    lvs_backend nftables\n    lvs_flush\n"
                                                  "    lvs_flush_on_stop\n") + CONF)
        self.assertIsNotNone(wait_until(lambda: "vigil" in self.tables(r1), 8), "no nft table")
        self.assertIn("lvs_flush: the nftables backend has only its own table", d.logtext())
        self.assertEqual(d.stop(), 0)
        self.assertNotIn("vigil", self.tables(r1))
        self.assertIn("lvs_flush_on_stop: the nftables backend removes its own table",
                      d.logtext())


if __name__ == "__main__":
    unittest.main(verbosity=2)
