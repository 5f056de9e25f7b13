#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""imap_load.py: the IMAP command load of bench/imap-load, against any IMAP
server (mail-imap, or Dovecot from ../shared/peers), standard library only.

  imap_load.py fill    --port P [--tls] --accounts K --messages M ...
      fills the INBOX of accounts 1..K (names from --user, e.g.
      "bench{i}@example.test" or "u{i}") with M generated messages of about
      --size bytes (realistic headers: Received, From, To, Cc, Subject, Date,
      Message-ID, In-Reply-To, MIME; plain, quoted-printable and multipart
      bodies; 60 % \\Seen), by pipelined LITERAL+ APPENDs, so that message i
      of every account has UID i on a fresh server.
  imap_load.py run     --port P [--tls] --clients N --accounts K --duration S ...
      N clients (client c logs in as account c % K + 1, all logged in at
      once; with --procs, spread over that many processes) each run, closed
      loop and for S seconds after all are logged in and have SELECTed, the
      cycle
          SELECT INBOX
          UID FETCH a:a+49 (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])
          UID SEARCH  UNSEEN | FROM "<name>" | SUBJECT "<word>"  (in turn)
          UID FETCH u BODY.PEEK[]                                (twice)
          UID STORE u +FLAGS (\\Seen) | -FLAGS (\\Seen) | +FLAGS (\\Flagged)
          APPEND INBOX (a new message of --size bytes)
          UID STORE <its APPENDUID> +FLAGS (\\Deleted)
          EXPUNGE
      (u, a uniform over the M filled UIDs; the mailbox stays at M
      messages; --without leaves types out, as a diagnostic). It reports commands/s over all clients, and per command
      type the count, errors (NO/BAD or a reply that lacks what was asked,
      e.g. a header FETCH with fewer than 50 messages) and p50/p99/max
      latency (command written to tagged reply read). With --cpu
      NAME=PID[,PID] it also reports the CPU seconds of those process trees
      over the run, and always the driver's own. --json FILE keeps the
      summary for "compare".
  imap_load.py compare --ours A.json... --peer B.json...
      the side-by-side table of the median rounds, the ratio of commands/s,
      and each round's ratio.

Latency includes the client's own scheduling: on a machine where the client
and the server share cores the figures are for that machine, and are meant
as ratios between two servers measured the same way in the same run.
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imap_client import Imap, ImapError, add_connection_args, percentile, tls_context  # noqa: E402
import proctree  # noqa: E402

NAMES = ["Alice Smith", "Bob Jones", "Carol White", "Dave Brown", "Erin Black", "Frank Green",
         "Grace Hall", "Heidi Novak", "Ivan Petrov", "Judy Chen", "Mallory Stone", "Oscar Diaz"]
SUBJECTS = ["Quarterly report draft", "Re: lunch on Friday?", "Build failure on main", "Invoice {n}",
            "Meeting notes {d}", "Fwd: conference schedule", "Question about the API", "Re: Re: holiday plans",
            "Server maintenance window", "Welcome aboard", "Re: budget review", "Release checklist {n}"]
WORDS = ("the a to of and in is it you that he was for on are with as his they be at one have this from or had "
         "by not word but what some we can out other were all there when up use your how said an each she which "
         "do their time if will way about many then them write would like so these her long make thing see him "
         "two has look more day could go come did number sound no most people my over know water than call first "
         "who may down side been now find report budget schedule release server meeting invoice").split()
SEARCH_FROM = ["alice", "bob", "judy", "oscar"]
SEARCH_SUBJECT = ["report", "invoice", "meeting", "release"]
ORDER = ["SELECT", "FETCH-HEADERS", "SEARCH", "FETCH-BODY", "FETCH-BODY", "STORE", "APPEND", "STORE-DELETED",
         "EXPUNGE"]
TYPES = ["SELECT", "FETCH-HEADERS", "SEARCH", "FETCH-BODY", "STORE", "APPEND", "STORE-DELETED", "EXPUNGE"]
WINDOW = 50
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()


def rfc5322_date(t):
    g = time.gmtime(t)
    return "%s, %02d %s %04d %02d:%02d:%02d +0000" % (DAYS[g.tm_wday], g.tm_mday, MONTHS[g.tm_mon - 1], g.tm_year,
                                                      g.tm_hour, g.tm_min, g.tm_sec)


