# SPDX-License-Identifier: Apache-2.0
"""Two independent mail domains exchanging mail by DNS MX (issue 8).

Two instances started with `scripts/run --detach --env FILE`
(mailcompany1.test on 127.0.0.2, mailcompany2.test on 127.0.0.3, standard
ports, as tests/e2e/test_instances.py) and a real DNS server, Debian's
dnsmasq on 127.0.0.1:5353, publishing their MX records (and those of
gone.test, whose MX host has an address nothing listens on). Both mtas ask
only that server (STACK_DNS). Then, with Python's standard library clients:

1. abc@mailcompany1.test submits (587, STARTTLS, AUTH) a message for
   xyz@mailcompany2.test; it travels by MX; XYZ reads it over POP3 and IMAP,
   headers and body intact, with the Received headers of both servers. And
   back the other way.
2. A message to nobody@mailcompany2.test is refused at RCPT by company2 and
   comes back to ABC as a bounce naming the recipient and company2's reply.
3. With company2's SMTP service stopped, a message waits in company1's queue
   (its leg shows the connection error), is retried, and arrives once
   company2 is back.
4. A message for gone.test, whose server never answers, bounces after the
   (shortened) maximum age.
5. An alias of company1 whose targets are abc@mailcompany1.test and
   xyz@mailcompany2.test: a message to it reaches both, each once (the mda
   hands the remote target back to the mta, which carries it by MX).
6. Through a smarthost with AUTH over STARTTLS: company1 relays everything
   through company2's submission port as xyz (who may send as abc@ there);
   with a wrong password the message waits with the relay's 535 as its
   error, and goes once the password is right.

Short retry intervals (1s..5s) and a 40s maximum age, never sleeps of
minutes. Leaves nothing behind (instances stopped, run folders and dnsmasq
removed in a class cleanup)."""
import imaplib
import os
import poplib
import re
import signal
import smtplib
import subprocess
import tempfile
import time
import unittest

import test_instances as ti

DNS_PORT = 5353
MAX_AGE = 40
STACK_SH = os.path.join(ti.ROOT, "scripts", "lib", "stack.sh")


