# SPDX-License-Identifier: Apache-2.0
"""Crash test (runs alone: it kills services). 500 messages of 4 KB, each with a
unique token in its Subject, flow over the MX port from 8 threads into one fresh
account while the mta is killed with SIGKILL and restarted, the mda likewise,
and Redis is flushed (FLUSHALL) and restarted. Then: every message the msa accepted (250) is in the
mailbox exactly once, no message is there twice, and the mta's queue drains.
Messages answered 4xx (the msa says 451 while the mta is down) are not owed."""
import queue
import re
import smtplib
import threading
import time
import unittest

import mailenv as env

N = 500
THREADS = 8
RATE = 25.0          # messages per second offered, so the load spans the faults
DELIVERY_WAIT = 120  # seconds for every accepted message to show up
OUTSIDE = "load@elsewhere.invalid"
TOKEN_RE = re.compile(rb"crash-\d{3}-[0-9a-f]{16}")


def body(tok):
    line = (f"{tok} " * 8)[:78] + "\r\n"
    return (line * (4096 // len(line))).encode()


class Crash(unittest.TestCase):
    def setUp(self):
        self.user, self.pw = env.new_account(quota="10G", prefix="crash")
        self.results = {}
        self.lock = threading.Lock()
        self.events = []

    def tearDown(self):
        # Whatever happened, leave the stack running for the tests after this one.
        for svc in ("mta", "mda"):
            try:
                env.stack("start", svc)
            except Exception as e:  # reported, not hidden
                print(f"could not restart {svc}: {e}")

    def _record(self, tok, outcome, detail):
        with self.lock:
            self.results[tok] = (outcome, detail)

    def _sender(self, work, t0):
        s = None
        while True:
            try:
                i, tok = work.get_nowait()
            except queue.Empty:
                break
            delay = t0 + i / RATE - time.time()
            if delay > 0:
                time.sleep(delay)
            msg = env.make_message(OUTSIDE, self.user, f"load {tok}", body(tok))
            sent_data = False
            try:
                if s is None:
                    s = smtplib.SMTP(env.HOST, env.P_SMTP, timeout=60)
                    s.ehlo("load.example")
                code, resp = s.mail(OUTSIDE)
                if code == 250:
                    code, resp = s.rcpt(self.user)
                if code == 250:
                    sent_data = True
                    code, resp = s.data(msg)
                if code == 250:
                    self._record(tok, "accepted", resp)
                else:
                    self._record(tok, "tempfail" if 400 <= code < 500 else "permfail", (code, resp))
                    if code == 421:
                        raise smtplib.SMTPServerDisconnected("421")
                    s.rset()
            except smtplib.SMTPDataError as e:
                self._record(tok, "tempfail" if 400 <= e.smtp_code < 500 else "permfail", (e.smtp_code, e.smtp_error))
            except (smtplib.SMTPException, OSError) as e:
                # Without a reply to the data the outcome is unknown: it may arrive, at most once.
                self._record(tok, "unknown" if sent_data else "error", repr(e))
                if s is not None:
                    env.close_quietly(s)
                s = None
        if s is not None:
            try:
                s.quit()
            except Exception:
                env.close_quietly(s)

    def _chaos(self, t0):
        plan = [(3, "kill", "mta"), (5, "start", "mta"), (9, "kill", "mda"), (11, "start", "mda"),
                (13, "flush", None), (16, "kill", "mta"), (16.5, "start", "mta"), (18, "flush", None),
                (19, "restart", "redis")]
        for at, what, svc in plan:
            delay = t0 + at - time.time()
            if delay > 0:
                time.sleep(delay)
            if what == "flush":
                env.redis_flushall()
            else:
                env.stack(what, svc)
            self.events.append((round(time.time() - t0, 1), what, svc))

    def _mailbox_tokens(self):
        """{token: count} over the whole maildrop, from TOP n 0."""
        return env.subject_token_counts(self.user, self.pw, TOKEN_RE)

    def _count(self, outcome):
        return {t for t, (o, _) in self.results.items() if o == outcome}

    def test_accepted_mail_survives_kills_and_flush_exactly_once(self):
        start = time.time()
        work = queue.Queue()
        for i in range(N):
            work.put((i, f"crash-{i:03d}-{env.token()}"))
        t0 = time.time() + 0.5
        threads = [threading.Thread(target=self._sender, args=(work, t0), daemon=True) for _ in range(THREADS)]
        for t in threads:
            t.start()
        chaos_error = None
        try:
            self._chaos(t0)
        except Exception as e:
            chaos_error = e
        for t in threads:
            t.join(timeout=300)
        load_s = time.time() - t0
        accepted, tempfail = self._count("accepted"), self._count("tempfail")
        permfail, unknown, error = self._count("permfail"), self._count("unknown"), self._count("error")
        print(f"load: {N} offered in {load_s:.1f}s; accepted {len(accepted)}, 4xx {len(tempfail)}, "
              f"5xx {len(permfail)}, no reply after data {len(unknown)}, connection errors {len(error)}")
        print(f"faults injected (seconds after start): {self.events}")
        for o in ("tempfail", "permfail", "unknown", "error"):
            samples = [d for (oc, d) in self.results.values() if oc == o][:3]
            if samples:
                print(f"  {o} examples: {samples}")
        self.assertIsNone(chaos_error, f"fault injection failed: {chaos_error}")
        self.assertEqual(len(self.results), N, "some messages were never attempted")
        self.assertFalse(permfail, f"5xx answers during the load: {[self.results[t] for t in list(permfail)[:5]]}")
        self.assertGreater(len(accepted), N // 2, "less than half the load was accepted")

        deadline = time.time() + DELIVERY_WAIT
        counts, n = {}, 0
        while True:
            try:
                n, counts = self._mailbox_tokens()
            except Exception as e:  # the pop3 service is not under test here: retry
                print(f"pop3 read failed: {e!r}")
            if accepted <= set(counts) or time.time() > deadline:
                break
            time.sleep(2)
        print(f"delivered after {time.time() - t0:.1f}s: {n} messages, {len(accepted & set(counts))}"
              f"/{len(accepted)} accepted tokens present")

        # The queue drains: mail_mta_queue_depth returns to 0.
        depth = None
        qdeadline = max(deadline, time.time() + 30)
        while time.time() < qdeadline:
            try:
                depth = env.metric_value(env.http_get(env.H_MTA, "/metrics")[2], "mail_mta_queue_depth")
            except OSError as e:
                depth = f"metrics unreachable: {e!r}"
            if depth == 0:
                break
            time.sleep(1)
        print(f"mail_mta_queue_depth at the end: {depth}")

        n, counts = self._mailbox_tokens()  # once more, now that nothing is in flight
        missing = sorted(accepted - set(counts))
        dup_accepted = sorted(t for t in accepted if counts.get(t, 0) > 1)
        dup_any = sorted(t for t, c in counts.items() if c > 1)
        stray = sorted(set(counts) - set(self.results))
        late_unknown = sorted(t for t in unknown | tempfail | error if t in counts)
        print(f"mailbox: {n} messages; accepted missing {len(missing)}, accepted duplicated {len(dup_accepted)}, "
              f"any token duplicated {len(dup_any)}; 4xx/unknown that arrived anyway {len(late_unknown)}; "
              f"total {time.time() - start:.1f}s")
        self.assertFalse(missing, f"accepted but lost: {missing[:10]}")
        self.assertFalse(dup_any, f"delivered more than once: {[(t, counts[t]) for t in dup_any[:10]]}")
        self.assertFalse(stray, f"tokens never sent: {stray[:5]}")
        # A crash between the mta's commit and its answer makes a 4xx for a kept message:
        # an unavoidable window (the client resends, one duplicate), so reported, not failed.
        tempfail_arrived = sorted(t for t in tempfail if t in counts)
        if tempfail_arrived:
            print(f"note: answered 4xx yet delivered: {[(t, self.results[t]) for t in tempfail_arrived[:5]]}")
        self.assertEqual(depth, 0, f"mail_mta_queue_depth did not return to 0: {depth}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
