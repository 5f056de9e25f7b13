# SPDX-License-Identifier: Apache-2.0
"""Every file of the shared real-world corpus (shared/corpus/mail-gem, or
$MAIL_CORPUS_DIR/mail-gem; the files libs/mime/test/corpus_files.h reads,
broken messages, the LICENSE text and an empty file included), line ends
normalised to CRLF and a final CRLF added as corpus_files.h does, goes into
mail-imap twice: by IMAP APPEND into one account and by SMTP over the MX
port into another. Both come back with UID FETCH (UID RFC822.SIZE
BODY.PEEK[] ENVELOPE BODYSTRUCTURE):

- APPEND: BODY.PEEK[] is the normalised file byte for byte; the empty file
  is refused with NO (RFC 3501 §6.3.11 wants a message).
- SMTP: after the trace fields the delivery puts on top (Return-Path,
  Delivered-To from the mda, Received from the msa, in that order), the
  normalised file with the changes an MTA makes and only those: a
  Return-Path the message carried is removed (RFC 5321 §4.4: the final
  delivery writes its own), and where the header section ends at a line
  that is no field (an mbox "From " line, text without a colon) a blank line
  goes in front of it, so that the rest is body (as Postfix's cleanup does).
- RFC822.SIZE is the length of BODY[]; ENVELOPE and BODYSTRUCTURE parse as
  RFC 3501 §7.4.2 and §9 define them; every part's body-fld-octets and
  body-fld-lines are those of the server's own BODY[section] of it; and they
  agree with Python's email package on the octets: Date, Subject and
  Message-ID (unfolded), From/To/Cc addresses where Python reads them
  cleanly, the MIME tree's types, subtypes and number of parts, and the
  octets and lines of every leaf. A multipart in which Python finds no
  delimiter must be one text/plain part of its whole body (RFC 3501 wants
  at least one part). The broken messages that the two read differently
  are listed in KNOWN with the reason; any other difference fails.
  APPEND's and SMTP's copies have the same BODYSTRUCTURE whenever the
  delivery left the message as it was below the trace fields.

Uses /usr/bin/python3's standard library only (imaplib, smtplib, email)."""
import collections
import email
import email.policy
import email.utils
import imaplib
import os
import re
import smtplib
import time
import unittest

import imap_wire
import mailenv as env

CORPUS = os.path.join(os.environ.get("MAIL_CORPUS_DIR")
                      or os.path.join(env.ROOT, "..", "shared", "corpus"), "mail-gem")
TRACE = ("return-path", "delivered-to", "received")
SENDER = "corpus@elsewhere.invalid"
# Broken messages that the server and Python's email package read differently,
# and why; the test fails on any other difference, and on an entry here that
# no longer differs. What the server sends is checked against its own
# BODY[section] octets either way.
KNOWN = {
    # Not a message: its first line is no field. IMAP's header is everything
    # up to the first empty line (BODY[HEADER]), and so is the server's;
    # Python's parser starts the body at the first line that is no field.
    "LICENSE": "no header",
    # "quite Delivered-To: ..." in the middle of the header: the same
    # difference (by SMTP the msa puts a blank line there, and both agree).
    "plain_emails/raw_email_incorrect_header.eml": "a line that is no field inside the header",
    # RFC 5322 A.6.3 with WSP before the colons (obs-optional, RFC 5322
    # §4.5.1), which the server reads and Python's parser does not; its To
    # has a line "__" where the RFC has white space, and the server's
    # ENVELOPE To is then (NIL NIL "MarySmith" "").
    "rfc2822/example13.eml": "obsolete syntax",
    # "From: Big Bug bb@bug.com" is no RFC 5322 address: the server joins the
    # words (mailbox "BigBugbb"), Python keeps the spaces ("Big Bug bb").
    "plain_emails/mix_caps_content_type.eml": "no address",
    # The outer multipart ends with "--boundary-", no close delimiter: its
    # last part runs to the end of the message, final CRLF included (the
    # server: 47 octets, as BODY[3]); Python drops that CRLF as if a
    # delimiter followed.
    "mime_emails/raw_email4.eml": "no close delimiter",
}


def corpus_files():
    out = []
    for root, _, files in os.walk(CORPUS):
        for f in files:
            out.append(os.path.join(root, f))
    return sorted(out)


