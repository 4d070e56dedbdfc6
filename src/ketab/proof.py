"""Revision proofs: the book with its changes marked, for the editor.

``ketab proof --since REV`` (or ``ketab proof OLD NEW``) writes
``<out>/<slug>-proof.pdf``: a summary of what changed in which chapter, then the
book laid out as it is now, where

- a paragraph that changed or was inserted has a bar in the outer margin,
- inside a changed paragraph, added words are red and underlined and removed
  words are struck through where they were,
- a paragraph that was deleted leaves a boxed «حذف» marker with its text struck
  through, where it stood.

The recipe (:func:`write_proof`): load and convert both manuscripts → compare
chapter by chapter, block by block (difflib over the blocks' text, then over the
words of each changed block) → lay out the marked book with the print templates,
noting where each marked block fell on each page → assemble it like the screen
PDF → draw the bars with pikepdf → put the summary in front.

The bars are drawn after layout because only the layout knows on which side of
the spread a block fell: in a right-to-left book a recto is a *left* page, and
its outer margin is on the left.
"""

from __future__ import annotations

import io
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import click

from ketab.diagnostics import BuildError, Diagnostic, ExitCode, Severity

MARK_CLASSES = ("proof-changed", "proof-inserted", "proof-deleted")
BAR_RGB = (0.85, 0.1, 0.1)
"""Colour of the change bars (and of the marks in the text)."""
BAR_WIDTH_MM = 1.2
BAR_GAP_MM = 3.0
"""Distance between the text block and the bar."""
PAIR_SIMILARITY = 0.5
"""Below this share of common words, a block is reported as deleted + inserted, not changed."""
EXCERPT_WORDS = 40
PX_PER_MM = 96 / 25.4
PT_PER_PX = 0.75

# --- what the proof prints, in the book's language ------------------------

LABELS = {
    "fa": {
        "title": "نمونهٔ بازبینی",
        "summary": "خلاصهٔ تغییرات",
        "against": "سنجیده با",
        "chapter": "فصل",
        "blocks": "بند",
        "words": "واژه",
        "changed": "تغییریافته",
        "inserted": "افزوده",
        "deleted": "حذف‌شده",
        "added": "افزوده",
        "removed": "حذف‌شده",
        "pages": "صفحه‌ها",
        "total": "جمع",
        "new_chapter": "فصل تازه",
        "removed_chapter": "از کتاب برداشته شده",
        "title_changed": "عنوان تغییر کرده",
        "unchanged": "فصل‌های بی‌تغییر: {n}",
        "no_changes": "متن کتاب از آن نسخه تا کنون تغییری نکرده است.",
        "legend_bar": "خط در حاشیهٔ بیرونی: بندی که تغییر کرده یا افزوده شده است",
        "legend_ins": "واژه‌های افزوده",
        "legend_del": "واژه‌های حذف‌شده",
        "legend_deleted": "جای بندهای حذف‌شده",
        "deleted_marker": "حذف: {blocks} {paragraphs}، {words} واژه",
        "paragraphs": ("بند", "بند"),
        "sep": "، ",
    },
    "en": {
        "title": "Revision proof",
        "summary": "Summary of changes",
        "against": "Compared with",
        "chapter": "Chapter",
        "blocks": "Paragraphs",
        "words": "Words",
        "changed": "changed",
        "inserted": "inserted",
        "deleted": "deleted",
        "added": "added",
        "removed": "removed",
        "pages": "Pages",
        "total": "Total",
        "new_chapter": "new chapter",
        "removed_chapter": "removed from the book",
        "title_changed": "title changed",
        "unchanged": "Unchanged chapters: {n}",
        "no_changes": "The text has not changed since then.",
        "legend_bar": "Bar in the outer margin: a paragraph that changed or was inserted",
        "legend_ins": "words added",
        "legend_del": "words removed",
        "legend_deleted": "where paragraphs were deleted",
        "deleted_marker": "Deleted: {blocks} {paragraphs}, {words} words",
        "paragraphs": ("paragraph", "paragraphs"),
        "sep": ", ",
    },
}


