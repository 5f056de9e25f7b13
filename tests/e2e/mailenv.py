# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the end-to-end tests: where the running stack listens,
TLS contexts, fresh accounts through mailctl, a POP3 poller, and control of the
stack's services (start/stop/kill through scripts/lib/stack.sh).

Trusts: the environment that scripts/test exports (ports, run folder, build
folder); falls back to the test stack's defaults (every port + 20000).
Uses only the Python standard library and the external programs mailctl,
redis-cli and scripts/lib/stack.sh."""
import os
import poplib
import re
import secrets
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOST = "127.0.0.1"
DOMAIN = "example.test"
OFFSET = int(os.environ.get("MAIL_PORT_OFFSET", "20000"))
TIMEOUT = 15


def _port(name, base):
    return int(os.environ.get(name) or base + OFFSET)


P_SMTP = _port("P_SMTP", 2525)
P_SUBMIT = _port("P_SUBMIT", 2587)
P_SUBMITS = _port("P_SUBMITS", 2465)
P_POP3 = _port("P_POP3", 2110)
P_POP3S = _port("P_POP3S", 2995)
P_IMAP = _port("P_IMAP", 2143)
P_IMAPS = _port("P_IMAPS", 2993)
P_ADMIN = _port("P_ADMIN", 7001)
P_MTA = _port("P_MTA", 7002)
H_MSA = _port("H_MSA", 9101)
H_MDA = _port("H_MDA", 9102)
H_MTA = _port("H_MTA", 9103)
H_IMAP = _port("H_IMAP", 9104)
H_POP3 = _port("H_POP3", 9105)
H_ADMIN = _port("H_ADMIN", 9106)
P_REDIS = _port("P_REDIS", 6380)
HEALTH = {"msa": H_MSA, "mda": H_MDA, "mta": H_MTA, "pop3": H_POP3, "imap": H_IMAP, "admin": H_ADMIN}

BUILD = os.environ.get("MAIL_BUILD_DIR") or os.path.join(ROOT, "build")
RUN_DIR = os.environ.get("MAIL_RUN_DIR") or os.path.join(ROOT, ".run-test")
MAILCTL = os.path.join(BUILD, "services", "mailctl", "mailctl")
MAILCTL_SERVER = os.environ.get("MAILCTL_SERVER") or f"{HOST}:{P_ADMIN}"
MAILCTL_QUEUE_SERVER = os.environ.get("MAILCTL_QUEUE_SERVER") or f"{HOST}:{P_MTA}"


def tls_context():
    """A client context that accepts the stack's self-signed certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def token():
    return secrets.token_hex(8)


# ---------------------------------------------------------------- mailctl

def mailctl(*args, password=None, server=None, queue_server=None, timeout=60):
    """Runs mailctl; returns the CompletedProcess (text mode). `password`, when
    given, is written to a temporary file passed as --password-file. The
    queue commands (and account show) go to the test stack's mta unless
    `queue_server` says otherwise."""
    cmd = [MAILCTL, "--server", server or MAILCTL_SERVER, "--queue-server", queue_server or MAILCTL_QUEUE_SERVER, *args]
    pwfile = None
    try:
        if password is not None:
            fd, pwfile = tempfile.mkstemp(prefix="e2e-pw-")
            with os.fdopen(fd, "w") as f:
                f.write(password)
            cmd += ["--password-file", pwfile]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    finally:
        if pwfile:
            os.unlink(pwfile)


def mailctl_ok(*args, **kw):
    r = mailctl(*args, **kw)
    if r.returncode != 0:
        raise AssertionError(f"mailctl {' '.join(args)} exited {r.returncode}: "
                             f"stdout={r.stdout.strip()!r} stderr={r.stderr.strip()!r}")
    return r


_domain_checked = False


def ensure_domain(domain=DOMAIN):
    global _domain_checked
    if _domain_checked and domain == DOMAIN:
        return
    r = mailctl("domain", "list")
    if r.returncode != 0 or not re.search(rf"(?m)\b{re.escape(domain)}\b", r.stdout):
        mailctl("domain", "add", domain)  # a concurrent test may have added it: ignore "exists"
        mailctl_ok("domain", "list")
    if domain == DOMAIN:
        _domain_checked = True


