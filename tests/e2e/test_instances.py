# SPDX-License-Identifier: Apache-2.0
"""Several instances on one machine (issue 8): two env files, two instances
started with `scripts/run --detach --env FILE`, mailcompany1.test on
127.0.0.2 and mailcompany2.test on 127.0.0.3, both on the standard ports,
each with its own run folder, PostgreSQL, Redis and first account.

Checks, with Python's standard library clients only: each instance's SMTP
(25) greets with its STACK_HOSTNAME; submission (587, STARTTLS, AUTH as its
user) takes a message for that user, which POP3 (110, STLS) and IMAP (143,
STARTTLS) then show, headers and body intact; neither instance knows the
other's domain or account; every listening socket of an instance's
processes (services, postmaster, redis-server: `ss -ltnp`) is on its own
address, PostgreSQL's unix socket is in its own run folder, and Redis binds
only its address; the mta config carries STACK_BIND as outbound source
address, STACK_DNS, STACK_QUEUE_* and the host name. `scripts/run --stop
--env FILE` then stops each, every process of it ends and its ports are free.
An env file with an unknown key is refused before anything starts.

Leaves nothing behind: the instances are stopped and their run folders
removed in a class cleanup that runs even when the start fails; a process
that outlives --stop is killed and reported. Does not touch the scripts/test
stack (127.0.0.1); needs 127.0.0.2 and 127.0.0.3's standard ports free."""
import hashlib
import imaplib
import os
import poplib
import re
import shutil
import signal
import smtplib
import ssl
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUN_SCRIPT = os.path.join(ROOT, "scripts", "run")
BUILD = os.environ.get("MAIL_BUILD_DIR") or os.path.join(ROOT, "build")
MAILCTL = os.path.join(BUILD, "services", "mailctl", "mailctl")
TIMEOUT = 15
START_TIMEOUT = 300  # scripts/run --detach: a no-op build, initdb, six services
STANDARD = {"smtp": 25, "submission": 587, "submissions": 465, "pop3": 110, "pop3s": 995,
            "imap": 143, "imaps": 993}
# The other ports at offset 0 (scripts/lib/stack.sh stack_env).
OTHER = {"admin": 7001, "mta": 7002, "mda": 7003, "pg": 25432, "redis": 26379,
         **{f"http_{s}": p for s, p in (("msa", 9101), ("mda", 9102), ("mta", 9103),
                                        ("imap", 9104), ("pop3", 9105), ("admin", 9106))}}
ALL_PORTS = set(STANDARD.values()) | set(OTHER.values())


class Instance:
    def __init__(self, base, n, addr):
        self.n, self.addr = n, addr
        self.domain = f"mailcompany{n}.test"
        self.hostname = f"mx.mailcompany{n}.test"
        self.local = "abc" if n == 1 else "xyz"
        self.user = f"{self.local}@{self.domain}"
        self.password = f"pw {n} with spaces#and-hash"
        self.run = os.path.join(base, f"company{n}")
        self.env_file = os.path.join(base, f"company{n}.env")
        with open(self.env_file, "w") as f:
            # Comments, blank lines and both kinds of quotes: the file format.
            f.write(f"""# instance {n} of the e2e test (tests/e2e/test_instances.py)
STACK_RUN_DIR=company{n}          # relative: to this file's folder
STACK_BIND={addr}
STACK_STANDARD_PORTS=1

STACK_HOSTNAME="{self.hostname}"
STACK_DOMAIN={self.domain}
STACK_USER={self.local}
STACK_PASSWORD='{self.password}'
STACK_DNS=127.0.0.1:5353
STACK_QUEUE_RETRY_MIN=1s
STACK_QUEUE_RETRY_MAX=5s
STACK_QUEUE_MAX_AGE=1h
STACK_LOG_LEVEL=info
""")

    # ------------------------------------------------------------ its processes

    def pg_dir(self):
        """Where stack.sh keeps PostgreSQL: the run folder, else its /var/tmp fallback."""
        if os.path.isdir(os.path.join(self.run, "pg", "data")):
            return os.path.join(self.run, "pg")
        digest = hashlib.md5((self.run + "\n").encode()).hexdigest()[:10]
        return f"/var/tmp/mailplatform-{digest}/pg"

    def pids(self):
        """{pid: what} of every process the instance left pid files for."""
        found = {}
        piddir = os.path.join(self.run, "pid")
        for name in sorted(os.listdir(piddir)) if os.path.isdir(piddir) else []:
            if name.endswith(".pid"):
                found[_read_pid(os.path.join(piddir, name))] = name[:-4]
        found[_read_pid(os.path.join(self.pg_dir(), "data", "postmaster.pid"))] = "postgres"
        found[_read_pid(os.path.join(self.run, "redis", "redis.pid"))] = "redis"
        found.pop(None, None)
        return found

    def mailctl(self, *args):
        env = dict(os.environ, MAILCTL_SERVER=f"{self.addr}:{OTHER['admin']}",
                   MAILCTL_TOKEN_FILE=os.path.join(self.run, "secrets", "admin.token"))
        return subprocess.run([MAILCTL, *args], env=env, capture_output=True, text=True, timeout=60)


