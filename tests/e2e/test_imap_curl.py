# SPDX-License-Identifier: Apache-2.0
"""curl (libcurl's IMAP client) against mail-imap, a client not written here,
as test_curl.py uses it for SMTP and POP3: over imap:// with --ssl-reqd
(STARTTLS) and over imaps://, the certificate checked against the stack's own
($STACK_TLS_CERT). Lists the mailboxes, APPENDs with -T (curl's APPEND with
a synchronizing literal), fetches by UID (imap://host/INBOX;UID=n, curl's
UID FETCH n BODY[]) and by section (;SECTION=HEADER, ;SECTION=1), and
compares bytes with what was sent and with what imaplib reads; searches
with the URL's search part (imap://host/INBOX?SUBJECT%20...). Plaintext
login without TLS, a wrong password, a UID that is not there and an APPEND to
a missing mailbox must make curl fail."""
import imaplib
import os
import re
import subprocess
import tempfile
import unittest

import mailenv as env

CERT = os.environ.get("STACK_TLS_CERT") or os.path.join(env.RUN_DIR, "tls", "cert.pem")


def curl(*args, data=None):
    # No -k: the stack's certificate names IP:127.0.0.1, so curl verifies it.
    cmd = ["curl", "-sS", "--cacert", CERT, "--max-time", "60", *args]
    return subprocess.run(cmd, capture_output=True, input=data, timeout=90)


