"""Chapters laid out in segments, so that an edit is laid out from the page break before it.

A chapter is a sequence of top-level blocks (the children of ``section.chapter``).  It is laid
out as a chain of *segments*: each is a WeasyPrint document made of the blocks from where the
previous segment ended (a *window* of the chapter's blocks) that WeasyPrint lays out until a
**resumable page break** — a page that begins at the start of a block with nothing carried over
from the page before (no footnote moved on, nothing broken out of the flow) — and stops there
(:func:`ketab.layout.boxes.fresh_block`, read from WeasyPrint's own pagination state).  The next
segment starts at that block, with the footnote counter carried and the margin a page break
truncates truncated: the pages are those of one pass over the whole chapter.

**Where a segment ends** does not depend on where it started: some blocks are *anchors* — a block
is one with a probability proportional to its length, drawn from its digest, about one every
:data:`TARGET_CHARS` characters — and a segment ends at the first resumable page break at or after
the first anchor at least :data:`MIN_CHARS` past its start.  Its window is the blocks up to that
anchor and :data:`EXTRA_CHARS` more; when no resumable break falls there, the segment ends at the
last resumable break before the anchor (the layout gives up as soon as a page begins past the
window's last block: :func:`ketab.layout.resume.stopper`), and only when there is none either is
the window laid out again, with twice as many.  A window that would end less than :data:`TAIL_CHARS`
before the chapter's end runs to it (a chapter's last window never gives up).  Two chains — the one laid out before an edit and the one after — whose pages agree again by
an anchor end their segments at the same page break, whatever blocks they started from.

**Each segment is a layout unit** (:class:`ketab.layout.engine.LaidOutUnit`), cached under the
digest of its window, its CSS and the state it starts in.  After an edit, the segments before
the edited block are found in the cache; the segment whose window holds the edit is laid out
again from its start (the last recorded page break before the edit), and so is each next one
until a segment starts, again, at a block where an old one started, with the same state: from
there on every window is unchanged, every segment is reused — the layout has converged.  As the
chain is the same function of the content whether it was built cold or after an edit, an
incremental build is byte-identical to a cold one.  The fallbacks: an edit inside a long run
without a resumable page break (a long table, a chapter-long paragraph) lays that run out again;
a note added or removed renumbers, and so lays out again, every later segment that holds notes.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from lxml import html as lxml_html

from ketab.layout.resume import read_params, stopper  # noqa: F401  (the segment's stop test: re-exported)
from ketab.pdfnames import named_destinations

TARGET_CHARS = 5000
"""Characters of text between two *anchors* on average (about six pages): a block is an anchor with
a probability proportional to its length, decided by its digest — by its own content only."""
MIN_CHARS = 2500
"""An anchor closer than this to a segment's start is passed over (no segment of a page or less)."""
EXTRA_CHARS = 4000
"""Characters of text laid out past the anchor to find the resumable page break at or after it."""
TAIL_CHARS = 8000
"""A window that would end this few characters before the chapter's end takes them in: the chapter's
last window then never gives up for want of a resumable break (it runs to the end instead)."""
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "header"})
_OPEN_TAG = re.compile(r"^<([A-Za-z][A-Za-z0-9]*)")
_MARK = "ketab-blocks-8f3a1c"


@dataclass(frozen=True)
class Chapter:
    """A chapter's print HTML cut at its top-level blocks."""

    head: str
    """The document up to the blocks (the section's opening tag included)."""
    blocks: tuple[str, ...]
    tail: str
    section: str
    notes: tuple[int, ...]
    """Notes in each block."""
    chars: tuple[int, ...]
    anchors: tuple[bool, ...]
    headings: tuple[bool, ...]


def split(html: str) -> Chapter | None:
    """The chapter's blocks, or None when the HTML is not one ``section.chapter``."""
    root = lxml_html.document_fromstring(html)
    sections = root.xpath("/html/body/section[contains(concat(' ', @class, ' '), ' chapter ')]")
    if len(sections) != 1:
        return None
    section = sections[0]
    children = list(section)
    if not children:
        return None
    blocks, notes, chars, anchors, headings = [], [], [], [], []
    for child in children:
        text = lxml_html.tostring(child, encoding="unicode", with_tail=True)
        tag = child.tag if isinstance(child.tag, str) else ""
        blocks.append(text)
        notes.append(text.count('class="note"'))
        chars.append(len(child.text_content()) if tag else 0)
        headings.append(tag in _HEADINGS)
        draw = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64
        anchors.append(bool(tag) and draw < chars[-1] / TARGET_CHARS)
        section.remove(child)
    section.text = (section.text or "") + _MARK
    whole = lxml_html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
    head, _, tail = whole.partition(_MARK)
    return Chapter(head, tuple(blocks), tail, section.get("id") or "", tuple(notes), tuple(chars), tuple(anchors), tuple(headings))


