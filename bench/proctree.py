# SPDX-License-Identifier: Apache-2.0
"""proctree.py: CPU seconds and memory of process trees, read from /proc, for
the IMAP benchmarks' side-by-side figures (one mail-imap process against
Dovecot's master and its per-connection imap processes).

tree(pids) is every live process under the given roots (the roots
included); cpu_seconds() sums utime+stime of those (a child that exited
during the run is not counted: the benches keep their connections, so the
processes that serve them live through it); memory_kib() sums Rss and Pss
and private pages from smaps_rollup (Pss splits shared pages among the
processes sharing them, the fair figure for a forking server). Trusts /proc; a process that vanishes
between listing and reading is skipped.
"""
import os

_HZ = os.sysconf("SC_CLK_TCK")


def _children():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rfind(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree(roots):
    kids = _children()
    out, stack = [], [int(p) for p in roots]
    while stack:
        p = stack.pop()
        out.append(p)
        stack += kids.get(p, [])
    return out


def cpu_seconds(roots):
    total = 0
    for p in tree(roots):
        try:
            with open("/proc/%d/stat" % p) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rfind(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _HZ


def memory_kib(roots):
    """{"procs", "rss", "pss", "private"} summed over the trees, KiB
    (private: Private_Clean + Private_Dirty, the pages no other process maps)."""
    out = {"procs": 0, "rss": 0, "pss": 0, "private": 0}
    keys = {"Rss:": "rss", "Pss:": "pss", "Private_Clean:": "private", "Private_Dirty:": "private"}
    for p in tree(roots):
        one = {"rss": 0, "pss": 0, "private": 0}
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    k = keys.get(line.split(None, 1)[0])
                    if k:
                        one[k] += int(line.split()[1])
        except OSError:
            continue
        out["procs"] += 1
        for k, v in one.items():
            out[k] += v
    return out
