"""Digits and bidi isolation in generated HTML.

WeasyPrint ignores ``unicode-bidi``, so a Latin run inside Persian text is laid out right only when it stands
in an element of its own with ``dir="ltr"``.  :func:`localize_html` puts every Latin run of a Persian
fragment in ``<span class="latin" dir="ltr" lang="und-Latn">`` and writes the digits of Persian text with
Persian digits.  The Latin run is the one :mod:`ketab.persian.script` defines (so ``The Wall Street
Journal``, ``Bernard-Henri Lévy``, ``COVID-19``, ``2 September 1953`` are one run each; ``سال 1953``
becomes ``سال ۱۹۵۳``).  A run may cross inline elements (``The <em>Wall Street</em> Journal`` is wrapped
whole, so its words keep their order); an element that contains only Latin text (``<p>Version 2.0
(2021)</p>``) is wrapped whole.

Never changed: attribute values; the content of ``code``, ``pre``, ``kbd``, ``samp``, ``var``, ``math``,
``svg``, ``script``, ``style``, ``bdi``, ``bdo``, ``.math`` spans; elements that already carry ``dir`` or a
``lang`` other than Persian (they are wrapped as a whole, if at all).  Footnote calls
(``a.footnote-ref`` / ``role="doc-noteref"``) always get Persian digits.  The function is idempotent and
returns its input unchanged when there is nothing to do or the language is not written with Persian digits.
"""

from __future__ import annotations

import html as _html
import re
from bisect import bisect_right
from dataclasses import dataclass

import lxml.html
from lxml import etree

from .script import has_arabic_letter, has_ltr_letter, ltr_runs, script_subtag
from .digits import is_persian_language, to_persian_digits

__all__ = ["isolate_text", "localize_html"]

_BLOCK = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hgroup html li main nav ol p section summary table tbody "
    "td tfoot th thead tr ul legend menu".split()
)
_OPAQUE = frozenset("code pre kbd samp var script style math svg textarea bdi bdo template select".split())
_BREAK = frozenset("br hr img input video audio iframe object embed canvas button".split())
_PERSIAN_LANGS = re.compile(r"(?i)(?:fa|fas|per|pes|prs)(?:-|$)")
_DIGITS = re.compile("[0-9٠-٩]")
_DIGIT_GROUPS = re.compile("[0-9]+|[٠-٩]+")  # a Latin run holds ASCII digits only

_ATOM_LTR = "A"  # stands for an opaque left-to-right element in the flattened text
_BOUNDARY = "\u2029"  # stands for anything a run may not cross


@dataclass
class _Text:
    owner: etree._Element
    attr: str  # 'text' or 'tail'
    start: int
    value: str


@dataclass
class _Atom:
    element: etree._Element
    start: int
    ltr: bool


def _container_of(piece: _Text) -> tuple[etree._Element, int]:
    """(parent element, slot) of a text piece: slot -1 is ``parent.text``, slot i is ``parent[i].tail``."""
    if piece.attr == "text":
        return piece.owner, -1
    parent = piece.owner.getparent()
    return parent, parent.index(piece.owner)


def _slot_text(parent: etree._Element, slot: int) -> str:
    return (parent.text if slot == -1 else parent[slot].tail) or ""


def _set_slot(parent: etree._Element, slot: int, value: str) -> None:
    if slot == -1:
        parent.text = value or None
    else:
        parent[slot].tail = value or None


def _ref_text(container: etree._Element, ref: etree._Element | None) -> str:
    return (container.text if ref is None else ref.tail) or ""


def _split(container: etree._Element, ref: etree._Element | None, offset: int) -> etree._Element:
    """Split the inline element *container* at a point: what follows the point moves to a copy of the
    element (without its ``id``) inserted right after it.  Returns the copy."""
    second = etree.Element(container.tag, {k: v for k, v in container.attrib.items() if k != "id"})
    text = _ref_text(container, ref)
    if ref is None:
        container.text = text[:offset] or None
        following = list(container)
    else:
        ref.tail = text[:offset] or None
        following = list(container)[container.index(ref) + 1:]
    second.text = text[offset:] or None
    for child in following:
        second.append(child)
    second.tail = container.tail
    container.tail = None
    container.addnext(second)
    return second


def _classify(el: etree._Element) -> str:
    if not isinstance(el.tag, str):
        return "skip"  # comment, processing instruction
    tag = el.tag.lower()
    lang = el.get("lang") or el.get("{http://www.w3.org/XML/1998/namespace}lang")
    classes = (el.get("class") or "").split()
    if tag in _OPAQUE or el.get("dir") in ("ltr", "auto") or "math" in classes:
        return "opaque"
    if lang is not None and not _PERSIAN_LANGS.match(lang.strip()):
        return "opaque"
    if el.get("role") == "doc-noteref" or "footnote-ref" in classes or "note" in classes:
        return "separate"  # a note (ketab's inline span.note) is a text of its own
    if tag in _BLOCK:
        return "block"
    if tag in _BREAK:
        return "break"
    if tag == "wbr":
        return "skip"
    return "inline"