def proof_labels(language) -> dict:
    return {**LABELS["fa" if language.primary in ("fa", "prs") else "en"], "digits": language.digits}


# --- the old manuscript -----------------------------------------------------


def manuscript_at(revision: str, manuscript_dir: Path, dest: Path) -> tuple[Path, str]:
    """Write the manuscript folder as it was at git ``revision`` into ``dest``.

    Returns (the old manuscript folder, a description of the revision for the
    summary).  The manuscript may be any folder inside the repository."""
    import subprocess
    import tarfile

    manuscript_dir = Path(manuscript_dir).resolve()
    top = Path(_git(manuscript_dir, "rev-parse", "--show-toplevel", what=str(manuscript_dir))).resolve()
    rel = manuscript_dir.relative_to(top).as_posix()
    commit = _git(top, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", what=f"revision {revision!r}")
    archive = subprocess.run(
        ["git", "-C", str(top), "archive", "--format=tar", commit, "--", rel if rel != "." else "."],
        capture_output=True,
    )
    if archive.returncode != 0:
        raise _git_error(manuscript_dir, f"{rel} does not exist at {revision}: {archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    described = _git(top, "show", "-s", "--format=%h %cs %s", commit, what=revision)
    return (dest / rel if rel != "." else dest), f"{revision} ({described})" if not described.startswith(revision) else described


def _git(cwd: Path, *args: str, what: str) -> str:
    import subprocess

    try:
        proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True)
    except FileNotFoundError:
        raise _git_error(cwd, "git is not installed") from None
    if proc.returncode != 0:
        reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"unknown {what}"
        raise _git_error(cwd, f"git: {reason}")
    return proc.stdout.strip()


def _git_error(path, message: str) -> BuildError:
    from ketab.diagnostics import display_path

    return BuildError([Diagnostic(display_path(path), None, Severity.ERROR, message, "proof.git")])


def load_book(manuscript_dir: Path, shown_as: str | None = None):
    """Load and convert a manuscript and assemble it: (Book, warnings).

    ``shown_as`` replaces the folder in diagnostics (``HEAD~2:chapters/01.md``)."""
    from ketab.assemble import assemble
    from ketab.convert import convert_chapters
    from ketab.generate import generated_markdown
    from ketab.manuscript import load_manuscript

    try:
        manuscript = load_manuscript(manuscript_dir)
        converted, warnings = convert_chapters(manuscript, lambda ch: generated_markdown(manuscript, ch))
    except BuildError as exc:
        if shown_as is None:
            raise
        raise BuildError([_shown_as(d, manuscript_dir, shown_as) for d in exc.diagnostics]) from None
    return assemble(manuscript, converted), tuple(manuscript.warnings) + tuple(warnings)


def _shown_as(d: Diagnostic, folder: Path, prefix: str) -> Diagnostic:
    try:
        rel = Path(d.path).resolve().relative_to(Path(folder).resolve()).as_posix()
    except ValueError:
        return d
    return replace(d, path=f"{prefix}:{rel}")


# --- comparing --------------------------------------------------------------

BLOCK_TAGS = frozenset({"p", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "figure", "figcaption", "td", "th"})
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class ChapterChanges:
    """How much one chapter changed."""

    id: str
    title: str
    status: str
    """``changed``, ``new``, ``removed`` or ``same``."""
    changed: int = 0
    """Blocks (paragraphs, list items, headings…) whose text changed."""
    inserted: int = 0
    deleted: int = 0
    words_added: int = 0
    words_removed: int = 0
    title_changed: bool = False

    @property
    def any(self) -> bool:
        return self.status != "same"


@dataclass
class _Block:
    el: object
    text: str
    """Normalised text (what is compared)."""
    depth: int = 1
    """Nesting in the chapter's body (1: top level)."""
    container: str = ""
    """Tag of the parent element (``ol`` for a list item)."""
    words: list[str] = field(default_factory=list)
    """Its words, as counted in the summary (a note's first word is not glued to the word before its call)."""


def compare_books(old, new):
    """(the new Book with its changes marked up, (ChapterChanges…) in reading order)."""
    labels = proof_labels(new.language)
    old_parts = {p.id: p for p in old.parts}
    parts, changes = [], []
    for part in new.parts:
        before = old_parts.get(part.id)
        if part is new.index_part or part.converted.chapter.generate == "index":
            parts.append(part)
            continue
        html, counts = mark_chapter(before.converted.html if before else None, part.converted.html, part.id, labels)
        title_changed = before is not None and before.title != part.title
        title_html = part.converted.title_html
        if title_changed:
            title_html = f'<span class="proof-changed" data-proof-part="{part.id}">{title_html}</span>'
        status = "new" if before is None else ("changed" if title_changed or any(counts.values()) else "same")
        changes.append(ChapterChanges(part.id, part.title or "", status, title_changed=title_changed, **counts))
        if status == "same":
            parts.append(part)
        else:
            parts.append(replace(part, converted=replace(part.converted, html=html, title_html=title_html)))
    new_ids = {p.id for p in new.parts}
    for part in old.parts:
        if part.id not in new_ids and part.converted.chapter.generate != "index":
            blocks = _blocks(_fragment(part.converted.html))
            changes.append(ChapterChanges(part.id, part.title or "", "removed", deleted=len(blocks), words_removed=sum(len(b.words) for b in blocks)))
    index_part = next((p for p in parts if p.id == new.index_part.id), None) if new.index_part else None
    return replace(new, parts=tuple(parts), index_part=index_part), tuple(changes)


def mark_chapter(old_html: str | None, new_html: str, part_id: str, labels: dict) -> tuple[str, dict]:
    """The new chapter's HTML with its changes marked, and the counts for the summary."""
    from difflib import SequenceMatcher

    from ketab.convert import inner_html

    counts = {"changed": 0, "inserted": 0, "deleted": 0, "words_added": 0, "words_removed": 0}
    root = _fragment(new_html)
    new_blocks = _blocks(root)
    old_blocks = _blocks(_fragment(old_html)) if old_html is not None else []
    matcher = SequenceMatcher(None, [b.text for b in old_blocks], [b.text for b in new_blocks], autojunk=False)
    previous = None  # the last new block before the current place
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            previous = new_blocks[j2 - 1]
            continue
        gone: list[_Block] = []
        for old, new in _pair(old_blocks[i1:i2], new_blocks[j1:j2]):
            if new is None:
                gone.append(old)
                counts["deleted"] += 1
                counts["words_removed"] += len(old.words)
                continue
            if gone:
                _deleted_marker(gone, part_id, labels, root, previous, new)
                gone = []
            if old is None:
                _mark(new.el, "proof-inserted", part_id)
                counts["inserted"] += 1
                counts["words_added"] += len(new.words)
            else:
                _mark(new.el, "proof-changed", part_id)
                added, removed = mark_words(old, new.el, part_id)
                counts["changed"] += 1
                counts["words_added"] += added
                counts["words_removed"] += removed
            previous = new
        if gone:
            _deleted_marker(gone, part_id, labels, root, previous, new_blocks[j2] if j2 < len(new_blocks) else None)
    return inner_html(root), counts


def _fragment(html: str | None):
    from lxml import html as lxml_html

    return lxml_html.fragment_fromstring(html or "", create_parent="div")


def _blocks(root) -> list[_Block]:
    """The blocks of a chapter in reading order: the innermost paragraphs, items, headings."""
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag not in BLOCK_TAGS:
            continue
        text = " ".join("".join(t for _, _, t in _segments(el)).split())
        images = " ".join(f"[{img.get('src')}]" for img in _own(el, "img"))
        text = f"{text} {images}".strip()
        if text:
            parent = el.getparent()
            out.append(_Block(el, text, _depth(el), parent.tag if parent is not root else "", _Words.of(el).words))
    return out


def _own(el, tag: str):
    """Descendants ``tag`` of ``el`` that are not inside a nested block."""
    for child in el:
        if not isinstance(child.tag, str) or child.tag in BLOCK_TAGS:
            continue
        if child.tag == tag:
            yield child
        yield from _own(child, tag)


def _segments(el):
    """The text of a block as (node, 'text'|'tail', text) in reading order, nested blocks left out."""
    if el.text:
        yield el, "text", el.text
    for child in el:
        if isinstance(child.tag, str) and child.tag not in BLOCK_TAGS:
            yield from _segments(child)
        if child.tail:
            yield child, "tail", child.tail


def _similarity(a: _Block, b: _Block) -> float:
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a.words, b.words, autojunk=False).ratio()