def _read_pid(path):
    try:
        with open(path) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return not f.read().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


def run_script(*args, timeout=START_TIMEOUT):
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACK_")}
    return subprocess.run([RUN_SCRIPT, *args], env=env, capture_output=True, text=True, timeout=timeout)


def listeners(kind="-ltnpH"):
    """[(address, port or path, {pids})] from `ss`; an IPv4-mapped IPv6
    address ([::ffff:a.b.c.d], where gRPC listens) counts as a.b.c.d."""
    out = subprocess.run(["ss", kind], capture_output=True, text=True, timeout=30, check=True).stdout
    rows = []
    for line in out.splitlines():
        cols = line.split()
        if len(cols) < 5:
            continue
        local = cols[3] if kind.endswith("tnpH") else cols[4]
        pids = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        if kind.endswith("tnpH"):
            host, _, port = local.rpartition(":")
            m = re.fullmatch(r"\[::ffff:([0-9.]+)\]", host)
            host = m.group(1) if m else host.strip("[]")
            rows.append((host, int(port), pids))
        else:
            rows.append((None, local, pids))
    return rows


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class TwoInstances(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        busy = [(h, p) for h, p, _ in listeners() if h in ("127.0.0.2", "127.0.0.3", "0.0.0.0", "*", "::")
                and p in set(STANDARD.values())]
        if busy:
            raise AssertionError(f"the standard ports are taken before the test starts: {busy}")
        cls.base = tempfile.mkdtemp(prefix="mail-e2e-instances-")
        # The postgres user must enter the run folders (stack.sh runs PostgreSQL as it).
        os.chmod(cls.base, 0o755)
        cls.addClassCleanup(cls.cleanup)
        cls.a = Instance(cls.base, 1, "127.0.0.2")
        cls.b = Instance(cls.base, 2, "127.0.0.3")
        cls.started_pids = {}
        for inst in (cls.a, cls.b):
            r = run_script("--detach", "--env", inst.env_file)
            cls.started_pids.update({p: (inst.n, w) for p, w in inst.pids().items()})
            if r.returncode != 0:
                raise AssertionError(f"scripts/run --detach --env {inst.env_file} exited {r.returncode}:\n"
                                     f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
            if f"{inst.addr}:25" not in r.stdout or inst.user not in r.stdout:
                raise AssertionError(f"scripts/run did not announce {inst.addr}:25 and {inst.user}:\n{r.stdout}")
            if inst.password in r.stdout + r.stderr:
                raise AssertionError("scripts/run printed the account's password")

    @classmethod
    def cleanup(cls):
        """Stops both instances (again: --stop is idempotent), kills what
        outlived that, removes the run folders. Raises when something had to
        be killed, so a leak fails the test even if every check passed."""
        leaked = []
        for inst in (getattr(cls, "a", None), getattr(cls, "b", None)):
            if inst is None:
                continue
            cls.started_pids.update({p: (inst.n, w) for p, w in inst.pids().items()})
            try:
                run_script("--stop", "--env", inst.env_file, timeout=120)
            except subprocess.TimeoutExpired:
                pass
        deadline = time.time() + 20
        while time.time() < deadline and any(alive(p) for p in cls.started_pids):
            time.sleep(0.2)
        for pid, what in cls.started_pids.items():
            if alive(pid):
                leaked.append((pid, what))
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for inst in (getattr(cls, "a", None), getattr(cls, "b", None)):
            if inst is not None and not inst.pg_dir().startswith(inst.run):
                shutil.rmtree(os.path.dirname(inst.pg_dir()), ignore_errors=True)
        shutil.rmtree(cls.base, ignore_errors=True)
        if leaked:
            raise AssertionError(f"processes outlived scripts/run --stop and were killed: {leaked}")

    def both(self):
        return ((self.a, self.b), (self.b, self.a))

    # ------------------------------------------------------------ the protocols

    def test_1_smtp_greets_with_its_host_name(self):
        for inst, _ in self.both():
            with self.subTest(instance=inst.domain):
                s = smtplib.SMTP(timeout=TIMEOUT)
                try:
                    code, greeting = s.connect(inst.addr, STANDARD["smtp"])
                    self.assertEqual(code, 220, greeting)
                    self.assertTrue(greeting.startswith(inst.hostname.encode() + b" "), greeting)
                    code, text = s.ehlo("client.example")
                    self.assertEqual(code, 250, text)
                    self.assertEqual(text.split(b"\n")[0].split()[0], inst.hostname.encode(), text)
                    s.quit()
                finally:
                    s.close()

    def test_2_submit_and_read_own_mail(self):
        sent = {}
        for inst, _ in self.both():
            with self.subTest(instance=inst.domain, step="submission 587"):
                tag = f"instance-{inst.n}-{os.urandom(6).hex()}"
                body = f"hello from {inst.domain}\r\nline two\r\n".encode()
                msg = (f"From: <{inst.user}>\r\nTo: <{inst.user}>\r\nSubject: {tag}\r\n"
                       f"Date: Mon, 06 Jan 2025 10:00:00 +0000\r\nMessage-ID: <{tag}@client.example>\r\n\r\n"
                       ).encode() + body
                with smtplib.SMTP(inst.addr, STANDARD["submission"], timeout=TIMEOUT) as s:
                    s.ehlo("client.example")
                    s.starttls(context=tls_context())
                    s.ehlo("client.example")
                    s.login(inst.user, inst.password)
                    self.assertEqual(s.sendmail(inst.user, [inst.user], msg), {})
                sent[inst.n] = (tag, body)
        for inst, _ in self.both():
            tag, body = sent[inst.n]
            with self.subTest(instance=inst.domain, step="POP3 110 STLS"):
                got = self.pop3_wait(inst, tag)
                head, _, got_body = got.partition(b"\r\n\r\n")
                self.assertEqual(got_body, body)
                self.assertIn(f"Subject: {tag}".encode(), head)
                self.assertIn(f"Message-ID: <{tag}@client.example>".encode(), head)
                # Stamped by this instance's msa, under its own name.
                self.assertRegex(head, rb"(?m)^Received: from client\.example [^\r]*(\r\n\t[^\r]*)*\r\n\tby "
                                 + re.escape(inst.hostname.encode()) + rb" \(mail-msa\) with ESMTPSA ")
            with self.subTest(instance=inst.domain, step="IMAP 143 STARTTLS"):
                c = imaplib.IMAP4(inst.addr, STANDARD["imap"], timeout=TIMEOUT)
                try:
                    c.starttls(ssl_context=tls_context())
                    c.login(inst.user, inst.password)
                    typ, _ = c.select("INBOX", readonly=True)
                    self.assertEqual(typ, "OK")
                    typ, data = c.search(None, "SUBJECT", tag)
                    self.assertEqual(typ, "OK")
                    nums = data[0].split()
                    self.assertEqual(len(nums), 1, data)
                    typ, data = c.fetch(nums[0], "(BODY.PEEK[TEXT])")
                    self.assertEqual(typ, "OK")
                    self.assertEqual(data[0][1], body)
                    c.logout()
                finally:
                    try:
                        c.shutdown()
                    except OSError:
                        pass

    def pop3_wait(self, inst, tag, timeout=30):
        """The message with Subject `tag` in inst's user's maildrop, polled over POP3 (STLS)."""
        deadline = time.time() + timeout
        last = None
        while True:
            p = poplib.POP3(inst.addr, STANDARD["pop3"], timeout=TIMEOUT)
            try:
                p.stls(context=tls_context())
                p.user(inst.user)
                p.pass_(inst.password)
                n, _ = p.stat()
                for i in range(1, n + 1):
                    msg = b"".join(line + b"\r\n" for line in p.retr(i)[1])
                    if re.search(rb"(?mi)^Subject: " + re.escape(tag.encode()) + rb"\r$", msg):
                        return msg
                last = f"{n} messages, none with Subject {tag}"
                p.quit()
            except poplib.error_proto as e:
                last = repr(e)
            finally:
                p.close()
            if time.time() > deadline:
                self.fail(f"{inst.user}: no message {tag} over POP3 after {timeout}s ({last})")
            time.sleep(0.5)

    def test_3_instances_know_only_their_own(self):
        for inst, other in self.both():
            with self.subTest(instance=inst.domain):
                r = inst.mailctl("domain", "list")
                self.assertEqual(r.returncode, 0, r.stderr)
                domains = [line.split()[0] for line in r.stdout.splitlines()[1:] if line.strip()]
                self.assertEqual(domains, [inst.domain], r.stdout)
                r = inst.mailctl("account", "list", inst.domain)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn(inst.user, r.stdout)
                # The other's account does not exist here.
                p = poplib.POP3(inst.addr, STANDARD["pop3"], timeout=TIMEOUT)
                try:
                    p.stls(context=tls_context())
                    p.user(other.user)
                    with self.assertRaises(poplib.error_proto):
                        p.pass_(other.password)
                finally:
                    p.close()

    # ------------------------------------------------------------ the sockets

    def test_4_every_listener_on_its_own_address(self):
        rows = listeners()
        for inst, other in self.both():
            with self.subTest(instance=inst.domain):
                pids = inst.pids()
                self.assertEqual(sorted(set(pids.values())),
                                 sorted(["admin", "imap", "mda", "msa", "mta", "pop3", "postgres", "redis"]))
                mine = [(h, p, pids[q]) for h, p, ps in rows for q in ps if q in pids]
                wrong = [r for r in mine if r[0] != inst.addr]
                self.assertEqual(wrong, [], f"{inst.domain} listens off {inst.addr}")
                self.assertEqual({p for _, p, _ in mine}, ALL_PORTS, mine)
                self.assertEqual({(h, p) for h, p, w in mine if w == "postgres"}, {(inst.addr, OTHER["pg"])})
                self.assertEqual({(h, p) for h, p, w in mine if w == "redis"}, {(inst.addr, OTHER["redis"])})
                # The `ss -ltn` view: nothing of this instance on the other's address.
                theirs = other.pids()
                on_other = [(h, p) for h, p, ps in rows if h == other.addr and not ps <= set(theirs)]
                self.assertEqual(on_other, [], f"something not of {other.domain} listens on {other.addr}")
                # No wildcard listener on any of the instances' ports.
                wild = [(h, p) for h, p, _ in rows if h in ("0.0.0.0", "*", "::") and p in ALL_PORTS]
                self.assertEqual(wild, [])
        self.assertNotEqual(set(self.a.pids()), set(self.b.pids()))

    def test_5_postgres_and_redis_are_the_instances_own(self):
        unix = listeners("-lxpH")
        for inst, _ in self.both():
            with self.subTest(instance=inst.domain):
                pg = [pid for pid, w in inst.pids().items() if w == "postgres"]
                sockets = [path for _, path, ps in unix if set(pg) & ps]
                self.assertEqual(sockets, [os.path.join(inst.run, "pg", f".s.PGSQL.{OTHER['pg']}")])
                r = subprocess.run(["psql", "-h", inst.addr, "-p", str(OTHER["pg"]), "-U", "postgres", "-d", "mail",
                                    "-Atc", "SHOW listen_addresses"],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual((r.returncode, r.stdout.strip()), (0, inst.addr), r.stderr)
                r = subprocess.run(["redis-cli", "-h", inst.addr, "-p", str(OTHER["redis"]), "CONFIG", "GET", "bind"],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(r.stdout.split(), ["bind", inst.addr], r.stderr)

    def test_6_mta_config_carries_the_instance(self):
        for inst, _ in self.both():
            with self.subTest(instance=inst.domain):
                with open(os.path.join(inst.run, "etc", "mta.yaml")) as f:
                    mta = f.read()
                self.assertIn(f'outbound:\n  hostname: "{inst.hostname}"\n  source_address: "{inst.addr}"\n'
                              '  resolver: "127.0.0.1:5353"\n', mta)
                self.assertIn(f'mta: {{hostname: "{inst.hostname}"}}', mta)
                self.assertRegex(mta, r"queue: \{.*retry_min: 1s, retry_max: 5s, max_age: 1h\}")
                self.assertIn(f'transfer: {{listen: "{inst.addr}:7002"}}', mta)

    def test_7_unknown_key_is_refused(self):
        bad = os.path.join(self.base, "bad.env")
        with open(bad, "w") as f:
            f.write(f"STACK_RUN_DIR={self.base}/bad\nSTACK_BIND=127.0.0.4\nSTACK_BINDS=127.0.0.5\n")
        r = run_script("--detach", "--env", bad, timeout=60)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(f"{bad}:3: unknown key STACK_BINDS", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.base, "bad")))

    # ------------------------------------------------------------ stopping

    def test_9_stop_ends_everything_and_frees_the_ports(self):
        for inst in (self.a, self.b):
            pids = inst.pids()
            r = run_script("--stop", "--env", inst.env_file, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            deadline = time.time() + 20
            while time.time() < deadline and any(alive(p) for p in pids):
                time.sleep(0.2)
            self.assertEqual({w for p, w in pids.items() if alive(p)}, set(), f"{inst.domain} after --stop")
            busy = [(h, p) for h, p, _ in listeners() if h == inst.addr]
            self.assertEqual(busy, [], f"{inst.addr} after --stop")


if __name__ == "__main__":
    unittest.main(verbosity=2)