@dataclass
class Chain:
    """One chapter's segments as they are laid out."""

    chapter: Chapter
    start: int = 0
    notes: int = 0
    forced: bool = True
    """Whether the page break before ``start`` was forced (the chapter's start is)."""
    factor: int = 1
    pieces: list = field(default_factory=list)
    done: bool = False

    def anchor(self) -> int:
        """The first anchor at least MIN_CHARS after ``start`` (the chapter's end if none)."""
        chapter, total = self.chapter, 0
        for i in range(self.start, len(chapter.blocks)):
            if i > self.start and chapter.anchors[i] and total >= MIN_CHARS:
                return i
            total += chapter.chars[i]
        return len(chapter.blocks)

    def window(self) -> int:
        """End of the blocks laid out: the anchor and EXTRA_CHARS (× ``factor``) past it — or the chapter's
        end, when no more than TAIL_CHARS are left after that."""
        chapter, anchor = self.chapter, self.anchor()
        end, total, budget = anchor, 0, EXTRA_CHARS * self.factor
        while end < len(chapter.blocks) and (total < budget or end < anchor + 3):
            total += chapter.chars[end]
            end += 1
        if sum(chapter.chars[end:]) <= TAIL_CHARS:
            end = len(chapter.blocks)
        return end

    def html(self) -> str:
        chapter, end = self.chapter, self.window()
        blocks = chapter.blocks[self.start:end]
        first = self.anchor() - self.start
        last = len(blocks) - 1
        if end < len(chapter.blocks):  # a segment ends before a block whose lookahead (the headings kept with it, one more) is here
            last = 0
            for i in range(1, len(blocks)):
                ahead = i + 1
                while ahead < len(blocks) and chapter.headings[self.start + ahead - 1]:
                    ahead += 1
                if ahead < len(blocks):
                    last = i
        more = " more=1" if end < len(chapter.blocks) else ""
        meta = f'<meta name="ketab-segment" content="first={first} last={last} section={chapter.section}{more}">'
        style = f"section.chapter {{ counter-reset: footnote {self.notes}; }}"
        if not self.forced:  # WeasyPrint truncates the margins an unforced page break adjoins
            style += ' [data-kb="0"], [data-kb="0"] > :first-child, [data-kb="0"] > :first-child > :first-child { margin-top: 0 !important; }'
        head = chapter.head.replace("</head>", f"{meta}<style>{style}</style></head>", 1)
        body = "".join(_OPEN_TAG.sub(rf'<\1 data-kb="{i}"', block, count=1) for i, block in enumerate(blocks))
        return head + _linked_across(body, head + "".join(blocks[:first])) + chapter.tail

    def take(self, unit) -> None:
        """The laid-out window: its pages are the next segment, or it is laid out again longer."""
        end = (unit.segment or {}).get("end")
        at_end = self.window() == len(self.chapter.blocks)
        if end is None and not at_end:
            self.factor *= 2
            return
        self.pieces.append(unit)
        if end is None:
            self.done = True
            return
        self.notes += sum(self.chapter.notes[self.start:self.start + end])
        self.start += end
        self.forced = bool(unit.segment.get("forced"))
        self.factor = 1


UNIT_LINK = "ketab-anchor:"
"""Links to another layout unit (or, in a chapter's segment, to a block the segment may not lay out) are
written as this URI and made into named destinations at assembly (a unit alone does not know the others'
anchors: :mod:`ketab.writers.print`)."""
HREF = re.compile(r'href="#([^"]+)"')
_ID = re.compile(r'\bid="([^"]+)"')


def _linked_across(body: str, laid: str) -> str:
    """``body`` with its links to an anchor of the chapter that may not be laid out in this segment (not in
    ``laid``: the blocks before the first one it may end before) made links the assembly resolves, as links
    to other units are: WeasyPrint drops a link whose anchor it did not lay out (a note's link to a passage
    some pages on lost its link, with a warning)."""
    ids = set(_ID.findall(laid))
    return HREF.sub(lambda m: m.group(0) if unquote(m.group(1)) in ids or m.group(1) in ids else f'href="{UNIT_LINK}{m.group(1)}"', body)


