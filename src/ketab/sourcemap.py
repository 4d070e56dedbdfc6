"""What pandoc parsed a chapter into, found again in the chapter's Markdown.

As pandoc converts a chapter, ketab's Lua filter (``filters/notes.lua``) writes down what ketab needs from
pandoc's own parse (:class:`Parsed`): the text of every code block, inline code and raw HTML (an HTML
comment is raw HTML), the date and tracked-change spans, and the note calls pandoc found no definition for.
pandoc's Markdown reader gives no source positions (``+sourcepos`` is commonmark's only), so each piece is
found again in the Markdown by its text (:func:`nonprose_spans`): a code block line by line (whatever
indents or quotes it), inline code between its backticks, raw HTML as typed.  Those spans are not prose:
the checks on the chapter, the line of every diagnostic (:class:`SourceMap`) and the Persian linter skip
them, so indented code and HTML comments are never read as markup.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

from ketab.persian.markdown import Span, _Cover, merge

FACTS = "ketab-facts: "
"""How the filter's line on pandoc's stderr begins."""


@dataclass(frozen=True)
class Parsed:
    """The filter's facts about one chapter, in the order pandoc's walk met them."""

    code: tuple[str, ...] = ()
    inline_code: tuple[str, ...] = ()
    raw: tuple[str, ...] = ()
    spans: tuple[tuple[str, str], ...] = ()
    """(class, text) of every span classed shamsi, miladi, insertion or deletion."""
    unresolved: tuple[str, ...] = ()
    """Labels of note calls without a definition (``[^label]`` left in the text), once each."""

    def to_json(self) -> dict:
        return {"code": list(self.code), "inline_code": list(self.inline_code), "raw": list(self.raw),
                "spans": [list(s) for s in self.spans], "unresolved": list(self.unresolved)}

    @classmethod
    def from_json(cls, data: dict) -> "Parsed":
        def items(key):
            value = data.get(key) or []
            return value if isinstance(value, list) else []  # Lua writes an empty list as {}

        return cls(tuple(map(str, items("code"))), tuple(map(str, items("inline_code"))), tuple(map(str, items("raw"))),
                   tuple((str(c), str(t)) for c, t in items("spans")), tuple(map(str, items("unresolved"))))


def split_facts(stderr: str) -> tuple[Parsed | None, str]:
    """(the filter's facts, pandoc's stderr without their line)."""
    parsed, rest = None, []
    for line in stderr.splitlines():
        if line.startswith(FACTS):
            try:
                parsed = Parsed.from_json(json.loads(line[len(FACTS):]))
            except (ValueError, TypeError, AttributeError):
                parsed = None
        else:
            rest.append(line)
    return parsed, "\n".join(rest)


_PREFIX = re.compile(r"[ \t>]*")
"""What stands before a code block's line in the Markdown: its indent, a quotation's ``>``, a list's indent."""
_FENCE = re.compile(r"^[ \t>]*(`{3,}|~{3,})")


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(r"\n", text)]


def _block_at(lines: list[str], k: int, code: list[str]) -> bool:
    """Do the Markdown's lines from ``k`` hold the code block's lines, each after its indent or quote marks?"""
    if k + len(code) > len(lines):
        return False
    for src, want in zip(lines[k:k + len(code)], code):
        src, want = src.expandtabs(4).rstrip(), want.rstrip()  # pandoc turns tabs into spaces
        if not src.endswith(want) or not _PREFIX.fullmatch(src[: len(src) - len(want)]):
            return False
    return True


def _bare(line: str) -> str:
    """A line without its indent or quote marks, as :func:`_block_at` compares it."""
    return line.expandtabs(4).rstrip().lstrip(" \t>")


def _code_blocks(text: str, parsed: Parsed, start: int, taken: list[Span]) -> None:
    lines = text.split("\n")
    starts = _line_starts(text)
    first = next((i for i, s in enumerate(starts) if s >= start), len(lines))
    at: dict[str, list[int]] = {}
    """The lines, by their text without indent or quote marks: a code block can only begin at a line that
    reads as its first line does (see :func:`_block_at`), so only those are tried."""
    for k in range(first, len(lines)):
        at.setdefault(_bare(lines[k]), []).append(k)
    used: set[int] = set()
    for block in parsed.code:
        code = block.split("\n")
        for k in at.get(code[0].rstrip().lstrip(" \t>"), ()):
            if k in used or not _block_at(lines, k, code):
                continue
            a, b = k, k + len(code) - 1
            if a > first and _FENCE.match(lines[a - 1]):
                a -= 1
            if b + 1 < len(lines) and _FENCE.match(lines[b + 1]):
                b += 1
            used.update(range(a, b + 1))
            taken.append((starts[a], starts[b] + len(lines[b])))
            break