class _Localizer:
    def __init__(self) -> None:
        self.changed = False

    # -- flattening ---------------------------------------------------------------------------------------

    def _flatten(self, root: etree._Element) -> tuple[str, list, list]:
        pieces: list[_Text | _Atom] = []
        parts: list[str] = []
        nested: list[etree._Element] = []
        pos = 0

        def add(piece, chars: str) -> None:
            nonlocal pos
            if piece is not None:
                pieces.append(piece)
            parts.append(chars)
            pos += len(chars)

        def walk(node: etree._Element) -> None:
            if node.text:
                add(_Text(node, "text", pos, node.text), node.text)
            for child in node:
                kind = _classify(child)
                if kind == "inline":
                    walk(child)
                elif kind == "opaque" and not (child.text_content().strip() or child.get("dir") == "ltr"):
                    pass  # an empty element: as if it were not there
                elif kind == "opaque":
                    text = child.text_content()
                    ltr = child.get("dir") == "ltr" or (has_ltr_letter(text) and not has_arabic_letter(text))
                    add(_Atom(child, pos, ltr), _ATOM_LTR if ltr else _BOUNDARY)
                elif kind in ("block", "separate"):
                    nested.append(child)
                    add(None, _BOUNDARY)
                elif kind == "break":
                    add(None, _BOUNDARY)
                if child.tail:
                    add(_Text(child, "tail", pos, child.tail), child.tail)

        walk(root)
        return "".join(parts), pieces, nested

    # -- one container ------------------------------------------------------------------------------------

    def container(self, root: etree._Element) -> None:
        flat, pieces, nested = self._flatten(root)
        if has_arabic_letter(flat):
            runs = ltr_runs(flat)
            digits = True
        elif has_ltr_letter(flat.replace(_BOUNDARY, " ")):
            # No Persian at all: the whole content (between boundaries) is one Latin run.
            runs = [
                (m.start(), m.end())
                for m in re.finditer(rf"[^\s{_BOUNDARY}](?:[^{_BOUNDARY}]*[^\s{_BOUNDARY}])?", flat)
                if has_ltr_letter(m.group()) or _DIGITS.search(m.group())
            ]
            digits = False
        else:
            runs = []
            digits = True
        if digits:
            self._convert_digits(pieces, runs)
        for start, end in reversed(runs):
            self._wrap_run(flat, pieces, start, end)
        for child in nested:
            self.container(child)

    def _convert_digits(self, pieces: list, runs: list[tuple[int, int]]) -> None:
        """Persian digits in every text piece, except inside a Latin run."""
        starts = [a for a, _ in runs]

        def in_run(at: int) -> bool:
            i = bisect_right(starts, at) - 1
            return i >= 0 and at < runs[i][1]

        for piece in pieces:
            if not isinstance(piece, _Text) or not _DIGITS.search(piece.value):
                continue
            value = _DIGIT_GROUPS.sub(
                lambda m: m[0] if m[0][0] <= "9" and in_run(piece.start + m.start()) else to_persian_digits(m[0]),
                piece.value,
            )
            if value != piece.value:
                setattr(piece.owner, piece.attr, value)
                piece.value = value
                self.changed = True

    # -- wrapping -----------------------------------------------------------------------------------------

    @staticmethod
    def _piece_at(pieces: list, offset: int):
        i = bisect_right([p.start for p in pieces], offset) - 1
        while i >= 0:
            piece = pieces[i]
            length = len(piece.value) if isinstance(piece, _Text) else 1
            if piece.start <= offset < piece.start + length:
                return piece
            if piece.start < offset:
                return None
            i -= 1
        return None

    def _wrap_run(self, flat: str, pieces: list, start: int, end: int) -> None:
        first = self._piece_at(pieces, start)
        last = self._piece_at(pieces, end - 1)
        if first is None or last is None:
            return
        if first is last and isinstance(first, _Atom) and first.element.get("dir") == "ltr":
            return  # already isolated
        shown = "".join(
            p.value[max(0, start - p.start):end - p.start] if isinstance(p, _Text) else p.element.text_content()
            for p in pieces
            if p.start < end and p.start + (len(p.value) if isinstance(p, _Text) else 1) > start
        )
        lang = script_subtag(shown)
        # Points are (container, ref, offset): ref None is container.text, else ref.tail.
        if isinstance(first, _Text):
            s = (first.owner, None, start - first.start) if first.attr == "text" else (
                first.owner.getparent(), first.owner, start - first.start)
        else:
            prev = first.element.getprevious()
            s = (first.element.getparent(), prev, len(_ref_text(first.element.getparent(), prev)))
        if isinstance(last, _Text):
            e = (last.owner, None, end - last.start) if last.attr == "text" else (
                last.owner.getparent(), last.owner, end - last.start)
        else:
            e = (last.element.getparent(), last.element, 0)
        lifted = self._lift(s, e)
        if lifted:
            top, s, e = lifted
            i = -1 if s[1] is None else top.index(s[1])
            j = -1 if e[1] is None else top.index(e[1])
            if (i, s[2]) <= (j, e[2]):
                self._wrap(top, i, s[2], j, e[2], lang)
                return
        self._wrap_pieces(pieces, start, end, lang)

    @staticmethod
    def _lift(s, e):
        """Bring both points up to their lowest common ancestor, splitting inline elements a point falls
        inside («<em>فارسی The</em> Wall» → «<em>فارسی </em><em>The</em> Wall»).  None if that is not
        possible (a ``q`` element, whose quotation marks would double)."""
        chain = []
        node = s[0]
        while node is not None:
            chain.append(node)
            node = node.getparent()
        top = e[0]
        while top not in chain:
            top = top.getparent()
        # Nothing is split unless both points can be brought up.
        for point in (s, e):
            node = point[0]
            while node is not top:
                if node.tag == "q":
                    return None
                node = node.getparent()
        while s[0] is not top:
            container, ref, offset = s
            parent = container.getparent()
            if ref is not None or offset != 0:
                second = _split(container, ref, offset)
                if e[0] is parent and e[1] is container:
                    e = (parent, second, e[2])
                container = second
            prev = container.getprevious()
            s = (parent, prev, len(_ref_text(parent, prev)))
        while e[0] is not top:
            container, ref, offset = e
            parent = container.getparent()
            last = container[-1] if len(container) else None
            if ref is not last or offset != len(_ref_text(container, ref)):
                _split(container, ref, offset)
            e = (parent, container, 0)
        return top, s, e

    def _wrap(self, parent, i: int, oi: int, j: int, oj: int, lang: str) -> None:
        if (i, oi) >= (j, oj):
            return
        span = etree.Element("span", {"class": "latin", "dir": "ltr", "lang": lang})
        if i == j:
            text = _slot_text(parent, i)
            _set_slot(parent, i, text[:oi])
            span.text = text[oi:oj] or None
            span.tail = text[oj:] or None
        else:
            text = _slot_text(parent, i)
            _set_slot(parent, i, text[:oi])
            span.text = text[oi:] or None
            moved = [parent[k] for k in range(i + 1, j + 1)]
            tail = moved[-1].tail or ""
            moved[-1].tail = tail[:oj] or None
            for child in moved:
                span.append(child)
            span.tail = tail[oj:] or None
        parent.insert(i + 1, span)
        self.changed = True

    def _wrap_pieces(self, pieces: list, start: int, end: int, lang: str) -> None:
        """Fallback for a run that cannot be wrapped whole: wrap its part in each text node."""
        for piece in reversed(pieces):
            if not isinstance(piece, _Text):
                continue
            a = max(start, piece.start) - piece.start
            b = min(end, piece.start + len(piece.value)) - piece.start
            if a >= b:
                continue
            part = piece.value[a:b]
            stripped = part.strip()
            if not stripped or not (has_ltr_letter(stripped) or _DIGITS.search(stripped)):
                continue
            a += len(part) - len(part.lstrip())
            b -= len(part) - len(part.rstrip())
            parent, slot = _container_of(piece)
            self._wrap(parent, slot, a, slot, b, lang)


