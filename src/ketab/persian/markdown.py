"""Find the parts of a pandoc Markdown file that are not prose.

The linter, the fixer and the date-markup finder look at prose only.  This module returns *spans*
(``(start, end)`` character offsets into the file) of everything else: the YAML front matter, code and raw
HTML (as pandoc parsed them: given by :mod:`ketab.sourcemap`), the content of HTML code elements, math, LaTeX,
URLs, link targets, pandoc attribute blocks, footnote labels, list markers, text marked as another language,
and the bodies of date markups.  :func:`masked` replaces those characters with U+FFFC (newlines are kept), so positions in the masked text are positions in the file.

This is a scanner, not a Markdown parser: it errs on the side of protecting too much.
"""

from __future__ import annotations

import re
from bisect import bisect_right

PLACEHOLDER = "\ufffc"

Span = tuple[int, int]

_FM_OPEN = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n")
_FM_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.M)
_DIV_OPEN = re.compile(r"^ {0,3}(:{3,})[ \t]*(\{[^{}\n]*\}|[^\s:{}]+)[ \t]*:*[ \t]*$")
_DIV_CLOSE = re.compile(r"^ {0,3}:{3,}[ \t]*$")
_FOREIGN_LANG = re.compile(r"""\blang\s*=\s*["']?(?!(?:fa|prs|fas|per|pes)\b)[A-Za-z]""")

_SIMPLE = [
    re.compile(
        r"<(code|pre|kbd|samp|var|script|style|math|svg|textarea)\b[^>]*>.*?</\1\s*>", re.S | re.I
    ),
    re.compile(r"<([A-Za-z][\w-]*)\b[^<>]*\b(?:dir\s*=\s*[\"']?ltr|lang\s*=\s*[\"']?(?!(?:fa|prs)\b)[A-Za-z])"
               r"[^<>]*>.*?</\1\s*>", re.S | re.I),
    re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>"),  # a tag pandoc reads as a span or div of its own (its attributes)
    re.compile(r"<[A-Za-z][\w+.-]*:[^\s<>]*>"),  # autolink
    re.compile(r"<[^\s<>@]+@[^\s<>]+>"),  # e-mail autolink
    re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);"),  # entity
    re.compile(r"\b(?:https?|ftp|file|mailto):[^\s<>«»\"]+[^\s<>«»\".,;:!?)\]،؛؟]"),  # bare URL
    re.compile(r"\bwww\.[^\s<>«»\"]+[^\s<>«»\".,;:!?)\]،؛؟]"),
    re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),  # e-mail address
    re.compile(r"\[\^[^\]\s]+\]"),  # footnote label [^12]
    re.compile(r"\{\s*(?:[#.][^{}\n]*|-\s*|=[A-Za-z]+\s*|[A-Za-z_][\w:-]*\s*=[^{}\n]*)\}"),  # attributes
    re.compile(r"^ {0,3}\[(?!\^)[^\]\n]+\]:[ \t]+\S.*$", re.M),  # reference link definition
    re.compile(r"^ {0,3}:{3,}.*$", re.M),  # fenced div fence
    re.compile(r"\\[A-Za-z]+\*?"),  # raw LaTeX command (\newpage)
    re.compile(r"\\[!-/:-@\[-`{-~]"),  # backslash escape
    re.compile(r"@[A-Za-z0-9_][A-Za-z0-9_:.#$%&+?~/-]*"),  # citation key
]
# Bodies of date markups (the brackets themselves stay visible, their attribute block is matched above).
DATE_MARKUP = re.compile(r"(?<!\\)\[([^\[\]\n]*)\]\{\s*\.(shamsi|miladi)(?:\s+supplied=\"?(?:day|month|year)\"?)?\s*\}")
_SPAN_FOREIGN = re.compile(r"(?<![\\!])\[([^\[\]\n]*(?:\n[^\[\]\n]+)*)\]\{([^{}\n]*)\}")
_LINK_TARGET = re.compile(r"\]\(")


def front_matter_end(text: str) -> int:
    """Offset just after the YAML front matter block at the top of *text* (0 if there is none)."""
    m = _FM_OPEN.match(text)
    if not m:
        return 0
    close = _FM_CLOSE.search(text, m.end())
    if not close:
        return 0
    end = close.end()
    if text.startswith("\r\n", end):
        return end + 2
    return end + 1 if text.startswith("\n", end) else end


def front_matter(text: str) -> str | None:
    """The YAML source of the front matter block, or None."""
    end = front_matter_end(text)
    if not end:
        return None
    start = _FM_OPEN.match(text).end()
    close = _FM_CLOSE.search(text, start)
    return text[start:close.start()]


def _lines(text: str) -> list[tuple[int, str]]:
    """``(offset, line without its line break)`` for every line of *text*."""
    out = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, line.rstrip("\r")))
        pos += len(line) + 1
    return out


_MARKER = re.compile(
    r"^[ \t]*(?:>[ \t]?)*(?:[-+*]|[0-9]+[.)]|#[.)]|\([0-9]+\)|\(@[\w-]*\)|[A-Za-z][.)]|[ivxlcdmIVXLCDM]+[.)])"
    r"(?=[ \t])"
)


