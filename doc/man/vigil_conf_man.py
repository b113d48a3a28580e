#!/usr/bin/env python3
"""Writes vigil.conf(5) from the sources, so the page cannot drift from what vigild reads.

Inputs: the keyword handlers in daemon/config/*.cpp (keyword tables and `k == "..."` dispatch),
the keyword census (tests/keywords/census.tsv: the verdict on every keepalived 2.2.7 keyword),
keepalived's keyword list and its synopsis lines (block, arguments, default) extracted from
keepalived.conf(5) 2.2.7 (tests/keywords/extract.py).

    vigil_conf_man.py --source DIR --output vigil.conf.5 [--version V]
    vigil_conf_man.py --source DIR --handled    # the handled keywords, one a line
"""
import argparse
import glob
import os
import re
import sys
import time

# Vigil's own keywords: (block, arguments, default, what it does).
VIGIL_ONLY = {
    "lvs_backend": ("global_defs", "ipvs|nftables|auto", "auto",
                    "The data plane of the virtual-server table: the kernel's IPVS over generic "
                    "netlink, or an nftables table; auto takes IPVS when the kernel has it."),
    "status_socket": ("global_defs", "PATH", "derived from the pid file",
                      "The Unix socket that answers vigild --status (JSON)."),
    "metrics_listen": ("global_defs", "ADDR:PORT", "none",
                       "Serve Prometheus text metrics over HTTP at /metrics."),
    "tmp_dir": ("global_defs", "DIR", "$TMPDIR or /tmp", "Where the USR1/USR2 dumps go."),
    "data_file": ("global_defs", "PATH", "derived from the pid file", "The USR1 data dump."),
    "stats_file": ("global_defs", "PATH", "derived from the pid file",
                   "The USR2 statistics dump."),
}
# Older spellings keepalived still reads, and the keyword each stands for.
ALIASES = {
    "lb_algo": "lvs_sched", "lb_kind": "lvs_method", "nb_get_retry": "retry",
    "vrrp_track_file": "track_file", "lvs_sync_daemon_interface": "lvs_sync_daemon",
    "lb_flags": "flag-1", "lvs_flags": "flag-1", "enable_snmp_keepalived": "enable_snmp_vrrp",
}
# Words the dispatch compares that are arguments of a keyword, not keywords.
ARGUMENT_OF = {"tcp": "lvs_timeouts", "tcpfin": "lvs_timeouts", "udp": "lvs_timeouts"}
# The block a handler's file reads when keepalived's page names none.
FILE_BLOCK = {"global_defs.cpp": "global_defs", "vrrp_blocks.cpp": "vrrp_instance",
              "lvs_blocks.cpp": "virtual_server", "checker_blocks.cpp": "virtual_server",
              "load.cpp": "top", "ip_lines.cpp": "vrrp_instance"}
BLOCK_ORDER = ["top", "global_defs", "vrrp_script", "track_file", "vrrp_track_process",
               "vrrp_sync_group", "garp_group", "vrrp_instance", "authentication",
               "virtual_server_group", "virtual_server", "real_server", "checker", "TCP_CHECK",
               "HTTP_GET", "SSL_GET", "url", "SSL", "MISC_CHECK", "SMTP_CHECK", "DNS_CHECK",
               "UDP_CHECK", "FILE_CHECK", "PING_CHECK", "BFD_CHECK", "bfd_instance"]

TABLE_ENTRY = re.compile(r'\{"([A-Za-z_][A-Za-z0-9_]*)",(\s*unsupported_)?(?=\s*(?:\n|\[\]|unsupported_))')
DISPATCH = re.compile(r'\b(?:k|ck|key\.text)\s*==\s*"([A-Za-z_][A-Za-z0-9_]*)"')


def handled(source):
    """{keyword: (set of files, only-unsupported-handlers)} from daemon/config."""
    out = {}
    for path in sorted(glob.glob(os.path.join(source, "daemon", "config", "*.cpp"))):
        name = os.path.basename(path)
        if name == "json.cpp":  # the --dump-config writer, not a reader
            continue
        text = open(path).read()
        for m in TABLE_ENTRY.finditer(text):
            files, unsup = out.get(m.group(1), (set(), True))
            out[m.group(1)] = (files | {name}, unsup and bool(m.group(2)))
        for m in DISPATCH.finditer(text):
            files, _ = out.get(m.group(1), (set(), True))
            out[m.group(1)] = (files | {name}, False)
    return out


