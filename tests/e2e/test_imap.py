# SPDX-License-Identifier: Apache-2.0
"""IMAP with Python's imaplib against the running mail-imap: the greeting's
capabilities, LOGINDISABLED before STARTTLS, STARTTLS then LOGIN and
AUTHENTICATE PLAIN with a real account of the directory, IMAPS, a wrong
password, literals through imaplib's own literal support, ID, NAMESPACE,
LOGOUT, and BAD for nonsense with the connection kept; then the mailbox store:
the default mailboxes with their special uses, CREATE/RENAME/DELETE with a
non-ASCII name, SUBSCRIBE and LSUB, SELECT/EXAMINE/STATUS after MX delivery,
CLOSE, and one account never seeing another's mailboxes; APPEND of corpus
messages (read back byte for byte over POP3), [TRYCREATE], EXISTS and
QUOTA; then the messages: a message of the shared corpus (mail-gem)
delivered over MX comes back from FETCH RFC822 byte for byte after the
trace headers, BODYSTRUCTURE and ENVELOPE parse, BODY.PEEK keeps it unseen
while RFC822 sets \\Seen, and STORE +FLAGS shows in FETCH FLAGS and UID FETCH."""
import glob
import imaplib
import os
import re
import time
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


class Mailboxes(unittest.TestCase):
    def login(self, user, pw):
        c = imaplib.IMAP4_SSL(env.HOST, env.P_IMAPS, timeout=env.TIMEOUT, ssl_context=env.tls_context())
        c.login(user, pw)
        return c

    @staticmethod
    def names(conn, *args):
        typ, data = conn.list(*args)
        assert typ == "OK", (typ, data)
        out = {}
        for line in data:
            if line is None:
                continue
            text = line.decode()
            attrs, rest = text[1:].split(") ", 1)
            name = rest.split(" ", 1)[1].strip('"')
            out[name] = set(attrs.split())
        return out

    def test_defaults_create_rename_delete_and_isolation(self):
        user, pw = env.new_account()
        other, other_pw = env.new_account()
        c = self.login(user, pw)
        try:
            boxes = self.names(c)
            for name, use in (("INBOX", None), ("Drafts", "\\Drafts"), ("Sent", "\\Sent"), ("Trash", "\\Trash"),
                              ("Junk", "\\Junk"), ("Archive", "\\Archive")):
                self.assertIn(name, boxes, boxes)
                if use:
                    self.assertIn(use, boxes[name])
            # A non-ASCII name travels as modified UTF-7 (RFC 3501 5.1.3).
            self.assertEqual(c.create("Projekte/&AMQ-rger")[0], "OK")
            boxes = self.names(c)
            self.assertIn("Projekte/&AMQ-rger", boxes)
            self.assertIn("\\HasChildren", boxes["Projekte"], "the parent was created")
            self.assertEqual(c.create("Sent")[0], "NO")
            self.assertEqual(c.rename("Projekte/&AMQ-rger", "Projekte/Done")[0], "OK")
            self.assertEqual(c.delete("Projekte")[0], "NO", "a mailbox with children stays")
            self.assertEqual(c.delete("Projekte/Done")[0], "OK")
            self.assertEqual(c.delete("INBOX")[0], "NO")
            self.assertEqual(c.subscribe("Projekte")[0], "OK")
            typ, data = c.lsub()
            self.assertIn(b'"/" Projekte', b" ".join(d for d in data if d))
        finally:
            c.logout()
        o = self.login(other, other_pw)
        try:
            self.assertNotIn("Projekte", self.names(o), "another account's mailbox is invisible")
            self.assertEqual(o.select("Projekte")[0], "NO")
            self.assertEqual(o.delete("Projekte")[0], "NO")
        finally:
            o.logout()

    def test_select_examine_status_after_delivery(self):
        user, pw = env.new_account()
        outside = "someone@elsewhere.invalid"
        for i in range(2):
            tag = f"imap select {i} {env.token()}"
            env.mx_send(outside, [user], env.make_message(outside, user, tag, "hello\r\n"))
            env.wait_for_messages(user, pw, env.subject_is(tag))
        c = self.login(user, pw)
        try:
            typ, data = c.status("INBOX", "(MESSAGES UNSEEN UIDNEXT)")
            self.assertEqual(typ, "OK")
            # wait_for_messages read them with POP3 RETR, which sets \Seen (as Dovecot does).
            self.assertRegex(data[0].decode(), r"MESSAGES 2 UNSEEN 0 UIDNEXT \d+")
            typ, data = c.select("INBOX")
            self.assertEqual((typ, data), ("OK", [b"2"]))
            self.assertIn("READ-WRITE", c.untagged_responses, "the tagged OK says [READ-WRITE]")
            self.assertEqual(c.untagged_responses.get("RECENT"), [b"2"], "first SELECT: both recent")
            self.assertTrue(c.untagged_responses.get("UIDVALIDITY"))
            self.assertEqual(c.close()[0], "OK")
            typ, data = c.select("INBOX", readonly=True)
            self.assertEqual((typ, data), ("OK", [b"2"]))
            self.assertEqual(c.untagged_responses.get("RECENT"), [b"0"], "recent for one session only")
            self.assertEqual(c.select("Nowhere")[0], "NO")
        finally:
            c.logout()

    def test_append_corpus_messages_come_back_byte_exact(self):
        user, pw = env.new_account()
        corpus = sorted(glob.glob(os.path.join(env.ROOT, "..", "shared", "corpus", "mail-gem", "plain_emails", "*")))[:5]
        self.assertTrue(corpus, "the corpus is there")
        sent = []
        c = self.login(user, pw)
        try:
            self.assertEqual(c.select("INBOX")[0], "OK")
            for path in corpus:
                with open(path, "rb") as f:
                    raw = f.read()
                msg = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                if not msg.endswith(b"\r\n"):
                    msg += b"\r\n"
                typ, data = c.append("INBOX", "(\\Seen)", None, msg)
                self.assertEqual(typ, "OK", (path, data))
                self.assertIn(b"APPENDUID", data[0])
                sent.append(msg)
            self.assertEqual(c.untagged_responses.get("EXISTS", [b""])[-1], str(len(sent)).encode(),
                             "EXISTS follows the appends into the selected mailbox")
            typ, data = c.append("Nowhere", None, None, b"Subject: x\r\n\r\nx\r\n")
            self.assertEqual(typ, "NO")
            self.assertIn(b"TRYCREATE", data[0])
        finally:
            c.logout()
        # The quota delivery enforces (new_account gives 1G), as RFC 9208 reports it.
        c = self.login(user, pw)
        try:
            typ, data = c.getquotaroot("INBOX")
            self.assertEqual(typ, "OK", data)
            used = sum(len(m) for m in sent)
            self.assertEqual(data[1], [f'"" (STORAGE {(used + 1023) // 1024} 1048576)'.encode()], data)
        finally:
            c.logout()
        p = env.pop3_login(user, pw)
        try:
            got = [env.retr_bytes(p, i) for i in range(1, len(sent) + 1)]
        finally:
            p.quit()
        self.assertEqual(got, sent, "APPENDed messages come back byte for byte (no trace headers are added)")

    def test_a_delivery_reaches_the_imap_process_as_a_notice(self):
        # The mda publishes a mailbox notice after its commit; mail-imap's
        # one subscription receives it (the hint IDLE and resync will use).
        def notices():
            status, _, text = env.http_get(env.H_IMAP, "/metrics")
            self.assertEqual(status, 200)
            return env.metric_value(text, "mail_imap_mailbox_notices_total") or 0
        before = notices()
        user, pw = env.new_account()
        tag = f"notice {env.token()}"
        outside = "someone@elsewhere.invalid"
        env.mx_send(outside, [user], env.make_message(outside, user, tag, "hello\r\n"))
        env.wait_for_messages(user, pw, env.subject_is(tag))
        deadline = time.time() + 10
        while notices() <= before and time.time() < deadline:
            time.sleep(0.1)
        self.assertGreater(notices(), before)
        # mail-imap announces its own changes too (APPEND here).
        before = notices()
        c = imaplib.IMAP4_SSL(env.HOST, env.P_IMAPS, timeout=env.TIMEOUT, ssl_context=env.tls_context())
        try:
            c.login(user, pw)
            self.assertEqual(c.append("INBOX", None, None, b"Subject: own\r\n\r\nx\r\n")[0], "OK")
        finally:
            c.logout()
        deadline = time.time() + 10
        while notices() <= before and time.time() < deadline:
            time.sleep(0.1)
        self.assertGreater(notices(), before, "the APPEND's notice came back over Redis")


