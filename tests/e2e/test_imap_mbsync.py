# SPDX-License-Identifier: Apache-2.0
"""mbsync (Debian's isync), a client not written here, keeps a Maildir in step
with an account's INBOX on mail-imap, both ways, over IMAPS (SASL PLAIN) and
over STARTTLS (the IMAP LOGIN command), trusting only the stack's own
certificate ($STACK_TLS_CERT; a different certificate makes mbsync refuse).

- Server to Maildir: messages APPENDed (with \\Seen or \\Flagged) and one
  delivered over SMTP arrive as Maildir files, the server's octets byte for
  byte once mbsync's own changes are undone (line ends LF in the Maildir,
  and its X-TUID field added at the end of the header), with the flags in
  the file names (S, F).
- Maildir to server: a new file is APPENDed (its octets with CRLF, plus
  X-TUID); local flags S/F/R/T become \\Seen/\\Flagged/\\Answered/\\Deleted;
  a file removed locally becomes \\Deleted on the server; with Expunge Both
  the \\Deleted messages leave the server and their files leave the Maildir.
- Server changes made with imaplib (flags set and cleared, an EXPUNGE, a new
  \\Draft message) come down on the next run; a run with nothing to do
  changes nothing on either side.
- With CopyArrivalDate, a file's mtime and the message's INTERNALDATE are
  one (APPEND with a date-time; FETCH INTERNALDATE).
- Every mailbox (Patterns *): the server's mailboxes, a nested one
  included, become Maildirs; a local Maildir is CREATEd on the server and
  its message uploaded.
- Messages over 3 MiB travel whole both ways (LITERAL+ APPEND, FETCH).
- Every run exits 0, and its protocol trace (mbsync -Dn) shows no command
  answered NO or BAD: if mbsync asks for something the server does not
  serve, the failure names the command. (mbsync 1.4.4 sends AUTHENTICATE
  or LOGIN, NAMESPACE, LIST "" "*", SELECT, CREATE, UID FETCH ... (UID
  FLAGS), UID FETCH n (INTERNALDATE BODY.PEEK[]), UID STORE +FLAGS.SILENT,
  CHECK, APPEND with LITERAL+, CLOSE, LOGOUT; with UIDPLUS's APPENDUID it
  needs no SEARCH.)

mbsync checks the certificate's DNS names, never an IP address: Host is the
certificate's name and a Tunnel relays the bytes to 127.0.0.1."""
import datetime
import email
import email.policy
import imaplib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import mailenv as env

MBSYNC = shutil.which("mbsync")
CERT = os.environ.get("STACK_TLS_CERT") or os.path.join(env.RUN_DIR, "tls", "cert.pem")
X_TUID = re.compile(rb"X-TUID: [A-Za-z0-9+/]{12}\n")  # what mbsync 1.4 adds to each copy
CERT_NAME = os.environ.get("STACK_HOSTNAME") or "mail.example.test"  # scripts/lib/stack.sh ensure_cert
# mbsync's Tunnel: stdin/stdout to 127.0.0.1:port, until either side closes (at most 5 idle minutes).
RELAY = """import os, select, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
try:
    while True:
        ready, _, _ = select.select([0, s], [], [], 300)
        if not ready:
            break
        if 0 in ready:
            data = os.read(0, 65536)
            if not data:
                break
            s.sendall(data)
        if s in ready:
            data = s.recv(65536)
            if not data:
                break
            view = memoryview(data)
            while view:
                view = view[os.write(1, view):]
except OSError:
    pass  # mbsync or the server went away: so does the relay
s.close()
"""


def maildir_flags(name):
    return set(name.split(":2,", 1)[1]) if ":2," in name else set()


def strip_tuid(data, eol):
    """(data without mbsync's X-TUID field, whether it had one). The field
    must be the last of the header when there, and there at most once."""
    head, sep, body = data.partition(eol + eol)
    assert sep, f"no header end in {data[:200]!r}"
    lines = (head + eol).split(eol)[:-1]
    tuids = [i for i, line in enumerate(lines) if X_TUID.fullmatch(line + b"\n")]
    if not tuids:
        return data, False
    assert tuids == [len(lines) - 1], f"X-TUID not once and last in the header: {lines[-3:]!r}"
    return eol.join(lines[:-1]) + eol + eol + body, True


def same_message(local, server):
    """Whether a Maildir file and the server's octets are one message as mbsync
    copies it: LF in the Maildir, CRLF on the server, and mbsync's X-TUID
    field added to the copy it made (on exactly one side)."""
    plain_local, tuid_local = strip_tuid(local, b"\n")
    plain_server, tuid_server = strip_tuid(server, b"\r\n")
    return b"\r" not in local and plain_local.replace(b"\n", b"\r\n") == plain_server and tuid_local != tuid_server


