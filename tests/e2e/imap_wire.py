# SPDX-License-Identifier: Apache-2.0
"""A reader for the data of IMAP FETCH responses as imaplib hands them over,
for the end-to-end tests that check what mail-imap sends against what other
software (Python's email package, curl, mbsync) says.

imaplib splits a response at its literals: FETCH data is a list of tuples
(text up to and including "{n}", the n octets) and plain bytes for what
follows the last literal. rejoin() puts the wire form back together; parse()
reads one parenthesised value of RFC 3501's grammar (atoms, NIL, quoted
strings with their escapes, literals, lists) into nested Python lists, with
strings as bytes and NIL as None, and raises ValueError on anything
malformed; fetch_items() turns "n (NAME value NAME value ...)" into a dict.

Trusts nothing it is given: every length is checked against the buffer."""
import re


def rejoin(data):
    """The wire bytes of imaplib's FETCH data (one or more responses)."""
    out = b""
    for item in data:
        if isinstance(item, tuple):
            head, literal = item
            if not re.search(rb"\{\d+\}$", head):
                raise ValueError(f"a literal without its {{n}}: {head[-40:]!r}")
            out += head + b"\r\n" + literal
        elif item is not None:
            out += item
    return out


_ATOM_END = re.compile(rb"[\s()\"{]")


class Reader:
    def __init__(self, buf):
        self.buf = buf
        self.pos = 0

    def skip_space(self):
        while self.pos < len(self.buf) and self.buf[self.pos:self.pos + 1] in (b" ", b"\r", b"\n"):
            self.pos += 1

    def value(self):
        self.skip_space()
        if self.pos >= len(self.buf):
            raise ValueError("truncated")
        c = self.buf[self.pos:self.pos + 1]
        if c == b"(":
            self.pos += 1
            out = []
            while True:
                self.skip_space()
                if self.pos >= len(self.buf):
                    raise ValueError("unbalanced (")
                if self.buf[self.pos:self.pos + 1] == b")":
                    self.pos += 1
                    return out
                out.append(self.value())
        if c == b")":
            raise ValueError(f"unexpected ) at {self.pos}")
        if c == b'"':
            self.pos += 1
            out = bytearray()
            while True:
                if self.pos >= len(self.buf):
                    raise ValueError("unterminated quoted string")
                ch = self.buf[self.pos]
                if ch == 0x5C:  # backslash: only \" and \\ are allowed (RFC 3501 quoted-specials)
                    nxt = self.buf[self.pos + 1:self.pos + 2]
                    if nxt not in (b'"', b"\\"):
                        raise ValueError(f"bad escape \\{nxt!r} in a quoted string")
                    out += nxt
                    self.pos += 2
                    continue
                if ch in (0x0D, 0x0A):
                    raise ValueError("CR or LF in a quoted string")
                self.pos += 1
                if ch == 0x22:
                    return bytes(out)
                out.append(ch)
        if c == b"{":
            m = re.compile(rb"\{(\d+)\}\r\n").match(self.buf, self.pos)
            if not m:
                raise ValueError(f"bad literal at {self.pos}: {self.buf[self.pos:self.pos + 20]!r}")
            n = int(m.group(1))
            start = m.end()
            if start + n > len(self.buf):
                raise ValueError(f"literal of {n} octets runs past the data")
            self.pos = start + n
            return self.buf[start:start + n]
        # An atom; BODY[...] and BODY[...]<n> keep their brackets (no spaces inside
        # for the sections the tests ask for).
        m = _ATOM_END.search(self.buf, self.pos)
        end = m.start() if m else len(self.buf)
        if end == self.pos:
            raise ValueError(f"unexpected {c!r} at {self.pos}")
        atom = self.buf[self.pos:end]
        self.pos = end
        return None if atom.upper() == b"NIL" else atom


def parse(buf):
    """One value that must fill the whole buffer."""
    r = Reader(buf)
    v = r.value()
    r.skip_space()
    if r.pos != len(buf):
        raise ValueError(f"trailing data {buf[r.pos:r.pos + 40]!r}")
    return v


def fetch_items(data):
    """{"UID": b"5", "BODY[]": b"...", "ENVELOPE": [...], ...} of one FETCH response
    ("n (...)") given as imaplib's data or as wire bytes."""
    buf = data if isinstance(data, bytes) else rejoin(data)
    m = re.match(rb"\d+ ", buf)
    if not m:
        raise ValueError(f"not a FETCH response: {buf[:40]!r}")
    r = Reader(buf)
    r.pos = m.end()
    items = r.value()
    r.skip_space()
    if r.pos != len(buf):
        raise ValueError(f"trailing data after the FETCH response: {buf[r.pos:r.pos + 40]!r}")
    if not isinstance(items, list) or len(items) % 2:
        raise ValueError(f"FETCH items are not name/value pairs: {items!r}")
    out = {}
    for name, value in zip(items[::2], items[1::2]):
        if not isinstance(name, bytes):
            raise ValueError(f"FETCH item name {name!r}")
        out[name.decode().upper()] = value
    return out
