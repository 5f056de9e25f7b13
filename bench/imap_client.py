# SPDX-License-Identifier: Apache-2.0
"""imap_client.py: the small asyncio IMAP and SMTP clients the IMAP benchmarks
(imap_load.py, imap_idle.py) drive servers with, standard library only.

What it does: one connection per Imap object (plain, or implicit TLS without
certificate checks: the benches talk to self-signed loopback servers), a tag
per command, LITERAL+ for APPEND, and a response reader that collects the
untagged lines (server literals read whole and kept inline) until the tagged
one. Smtp sends one message at a time (EHLO, MAIL, RCPT, DATA) and returns the
moment the 250 after the final dot was read.

What it trusts: the server under test to speak the protocol; every command's
reply has a deadline (the Imap timeout; only wait_line, for IDLE, has none),
every line a size bound (the StreamReader limit), and a server that breaks
either raises ImapError, which the benches count.
"""
import asyncio
import math
import re
import ssl
import time

LINE_LIMIT = 4 << 20  # a UID SEARCH ALL of a big mailbox is one long line
_LITERAL = re.compile(rb"\{(\d+)\}\r\n$")
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")


class ImapError(Exception):
    pass


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Response:
    """The tagged status (b"OK", b"NO", b"BAD"), its whole line, and the
    untagged lines before it (literals inline)."""

    __slots__ = ("status", "line", "untagged")

    def __init__(self, status, line, untagged):
        self.status, self.line, self.untagged = status, line, untagged

    @property
    def ok(self):
        return self.status == b"OK"

    def append_uid(self):
        m = _APPENDUID.search(self.line)
        return int(m.group(2)) if m else None

    def count(self, what, within=80):
        """How many untagged lines have `what` in their first `within` bytes."""
        return sum(1 for u in self.untagged if what in u[:within])


class Imap:
    def __init__(self, reader, writer, timeout):
        self.r, self.w, self.timeout = reader, writer, timeout
        self.n = 0
        self.greeting = b""

    @classmethod
    async def connect(cls, host, port, tls=None, timeout=30.0):
        """`tls`: an ssl.SSLContext for implicit TLS, or None."""
        r, w = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=tls, limit=LINE_LIMIT), timeout)
        c = cls(r, w, timeout)
        c.greeting = await c.read_line()
        if not c.greeting.startswith(b"* OK"):
            c.close()
            raise ImapError("greeting: %r" % c.greeting[:200])
        return c

    async def read_line(self):
        """One response line with any literals in it read whole, within the
        timeout."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self.wait_line()
        except TimeoutError:
            raise ImapError("no reply in %.0fs" % self.timeout) from None

    async def wait_line(self):
        """The next response line, however long it takes: for IDLE, where
        silence is the expected state (callers bound the wait, if at all)."""
        parts = []
        while True:
            try:
                line = await self.r.readuntil(b"\r\n")
            except asyncio.IncompleteReadError as e:
                raise ImapError("connection closed: %r" % e.partial[-200:]) from None
            except asyncio.LimitOverrunError:
                raise ImapError("line longer than %d" % LINE_LIMIT) from None
            parts.append(line)
            m = _LITERAL.search(line) if line.endswith(b"}\r\n") else None
            if not m:
                return b"".join(parts) if len(parts) > 1 else line
            try:
                parts.append(await self.r.readexactly(int(m.group(1))))
            except asyncio.IncompleteReadError:
                raise ImapError("literal cut short") from None

    def send(self, data):
        self.w.write(data)

    def next_tag(self):
        self.n += 1
        return b"a%d" % self.n

    async def response(self, tag):
        """The lines up to the tagged one; the timeout bounds them all (one
        timer a command: the driver's own cost is part of every figure)."""
        untagged = []
        prefix = tag + b" "
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    line = await self.wait_line()
                    if line.startswith(prefix):
                        return Response(line[len(prefix):].split(b" ", 1)[0], line, untagged)
                    untagged.append(line)
        except TimeoutError:
            raise ImapError("no tagged reply to %s in %.0fs" % (tag.decode(), self.timeout)) from None

    async def command(self, text, literal=None):
        """Sends `text` (bytes, no tag, no CRLF; with `literal`, sent as a
        LITERAL+ literal after it) and returns its Response."""
        tag = self.next_tag()
        if literal is None:
            self.w.write(b"%s %s\r\n" % (tag, text))
        else:
            self.w.write(b"%s %s {%d+}\r\n%s\r\n" % (tag, text, len(literal), literal))
        return await self.response(tag)

    async def login(self, user, password):
        r = await self.command(b"LOGIN " + quote(user) + b" " + quote(password))
        if not r.ok:
            raise ImapError("LOGIN %s: %r" % (user, r.line[:200]))

    async def idle(self):
        """Enters IDLE; returns the tag once the server's "+" came."""
        tag = self.next_tag()
        self.w.write(tag + b" IDLE\r\n")
        while True:
            line = await self.read_line()
            if line.startswith(b"+"):
                return tag
            if line.startswith(tag + b" "):
                raise ImapError("IDLE refused: %r" % line[:200])

    def close(self):
        try:
            self.w.close()
        except Exception:
            pass


def quote(s):
    if isinstance(s, str):
        s = s.encode()
    return b'"' + s.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


class Smtp:
    """One SMTP connection for sending test messages, one at a time."""

    def __init__(self, reader, writer, timeout):
        self.r, self.w, self.timeout = reader, writer, timeout

    @classmethod
    async def connect(cls, host, port, timeout=30.0, helo="bench.example.test"):
        r, w = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        s = cls(r, w, timeout)
        await s.reply(b"220")
        w.write(b"EHLO %s\r\n" % helo.encode())
        await s.reply(b"250")
        return s

    async def reply(self, want):
        while True:
            try:
                line = await asyncio.wait_for(self.r.readuntil(b"\r\n"), self.timeout)
            except (asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
                raise ImapError("smtp: %r" % e) from None
            if line[3:4] == b"-":
                continue
            if not line.startswith(want):
                raise ImapError("smtp: wanted %s, got %r" % (want.decode(), line[:200]))
            return line

    async def send(self, sender, rcpt, message):
        """Sends one message (CRLF lines); returns time.monotonic() at the
        moment the 250 after DATA was read."""
        self.w.write(b"MAIL FROM:<%s>\r\n" % sender.encode())
        await self.reply(b"250")
        self.w.write(b"RCPT TO:<%s>\r\n" % rcpt.encode())
        await self.reply(b"250")
        self.w.write(b"DATA\r\n")
        await self.reply(b"354")
        body = message.replace(b"\r\n.", b"\r\n..")
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.w.write(body + b".\r\n")
        await self.reply(b"250")
        return time.monotonic()

    async def quit(self):
        try:
            self.w.write(b"QUIT\r\n")
            await self.reply(b"221")
        except ImapError:
            pass
        self.w.close()


def add_connection_args(s):
    """The server and account options every bench driver takes."""
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--tls", action="store_true", help="implicit TLS (IMAPS port)")
    s.add_argument("--user", default="bench{i}@example.test", help="login name, {i} = account number")
    s.add_argument("--password", default="pw")
    s.add_argument("--first", type=int, default=1, help="first account number")


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    k = math.ceil(p / 100.0 * len(sorted_values)) - 1
    return sorted_values[max(0, min(len(sorted_values) - 1, k))]
