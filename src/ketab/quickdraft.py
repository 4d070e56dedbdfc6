"""The draft of one edited paragraph of a long chapter, for ``ketab watch``'s preview (:mod:`ketab.drafts`).

pandoc reads a chapter whole: on pandoc's manual as one chapter (260,000 characters) that is more than half
a second before the preview can show a changed word.  An editor's save usually changes one paragraph, so for
a long chapter (:data:`QUICK_CHARS`) the drafter first tries this path:

1. the lines the save changed (against the text the preview shows) lie inside **one paragraph of plain
   prose**, before and after: a block of lines between blank lines, outside fenced code and ``:::`` divs,
   none indented, none opening a heading, list, quotation, table, note or definition, and without the
   characters that make a paragraph depend on the rest of the chapter (notes ``[^ ]`` and ``^[ ]``,
   attributes ``{ }``, raw HTML ``< >``, citations ``@``, sub- and superscripts ``~ ^``) outside inline code;
2. the old and the new paragraph are converted alone (pandoc and ketab's walk, as a chapter of their own,
   with the chapter's link definitions) and rendered as the EPUB renders a chapter;
3. the old paragraph's rendering must stand **exactly once** in the section the preview shows (its id aside:
   paragraphs are numbered in their chapter) — then the new one takes its place, with that id.

Anything else — an edit across paragraphs, a note, a link, a paragraph whose rendering depends on its
context, a text that is in the section twice — is None here, and the drafter converts the whole chapter as
before.  The draft is only the text: the build that follows converts the whole chapter and lays it out.
"""

from __future__ import annotations

import dataclasses
import re

QUICK_CHARS = 20_000
"""A chapter's body longer than this gets the one-paragraph draft when it can."""

_NOT_PROSE = re.compile(r"([#>*+|<:=-]|\d+[.)]\s|```|~~~|%)")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,}|:{3,})")
_CONTEXT = re.compile(r"[{}<>@^~\\]|\[\^")
"""What can make a paragraph's rendering depend on the rest of the chapter (a link's ``[text]`` can too, but
the chapter's link definitions go with it, and a link that still renders otherwise fails the check of step 3)."""
_DEFINITION = re.compile(r"^ {0,3}\[[^\]^][^\]]*\]:[ \t]+\S.*$", re.M)
_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
_P = re.compile(r'<p id="([^"]+)">(.*?)</p>', re.S)


def edited_paragraph(old: str, new: str) -> tuple[str, str] | None:
    """(old paragraph, new paragraph) when the lines that differ between ``old`` and ``new`` lie inside one
    paragraph of plain prose in both; None otherwise (or when nothing differs)."""
    a, b = old.split("\n"), new.split("\n")
    if a == b:
        return None
    p = 0
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    s = 0
    while s < min(len(a), len(b)) - p and a[len(a) - 1 - s] == b[len(b) - 1 - s]:
        s += 1
    start = p
    while start > 0 and b[start - 1].strip():
        start -= 1
    end = max(len(b) - s, start + 1)
    while end < len(b) and b[end].strip():
        end += 1
    old_end = end - (len(b) - len(a))
    if old_end <= start:
        return None
    before, after = b[:start], b[end:]  # the same lines in both: they lie in the common prefix and suffix
    if not _plain(b[start:end], before, after) or not _plain(a[start:old_end], before, after):
        return None
    return "\n".join(a[start:old_end]), "\n".join(b[start:end])


def _plain(block: list[str], before: list[str], after: list[str]) -> bool:
    """Is ``block`` (lines between ``before`` and ``after``) one top-level paragraph of plain prose?"""
    if not block or any(not line.strip() for line in block):
        return False
    if any(line[:1].isspace() or _NOT_PROSE.match(line) for line in block):
        return False
    if _CONTEXT.search(_CODE.sub("", "\n".join(block))):  # inside inline code they are only characters
        return False
    if sum(1 for line in before if _FENCE.match(line)) % 2:
        return False  # inside fenced code or a div
    following = next((line for line in after if line.strip()), "")
    return not re.match(r"\s{0,3}[:~]\s", following)  # not a definition list's term


def draft(drafter_state, index: int, chapter, shown: tuple[str, str], cache, templates) -> str | None:
    """The section ``shown`` = (its Markdown, its XHTML) with the paragraph the save changed in chapter
    ``chapter`` (index ``index`` of the state's manuscript) rendered anew; None when this path cannot say."""
    body, section = shown
    if len(chapter.body) < QUICK_CHARS:
        return None
    pair = edited_paragraph(body, chapter.body)
    if pair is None:
        return None
    definitions = "\n".join(_DEFINITION.findall(chapter.body))
    if definitions:
        pair = tuple(f"{text}\n\n{definitions}\n" for text in pair)
    rendered = _render_alone(drafter_state, index, chapter, pair, cache, templates)
    if rendered is None:
        return None
    (old_id, old_inner), (_, new_inner) = rendered
    found = [m for m in re.finditer(r'<p id="([^"]+)">' + re.escape(old_inner) + "</p>", section)]
    if len(found) != 1 or not _same_kind(found[0].group(1), old_id):
        return None
    m = found[0]
    return section[: m.start()] + f'<p id="{m.group(1)}">{new_inner}</p>' + section[m.end():]


def _same_kind(a: str, b: str) -> bool:
    """Ids of the same kind (``manual-p12`` and ``manual-p1``: the chapter's paragraphs)."""
    return re.sub(r"\d+$", "", a) == re.sub(r"\d+$", "", b)


def _render_alone(state, index: int, chapter, pair: tuple[str, str], cache, templates):
    """((id, inner XHTML) of the old paragraph, of the new) rendered as a chapter of their own; None if either
    is not one paragraph then, or a diagnostic is said."""
    from ketab import render
    from ketab.assemble import assemble
    from ketab.convert import parse_chapters, read_html
    from ketab.diagnostics import Collector
    from ketab.writers.epub import _chapter_content

    diags = Collector()
    minis = tuple(dataclasses.replace(chapter, body=text) for text in pair)
    extras = [state.extras[index]] * 2
    results, sources, trees = parse_chapters(minis, list(pair), cache, extras, state.salt, diags)
    if len(trees) != 2 or diags.items:
        return None
    env = render.environment(templates)
    out = []
    for k, mini in enumerate(minis):
        converted = read_html(mini, mini.body, trees[k], state.manuscript, diags, None, False, sources[k])
        book = assemble(dataclasses.replace(state.manuscript, chapters=(mini,)), (converted,))
        part = next((p for p in book.parts if p.converted.chapter is mini), None)
        if part is None:
            return None
        paragraphs = _P.findall(_chapter_content(book, env, part, {})[0])
        if len(paragraphs) != 1 or "<p" in paragraphs[0][1]:
            return None
        out.append(paragraphs[0])
    return None if diags.items else tuple(out)