def _list_markers(text: str, start: int) -> list[Span]:
    """List markers (``1.``, ``-``, ``(@)``): pandoc reads ``1.`` only with ASCII digits, so keep them.

    A marker starts a list after a blank line, and continues one; in the middle of a paragraph a line
    that begins with ``1953.`` is prose.
    """
    spans = []
    previous_blank = True
    in_list = False
    for pos, line in _lines(text):
        if pos < start:
            continue
        if not line.strip():
            previous_blank = True
            continue
        m = _MARKER.match(line)
        if m and (previous_blank or in_list):
            spans.append((pos, pos + m.end()))
            in_list = True
        elif previous_blank and not line[:1].isspace():
            in_list = False
        previous_blank = False
    return spans


def _math_spans(text: str, blocked: "_Cover") -> list[Span]:
    spans = []
    for m in re.finditer(r"(?<![\\$])\$\$(.+?)\$\$", text, re.S):
        if not blocked.covers(m.start()) and not re.search(r"\n[ \t]*\n", m.group(1)):
            spans.append(m.span())
    inner = _Cover(spans)
    for m in re.finditer(r"(?<![\\$])\$(?![\s$])((?:\\.|[^$\\])+?)(?<![\s\\])\$(?![0-9$])", text, re.S):
        if blocked.covers(m.start()) or inner.covers(m.start()) or re.search(r"\n[ \t]*\n", m.group(1)):
            continue
        spans.append(m.span())
    return spans


def _link_targets(text: str) -> list[Span]:
    """``(url "title")`` after ``]``, with nested parentheses."""
    spans = []
    for m in _LINK_TARGET.finditer(text):
        depth = 0
        i = m.start() + 1
        quote = None
        while i < len(text):
            c = text[i]
            if c == "\n" and text.startswith("\n", i + 1):
                break
            if quote:
                if c == quote:
                    quote = None
            elif c == '"' and depth == 1:
                quote = c
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    spans.append((m.start() + 1, i + 1))
                    break
            i += 1
    return spans


def _foreign_divs(text: str, start: int) -> list[Span]:
    """Fenced divs whose attributes give a language other than Persian (``::: {lang=ar}``)."""
    spans = []
    stack: list[tuple[int, bool]] = []
    for pos, line in _lines(text):
        if pos < start:
            continue
        if _DIV_CLOSE.match(line) and stack:
            opened, foreign = stack.pop()
            if foreign and not any(f for _, f in stack):
                spans.append((opened, pos + len(line)))
            continue
        m = _DIV_OPEN.match(line)
        if m:
            stack.append((pos, bool(_FOREIGN_LANG.search(m.group(2)))))
    for opened, foreign in stack:
        if foreign:
            spans.append((opened, len(text)))
            break
    return spans


class _Cover:
    """Fast "is this offset inside one of these spans" for sorted, possibly overlapping spans."""

    def __init__(self, spans: list[Span]):
        merged: list[list[int]] = []
        for a, b in sorted(spans):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        self.starts = [a for a, _ in merged]
        self.spans = merged

    def covers(self, offset: int) -> bool:
        i = bisect_right(self.starts, offset) - 1
        return i >= 0 and offset < self.spans[i][1]


def merge(spans: list[Span]) -> list[Span]:
    return [(a, b) for a, b in _Cover(spans).spans]


def protected_spans(text: str, nonprose=()) -> list[Span]:
    """Every non-prose span of the Markdown file *text* (see the module docstring), merged and sorted.

    ``nonprose``: the spans pandoc parsed as code or raw HTML (comments, tags), found in *text* by
    :func:`ketab.sourcemap.nonprose_spans` — the one place that knows what is code."""
    fm = front_matter_end(text)
    spans: list[Span] = [(0, fm)] if fm else []
    spans += list(nonprose)
    blocked = _Cover(spans)
    spans += _math_spans(text, blocked)
    spans += _foreign_divs(text, fm)
    blocked = _Cover(spans)
    for pattern in _SIMPLE:
        for m in pattern.finditer(text, fm):
            if not blocked.covers(m.start()):
                spans.append(m.span())
    for m in DATE_MARKUP.finditer(text, fm):
        if not blocked.covers(m.start()):
            spans.append(m.span(1))
    for m in _SPAN_FOREIGN.finditer(text, fm):
        if _FOREIGN_LANG.search(m.group(2)) and not blocked.covers(m.start()):
            spans.append(m.span(1))
    spans += _list_markers(text, fm)
    for a, b in _link_targets(text):
        if a >= fm and not blocked.covers(a):
            spans.append((a, b))
    return merge(spans)


def masked(text: str, spans: list[Span]) -> str:
    """*text* with every character inside *spans* replaced by U+FFFC, except line breaks."""
    if not spans:
        return text
    parts = []
    pos = 0
    for a, b in spans:
        parts.append(text[pos:a])
        chunk = text[a:b]
        parts.append(re.sub(r"[^\r\n]", PLACEHOLDER, chunk))
        pos = b
    parts.append(text[pos:])
    return "".join(parts)


class LineIndex:
    """Turn character offsets into 1-based (line, column) pairs; columns count characters."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r", text)]

    def position(self, offset: int) -> tuple[int, int]:
        i = bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1
