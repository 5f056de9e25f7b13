# SPDX-License-Identifier: Apache-2.0
"""Submission (587 STARTTLS, 465 implicit TLS) with Python's smtplib, read back
over POP3 (STLS) and POP3S: the body must come back byte for byte, and the
headers that submission and delivery add must be there. Also the refusals of
the submission ports: AUTH before TLS, MAIL before AUTH, wrong password,
spoofed sender, remote recipient."""
import base64
import smtplib
import unittest

import mailenv as env

# Lines that test the transparency procedure and 8-bit transport.
BODY_LINES = [
    "Hello {tag}",
    "line with trailing spaces   ",
    ".leading dot line",
    ".",
    "..two",
    "...three",
    " . space dot",
    "\ttab line",
    "8-bit: caf\u00e9 na\u00efve \u65e5\u672c\u8a9e \u00df",
    "",
    "after an empty line",
]


def body_for(tag):
    return ("\r\n".join(BODY_LINES).format(tag=tag) + "\r\n").encode("utf-8")


class Submission(unittest.TestCase):
    def setUp(self):
        self.user, self.pw = env.new_account()

    def _message(self, tag, **kw):
        return env.make_message(self.user, self.user, f"submission {tag}", body_for(tag),
                                extra_headers=["MIME-Version: 1.0",
                                               "Content-Type: text/plain; charset=utf-8",
                                               "Content-Transfer-Encoding: 8bit",
                                               "Return-Path: <forged@elsewhere.invalid>"], **kw)

    def _check_delivered(self, got, sent, tag):
        fields, body = env.split_message(got)
        self.assertEqual(body, body_for(tag), "body altered in transit")
        names = [n for n, _ in fields]
        for need in ("received", "date", "message-id", "return-path", "delivered-to"):
            self.assertIn(need, names, f"delivered message lacks {need}: {names}")
        self.assertEqual(names.count("return-path"), 1, f"Return-Path not exactly once: {fields}")
        rp = env.header_values(got, "return-path")[0]
        self.assertNotIn(b"forged@elsewhere.invalid", rp, "the submitted Return-Path was kept")
        self.assertIn(self.user.encode(), rp.lower())
        self.assertIn(self.user.encode(), env.header_values(got, "delivered-to")[0].lower())
        received = env.header_values(got, "received")
        self.assertTrue(any(b"ESMTPSA" in r for r in received), f"no Received with ESMTPSA: {received}")
        # What the client set is kept unchanged.
        for name in ("date", "message-id", "subject", "from", "to"):
            self.assertEqual(env.header_values(got, name), env.header_values(sent, name), name)

    def _submit_and_read(self, implicit_smtp, implicit_pop, auth):
        tag = env.token()
        msg = self._message(tag)
        s = smtplib.SMTP_SSL(env.HOST, env.P_SUBMITS, timeout=env.TIMEOUT, context=env.tls_context()) \
            if implicit_smtp else smtplib.SMTP(env.HOST, env.P_SUBMIT, timeout=env.TIMEOUT)
        with s:
            s.ehlo("client.example")
            if not implicit_smtp:
                s.starttls(context=env.tls_context())
                s.ehlo("client.example")
            for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes"):
                self.assertTrue(s.has_extn(ext), f"EHLO lacks {ext}: {s.esmtp_features}")
            self.assertFalse(s.has_extn("starttls"), "STARTTLS still offered inside TLS")
            mechs = s.esmtp_features.get("auth", "").upper().split()
            self.assertIn(auth, mechs)
            s.user, s.password = self.user, self.pw
            code, resp = s.auth(auth, getattr(s, "auth_" + auth.lower()), initial_response_ok=(auth == "PLAIN"))
            self.assertEqual(code, 235, resp)
            refused = s.sendmail(self.user, [self.user], msg, mail_options=["BODY=8BITMIME"])
            self.assertEqual(refused, {})
        got = env.wait_for_messages(self.user, self.pw, env.subject_is(tag), implicit=implicit_pop)
        self.assertEqual(len(got), 1, "delivered more than once")
        self._check_delivered(got[0], msg, tag)

    def test_starttls_auth_plain_read_pop3_stls(self):
        self._submit_and_read(False, False, "PLAIN")

    def test_starttls_auth_login_read_pop3s(self):
        self._submit_and_read(False, True, "LOGIN")

    def test_implicit_tls_465_auth_plain_read_pop3s(self):
        self._submit_and_read(True, True, "PLAIN")

    def test_implicit_tls_465_auth_login_read_pop3_stls(self):
        self._submit_and_read(True, False, "LOGIN")

    def test_date_and_message_id_added_when_missing(self):
        tag = env.token()
        msg = env.make_message(self.user, self.user, f"bare {tag}", f"no date {tag}\r\n",
                               date=False, message_id=False)
        with env.smtp_submit(self.user, self.pw) as s:
            s.sendmail(self.user, [self.user], msg)
        got = env.wait_for_messages(self.user, self.pw, env.subject_is(tag))[0]
        self.assertEqual(len(env.header_values(got, "date")), 1, "Date not added exactly once")
        self.assertEqual(len(env.header_values(got, "message-id")), 1, "Message-ID not added exactly once")
        mid = env.header_values(got, "message-id")[0]
        self.assertRegex(mid, rb"^<[^<>@\s]+@[^<>@\s]+>$")

    def test_auth_not_offered_before_starttls(self):
        with smtplib.SMTP(env.HOST, env.P_SUBMIT, timeout=env.TIMEOUT) as s:
            s.ehlo("client.example")
            self.assertTrue(s.has_extn("starttls"))
            self.assertFalse(s.has_extn("auth"), f"AUTH offered before TLS: {s.esmtp_features}")
            token = base64.b64encode(f"\0{self.user}\0{self.pw}".encode()).decode()
            code, resp = s.docmd("AUTH", "PLAIN " + token)
            self.assertGreaterEqual(code, 500, f"AUTH before STARTTLS answered {code} {resp!r}")
            code, resp = s.mail(self.user)
            self.assertGreaterEqual(code, 500, f"MAIL before STARTTLS/AUTH answered {code} {resp!r}")

    def test_mail_before_auth_530(self):
        with smtplib.SMTP(env.HOST, env.P_SUBMIT, timeout=env.TIMEOUT) as s:
            s.ehlo("client.example")
            s.starttls(context=env.tls_context())
            s.ehlo("client.example")
            code, resp = s.mail(self.user)
            self.assertEqual(code, 530, resp)

    def test_mail_before_auth_530_on_465(self):
        with smtplib.SMTP_SSL(env.HOST, env.P_SUBMITS, timeout=env.TIMEOUT, context=env.tls_context()) as s:
            s.ehlo("client.example")
            code, resp = s.mail(self.user)
            self.assertEqual(code, 530, resp)

    def test_wrong_password_535(self):
        for implicit in (False, True):
            with self.subTest(implicit=implicit):
                with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
                    env.smtp_submit(self.user, self.pw + "-wrong", implicit=implicit)
                self.assertEqual(cm.exception.smtp_code, 535, cm.exception.smtp_error)

    def test_unknown_user_535(self):
        with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
            env.smtp_submit(f"nobody-{env.token()}@{env.DOMAIN}", "whatever")
        self.assertEqual(cm.exception.smtp_code, 535, cm.exception.smtp_error)

    def test_spoofed_sender_553(self):
        other, _ = env.new_account()
        with env.smtp_submit(self.user, self.pw) as s:
            for frm in (other, "someone@elsewhere.invalid", f"{env.token()}@{env.DOMAIN}"):
                code, resp = s.mail(frm)
                if code == 250:  # refusing at RCPT is not what the issue asks, but tell it apart
                    rcode, rresp = s.rcpt(self.user)
                    s.rset()
                    self.fail(f"MAIL FROM:<{frm}> by {self.user} accepted (RCPT then {rcode} {rresp!r})")
                self.assertEqual(code, 553, f"MAIL FROM:<{frm}>: {code} {resp!r}")
                self.assertIn(b"5.7.1", resp)
            # Still usable for the user's own address.
            code, resp = s.mail(self.user)
            self.assertEqual(code, 250, resp)
            s.rset()

    def test_remote_recipient_accepted_for_relay(self):
        # An authenticated client may send to other domains (the mta carries it by MX).
        with env.smtp_submit(self.user, self.pw) as s:
            code, resp = s.mail(self.user)
            self.assertEqual(code, 250, resp)
            code, resp = s.rcpt("someone@remote.invalid")
            self.assertEqual(code, 250, f"remote recipient answered {code} {resp!r}")
            code, resp = s.rcpt(self.user)
            self.assertEqual(code, 250, f"local recipient after a remote one: {code} {resp!r}")
            s.rset()

    def test_mail_for_a_domain_that_does_not_exist_bounces(self):
        # The stack's own DNS server (scripts/test) says NXDOMAIN for it: a
        # permanent answer, bounced at once with 5.1.2, not retried for days.
        tag = env.token()
        rcpt = f"someone@no-such-domain-{tag.lower()}.invalid"
        with env.smtp_submit(self.user, self.pw) as s:
            s.sendmail(self.user, [rcpt], env.make_message(self.user, rcpt, f"nowhere {tag}", "hello\r\n"))
        got = env.wait_for_messages(self.user, self.pw, lambda m: rcpt.encode() in m and b"multipart/report" in m)
        self.assertIn(b"Status: 5.1.2", got[0])
        self.assertIn(b"Host or domain name not found", got[0])
        self.assertIn(f"nowhere {tag}".encode(), got[0], "the original headers come back")


if __name__ == "__main__":
    unittest.main(verbosity=2)