def read_tsv(path):
    rows = []
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        rows.append(line.rstrip("\n").split("\t"))
    return rows


def roff(s):
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return ("\\&" + s) if s[:1] in ".'" else s


def verdict_text(verdict, where):
    if verdict == "test":
        return "supported"
    if verdict == "unsupported":
        return "not supported: accepted with a warning and ignored"
    if verdict == "inside":
        return f"not supported: ignored with its block, {where[0]}"
    if verdict == "loud":
        return f"refused or warned about: \"{where[1] if len(where) > 1 else ''}\""
    return verdict


# Where keepalived.conf(5)'s comments do not say what the extraction reads from them: an example
# value taken for the argument, a neighbouring number taken for the default, a cut-off text.
SYNOPSIS_FIXES = {
    ("startup_script", "global_defs"): ("SCRIPT_NAME [username [groupname]]", ""),
    ("track_script", "vrrp_instance"): ("", ""),
    ("nftables_ipvs", "global_defs"): ("[TABLENAME]", ""),
    ("persistence_timeout", "virtual_server"): ("[<INTEGER>]", "360 when given without a value"),
    ("notification_email_from", "global_defs"): ("ADDRESS", "keepalived@<local host name>"),
    ("vrrp_garp_interval", "global_defs"): ("<SECONDS>", "0"),
    ("vrrp_gna_interval", "global_defs"): ("<SECONDS>", "0"),
    ("vrrp_garp_lower_prio_delay", "global_defs"): ("<SECONDS>", "vrrp_garp_master_delay"),
    ("vrrp_garp_lower_prio_repeat", "global_defs"): ("<INTEGER>", "vrrp_garp_master_repeat"),
    ("vrrp_garp_master_delay", "global_defs"): ("<SECONDS>", "5"),
    ("vrrp_garp_master_refresh", "global_defs"): ("<SECONDS>", "0 (no refresh)"),
    ("vrrp_garp_master_refresh_repeat", "global_defs"): ("<INTEGER>", "1"),
    ("vrrp_garp_master_repeat", "global_defs"): ("<INTEGER>", "5"),
    ("vrrp_rlimit_rttime", "global_defs"): ("<MICROSECONDS>", "10000"),
    ("admin@example.com", "global_defs"): ("", ""),
}
# Keys of a block's header rather than keywords of their own at the top level.
NOT_AT_TOP = {"fwmark", "group"}


def build(source):
    kw_dir = os.path.join(source, "tests", "keywords")
    keepalived = set(open(os.path.join(kw_dir, "keepalived-2.2.7.txt")).read().split())
    census = {r[0]: (r[1], r[2:]) for r in read_tsv(os.path.join(kw_dir, "census.tsv"))}
    synopsis = {}
    for r in read_tsv(os.path.join(kw_dir, "keepalived-2.2.7-synopsis.tsv")):
        r += [""] * (4 - len(r))
        if r[1] == "top" and r[0] in NOT_AT_TOP:
            continue
        args, default = SYNOPSIS_FIXES.get((r[0], r[1]), (r[2], r[3]))
        synopsis.setdefault(r[0], []).append((r[1], args, default))
    code = handled(source)

    entries = {}  # block -> [(keyword, args, default, keepalived, vigil, note)]
    for kw in sorted(keepalived | set(code)):
        files, only_unsupported = code.get(kw, (set(), True))
        in_keepalived = kw in keepalived
        note = ""
        if kw in VIGIL_ONLY:
            block, args, default, note = VIGIL_ONLY[kw]
            places = [(block, args, default)]
            support = "supported (Vigil only)"
        else:
            places = synopsis.get(kw) or []
            if kw in ARGUMENT_OF:
                places = [(ARGUMENT_OF[kw], "", "")]
                note = f"An argument of {ARGUMENT_OF[kw]}."
            if not places:
                base = ALIASES.get(kw)
                places = [(p[0], p[1], p[2]) for p in synopsis.get(base, [])] if base else []
                if base:
                    note = f"An older spelling of {base}."
            if not places:
                blocks = sorted({FILE_BLOCK.get(f, "top") for f in files}) or ["top"]
                places = [(b, "", "") for b in blocks]
            if kw in census:
                support = verdict_text(*census[kw])
            elif files and not only_unsupported:
                support = "supported"
            elif files:
                support = "not supported: accepted with a warning and ignored"
            else:
                support = "not read by vigild"
        for block, args, default in places:
            entries.setdefault(block, []).append(
                (kw, args, default, in_keepalived or kw in ALIASES, support, note))
    return entries, code


