# SPDX-License-Identifier: Apache-2.0
"""mailctl queue against the running test stack: a message submitted on 587
(AUTH) to deferred.test, whose MX (scripts/test's DNS records) is 127.0.0.1
where nothing listens on port 25, stays queued; `queue list` shows it with
the connection's error, `queue show` its recipient, leg and attempts, and
`account show` the sender's queued mail; `hold` stops its attempts until
`release`; `retry` makes it due at once; `delete --bounce` fails it and the
bounce reaches the sender's mailbox (POP3). Exit codes: an unknown queue id
is 1, a token the mta does not take is 1, an unreachable mta is 3.
Clients: smtplib, poplib and the mailctl binary."""
import os
import re
import tempfile
import time
import unittest

import mailenv as env

DEST = "deferred.test"


def qctl(*args, **kw):
    return env.mailctl("queue", *args, **kw)


def qctl_ok(*args):
    return env.mailctl_ok("queue", *args).stdout


def attempts_of(show):
    """The leg's attempt count in `queue show` output (the deferred.test row of legs:)."""
    legs = show.split("legs:\n", 1)[1].split("attempts:", 1)[0]
    for line in legs.splitlines():
        cells = line.split()
        if cells and cells[0] == DEST:
            return int(cells[2])
    raise AssertionError(f"no {DEST} leg in: {show!r}")