def message(user, tag, body=None):
    body = body or ("\r\n".join([f"curl imap {tag}", ".dot first", ".", "trailing   ",
                                 "caf\u00e9 \u00fcber", "", "end"]) + "\r\n")
    return env.make_message(user, user, f"curl imap {tag}", body,
                            extra_headers=["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                                           "Content-Transfer-Encoding: 8bit"])


MULTIPART = (b"MIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
             b"\r\n"
             b"preamble\r\n"
             b"--b1\r\n"
             b"Content-Type: text/plain; charset=us-ascii\r\n"
             b"\r\n"
             b"first part\r\n"
             b"--b1\r\n"
             b"Content-Type: application/octet-stream\r\n"
             b"Content-Transfer-Encoding: base64\r\n"
             b"\r\n"
             b"AAECAwQ=\r\n"
             b"--b1--\r\n")


class CurlIMAP(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.user, cls.pw = env.new_account()
        cls.imap = f"imap://{env.HOST}:{env.P_IMAP}"
        cls.imaps = f"imaps://{env.HOST}:{env.P_IMAPS}"

    def setUp(self):
        fd, self.path = tempfile.mkstemp(prefix="e2e-imap-curl-")
        os.close(fd)

    def tearDown(self):
        os.unlink(self.path)

    def run_ok(self, *args):
        r = curl(*args)
        self.assertEqual(r.returncode, 0, f"curl {' '.join(args)} exited {r.returncode}: "
                                          f"{r.stderr.decode(errors='replace')}")
        return r.stdout

    def auth(self, base):
        args = ["-u", f"{self.user}:{self.pw}"]
        return args + (["--ssl-reqd"] if base.startswith("imap:") else [])

    def append(self, base, msg, mailbox="INBOX"):
        with open(self.path, "wb") as f:
            f.write(msg)
        self.run_ok(f"{base}/{mailbox}", *self.auth(base), "-T", self.path)

    def uid_of(self, subject):
        """The UID imaplib finds for the message with this Subject (read with
        FETCH, so that these tests do not lean on SEARCH)."""
        c = imaplib.IMAP4_SSL(env.HOST, env.P_IMAPS, timeout=env.TIMEOUT, ssl_context=env.tls_context())
        try:
            c.login(self.user, self.pw)
            typ, data = c.select("INBOX", readonly=True)
            self.assertEqual(typ, "OK", data)
            if data[0] == b"0":
                return None
            typ, data = c.fetch("1:*", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            self.assertEqual(typ, "OK", data)
            for item in data:
                if isinstance(item, tuple) and item[1].strip() == f"Subject: {subject}".encode():
                    return int(re.search(rb"UID (\d+)", item[0]).group(1))
            return None
        finally:
            c.logout()

    def imaplib_body(self, uid):
        c = imaplib.IMAP4_SSL(env.HOST, env.P_IMAPS, timeout=env.TIMEOUT, ssl_context=env.tls_context())
        try:
            c.login(self.user, self.pw)
            c.select("INBOX", readonly=True)
            typ, data = c.uid("FETCH", str(uid), "(FLAGS BODY.PEEK[])")
            self.assertEqual(typ, "OK", data)
            return data[0][0], data[0][1]
        finally:
            c.logout()

    def roundtrip(self, base):
        tag = env.token()
        sent = message(self.user, tag)
        self.append(base, sent)
        uid = self.uid_of(f"curl imap {tag}")
        self.assertIsNotNone(uid, "the message curl appended is in INBOX")
        got = self.run_ok(f"{base}/INBOX;UID={uid}", *self.auth(base))
        self.assertEqual(got, sent, "curl's UID FETCH BODY[] gives back what curl's APPEND sent, byte for byte")
        meta, body = self.imaplib_body(uid)
        self.assertEqual(body, sent, "imaplib reads the same bytes")
        # curl's APPEND sends (\Seen); its FETCH BODY[] on a read-write SELECT keeps it so.
        self.assertIn(b"\\Seen", meta)
        header = self.run_ok(f"{base}/INBOX;UID={uid};SECTION=HEADER", *self.auth(base))
        self.assertEqual(header, sent[: sent.index(b"\r\n\r\n") + 4], "SECTION=HEADER is the header and its blank line")
        text = self.run_ok(f"{base}/INBOX;UID={uid};SECTION=TEXT", *self.auth(base))
        self.assertEqual(text, sent[sent.index(b"\r\n\r\n") + 4:])

    def test_list_mailboxes_imap_starttls(self):
        out = self.run_ok(f"{self.imap}/", *self.auth(self.imap))
        names = set()
        for line in out.decode().split("\r\n"):
            if line:
                m = re.match(r'^\* LIST \(([^)]*)\) "/" (.+)$', line)
                self.assertTrue(m, f"curl printed a LIST reply that does not parse: {line!r}")
                names.add(m.group(2).strip('"'))
        self.assertTrue({"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"} <= names, names)

    def test_list_mailboxes_imaps(self):
        out = self.run_ok(f"{self.imaps}/", "-u", f"{self.user}:{self.pw}")
        self.assertIn(b'"/" INBOX', out)
        self.assertRegex(out, rb'\* LIST \([^)]*\\Sent[^)]*\) "/" "?Sent"?\r\n')

    def test_append_and_fetch_by_uid_imap_starttls(self):
        self.roundtrip(self.imap)

    def test_append_and_fetch_by_uid_imaps(self):
        self.roundtrip(self.imaps)

    def test_multipart_sections(self):
        tag = env.token()
        sent = (f"Subject: curl imap {tag}\r\nFrom: <{self.user}>\r\n".encode()) + MULTIPART
        self.append(self.imaps, sent)
        uid = self.uid_of(f"curl imap {tag}")
        self.assertIsNotNone(uid)
        base = f"{self.imaps}/INBOX;UID={uid}"
        self.assertEqual(self.run_ok(base, *self.auth(self.imaps)), sent)
        self.assertEqual(self.run_ok(f"{base};SECTION=1", *self.auth(self.imaps)), b"first part")
        self.assertEqual(self.run_ok(f"{base};SECTION=2", *self.auth(self.imaps)), b"AAECAwQ=")
        self.assertEqual(self.run_ok(f"{base};SECTION=2.MIME", *self.auth(self.imaps)),
                         b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")

    def test_search_in_the_url(self):
        # imap://host/INBOX?<criteria>: curl SELECTs and sends SEARCH <criteria>
        # (RFC 5092's search part), printing the untagged SEARCH reply.
        user, pw = env.new_account()
        tag = env.token()
        for word in ("alpha", "beta", "alpha"):
            with open(self.path, "wb") as f:
                f.write(message(user, f"{tag} {word}"))
            self.run_ok(f"{self.imaps}/INBOX", "-u", f"{user}:{pw}", "-T", self.path)
        out = self.run_ok(f"{self.imaps}/INBOX?SUBJECT%20%22{tag}%20alpha%22", "-u", f"{user}:{pw}")
        self.assertEqual(out, b"* SEARCH 1 3\r\n")
        out = self.run_ok(f"{self.imaps}/INBOX?NOT%20SUBJECT%20alpha", "-u", f"{user}:{pw}")
        self.assertEqual(out, b"* SEARCH 2\r\n")

    def test_custom_command_examine(self):
        # -X sends a command of our own and prints the untagged replies.
        out = self.run_ok(f"{self.imaps}/", *self.auth(self.imaps), "-X", "EXAMINE INBOX")
        self.assertRegex(out, rb"\* \d+ EXISTS\r\n")
        self.assertRegex(out, rb"\* OK \[UIDVALIDITY \d+\]")
        self.assertRegex(out, rb"\* FLAGS \(")

    def test_refusals_make_curl_fail(self):
        # No TLS: the server announces LOGINDISABLED and no AUTH=; curl cannot log in.
        r = curl(f"{self.imap}/", "-u", f"{self.user}:{self.pw}")
        self.assertEqual(r.returncode, 67, f"a login without TLS: curl exit {r.returncode} (67: login denied)")
        r = curl(f"{self.imaps}/", "-u", f"{self.user}:wrong")
        self.assertEqual(r.returncode, 67, f"wrong password: curl exit {r.returncode} (67: login denied); "
                                           f"{r.stderr.decode(errors='replace')}")
        r = curl(f"{self.imaps}/INBOX;UID=4000000000", *self.auth(self.imaps))
        self.assertEqual(r.returncode, 78, "a UID that is not there: UID FETCH answers no FETCH, curl exits 78 "
                                           f"(remote file not found), not {r.returncode}")
        self.assertEqual(r.stdout, b"")
        with open(self.path, "wb") as f:
            f.write(message(self.user, env.token()))
        r = curl(f"{self.imaps}/Nowhere-{env.token()}", *self.auth(self.imaps), "-T", self.path)
        self.assertNotEqual(r.returncode, 0, "APPEND to a missing mailbox succeeded")


if __name__ == "__main__":
    unittest.main(verbosity=2)