def _pair(olds: list[_Block], news: list[_Block]):
    """Align the blocks of one changed stretch: [(old, new)], either may be None.

    A monotone alignment maximising the similarity of paired blocks (small
    stretches); blocks too unlike anything are deleted or inserted."""
    m, n = len(olds), len(news)
    if m == 0 or n == 0 or m * n > 2500:
        return [(o, None) for o in olds] + [(None, b) for b in news]
    sim = [[_similarity(o, b) for b in news] for o in olds]
    score = [[0.0] * (n + 1) for _ in range(m + 1)]
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            best = max(score[i - 1][j], score[i][j - 1])
            if sim[i - 1][j - 1] >= PAIR_SIMILARITY:
                best = max(best, score[i - 1][j - 1] + sim[i - 1][j - 1])
            score[i][j] = best
    out, i, j = [], m, n
    while i > 0 or j > 0:
        if i > 0 and j > 0 and sim[i - 1][j - 1] >= PAIR_SIMILARITY and score[i][j] == score[i - 1][j - 1] + sim[i - 1][j - 1]:
            out.append((olds[i - 1], news[j - 1]))
            i, j = i - 1, j - 1
        elif j > 0 and (i == 0 or score[i][j] == score[i][j - 1]):
            out.append((None, news[j - 1]))
            j -= 1
        else:
            out.append((olds[i - 1], None))
            i -= 1
    return out[::-1]


