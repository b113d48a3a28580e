#!/usr/bin/env python3
"""Extracts the keyword list of keepalived.conf(5) into keepalived-2.2.7.txt.

Source: the keepalived.conf(5) man page of Debian's keepalived 2.2.7 package
(/usr/share/man/man5/keepalived.conf.5.gz, dated 2022-01-15). A keyword is a bold word that
starts a line of the page; the few bold words that are prose, not keywords, are listed below.
Run once per keepalived version: python3 extract.py > keepalived-2.2.7.txt
"""
import gzip
import re
import sys

PAGE = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/man/man5/keepalived.conf.5.gz"
# Bold words at a line start that are headings, prose or placeholders.
PROSE = {"BFD", "GLOBAL", "Global", "Important", "LVS", "NOT", "Note", "Static", "VRRP", "VRRPD",
         "Virtual", "keepalived", "val1", "start", "flag-1", "flag-2", "flag-3"}

text = gzip.open(PAGE, "rt").read() if PAGE.endswith(".gz") else open(PAGE).read()
words = set()
for line in text.splitlines():
    m = re.match(r"\s*\\fB([A-Za-z_][A-Za-z_0-9-]*)", line)
    if m and m.group(1) not in PROSE:
        words.add(m.group(1))
print("\n".join(sorted(words)))
