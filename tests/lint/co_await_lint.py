#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fails when a co_await stands where GCC 12 miscompiles it.

GCC 12.2 (Debian 12's compiler) can resume a coroutine at an invalid point
when a co_await is part of a condition: `if (!co_await c.write(x))` as the
first statement of a block crashed the SMTP client test with SIGILL at -O0
and SIGBUS at -O2 (docs/development.md). The rule this enforces: a co_await
is a statement of its own, the initializer of a declaration, the right-hand
side of an assignment, or the operand of co_return -- never inside the
condition of if/while/for/switch, and never in a statement with &&, || or ?:.

Usage: co_await_lint.py ROOT   checks libs/, services/, tests/, bench/ under ROOT
       co_await_lint.py --self-test FILE
                               passes when the lines it refuses in FILE are
                               exactly those marked `// refused`
"""
import pathlib
import re
import sys

KEYWORD = re.compile(r"\b(if|while|for|switch)\s*\(")
AWAIT = re.compile(r"\bco_await\b")
SHORT_CIRCUIT = re.compile(r"&&|\|\||\?")


def strip(text: str) -> str:
    """Blanks comments and string/char literals, keeping newlines and offsets."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def matching_paren(text: str, open_at: int) -> int:
    depth = 0
    for j in range(open_at, len(text)):
        if text[j] == "(":
            depth += 1
        elif text[j] == ")":
            depth -= 1
            if depth == 0:
                return j
    return len(text)


def statement_around(text: str, at: int) -> str:
    start = max(text.rfind(ch, 0, at) for ch in ";{}") + 1
    ends = [j for j in (text.find(ch, at) for ch in ";{}") if j >= 0]
    return text[start:min(ends, default=len(text))]


def check(path: pathlib.Path) -> list[str]:
    text = strip(path.read_text(encoding="utf-8", errors="replace"))
    found = set()
    for m in KEYWORD.finditer(text):
        open_at = m.end() - 1
        if AWAIT.search(text, open_at, matching_paren(text, open_at)):
            found.add((text.count("\n", 0, m.start()) + 1, f"co_await in the condition of `{m.group(1)}`"))
    for m in AWAIT.finditer(text):
        stmt = statement_around(text, m.start())
        if SHORT_CIRCUIT.search(stmt):
            found.add((text.count("\n", 0, m.start()) + 1, "co_await in a statement with &&, || or ?:"))
    return [f"{path}:{line}: {what}" for line, what in sorted(found)]


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--self-test":
        path = pathlib.Path(sys.argv[2])
        lines = path.read_text(encoding="utf-8").splitlines()
        marked = {i + 1 for i, line in enumerate(lines) if line.rstrip().endswith("// refused")}
        found = {int(p.split(":")[1]) for p in check(path)}
        print(f"marked {sorted(marked)}, refused {sorted(found)}")
        return 0 if marked == found and marked else 1
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    problems = []
    for top in ("libs", "services", "tests", "bench"):
        for path in sorted((root / top).rglob("*")):
            if path.suffix in (".cpp", ".h", ".hpp", ".cc") and path.is_file():
                problems += check(path)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} co_await(s) where GCC 12 miscompiles them; name the result first "
              "(`const bool ok = co_await f(); if (!ok) ...`), see docs/development.md")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
