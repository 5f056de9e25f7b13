# SPDX-License-Identifier: Apache-2.0
"""IMAP with Python's imaplib against the running mail-imap: the greeting's
capabilities, LOGINDISABLED before STARTTLS, STARTTLS then LOGIN and
AUTHENTICATE PLAIN with a real account of the directory, IMAPS, a wrong
password, literals through imaplib's own literal support, ID, NAMESPACE,
LOGOUT, and BAD for nonsense with the connection kept."""
import imaplib
import unittest

import mailenv as env


def caps(conn):
    typ, data = conn.capability()
    assert typ == "OK", (typ, data)
    return set(data[0].decode().upper().split())


class IMAP(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.user, cls.pw = env.new_account()

    def plain(self):
        return imaplib.IMAP4(env.HOST, env.P_IMAP, timeout=env.TIMEOUT)

    def test_no_password_before_starttls(self):
        c = self.plain()
        try:
            self.assertIn("IMAP4REV1", c.capabilities)
            self.assertIn("STARTTLS", c.capabilities)
            self.assertIn("LOGINDISABLED", c.capabilities)
            self.assertNotIn("AUTH=PLAIN", c.capabilities)
            with self.assertRaises(imaplib.IMAP4.error) as e:
                c.login(self.user, self.pw)
            self.assertIn("PRIVACYREQUIRED", str(e.exception))
        finally:
            c.shutdown()

    def test_starttls_login_and_session_commands(self):
        c = self.plain()
        c.starttls(ssl_context=env.tls_context())
        after = caps(c)
        self.assertNotIn("STARTTLS", after)
        self.assertNotIn("LOGINDISABLED", after)
        self.assertTrue({"AUTH=PLAIN", "AUTH=LOGIN", "LITERAL+", "SASL-IR", "ID", "NAMESPACE"} <= after, after)
        typ, data = c.login(self.user, self.pw)
        self.assertEqual(typ, "OK", data)
        self.assertEqual(c.state, "AUTH")
        typ, data = c.xatom("ID", '("name" "imaplib")')
        self.assertEqual(typ, "OK", data)
        self.assertIn(b'"name" "mail-imap"', c.untagged_responses.get("ID", [b""])[0])
        typ, data = c.namespace()
        self.assertEqual((typ, data), ("OK", [b'(("" "/")) NIL NIL']))
        typ, data = c.noop()
        self.assertEqual(typ, "OK")
        typ, data = c.logout()
        self.assertEqual(typ, "BYE")

    def test_imaps_authenticate_plain_and_a_literal(self):
        c = imaplib.IMAP4_SSL(env.HOST, env.P_IMAPS, timeout=env.TIMEOUT, ssl_context=env.tls_context())
        try:
            self.assertIn("AUTH=PLAIN", c.capabilities)
            typ, data = c.authenticate("PLAIN", lambda _: f"\0{self.user}\0{self.pw}".encode())
            self.assertEqual(typ, "OK", data)
        finally:
            c.logout()
        # imaplib sends a password with special characters as a literal
        # ({N} and a continuation): the server must read it as one.
        c = imaplib.IMAP4_SSL(env.HOST, env.P_IMAPS, timeout=env.TIMEOUT, ssl_context=env.tls_context())
        try:
            c.literal = self.pw.encode()
            typ, data = c._simple_command("LOGIN", self.user)
            self.assertEqual(typ, "OK", data)
        finally:
            c.logout()

    def test_wrong_password_and_nonsense(self):
        c = imaplib.IMAP4_SSL(env.HOST, env.P_IMAPS, timeout=env.TIMEOUT, ssl_context=env.tls_context())
        try:
            with self.assertRaises(imaplib.IMAP4.error) as e:
                c.login(self.user, "not the password")
            self.assertIn("AUTHENTICATIONFAILED", str(e.exception))
            with self.assertRaises(imaplib.IMAP4.error) as e:
                c.xatom("FROB")
            self.assertIn("BAD", str(e.exception))
            typ, data = c.noop()
            self.assertEqual(typ, "OK", "the connection survives a BAD")
        finally:
            c.logout()


if __name__ == "__main__":
    unittest.main()
