# SPDX-License-Identifier: Apache-2.0
"""SIGTERM of a real process (runs alone: it stops services). The msa, asked to
stop in the middle of a DATA, finishes that transaction (250, the message is
delivered) and then says its goodbye (421 4.3.2); the pop3 service, asked to
stop with DELEs pending at the prompt, says goodbye and deletes nothing. Each
process exits by itself within 8 s, before the stack's own 10 s SIGKILL
fallback would apply; then it is started again for later tests."""
import os
import signal
import socket
import time
import unittest

import mailenv as env

OUTSIDE = "someone@elsewhere.invalid"


def pid_of(svc):
    with open(os.path.join(env.RUN_DIR, "pid", f"{svc}.pid")) as f:
        return int(f.read().strip())


def gone(pid, timeout):
    """True when the process `pid` has ended within `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie child of the stack script counts as ended.
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


class Lines:
    """A raw SMTP client: one reply line at a time, no library in between."""

    def __init__(self, port):
        self.sock = socket.create_connection((env.HOST, port), timeout=env.TIMEOUT)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        """One whole reply (the last line of a multi-line one), or "" at close."""
        while True:
            while b"\r\n" in self.buf:
                line, self.buf = self.buf.split(b"\r\n", 1)
                if line[3:4] != b"-":
                    return line.decode()
            chunk = self.sock.recv(4096)
            if not chunk:
                return ""
            self.buf += chunk

    def close(self):
        self.sock.close()


class Sigterm(unittest.TestCase):
    def tearDown(self):
        for svc in ("msa", "pop3"):
            try:
                env.stack("start", svc)  # a no-op when it runs
            except Exception as e:  # reported, not hidden
                print(f"could not restart {svc}: {e}")

    def test_msa_finishes_the_transaction_then_says_goodbye(self):
        user, pw = env.new_account()
        tag = f"sigterm {env.token()}"
        c = Lines(env.P_SMTP)
        self.assertTrue(c.reply().startswith("220"))
        for cmd, code in ((b"EHLO outside.example", "250"), (f"MAIL FROM:<{OUTSIDE}>".encode(), "250"),
                          (f"RCPT TO:<{user}>".encode(), "250"), (b"DATA", "354")):
            c.send(cmd + b"\r\n")
            self.assertTrue(c.reply().startswith(code), cmd)
        msg = env.make_message(OUTSIDE, user, tag, "first half\r\n")
        c.send(msg)  # the body, not yet its end
        pid = pid_of("msa")
        os.kill(pid, signal.SIGTERM)
        time.sleep(0.5)  # the drain has begun; this transaction must still be let through
        with self.assertRaises(OSError):  # the listener is closed at once: no new sessions
            socket.create_connection((env.HOST, env.P_SMTP), timeout=2).close()
        c.send(b"second half\r\n.\r\n")
        self.assertTrue(c.reply().startswith("250 2.0.0"), "the transaction in progress completes")
        self.assertTrue(c.reply().startswith("421 4.3.2"), "then the drain goodbye")
        self.assertEqual(c.reply(), "", "and the connection closes")
        c.close()
        self.assertTrue(gone(pid, 8), "the msa exits by itself after its sessions")
        env.stack("start", "msa")
        got = env.wait_for_messages(user, pw, env.subject_is(tag))
        self.assertTrue(any(b"first half\r\nsecond half\r\n" in m for m in got), "delivered whole")

    def test_pop3_at_the_prompt_says_goodbye_and_deletes_nothing(self):
        user, pw = env.new_account()
        for i in range(2):
            env.mx_send(OUTSIDE, [user], env.make_message(OUTSIDE, user, f"keep {i} {env.token()}", "x\r\n"))
        env.wait_for_messages(user, pw, count=2)
        p = env.pop3_login(user, pw)
        before = p.uidl()[1]
        p.dele(1)
        p.dele(2)
        pid = pid_of("pop3")
        os.kill(pid, signal.SIGTERM)
        goodbye = p.file.readline()  # unsolicited: the drain goodbye at the prompt
        self.assertTrue(goodbye.startswith(b"-ERR"), goodbye)
        self.assertEqual(p.file.readline(), b"", "then the connection closes")
        env.close_quietly(p)
        self.assertTrue(gone(pid, 8), "pop3 exits by itself")
        env.stack("start", "pop3")
        p = env.pop3_login(user, pw)
        after = p.uidl()[1]
        p.quit()
        self.assertEqual(before, after, "the DELEs were not applied")


if __name__ == "__main__":
    unittest.main()