@unittest.skipUnless(MBSYNC, "mbsync is not installed (Debian package isync, scripts/packages.txt)")
class Mbsync(unittest.TestCase):
    def setUp(self):
        self.user, self.pw = env.new_account()
        self.dir = tempfile.mkdtemp(prefix="e2e-mbsync-")
        self.maildir = os.path.join(self.dir, "mail", "INBOX")
        os.mkdir(os.path.join(self.dir, "mail"))  # the Store's Path; mbsync creates INBOX (Create Near)
        self.runs = 0

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------ mbsync

    def config(self, tls="IMAPS", auth="PLAIN", expunge="None", sync="All", cert=CERT, patterns=None):
        port = env.P_IMAPS if tls == "IMAPS" else env.P_IMAP
        rc = os.path.join(self.dir, "mbsyncrc")
        relay = os.path.join(self.dir, "relay.py")
        with open(relay, "w") as f:
            f.write(RELAY)
        # mbsync checks the certificate's DNS names against Host (never an IP
        # address) and the stack's certificate, self-signed and so a CA to
        # mbsync, names DNS:mail.example.test, DNS:localhost and IP:127.0.0.1.
        # Host is therefore the certificate's name, and the Tunnel (a byte
        # relay; TLS runs between mbsync and the server) reaches 127.0.0.1
        # without any name lookup.
        # One mailbox (INBOX), or every mailbox that matches the patterns, created on either side.
        channel = ("Far :far:\nNear :near:\nPatterns " + patterns + "\nCreate Both" if patterns
                   else "Far :far:INBOX\nNear :near:INBOX\nCreate Near")
        with open(rc, "w") as f:
            f.write(f"""IMAPAccount e2e
Host {CERT_NAME}
Tunnel "exec {sys.executable} {relay} {port}"
User "{self.user}"
Pass "{self.pw}"
SSLType {tls}
CertificateFile {cert}
SystemCertificates no
AuthMechs {auth}
Timeout 30

IMAPStore far
Account e2e

MaildirStore near
Path {self.dir}/mail/
Inbox {self.maildir}
SubFolders Verbatim

Channel e2e
{channel}
Sync {sync}
CopyArrivalDate yes
Expunge {expunge}
SyncState *
""")
        return rc

    def mbsync(self, check=True, **kw):
        """One run of mbsync with the protocol traced; returns the trace. Fails
        on a non-zero exit and on any command the server answered NO or BAD."""
        rc = self.config(**kw)
        self.runs += 1
        r = subprocess.run([MBSYNC, "-c", rc, "-Dn", "e2e"], capture_output=True, text=True, timeout=180,
                           env={**os.environ, "HOME": self.dir}, errors="replace")
        trace = r.stdout + r.stderr
        with open(os.path.join(self.dir, f"trace-{self.runs}.txt"), "w") as f:
            f.write(trace)
        if check:
            self.assertIn(">>> 1 ", trace, "mbsync -Dn printed its commands (what refused() reads)")
            self.assertEqual(r.returncode, 0, f"mbsync run {self.runs} exited {r.returncode}:\n{trace[-4000:]}")
            refused = self.refused(trace)
            self.assertFalse(refused, f"mbsync run {self.runs}: the server refused " + "; ".join(refused))
        return r.returncode, trace

    @staticmethod
    def refused(trace):
        """["<command> -> <reply>"] for every tagged NO or BAD in an -Dn trace."""
        sent = {}
        out = []
        for line in trace.splitlines():
            m = re.match(r"^(?:\(\d+ in progress\) )?>>> (\d+) (.*)$", line)
            if m:
                sent[m.group(1)] = m.group(2)
                continue
            m = re.match(r"^(\d+) (NO|BAD)\b(.*)$", line)
            if m:
                out.append(f"{sent.get(m.group(1), '?')!r} -> {m.group(2)}{m.group(3)}")
        return out

    # ------------------------------------------------------------ the two sides

    def local(self):
        """{subject: (path, flags, octets)} of the Maildir's messages."""
        out = {}
        for sub in ("new", "cur"):
            d = os.path.join(self.maildir, sub)
            if not os.path.isdir(d):
                continue
            for name in os.listdir(d):
                path = os.path.join(d, name)
                with open(path, "rb") as f:
                    data = f.read()
                subject = email.message_from_bytes(data, policy=email.policy.compat32)["Subject"]
                self.assertNotIn(subject, out, f"two local files with Subject {subject}")
                out[subject] = (path, maildir_flags(name), data)
        return out

    def login(self):
        c = imaplib.IMAP4_SSL(env.HOST, env.P_IMAPS, timeout=env.TIMEOUT, ssl_context=env.tls_context())
        c.login(self.user, self.pw)
        return c

    def server(self):
        """{subject: (uid, flags, octets, internal date as a POSIX time)} of
        INBOX, read without changing \\Seen."""
        c = self.login()
        try:
            typ, data = c.select("INBOX", readonly=True)
            self.assertEqual(typ, "OK", data)
            out = {}
            if data[0] == b"0":
                return out
            typ, data = c.fetch("1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[])")
            self.assertEqual(typ, "OK", data)
            for item in data:
                if not isinstance(item, tuple):
                    continue
                meta, body = item
                uid = int(re.search(rb"UID (\d+)", meta).group(1))
                flags = set(re.search(rb"FLAGS \(([^)]*)\)", meta).group(1).decode().split()) - {"\\Recent"}
                date = re.search(rb'INTERNALDATE "([^"]*)"', meta).group(1).decode()
                when = datetime.datetime.strptime(date, "%d-%b-%Y %H:%M:%S %z").timestamp()
                subject = email.message_from_bytes(body, policy=email.policy.compat32)["Subject"]
                out[subject] = (uid, flags, body, when)
            return out
        finally:
            c.logout()

    def append(self, subject, flags=None, body=None, date=None):
        msg = env.make_message(self.user, self.user, subject, body or f"{subject}\r\nsecond line\r\n")
        c = self.login()
        try:
            typ, data = c.append("INBOX", flags, date, msg)
            self.assertEqual(typ, "OK", data)
        finally:
            c.logout()
        return msg

    def set_local_flags(self, path, flags):
        d, name = os.path.split(path)
        base = name.split(":2,", 1)[0]
        new = os.path.join(os.path.dirname(d), "cur", f"{base}:2,{''.join(sorted(flags))}")
        os.rename(path, new)

    def assert_matches_server(self, local, server, what):
        self.assertEqual(set(local), set(server), f"{what}: the same messages on both sides")
        for subject, (path, lflags, data) in local.items():
            uid, sflags, octets, when = server[subject]
            self.assertTrue(same_message(data, octets), f"{what}: {subject} byte for byte, mbsync's changes aside:\n"
                            f"local {data!r}\nserver {octets!r}")
            want = {"\\Seen": "S", "\\Flagged": "F", "\\Answered": "R", "\\Deleted": "T", "\\Draft": "D"}
            self.assertEqual(lflags, {want[f] for f in sflags if f in want}, f"{what}: flags of {subject}")
            self.assertIn(f",U={uid}", os.path.basename(path), f"{what}: {subject} has its server UID")
            # CopyArrivalDate: the file's mtime is the INTERNALDATE, whichever way it was copied.
            self.assertEqual(os.stat(path).st_mtime, when, f"{what}: {subject}'s file time is its INTERNALDATE")

    # ------------------------------------------------------------ the tests


    def test_sync_both_ways_over_imaps(self):
        t = env.token()
        seen, flagged, plain, mx = (f"mbsync {w} {t}" for w in ("seen", "flagged", "plain", "mx"))
        self.append(seen, "(\\Seen)", date='"01-Mar-2024 12:34:56 +0100"')
        self.append(flagged, "(\\Flagged)")
        # A MIME message of the shared corpus, with a header of its own to find it by.
        with open(os.path.join(env.ROOT, "..", "shared", "corpus", "mail-gem", "mime_emails", "raw_email7.eml"),
                  "rb") as f:
            corpus = re.sub(rb"\r\n|\r|\n", b"\r\n", f.read())
        corpus = re.sub(rb"(?m)^Subject: [^\r\n]*", f"Subject: {plain}".encode(), corpus, count=1)
        c = self.login()
        try:
            self.assertEqual(c.append("INBOX", None, None, corpus)[0], "OK")
        finally:
            c.logout()
        outside = "someone@elsewhere.invalid"
        env.mx_send(outside, [self.user], env.make_message(outside, self.user, mx, "over smtp\r\n"))
        deadline = time.time() + 30
        while mx not in self.server() and time.time() < deadline:
            time.sleep(0.3)

        # 1. Server to Maildir.
        self.mbsync()
        local, server = self.local(), self.server()
        self.assertEqual(len(server), 4, sorted(server))
        self.assertEqual(server[plain][2], corpus, "APPEND kept the corpus message as sent")
        self.assert_matches_server(local, server, "first run")
        self.assertEqual((local[seen][1], local[flagged][1], local[plain][1]), ({"S"}, {"F"}, set()))
        self.assertEqual(server[seen][1], {"\\Seen"}, "mbsync did not change flags on the server")
        self.assertEqual(os.stat(local[seen][0]).st_mtime, 1709292896, "APPEND's date became the file's time")

        # 2. Maildir to server: a new file, flags, a trashed message and a removed file.
        new = os.path.join(self.maildir, "new", f"{int(time.time())}.e2e{t}.localhost")
        pushed = f"mbsync pushed {t}"
        content = (f"From: <{self.user}>\nTo: <{self.user}>\nSubject: {pushed}\n"
                   f"Message-ID: <{t}@mbsync.test>\nDate: Mon, 06 Jan 2025 10:00:00 +0000\n\n"
                   "written locally\n.\nlast line\n").encode()
        with open(new, "wb") as f:
            f.write(content)
        os.utime(new, (1700000000, 1700000000))  # 14-Nov-2023 22:13:20 +0000
        self.set_local_flags(local[seen][0], {"S", "F"})
        self.set_local_flags(local[flagged][0], {"F", "T"})
        self.set_local_flags(local[mx][0], {"R"})
        os.unlink(local[plain][0])
        self.mbsync()
        server = self.server()
        self.assertIn(pushed, server, "the new local file was uploaded")
        uploaded, tuid = strip_tuid(server[pushed][2], b"\r\n")
        self.assertEqual((uploaded, tuid), (content.replace(b"\n", b"\r\n"), True),
                         "the server has the local file's octets (CRLF) and mbsync's X-TUID")
        self.assertEqual(server[pushed][3], 1700000000, "the file's time became the INTERNALDATE")
        self.assertEqual(server[seen][1], {"\\Seen", "\\Flagged"})
        self.assertEqual(server[flagged][1], {"\\Flagged", "\\Deleted"}, "T is \\Deleted")
        self.assertEqual(server[mx][1], {"\\Answered"})
        self.assertEqual(server[plain][1], {"\\Deleted"}, "a file removed locally is \\Deleted on the server")

        # 3. Expunge Both: the \Deleted messages go from the server, their files from the Maildir.
        self.mbsync(expunge="Both")
        local, server = self.local(), self.server()
        self.assertEqual(set(server), {seen, mx, pushed})
        self.assert_matches_server(local, server, "after the expunge")

        # 4. Changes on the server come down.
        c = self.login()
        try:
            self.assertEqual(c.select("INBOX")[0], "OK")
            for subject, op, flag in ((seen, "-FLAGS", "(\\Seen)"), (mx, "+FLAGS", "(\\Flagged)"),
                                      (pushed, "+FLAGS", "(\\Deleted)")):
                typ, data = c.uid("STORE", str(server[subject][0]), op, flag)
                self.assertEqual(typ, "OK", data)
            self.assertEqual(c.expunge()[0], "OK")
        finally:
            c.logout()
        drafted = f"mbsync draft {t}"
        self.append(drafted, "(\\Draft)")
        self.mbsync(expunge="Both")
        local, server = self.local(), self.server()
        self.assertEqual(set(server), {seen, mx, drafted})
        self.assert_matches_server(local, server, "after the server's changes")
        self.assertEqual((local[seen][1], local[mx][1], local[drafted][1]), ({"F"}, {"R", "F"}, {"D"}))

        # 5. Nothing to do: nothing changes.
        before_local = {s: (os.path.basename(p), fl, d) for s, (p, fl, d) in local.items()}
        self.mbsync(expunge="Both")
        self.assertEqual({s: (os.path.basename(p), fl, d) for s, (p, fl, d) in self.local().items()}, before_local)
        self.assertEqual(self.server(), server)

    def test_every_mailbox_both_ways(self):
        t = env.token()
        c = self.login()
        try:
            self.assertEqual(c.create("Projects/2024")[0], "OK")
            msg = env.make_message(self.user, self.user, f"mbsync folder {t}", "in a folder\r\n")
            self.assertEqual(c.append("Projects/2024", None, None, msg)[0], "OK")
        finally:
            c.logout()
        local_box = os.path.join(self.dir, "mail", "Local")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(local_box, sub))
        pushed = f"mbsync local folder {t}"
        with open(os.path.join(local_box, "new", f"{int(time.time())}.e2e{t}.localhost"), "wb") as f:
            f.write(f"From: <{self.user}>\nSubject: {pushed}\n\nmade here\n".encode())
        _, trace = self.mbsync(patterns="*")
        self.assertRegex(trace, r'>>> \d+ LIST ', "mbsync listed the mailboxes")
        self.assertRegex(trace, r'>>> \d+ CREATE "Local"', "and created the local one on the server")
        for box in ("Drafts", "Sent", "Trash", "Junk", "Archive", "Projects/2024"):
            self.assertTrue(os.path.isdir(os.path.join(self.dir, "mail", box, "cur")), f"{box} became a Maildir")
        files = os.listdir(os.path.join(self.dir, "mail", "Projects", "2024", "new")) + \
            os.listdir(os.path.join(self.dir, "mail", "Projects", "2024", "cur"))
        self.assertEqual(len(files), 1, files)
        with open(os.path.join(self.dir, "mail", "Projects", "2024",
                               "cur" if files[0] in os.listdir(os.path.join(self.dir, "mail", "Projects", "2024", "cur"))
                               else "new", files[0]), "rb") as f:
            self.assertTrue(same_message(f.read(), msg))
        c = self.login()
        try:
            typ, data = c.select("Local", readonly=True)
            self.assertEqual((typ, data), ("OK", [b"1"]), "the local folder's message is on the server")
            typ, data = c.fetch("1", "(BODY.PEEK[])")
            uploaded, tuid = strip_tuid(data[0][1], b"\r\n")
            self.assertEqual((uploaded, tuid), (f"From: <{self.user}>\r\nSubject: {pushed}\r\n\r\nmade here\r\n"
                                                .encode(), True))
        finally:
            c.logout()
        self.mbsync(patterns="*")  # and a second run finds nothing to do

    def test_large_messages_both_ways(self):
        # 3 MiB each way: literals far larger than any one read or write.
        t = env.token()
        lines = "".join(f"{i:08d} " + "x" * 66 + "\r\n" for i in range(42000))
        down = f"mbsync large down {t}"
        sent = self.append(down, None, body=lines)
        up = f"mbsync large up {t}"
        os.makedirs(os.path.join(self.maildir, "new"))
        for sub in ("cur", "tmp"):
            os.makedirs(os.path.join(self.maildir, sub))
        content = (f"From: <{self.user}>\nSubject: {up}\n\n" + lines.replace("\r\n", "\n")).encode()
        with open(os.path.join(self.maildir, "new", f"{int(time.time())}.e2e{t}.localhost"), "wb") as f:
            f.write(content)
        self.mbsync()
        local, server = self.local(), self.server()
        self.assertGreater(len(sent), 3 << 20)
        self.assertTrue(same_message(local[down][2], sent), "the large server message arrived whole")
        self.assertEqual(strip_tuid(server[up][2], b"\r\n"), (content.replace(b"\n", b"\r\n"), True),
                         "the large local message was uploaded whole")

    def test_starttls_login_pull(self):
        subject = f"mbsync starttls {env.token()}"
        sent = self.append(subject, "(\\Seen)")
        _, trace = self.mbsync(tls="STARTTLS", auth="LOGIN", sync="Pull")
        self.assertRegex(trace, r">>> \d+ STARTTLS", "mbsync used STARTTLS")
        self.assertRegex(trace, r">>> \d+ LOGIN ", "and the LOGIN command")
        local = self.local()
        self.assertEqual(list(local), [subject])
        self.assertEqual(strip_tuid(local[subject][2], b"\n"), (sent.replace(b"\r\n", b"\n"), True))
        self.assertEqual(local[subject][1], {"S"})

    def test_an_untrusted_certificate_is_refused(self):
        other = os.path.join(self.dir, "other.pem")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=other.example", "-keyout", os.path.join(self.dir, "other.key"),
                            "-out", other], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.append(f"mbsync untrusted {env.token()}")
        code, trace = self.mbsync(check=False, cert=other)
        self.assertNotEqual(code, 0, f"mbsync synced with a server whose certificate it does not trust:\n{trace[-2000:]}")
        self.assertRegex(trace, r"(?i)certificate", "it is the certificate that mbsync refuses")
        self.assertFalse(self.local(), "nothing was synced")


class TraceReader(unittest.TestCase):
    def test_refusals_are_found(self):
        trace = ("* OK [CAPABILITY IMAP4rev1] ready\n>>> 1 LOGIN <user> <pass>\n1 OK done\n"
                 ">>> 2 SELECT \"INBOX\"\n(1 in progress) >>> 3 UID SEARCH HEADER X-TUID abc\n"
                 "2 OK [READ-WRITE] done\n3 BAD SEARCH: not served\n* 4 NO not tagged\n")
        self.assertEqual(Mbsync.refused(trace), ["'UID SEARCH HEADER X-TUID abc' -> BAD SEARCH: not served"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