def to_crlf(raw):
    """common::to_crlf (CR, LF and CRLF each become CRLF) and a final CRLF (corpus_files.h)."""
    out = re.sub(rb"\r\n|\r|\n", b"\r\n", raw)
    return out if not out or out.endswith(b"\r\n") else out + b"\r\n"


def rel(path):
    return os.path.relpath(path, CORPUS)


_FIELD = re.compile(rb"[!-9;-~]+[ \t]*:")  # a name of printable ASCII but ':' (RFC 5322 ftext), obs WSP


def after_smtp(msg):
    """What an MTA is to deliver of `msg` below its trace fields: Return-Path
    fields gone, and a blank line before a header line that is no field."""
    lines = msg.split(b"\r\n")[:-1]  # msg ends in CRLF
    out, in_field, skipping, i = [], False, False, 0
    while i < len(lines):
        line = lines[i]
        if line == b"":
            break  # the header's end: the rest is body, unchanged
        if line[:1] in (b" ", b"\t") and in_field:
            if not skipping:
                out.append(line)
            i += 1
            continue
        if not _FIELD.match(line):
            out.append(b"")  # no field and no continuation: the body starts here
            break
        in_field = True
        skipping = line.split(b":", 1)[0].strip().lower() == b"return-path"
        if not skipping:
            out.append(line)
        i += 1
    rest = lines[i:]
    return b"".join(x + b"\r\n" for x in out + rest)


def split_trace(got):
    """(names of the fields above the message proper, the rest). The trace is
    Return-Path, Delivered-To, Received, each as one line or folded."""
    names, pos = [], 0
    for want in TRACE:
        m = re.compile(rb"(?i)" + want.encode() + rb":[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*").match(got, pos)
        if not m:
            break
        names.append(want)
        pos = m.end()
    return names, got[pos:]


# ---------------------------------------------------------------- Python's reading

def raw_fields(msg):
    """[(lowercase name, value bytes unfolded and stripped)] as email.parser read them."""
    out = []
    for name, value in msg.raw_items():
        v = value.encode("ascii", "surrogateescape") if isinstance(value, str) else bytes(str(value), "utf-8")
        out.append((name.lower(), re.sub(rb"\r?\n(?=[ \t])", b"", v).strip(b" \t\r\n")))
    return out


def first(msg, name):
    for n, v in raw_fields(msg):
        if n == name:
            return v
    return None


def py_addresses(msg, name):
    """[(mailbox, host)] lowercased, or None when Python reads the field with trouble."""
    value = first(msg, name)
    if value is None:
        return []
    text = value.decode("ascii", "replace")
    if "\ufffd" in text or "=?" in text or ":" in text or "(" in text or '"' in text:
        return None  # encoded words, groups, comments, quoting: too many readings to compare
    out = []
    for _, addr in email.utils.getaddresses([text]):
        if addr.count("@") != 1:
            return None
        box, host = addr.split("@")
        out.append((box.lower(), host.lower()))
    return out


def body_bytes(part):
    """The part's body octets as parsed. get_payload() would decode 8-bit
    text by its charset, so read the raw payload (bytes the parser kept as
    surrogate escapes); None when Python split the body into messages."""
    payload = part._payload
    if isinstance(payload, list):
        return None
    return payload.encode("ascii", "surrogateescape")


def py_tree(part):
    ctype = part.get_content_type()
    maintype, subtype = ctype.split("/", 1)
    if maintype == "multipart":
        # None: Python found no parts (no boundary, or none of its delimiters), see part.defects.
        parts = [py_tree(p) for p in part.get_payload()] if part.is_multipart() else None
        return {"type": "multipart", "subtype": subtype, "parts": parts, "body": body_bytes(part),
                "defects": [type(d).__name__ for d in part.defects]}
    node = {"type": maintype, "subtype": subtype, "body": body_bytes(part)}
    if ctype == "message/rfc822" and part.is_multipart():
        node["message"] = py_tree(part.get_payload(0))
    return node


def lines_of(body):
    # RFC 3501 body-fld-lines: lines of the body; a last line without CRLF counts too.
    return body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)


# ---------------------------------------------------------------- the server's reading

