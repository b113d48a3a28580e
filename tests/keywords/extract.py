#!/usr/bin/env python3
"""Extracts the keyword list of keepalived.conf(5) into keepalived-2.2.7.txt, and with
--synopsis each keyword's block, arguments and default into keepalived-2.2.7-synopsis.tsv
(read by doc/man/vigil_conf_man.py).

Source: the keepalived.conf(5) man page of Debian's keepalived 2.2.7 package
(/usr/share/man/man5/keepalived.conf.5.gz, dated 2022-01-15). A keyword is a bold word that
starts a line of the page; the few bold words that are prose, not keywords, are listed below.
Run once per keepalived version:
    python3 extract.py > keepalived-2.2.7.txt
    python3 extract.py --synopsis > keepalived-2.2.7-synopsis.tsv
"""
import gzip
import re
import sys

args = [a for a in sys.argv[1:] if a != "--synopsis"]
PAGE = args[0] if args else "/usr/share/man/man5/keepalived.conf.5.gz"
# Bold words at a line start that are headings, prose or placeholders.
PROSE = {"BFD", "GLOBAL", "Global", "Important", "LVS", "NOT", "Note", "Static", "VRRP", "VRRPD",
         "Virtual", "keepalived", "val1", "start", "flag-1", "flag-2", "flag-3"}
# Sections whose keywords, outside any block of the page's examples, belong to a block.
SECTION_BLOCK = {"Global definitions": "global_defs", "Linkbeat interfaces": "global_defs"}

text = gzip.open(PAGE, "rt").read() if PAGE.endswith(".gz") else open(PAGE).read()
KW = re.compile(r"\s*\\fB([A-Za-z_][A-Za-z_0-9-]*)")


def plain(s):
    s = re.sub(r"\\f[BRIP]", "", s)
    s = s.replace("\\-", "-").replace("\\e", "\\").replace("\\(aq", "'").replace("\\&", "")
    return " ".join(s.split())


if "--synopsis" not in sys.argv:
    words = set()
    for line in text.splitlines():
        m = re.match(KW, line)
        if m and m.group(1) not in PROSE:
            words.add(m.group(1))
    print("\n".join(sorted(words)))
    sys.exit(0)

# Blocks are followed through the braces of the page's examples; the comment lines just above
# a keyword are searched for its default.
DEFAULT = re.compile(r"\(?\b[Dd]efault(?:s)?(?: is| value is| to|:| =)?\s+\(?([^\s,;)]+)")
VALUE = re.compile(r"^(-?[0-9][0-9.]*[a-z]*|/\S+|\S*[._@]\S*|[A-Z0-9_]*[0-9|][A-Z0-9_|]*)$")
KEYWORDS = {m.group(1) for m in (re.match(KW, ln) for ln in text.splitlines()) if m}
rows, seen = [], set()
section, stack, comments = "", [], []
for line in text.splitlines():
    if line.startswith(".SH"):
        section = line[3:].strip().strip('"')
        stack, comments = [], []
        continue
    if line.startswith(".nf") or line.startswith(".fi"):
        stack, comments = [], []
        continue
    stripped = line.strip()
    if stripped.startswith("#"):
        comments.append(plain(stripped[1:]))
        continue
    m = re.match(KW, line)
    code = re.sub(r"#.*", "", plain(line))
    opens, closes = code.count("{"), code.count("}")
    if m and m.group(1) not in PROSE:
        kw = m.group(1)
        block = stack[-1] if stack else SECTION_BLOCK.get(section, "top")
        block = "checker" if block == "CHECKER_TYPE" else block
        rest = plain(line[m.end():])
        rest = re.sub(r"\s*#.*", "", rest).rstrip("{ ").strip()
        default = ""
        for c in comments[-6:]:
            d = DEFAULT.search(c)
            # A value, not prose; and not another keyword's ("weight defaults to 1").
            v = d.group(1).rstrip(".:") if d else ""
            before = c[:d.start()].split() if d else []
            if v and VALUE.match(v) and not (before and before[-1].strip("(") not in (kw, "the")
                                             and re.fullmatch(r"\(?[a-z_]+", before[-1])
                                             and before[-1].strip("(") in KEYWORDS):
                default = v
        if (kw, block) not in seen:
            seen.add((kw, block))
            rows.append((kw, block, rest, default))
        if opens > closes:
            stack.append(kw)
    elif opens > closes and code:
        stack.append(code.split()[0])
    for _ in range(closes - opens):
        if stack:
            stack.pop()
    if not stripped or not stripped.startswith("#"):
        comments = [] if not m else comments[:0]
print("# keyword\tblock\targuments\tdefault (from keepalived.conf(5) 2.2.7, see extract.py)")
for r in sorted(rows):
    print("\t".join(r))
