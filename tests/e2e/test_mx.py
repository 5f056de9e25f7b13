# SPDX-License-Identifier: Apache-2.0
"""The MX port (25-equivalent): local recipients from any sender, refusals at RCPT
(relay, unknown user, over quota), size limits, the null sender, postmaster,
SMTP smuggling with bare LF/CR, dot-stuffing, input pipelined after STARTTLS,
and alias delivery. Uses smtplib and raw sockets."""
import smtplib
import ssl
import time
import unittest

import mailenv as env

OUTSIDE = "someone@elsewhere.invalid"


def mx():
    s = smtplib.SMTP(env.HOST, env.P_SMTP, timeout=60)
    s.ehlo("outside.example")
    return s



def send_when_recipient_known(sender, rcpt, subject, body, wait=20):
    """Sends over the MX port once RCPT is accepted: a recipient just created with
    mailctl may be refused for a few seconds while the msa's directory cache
    still holds the old answer. Returns the last (code, reply)."""
    deadline = time.time() + wait
    while True:
        with mx() as s:
            s.mail(sender)
            code, resp = s.rcpt(rcpt)
            if code == 250:
                code, resp = s.data(env.make_message(sender, rcpt, subject, body))
        if code == 250 or time.time() > deadline:
            return code, resp
        time.sleep(1)

