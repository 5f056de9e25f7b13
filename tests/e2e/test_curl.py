# SPDX-License-Identifier: Apache-2.0
"""curl (libcurl's SMTP and POP3 clients) as a second, independent client:
send over 587 STARTTLS and 465 implicit TLS, read back over POP3 with STLS and
POP3S, compare bytes. swaks, when installed, sends once more over 587.
curl's IMAP client: test_imap_curl.py."""
import os
import shutil
import subprocess
import tempfile
import unittest

import mailenv as env


def curl(*args, data=None):
    cmd = ["curl", "-sS", "-k", "--max-time", "60", *args]
    return subprocess.run(cmd, capture_output=True, input=data, timeout=90)


def body_for(tag):
    lines = [f"curl {tag}", ".dot first", ".", "..two", "trailing   ", "caf\u00e9 \u00fcber", "", "end"]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


class Curl(unittest.TestCase):
    def setUp(self):
        self.user, self.pw = env.new_account()
        fd, self.path = tempfile.mkstemp(prefix="e2e-curl-")
        os.close(fd)

    def tearDown(self):
        os.unlink(self.path)

    def _send(self, url, tag):
        msg = env.make_message(self.user, self.user, f"curl {tag}", body_for(tag),
                               extra_headers=["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                                              "Content-Transfer-Encoding: 8bit"])
        with open(self.path, "wb") as f:
            f.write(msg)
        r = curl(url, "--ssl-reqd", "-u", f"{self.user}:{self.pw}", "--mail-from", self.user,
                 "--mail-rcpt", self.user, "-T", self.path)
        self.assertEqual(r.returncode, 0, f"curl {url} failed: {r.stderr.decode(errors='replace')}")
        return msg

    def _read(self, base, tag):
        """Lists with curl, then retrieves message 1 (the only one) and returns it."""
        env.wait_for_messages(self.user, self.pw, env.subject_is(tag))
        r = curl(f"{base}/", "--ssl-reqd", "-u", f"{self.user}:{self.pw}")
        self.assertEqual(r.returncode, 0, f"curl LIST {base}: {r.stderr.decode(errors='replace')}")
        listing = r.stdout.decode().split("\r\n")
        self.assertEqual(len([l for l in listing if l]), 1, f"LIST: {r.stdout!r}")
        num, size = listing[0].split()
        self.assertEqual(num, "1")
        r = curl(f"{base}/1", "--ssl-reqd", "-u", f"{self.user}:{self.pw}")
        self.assertEqual(r.returncode, 0, f"curl RETR {base}/1: {r.stderr.decode(errors='replace')}")
        self.assertEqual(len(r.stdout), int(size), f"LIST size {size}, RETR gave {len(r.stdout)} bytes")
        return r.stdout

    def _check(self, got, sent, tag):
        fields, body = env.split_message(got)
        self.assertEqual(body, body_for(tag), "body altered")
        sent_fields, _ = env.split_message(sent)
        for name, value in sent_fields:
            self.assertIn((name, value), fields, f"header {name} lost or changed")
        for need in ("received", "return-path", "delivered-to"):
            self.assertIn(need, [n for n, _ in fields])

    def test_587_starttls_then_pop3_stls(self):
        tag = env.token()
        sent = self._send(f"smtp://{env.HOST}:{env.P_SUBMIT}", tag)
        self._check(self._read(f"pop3://{env.HOST}:{env.P_POP3}", tag), sent, tag)

    def test_465_smtps_then_pop3s(self):
        tag = env.token()
        sent = self._send(f"smtps://{env.HOST}:{env.P_SUBMITS}", tag)
        self._check(self._read(f"pop3s://{env.HOST}:{env.P_POP3S}", tag), sent, tag)

    def test_curl_wrong_password_fails(self):
        r = curl(f"pop3://{env.HOST}:{env.P_POP3}/", "--ssl-reqd", "-u", f"{self.user}:wrong")
        self.assertNotEqual(r.returncode, 0, "curl POP3 with a wrong password succeeded")
        with open(self.path, "wb") as f:
            f.write(env.make_message(self.user, self.user, "x", "x\r\n"))
        r = curl(f"smtp://{env.HOST}:{env.P_SUBMIT}", "--ssl-reqd", "-u", f"{self.user}:wrong",
                 "--mail-from", self.user, "--mail-rcpt", self.user, "-T", self.path)
        self.assertNotEqual(r.returncode, 0, "curl SMTP with a wrong password succeeded")

    @unittest.skipUnless(shutil.which("swaks"), "swaks is not installed")
    def test_swaks_587(self):
        tag = env.token()
        r = subprocess.run(["swaks", "--server", f"{env.HOST}:{env.P_SUBMIT}", "-tls", "--auth", "PLAIN",
                            "--auth-user", self.user, "--auth-password", self.pw, "--from", self.user,
                            "--to", self.user, "--header", f"Subject: swaks {tag}", "--body", f"swaks {tag}"],
                           capture_output=True, text=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
        env.wait_for_messages(self.user, self.pw, env.subject_is(tag))


if __name__ == "__main__":
    unittest.main(verbosity=2)