def imap_date(t):
    g = time.gmtime(t)
    return "%02d-%s-%04d %02d:%02d:%02d +0000" % (g.tm_mday, MONTHS[g.tm_mon - 1], g.tm_year, g.tm_hour, g.tm_min,
                                                  g.tm_sec)


def paragraph(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    text = " ".join(words).capitalize() + "."
    lines, cur = [], ""
    for w in text.split(" "):
        if len(cur) + len(w) + 1 > 72:
            lines.append(cur)
            cur = w
        else:
            cur = w if not cur else cur + " " + w
    lines.append(cur)
    return "\r\n".join(lines)


def make_message(account, i, size, to_addr, t=None):
    """Message i of an account: deterministic, about `size` bytes, CRLF."""
    rng = random.Random(account * 1000003 + i)
    t = t if t is not None else 1700000000 + i * 3607
    fr = NAMES[rng.randrange(len(NAMES))]
    fa = fr.split()[0].lower() + "@" + rng.choice(["example.org", "corp.example.net", "mail.example.com"])
    subj = rng.choice(SUBJECTS).format(n=1000 + i, d=time.strftime("%d %b", time.gmtime(t)))
    date = rfc5322_date(t)
    mid = "<%d.%d.%x@%s>" % (t, i, rng.getrandbits(32), fa.split("@")[1])
    h = ["Return-Path: <%s>" % fa,
         "Received: from mx%d.%s (mx%d.%s [192.0.2.%d])\r\n\tby mail.example.test with ESMTPS id %08X\r\n"
         "\tfor <%s>; %s" % (i % 4, fa.split("@")[1], i % 4, fa.split("@")[1], i % 250 + 1, rng.getrandbits(32),
                             to_addr, date),
         "Received: from [10.0.%d.%d] by mx%d.%s with ESMTPSA; %s" % (i % 200, i % 250, i % 4, fa.split("@")[1], date),
         "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=sel1;\r\n\th=from:to:subject:date:message-id;"
         " bh=%s;\r\n\tb=%s" % (fa.split("@")[1], "%x" % rng.getrandbits(160), "%x" % rng.getrandbits(512)),
         "From: %s <%s>" % (fr, fa),
         "To: %s" % to_addr]
    if i % 3 == 0:
        cc = NAMES[(i + 5) % len(NAMES)]
        h.append("Cc: %s <%s@example.org>" % (cc, cc.split()[0].lower()))
    h += ["Subject: %s" % subj, "Date: %s" % date, "Message-ID: %s" % mid]
    if subj.startswith("Re:"):
        ref = "<%d.%d.ref@example.org>" % (t - 86400, i)
        h += ["In-Reply-To: %s" % ref, "References: %s" % ref]
    h += ["MIME-Version: 1.0", "X-Mailer: bench-imap-load 1.0"]
    head_len = sum(len(x) + 2 for x in h) + 2
    text = []
    # Sizes vary around `size` (0.6 to 1.4 times it), as real mail does.
    budget = max(200, int(size * rng.uniform(0.6, 1.4)) - head_len - (400 if i % 5 == 0 else 0))
    while sum(len(p) + 4 for p in text) < budget:
        text.append(paragraph(rng, rng.randint(20, 90)))
    body = "\r\n\r\n".join(text)[:budget].rstrip() + "\r\n"
    if i % 5 == 0:
        b = "=_b%06d_%x" % (i, rng.getrandbits(32))
        h.append('Content-Type: multipart/alternative; boundary="%s"' % b)
        half = body.find("\r\n", len(body) // 2) + 2  # at a line end: no bare CR or LF
        if half < 2:
            half = len(body)
        body = ("This is a multi-part message in MIME format.\r\n\r\n--%s\r\n"
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n%s\r\n--%s\r\n"
                "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                "<html><body><p>%s</p></body></html>\r\n--%s--\r\n"
                % (b, body[:half], b, body[half:].replace("\r\n", "<br>=\r\n"), b))
    elif i % 5 == 1:
        h += ["Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: quoted-printable"]
        body = body.replace(" the ", " th=E9 ", 3)
    else:
        h += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 7bit"]
    return ("\r\n".join(h) + "\r\n\r\n" + body).encode()


def user_name(fmt, i):
    return fmt.format(i=i)


# ------------------------------------------------------------------ fill

async def fill_account(args, ctx, i, window=32):
    user = user_name(args.user, i)
    c = await Imap.connect(args.host, args.port, ctx, timeout=120)
    await c.login(user, args.password)
    sem = asyncio.Semaphore(window)
    failures = []

    # Pipelined: the writer runs ahead of the replies by at most `window` commands.
    readers = []
    for j in range(1, args.messages + 1):
        await sem.acquire()
        msg = make_message(i, j, args.size, user if "@" in user else user + "@example.test")
        flags = " ".join(f for f, on in (("\\Seen", j % 10 < 6), ("\\Flagged", j % 20 == 0)) if on)
        tag = c.next_tag()
        c.send(b'%s APPEND INBOX (%s) "%s" {%d+}\r\n%s\r\n' % (tag, flags.encode(),
                                                             imap_date(1700000000 + j * 3607).encode(), len(msg), msg))
        readers.append(asyncio.ensure_future(read_in_order(c, tag, readers[-1] if readers else None, failures, sem)))
        await c.w.drain()
    if readers:
        await readers[-1]
    await c.command(b"LOGOUT")
    c.close()
    if failures:
        raise ImapError("%s: %d APPENDs failed, first: %r" % (user, len(failures), failures[0]))
    return args.messages


async def read_in_order(c, tag, previous, failures, sem):
    if previous is not None:
        await previous
    try:
        r = await c.response(tag)
        if not r.ok:
            failures.append(r.line[:200])
    finally:
        sem.release()


async def fill(args):
    ctx = tls_context() if args.tls else None
    t0 = time.monotonic()
    sem = asyncio.Semaphore(args.parallel)
    done = 0

    async def account(i):
        nonlocal done
        async with sem:
            n = await fill_account(args, ctx, i)
            done += n

    await asyncio.gather(*(account(i) for i in range(args.first, args.first + args.accounts)))
    dt = time.monotonic() - t0
    print("filled %d accounts x %d messages (%d) in %.1f s: %.0f APPENDs/s"
          % (args.accounts, args.messages, done, dt, done / dt), flush=True)


# ------------------------------------------------------------------ run

class Stats:
    def __init__(self):
        self.lat = {t: [] for t in TYPES}
        self.errors = {t: 0 for t in TYPES}
        self.first_error = {}

    def add(self, kind, seconds, ok, why=b""):
        self.lat[kind].append(seconds)
        if not ok:
            self.errors[kind] += 1
            self.first_error.setdefault(kind, why[:200].decode("latin-1"))


async def client(args, ctx, cno, stats, go, stop_at, ready):
    acct = cno % args.accounts + args.first
    user = user_name(args.user, acct)
    rng = random.Random(cno * 7919 + 1)
    c = await Imap.connect(args.host, args.port, ctx, timeout=args.timeout)
    await c.login(user, args.password)
    r = await c.command(b"SELECT INBOX")
    if not r.ok:
        raise ImapError("SELECT: %r" % r.line)
    # APPEND's messages, made before the clock starts (the driver's CPU is
    # the machine's too); each gets a header of its own when sent.
    to_addr = user if "@" in user else user + "@example.test"
    pool = [make_message(acct, 100000 + cno * 100 + j, args.size, to_addr, t=int(time.time())) for j in range(8)]
    ready()
    await go()
    m = args.messages
    cycle = 0
    deadline = stop_at()
    appended = None
    order = [k for k in ORDER if k not in args.without]
    while time.monotonic() < deadline:
        for kind in order:
            if time.monotonic() >= deadline:
                break
            ok, why = True, b""
            if kind == "SELECT":
                t = time.monotonic()
                r = await c.command(b"SELECT INBOX")
                ok = r.ok and r.count(b" EXISTS") == 1
            elif kind == "FETCH-HEADERS":
                a = rng.randint(1, max(1, m - WINDOW + 1))
                t = time.monotonic()
                r = await c.command(b"UID FETCH %d:%d (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])"
                                    % (a, a + WINDOW - 1))
                ok = r.ok and r.count(b"BODY[HEADER.FIELDS", 200) >= min(WINDOW, m)
            elif kind == "SEARCH":
                which = cycle % 3
                if which == 0:
                    q = b"UID SEARCH UNSEEN"
                elif which == 1:
                    q = b'UID SEARCH FROM "%s"' % SEARCH_FROM[cycle // 3 % len(SEARCH_FROM)].encode()
                else:
                    q = b'UID SEARCH SUBJECT "%s"' % SEARCH_SUBJECT[cycle // 3 % len(SEARCH_SUBJECT)].encode()
                t = time.monotonic()
                r = await c.command(q)
                hits = [u for u in r.untagged if u.startswith(b"* SEARCH")]
                ok = r.ok and len(hits) == 1 and (which == 0 or len(hits[0]) > 12)
            elif kind == "FETCH-BODY":
                u = rng.randint(1, m)
                t = time.monotonic()
                r = await c.command(b"UID FETCH %d BODY.PEEK[]" % u)
                bodies = [x for x in r.untagged if b"BODY[] {" in x[:80]]
                ok = r.ok and len(bodies) == 1 and len(bodies[0]) > args.size // 4
            elif kind == "STORE":
                u = rng.randint(1, m)
                op = (b"+FLAGS (\\Seen)", b"-FLAGS (\\Seen)", b"+FLAGS (\\Flagged)")[cycle % 3]
                t = time.monotonic()
                r = await c.command(b"UID STORE %d %s" % (u, op))
                ok = r.ok
            elif kind == "APPEND":
                msg = b"X-Bench-Id: %d.%d\r\n" % (cno, cycle) + pool[cycle % len(pool)]
                t = time.monotonic()
                r = await c.command(b"APPEND INBOX", literal=msg)
                appended = r.append_uid()
                ok = r.ok and appended is not None
            elif kind == "STORE-DELETED":
                if appended is None:
                    continue
                t = time.monotonic()
                r = await c.command(b"UID STORE %d +FLAGS.SILENT (\\Deleted)" % appended)
                ok = r.ok
            elif kind == "EXPUNGE":
                t = time.monotonic()
                r = await c.command(b"EXPUNGE")
                ok = r.ok
                appended = None
            elapsed = time.monotonic() - t
            if not ok:
                why = r.line
            stats.add(kind, elapsed, ok, why)
        cycle += 1
    return c


async def logout(c):
    try:
        await c.command(b"LOGOUT")
    except (ImapError, OSError):
        pass
    c.close()


def worker(args, clients, ready_q, go_ev, result_q, logout_ev):
    """One process's share of the clients; reports (stats, cpu seconds) when
    its clients are done, and logs them out once `logout_ev` is set (after the
    parent read the servers' CPU: Dovecot's per-connection processes end with
    their sessions)."""
    async def main():
        ctx = tls_context() if args.tls else None
        stats = Stats()
        loop = asyncio.get_running_loop()
        state = {"stop": 0.0, "ready": 0}

        def ready():
            state["ready"] += 1
            if state["ready"] == len(clients):
                ready_q.put(("ready", os.getpid()))

        async def go():
            if "started" not in state:
                state["started"] = loop.run_in_executor(None, go_ev.wait)
            await state["started"]
            if not state["stop"]:
                state["cpu0"] = time.process_time()
                state["stop"] = time.monotonic() + args.duration

        failures = []

        async def guarded(cno):
            try:
                return await client(args, ctx, cno, stats, go, lambda: state["stop"], ready)
            except (ImapError, OSError) as e:
                failures.append("client %d: %s" % (cno, e))
                ready()

        conns = await asyncio.gather(*(guarded(cno) for cno in clients))
        cpu = time.process_time() - state.get("cpu0", time.process_time())
        result_q.put(("done", {"lat": stats.lat, "errors": stats.errors, "first_error": stats.first_error,
                               "failures": failures, "cpu": cpu}))
        await loop.run_in_executor(None, logout_ev.wait)
        await asyncio.gather(*(logout(c) for c in conns if c is not None))

    asyncio.run(main())


def summarize(args, results, wall, cpu):
    lat = {t: [] for t in TYPES}
    errors = {t: 0 for t in TYPES}
    first_error, failures, client_cpu = {}, [], 0.0
    for r in results:
        for t in TYPES:
            lat[t] += r["lat"][t]
            errors[t] += r["errors"][t]
        for k, v in r["first_error"].items():
            first_error.setdefault(k, v)
        failures += r["failures"]
        client_cpu += r["cpu"]
    total = sum(len(v) for v in lat.values())
    out = {"label": args.label, "clients": args.clients, "accounts": args.accounts, "messages": args.messages,
           "duration": wall, "tls": bool(args.tls), "commands": total, "commands_per_s": total / wall,
           "errors": sum(errors.values()), "types": {}, "cpu": cpu, "client_cpu": client_cpu,
           "failures": failures, "first_error": first_error}
    for t in TYPES:
        v = sorted(lat[t])
        out["types"][t] = {"count": len(v), "errors": errors[t], "per_s": len(v) / wall,
                           "p50_ms": 1000 * (percentile(v, 50) or 0), "p99_ms": 1000 * (percentile(v, 99) or 0),
                           "max_ms": 1000 * (v[-1] if v else 0)}
    return out


def print_summary(s):
    print("%s: %d clients on %d accounts (INBOX of %d), %s, %.1f s" % (
        s["label"], s["clients"], s["accounts"], s["messages"], "IMAPS" if s["tls"] else "plain IMAP", s["duration"]))
    print("  %-14s %8s %7s %9s %9s %9s %9s" % ("command", "count", "errors", "per-s", "p50-ms", "p99-ms", "max-ms"))
    for t, v in s["types"].items():
        print("  %-14s %8d %7d %9.1f %9.2f %9.2f %9.1f" % (t, v["count"], v["errors"], v["per_s"], v["p50_ms"],
                                                         v["p99_ms"], v["max_ms"]))
    print("  %-14s %8d %7d %9.1f" % ("all", s["commands"], s["errors"], s["commands_per_s"]))
    cpu = ", ".join("%s %.1f s" % (k, v) for k, v in s["cpu"].items())
    print("  cpu over the run: %s%sdriver %.1f s" % (cpu, ", " if cpu else "", s["client_cpu"]))
    for k, v in s["first_error"].items():
        print("  first %s error: %s" % (k, v))
    for f in s["failures"][:5]:
        print("  failed: %s" % f)
    if len(s["failures"]) > 5:
        print("  ... %d clients failed in all" % len(s["failures"]))
    sys.stdout.flush()


def run(args):
    procs = max(1, min(args.procs, args.clients))
    ready_q, result_q = multiprocessing.Queue(), multiprocessing.Queue()
    go_ev, logout_ev = multiprocessing.Event(), multiprocessing.Event()
    shares = [list(range(p, args.clients, procs)) for p in range(procs)]
    ps = [multiprocessing.Process(target=worker, args=(args, share, ready_q, go_ev, result_q, logout_ev), daemon=True)
          for share in shares]
    for p in ps:
        p.start()
    t_login = time.monotonic()
    for _ in ps:
        ready_q.get(timeout=600)
    print("%d clients logged in and selected in %.1f s; running for %d s" % (
        args.clients, time.monotonic() - t_login, args.duration), flush=True)
    groups = {}
    for spec in args.cpu or []:
        name, pids = spec.split("=", 1)
        groups[name] = [int(p) for p in pids.split(",") if p]
    cpu0 = {k: proctree.cpu_seconds(v) for k, v in groups.items()}
    t0 = time.monotonic()
    go_ev.set()
    results = [result_q.get(timeout=args.duration + 600)[1] for _ in ps]
    wall = time.monotonic() - t0
    cpu = {k: proctree.cpu_seconds(v) - cpu0[k] for k, v in groups.items()}
    logout_ev.set()
    for p in ps:
        p.join(10)
    # The clients stop at the deadline; the last command of each may end a
    # little after it, so the rate is over the measured wall time.
    s = summarize(args, results, float(args.duration), cpu)
    print_summary(s)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(s, f, indent=1)
    return 0 if not s["failures"] else 1


def median_round(files):
    rounds = sorted((json.load(open(p)) for p in files), key=lambda s: s["commands_per_s"])
    return rounds[(len(rounds) - 1) // 2], [r["commands_per_s"] for r in rounds]


def compare(args):
    """The side-by-side table of the median rounds (by commands/s) and the
    ratio of each round's pair (the rounds alternate between the servers, so
    that a change in the machine's other load reaches both)."""
    a, a_all = median_round(args.ours)
    b, b_all = median_round(args.peer)
    print("side by side: %s vs %s (%d clients, %d accounts, INBOX of %d, %s; median of %d rounds)" % (
        a["label"], b["label"], a["clients"], a["accounts"], a["messages"], "IMAPS" if a["tls"] else "plain IMAP",
        len(a_all)))
    print("  %-14s %10s %10s %10s %10s %10s %10s" % ("command", a["label"][:8] + "/s", b["label"][:8] + "/s",
                                                    "p50 " + a["label"][:5], "p50 " + b["label"][:5],
                                                    "p99 " + a["label"][:5], "p99 " + b["label"][:5]))
    for t in TYPES:
        x, y = a["types"][t], b["types"][t]
        print("  %-14s %10.1f %10.1f %10.2f %10.2f %10.2f %10.2f" % (t, x["per_s"], y["per_s"], x["p50_ms"],
                                                                    y["p50_ms"], x["p99_ms"], y["p99_ms"]))
    print("  %-14s %10.1f %10.1f" % ("all", a["commands_per_s"], b["commands_per_s"]))
    ratio = a["commands_per_s"] / b["commands_per_s"] if b["commands_per_s"] else float("inf")
    print("commands/s ratio %s / %s = %.2f (aim: at least 1.5)" % (a["label"], b["label"], ratio))
    if len(args.ours) > 1 and len(args.ours) == len(args.peer):
        pairs = [json.load(open(x))["commands_per_s"] / json.load(open(y))["commands_per_s"]
                 for x, y in zip(args.ours, args.peer)]
        print("  per round: " + ", ".join("%.2f" % r for r in pairs))
    ca, cb = sum(a["cpu"].values()), sum(b["cpu"].values())
    if ca and cb:
        print("server CPU ms per command: %s %.3f (%s), %s %.3f" % (
            a["label"], 1000 * ca / a["commands"],
            ", ".join("%s %.3f" % (k, 1000 * v / a["commands"]) for k, v in a["cpu"].items()),
            b["label"], 1000 * cb / b["commands"]))
    print("driver CPU ms per command: %s %.3f, %s %.3f" % (a["label"], 1000 * a["client_cpu"] / a["commands"],
                                                          b["label"], 1000 * b["client_cpu"] / b["commands"]))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("fill", "run"):
        s = sub.add_parser(name)
        add_connection_args(s)
        s.add_argument("--accounts", "-k", type=int, default=16)
        s.add_argument("--messages", "-m", type=int, default=1000, help="messages in each INBOX")
        s.add_argument("--size", type=int, default=4096, help="bytes per message (about)")
    f = sub.choices["fill"]
    f.add_argument("--parallel", type=int, default=4, help="accounts filled at once")
    r = sub.choices["run"]
    r.add_argument("--clients", "-n", type=int, default=32)
    r.add_argument("--duration", "-d", type=int, default=60)
    r.add_argument("--procs", type=int, default=1, help="driver processes")
    r.add_argument("--timeout", type=float, default=60.0, help="seconds a reply may take")
    r.add_argument("--label", default="server")
    r.add_argument("--without", type=lambda v: [x for x in v.split(",") if x], default=[],
                   help="command types left out of the cycle, e.g. SEARCH (a diagnostic: what the rest costs)")
    r.add_argument("--cpu", action="append", help="NAME=PID[,PID]: CPU of these process trees over the run")
    r.add_argument("--json")
    c = sub.add_parser("compare")
    c.add_argument("--ours", nargs="+", required=True, help="the rounds' JSON files")
    c.add_argument("--peer", nargs="+", required=True)
    args = p.parse_args()
    if args.cmd == "fill":
        asyncio.run(fill(args))
        return 0
    if args.cmd == "run":
        return run(args)
    compare(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
