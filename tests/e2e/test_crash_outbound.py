# SPDX-License-Identifier: Apache-2.0
"""Outbound crash test (issue 8; runs alone: it kills the mta). 500 messages,
each with a unique token in its Subject, are submitted (587, AUTH) for
rcpt@sink.test, whose MX (the stack's dnsmasq: scripts/test) is Postfix's
smtp-sink on 127.0.0.21:25, which waits a second before answering each DATA
and writes every message it takes to a file. While the mta carries them, it
is killed with SIGKILL once the sink has about a hundred, and started again.

Then every message is at the sink at least once (none lost), and a message
there twice can only be one whose 250 the killed mta had not yet committed:
at most one per conversation under way (outbound.max_per_destination, 20).
The test prints both counts."""
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import mailenv as env

N = 500
SINK = "127.0.0.21"
KILL_AT = 100
WAIT = 180
MAX_IN_FLIGHT = 20
TOKEN_RE = re.compile(rb"outcrash-\d{3}-[0-9a-f]{12}")


class OutboundCrash(unittest.TestCase):
    def setUp(self):
        self.user, self.pw = env.new_account(quota="10G", prefix="ocrash")
        self.dir = tempfile.mkdtemp(prefix="mail-sink-")
        os.chmod(self.dir, 0o777)
        self.sink = subprocess.Popen(
            ["smtp-sink", "-u", "nobody", "-w", "1", "-d", os.path.join(self.dir, "m"), "-m", "256",
             f"{SINK}:25", "256"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection((SINK, 25), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)

    def tearDown(self):
        self.sink.terminate()
        try:
            self.sink.wait(10)
        except subprocess.TimeoutExpired:
            self.sink.kill()
        try:
            env.stack("start", "mta")
        except AssertionError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def seen(self):
        """{token: copies} over every message the sink wrote."""
        counts = {}
        for path in glob.glob(os.path.join(self.dir, "m*")):
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            m = TOKEN_RE.search(data)
            if m:
                counts[m.group(0)] = counts.get(m.group(0), 0) + 1
        return counts

    def test_kill_9_of_the_mta_loses_no_outbound_message(self):
        run = os.urandom(6).hex()
        tokens = [f"outcrash-{i:03d}-{run}".encode() for i in range(N)]
        rcpt = "rcpt@sink.test"
        s = env.smtp_submit(self.user, self.pw)
        try:
            for tok in tokens:
                msg = env.make_message(self.user, rcpt, tok.decode(), f"body of {tok.decode()}\r\n" * 20)
                self.assertEqual(s.sendmail(self.user, [rcpt], msg), {})
        finally:
            s.quit()
        deadline = time.time() + 60
        while len(self.seen()) < KILL_AT and time.time() < deadline:
            time.sleep(0.1)
        at_kill = len(self.seen())
        self.assertGreater(at_kill, 0, "nothing reached the sink before the kill")
        env.stack("kill", "mta")
        env.stack("start", "mta")
        deadline = time.time() + WAIT
        counts = self.seen()
        while time.time() < deadline and len(counts) < N:
            time.sleep(0.5)
            counts = self.seen()
        lost = [t for t in tokens if t not in counts]
        dups = {t: n for t, n in counts.items() if n > 1 and t in set(tokens)}
        print(f"\noutbound crash: {N} submitted, killed the mta at {at_kill} delivered; "
              f"lost {len(lost)}, duplicated {len(dups)} (at most {MAX_IN_FLIGHT} allowed)")
        self.assertEqual(lost, [], f"{len(lost)} messages never reached the sink")
        self.assertLessEqual(len(dups), MAX_IN_FLIGHT)
        self.assertTrue(all(n == 2 for n in dups.values()), dups)


if __name__ == "__main__":
    unittest.main(verbosity=2)