def _mark(el, cls: str, part_id: str) -> None:
    el.set("class", " ".join([*(el.get("class") or "").split(), cls]))
    el.set("data-proof-part", part_id)


def _deleted_marker(gone: list[_Block], part_id: str, labels: dict, root, previous: _Block | None, following: _Block | None) -> None:
    """A boxed «حذف» where deleted blocks stood, with (the start of) their text struck through.

    It goes before the block that now follows them, or after the one that now
    precedes them, whichever sits in the same kind of container (a deleted list
    item stays in its list), and at the deleted blocks' own level of nesting."""
    from lxml import etree

    words = [w for b in gone for w in b.words]
    marker = etree.Element("div", {"class": "proof-deleted", "data-proof-part": part_id})
    label = etree.SubElement(marker, "span", {"class": "proof-label"})
    label.text = labels["deleted_marker"].format(
        blocks=labels["digits"](len(gone)), paragraphs=labels["paragraphs"][len(gone) != 1], words=labels["digits"](len(words))
    )
    label.tail = " "
    struck = etree.SubElement(marker, "del", {"class": "proof-del"})
    struck.text = " ".join(words[:EXCERPT_WORDS]) + (" …" if len(words) > EXCERPT_WORDS else "")
    home = gone[0]
    if following is not None and (previous is None or following.container == home.container or previous.container != home.container):
        _at_depth(following.el, home.depth).addprevious(marker)
    elif previous is not None:
        _at_depth(previous.el, home.depth).addnext(marker)
    else:
        root.append(marker)


def _at_depth(el, depth: int):
    """``el`` or its ancestor at nesting ``depth`` (1: a child of the chapter's body)."""
    while _depth(el) > depth:
        el = el.getparent()
    return el


def _depth(el) -> int:
    n = 0
    while el.getparent() is not None:
        el, n = el.getparent(), n + 1
    return n


@dataclass(frozen=True)
class _Words:
    """The words of a block with their place: character span and the footnote (if any) they are in."""

    segments: list
    words: list[str]
    spans: list[tuple[int, int]]
    notes: list

    @classmethod
    def of(cls, el) -> "_Words":
        segments = list(_segments(el))
        text = "".join(t for _, _, t in segments)
        # runs of segments in the same place (running text, or one footnote): a word never spans two
        runs: list[list] = []  # [start, end, note]
        offset = 0
        for node, attr, segment in segments:
            note = _enclosing_note(node if attr == "text" else node.getparent(), el)
            if runs and runs[-1][2] is note:
                runs[-1][1] += len(segment)
            else:
                runs.append([offset, offset + len(segment), note])
            offset += len(segment)
        spans, notes = [], []
        for start, end, note in runs:
            for m in _WORD.finditer(text, start, end):
                spans.append((m.start(), m.end()))
                notes.append(note)
        return cls(segments, [text[a:b] for a, b in spans], spans, notes)


