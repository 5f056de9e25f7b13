#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""imap_idle.py: the two IDLE measurements of bench/imap-idle, against any
IMAP server (mail-imap, or Dovecot from ../shared/peers), standard library
only.

  imap_idle.py memory --port P [--tls] --connections N --accounts K --pid PID ...
      memory per idle connection: opens --warm connections and closes them
      (the server's one-time allocations: TLS context, caches, pools), reads
      the memory of the server's process tree (PID and its children: Rss and
      Pss from smaps_rollup), then opens N connections (connection j logs in
      as account j % K + first; TLS handshake, LOGIN, SELECT INBOX, IDLE,
      --concurrency at a time), waits --settle seconds, reads the memory
      again and reports (after - before) / N in KiB: Rss (for one process,
      its VmRSS), Pss and private pages (proctree.py). With
      --hold S it keeps them S seconds more and reports the server's CPU
      seconds meanwhile (what N sessions cost doing nothing: polls,
      keepalives; --cpu adds other trees, e.g. PostgreSQL's). With
      --metrics URL it shows mail-imap's gauges of connections and IDLE
      sessions meanwhile. Then DONE and LOGOUT on each.
  imap_idle.py push --port P [--tls] --sessions M --smtp-port S --messages R ...
      IDLE push latency: M sessions in IDLE on the INBOXes of accounts
      first..first+M-1 (one each, so an EXISTS names its message), then R
      messages sent over SMTP, one at a time at --rate a second, each to an
      account with no message on its way; reports, p50/p99/max, the time
      from the 250 after DATA to the untagged EXISTS at that account's idling
      client (and from MAIL FROM to it, and DATA's own 250 time). A message
      that raises no EXISTS within --timeout counts as lost.

Times are time.monotonic() in one event loop; the SMTP reply and the EXISTS
are each timed when the loop reads them, so the figures include the
driver's scheduling (small next to the server's: one message in flight).
"""
import argparse
import asyncio
import os
import random
import resource
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imap_client import Imap, ImapError, Smtp, add_connection_args, percentile, tls_context  # noqa: E402
from imap_load import make_message, user_name  # noqa: E402
import proctree  # noqa: E402


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, n)
    if hard != resource.RLIM_INFINITY and want > hard:
        want = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


async def open_idle(args, ctx, j):
    """One connection idling on INBOX of account j % K + first."""
    acct = j % args.accounts + args.first
    c = await Imap.connect(args.host, args.port, ctx, timeout=args.timeout)
    try:
        await c.login(user_name(args.user, acct), args.password)
        r = await c.command(b"SELECT INBOX")
        if not r.ok:
            raise ImapError("SELECT: %r" % r.line[:200])
        c.idle_tag = await c.idle()
    except BaseException:
        c.close()
        raise
    return c


async def open_many(args, ctx, n):
    """Connections 0..n-1, idling: (list indexed by j, None where it failed; errors)."""
    sem = asyncio.Semaphore(args.concurrency)
    conns, errors = [None] * n, []

    async def one(j):
        async with sem:
            try:
                conns[j] = await open_idle(args, ctx, j)
            except (ImapError, OSError) as e:
                errors.append("connection %d: %s" % (j, e))

    await asyncio.gather(*(one(j) for j in range(n)))
    return conns, errors


async def end_idle(c):
    try:
        c.send(b"DONE\r\n")
        await c.response(c.idle_tag)
        await c.command(b"LOGOUT")
    except (ImapError, OSError):
        pass
    c.close()


async def close_many(conns, concurrency=200):
    for i in range(0, len(conns), concurrency):
        await asyncio.gather(*(end_idle(c) for c in conns[i:i + concurrency]))


async def memory(args):
    ctx = tls_context() if args.tls else None
    raise_nofile(args.connections + args.warm + 256)
    pid = [int(p) for p in args.pid.split(",")]
    if args.warm:
        warm, errors = await open_many(args, ctx, args.warm)
        if errors:
            print("warm-up: %d of %d failed, first: %s" % (len(errors), args.warm, errors[0]))
        await close_many([c for c in warm if c])
        await asyncio.sleep(args.settle)
    m0 = proctree.memory_kib(pid)
    t0 = time.monotonic()
    conns, errors = await open_many(args, ctx, args.connections)
    conns = [c for c in conns if c]
    t_open = time.monotonic() - t0
    await asyncio.sleep(args.settle)
    m1 = proctree.memory_kib(pid)
    n = len(conns)
    print("%s: %d of %d %s connections idling on INBOX over %d accounts (opened in %.1f s, %.0f/s)" % (
        args.label, n, args.connections, "IMAPS" if args.tls else "IMAP", min(args.accounts, args.connections),
        t_open, n / t_open if t_open else 0), flush=True)
    for e in errors[:3]:
        print("  failed: %s" % e)
    if len(errors) > 3:
        print("  ... %d failed in all" % len(errors))
    if n:
        print("  server tree: %d -> %d processes; KiB before -> after: Rss %d -> %d, Pss %d -> %d, private %d -> %d" % (
            m0["procs"], m1["procs"], m0["rss"], m1["rss"], m0["pss"], m1["pss"], m0["private"], m1["private"]))
        print("  per idle connection: Rss %.1f KiB, Pss %.1f KiB, private %.1f KiB" % (
            (m1["rss"] - m0["rss"]) / n, (m1["pss"] - m0["pss"]) / n, (m1["private"] - m0["private"]) / n),
            flush=True)
    if args.metrics:
        try:
            with urllib.request.urlopen(args.metrics, timeout=10) as r:
                text = r.read().decode()
            shown = [l for l in text.splitlines() if l.startswith(("mail_imap_idle_sessions", "mail_imap_connections_current"))]
            print("  %s: %s" % (args.metrics, "; ".join(shown)))
        except OSError as e:
            print("  %s: %s" % (args.metrics, e))
    if args.hold and n:
        groups = {"server": pid}
        for spec in args.cpu or []:
            name, pids = spec.split("=", 1)
            groups[name] = [int(p) for p in pids.split(",") if p]
        c0 = {k: proctree.cpu_seconds(v) for k, v in groups.items()}
        await asyncio.sleep(args.hold)
        used = {k: proctree.cpu_seconds(v) - c0[k] for k, v in groups.items()}
        print("  CPU while %d sessions idled %d s: %s" % (n, args.hold, ", ".join(
            "%s %.2f s (%.1f %% of a core)" % (k, v, 100 * v / args.hold) for k, v in used.items())), flush=True)
    await close_many(conns)
    return 0 if not errors else 1


async def push(args):
    ctx = tls_context() if args.tls else None
    raise_nofile(args.sessions + 256)
    args.accounts = args.sessions
    conns, errors = await open_many(args, ctx, args.sessions)  # session j: account j + first
    if errors:
        print("push: %d sessions failed, first: %s" % (len(errors), errors[0]))
        for c in conns:
            if c:
                c.close()
        return 1
    waiting = {}  # account -> future of the time its EXISTS was read

    async def reader(acct, c):
        while True:
            try:
                line = await c.wait_line()
            except (ImapError, OSError):
                return
            if line.endswith(b" EXISTS\r\n"):
                w = waiting.get(acct)
                if w is not None and not w.done():
                    w.set_result(time.monotonic())

    tasks = [asyncio.ensure_future(reader(j + args.first, c)) for j, c in enumerate(conns)]
    await asyncio.sleep(1)
    smtp = await Smtp.connect(args.host, args.smtp_port)
    rng = random.Random(7)
    from_250, from_mail, data_250, lost = [], [], [], 0
    free = list(range(args.first, args.first + args.sessions))
    pending = set()
    interval = 1.0 / args.rate if args.rate > 0 else 0.0
    next_at = time.monotonic()

    async def await_exists(acct, fut, t_mail, t_250):
        nonlocal lost
        try:
            t = await asyncio.wait_for(fut, args.timeout)
            from_250.append(t - t_250)
            from_mail.append(t - t_mail)
        except asyncio.TimeoutError:
            lost += 1
        waiting.pop(acct, None)
        free.append(acct)

    t_start = time.monotonic()
    for i in range(args.messages):
        while not free:
            await asyncio.sleep(0.005)
        delay = next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        next_at = max(next_at + interval, time.monotonic())
        acct = free.pop(rng.randrange(len(free)))
        rcpt = user_name(args.user, acct)
        if "@" not in rcpt:
            rcpt += "@" + args.domain
        msg = make_message(acct, 500000 + i, args.size, rcpt, t=int(time.time()))
        # Waited for before the message goes: an EXISTS read before the 250
        # (it can be) is kept, and the difference comes out negative.
        fut = asyncio.get_running_loop().create_future()
        waiting[acct] = fut
        t_mail = time.monotonic()
        try:
            t_250 = await smtp.send(args.sender, rcpt, msg)
        except ImapError as e:
            print("smtp: %s" % e)
            waiting.pop(acct, None)
            free.append(acct)
            lost += 1
            smtp = await Smtp.connect(args.host, args.smtp_port)
            continue
        data_250.append(t_250 - t_mail)
        t = asyncio.ensure_future(await_exists(acct, fut, t_mail, t_250))
        pending.add(t)
        t.add_done_callback(pending.discard)
    if pending:
        await asyncio.gather(*list(pending))
    wall = time.monotonic() - t_start
    await smtp.quit()
    for t in tasks:
        t.cancel()
    await close_many(conns)

    def fmt(v):
        v = sorted(v)
        if not v:
            return "n/a"
        return "p50 %.1f ms, p99 %.1f ms, max %.1f ms (min %.1f)" % (
            1000 * percentile(v, 50), 1000 * percentile(v, 99), 1000 * v[-1], 1000 * v[0])

    print("%s: IDLE push, %d sessions in IDLE (%s), %d messages over SMTP at up to %.0f/s (%.1f/s sent), %d lost" % (
        args.label, args.sessions, "IMAPS" if args.tls else "IMAP", args.messages, args.rate,
        args.messages / wall, lost))
    print("  SMTP 250 -> untagged EXISTS: %s" % fmt(from_250))
    print("  MAIL FROM -> EXISTS:         %s" % fmt(from_mail))
    print("  MAIL FROM -> 250 after DATA: %s" % fmt(data_250), flush=True)
    return 0 if not lost else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("memory", "push"):
        s = sub.add_parser(name)
        add_connection_args(s)
        s.add_argument("--concurrency", type=int, default=64, help="connections being opened at once")
        s.add_argument("--timeout", type=float, default=60.0)
        s.add_argument("--label", default="server")
    m = sub.choices["memory"]
    m.add_argument("--connections", "-n", type=int, default=1000)
    m.add_argument("--accounts", "-k", type=int, default=200)
    m.add_argument("--pid", required=True, help="server process(es) whose tree is measured, PID[,PID]")
    m.add_argument("--warm", type=int, default=50)
    m.add_argument("--settle", type=float, default=3.0)
    m.add_argument("--hold", type=int, default=0, help="seconds to keep them, measuring the server's CPU")
    m.add_argument("--cpu", action="append", help="NAME=PID[,PID]: more process trees whose CPU --hold reports")
    m.add_argument("--metrics", help="a Prometheus URL to show the server's session gauges from, while they idle")
    s = sub.choices["push"]
    s.add_argument("--sessions", "-M", type=int, default=100)
    s.add_argument("--smtp-port", type=int, required=True)
    s.add_argument("--messages", "-r", type=int, default=300)
    s.add_argument("--rate", type=float, default=10.0, help="messages a second at most")
    s.add_argument("--size", type=int, default=4096)
    s.add_argument("--sender", default="bench@remote.test")
    s.add_argument("--domain", default="example.test")
    args = p.parse_args()
    if args.cmd == "memory":
        return asyncio.run(memory(args))
    args.timeout = max(args.timeout, 30.0)
    return asyncio.run(push(args))


if __name__ == "__main__":
    sys.exit(main())
