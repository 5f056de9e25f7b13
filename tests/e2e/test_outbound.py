# SPDX-License-Identifier: Apache-2.0
"""Outbound delivery against hostile servers (issue 8). The stack's dnsmasq
(scripts/test) gives each hostile*.test domain an MX on its own loopback
address; this test runs a scripted SMTP server on port 25 of each:

- garbage (127.0.0.22): greets, then answers EHLO with bytes that are no
  SMTP reply;
- silent (127.0.0.23): accepts the connection and never says a word;
- trickle (127.0.0.24): a correct server that sends every reply one byte at
  a time, slowly;
- drop (127.0.0.25): accepts MAIL, RCPT and DATA, then drops the connection
  in the middle of the body.

A message for each is submitted (587, AUTH). The trickled one is delivered
(the server got it whole, the queue marks it delivered); the others are
retried (the queue keeps them pending, with a last error that says what
went wrong) and never vanish; the mta stays healthy throughout. A message
for nullmx.test (an RFC 7505 null MX) bounces at once with 5.1.10."""
import os
import re
import socket
import subprocess
import threading
import time
import unittest

import mailenv as env

PG = os.environ.get("MAIL_TEST_PG", "")


def psql(sql):
    r = subprocess.run(["psql", PG, "-AtF", "|", "-c", sql], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError(r.stderr)
    return [line.split("|") for line in r.stdout.splitlines() if line]


class Scripted:
    """A TCP server on addr:25 that runs `behaviour(conn, server)` per connection."""

    def __init__(self, addr, behaviour):
        self.addr, self.behaviour = addr, behaviour
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, 25))
        self.sock.listen(16)
        self.connections = 0
        self.messages = []
        self.stopping = False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        conn.settimeout(30)
        try:
            self.behaviour(conn, self)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stopping = True
        self.sock.close()


def read_line(conn):
    data = b""
    while not data.endswith(b"\n"):
        b = conn.recv(1)
        if not b:
            raise OSError("closed")
        data += b
    return data


def garbage(conn, server):
    conn.sendall(b"220 garbage.test ESMTP\r\n")
    read_line(conn)
    conn.sendall(b"\x00\xffthis is not smtp\r\n\x01\x02\r\n")
    time.sleep(2)


def silent(conn, server):
    time.sleep(25)


def conversation(conn, server, send, drop_in_data=False):
    send(b"220 trickle.test ESMTP\r\n")
    while True:
        line = read_line(conn).rstrip(b"\r\n")
        verb = line[:4].upper()
        if verb == b"EHLO":
            send(b"250-trickle.test\r\n250-SIZE 10000000\r\n250 8BITMIME\r\n")
        elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            send(b"250 2.0.0 Ok\r\n")
        elif verb == b"DATA":
            send(b"354 go ahead\r\n")
            body = b""
            while not body.endswith(b"\r\n.\r\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    raise OSError("closed")
                body += chunk
                if drop_in_data and len(body) > 20:
                    conn.shutdown(socket.SHUT_RDWR)
                    raise OSError("dropped on purpose")
            server.messages.append(body)
            send(b"250 2.0.0 Ok: queued\r\n")
        elif verb == b"QUIT":
            send(b"221 2.0.0 Bye\r\n")
            return
        else:
            send(b"502 5.5.1 no\r\n")


def trickle(conn, server):
    def send(data):
        for i in range(len(data)):
            conn.sendall(data[i:i + 1])
            time.sleep(0.003)
    conversation(conn, server, send)


def drop(conn, server):
    conversation(conn, server, conn.sendall, drop_in_data=True)


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.user, cls.pw = env.new_account(prefix="hostile")
        cls.servers = {"garbage": Scripted("127.0.0.22", garbage), "silent": Scripted("127.0.0.23", silent),
                       "trickle": Scripted("127.0.0.24", trickle), "drop": Scripted("127.0.0.25", drop)}
        cls.tag = env.token()

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers.values():
            s.close()
        # Nothing more to learn from these: out of the queue, without a bounce.
        for name in cls.servers:
            env.mailctl("queue", "delete", "--domain", f"hostile-{name}.test")

    def leg(self, domain):
        rows = psql("SELECT l.state, l.attempts, l.last_error, r.state FROM queue.legs l"
                    " JOIN queue.recipients r ON r.job_id = l.job_id AND r.destination = l.destination"
                    f" WHERE l.destination = '{domain}' ORDER BY l.id DESC LIMIT 1")
        return rows[0] if rows else None

    def test_hostile_servers_are_retried_and_nothing_vanishes(self):
        with env.smtp_submit(self.user, self.pw) as s:
            for name in self.servers:
                rcpt = f"someone@hostile-{name}.test"
                msg = env.make_message(self.user, rcpt, f"hostile {name} {self.tag}", "line one\r\n.line two\r\n")
                self.assertEqual(s.sendmail(self.user, [rcpt], msg), {})
        expect = {"garbage": "bad reply|garbage|not an SMTP reply|bad_code|malformed",
                  "silent": "timeout|timed out",
                  "drop": "lost|closed|connection"}
        deadline = time.time() + 90
        pending = set(self.servers)
        last = {}
        while pending and time.time() < deadline:
            for name in list(pending):
                row = self.leg(f"hostile-{name}.test")
                last[name] = row
                if row is None:
                    continue
                state, attempts, error, rcpt_state = row
                if name == "trickle":
                    if rcpt_state == "delivered":
                        pending.discard(name)
                elif int(attempts) >= 2 and state == "queued" and rcpt_state == "pending" and error:
                    pending.discard(name)
            time.sleep(0.5)
        self.assertEqual(pending, set(), f"not in the expected state in time: {last}")
        for name, pattern in expect.items():
            with self.subTest(server=name):
                state, attempts, error, rcpt_state = self.leg(f"hostile-{name}.test")
                self.assertEqual((state, rcpt_state), ("queued", "pending"), "retried, never dropped")
                self.assertRegex(error.lower(), pattern)
                self.assertIn({"garbage": "127.0.0.22", "silent": "127.0.0.23", "drop": "127.0.0.25"}[name], error)
        got = self.servers["trickle"].messages
        self.assertEqual(len(got), 1, "the trickling server got the message once")
        self.assertIn(f"hostile trickle {self.tag}".encode(), got[0])
        self.assertIn(b"\r\n..line two\r\n", got[0], "dot-stuffed on the wire")
        self.assertGreaterEqual(self.servers["drop"].connections, 2)
        # The mta is still up and ready.
        self.assertEqual(env.http_get(env.H_MTA, "/readyz")[0], 200)

    def test_null_mx_bounces_at_once(self):
        rcpt = "someone@nullmx.test"
        tag = env.token()
        with env.smtp_submit(self.user, self.pw) as s:
            s.sendmail(self.user, [rcpt], env.make_message(self.user, rcpt, f"nullmx {tag}", "hello\r\n"))
        got = env.wait_for_messages(self.user, self.pw, lambda m: b"multipart/report" in m and f"nullmx {tag}".encode() in m)
        self.assertIn(b"Status: 5.1.10", got[0])
        self.assertIn(b"null MX", got[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
