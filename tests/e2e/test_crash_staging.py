# SPDX-License-Identifier: Apache-2.0
"""Crash test for the streamed path (runs alone: it kills services). Messages
of 1.5 MiB, larger than one chunk, so that the msa forwards them to the mta's
staging blobs while they arrive (Transfer.Stage/Append/Commit), flow over the
MX port from 2 threads, each message trickled in 64 KiB pieces over about
half a second, while the mta is killed with SIGKILL and restarted twice: the
kills land in the middle of DATA, between and during Appends. Then: every message the msa accepted (250)
is in the mailbox exactly once. Messages answered 4xx are not owed."""
import re
import socket
import threading
import time
import unittest

import mailenv as env

N = 24
THREADS = 2
PIECE = 64 * 1024
PAUSE = 0.02         # between pieces: about 0.5 s of DATA per message
DELIVERY_WAIT = 120
OUTSIDE = "stream@elsewhere.invalid"
TOKEN_RE = re.compile(rb"stage-\d{2}-[0-9a-f]{16}")


def body(tok):
    line = (f"{tok} " * 8)[:78] + "\r\n"
    return (line * (1536 * 1024 // len(line))).encode()


class CrashStaging(unittest.TestCase):
    def setUp(self):
        self.user, self.pw = env.new_account(quota="10G", prefix="cstage")
        self.results = {}
        self.lock = threading.Lock()
        self.events = []

    def tearDown(self):
        try:
            env.stack("start", "mta")
        except Exception as e:  # reported, not hidden
            print(f"could not restart mta: {e}")

    def _send_one(self, tok):
        """(outcome, detail) of one trickled transaction over a raw socket."""
        msg = env.make_message(OUTSIDE, self.user, f"stream {tok}", body(tok))
        sent_data = False
        c = None
        try:
            c = env.RawClient(env.P_SMTP, timeout=60)
            c.reply()
            for cmd in ("EHLO stream.example", f"MAIL FROM:<{OUTSIDE}>", f"RCPT TO:<{self.user}>", "DATA"):
                code, text = c.cmd(cmd)
                if code >= 400:
                    return ("tempfail" if code < 500 else "permfail", (code, text))
            sent_data = True
            for i in range(0, len(msg), PIECE):  # no line starts with a dot: no stuffing needed
                c.send(msg[i:i + PIECE])
                time.sleep(PAUSE)
            c.send(b".\r\n")
            code, text = c.reply()
            if code == 250:
                return ("accepted", text)
            return ("tempfail" if 400 <= code < 500 else "permfail", (code, text))
        except OSError as e:
            return ("unknown" if sent_data else "error", repr(e))
        finally:
            if c is not None:
                c.close()

    def _sender(self, toks):
        for tok in toks:
            outcome = self._send_one(tok)
            with self.lock:
                self.results[tok] = outcome

    def _mailbox_tokens(self):
        """{token: count} over the whole maildrop, from TOP n 0."""
        return env.subject_token_counts(self.user, self.pw, TOKEN_RE)[1]

    def test_accepted_streamed_mail_survives_mta_kills(self):
        toks = [f"stage-{i:02d}-{env.token()}" for i in range(N)]
        t0 = time.time()
        threads = [threading.Thread(target=self._sender, args=(toks[i::THREADS],), daemon=True)
                   for i in range(THREADS)]
        for t in threads:
            t.start()
        for at, what in ((1.5, "kill"), (3.5, "start"), (6, "kill"), (6.5, "start")):
            delay = t0 + at - time.time()
            if delay > 0:
                time.sleep(delay)
            env.stack(what, "mta")
            self.events.append((round(time.time() - t0, 1), what))
        for t in threads:
            t.join(timeout=300)
        by = {o: {t for t, (oc, _) in self.results.items() if oc == o}
              for o in ("accepted", "tempfail", "permfail", "unknown", "error")}
        print(f"load: {N} offered in {time.time() - t0:.1f}s; " +
              ", ".join(f"{o} {len(v)}" for o, v in by.items()) + f"; faults {self.events}")
        for o in ("tempfail", "permfail", "unknown", "error"):
            samples = [d for (oc, d) in self.results.values() if oc == o][:3]
            if samples:
                print(f"  {o} examples: {samples}")
        self.assertEqual(len(self.results), N)
        self.assertFalse(by["permfail"], "5xx during the load")
        self.assertTrue(by["accepted"], "nothing was accepted")

        deadline = time.time() + DELIVERY_WAIT
        counts = {}
        while time.time() < deadline:
            try:
                counts = self._mailbox_tokens()
            except Exception as e:  # pop3 is not under test here: retry
                print(f"pop3 read failed: {e!r}")
            if by["accepted"] <= set(counts):
                break
            time.sleep(2)
        missing = sorted(by["accepted"] - set(counts))
        dups = sorted(t for t, c in counts.items() if c > 1)
        print(f"mailbox: {len(counts)} tokens; accepted missing {len(missing)}, duplicated {len(dups)}")
        self.assertFalse(missing, f"accepted but lost: {missing[:5]}")
        self.assertFalse(dups, f"delivered more than once: {dups[:5]}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