def imap_tree(bs):
    """BODYSTRUCTURE (nested lists) as a dict like py_tree's, checking its grammar."""
    if not isinstance(bs, list) or not bs:
        raise ValueError(f"body is not a list: {bs!r}")
    if isinstance(bs[0], list):  # body-type-mpart: 1*body SP media-subtype [SP body-ext-mpart]
        parts = []
        i = 0
        while i < len(bs) and isinstance(bs[i], list):
            parts.append(imap_tree(bs[i]))
            i += 1
        if i >= len(bs) or not isinstance(bs[i], bytes):
            raise ValueError("multipart without a subtype")
        ext = bs[i + 1:]
        if ext and not (ext[0] is None or isinstance(ext[0], list)):
            raise ValueError(f"multipart body-fld-param {ext[0]!r}")
        return {"type": "multipart", "subtype": bs[i].decode().lower(), "parts": parts}
    if len(bs) < 7:
        raise ValueError(f"body-type-1part with {len(bs)} fields")
    typ, sub, params, cid, desc, enc, octets = bs[:7]
    for v in (typ, sub, enc, octets):
        if not isinstance(v, bytes):
            raise ValueError(f"body-fields: {bs[:7]!r}")
    if not (params is None or isinstance(params, list)) or len(params or []) % 2:
        raise ValueError(f"body-fld-param {params!r}")
    node = {"type": typ.decode().lower(), "subtype": sub.decode().lower(), "octets": int(octets)}
    rest = bs[7:]
    if node["type"] == "message" and node["subtype"] == "rfc822":
        if len(rest) < 3 or not isinstance(rest[0], list) or len(rest[0]) != 10:
            raise ValueError(f"message/rfc822 without envelope, body and lines: {rest!r}")
        node["message"] = imap_tree(rest[1])
        node["lines"] = int(rest[2])
    elif node["type"] == "text":
        if not rest or not isinstance(rest[0], bytes):
            raise ValueError("text part without body-fld-lines")
        node["lines"] = int(rest[0])
    return node


def sections(tree, prefix=""):
    """[(section, node)] of every part that is no multipart: the body of a
    message that is no multipart is its part 1 (RFC 3501 §6.4.5); a
    message/rfc822 part is one, and its message's parts follow."""
    if tree["type"] == "multipart":
        out = []
        for i, part in enumerate(tree["parts"], 1):
            out += sections(part, f"{prefix}{i}.")
        return out
    here = prefix[:-1] if prefix else "1"
    out = [(here, tree)]
    if "message" in tree:
        inner = tree["message"]
        out += sections(inner, f"{here}.") if inner["type"] == "multipart" else [(f"{here}.1", inner)]
    return out


def check_envelope(env_list):
    if not isinstance(env_list, list) or len(env_list) != 10:
        raise ValueError(f"ENVELOPE has {len(env_list) if isinstance(env_list, list) else env_list!r} fields")
    for i in (2, 3, 4, 5, 6, 7):
        v = env_list[i]
        if v is None:
            continue
        if not isinstance(v, list):
            raise ValueError(f"envelope address list {i}: {v!r}")
        for a in v:
            if not isinstance(a, list) or len(a) != 4:
                raise ValueError(f"address {a!r}")
    return env_list


def imap_addresses(lst):
    out = []
    for name, adl, box, host in lst or []:
        if box is not None and host is not None:
            out.append((box.decode("latin-1").lower(), host.decode("latin-1").lower()))
    return out


