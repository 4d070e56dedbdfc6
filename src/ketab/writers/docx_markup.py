"""The pandoc AST (JSON) as ketab's Word files use it: ketab's markup ↔ Word character styles.

A review copy keeps the manuscript's markup legible and recoverable: a date keeps the words
the author wrote (style «ketab shamsi» / «ketab miladi») followed by its computed gloss (style
«ketab gloss», dropped on import); an index mark is styled «ketab index», and when it files
under another heading that heading follows as hidden text («ketab index entry»); an anchor
is a Word bookmark over text styled «ketab anchor».  Notes are pandoc notes, so Word footnotes.
"""

from __future__ import annotations

STYLE_SHAMSI = "ketab shamsi"
STYLE_MILADI = "ketab miladi"
STYLE_GLOSS = "ketab gloss"
STYLE_INDEX = "ketab index"
STYLE_INDEX_ENTRY = "ketab index entry"
STYLE_ANCHOR = "ketab anchor"
STYLE_ANCHOR_ID = "ketab anchor id"
"""Hidden text after an anchor: its id (pandoc's reader keeps a bookmark only where a link points at it)."""
STYLE_SUBTITLE = "ketab subtitle"
STYLE_BYLINE = "ketab byline"
STYLE_CHAPTER = "ketab chapter"
"""Hidden text in a chapter's title: the chapter's file in the manuscript."""
CHARACTER_STYLES = (STYLE_SHAMSI, STYLE_MILADI, STYLE_GLOSS, STYLE_INDEX, STYLE_INDEX_ENTRY, STYLE_ANCHOR, STYLE_ANCHOR_ID)
PARAGRAPH_STYLES = (STYLE_SUBTITLE, STYLE_BYLINE)
CHAPTER_BOOKMARK = "ketab-"
"""Bookmark on a chapter's title: ``ketab-<chapter id>``."""


def plain(inlines) -> str:
    """The text of a list of inlines."""
    out = []
    for el in walk_inlines(inlines):
        t = el.get("t")
        if t == "Str":
            out.append(el["c"])
        elif t in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
    return "".join(out)


def walk_inlines(inlines):
    for el in inlines:
        yield el
        t, c = el.get("t"), el.get("c")
        if t in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps", "Underline"):
            yield from walk_inlines(c)
        elif t in ("Span", "Link", "Quoted"):
            yield from walk_inlines(c[1])
        elif t == "Image":
            yield from walk_inlines(c[1])


def span(inlines, ident="", classes=(), attrs=()):
    return {"t": "Span", "c": [[ident, list(classes), [list(a) for a in attrs]], inlines]}


def text_inlines(text: str):
    out = []
    for i, word in enumerate(text.split(" ")):
        if i:
            out.append({"t": "Space"})
        if word:
            out.append({"t": "Str", "c": word})
    return out


def map_inlines(node, fn):
    """Apply ``fn`` (list of inlines → list of inlines) to every inline list in ``node``, innermost first."""
    if isinstance(node, list):
        items = [map_inlines(x, fn) for x in node]
        if items and all(isinstance(x, dict) and _is_inline(x) for x in items):
            return fn(items)
        return items
    if isinstance(node, dict):
        return {k: map_inlines(v, fn) for k, v in node.items()}
    return node


_INLINE = {"Str", "Emph", "Underline", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps", "Quoted", "Cite",
           "Code", "Space", "SoftBreak", "LineBreak", "Math", "RawInline", "Link", "Image", "Note", "Span"}


def _is_inline(x: dict) -> bool:
    return x.get("t") in _INLINE


# --- export: ketab markup → styled spans ------------------------------------------


