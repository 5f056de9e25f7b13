# SPDX-License-Identifier: Apache-2.0
"""The failed-login throttle every edge shares (issue 6, hole 4), end to end
against the running test stack: many wrong SMTP AUTH passwords for one
account from parallel connections end in the refusal within a bounded count
and time; the refused address is refused by POP3 too (the edges share the
counts in Redis), even with the right password and without a password check;
the right password from another source address still works on both; `mailctl
throttle show` names the block and `mailctl throttle clear` lifts it; the
decisions show on the edges' /metrics.

The attacker connects from 127.0.0.3 and the owner from 127.0.0.2 (all of
127.0.0.0/8 is loopback), so the rest of the suite, on 127.0.0.1, is never
throttled by this test. The stack's thresholds are short (scripts/lib/stack.sh:
5 failures per address and account). Clients: smtplib, poplib, mailctl, urllib."""
import base64
import concurrent.futures
import poplib
import smtplib
import socket
import threading
import time
import unittest

import mailenv as env

ATTACKER = "127.0.0.3"
OWNER = "127.0.0.2"
PAIR_LIMIT = 5      # auth_throttle.max_failures_per_pair in the test stack
PARALLEL = 4        # attacking connections at once
REFUSED_SMTP = "Too many failed login attempts, try again later"
REFUSED_POP3 = b"-ERR [SYS/TEMP] Too many failed login attempts, try again later"


def plain(user, pw):
    return base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode()).decode()


def smtp_from(source):
    """A submission session (587, STARTTLS) from the loopback address `source`."""
    s = smtplib.SMTP(env.HOST, env.P_SUBMIT, timeout=env.TIMEOUT, source_address=(source, 0))
    s.ehlo("client.example")
    s.starttls(context=env.tls_context())
    s.ehlo("client.example")
    return s


class POP3From(poplib.POP3):
    """poplib.POP3 from a chosen source address (poplib has no source_address)."""

    def __init__(self, source, host, port, timeout):
        self._source = source
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self._source, 0))


def pop3_try(source, user, pw):
    """USER/PASS after STLS from `source`: the PASS reply line (bytes), +OK or -ERR."""
    p = POP3From(source, env.HOST, env.P_POP3, env.TIMEOUT)
    try:
        p.stls(context=env.tls_context())
        p.user(user)
        try:
            reply = p.pass_(pw)
        except poplib.error_proto as e:
            reply = e.args[0]
        try:
            p.quit()
        except (poplib.error_proto, OSError):
            pass
        return reply
    finally:
        env.close_quietly(p)


def throttle_metric(port, protocol, decision):
    _, _, text = env.http_get(port, "/metrics")
    name = "mail_login_throttle_total"
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and f'protocol="{protocol}"' in line and f'decision="{decision}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


class LoginThrottle(unittest.TestCase):
    def setUp(self):
        self.user, self.pw = env.new_account()
        # A stack kept from an earlier run may still block the attacker's address.
        env.mailctl_ok("throttle", "clear", "--address", ATTACKER)

    def attack(self):
        """Wrong passwords from PARALLEL connections until the throttle refuses;
        returns (failures answered 535, refusals answered 454, seconds)."""
        lock = threading.Lock()
        counts = {"535": 0, "454": 0, "other": []}
        stop = threading.Event()
        deadline = time.monotonic() + 30

        def one_connection():
            while not stop.is_set() and time.monotonic() < deadline:
                s = smtp_from(ATTACKER)
                try:
                    for _ in range(3):  # smtp.max_auth_failures per connection
                        code, resp = s.docmd("AUTH", "PLAIN " + plain(self.user, self.pw + "-wrong"))
                        with lock:
                            if code == 535:
                                counts["535"] += 1
                            elif code == 454 and REFUSED_SMTP.encode() in resp:
                                counts["454"] += 1
                                stop.set()
                                return
                            else:
                                counts["other"].append((code, resp))
                                stop.set()
                                return
                finally:
                    try:
                        s.close()
                    except OSError:
                        pass

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
            for f in [pool.submit(one_connection) for _ in range(PARALLEL)]:
                f.result()
        return counts["535"], counts["454"], counts["other"], time.monotonic() - started

    def test_failures_end_in_a_refusal_shared_by_every_protocol(self):
        refused_before = throttle_metric(env.H_MSA, "smtp", "refused")
        failures, refusals, other, seconds = self.attack()
        self.assertEqual(other, [], "unexpected replies")
        self.assertGreaterEqual(refusals, 1, f"no refusal after {failures} wrong passwords in {seconds:.1f}s")
        # Attempts checked at the same moment may all pass before the limit is
        # counted: at most one per parallel connection beyond it.
        self.assertGreaterEqual(failures, PAIR_LIMIT)
        self.assertLessEqual(failures, PAIR_LIMIT + PARALLEL - 1)
        self.assertLess(seconds, 20, "the refusal took too long")

        # The right password from the refused address: refused by SMTP and by
        # POP3 (the other protocol), without a password check.
        s = smtp_from(ATTACKER)
        try:
            code, resp = s.docmd("AUTH", "PLAIN " + plain(self.user, self.pw))
            self.assertEqual((code, resp), (454, b"4.7.0 " + REFUSED_SMTP.encode()))
        finally:
            s.close()
        self.assertEqual(pop3_try(ATTACKER, self.user, self.pw), REFUSED_POP3)

        # The owner, from another address, still gets in on both.
        s = smtp_from(OWNER)
        try:
            code, resp = s.docmd("AUTH", "PLAIN " + plain(self.user, self.pw))
            self.assertEqual(code, 235, resp)
        finally:
            s.close()
        self.assertTrue(pop3_try(OWNER, self.user, self.pw).startswith(b"+OK"))

        # The administrator sees the block and lifts it.
        shown = env.mailctl_ok("throttle", "show", "--address", ATTACKER, "--account", self.user).stdout
        self.assertRegex(shown, r"pair: +\d+ failures, blocked for ", shown)
        cleared = env.mailctl_ok("throttle", "clear", "--address", ATTACKER).stdout
        self.assertRegex(cleared, r"login throttle cleared for address 127\.0\.0\.3 \(\d+ keys deleted\)")
        self.assertTrue(pop3_try(ATTACKER, self.user, self.pw).startswith(b"+OK"), "the block was not lifted")
        shown = env.mailctl_ok("throttle", "show", "--address", ATTACKER, "--account", self.user).stdout
        self.assertIn("not blocked", shown)

        # The decisions are on the edges' /metrics.
        self.assertGreater(throttle_metric(env.H_MSA, "smtp", "refused"), refused_before)
        self.assertGreaterEqual(throttle_metric(env.H_POP3, "pop3", "refused"), 1)
        self.assertGreaterEqual(throttle_metric(env.H_MSA, "smtp", "allowed"), 1)

    def test_mailctl_throttle_usage_and_access(self):
        r = env.mailctl("throttle", "clear", "--address", "not-an-ip")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("not an IP address", r.stderr)
        r = env.mailctl("throttle", "clear")
        self.assertEqual(r.returncode, 2, r.stderr)
        r = env.mailctl("throttle", "clear", "--account", f"nobody-{env.token()}@{env.DOMAIN}")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("(0 keys deleted)", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