def mark_words(old: _Block, el, part_id: str) -> tuple[int, int]:
    """Mark the words added to (``ins``) and removed from (``del``) a changed block: (added, removed).

    Removed words are shown where they were: before the word that now follows
    them or after the one that now precedes them — in the running text or in
    the footnote, as they were (a sentence cut after a note call is not shown
    inside the note)."""
    from difflib import SequenceMatcher

    from lxml import etree

    before, now = _Words.of(old.el), _Words.of(el)
    inserts: list[tuple[int, int]] = []  # character ranges of added words
    deletes: list[tuple[int, bool, str]] = []  # (position, True: after the character before, words)
    beside_notes: list = []  # (note, True: after it, words): cut text that stood next to a note
    added = removed = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, before.words, now.words, autojunk=False).get_opcodes():
        if tag in ("insert", "replace"):
            added += j2 - j1
            inserts.append((now.spans[j1][0], now.spans[j2 - 1][1]))
        if tag not in ("delete", "replace"):
            continue
        removed += i2 - i1
        gone = " ".join(before.words[i1:i2])
        in_note = before.notes[i1] is not None
        following = j1  # the deleted words stood before now.words[j1]
        if following < len(now.words) and (now.notes[following] is not None) == in_note:
            deletes.append((now.spans[following][0], False, gone))
        elif following > 0 and (now.notes[following - 1] is not None) == in_note:
            deletes.append((now.spans[following - 1][1], True, gone))
        elif following < len(now.words) and not in_note:
            beside_notes.append((now.notes[following], False, gone))
        elif following > 0 and not in_note:
            beside_notes.append((now.notes[following - 1], True, gone))
        elif now.words:
            at = min(following, len(now.words) - 1)
            deletes.append((now.spans[at][0], False, gone))
    offset = 0
    touched_notes = set()
    for node, attr, segment in now.segments:
        start, end = offset, offset + len(segment)
        offset = end
        cuts = []
        for a, b in inserts:
            if a < end and b > start:
                cuts.append((max(a, start) - start, min(b, end) - start, "ins", None))
        for pos, after, words in deletes:
            if (start < pos <= end) if after else (start <= pos < end):
                cuts.append((pos - start, pos - start, "del", f" {words}" if after else f"{words} "))
        if not cuts:
            continue
        _rewrite_segment(node, attr, segment, sorted(cuts, key=lambda c: (c[0], c[2] != "del")))
        note = _enclosing_note(node if attr == "text" else node.getparent(), el)
        if note is not None:
            touched_notes.add(note)
    for note, after, words in beside_notes:
        struck = etree.Element("del", {"class": "proof-del"})
        struck.text = f" {words}" if after else f"{words} "
        (note.addnext if after else note.addprevious)(struck)
    for note in touched_notes:
        _mark(note, "proof-changed", part_id)  # a bar beside the footnote too
    return added, removed


def _enclosing_note(node, block):
    while node is not None and node is not block:
        if node.tag == "span" and "note" in (node.get("class") or "").split():
            return node
        node = node.getparent()
    return None


