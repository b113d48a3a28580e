#!/usr/bin/env python3
"""Prints each change nftables announces in this network namespace, as it arrives:

  MONOTONIC_SECONDS KIND TABLE OBJECT     (e.g. "1234.5678 newrule vigil svc_12")

It listens to the kernel's nftables multicast group itself: `nft monitor` first reads the
whole ruleset, which takes seconds on a table of 10,000 chains. Run it with `ip netns exec`;
it prints "ready" once subscribed.
"""
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNLGRP_NFTABLES = 7
NFNL_SUBSYS_NFTABLES = 10
# message type: (kind, attribute holding the table, attribute naming the object)
MESSAGES = {
    0: ("newtable", 1, 1), 2: ("deltable", 1, 1),
    3: ("newchain", 1, 3), 5: ("delchain", 1, 3),
    6: ("newrule", 1, 2), 8: ("delrule", 1, 2),
    9: ("newset", 1, 2), 11: ("delset", 1, 2),
    12: ("newsetelem", 1, 2), 14: ("delsetelem", 1, 2),
    15: ("newgen", None, None),
}


def attrs(data):
    out, i = {}, 0
    while i + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, i)
        if length < 4:
            break
        out[kind & 0x3fff] = data[i + 4:i + length]
        i += (length + 3) & ~3
    return out


def text(b):
    return b.rstrip(b"\0").decode(errors="replace") if b else "-"


def main():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    s.bind((0, 1 << (NFNLGRP_NFTABLES - 1)))
    print("ready", flush=True)
    while True:
        try:
            data = s.recv(1 << 20)
        except OSError as e:  # ENOBUFS: more than the buffer holds came at once
            sys.stdout.write(f"{time.monotonic():.6f} overflow {e.errno} -\n")
            sys.stdout.flush()
            continue
        now = time.monotonic()
        i = 0
        while i + 16 <= len(data):
            length, mtype = struct.unpack_from("=IH", data, i)
            if length < 16:
                break
            if mtype >> 8 == NFNL_SUBSYS_NFTABLES and (mtype & 0xff) in MESSAGES:
                kind, tattr, oattr = MESSAGES[mtype & 0xff]
                a = attrs(data[i + 20:i + length])  # past nlmsghdr (16) and nfgenmsg (4)
                table = text(a.get(tattr)) if tattr else "-"
                obj = text(a.get(oattr)) if oattr else "-"
                sys.stdout.write(f"{now:.6f} {kind} {table} {obj}\n")
            i += (length + 3) & ~3
        sys.stdout.flush()


if __name__ == "__main__":
    main()
