# SPDX-License-Identifier: Apache-2.0
"""POP3 (RFC 1939, 2449, 2595, 5034) with Python's poplib: UIDL stability, DELE
applied only at QUIT, RSET, TOP, LIST sizes, one session per maildrop, and the
authentication rules (no plaintext before STLS, wrong password, CAPA)."""
import base64
import poplib
import unittest

import mailenv as env

OUTSIDE = "someone@elsewhere.invalid"


class POP3(unittest.TestCase):
    def setUp(self):
        self.user, self.pw = env.new_account()

    def _deliver(self, n, body=None):
        """Delivers n messages over the MX port; returns their subjects, in order."""
        subjects = []
        for i in range(n):
            tag = f"pop3 {i} {env.token()}"
            text = body if body is not None else f"message {i}\r\n.dot line\r\n.\r\nend\r\n"
            env.mx_send(OUTSIDE, [self.user], env.make_message(OUTSIDE, self.user, tag, text))
            subjects.append(tag)
        for tag in subjects:
            env.wait_for_messages(self.user, self.pw, env.subject_is(tag))
        return subjects

    def _login(self, **kw):
        return env.pop3_login(self.user, self.pw, **kw)

    @staticmethod
    def _uidl(p):
        out = {}
        for line in p.uidl()[1]:
            num, uid = line.split()
            out[int(num)] = uid
        return out

    def test_uidl_stable_across_sessions(self):
        self._deliver(3)
        p = self._login()
        first = self._uidl(p)
        p.quit()
        p = self._login(implicit=True)
        second = self._uidl(p)
        single = {i: p.uidl(i).split()[2] for i in first}
        p.quit()
        self.assertEqual(len(first), 3)
        self.assertEqual(first, second)
        self.assertEqual(first, single, "UIDL n disagrees with UIDL")
        self.assertEqual(len(set(first.values())), 3, "UIDs not unique")
        for uid in first.values():
            self.assertTrue(1 <= len(uid) <= 70 and all(0x21 <= c <= 0x7e for c in uid), uid)

    def test_dele_quit_removes(self):
        subjects = self._deliver(2)
        p = self._login()
        uids = self._uidl(p)
        # The two may have been delivered in either order: keep the subject
        # of the one that is not deleted.
        kept = [t for t in subjects if not env.subject_is(t)(env.retr_bytes(p, 1))]
        self.assertEqual(len(kept), 1, "message 1 is one of the two")
        p.dele(1)
        with self.assertRaises(poplib.error_proto):  # a deleted message cannot be read
            p.retr(1)
        self.assertEqual(p.stat()[0], 1, "STAT counts a message marked deleted")
        p.quit()
        p = self._login()
        left = self._uidl(p)
        msgs = [env.retr_bytes(p, i) for i in left]
        p.quit()
        self.assertEqual(list(left.values()), [uids[2]])
        self.assertTrue(env.subject_is(kept[0])(msgs[0]))

    def test_dele_then_dropped_connection_keeps(self):
        self._deliver(2)
        p = self._login()
        before = self._uidl(p)
        p.dele(1)
        p.dele(2)
        p.close()  # no QUIT: the UPDATE state is never entered
        p = self._login()
        after = self._uidl(p)
        p.quit()
        self.assertEqual(before, after, "DELE applied without QUIT")

    def test_rset_unmarks(self):
        self._deliver(2)
        p = self._login()
        before = self._uidl(p)
        p.dele(1)
        p.dele(2)
        resp = p.rset()
        self.assertTrue(resp.startswith(b"+OK"), resp)
        self.assertEqual(p.stat()[0], 2)
        p.retr(1)
        p.quit()
        p = self._login()
        self.assertEqual(self._uidl(p), before, "messages deleted after RSET and QUIT")
        p.quit()

    def test_top_zero_headers_only(self):
        tag = self._deliver(1, body="BODYTOKEN first\r\nsecond\r\n")[0]
        p = self._login()
        _, lines, _ = p.top(1, 0)
        _, lines1, _ = p.top(1, 1)
        full = env.retr_bytes(p, 1)
        p.quit()
        self.assertIn(f"Subject: {tag}".encode(), lines)
        self.assertEqual(lines[-1], b"", "TOP n 0 lacks the blank line after the header")
        self.assertNotIn(b"BODYTOKEN", b"\n".join(lines), "TOP n 0 returned body lines")
        self.assertEqual(lines1[-1], b"BODYTOKEN first")
        self.assertEqual(lines, lines1[:-1])
        head = full.split(b"\r\n\r\n", 1)[0]
        self.assertEqual(b"\r\n".join(lines[:-1]), head, "TOP header differs from RETR header")

    def test_list_sizes_equal_retr_octets(self):
        self._deliver(2)
        self._deliver(1, body=".\r\n..\r\n.x\r\n" * 50 + "caf\u00e9\r\n")
        p = self._login()
        sizes = {}
        for line in p.list()[1]:
            num, size = line.split()
            sizes[int(num)] = int(size)
        self.assertEqual(sorted(sizes), [1, 2, 3])
        for i, size in sizes.items():
            self.assertEqual(int(p.list(i).split()[2]), size, f"LIST {i} disagrees with LIST")
            resp, lines, octets = p.retr(i)
            data = b"".join(line + b"\r\n" for line in lines)
            self.assertEqual(len(data), size, f"message {i}: LIST says {size}, RETR gave {len(data)}")
            self.assertEqual(octets, size)
            stated = resp.split()
            if len(stated) > 1 and stated[1].isdigit():
                self.assertEqual(int(stated[1]), size, f"RETR {i} response {resp!r}")
        count, total = p.stat()
        self.assertEqual((count, total), (3, sum(sizes.values())))
        p.quit()

    def test_second_session_refused_in_use(self):
        self._deliver(1)
        a = self._login()
        try:
            b = poplib.POP3(env.HOST, env.P_POP3, timeout=env.TIMEOUT)
            b.stls(context=env.tls_context())
            b.user(self.user)
            with self.assertRaises(poplib.error_proto) as cm:
                b.pass_(self.pw)
            self.assertIn("IN-USE", str(cm.exception))
            env.close_quietly(b)
            self.assertEqual(a.stat()[0], 1, "first session disturbed by the refused second one")
        finally:
            a.quit()
        # Once the first session is gone the maildrop can be opened again.
        self._login(retry_in_use=5).quit()

    def test_plaintext_auth_refused_before_stls(self):
        p = poplib.POP3(env.HOST, env.P_POP3, timeout=env.TIMEOUT)
        try:
            caps = p.capa()
            self.assertIn("STLS", caps, f"CAPA before TLS: {caps}")
            with self.assertRaises(poplib.error_proto, msg="USER/PASS accepted before STLS"):
                p.user(self.user)
                p.pass_(self.pw)
            plain = base64.b64encode(f"\0{self.user}\0{self.pw}".encode()).decode()
            with self.assertRaises(poplib.error_proto, msg="AUTH PLAIN accepted before STLS"):
                p._shortcmd(f"AUTH PLAIN {plain}")
            self.assertTrue(p.stls(context=env.tls_context()).startswith(b"+OK"))
            p.user(self.user)
            p.pass_(self.pw)
            p.quit()
        finally:
            env.close_quietly(p)

    def test_wrong_password_refused(self):
        for implicit in (False, True):
            with self.subTest(implicit=implicit):
                with self.assertRaises(poplib.error_proto):
                    env.pop3_login(self.user, self.pw + "x", implicit=implicit, retry_in_use=0)
        with self.assertRaises(poplib.error_proto):
            env.pop3_login(f"nobody-{env.token()}@{env.DOMAIN}", "x", retry_in_use=0)
        self._login().quit()  # the right password still works after failures

    def test_capa_and_auth_plain(self):
        p = poplib.POP3(env.HOST, env.P_POP3, timeout=env.TIMEOUT)
        try:
            before = p.capa()
            self.assertIn("STLS", before)
            p.stls(context=env.tls_context())
            after = p.capa()
            self.assertNotIn("STLS", after, f"STLS offered inside TLS: {after}")
            self.assertIn("USER", after, f"CAPA after STLS: {after}")
            self.assertIn("PLAIN", after.get("SASL", []), f"CAPA after STLS: {after}")
            for cap in ("UIDL", "TOP"):
                self.assertIn(cap, after)
            plain = base64.b64encode(f"\0{self.user}\0{self.pw}".encode()).decode()
            self.assertTrue(p._shortcmd(f"AUTH PLAIN {plain}").startswith(b"+OK"))
            self.assertEqual(p.stat()[0], 0)
            p.quit()
        finally:
            env.close_quietly(p)

    def test_pop3s_capa(self):
        p = poplib.POP3_SSL(env.HOST, env.P_POP3S, timeout=env.TIMEOUT, context=env.tls_context())
        try:
            caps = p.capa()
            self.assertNotIn("STLS", caps)
            self.assertIn("USER", caps)
            self.assertIn("PLAIN", caps.get("SASL", []))
            p.user(self.user)
            p.pass_(self.pw)
            p.quit()
        finally:
            env.close_quietly(p)


if __name__ == "__main__":
    unittest.main(verbosity=2)