class MX(unittest.TestCase):
    def setUp(self):
        self.user, self.pw = env.new_account()

    def _marker(self, rcpt, pw):
        """Sends a marker message and waits for it: anything sent to `rcpt` before
        it has had its chance to arrive once the marker is there."""
        tag = "marker " + env.token()
        env.mx_send(OUTSIDE, [rcpt], env.make_message(OUTSIDE, rcpt, tag, "marker\r\n"))
        env.wait_for_messages(rcpt, pw, env.subject_is(tag))
        time.sleep(1.0)

    def test_local_recipient_from_outside_delivered(self):
        tag = env.token()
        msg = env.make_message(OUTSIDE, self.user, f"mx {tag}", f"hello {tag}\r\n")
        with mx() as s:
            code, resp = s.mail(OUTSIDE)
            self.assertEqual(code, 250, resp)
            code, resp = s.rcpt(self.user)
            self.assertEqual(code, 250, resp)
            code, resp = s.data(msg)
            self.assertEqual(code, 250, resp)
            self.assertIn(b"queued as", resp)
        got = env.wait_for_messages(self.user, self.pw, env.subject_is(tag))
        self.assertEqual(len(got), 1)
        self.assertEqual(env.split_message(got[0])[1], f"hello {tag}\r\n".encode())
        rp = env.header_values(got[0], "return-path")
        self.assertEqual(rp, [f"<{OUTSIDE}>".encode()])
        received = env.header_values(got[0], "received")
        self.assertTrue(received, "no Received header")
        self.assertFalse(any(b"ESMTPSA" in r for r in received), f"unauthenticated mail marked ESMTPSA: {received}")

    def test_relay_refused_550_571(self):
        with mx() as s:
            self.assertEqual(s.mail(OUTSIDE)[0], 250)
            for rcpt in ("victim@remote.invalid", f"{self.user.split('@')[0]}@elsewhere.invalid"):
                code, resp = s.rcpt(rcpt)
                self.assertEqual(code, 550, f"RCPT {rcpt}: {code} {resp!r}")
                self.assertIn(b"5.7.1", resp)
            # A local sender address does not open the relay either.
            s.rset()
            self.assertEqual(s.mail(self.user)[0], 250)
            code, resp = s.rcpt("victim@remote.invalid")
            self.assertEqual(code, 550, resp)

    def test_unknown_local_user_550_511(self):
        with mx() as s:
            self.assertEqual(s.mail(OUTSIDE)[0], 250)
            code, resp = s.rcpt(f"nobody-{env.token()}@{env.DOMAIN}")
            self.assertEqual(code, 550, resp)
            self.assertIn(b"5.1.1", resp)
            code, resp = s.rcpt(self.user)
            self.assertEqual(code, 250, f"good recipient after a refused one: {code} {resp!r}")

    def test_over_quota_452_422(self):
        tag = env.token()
        filler = ("x" * 76 + "\r\n") * 400  # ~31 KB
        env.mx_send(OUTSIDE, [self.user], env.make_message(OUTSIDE, self.user, f"fill {tag}", filler))
        env.wait_for_messages(self.user, self.pw, env.subject_is(tag))
        env.mailctl_ok("account", "quota", self.user, "10K")
        deadline = time.time() + 20  # the directory answers are cached briefly
        while True:
            with mx() as s:
                self.assertEqual(s.mail(OUTSIDE)[0], 250)
                code, resp = s.rcpt(self.user)
            if code != 250 or time.time() > deadline:
                break
            time.sleep(1)
        self.assertEqual(code, 452, f"over-quota recipient: {code} {resp!r}")
        self.assertIn(b"4.2.2", resp)

    def test_size_parameter_over_limit_552(self):
        with mx() as s:
            limit = int(s.esmtp_features.get("size", "0") or 0)
            self.assertGreater(limit, 0, f"EHLO advertises no SIZE limit: {s.esmtp_features}")
            code, resp = s.mail(OUTSIDE, [f"SIZE={limit + 1}"])
            self.assertEqual(code, 552, resp)
            code, resp = s.mail(OUTSIDE, [f"SIZE={limit - 1000}"])
            self.assertEqual(code, 250, f"SIZE under the limit refused: {resp!r}")

    def test_data_over_limit_552_534(self):
        tag = env.token()
        with mx() as s:
            limit = int(s.esmtp_features.get("size", "26214400") or 26214400)
            line = b"y" * 998 + b"\r\n"
            body = line * (limit // len(line) + 1024)  # about 1 MB over the limit
            msg = env.make_message(OUTSIDE, self.user, f"big {tag}", body)
            self.assertEqual(s.mail(OUTSIDE)[0], 250)
            self.assertEqual(s.rcpt(self.user)[0], 250)
            code, resp = s.data(msg)
            self.assertEqual(code, 552, resp)
            self.assertIn(b"5.3.4", resp)
            code, resp = s.noop()
            self.assertEqual(code, 250, f"connection not usable after the oversize refusal: {resp!r}")
        self._marker(self.user, self.pw)
        subjects = [env.header_values(m, "subject") for m in env.fetch_all(self.user, self.pw)]
        self.assertNotIn([f"big {tag}".encode()], subjects, "the oversize message was delivered")

    def test_null_sender_accepted(self):
        tag = env.token()
        with mx() as s:
            code, resp = s.mail("<>")
            self.assertEqual(code, 250, resp)
            self.assertEqual(s.rcpt(self.user)[0], 250)
            code, resp = s.data(env.make_message("mailer-daemon@elsewhere.invalid", self.user,
                                                 f"null {tag}", "bounce\r\n"))
            self.assertEqual(code, 250, resp)
        got = env.wait_for_messages(self.user, self.pw, env.subject_is(tag))[0]
        self.assertEqual(env.header_values(got, "return-path"), [b"<>"])

    def test_postmaster_and_abuse_accepted(self):
        with mx() as s:
            self.assertEqual(s.mail(OUTSIDE)[0], 250)
            for local in ("postmaster", "Postmaster", "abuse"):
                code, resp = s.rcpt(f"{local}@{env.DOMAIN}")
                self.assertEqual(code, 250, f"{local}@: {code} {resp!r}")
            code, resp = s.rcpt("postmaster")  # RFC 5321 4.5.1: case-insensitive, no domain
            self.assertEqual(code, 250, f"<postmaster>: {code} {resp!r}")

    def _smuggle(self, variant, victim, tag):
        """MAIL/RCPT/DATA with a payload that ends early under a lax reading of
        end-of-data. Returns the reply to the data (code, text) and the client."""
        c = env.RawClient(env.P_SMTP, timeout=30)
        self.assertEqual(c.reply()[0], 220)
        self.assertEqual(c.cmd("EHLO outside.example")[0], 250)
        self.assertEqual(c.cmd(f"MAIL FROM:<{OUTSIDE}>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{victim}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        smuggled = (f"MAIL FROM:<admin@{env.DOMAIN}>\r\nRCPT TO:<{victim}>\r\nDATA\r\n"
                    f"From: admin@{env.DOMAIN}\r\nSubject: smuggled {tag}\r\n\r\nsmuggled\r\n").encode()
        payload = (f"From: {OUTSIDE}\r\nSubject: outer {tag}\r\n\r\nouter\r\n").encode()[:-2] + variant + smuggled
        c.send(payload + b".\r\n")
        return c.reply(), c

    def test_bare_lf_smuggling_refused(self):
        variants = {"LF.LF": b"\n.\n", "LF.CRLF": b"\n.\r\n", "CRLF.LF": b"\r\n.\n",
                    "CR.CR": b"\r.\r", "CR.CRLF": b"\r.\r\n", "CRLF.CR": b"\r\n.\r",
                    "bare LF in line": b"\r\nline with a bare\nLF\r\n.\n"}
        tags = {}
        for name, variant in variants.items():
            with self.subTest(variant=name):
                tag = env.token()
                tags[name] = tag
                (code, text), c = self._smuggle(variant, self.user, tag)
                try:
                    self.assertTrue(500 <= code < 600, f"{name}: data answered {code} {text!r}")
                    more = c.pending(0.5)
                    self.assertEqual(more, b"", f"{name}: unexpected further replies {more!r}")
                    for cmd in ("RSET", "NOOP"):
                        rc, rt = c.cmd(cmd)
                        self.assertEqual(rc, 250, f"{name}: {cmd} after the refusal answered {rc} {rt!r}")
                    self.assertEqual(c.cmd("QUIT")[0], 221)
                finally:
                    c.close()
        self._marker(self.user, self.pw)
        for m in env.fetch_all(self.user, self.pw):
            subject = b" ".join(env.header_values(m, "subject"))
            for name, tag in tags.items():
                self.assertNotIn(f"smuggled {tag}".encode(), subject, f"{name}: smuggled message delivered")
                self.assertNotIn(f"outer {tag}".encode(), subject, f"{name}: refused message delivered")

    def test_dot_stuffing_removed(self):
        tag = env.token()
        c = env.RawClient(env.P_SMTP)
        try:
            self.assertEqual(c.reply()[0], 220)
            self.assertEqual(c.cmd("EHLO outside.example")[0], 250)
            self.assertEqual(c.cmd(f"MAIL FROM:<{OUTSIDE}>")[0], 250)
            self.assertEqual(c.cmd(f"RCPT TO:<{self.user}>")[0], 250)
            self.assertEqual(c.cmd("DATA")[0], 354)
            c.send(f"Subject: dots {tag}\r\n\r\n..hidden\r\n..\r\n...three\r\nmid.dle\r\n. \r\n.\r\n".encode())
            code, text = c.reply()
            self.assertEqual(code, 250, text)
            c.cmd("QUIT")
        finally:
            c.close()
        got = env.wait_for_messages(self.user, self.pw, env.subject_is(tag))[0]
        # RFC 5321 4.5.2: a leading dot followed by anything is removed, once.
        self.assertEqual(env.split_message(got)[1], b".hidden\r\n.\r\n..three\r\nmid.dle\r\n \r\n")

    def test_pipelined_after_starttls_is_a_protocol_error(self):
        # RFC 2920 3.1 / RFC 3207: STARTTLS ends a pipelined group. Input
        # behind it is never run inside TLS: 554 5.5.0 and disconnect, as
        # Postfix 3.9 (smtpd_forbid_unauth_pipelining).
        c = env.RawClient(env.P_SMTP)
        try:
            self.assertEqual(c.reply()[0], 220)
            code, text = c.cmd("EHLO outside.example")
            self.assertIn(b"STARTTLS", text.upper())
            c.send(b"STARTTLS\r\nNOOP\r\n")
            code, text = c.reply()
            self.assertEqual((code, text[:9]), (554, b"554 5.5.0"), text)
            self.assertEqual(c.pending(1.0), b"", "the pipelined NOOP was answered")
        finally:
            c.close()
        # Waiting for the 220 works, and TLS starts clean.
        c = env.RawClient(env.P_SMTP)
        try:
            self.assertEqual(c.reply()[0], 220)
            c.cmd("EHLO outside.example")
            code, text = c.cmd("STARTTLS")
            self.assertEqual(code, 220, text)
            ctx = env.tls_context()
            c.sock = ctx.wrap_socket(c.sock, server_hostname="mail.example.test")
            code, text = c.cmd("EHLO outside.example")
            self.assertEqual(code, 250, text)
            self.assertNotIn(b"STARTTLS", text.upper(), "STARTTLS offered again inside TLS")
            self.assertEqual(c.cmd("NOOP")[0], 250)
        except (ssl.SSLError, ConnectionError) as e:
            self.fail(f"TLS after STARTTLS failed: {e!r}")
        finally:
            c.close()

    def test_body_before_354_is_a_protocol_error(self):
        tag = "early " + env.token()
        c = env.RawClient(env.P_SMTP)
        try:
            self.assertEqual(c.reply()[0], 220)
            c.cmd("EHLO outside.example")
            c.send(b"MAIL FROM:<x@outside.example>\r\nRCPT TO:<" + self.user.encode() + b">\r\nDATA\r\n"
                   b"Subject: " + tag.encode() + b"\r\n\r\nearly\r\n.\r\n")
            self.assertEqual(c.reply()[0], 250)
            self.assertEqual(c.reply()[0], 250)
            code, text = c.reply()
            self.assertEqual((code, text[:9]), (554, b"554 5.5.0"), text)
        finally:
            c.close()
        self._marker(self.user, self.pw)
        subjects = [env.header_values(m, "subject") for m in env.fetch_all(self.user, self.pw)]
        self.assertNotIn([tag.encode()], subjects, "the body sent before the 354 was queued")

    def test_command_sequence_and_syntax_errors(self):
        c = env.RawClient(env.P_SMTP)
        try:
            self.assertEqual(c.reply()[0], 220)
            self.assertEqual(c.cmd("EHLO outside.example")[0], 250)
            for cmd, want in (("RCPT TO:<postmaster@example.test>", 503), ("DATA", 503),
                              ("MAIL FROM:<no address>", 501), ("FROBNICATE", 500), ("HELO", 501),
                              (f"MAIL FROM:<{OUTSIDE}>", 250), (f"MAIL FROM:<{OUTSIDE}>", 503),
                              ("DATA", 503), ("NOOP " + "a" * 3000, 500), ("RSET", 250)):
                code, text = c.cmd(cmd)
                self.assertEqual(code, want, f"{cmd[:40]}: {code} {text!r}")
                if code >= 400:
                    self.assertRegex(text, rb"^\d{3} [245]\.\d{1,3}\.\d{1,3} ", f"no enhanced status code: {text!r}")
            self.assertEqual(c.cmd("QUIT")[0], 221)
        finally:
            c.close()

    def test_too_many_recipients_452(self):
        local, domain = self.user.split("@")
        with mx() as s:
            self.assertEqual(s.mail(OUTSIDE)[0], 250)
            for i in range(1000):
                code, resp = s.rcpt(f"{local}+{i}@{domain}")  # distinct addresses, one mailbox
                if code != 250:
                    break
            self.assertEqual(code, 452, f"recipient {i + 1}: {code} {resp!r}")
            self.assertGreaterEqual(i, 100, "fewer than 100 recipients allowed (RFC 5321 4.5.3.1.8)")
            s.rset()

    def test_line_too_long_refused(self):
        tag = env.token()
        with mx() as s:
            self.assertEqual(s.mail(OUTSIDE)[0], 250)
            self.assertEqual(s.rcpt(self.user)[0], 250)
            code, resp = s.data(f"Subject: long {tag}\r\n\r\n".encode() + b"z" * 100000 + b"\r\n")
            self.assertTrue(500 <= code < 600, f"a 100000-octet line answered {code} {resp!r}")
            self.assertEqual(s.noop()[0], 250)

    @staticmethod
    def _received(n):
        return "".join(f"Received: from h{i}.example by h{i + 1}.example; Mon, 06 Jan 2025 10:00:00 +0000\r\n"
                       for i in range(n))

    def test_mail_loop_100_received(self):
        """99 Received headers from outside + the msa's own = 100: a loop, never delivered
        (refused at DATA with 554 5.4.6, or accepted and failed at delivery). 98 + 1 passes."""
        tags = {n: env.token() for n in (98, 99)}
        with mx() as s:
            for n, tag in tags.items():
                self.assertEqual(s.mail("<>")[0], 250)  # the null sender: a failure makes no bounce
                self.assertEqual(s.rcpt(self.user)[0], 250)
                code, resp = s.data((self._received(n) + f"Subject: hops{n} {tag}\r\n\r\nx\r\n").encode())
                if n == 98:
                    self.assertEqual(code, 250, resp)
                else:
                    self.assertTrue(code == 250 or (code == 554 and b"5.4.6" in resp), f"{code} {resp!r}")
        env.wait_for_messages(self.user, self.pw, env.subject_is(tags[98]))
        self._marker(self.user, self.pw)
        self.assertFalse(any(env.subject_is(tags[99])(m) for m in env.fetch_all(self.user, self.pw)),
                         "a message with 100 Received headers was delivered")

    def test_loop_bounced_to_local_sender(self):
        """A message that fails permanently at delivery comes back to its (local) sender as a
        bounce: null Return-Path, Auto-Submitted: auto-replied, naming the reason (DESIGN.md)."""
        sender, spw = env.new_account()
        tag = env.token()
        with mx() as s:
            self.assertEqual(s.mail(sender)[0], 250)
            self.assertEqual(s.rcpt(self.user)[0], 250)
            code, resp = s.data((self._received(120) + f"Subject: looping {tag}\r\n\r\nx\r\n").encode())
        if code == 554:
            self.assertIn(b"5.4.6", resp)
            return  # refused at DATA: the client holds the bounce, nothing is owed
        self.assertEqual(code, 250, resp)
        bounce = env.wait_for_messages(sender, spw, lambda m: tag.encode() in m, timeout=30)[0]
        self.assert_bounce(bounce)
        self.assertIn(b"5.4.6", bounce)

    def assert_bounce(self, bounce):
        """A bounce has a null reverse-path and says it was sent automatically."""
        self.assertEqual(env.header_values(bounce, "return-path"), [b"<>"])
        self.assertEqual([v.lower() for v in env.header_values(bounce, "auto-submitted")], [b"auto-replied"])
        # Named by the host name the msa greets with, not the machine's.
        self.assertIn(b"Reporting-MTA: dns; mail.example.test", bounce)
        self.assertIn(b"MAILER-DAEMON@mail.example.test", env.header_values(bounce, "from")[0])

    def test_failed_delivery_bounces_to_sender(self):
        """Accepted, then failed for good at delivery (an alias whose only target does
        not exist): the sender gets one bounce with a null Return-Path, Auto-Submitted,
        the failed recipient and status, and the original headers (RFC 3464)."""
        sender, spw = env.new_account()
        alias = f"broken-{env.token()}@{env.DOMAIN}"
        env.mailctl_ok("alias", "add", alias, f"nobody-{env.token()}@{env.DOMAIN}")
        tag = env.token()
        code, resp = send_when_recipient_known(sender, alias, f"bounce {tag}", "to a broken alias\r\n")
        self.assertEqual(code, 250, f"mail to the alias: {code} {resp!r}")
        bounce = env.wait_for_messages(sender, spw, lambda m: tag.encode() in m, timeout=30)[0]
        self.assert_bounce(bounce)
        self.assertIn(b"multipart/report", bounce)
        self.assertIn(f"Final-Recipient: rfc822; {alias}".encode(), bounce)
        self.assertIn(b"Status: 5.1.1", bounce)
        self.assertIn(f"Subject: bounce {tag}".encode(), bounce)  # the returned original headers
        time.sleep(2)
        got = env.wait_for_messages(sender, spw, lambda m: tag.encode() in m, timeout=5)
        self.assertEqual(len(got), 1, "exactly one bounce")

    def test_alias_delivery(self):
        alias = f"alias-{env.token()}@{env.DOMAIN}"
        env.mailctl_ok("alias", "add", alias, self.user)
        tag = env.token()
        code, resp = send_when_recipient_known(OUTSIDE, alias, f"alias {tag}", "via alias\r\n")
        self.assertEqual(code, 250, f"mail to the alias: {code} {resp!r}")
        got = env.wait_for_messages(self.user, self.pw, env.subject_is(tag))
        self.assertEqual(len(got), 1)
        self.assertIn(self.user.encode(), b" ".join(env.header_values(got[0], "delivered-to")).lower())


if __name__ == "__main__":
    unittest.main(verbosity=2)
