# SPDX-License-Identifier: Apache-2.0
"""IMAP IDLE across processes: a session IDLEs on the stack's mail-imap while
a second mail-imap process (started here on its own ports, same database and
Redis) appends, stores flags and expunges on the same mailbox; each change
reaches the idling client as untagged EXISTS / FETCH / EXPUNGE within a
second (the poll interval is raised to a minute, so only the Redis notices
can explain that), and so does a message delivered over SMTP by the mda.
Then a third mail-imap subscribed to a private Redis: while that Redis is
down a change goes unannounced, and when it is back the subscription's
re-establishment wakes every watcher, which resynchronises from its MODSEQ.
Imaplib has no IDLE, so the idling side speaks IMAP over a TLS socket."""
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import imaplib

import mailenv as env


class Raw:
    """A line-level IMAPS client for IDLE."""

    def __init__(self, port):
        raw = socket.create_connection((env.HOST, port), timeout=env.TIMEOUT)
        self.s = env.tls_context().wrap_socket(raw, server_hostname="mail.example.test")
        self.buf = b""
        self.line(10)  # greeting

    def send(self, text):
        self.s.sendall(text.encode() + b"\r\n")

    def line(self, timeout):
        end = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                chunk = self.s.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def cmd(self, tag, text, timeout=10):
        self.send(f"{tag} {text}")
        lines = []
        while True:
            l = self.line(timeout)
            if l is None:
                raise AssertionError(f"no reply to {text}: {lines}")
            lines.append(l)
            if l.startswith(tag + " "):
                return lines

    def wait_for(self, pattern, timeout):
        """The first line matching `pattern` within `timeout` seconds, and the time it took."""
        t0 = time.monotonic()
        while True:
            l = self.line(max(0.0, timeout - (time.monotonic() - t0)))
            if l is None:
                return None, time.monotonic() - t0
            if re.search(pattern, l):
                return l, time.monotonic() - t0

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def free_port():
    with socket.socket() as s:
        s.bind((env.HOST, 0))
        return s.getsockname()[1]