def _rewrite_segment(node, attr: str, text: str, cuts) -> None:
    """Replace one text segment by plain text, ``<ins>`` and ``<del>`` pieces."""
    from lxml import etree

    pieces: list[tuple[str, str]] = []
    pos = 0
    for a, b, kind, words in cuts:
        if a > pos:
            pieces.append(("plain", text[pos:a]))
            pos = a
        if kind == "ins":
            pieces.append(("ins", text[max(a, pos):b]))
            pos = max(pos, b)
        else:
            core = words.strip()
            if words.startswith(" "):
                pieces.append(("plain", " "))
            pieces.append(("del", core))
            if words.endswith(" "):
                pieces.append(("plain", " "))
    if pos < len(text):
        pieces.append(("plain", text[pos:]))
    lead = ""
    while pieces and pieces[0][0] == "plain":
        lead += pieces.pop(0)[1]
    if attr == "text":
        node.text = lead
        parent, index = node, 0
    else:
        node.tail = lead
        parent, index = node.getparent(), node.getparent().index(node) + 1
    last = None
    for kind, value in pieces:
        if kind == "plain":
            last.tail = (last.tail or "") + value
            continue
        new = etree.Element(kind, {"class": f"proof-{kind}"})
        new.text = value
        parent.insert(index, new)
        index += 1
        last = new


# --- layout, noting where the marks fall -------------------------------------


@dataclass(frozen=True)
class PageMarks:
    """Where marked blocks fell on one laid-out page (CSS px from the page's top left)."""

    side: str
    """``left`` or ``right``: the page's side in the spread."""
    text_left: float
    text_right: float
    """Horizontal extent of the text block."""
    bleed_left: float
    bleed_top: float
    marks: tuple[tuple[str, float, float], ...]
    """(part id, top, bottom) of each marked box."""


def document_marks(document) -> list[PageMarks]:
    """The layout probe of a proof: where the marked blocks fell on every page."""
    return [page_marks(page) for page in document.pages]


def page_marks(page) -> PageMarks:
    box = page._page_box
    found: list = []
    _find_marks(box, found)
    bleed = getattr(page, "bleed", None) or {}
    left = box.content_box_x()
    return PageMarks(box.page_type.side, left, left + box.width, bleed.get("left", 0), bleed.get("top", 0), tuple(found))


def _find_marks(box, found: list) -> None:
    element = getattr(box, "element", None)
    if element is not None and hasattr(element, "get"):
        classes = (element.get("class") or "").split()
        if any(c in MARK_CLASSES for c in classes):
            height = box.border_height()
            if height > 0:
                top = box.border_box_y()
                found.append((element.get("data-proof-part") or "", top, top + height))
            return
    for child in getattr(box, "children", ()):
        _find_marks(child, found)


# --- drawing the bars ----------------------------------------------------------


def draw_bars(pdf, pagination, geometry: dict) -> dict[str, set[int]]:
    """Draw a bar in the outer margin beside every marked block; part id → {page index}."""
    import pikepdf

    touched: dict[str, set[int]] = {}
    width = BAR_WIDTH_MM * PX_PER_MM
    gap = BAR_GAP_MM * PX_PER_MM
    for placed in pagination.placed:
        for i, marks in enumerate(geometry.get(placed.unit.key, ())):
            if not marks.marks:
                continue
            index = placed.first_page + i
            for part, _, _ in marks.marks:
                touched.setdefault(part, set()).add(index)
            page = pdf.pages[index]
            x0, _, _, y_top = (float(v) for v in page.mediabox)
            x = marks.text_left - gap - width if marks.side == "left" else marks.text_right + gap
            ops = [b"q %.3f %.3f %.3f rg" % BAR_RGB]
            for top, bottom in _merged((t, b) for _, t, b in marks.marks):
                ops.append(b"%.2f %.2f %.2f %.2f re f" % (
                    x0 + (x + marks.bleed_left) * PT_PER_PX,
                    y_top - (bottom + marks.bleed_top) * PT_PER_PX,
                    width * PT_PER_PX,
                    (bottom - top) * PT_PER_PX,
                ))
            ops.append(b"Q")
            page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(pdf, b"\nQ\n" + b"\n".join(ops) + b"\n"))
    return touched


def _merged(ranges) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for top, bottom in sorted(ranges):
        if out and top <= out[-1][1] + 2:
            out[-1][1] = max(out[-1][1], bottom)
        else:
            out.append([top, bottom])
    return [(a, b) for a, b in out]


# --- the proof -------------------------------------------------------------------