def _inner_html(root: etree._Element) -> str:
    parts = [_html.escape(root.text, quote=False)] if root.text else []
    parts.extend(lxml.html.tostring(child, encoding="unicode") for child in root)
    return "".join(parts)


def localize_html(html: str, lang: str) -> str:
    """Isolate Latin runs and write Persian digits in the HTML fragment *html* (see the module docstring).

    *html* is the body content of one chapter as pandoc writes it; for a language not written with Persian
    digits (``fa``, ``fa-AF``, ``prs``, ``ps``, ``ur``), or when nothing needs changing, it is returned as is.
    """
    if not is_persian_language(lang) or not html.strip():
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    localizer = _Localizer()
    localizer.container(root)
    if not localizer.changed:
        return html
    lead = html[: len(html) - len(html.lstrip())]
    if lead and not (root.text or "").startswith(lead):
        root.text = lead + (root.text or "")
    return _inner_html(root)


def isolate_text(s: str, lang: str) -> str:
    """The plain string *s* as HTML-escaped markup, with :func:`localize_html`'s treatment (for titles in
    running heads, the contents, …)."""
    if not is_persian_language(lang):
        return _html.escape(s, quote=False)
    root = etree.Element("div")
    root.text = s
    _Localizer().container(root)
    return _inner_html(root)
