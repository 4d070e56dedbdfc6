"""The edits the benchmark makes: a few words in one paragraph of a chapter (``scripts/bench.py``).

An editor's revision changes a sentence inside a paragraph; it does not append a paragraph.  So every
edit here inserts words *inside* a prose paragraph of the chapter's Markdown, between two plain words
(never inside code, a link, a span's attributes or a note call), in the paragraph's own language:

* ``words`` — three words: the line may or may not grow (justified text can absorb them);
* ``line`` — about two dozen words: more than a line's worth, so the paragraph gets a line longer.

Where: ``start`` is the first prose paragraph of the body, ``middle`` the middle one, ``end`` the last
one.  A prose paragraph is a block of lines, not indented (not a list item's or a definition's
continuation, not indented code), outside fenced code and ``:::`` divs, that is not a heading, list,
quotation, table, line block, HTML, note or link definition, a definition list's term, and has at least
twelve words.
"""

from __future__ import annotations

import re
from pathlib import Path

WORDS = {
    "fa": ["به گفتهٔ ویراستار", "چنان‌که گفته شد", "در همین حال", "به روایت دیگر"],
    "en": ["as noted above", "in this case", "for that reason", "by all accounts"],
}
LINE = {
    "fa": ("و این جمله را ویراستار در بازبینی تازهٔ متن افزود تا بند دست‌کم یک سطر بلندتر شود و صفحه‌بندی "
           "از همین بند به بعد دوباره سنجیده شود"),
    "en": ("and this clause was added by the editor in a later revision so that the paragraph grows by more "
           "than one full line and the layout after it must be measured again"),
}
MIN_WORDS = 12
POSITIONS = ("start", "middle", "end")
KINDS = ("words", "line")

_FRONT = re.compile(r"\A---\n.*?\n(?:---|\.\.\.)[ \t]*\n", re.S)
_NOT_PROSE = re.compile(r"([#>*+|<:-]|\d+[.)]\s|\[\^[^\]]*\]:|\[[^\]]*\]:\s|```|~~~|@|\(@)")
_FENCE = re.compile(r"^(`{3,}|~{3,}|:{3,})")
_ARABIC = re.compile("[\u0600-\u06ff]")
_WORD = re.compile(r"[^\W\d_][\w\u200c\u064b-\u065f\u0670]*[.,،؛:؟?!]?", re.U)


def body_offset(text: str) -> int:
    """Lines before the body (the front matter)."""
    m = _FRONT.match(text)
    return text[: m.end()].count("\n") if m else 0


def body(text: str) -> str:
    """The chapter's Markdown without its front matter."""
    m = _FRONT.match(text)
    return text[m.end():] if m else text


def _blocks(lines: list[str], start: int):
    """(first, last) line index of each block of non-blank lines from ``start``, outside fenced code and divs."""
    fence, block = None, None
    for i in range(start, len(lines)):
        line = lines[i]
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and (fence[0] == ":" or not line[len(m.group(1)):].strip()):
                fence = None
            continue
        if m and (m.group(1)[0] != ":" or line[len(m.group(1)):].strip()):
            if block is not None:
                yield block
            fence, block = m.group(1), None  # a div's content is laid out like its own block: left alone
            continue
        if not line.strip():
            if block is not None:
                yield block
            block = None
        elif block is None:
            block = [i, i]
        else:
            block[1] = i
    if block is not None:
        yield block


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(first, last) 0-based line indexes of the prose paragraphs of a chapter's body."""
    lines = text.split("\n")
    out = []
    for first, last in _blocks(lines, body_offset(text)):
        block = lines[first : last + 1]
        if any(line[:1].isspace() or _NOT_PROSE.match(line) for line in block):
            continue
        following = next((line for line in lines[last + 1 :] if line.strip()), "")
        if re.match(r"\s{0,3}[:~]\s", following):  # a definition list's term
            continue
        if last + 1 < len(lines) and re.match(r"^(=+|-+)\s*$", lines[last + 1]):
            continue  # a setext heading
        if len(" ".join(block).split()) >= MIN_WORDS:
            out.append((first, last))
    return out


def language(text: str) -> str:
    return "fa" if _ARABIC.search(text) else "en"


def insertion_point(paragraph: str) -> int:
    """The offset of a space nearest the paragraph's middle with a plain word on either side, outside
    inline code, brackets, braces, parentheses and angle brackets."""
    depth, code, best = 0, False, None
    middle = len(paragraph) // 2
    for i, ch in enumerate(paragraph):
        if ch == "`":
            code = not code
        elif code:
            continue
        elif ch in "[{(<":
            depth += 1
        elif ch in "]})>":
            depth = max(0, depth - 1)
        elif ch == " " and depth == 0:
            before = paragraph[:i].rsplit(None, 1)[-1] if paragraph[:i].strip() else ""
            after = paragraph[i + 1 :].split(None, 1)[0] if paragraph[i + 1 :].strip() else ""
            if _WORD.fullmatch(before) and _WORD.fullmatch(after) and before[-1:] not in ".,،؛:؟?!" and (best is None or abs(i - middle) < abs(best - middle)):
                best = i
    if best is None:
        raise ValueError("no place between two plain words in this paragraph")
    return best


def edit(chapter: Path, where: str, kind: str, n: int = 0) -> str:
    """Insert words into the ``where`` paragraph (start, middle, end) of ``chapter``; ``kind`` ``words`` (three)
    or ``line`` (more than a line).  ``n`` picks the words (runs differ).  Returns ``file:line`` of the edit."""
    text = chapter.read_text(encoding="utf-8")
    found = paragraphs(text)
    if not found:
        raise ValueError(f"{chapter}: no prose paragraph to edit")
    first, last = found[{"start": 0, "middle": len(found) // 2, "end": len(found) - 1}[where]]
    lines = text.split("\n")
    paragraph = "\n".join(lines[first : last + 1])
    lang = language(paragraph)
    words = WORDS[lang][n % len(WORDS[lang])] if kind == "words" else LINE[lang]
    at = insertion_point(paragraph)
    paragraph = paragraph[:at] + " " + words + paragraph[at:]
    lines[first : last + 1] = paragraph.split("\n")
    chapter.write_text("\n".join(lines), encoding="utf-8")
    return f"{chapter.name}:{first + 1 + paragraph[:at].count(chr(10))}"