class Replica:
    """Another mail-imap on the stack's config, with its own ports and overrides."""

    def __init__(self, **overrides):
        self.imaps = free_port()
        self.health = free_port()
        e = dict(os.environ)
        e.update({"MAIL_IMAP_LISTEN": "", "MAIL_IMAP_IMAPS_LISTEN": f"{env.HOST}:{self.imaps}",
                  "MAIL_HTTP_LISTEN": f"{env.HOST}:{self.health}"})
        e.update(overrides)
        self.log = tempfile.NamedTemporaryFile(prefix="imap-replica-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([os.path.join(env.BUILD, "services", "imap", "mail-imap"), "--config",
                                      os.path.join(env.RUN_DIR, "etc", "imap.yaml")],
                                     env=e, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                env.http_get(self.health, "/readyz", timeout=1)
                return
            except Exception:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise AssertionError("replica did not become ready: " + open(self.log.name).read()[-2000:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.unlink(self.log.name)


def login(port, user, pw):
    c = imaplib.IMAP4_SSL(env.HOST, port, timeout=env.TIMEOUT, ssl_context=env.tls_context())
    c.login(user, pw)
    return c


class IdleAcrossProcesses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.replica = Replica(MAIL_IMAP_IDLE_POLL="60s")

    @classmethod
    def tearDownClass(cls):
        cls.replica.stop()

    def idling(self, user, pw, port=None):
        a = Raw(port or env.P_IMAPS)
        self.addCleanup(a.close)
        self.assertEqual(a.cmd("l", f'LOGIN "{user}" "{pw}"')[-1][:4], "l OK")
        self.assertTrue(a.cmd("s", "SELECT INBOX")[-1].startswith("s OK"))
        a.send("i IDLE")
        self.assertEqual(a.line(5), "+ idling")
        return a

    def test_changes_from_another_process_reach_an_idle_session(self):
        user, pw = env.new_account()
        a = self.idling(user, pw)
        b = login(self.replica.imaps, user, pw)
        self.addCleanup(b.logout)
        msg = env.make_message(user, user, "idle one", "first\r\n")
        typ, _ = b.append("INBOX", None, None, msg)
        self.assertEqual(typ, "OK")
        line, took = a.wait_for(r"^\* 1 EXISTS$", 5)
        self.assertIsNotNone(line, "APPEND on the replica never reached the idling session")
        self.assertLess(took, 1.0, f"EXISTS after {took:.3f}s: not through the notice")
        b.select("INBOX")
        b.store("1", "+FLAGS", "(\\Flagged)")
        line, took = a.wait_for(r"^\* 1 FETCH \(FLAGS \(.*\\Flagged", 5)
        self.assertIsNotNone(line, "STORE never reached the idling session")
        self.assertLess(took, 1.0)
        b.append("INBOX", None, None, env.make_message(user, user, "idle two", "second\r\n"))
        self.assertIsNotNone(a.wait_for(r"^\* 2 EXISTS$", 5)[0])
        b.store("1", "+FLAGS", "(\\Deleted)")
        b.expunge()
        line, took = a.wait_for(r"^\* 1 EXPUNGE$", 5)
        self.assertIsNotNone(line, "EXPUNGE never reached the idling session")
        self.assertLess(took, 1.0)
        # Delivery by the mda: the idling session hears of it too.
        t0 = time.monotonic()
        env.mx_send("sender@elsewhere.test", [user], env.make_message("sender@elsewhere.test", user, "by smtp", "x\r\n"))
        line, _ = a.wait_for(r"^\* 2 EXISTS$", 20)
        self.assertIsNotNone(line, "the delivered message never reached the idling session")
        print(f"SMTP submission to EXISTS in IDLE: {time.monotonic() - t0:.3f}s")
        a.send("DONE")
        self.assertEqual(a.wait_for(r"^i ", 5)[0], "i OK IDLE terminated")
        lines = a.cmd("f", "FETCH 1:* (FLAGS)")
        self.assertEqual(len([l for l in lines if l.startswith("* ") and " FETCH " in l]), 2, lines)

    def test_resync_after_the_redis_subscription_comes_back(self):
        work = tempfile.mkdtemp(prefix="imap-redis-")
        self.addCleanup(shutil.rmtree, work, True)
        port = free_port()

        def redis_up():
            subprocess.run(["redis-server", "--port", str(port), "--bind", env.HOST, "--daemonize", "yes",
                            "--dir", work, "--save", "", "--appendonly", "no",
                            "--pidfile", os.path.join(work, "redis.pid")], check=True, stdout=subprocess.DEVNULL)
            for _ in range(100):
                try:
                    socket.create_connection((env.HOST, port), timeout=0.2).close()
                    return
                except OSError:
                    time.sleep(0.05)

        def redis_down():
            subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            for _ in range(100):
                try:
                    socket.create_connection((env.HOST, port), timeout=0.2).close()
                    time.sleep(0.05)
                except OSError:
                    return

        redis_up()
        self.addCleanup(redis_down)
        private = Replica(MAIL_REDIS_PORT=str(port), MAIL_IMAP_IDLE_POLL="60s")
        self.addCleanup(private.stop)
        user, pw = env.new_account()
        a = self.idling(user, pw, private.imaps)
        redis_down()
        time.sleep(0.5)
        # Announced on the stack's Redis only: the private replica hears nothing.
        b = login(env.P_IMAPS, user, pw)
        self.addCleanup(b.logout)
        b.append("INBOX", None, None, env.make_message(user, user, "while down", "x\r\n"))
        self.assertIsNone(a.wait_for(r"EXISTS", 1.5)[0], "nothing should announce it yet")
        redis_up()
        line, took = a.wait_for(r"^\* 1 EXISTS$", 15)
        self.assertIsNotNone(line, "no resync after the subscription came back")
        print(f"resync {took:.3f}s after Redis came back")


if __name__ == "__main__":
    unittest.main(verbosity=2)