CORPUS = os.environ.get("MAIL_CORPUS_DIR",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "corpus"))
TRACE_FIELDS = {"received", "return-path", "delivered-to"}


def sexp(data):
    """Parses one IMAP parenthesised value (quoted strings, atoms, lists;
    no literals) into nested lists; raises ValueError if it is malformed."""
    tokens = re.findall(rb'\(|\)|"(?:[^"\\]|\\.)*"|[^\s()"]+|\S', data)
    pos = 0

    def value():
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError("truncated")
        t = tokens[pos]
        pos += 1
        if t == b"(":
            out = []
            while pos < len(tokens) and tokens[pos] != b")":
                out.append(value())
            if pos >= len(tokens):
                raise ValueError("unbalanced")
            pos += 1
            return out
        if t == b")":
            raise ValueError("unexpected )")
        return None if t == b"NIL" else t.strip(b'"')

    v = value()
    if pos != len(tokens):
        raise ValueError(f"trailing {tokens[pos:]!r}")
    return v


class Messages(unittest.TestCase):
    def login(self, user, pw):
        c = imaplib.IMAP4_SSL(env.HOST, env.P_IMAPS, timeout=env.TIMEOUT, ssl_context=env.tls_context())
        c.login(user, pw)
        return c

    def test_pop3_retr_sets_seen_and_dele_is_an_expunge_imap_sees(self):
        user, pw = env.new_account()
        c = self.login(user, pw)
        try:
            for i in range(3):
                typ, _ = c.append("INBOX", None, None, env.make_message(user, user, f"pop3 {i}", "x\r\n"))
                self.assertEqual(typ, "OK")
            self.assertEqual(c.select("INBOX"), ("OK", [b"3"]))
            p = env.pop3_login(user, pw)
            try:
                p.retr(1)
                p.top(2, 0)
                p.dele(3)
            finally:
                p.quit()
            typ, data = c.noop()
            self.assertEqual(c.untagged_responses.get("EXPUNGE"), [b"3"], "POP3's DELE at QUIT is an expunge")
            self.assertIn(b"1 (FLAGS (\\Seen \\Recent))", c.untagged_responses.get("FETCH", []),
                          "the NOOP reports the new flag")
            c.untagged_responses.pop("FETCH", None)
            typ, data = c.fetch("1:*", "(FLAGS)")
            flags = [d.decode() for d in data]
            self.assertEqual(len(flags), 2, flags)
            self.assertIn("\\Seen", flags[0], "RETR sets \\Seen")
            self.assertNotIn("\\Seen", flags[1], "TOP does not")
        finally:
            c.logout()

    @staticmethod
    def corpus_message(name):
        with open(os.path.join(CORPUS, "mail-gem", name), "rb") as f:
            raw = f.read()
        # The corpus README: line ends normalised to CRLF, a final CRLF added.
        msg = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        return msg if msg.endswith(b"\r\n") else msg + b"\r\n"

    def fetch_one(self, c, what):
        typ, data = c.fetch("1", what)
        self.assertEqual(typ, "OK", data)
        return data

    def flags(self, c):
        data = self.fetch_one(c, "(FLAGS)")
        return set(re.search(rb"FLAGS \(([^)]*)\)", data[0]).group(1).split())

    def test_fetch_store_a_corpus_message(self):
        user, pw = env.new_account()
        msg = self.corpus_message("mime_emails/raw_email7.eml")  # nested multipart/mixed
        env.mx_send("someone@elsewhere.invalid", [user], msg)
        env.wait_for_messages(user, pw)
        c = self.login(user, pw)
        try:
            self.assertEqual(c.select("INBOX"), ("OK", [b"1"]))
            # Whatever the POP3 poll above did, start unseen.
            self.assertEqual(c.store("1", "-FLAGS", "(\\Seen)")[0], "OK")
            self.assertNotIn(b"\\Seen", self.flags(c))

            data = self.fetch_one(c, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)] RFC822.SIZE)")
            self.assertEqual(data[0][1], b"Subject: testing\r\n\r\n")
            size = int(re.search(rb"RFC822.SIZE (\d+)", data[0][0] + data[1]).group(1))
            self.assertNotIn(b"\\Seen", self.flags(c), "BODY.PEEK keeps it unseen")

            data = self.fetch_one(c, "(RFC822)")
            got = data[0][1]
            self.assertEqual(len(got), size, "RFC822.SIZE is the size of what RFC822 sends")
            self.assertTrue(got.endswith(msg), "the message comes back byte for byte after the trace headers")
            prefix = got[: len(got) - len(msg)]
            names = {n for n, _ in env.split_message(prefix)[0]}
            self.assertTrue(names <= TRACE_FIELDS, f"only trace headers are added, not {names - TRACE_FIELDS}")
            self.assertIn(b"\\Seen", self.flags(c), "RFC822 sets \\Seen")

            data = self.fetch_one(c, "(BODYSTRUCTURE)")
            body = sexp(re.match(rb"1 \(BODYSTRUCTURE (.*)\)$", data[0], re.S).group(1))
            subtype = next(x for x in body if not isinstance(x, list))  # after the parts
            self.assertEqual(subtype.upper(), b"MIXED", body)
            self.assertIsInstance(body[0], list, "the first part of a multipart is a body")
            data = self.fetch_one(c, "(ENVELOPE)")
            envelope = sexp(re.match(rb"1 \(ENVELOPE (.*)\)$", data[0], re.S).group(1))
            self.assertEqual(envelope[0], b"Mon, 6 Jun 2005 22:21:22 +0200")
            self.assertEqual(envelope[1], b"testing")
            self.assertEqual(envelope[2], [[None, None, b"foo", b"example.com"]])

            typ, data = c.store("1", "+FLAGS", "(\\Flagged)")
            self.assertEqual(typ, "OK", data)
            self.assertIn(b"\\Flagged", data[0])
            self.assertEqual(self.flags(c) - {b"\\Recent"}, {b"\\Seen", b"\\Flagged"})
            typ, data = c.uid("FETCH", "1:*", "(FLAGS)")
            self.assertEqual(typ, "OK", data)
            self.assertRegex(data[0], rb"^1 \(UID \d+ FLAGS \(")
            with self.assertRaises(imaplib.IMAP4.error, msg="no message 2: BAD"):
                c.fetch("2", "(FLAGS)")
            c.close()
            typ, _ = c.select("INBOX", readonly=True)
            self.assertEqual(typ, "OK")
            typ, data = c.store("1", "+FLAGS", "(\\Deleted)")
            self.assertEqual(typ, "NO", "EXAMINE is read-only")
        finally:
            c.logout()

    def test_expunge_copy_move_on_the_real_store(self):
        user, pw = env.new_account()
        imaplib.Commands.setdefault("MOVE", ("SELECTED",))  # RFC 6851; imaplib has no move()
        c = self.login(user, pw)
        try:
            for i in range(3):
                self.assertEqual(c.append("INBOX", None, None, f"Subject: m{i}\r\n\r\nbody {i}\r\n".encode())[0], "OK")
            self.assertEqual(c.select("INBOX"), ("OK", [b"3"]))
            self.assertEqual(c.store("2", "+FLAGS.SILENT", "(\\Deleted)")[0], "OK")
            typ, data = c.expunge()
            self.assertEqual((typ, data), ("OK", [b"2"]), "message 2 went")
            typ, data = c.copy("1", "Archive")
            self.assertEqual(typ, "OK")
            self.assertIn(b"COPYUID", data[0])
            typ, data = c.uid("MOVE", "1:*", "Trash")
            self.assertEqual(typ, "OK", data)
            self.assertEqual(c.untagged_responses.get("EXPUNGE"), [b"2", b"1"], "both left INBOX, highest first")
            for box, want in (("INBOX", 0), ("Archive", 1), ("Trash", 2)):
                typ, data = c.status(box, "(MESSAGES)")
                self.assertIn(f"MESSAGES {want}".encode(), data[0], box)
            with self.assertRaises(imaplib.IMAP4.error) as e:
                c.copy("1", "Archive")
            self.assertIn("Invalid message sequence number", str(e.exception), "INBOX is empty now")
        finally:
            c.logout()

    def test_noop_shows_what_other_sessions_and_deliveries_changed(self):
        user, pw = env.new_account()
        a = self.login(user, pw)
        b = self.login(user, pw)
        try:
            self.assertEqual(a.append("INBOX", None, None, b"Subject: one\r\n\r\n1\r\n")[0], "OK")
            self.assertEqual(a.select("INBOX"), ("OK", [b"1"]))
            # Another session flags the message and appends one; a delivery adds a third.
            self.assertEqual(b.select("INBOX")[0], "OK")
            self.assertEqual(b.store("1", "+FLAGS", "(\\Flagged)")[0], "OK")
            self.assertEqual(b.append("INBOX", None, None, b"Subject: two\r\n\r\n2\r\n")[0], "OK")
            tag = f"noop {env.token()}"
            outside = "someone@elsewhere.invalid"
            env.mx_send(outside, [user], env.make_message(outside, user, tag, "3\r\n"))
            deadline = time.time() + 20
            while True:
                typ, _ = a.noop()
                self.assertEqual(typ, "OK")
                exists = a.untagged_responses.get("EXISTS", [b"0"])[-1]
                if exists == b"3" or time.time() > deadline:
                    break
                time.sleep(0.2)
            self.assertEqual(exists, b"3", "the append and the delivery show as EXISTS")
            typ, data = a.fetch("1", "(FLAGS)")
            self.assertIn(b"\\Flagged", data[0], "the other session's flag is seen")
        finally:
            a.logout()
            b.logout()


if __name__ == "__main__":
    unittest.main()