def lay_out_chapters(layouter, jobs: list[tuple[str, str]]) -> list:
    """Lay out chapter units (html, css) in segments; each result is one unit of the whole chapter."""
    chains: list[Chain | None] = []
    for html, _ in jobs:
        chapter = split(html)
        chains.append(Chain(chapter) if chapter is not None else None)
    whole = [i for i, chain in enumerate(chains) if chain is None]
    results: dict[int, object] = {}
    if whole:
        for i, unit in zip(whole, layouter.layout_many([jobs[i] for i in whole])):
            results[i] = unit
    while True:
        running = [i for i, chain in enumerate(chains) if chain is not None and not chain.done]
        if not running:
            break
        units = layouter.layout_many([(chains[i].html(), jobs[i][1]) for i in running])
        for i, unit in zip(running, units):
            chains[i].take(unit)
    for i, chain in enumerate(chains):
        if chain is not None:
            unit = results[i] = compose(chain.pieces, chain.chapter.section)
            layouter.memo[unit.key] = unit  # the proof's probe notes are found by the unit's key
    return [results[i] for i in range(len(jobs))]


def compose(pieces: list, section: str):
    """One unit of a chapter's segments: their pages in order, anchors, slots and page starts
    counted from the chapter's first page."""
    from ketab.cache import digest
    from ketab.layout.engine import LaidOutUnit

    if len(pieces) == 1:
        return pieces[0]
    anchors: dict = {}
    slots: list = []
    starts: list = []
    messages: list = []
    extras: list = []
    offset = letters = 0
    for piece in pieces:
        for anchor, index in piece.anchors.items():
            anchors.setdefault(anchor, index + offset)
        slots += [dict(slot, page=slot["page"] + offset) for slot in piece.slots]
        for start in piece.starts:
            if start is not None and start[0] == section:
                start = [start[0], start[1] + letters]
            starts.append(start)
        messages += [m for m in piece.messages if m not in messages]
        if isinstance(piece.extra, list):
            extras += piece.extra
        offset += piece.pages
        letters += (piece.segment or {}).get("letters", 0)
    key = digest("chapter+structure", *(piece.key for piece in pieces))  # its PDF holds the merged tree
    pdf = _CONCATENATED.pop(key, None)  # an unchanged chapter's, from the build before (ketab watch)
    if pdf is None:
        pdf = concatenate([piece.pdf for piece in pieces])
    _CONCATENATED[key] = pdf
    _CONCATENATED_BYTES[key] = len(pdf)
    while sum(_CONCATENATED_BYTES.values()) > CONCATENATED_BUDGET and len(_CONCATENATED) > 1:
        oldest = next(iter(_CONCATENATED))
        del _CONCATENATED[oldest], _CONCATENATED_BYTES[oldest]
    return LaidOutUnit(key, pdf, offset, anchors, tuple(slots), extras or None, tuple(starts), tuple(messages), None)


_CONCATENATED: dict[str, bytes] = {}
"""The chapters' PDFs :func:`concatenate` made, by the digest of their segments' (the most recent last)."""
_CONCATENATED_BYTES: dict[str, int] = {}
CONCATENATED_BUDGET = 48 << 20
"""Bytes of chapter PDFs kept between builds at most (the layout holds the current ones anyway)."""


def concatenate(pdfs: list[bytes]) -> bytes:
    """The pages of ``pdfs`` in one PDF, with one tree of their named destinations."""
    import warnings

    import pikepdf

    from ketab.writers import tagging

    out = pikepdf.new()
    sources = [pikepdf.open(io.BytesIO(data)) for data in pdfs]
    names = pikepdf.NameTree.new(out)
    pieces = []
    for src in sources:
        first = len(out.pages)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", getattr(pikepdf, "PageCopyWarning", UserWarning))
            out.pages.extend(src.pages)
        pieces.append((tagging.Piece("segment", first, len(src.pages)), src))
        for name, index, rest in named_destinations(src):
            if name not in names:  # every segment carries the chapter's section (and its id): the first one's is the chapter's
                names[name] = pikepdf.Array([out.pages[first + index].obj, *rest])
    out.Root.Names = pikepdf.Dictionary(Dests=names.obj)
    keys = [hashlib.sha256(data).digest() for data in pdfs]  # what the merge found in a segment, kept for the next build
    tagging.merge_structure(out, pieces, keys)  # the segments' structure trees, one for the chapter
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True)
    return buffer.getvalue()