@dataclass(frozen=True)
class ProofResult:
    path: Path
    pages: int
    summary_pages: int
    """Pages in front of the book (the summary, padded to keep the spreads)."""
    chapters: tuple[ChapterChanges, ...]
    """Every chapter of either version, in reading order."""
    marked_pages: tuple[int, ...] = field(default=())
    """0-based indices in the proof PDF of the pages with a bar."""

    @property
    def changed(self) -> tuple[ChapterChanges, ...]:
        return tuple(c for c in self.chapters if c.any)


def write_proof(old_dir: Path, new_dir: Path, out_dir: Path, against: str, templates: Path | None = None, old_shown_as: str | None = None, progress=lambda stage: None) -> ProofResult:
    """Compare the manuscript in ``old_dir`` with ``new_dir``; write ``<out>/<slug>-proof.pdf``."""
    import pikepdf

    from ketab import pdf as pdf_writer
    from ketab import render
    from ketab.layout import Layouter
    from ketab.pipeline import pin_the_clock

    templates = Path(templates or render.default_templates())
    progress("reading and converting both versions")
    old, _ = load_book(old_dir, old_shown_as)
    new, _ = load_book(new_dir)
    pin_the_clock(new.config)
    marked, chapters = compare_books(old, new)

    progress("laying out the proof")
    proof_css = (templates / "proof" / "proof.css").read_text(encoding="utf-8")
    layouter = Layouter(new_dir, [Path(new_dir), templates], probe=document_marks, extra_css=proof_css)
    try:
        pagination = pdf_writer.paginate(marked, layouter, templates, bleed=0.0)
        pdf = pdf_writer.assemble_pdf(marked, pagination, 1)
        pdf_writer.finish(pdf, marked, pagination, screen=True)
        touched = draw_bars(pdf, pagination, {u.key: u.extra for u in layouter.memo.values()})
        html = summary_html(marked, templates, chapters, against, touched, pagination)
        summary = layouter.layout(html, render.print_css(marked, templates, render.PrintStyle("content")))
    finally:
        layouter.close()

    progress("writing the proof")
    marked_pages = sorted({i for pages in touched.values() for i in pages})
    labels = proof_labels(new.language)
    sources: list = []
    front = _prepend(pdf, summary, pagination, labels["summary"], sources)
    title = f"{new.config.title} — {labels['title']}"
    pdf.trailer.Info.Title = pikepdf.String(title)
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["dc:title"] = title
    path = Path(out_dir) / f"{new.config.slug}-proof.pdf"
    pdf_writer.save(pdf, path)
    return ProofResult(path, len(pdf.pages), front, chapters, tuple(i + front for i in marked_pages))


def _prepend(pdf, summary, pagination, title: str, keep: list) -> int:
    """Put the summary in front, padded to an even count so rectos stay rectos; labels and outline follow.

    The source PDFs are appended to ``keep``: their streams are copied when ``pdf`` is saved."""
    import pikepdf

    src = pikepdf.open(io.BytesIO(summary.pdf))
    blank = pikepdf.open(io.BytesIO(pagination.blank.pdf))
    keep += [src, blank]
    pages = list(src.pages)
    if len(pages) % 2:
        pages.append(blank.pages[0])
    for i, page in enumerate(pages):
        pdf.pages.insert(i, page)
    count = len(pages)
    nums = list(pdf.Root.PageLabels.Nums) if "/PageLabels" in pdf.Root else [0, pikepdf.Dictionary(S=pikepdf.Name.D)]
    shifted = pikepdf.Array([0, pikepdf.Dictionary(S=pikepdf.Name.D, P=pikepdf.String(f"{title} "))])
    for k in range(0, len(nums), 2):
        shifted.append(int(nums[k]) + count)
        shifted.append(nums[k + 1])
    pdf.Root.PageLabels = pikepdf.Dictionary(Nums=shifted)
    with pdf.open_outline() as outline:
        outline.root.insert(0, pikepdf.OutlineItem(title, 0))
    return count