class Corpus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = corpus_files()
        assert len(cls.files) >= 100, f"corpus at {CORPUS} looks incomplete: {len(cls.files)} files"
        cls.msgs = {}
        for f in cls.files:
            with open(f, "rb") as fh:
                cls.msgs[f] = to_crlf(fh.read())

    def login(self, user, pw):
        c = imaplib.IMAP4_SSL(env.HOST, env.P_IMAPS, timeout=60, ssl_context=env.tls_context())
        c.login(user, pw)
        return c

    def fetch_all(self, c, want):
        """[(uid, items)] of every message in INBOX, read one at a time."""
        typ, data = c.select("INBOX", readonly=True)
        self.assertEqual(typ, "OK", data)
        self.assertEqual(int(data[0]), want, "messages in INBOX")
        typ, data = c.uid("FETCH", "1:*", "(UID)")
        self.assertEqual(typ, "OK", data)
        uids = [int(re.search(rb"UID (\d+)", d).group(1)) for d in data if d]
        out = []
        for uid in uids:
            typ, data = c.uid("FETCH", str(uid), "(UID RFC822.SIZE BODY.PEEK[] ENVELOPE BODYSTRUCTURE)")
            self.assertEqual(typ, "OK", data)
            try:
                items = imap_wire.fetch_items(data)
            except ValueError as e:
                self.fail(f"UID {uid}: the FETCH response does not parse ({e}): {imap_wire.rejoin(data)[:600]!r}")
            try:
                tree = imap_tree(items["BODYSTRUCTURE"])
            except ValueError as e:
                self.fail(f"UID {uid}: BODYSTRUCTURE not as RFC 3501 §9 defines it: {e}")
            paths = [p for p, _ in sections(tree)]
            typ, data = c.uid("FETCH", str(uid), "(" + " ".join(f"BODY.PEEK[{p}]" for p in paths) + ")")
            self.assertEqual(typ, "OK", data)
            got = imap_wire.fetch_items(data)
            items["SECTIONS"] = {p: got[f"BODY[{p}]"] for p in paths}
            out.append((uid, items))
        return out

    def check_structure(self, name, items, problems):
        """ENVELOPE and BODYSTRUCTURE against Python's email package; appends
        what differs to `problems`. Returns the parsed BODYSTRUCTURE tree."""
        body = items["BODY[]"]
        self.assertEqual(int(items["RFC822.SIZE"]), len(body), f"{name}: RFC822.SIZE is the size of BODY[]")
        try:
            envelope = check_envelope(items["ENVELOPE"])
            tree = imap_tree(items["BODYSTRUCTURE"])
        except ValueError as e:
            self.fail(f"{name}: ENVELOPE/BODYSTRUCTURE not as RFC 3501 §9 defines them: {e}")
        py = email.message_from_bytes(body, policy=email.policy.compat32)
        for i, field in ((0, "date"), (1, "subject"), (9, "message-id")):
            want = first(py, field)
            if envelope[i] != want:
                problems.append(f"{name}: ENVELOPE {field} {envelope[i]!r}, Python {want!r}")
        for i, field in ((2, "from"), (5, "to"), (6, "cc")):
            want = py_addresses(py, field)
            if want is not None and imap_addresses(envelope[i]) != want:
                problems.append(f"{name}: ENVELOPE {field} {imap_addresses(envelope[i])!r}, Python {want!r}")
        self.compare_tree(name, "", tree, py_tree(py), problems)
        for path, node in sections(tree):
            octets = items["SECTIONS"][path] or b""  # NIL: a part with no octets
            self.assertEqual(node["octets"], len(octets),
                             f"{name}: BODYSTRUCTURE's size of part {path} is the size of BODY[{path}]")
            if "lines" in node:
                self.assertEqual(node["lines"], lines_of(octets), f"{name}: lines of part {path}")
        return tree

    def compare_tree(self, name, where, got, want, problems):
        label = f"{name} part {where or 'TEXT'}"
        if (got["type"], got["subtype"]) != (want["type"], want["subtype"]):
            problems.append(f"{label}: {got['type']}/{got['subtype']}, Python {want['type']}/{want['subtype']}")
            return
        if got["type"] == "multipart":
            if want["parts"] is None:
                # No delimiter line in the body, so Python has no parts; RFC 3501's
                # body-type-mpart needs at least one: the whole body as one
                # text/plain part (what a multipart's default type is, RFC 2046 5.1.1).
                body = want["body"]
                only = got["parts"][0] if len(got["parts"]) == 1 else {}
                if (only.get("type"), only.get("subtype"), only.get("octets"), only.get("lines")) != \
                        ("text", "plain", len(body), lines_of(body)):
                    problems.append(f"{label}: no delimiter ({want['defects']}), yet not one text/plain part "
                                    f"of the whole body ({len(body)} octets): {got['parts']!r}")
                return
            if len(got["parts"]) != len(want["parts"]):
                problems.append(f"{label}: {len(got['parts'])} parts, Python {len(want['parts'])}")
                return
            for i, (g, w) in enumerate(zip(got["parts"], want["parts"]), 1):
                self.compare_tree(name, f"{where}.{i}".lstrip("."), g, w, problems)
            return
        if "message" in got and "message" in want:
            self.compare_tree(name, f"{where}.1".lstrip("."), got["message"], want["message"], problems)
        if want["body"] is None:
            return  # Python split it into a list (message/delivery-status...): no octets to compare
        if got["octets"] != len(want["body"]):
            problems.append(f"{label}: {got['octets']} octets, Python {len(want['body'])}")
        if "lines" in got and got["lines"] != lines_of(want["body"]):
            problems.append(f"{label}: {got['lines']} lines, Python {lines_of(want['body'])}")

    def test_append_and_smtp_round_trip(self):
        appender, apw = env.new_account(quota="2G", prefix="corpus-append")
        receiver, rpw = env.new_account(quota="2G", prefix="corpus-smtp")

        # In by APPEND, one file at a time.
        c = self.login(appender, apw)
        appended = {}
        try:
            for f in self.files:
                msg = self.msgs[f]
                typ, data = c.append("INBOX", None, None, msg)
                if not msg:
                    self.assertEqual(typ, "NO", f"{rel(f)}: an empty APPEND is refused ({data})")
                    continue
                self.assertEqual(typ, "OK", f"{rel(f)}: APPEND {data}")
                m = re.search(rb"APPENDUID \d+ (\d+)", data[0])
                self.assertTrue(m, f"{rel(f)}: APPENDUID in {data}")
                appended[int(m.group(1))] = f
        finally:
            c.logout()

        # In by SMTP over the MX port: one session, one transaction per file.
        sent = collections.Counter()
        with smtplib.SMTP(env.HOST, env.P_SMTP, timeout=60) as s:
            s.ehlo("outside.example")
            for f in self.files:
                msg = self.msgs[f]
                if not msg:
                    continue  # smtplib would make it "\r\n": not the file any more
                refused = s.sendmail(SENDER, [receiver], msg, mail_options=["BODY=8BITMIME"])
                self.assertEqual(refused, {}, rel(f))
                sent[after_smtp(msg)] += 1
        n_smtp = sum(sent.values())
        deadline = time.time() + 120
        c = self.login(receiver, rpw)
        try:
            while True:
                typ, data = c.status("INBOX", "(MESSAGES)")
                have = int(re.search(rb"MESSAGES (\d+)", data[0]).group(1))
                if have >= n_smtp or time.time() > deadline:
                    break
                time.sleep(0.5)
            self.assertEqual(have, n_smtp, "every message sent over SMTP was delivered")
        finally:
            c.logout()

        problems = collections.defaultdict(list)  # file -> what differs from Python's reading
        append_trees = {}
        c = self.login(appender, apw)
        try:
            for uid, items in self.fetch_all(c, len(appended)):
                f = appended[uid]
                self.assertEqual(items["BODY[]"], self.msgs[f], f"{rel(f)}: APPEND comes back byte for byte")
                append_trees[self.msgs[f]] = self.check_structure(f"APPEND {rel(f)}", items, problems[rel(f)])
        finally:
            c.logout()

        got = collections.Counter()
        c = self.login(receiver, rpw)
        try:
            for uid, items in self.fetch_all(c, n_smtp):
                names, rest = split_trace(items["BODY[]"])
                self.assertEqual(names, list(TRACE), f"UID {uid}: the trace fields on top, in order")
                m = re.match(rb"Return-Path: <([^>]*)>\r\nDelivered-To: ([^\r\n]*)\r\n", items["BODY[]"])
                self.assertEqual(m and m.groups(), (SENDER.encode(), receiver.encode()), f"UID {uid}")
                got[rest] += 1
                files = [f for f in self.files if self.msgs[f] and after_smtp(self.msgs[f]) == rest]
                label = rel(files[0]) if files else f"UID {uid}"
                tree = self.check_structure(f"SMTP {label}", items, problems[label])
                for f in self.files:
                    if self.msgs[f] and rest == self.msgs[f] and self.msgs[f] in append_trees:
                        self.assertEqual(tree, append_trees[self.msgs[f]],
                                         f"{rel(f)}: the same BODYSTRUCTURE by SMTP as by APPEND")
        finally:
            c.logout()
        missing = sent - got
        extra = got - sent
        names = [rel(f) for f in self.files if after_smtp(self.msgs[f]) in missing]
        self.assertFalse(missing or extra, f"SMTP did not bring back exactly what was sent: missing {names}, "
                                           f"{sum(extra.values())} unexpected, e.g. {list(extra)[:1]!r}")
        unexplained = {f: p for f, p in problems.items() if p and f not in KNOWN}
        self.assertFalse(unexplained, "the server and Python's email package read these differently:\n"
                         + "\n".join(f"{f}: {x}" for f, p in sorted(unexplained.items()) for x in p))
        stale = [f for f in KNOWN if not problems.get(f)]
        self.assertFalse(stale, f"no longer read differently (take them out of KNOWN): {stale}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
