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

import html as htmllib
import io
import os
import re
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
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
        "deleted_marker": "حذف: {blocks} بند، {words} واژه",
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
        "deleted_marker": "Deleted: {blocks} paragraph(s), {words} words",
        "sep": ", ",
    },
}


def proof_labels(language) -> dict:
    return LABELS["fa" if language.primary in ("fa", "prs") else "en"]


# --- the old manuscript -----------------------------------------------------


def manuscript_at(revision: str, manuscript_dir: Path, dest: Path) -> tuple[Path, str]:
    """Write the manuscript folder as it was at git ``revision`` into ``dest``.

    Returns (the old manuscript folder, a description of the revision for the
    summary).  The manuscript may be any folder inside the repository."""
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

    @property
    def words(self) -> list[str]:
        return self.text.split()


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
            words = sum(len(b.words) for b in _blocks(_fragment(part.converted.html)))
            changes.append(ChapterChanges(part.id, part.title or "", "removed", deleted=len(_blocks(_fragment(part.converted.html))), words_removed=words))
    index_part = next((p for p in parts if p.id == new.index_part.id), None) if new.index_part else None
    return replace(new, parts=tuple(parts), index_part=index_part), tuple(changes)


def mark_chapter(old_html: str | None, new_html: str, part_id: str, labels: dict) -> tuple[str, dict]:
    """The new chapter's HTML with its changes marked, and the counts for the summary."""
    from ketab.convert import _inner

    counts = {"changed": 0, "inserted": 0, "deleted": 0, "words_added": 0, "words_removed": 0}
    root = _fragment(new_html)
    new_blocks = _blocks(root)
    old_blocks = _blocks(_fragment(old_html)) if old_html is not None else []
    matcher = SequenceMatcher(None, [b.text for b in old_blocks], [b.text for b in new_blocks], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        deleted_run: list[_Block] = []
        for old, new in _pair(old_blocks[i1:i2], new_blocks[j1:j2]):
            if new is None:
                deleted_run.append(old)
                continue
            if deleted_run:
                _deleted_marker(deleted_run, part_id, labels, before=new.el)
                deleted_run = []
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
        if deleted_run:
            if j2 < len(new_blocks):
                _deleted_marker(deleted_run, part_id, labels, before=new_blocks[j2].el)
            elif new_blocks:
                _deleted_marker(deleted_run, part_id, labels, after=new_blocks[-1].el)
            else:
                _deleted_marker(deleted_run, part_id, labels, inside=root)
    deleted = [b for b in root.iter("div") if "proof-deleted" in (b.get("class") or "")]
    for marker in deleted:
        counts["deleted"] += int(marker.get("data-blocks", "0"))
        counts["words_removed"] += int(marker.get("data-words", "0"))
    return _inner(root), counts


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
            out.append(_Block(el, text))
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


def _deleted_marker(blocks: list[_Block], part_id: str, labels: dict, before=None, after=None, inside=None) -> None:
    """A boxed «حذف» where deleted blocks stood, with (the start of) their text struck through."""
    from lxml import etree

    words = [w for b in blocks for w in b.words]
    marker = etree.Element("div", {"class": "proof-deleted", "data-proof-part": part_id, "data-blocks": str(len(blocks)), "data-words": str(len(words))})
    label = etree.SubElement(marker, "span", {"class": "proof-label"})
    label.text = labels["deleted_marker"].format(blocks=len(blocks), words=len(words))
    label.tail = " "
    struck = etree.SubElement(marker, "del", {"class": "proof-del"})
    struck.text = " ".join(words[:EXCERPT_WORDS]) + (" …" if len(words) > EXCERPT_WORDS else "")
    if before is not None:
        before.addprevious(marker)
    elif after is not None:
        after.addnext(marker)
    else:
        inside.append(marker)


def mark_words(old: _Block, el, part_id: str) -> tuple[int, int]:
    """Mark the words added to (``ins``) and removed from (``del``) a changed block: (added, removed)."""
    segments = list(_segments(el))
    text = "".join(t for _, _, t in segments)
    tokens = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    new_words = [text[a:b] for a, b in tokens]
    old_words = old.words
    inserts: list[tuple[int, int]] = []  # character ranges of added words
    deletes: list[tuple[int, bool, str]] = []  # (position, True: after the character before, words)
    added = removed = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            removed += i2 - i1
            gone = " ".join(old_words[i1:i2])
            if j1 < len(tokens):
                deletes.append((tokens[j1][0], False, gone))
            elif tokens:
                deletes.append((tokens[-1][1], True, gone))
            else:
                deletes.append((0, False, gone))
        if tag in ("insert", "replace"):
            added += j2 - j1
            inserts.append((tokens[j1][0], tokens[j2 - 1][1]))
    offset = 0
    touched_notes = set()
    for node, attr, segment in segments:
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
            pieces.append(("del", words))
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