def summary_html(book, templates: Path, chapters, against: str, touched: dict, pagination) -> str:
    from ketab import render

    labels = proof_labels(book.language)
    lang = book.language
    total = {k: 0 for k in ("changed", "inserted", "deleted", "words_added", "words_removed")}
    rows = []
    for c in chapters:
        if not c.any:
            continue
        notes = [labels[k] for k, on in (("new_chapter", c.status == "new"), ("removed_chapter", c.status == "removed"), ("title_changed", c.title_changed)) if on]
        pages = labels["sep"].join(folio(i, pagination, lang) for i in sorted(touched.get(c.id, ())))
        row = {"title": c.title, "notes": labels["sep"].join(notes), "pages": pages, "status": c.status}
        for k in total:
            total[k] += getattr(c, k)
            row[k] = lang.digits(getattr(c, k))
        rows.append(row)
    unchanged = sum(1 for c in chapters if not c.any)
    env = render.environment(templates)
    return env.get_template("proof/summary.html.j2").render(
        **render.common_context(book),
        t=labels,
        against=against,
        rows=rows,
        total={k: lang.digits(v) for k, v in total.items()},
        unchanged=labels["unchanged"].format(n=lang.digits(unchanged)) if unchanged else "",
    )


def folio(index: int, pagination, lang) -> str:
    """The printed folio of page ``index`` of the book: a letter (or roman) in the front matter."""
    if index >= pagination.front_pages:
        return lang.digits(index - pagination.front_pages + 1)
    if lang.primary in ("fa", "prs"):
        from ketab.render import PERSIAN_LETTERS

        letters = re.findall(r'"([^"]+)"', PERSIAN_LETTERS)
        n, out = index + 1, ""
        while n > 0:
            n, r = divmod(n - 1, len(letters))
            out = letters[r] + out
        return out
    return _roman(index + 1)


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += numeral
            n -= value
    return out


# --- the command -------------------------------------------------------------------


@click.command("proof")
@click.argument("folders", nargs=-1, metavar="[OLD NEW]", type=click.Path(file_okay=False, path_type=Path))
@click.option("--since", "revision", metavar="REV", help="Compare with the manuscript as committed at this git revision.")
@click.option("--manuscript", "manuscript", type=click.Path(file_okay=False, path_type=Path), help="The manuscript (with --since; default manuscript/).")
@click.option("--out", "out_dir", default="build", show_default=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
def command(folders: tuple[Path, ...], revision: str | None, manuscript: Path | None, out_dir: Path) -> None:
    """A proof PDF with the changes since REV (or from OLD to NEW) marked.

    \b
    ketab proof --since REV [--manuscript DIR]
    ketab proof OLD NEW

    Changed and inserted paragraphs get a bar in the outer margin, deleted ones
    a «حذف» marker; the first page summarises what changed in which chapter.
    Written to <out>/<slug>-proof.pdf."""
    import tempfile

    from ketab.cli import err, print_diagnostic

    if revision is not None:
        if len(folders) > 1 or (folders and manuscript):
            raise click.UsageError("with --since, give one manuscript folder (or --manuscript), not OLD NEW")
        new_dir = folders[0] if folders else (manuscript or Path("manuscript"))
    elif len(folders) == 2 and manuscript is None:
        new_dir = folders[1]
    else:
        raise click.UsageError("give --since REV, or the OLD and NEW manuscript folders")
    try:
        with tempfile.TemporaryDirectory(prefix="ketab-proof-") as tmp:
            if revision is not None:
                old_dir, against = manuscript_at(revision, new_dir, Path(tmp))
                shown = revision
            else:
                old_dir, against, shown = folders[0], str(folders[0]), None
            with err.status("starting…", spinner="dots") as status:
                result = write_proof(old_dir, new_dir, out_dir, against, old_shown_as=shown, progress=lambda s: status.update(s + "…"))
    except BuildError as exc:
        for d in exc.diagnostics:
            print_diagnostic(d)
        err.print("proof failed", style="bold red")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted", style="bold red")
        sys.exit(ExitCode.INTERRUPTED)
    for c in result.changed:
        err.print(
            f"  {c.status:<8} {c.id}: {c.changed} changed, {c.inserted} inserted, {c.deleted} deleted; "
            f"+{c.words_added} −{c.words_removed} words",
            markup=False,
        )
    if not result.changed:
        err.print("  no changes", markup=False)
    err.print(f"  proof   {result.path} ({result.pages} pages, {len(result.marked_pages)} with changes)", markup=False)