def new_account(quota="1G", prefix="e2e"):
    """Creates a fresh random account in example.test; returns (address, password)."""
    ensure_domain()
    addr = f"{prefix}-{token()}@{DOMAIN}"
    pw = "pw-" + secrets.token_urlsafe(12)
    args = ["account", "add", addr]
    if quota is not None:
        args += ["--quota", quota]
    mailctl_ok(*args, password=pw)
    return addr, pw


# ---------------------------------------------------------------- messages

def make_message(frm, to, subject, body, extra_headers=(), date=True, message_id=True):
    """A CRLF message. `body` is bytes (sent as is) or str (UTF-8)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    h = [f"From: <{frm}>", f"To: <{to}>", f"Subject: {subject}"]
    if date:
        h.append("Date: Mon, 06 Jan 2025 10:00:00 +0000")
    if message_id:
        h.append(f"Message-ID: <{token()}@client.example>")
    h += list(extra_headers)
    return ("\r\n".join(h) + "\r\n\r\n").encode("utf-8") + body


def split_message(msg):
    """(list of (lowercase name, unfolded value), body bytes)."""
    head, sep, body = msg.partition(b"\r\n\r\n")
    if not sep:
        head, body = msg, b""
    fields = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b" " + line.strip())
        elif b":" in line:
            name, value = line.split(b":", 1)
            fields.append((name.strip().lower().decode("latin-1"), value.strip()))
    return fields, body


def header_values(msg, name):
    return [v for n, v in split_message(msg)[0] if n == name.lower()]


# ---------------------------------------------------------------- SMTP

def smtp_submit(user, pw, port=None, implicit=False):
    """An authenticated submission session (587 STARTTLS, or 465 implicit TLS)."""
    if implicit:
        s = smtplib.SMTP_SSL(HOST, port or P_SUBMITS, timeout=TIMEOUT, context=tls_context())
        s.ehlo("client.example")
    else:
        s = smtplib.SMTP(HOST, port or P_SUBMIT, timeout=TIMEOUT)
        s.ehlo("client.example")
        s.starttls(context=tls_context())
        s.ehlo("client.example")
    try:
        s.login(user, pw)
    except Exception:
        s.close()
        raise
    return s


def mx_send(frm, rcpts, msg):
    """Sends over the MX port; returns the sendmail result (refused recipients)."""
    with smtplib.SMTP(HOST, P_SMTP, timeout=TIMEOUT) as s:
        s.ehlo("outside.example")
        return s.sendmail(frm, rcpts, msg)


# ---------------------------------------------------------------- POP3

def pop3_login(user, pw, implicit=False, retry_in_use=10.0):
    """A logged-in POP3 session (STLS on 110-equivalent, or POP3S).
    Retries for a while when the maildrop is still locked by a session that just ended."""
    deadline = time.time() + retry_in_use
    while True:
        if implicit:
            p = poplib.POP3_SSL(HOST, P_POP3S, timeout=TIMEOUT, context=tls_context())
        else:
            p = poplib.POP3(HOST, P_POP3, timeout=TIMEOUT)
            p.stls(context=tls_context())
        try:
            p.user(user)
            p.pass_(pw)
            return p
        except poplib.error_proto as e:
            close_quietly(p)
            if "IN-USE" in str(e) and time.time() < deadline:
                time.sleep(0.3)
                continue
            raise


def close_quietly(p):
    try:
        p.close()
    except Exception:
        pass


def subject_token_counts(user, pw, token_re):
    """(messages in the maildrop, {token: count}) for the tokens `token_re`
    finds in Subject lines, read with TOP n 0 (the bodies stay on the server)."""
    p = pop3_login(user, pw)
    try:
        counts = {}
        n, _ = p.stat()
        for i in range(1, n + 1):
            head = b"\n".join(p.top(i, 0)[1])
            for subject in re.findall(rb"(?mi)^subject:.*$", head):
                for tok in token_re.findall(subject):
                    counts[tok.decode()] = counts.get(tok.decode(), 0) + 1
        return n, counts
    finally:
        try:
            p.quit()
        except Exception:
            close_quietly(p)


def retr_bytes(p, i):
    """RETR i as the message bytes (CRLF line ends, dot-stuffing removed by poplib)."""
    _, lines, _ = p.retr(i)
    return b"".join(line + b"\r\n" for line in lines)


def fetch_all(user, pw, implicit=False):
    """Every message in the maildrop as bytes, in maildrop order."""
    p = pop3_login(user, pw, implicit=implicit)
    try:
        n, _ = p.stat()
        return [retr_bytes(p, i) for i in range(1, n + 1)]
    finally:
        try:
            p.quit()
        except Exception:
            close_quietly(p)


def wait_for_messages(user, pw, predicate=lambda m: True, timeout=30, count=1, implicit=False):
    """Polls the maildrop until at least `count` messages satisfy `predicate`
    (a function of the message bytes); returns those messages. On timeout raises
    AssertionError naming what the maildrop held."""
    deadline = time.time() + timeout
    last = []
    err = None
    while True:
        try:
            last = fetch_all(user, pw, implicit=implicit)
            err = None
        except (OSError, poplib.error_proto) as e:
            err = e
        hits = [m for m in last if predicate(m)]
        if len(hits) >= count:
            return hits
        if time.time() >= deadline:
            subjects = [header_values(m, "subject") for m in last]
            raise AssertionError(f"{user}: {len(hits)}/{count} wanted messages after {timeout}s; "
                                 f"maildrop holds {len(last)} (subjects {subjects[:10]!r})"
                                 + (f"; last POP3 error {err!r}" if err else ""))
        time.sleep(0.5)


def subject_is(tag):
    needle = tag.encode()
    return lambda m: any(needle in v for v in header_values(m, "subject"))


# ---------------------------------------------------------------- raw sockets

class RawClient:
    """A line-oriented client over a plain socket, for what smtplib will not send."""

    def __init__(self, port, timeout=TIMEOUT):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed; unread {self.buf!r}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        """One (possibly multi-line) SMTP reply: (code, text of all lines)."""
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if len(line) < 4 or line[3:4] != b"-":
                break
        return int(lines[-1][:3]), b"\n".join(lines)

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.reply()

    def pending(self, wait=0.5):
        """Bytes that arrive within `wait` seconds without us asking (b"" if none)."""
        self.sock.settimeout(wait)
        try:
            data = self.buf + self.sock.recv(65536)
        except (socket.timeout, ssl.SSLError, TimeoutError):
            data = self.buf
        finally:
            self.sock.settimeout(TIMEOUT)
        self.buf = b""
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------- stack control

def stack(cmd, service, timeout=120):
    """scripts/lib/stack.sh {start|stop|kill|restart} SERVICE; returns the CompletedProcess."""
    env = dict(os.environ)
    env.setdefault("MAIL_RUN_DIR", RUN_DIR)
    env.setdefault("MAIL_PORT_OFFSET", str(OFFSET))
    env.setdefault("MAIL_BUILD_DIR", BUILD)
    r = subprocess.run([os.path.join(ROOT, "scripts", "lib", "stack.sh"), cmd, service],
                       env=env, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError(f"stack.sh {cmd} {service} exited {r.returncode}: {r.stdout}{r.stderr}")
    return r


def redis_flushall():
    r = subprocess.run(["redis-cli", "-h", HOST, "-p", str(P_REDIS), "FLUSHALL"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0 or "OK" not in r.stdout:
        raise AssertionError(f"redis FLUSHALL failed: {r.stdout}{r.stderr}")


def http_get(port, path, timeout=5):
    """(status, content-type, body text) of http://127.0.0.1:port/path."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8", "replace")


def metric_value(text, name):
    """Sum of the samples of metric `name` (any labels) in Prometheus text, or None."""
    total, seen = 0.0, False
    for m in re.finditer(rf"(?m)^{re.escape(name)}(?:\{{[^}}]*\}})? ([^ \n]+)", text):
        total += float(m.group(1))
        seen = True
    return total if seen else None