def export_inlines(render_gloss):
    """The export mapping; ``render_gloss(text, kind)`` gives a date's gloss (or None)."""

    def fn(inlines):
        out = []
        for el in inlines:
            if el.get("t") != "Span":
                out.append(el)
                continue
            (ident, classes, attrs), content = el["c"]
            attrs = dict(attrs)
            if "shamsi" in classes or "miladi" in classes:
                kind = "shamsi" if "shamsi" in classes else "miladi"
                out.append(span(content, attrs=[("custom-style", STYLE_SHAMSI if kind == "shamsi" else STYLE_MILADI)]))
                gloss = render_gloss(plain(content), kind)
                if gloss:
                    out.append(span(text_inlines(f" ({gloss})"), attrs=[("custom-style", STYLE_GLOSS)]))
            elif "idx" in classes:
                out.append(span(content, ident, attrs=[("custom-style", STYLE_INDEX)]))
                entry = attrs.get("entry")
                if entry and entry != plain(content):
                    out.append(span(text_inlines(f" [{entry}]"), attrs=[("custom-style", STYLE_INDEX_ENTRY)]))
            elif ident and not classes:
                # the outer span is the bookmark links in Word go to; the id is spelled out, hidden, for the import
                out.append(span([span(content, attrs=[("custom-style", STYLE_ANCHOR)])], ident))
                out.append(span([{"t": "Str", "c": f"[#{ident}]"}], attrs=[("custom-style", STYLE_ANCHOR_ID)]))
            else:
                out.append(el)
        return out

    return fn


# --- import: styled spans → ketab markup ------------------------------------------


def normalise_inlines(inlines):
    """What a word processor does to runs undone: LibreOffice splits a run wherever the direction changes
    (pandoc's reader gives ``dir=rtl`` spans) and may nest or split a styled run. Direction spans are
    spliced out and neighbouring spans of one style joined, so :func:`import_inlines` sees whole runs."""
    out = []
    for el in inlines:
        if el.get("t") == "Span":
            (ident, classes, attrs), content = el["c"]
            if not ident and not classes and set(dict(attrs)) <= {"dir"}:
                out.extend(content)
                continue
            style = dict(attrs).get("custom-style")
            if style and out and out[-1].get("t") == "Span" and out[-1]["c"][0] == el["c"][0]:
                out[-1] = {"t": "Span", "c": [el["c"][0], out[-1]["c"][1] + content]}
                continue
        out.append(el)
    if len(out) != len(inlines):
        return normalise_inlines(out)  # splicing may have brought two runs of one style together
    return out


def import_inlines(inlines):
    """The inverse of :func:`export_inlines` on what pandoc's docx reader (``+styles``) gives."""
    out = []
    for el in inlines:
        if el.get("t") != "Span":
            out.append(el)
            continue
        (ident, classes, attrs), content = el["c"]
        attrs = dict(attrs)
        style = attrs.pop("custom-style", None)
        if not content and (ident or "anchor" in classes):
            continue  # a bookmark: the hidden id after the anchor says where it was
        if style == STYLE_GLOSS:
            continue
        if style == STYLE_CHAPTER:
            out.append(el)  # read by the importer, in a chapter's title
        elif style in (STYLE_INDEX_ENTRY, STYLE_ANCHOR_ID):
            value = plain(content).strip().strip("[]").strip()
            kind = "idx" if style == STYLE_INDEX_ENTRY else "anchor"
            prev = next((x for x in reversed(out) if x.get("t") == "Span" and kind in x["c"][0][1]), None)
            if prev is not None and value:
                if kind == "idx":
                    prev["c"][0][2] = [["entry", value]]
                else:
                    prev["c"][0] = [value.lstrip("#"), [], []]
        elif style in (STYLE_SHAMSI, STYLE_MILADI):
            out.append(span(content, "", ["shamsi" if style == STYLE_SHAMSI else "miladi"]))
        elif style == STYLE_INDEX:
            out.append(span(content, "", ["idx"]))
        elif style == STYLE_ANCHOR:
            out.append(span(content, "", ["anchor"]))  # its id follows as hidden text
        elif not ident and not classes and (style is not None or set(attrs) <= {"dir"}):
            out.extend(content)  # a character style ketab does not know, or pandoc's dir=rtl: keep the text
        else:
            out.append({"t": "Span", "c": [[ident, classes, [[k, v] for k, v in attrs.items()]], content]})
    unmarked = []
    for x in out:  # an anchor whose id never came keeps its text
        if x.get("t") == "Span" and x["c"][0][1] == ["anchor"]:
            unmarked.extend(x["c"][1])
        else:
            unmarked.append(x)
    return _tidy(unmarked)


def _tidy(inlines):
    """Drop the space a removed gloss leaves before punctuation or at the end, and merge adjacent Str."""
    out = []
    for el in inlines:
        if out and el.get("t") == "Str" and out[-1].get("t") == "Str":
            out[-1] = {"t": "Str", "c": out[-1]["c"] + el["c"]}
        else:
            out.append(el)
    while out and out[-1].get("t") == "Space":
        out.pop()
    return out