def page(entries, version, date):
    out = [
        f'.TH VIGIL.CONF 5 "{date}" "Vigil {version}" "File formats"',
        ".SH NAME",
        "vigil.conf \\- configuration file of vigild (a keepalived.conf)",
        ".SH SYNOPSIS",
        "/etc/keepalived/keepalived.conf, /etc/vigil/vigild.conf",
        ".SH DESCRIPTION",
        "\\fBvigild\\fR(8) reads keepalived's configuration format as it is: blocks in braces,",
        "one keyword and its arguments a line, \\fBinclude\\fR files, \\fB$NAME\\fR definitions",
        "and \\fB@ID\\fR conditional lines.",
        "The meaning of each keyword is the one \\fBkeepalived.conf\\fR(5) gives it.",
        "This page lists every keyword keepalived 2.2.7 documents and every keyword vigild reads,",
        "by the block it appears in, with its arguments and default as keepalived's page shows",
        "them, and what vigild does with it.",
        ".PP",
        "A keyword marked \\fInot supported\\fR is accepted with",
        "\\fIFILE:LINE:COL: warning: 'KEYWORD' is not supported by vigild; ignored\\fR",
        "(once per keyword, at \\fB\\-t\\fR and at start\\-up) and is listed under",
        "\\fBunsupported_keywords\\fR in \\fBvigild \\-\\-status \\-\\-json\\fR.",
        "An unknown keyword is an error under \\fBvigild \\-t\\fR and a warning at start\\-up.",
        ".PP",
        "This page is generated from vigild's keyword tables and its keyword census when vigild",
        "is built.",
    ]
    order = BLOCK_ORDER + sorted(b for b in entries if b not in BLOCK_ORDER)
    for block in order:
        if block not in entries:
            continue
        title = "Top level" if block == "top" else block
        out.append(f".SH {roff(title).upper() if block == 'top' else 'BLOCK ' + roff(title)}")
        for kw, args, default, in_keepalived, support, note in entries[block]:
            out.append(".TP")
            out.append(f"\\fB{roff(kw)}\\fR" + (f" \\fI{roff(args)}\\fR" if args else ""))
            facts = []
            if default:
                facts.append(f"Default: {roff(default)}.")
            facts.append("keepalived 2.2.7: " + ("yes." if in_keepalived else "no."))
            facts.append(f"Vigil: {roff(support)}.")
            out.append(" ".join(facts))
            if note:
                out.append(".br")
                out.append(roff(note))
    out += [
        ".SH FILES",
        "/etc/keepalived/keepalived.conf (the default of \\fB\\-f\\fR),",
        "/etc/vigil/vigild.conf (the packaged sample).",
        ".SH SEE ALSO",
        "\\fBvigild\\fR(8), \\fBvigil\\-realserver\\fR(8), \\fBkeepalived.conf\\fR(5)",
    ]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--output")
    ap.add_argument("--version", default="")
    ap.add_argument("--handled", action="store_true")
    ap.add_argument("--date", help="YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else today)")
    a = ap.parse_args()
    entries, code = build(a.source)
    if a.handled:
        print("\n".join(sorted(code)))
        return 0
    stamp = int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
    date = a.date or time.strftime("%Y-%m-%d", time.gmtime(stamp))
    text = page(entries, a.version, date)
    if a.output:
        with open(a.output + ".tmp", "w") as f:
            f.write(text)
        os.replace(a.output + ".tmp", a.output)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