class Queue(unittest.TestCase):
    def setUp(self):
        self.user, self.pw = env.new_account()
        self.tag = "queued-" + env.token()
        self.rcpt = f"someone-{env.token()}@{DEST}"
        with env.smtp_submit(self.user, self.pw) as s:
            s.sendmail(self.user, [self.rcpt], env.make_message(self.user, self.rcpt, self.tag, "waiting\r\n"))
        self.queue_id = None

    def tearDown(self):
        # Whatever happened, nothing of this test stays queued (e2e_crash waits for an empty queue).
        if self.queue_id:
            env.mailctl("queue", "delete", self.queue_id)

    def wait_listed(self, *filters, timeout=30):
        """The `queue list` line of our message (with `filters`) once it has
        been tried and refused at least once."""
        deadline = time.time() + timeout
        out = ""
        while time.time() < deadline:
            out = qctl_ok("list", "--sender", self.user, *filters)
            line = next((l for l in out.splitlines() if self.rcpt in l), None)
            if line and "refused" in line.lower():
                show = qctl_ok("show", line.split()[0])
                # Its own attempt, not only a deferral for the destination's backoff.
                if re.search(rf"(?m)^  {re.escape(self.rcpt)}\s+{DEST}\s+pending\s+[1-9]\d*\s+4\.", show):
                    return line
            time.sleep(0.3)
        raise AssertionError(f"not listed as tried and refused after {timeout}s: {out!r}")

    def test_list_show_hold_release_retry_delete_bounce(self):
        line = self.wait_listed()
        self.queue_id = line.split()[0]
        self.assertRegex(self.queue_id, r"^[0-9A-F]{12}$")
        self.assertIn(f"{self.rcpt} ({DEST})", line)
        self.assertIn("deferred", line)
        self.assertIn("mx.deferred.test", line, "the last error names the MX")
        header = qctl_ok("list").splitlines()[0]
        self.assertEqual(header.split()[:3], ["QUEUE", "ID", "AGE"])
        # The filters find it; others do not.
        self.assertIn(self.queue_id, qctl_ok("list", "--domain", DEST, "--recipient", self.rcpt))
        self.assertIn(self.queue_id, qctl_ok("list", "--state", "deferred", "--sender", self.user))
        self.assertNotIn(self.queue_id, qctl_ok("list", "--state", "held", "--sender", self.user))
        self.assertNotIn(self.queue_id, qctl_ok("list", "--older-than", "1h", "--sender", self.user))
        self.assertNotIn(self.queue_id, qctl_ok("list", "--recipient", f"other@{DEST}"))

        show = qctl_ok("show", self.queue_id.lower())
        self.assertIn(f"queue id:    {self.queue_id}\n", show)
        self.assertIn(f"sender:      {self.user}\n", show)
        self.assertRegex(show, rf"(?m)^  {re.escape(self.rcpt)}\s+{DEST}\s+pending\s+\d+\s+4\.\d\.\d\s+.*refused")
        self.assertRegex(show, rf"(?m)^  AT\s+DESTINATION\s+DELIVERED\s+DEFERRED\s+FAILED\s+DETAIL$")
        self.assertRegex(show, rf"(?m)^  \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+{DEST}\s+0\s+1\s+0\s+.*refused")
        self.assertIn("ESMTPSA", show)

        acct = env.mailctl_ok("account", "show", self.user).stdout
        self.assertRegex(acct, rf"(?m)^queued:    1 message \(.*\), oldest .*: {self.queue_id} \(")

        # Held: no attempt at all, however long (retries here are at most 5 s apart).
        self.assertEqual(qctl_ok("hold", self.queue_id), f"hold job {self.queue_id}: 1 leg of 1 job held\n")
        self.assertIn(self.queue_id, qctl_ok("list", "--state", "held", "--sender", self.user))
        time.sleep(1)  # an attempt under way when it was held ends first
        before = attempts_of(qctl_ok("show", self.queue_id))
        time.sleep(6)
        show = qctl_ok("show", self.queue_id)
        self.assertIn("state:       held", show)
        self.assertEqual(attempts_of(show), before, "a held leg was attempted")

        out = qctl_ok("release", "--domain", DEST)
        self.assertRegex(out, rf"^release domain {DEST}: [1-9]\d* legs? of [1-9]\d* jobs? released, due now\n$")
        self.assertNotIn(self.queue_id, qctl_ok("list", "--state", "held", "--sender", self.user))
        deadline = time.time() + 10
        while attempts_of(qctl_ok("show", self.queue_id)) == before:
            self.assertLess(time.time(), deadline, "no attempt after release")
            time.sleep(0.2)

        # Retry: due at once, the destination's backoff cleared (it keeps
        # failing, so it is backed off by now). A leg under way is left to
        # its attempt (0 legs): then try again once that one is over.
        for _ in range(5):
            before = attempts_of(qctl_ok("show", self.queue_id))
            out = qctl_ok("retry", self.queue_id)
            self.assertRegex(out, rf"^retry job {self.queue_id}: [01] legs? of [01] jobs? due now")
            if out.startswith(f"retry job {self.queue_id}: 1 leg of 1 job due now"):
                break
            time.sleep(0.5)
        else:
            self.fail(f"retry never found the leg idle: {out!r}")
        t0 = time.time()
        while attempts_of(qctl_ok("show", self.queue_id)) == before:
            self.assertLess(time.time() - t0, 2, "no attempt at once after retry")
            time.sleep(0.1)

        # Delete with a bounce: the recipient fails for good and the sender is told.
        out = qctl_ok("delete", self.queue_id, "--bounce")
        self.assertEqual(out, f"delete job {self.queue_id}: 1 leg of 1 job deleted, 1 bounce queued to the sender\n")
        self.assertNotIn(self.queue_id, qctl_ok("list", "--sender", self.user))
        show = qctl_ok("show", self.queue_id)
        self.assertIn("state:       done\n", show)
        self.assertRegex(show, rf"(?m)^  {re.escape(self.rcpt)}\s+{DEST}\s+failed\s+\d+\s+5\.0\.0\s+deleted by the administrator$")
        self.assertIn("finished:", show)
        bounce = env.wait_for_messages(self.user, self.pw, lambda m: b"deleted by the administrator" in m, timeout=30)[0]
        self.assertIn(self.rcpt.encode(), bounce)
        self.assertIn(b"Status: 5.0.0", bounce)
        self.assertIn(self.tag.encode(), bounce, "the bounce returns the original header")
        self.assertIn(b"Auto-Submitted: auto-replied", bounce)
        acct = env.mailctl_ok("account", "show", self.user).stdout
        self.assertIn("queued:    none\n", acct)

    def test_delete_without_bounce_is_silent(self):
        line = self.wait_listed("--domain", DEST)
        self.queue_id = line.split()[0]
        out = qctl_ok("delete", self.queue_id)
        self.assertEqual(out, f"delete job {self.queue_id}: 1 leg of 1 job deleted, no bounce (silently)\n")
        self.assertIn("state:       done", qctl_ok("show", self.queue_id))
        time.sleep(3)
        self.assertEqual(env.fetch_all(self.user, self.pw), [], "no bounce without --bounce")

    def test_exit_codes(self):
        line = self.wait_listed()
        self.queue_id = line.split()[0]
        r = qctl("show", "0123456789AB")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("no job 0123456789AB in the queue", r.stderr)
        r = qctl("hold", "not-an-id")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        r = qctl("list", queue_server="127.0.0.1:1")
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("unavailable", r.stderr)
        # account show still prints the account when the mta is away.
        r = env.mailctl("account", "show", self.user, queue_server="127.0.0.1:1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"address:   {self.user}", r.stdout)
        self.assertRegex(r.stdout, r"(?m)^queued:    unknown \(queue server 127\.0\.0\.1:1 unreachable: .*\)$")
        # A token the mta does not take (the msa's: a service, not an administrator).
        fd, path = tempfile.mkstemp(prefix="e2e-token-")
        try:
            with os.fdopen(fd, "w") as f, open(os.path.join(env.RUN_DIR, "secrets", "msa.token")) as msa:
                f.write(msa.read())
            r = env.mailctl("--token-file", path, "queue", "list")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("refused our token", r.stderr)
        finally:
            os.unlink(path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