def _matches(text: str, pattern: re.Pattern, start: int, anchor: str | None, lead: bool):
    """``pattern.finditer(text, start)``, found faster when every match begins with the literal ``anchor``
    (``lead``: after a run of backticks, then of spaces and tabs): only where ``anchor`` stands is it tried."""
    if not anchor or anchor[0] in " \t`":
        yield from pattern.finditer(text, start)
        return
    pos, last = text.find(anchor, start), start
    while pos >= 0:
        at = pos
        while lead and at > last and text[at - 1] in " \t":
            at -= 1
        while lead and at > last and text[at - 1] == "`":
            at -= 1
        m = pattern.match(text, at)
        if m is not None:
            yield m
            last = m.end()
            pos = text.find(anchor, max(last, pos + 1))
        else:
            pos = text.find(anchor, pos + 1)


def _free_matches(text: str, pattern: re.Pattern, start: int, taken: list[Span], limit: int,
                  anchor: str | None = None, lead: bool = False) -> list[Span]:
    """The first ``limit`` matches of ``pattern`` that lie outside the spans already ``taken``."""
    cover, found = _Cover(taken), []
    for m in _matches(text, pattern, start, anchor, lead):
        if len(found) == limit:
            break
        if not cover.covers(m.start()) and not cover.covers(max(m.start(), m.end() - 1)):
            found.append(m.span())
    return found


def located(text: str, parsed: Parsed | None, start: int = 0) -> tuple[list[Span], list[Span]]:
    """(code, raw HTML): where, in ``text`` (from offset ``start``), what pandoc parsed as code and as raw HTML stands."""
    if parsed is None:
        return [], []
    code: list[Span] = []
    _code_blocks(text, parsed, start, code)
    raw: list[Span] = []
    counts = Counter(parsed.raw)
    for chunk in sorted(counts, key=len, reverse=True):  # a long chunk before a tag it holds
        parts = [part.strip() for part in chunk.split("\n")]
        pattern = re.compile(r"[ \t]*\n[ \t>]*".join(map(re.escape, parts)))
        raw += _free_matches(text, pattern, start, code + raw, counts[chunk], parts[0])
    blocks = code + raw
    for inline, count in Counter(parsed.inline_code).items():
        words = [re.escape(w) for w in inline.split(" ") if w] or [""]
        pattern = re.compile(r"(?<!`)(`+)[ \t]*" + r"\s+(?:>[ \t]*)?".join(words) + r"\s*\1(?!`)")
        code += _free_matches(text, pattern, start, blocks, count, inline.split(" ")[0], lead=True)
    return merge(code), merge(raw)


def nonprose_spans(text: str, parsed: Parsed | None, start: int = 0) -> list[Span]:
    """Where, in ``text`` (from offset ``start``), the code and raw HTML pandoc parsed stand: sorted, merged."""
    code, raw = located(text, parsed, start)
    return merge(code + raw)


class SourceMap:
    """A chapter's Markdown with what pandoc parsed as code or raw HTML set aside: the line of a piece of
    prose is that of its first occurrence outside them."""

    def __init__(self, body: str, body_line: int, parsed: Parsed | None):
        self.body = body
        self.body_line = body_line
        self.parsed = parsed
        code, raw = located(body, parsed)
        self.spans = merge(code + raw)
        """What pandoc parsed as code or raw HTML: not prose."""
        self._cover = _Cover(self.spans)
        self._code = _Cover(code)

    def find(self, needle: str, fold: bool = False, raw: bool = False) -> int:
        """Offset of the first occurrence of ``needle`` outside code and raw HTML (else anywhere; -1: nowhere);
        ``fold``: in any case (``<SCRIPT`` for ``<script``); ``raw``: raw HTML is where to look too."""
        if not needle:
            return -1
        body, cover = self.body, self._code if raw else self._cover
        if fold and len(body.lower()) == len(body):
            body, needle = body.lower(), needle.lower()
        first = pos = body.find(needle)
        while pos >= 0 and cover.covers(pos):
            pos = body.find(needle, pos + 1)
        return pos if pos >= 0 else first

    def line(self, *needles: str, fold: bool = False, raw: bool = False) -> int:
        """The file's line of the first of ``needles`` found (the chapter's first line if none is)."""
        for needle in needles:
            pos = self.find(needle, fold, raw)
            if pos >= 0:
                return self.body_line + self.body.count("\n", 0, pos)
        return self.body_line

    def lines_of(self, needle: str) -> list[int]:
        """The file's lines of every occurrence of ``needle`` outside code and raw HTML."""
        out, pos = [], self.body.find(needle)
        while pos >= 0:
            if not self._cover.covers(pos):
                out.append(self.body_line + self.body.count("\n", 0, pos))
            pos = self.body.find(needle, pos + 1)
        return out