class Company(ti.Instance):
    def __init__(self, base, n, addr):
        super().__init__(base, n, addr)
        self.write_env()

    def write_env(self, extra=""):
        n, addr = self.n, self.addr
        with open(self.env_file, "w") as f:
            f.write(f"""STACK_RUN_DIR=company{n}
STACK_BIND={addr}
STACK_STANDARD_PORTS=1
STACK_HOSTNAME={self.hostname}
STACK_DOMAIN={self.domain}
STACK_USER={self.local}
STACK_PASSWORD='{self.password}'
STACK_DNS=127.0.0.1:{DNS_PORT}
STACK_QUEUE_RETRY_MIN=1s
STACK_QUEUE_RETRY_MAX=4s
STACK_QUEUE_MAX_AGE={MAX_AGE}s
STACK_QUEUE_RECONCILE=1s
STACK_OUTBOUND_TIMEOUT=5s
""" + extra)

    def stack(self, *args):
        env = {k: v for k, v in os.environ.items() if not k.startswith("STACK_")}
        return subprocess.run([STACK_SH, "--env", self.env_file, *args], env=env, capture_output=True, text=True,
                              timeout=120)

    def psql(self, sql):
        r = subprocess.run(["psql", "-h", self.addr, "-p", str(ti.OTHER["pg"]), "-U", "postgres", "-d", "mail",
                            "-AtF", "|", "-c", sql], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError(r.stderr)
        return [line.split("|") for line in r.stdout.splitlines() if line]


def submit(inst, to, subject, body, sender=None):
    msg = (f"From: <{inst.user}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
           f"Message-ID: <{subject}@client.example>\r\n\r\n").encode() + body
    with smtplib.SMTP(inst.addr, ti.STANDARD["submission"], timeout=ti.TIMEOUT) as s:
        s.ehlo("client.example")
        s.starttls(context=ti.tls_context())
        s.ehlo("client.example")
        s.login(inst.user, inst.password)
        refused = s.sendmail(sender or inst.user, [to], msg)
    return refused


def messages(inst):
    """Every message in inst's user's maildrop, over POP3 (STLS)."""
    p = poplib.POP3(inst.addr, ti.STANDARD["pop3"], timeout=ti.TIMEOUT)
    try:
        p.stls(context=ti.tls_context())
        p.user(inst.user)
        p.pass_(inst.password)
        n, _ = p.stat()
        out = [b"".join(line + b"\r\n" for line in p.retr(i)[1]) for i in range(1, n + 1)]
        p.quit()
        return out
    finally:
        p.close()


class Exchange(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        busy = [(h, p) for h, p, _ in ti.listeners() if h in ("127.0.0.2", "127.0.0.3") and p in ti.ALL_PORTS]
        if busy:
            raise AssertionError(f"the instances' ports are taken before the test starts: {busy}")
        cls.base = tempfile.mkdtemp(prefix="mail-e2e-exchange-")
        os.chmod(cls.base, 0o755)
        cls.addClassCleanup(cls.cleanup)
        cls.dns = subprocess.Popen(
            ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces",
             "--user=root", "--listen-address=127.0.0.1", f"--port={DNS_PORT}", "--local=/test/",
             "--log-facility=" + os.path.join(cls.base, "dnsmasq.log"), "--pid-file=",
             "--mx-host=mailcompany1.test,mx.mailcompany1.test,10",
             "--host-record=mx.mailcompany1.test,127.0.0.2",
             "--mx-host=mailcompany2.test,mx.mailcompany2.test,10",
             "--host-record=mx.mailcompany2.test,127.0.0.3",
             "--mx-host=gone.test,mx.gone.test,10",
             "--host-record=mx.gone.test,127.0.0.9"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.a = Company(cls.base, 1, "127.0.0.2")
        cls.b = Company(cls.base, 2, "127.0.0.3")
        cls.started_pids = {}
        for inst in (cls.a, cls.b):
            r = ti.run_script("--detach", "--env", inst.env_file)
            cls.started_pids.update({p: (inst.n, w) for p, w in inst.pids().items()})
            if r.returncode != 0:
                raise AssertionError(f"scripts/run --detach --env {inst.env_file} exited {r.returncode}:\n"
                                     f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}")

    @classmethod
    def cleanup(cls):
        try:
            ti.TwoInstances.cleanup.__func__(cls)
        finally:
            dns = getattr(cls, "dns", None)
            if dns is not None:
                dns.send_signal(signal.SIGTERM)
                try:
                    dns.wait(10)
                except subprocess.TimeoutExpired:
                    dns.kill()

    def wait_for(self, inst, pattern, timeout=60, what=""):
        """The first message of inst's maildrop that matches `pattern` (bytes regex)."""
        deadline = time.time() + timeout
        while True:
            for m in messages(inst):
                if re.search(pattern, m):
                    return m
            if time.time() > deadline:
                self.fail(f"{inst.user}: no message {what or pattern!r} after {timeout}s; "
                          f"queue of company1: {self.a.psql('SELECT destination, state, attempts, last_error FROM queue.legs ORDER BY id')}")
            time.sleep(0.5)

    def test_1_mail_travels_by_mx_both_ways(self):
        for src, dst in ((self.a, self.b), (self.b, self.a)):
            with self.subTest(frm=src.domain, to=dst.domain):
                tag = f"mx-{src.n}-to-{dst.n}-{os.urandom(5).hex()}"
                body = f"hello {dst.user} from {src.user}\r\n.leading dot\r\nlast line\r\n".encode()
                self.assertEqual(submit(src, dst.user, tag, body), {})
                got = self.wait_for(dst, rb"(?m)^Subject: " + tag.encode() + rb"\r$", what=tag)
                head, _, got_body = got.partition(b"\r\n\r\n")
                self.assertEqual(got_body, body)
                self.assertIn(f"Message-ID: <{tag}@client.example>".encode(), head)
                received = re.findall(rb"(?m)^Received: [^\r]*(?:\r\n[ \t][^\r]*)*", head)
                self.assertGreaterEqual(len(received), 2, head)
                # The receiving server stamped it as coming from the sender's server, over TLS.
                self.assertRegex(received[0], rb"from " + re.escape(src.hostname.encode()) + rb" ")
                self.assertRegex(received[0], rb"by " + re.escape(dst.hostname.encode()) + rb" \(mail-msa\) with ESMTPS ")
                # And the sender's server stamped the submission.
                self.assertRegex(received[1], rb"by " + re.escape(src.hostname.encode()) + rb" \(mail-msa\) with ESMTPSA ")
                self.assertIn(f"Delivered-To: {dst.user}".encode(), head)
                if dst is self.b:
                    self.imap_has(dst, tag, body)

    def imap_has(self, inst, tag, body):
        c = imaplib.IMAP4(inst.addr, ti.STANDARD["imap"], timeout=ti.TIMEOUT)
        try:
            c.starttls(ssl_context=ti.tls_context())
            c.login(inst.user, inst.password)
            self.assertEqual(c.select("INBOX", readonly=True)[0], "OK")
            typ, data = c.search(None, "SUBJECT", tag)
            nums = data[0].split()
            self.assertEqual(len(nums), 1, data)
            typ, data = c.fetch(nums[0], "(BODY.PEEK[TEXT])")
            self.assertEqual(data[0][1], body)
            c.logout()
        finally:
            try:
                c.shutdown()
            except OSError:
                pass

    def test_2_refused_recipient_bounces_with_the_remote_reply(self):
        tag = f"nobody-{os.urandom(5).hex()}"
        rcpt = f"{tag}@{self.b.domain}"
        self.assertEqual(submit(self.a, rcpt, tag, b"for nobody\r\n"), {})
        bounce = self.wait_for(self.a, re.escape(rcpt.encode()) + rb"[\s\S]*multipart/report|multipart/report[\s\S]*"
                               + re.escape(rcpt.encode()), what="bounce for " + rcpt)
        self.assertIn(f"From: Mail Delivery System <MAILER-DAEMON@{self.a.hostname}>".encode(), bounce)
        self.assertIn(b"Auto-Submitted: auto-replied", bounce)
        self.assertIn(f"Final-Recipient: rfc822; {rcpt}".encode(), bounce)
        self.assertIn(b"Status: 5.1.1", bounce)
        # company2's own words, naming its host.
        self.assertIn(self.b.hostname.encode(), bounce)
        self.assertIn(b"User unknown", bounce)
        self.assertIn(f"Subject: {tag}".encode(), bounce, "the original headers come back")

    def test_3_queued_while_the_remote_is_down_and_delivered_when_back(self):
        r = self.b.stack("stop", "msa")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        try:
            tag = f"wait-{os.urandom(5).hex()}"
            self.assertEqual(submit(self.a, self.b.user, tag, b"patience\r\n"), {})
            deadline = time.time() + 20
            legs = []
            while time.time() < deadline:
                legs = self.a.psql("SELECT l.state, l.attempts, l.last_error FROM queue.legs l"
                                   " JOIN queue.jobs j ON j.id = l.job_id JOIN store.blob_chunks c ON c.blob_id = j.blob_id"
                                   f" WHERE l.destination = '{self.b.domain}' AND convert_from(c.data, 'UTF8') LIKE '%{tag}%'")
                if legs and int(legs[0][1]) >= 2 and legs[0][2]:
                    break
                time.sleep(0.5)
            self.assertTrue(legs, "the message is in company1's queue")
            state, attempts, error = legs[0]
            self.assertEqual(state, "queued")
            self.assertGreaterEqual(int(attempts), 2, "retried while company2 is down")
            self.assertIn("127.0.0.3", error)
            self.assertIn("connect", error.lower())
            r = subprocess.run([ti.MAILCTL, "queue", "list"], capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, MAILCTL_SERVER=f"{self.a.addr}:{ti.OTHER['admin']}",
                                        MAILCTL_QUEUE_SERVER=f"{self.a.addr}:{ti.OTHER['mta']}",
                                        MAILCTL_TOKEN_FILE=os.path.join(self.a.run, "secrets", "admin.token")))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn(self.b.user, r.stdout)
        finally:
            r = self.b.stack("start", "msa")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        got = self.wait_for(self.b, rb"(?m)^Subject: " + tag.encode() + rb"\r$", timeout=30, what=tag)
        self.assertTrue(got.endswith(b"\r\n\r\npatience\r\n"), got[-200:])
        # Exactly once.
        self.assertEqual(sum(1 for m in messages(self.b) if tag.encode() in m), 1)

    def test_4_a_destination_that_never_answers_bounces_after_the_maximum_age(self):
        tag = f"gone-{os.urandom(5).hex()}"
        rcpt = "someone@gone.test"
        start = time.time()
        self.assertEqual(submit(self.a, rcpt, tag, b"into the void\r\n"), {})
        bounce = self.wait_for(self.a, re.escape(b"Final-Recipient: rfc822; " + rcpt.encode()) + rb"[\s\S]*Subject: "
                               + tag.encode(), timeout=MAX_AGE + 40, what="expiry bounce for " + tag)
        self.assertGreaterEqual(time.time() - start, MAX_AGE - 5, "not bounced before the maximum age")
        self.assertIn(b"Status: 4.4.7", bounce)
        self.assertIn(b"expired", bounce)
        self.assertIn(b"127.0.0.9", bounce, "the last error names the server that did not answer")

    def test_5_an_alias_forwards_to_another_domain_once(self):
        tag = f"alias-{os.urandom(5).hex()}"
        alias = f"team-{tag}@{self.a.domain}"
        r = self.a.mailctl("alias", "add", alias, self.a.user, self.b.user)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(submit(self.b, alias, tag, b"to the whole team\r\n"), {})
        pattern = rb"(?m)^Subject: " + tag.encode() + rb"\r$"
        for inst in (self.a, self.b):
            got = self.wait_for(inst, pattern, what=f"{tag} at {inst.user}")
            self.assertTrue(got.endswith(b"\r\n\r\nto the whole team\r\n"), got[-100:])
        time.sleep(3)  # a duplicate would be right behind
        for inst in (self.a, self.b):
            self.assertEqual(sum(1 for m in messages(inst) if re.search(pattern, m)), 1, inst.user)

    def relay_through_b(self, password):
        self.a.write_env(f"STACK_RELAYHOST=[{self.b.addr}]:587\nSTACK_RELAYHOST_TLS=encrypt\n"
                         f"STACK_RELAYHOST_USER={self.b.user}\nSTACK_RELAYHOST_PASSWORD='{password}'\n")
        for args in (("configure",), ("restart", "mta")):
            r = self.a.stack(*args)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_6_smarthost_with_auth_over_starttls(self):
        # company2 knows abc@mailcompany1.test as an address xyz may send as
        # (a provider that verified the sending domain).
        for args in (("domain", "add", self.a.domain), ("alias", "add", self.a.user, self.b.user)):
            r = self.b.mailctl(*args)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        try:
            self.relay_through_b("wrong password")
            tag = f"relay-{os.urandom(5).hex()}"
            self.assertEqual(submit(self.a, self.b.user, tag, b"via the smarthost\r\n"), {})
            deadline = time.time() + 30
            legs = []
            while time.time() < deadline:
                legs = self.a.psql("SELECT l.state, l.attempts, l.last_error FROM queue.legs l JOIN queue.jobs j"
                                   " ON j.id = l.job_id JOIN store.blob_chunks c ON c.blob_id = j.blob_id"
                                   f" WHERE convert_from(c.data, 'UTF8') LIKE '%{tag}%'")
                if legs and int(legs[0][1]) >= 2 and "535" in legs[0][2]:
                    break
                time.sleep(0.5)
            self.assertTrue(legs and legs[0][0] == "queued" and "535" in legs[0][2], f"a clear, retried error: {legs}")
            self.assertIn("auth", legs[0][2].lower())
            self.assertEqual(sum(1 for m in messages(self.b) if tag.encode() in m), 0)
            self.relay_through_b(self.b.password)
            got = self.wait_for(self.b, rb"(?m)^Subject: " + tag.encode() + rb"\r$", timeout=40, what=tag)
            received = re.findall(rb"(?m)^Received: [^\r]*(?:\r\n[ \t][^\r]*)*", got.partition(b"\r\n\r\n")[0])
            self.assertRegex(received[0], rb"from " + re.escape(self.a.hostname.encode()) + rb" ")
            self.assertRegex(received[0], rb"with ESMTPSA ", "relayed over the submission port, authenticated")
        finally:
            self.a.write_env()
            self.a.stack("configure")
            self.a.stack("restart", "mta")
            self.b.mailctl("alias", "delete", self.a.user)
            self.b.mailctl("domain", "delete", self.a.domain)


if __name__ == "__main__":
    unittest.main(verbosity=2)
