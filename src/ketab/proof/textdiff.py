"""Comparing two versions of a book, chapter by chapter, block by block.

difflib over the blocks' text pairs old and new paragraphs; difflib over the
words of each changed block marks what was added (red, underlined) and removed
(struck through, where it was).  A deleted block leaves a boxed «حذف» marker.
"""


from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ketab.proof.summary import proof_labels

MARK_CLASSES = ("proof-changed", "proof-inserted", "proof-deleted")
PAIR_SIMILARITY = 0.5
"""Below this share of common words, a block is reported as deleted + inserted, not changed."""
EXCERPT_WORDS = 40

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
