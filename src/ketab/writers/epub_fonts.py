"""The EPUB's fonts: only the faces the book's documents use, each cut down to the characters
set in it, with every OpenType layout feature kept (GSUB/GPOS: Persian joining, ligatures,
mark positioning still work on the subset).

Which face sets which text is decided the way a browser does: the book's CSS is matched
against every content document (cssselect2, the selector engine WeasyPrint uses), the
cascade and inheritance give each element its font-family and font-weight, and the first
embedded family of the list with the nearest weight (CSS font matching) is its face.
"""

from __future__ import annotations

import io
import json
import logging
import re
import unicodedata
from dataclasses import dataclass

import cssselect2
import tinycss2
from fontTools import subset
from fontTools.ttLib import TTFont

logging.getLogger("fontTools").setLevel(logging.ERROR)

XHTML = "{http://www.w3.org/1999/xhtml}"
UA_CSS = "h1, h2, h3, h4, h5, h6, b, strong, th { font-weight: bold; } i, em, cite, var, dfn { font-style: italic; } "
"""The user agent's rules that choose a face."""
ALWAYS = set("0123456789.,:;!?()[]-–—*/ \u00a0\u200c\u200d\u200e\u200f\u2066\u2067\u2068\u2069")
"""Characters every face keeps: digits (list and note numbers a reading system may draw),
punctuation, spaces, joiners and bidi controls."""
ALWAYS_ARABIC = set("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩،؛؟«»")
"""And a face that sets Arabic script: its digits and punctuation."""


@dataclass(frozen=True)
class Face:
    family: str
    weight: int
    file: str
    """The font's URL in the EPUB's CSS (``../fonts/…``)."""
    style: str = "normal"
    """``normal`` or ``italic`` (``oblique`` is taken for italic)."""


def faces_from_css(css: str) -> list[Face]:
    """The ``@font-face`` rules of ``css``."""
    faces = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.lower_at_keyword == "font-face":
            decls = _declarations(rule.content)
            family = decls.get("font-family", "").strip().strip("\"'")
            weight = _weight(decls.get("font-weight", "400"), 400)
            url = re.search(r"""url\(\s*["']?([^"')]+)""", decls.get("src", ""))
            if family and url:
                faces.append(Face(family, weight, url.group(1), _style(decls.get("font-style", "normal"), "normal")))
    return faces


def characters_by_face(documents, css: str, faces: list[Face], coverage: dict | None = None, cache=None, salt: str = "", keys=None) -> dict[Face, set[str]]:
    """For each face, the characters of ``documents`` (XHTML roots) it sets.  ``coverage`` (face file → the code
    points its font has) lets a character fall through the family list to the first face that has it, as a
    reading system's font fallback does (Latin in a Persian paragraph: Noto Serif).

    ``cache`` (the build cache, may be None): each document's characters are kept under its bytes (or its
    ``keys`` entry: the XHTML it was parsed from, before the page markers, which set no character), the CSS,
    the faces and ``salt`` (what ``coverage`` was read from), so an edit walks only the documents it changed."""
    from lxml import etree

    from ketab.cache import digest

    context = digest("epub-characters/1", css, repr(faces), salt) if cache is not None else None
    used: dict[Face, set[str]] = {f: set() for f in faces}
    matcher = None
    for n, root in enumerate(documents):
        key = digest(context, keys[n] if keys is not None else etree.tostring(root)) if context is not None else None
        found = cache.get("epub-characters", key) if key is not None else None
        if found is not None:
            for index, characters in json.loads(found):
                used[faces[index]].update(characters)
            continue
        matcher = matcher or _matcher(css, cache)
        part: dict[Face, set[str]] = {f: set() for f in faces}
        wrapper = cssselect2.ElementWrapper.from_xml_root(root)
        _walk(wrapper, (["serif"], 400, "normal"), (matcher, faces, {f.family for f in faces}, part, coverage, ({}, {})))
        for face, characters in part.items():
            used[face] |= characters
        if key is not None:
            entry = [[faces.index(f), "".join(sorted(c))] for f, c in part.items() if c]
            cache.put("epub-characters", key, json.dumps(entry, ensure_ascii=False).encode("utf-8"))
    return {face: chars for face, chars in used.items() if chars}


def _matcher(css: str, cache=None):
    """The book's rules that choose a face (``font-family``, ``-weight``, ``-style``), compiled for cssselect2;
    the rules are read from ``css`` once and kept in the build cache (``cache``, may be None)."""
    from ketab.cache import digest

    key = digest("epub-face-rules/1", css) if cache is not None else None
    found = cache.get("epub-face-rules", key) if key is not None else None
    if found is not None:
        rules = json.loads(found)
    else:
        rules = []
        for rule in tinycss2.parse_stylesheet(UA_CSS + css, skip_comments=True, skip_whitespace=True):
            if rule.type == "qualified-rule":
                decls = {k: v for k, v in _declarations(rule.content).items() if k in ("font-family", "font-weight", "font-style")}
                if decls:
                    rules.append((tinycss2.serialize(rule.prelude), decls))
        if key is not None:
            cache.put("epub-face-rules", key, json.dumps(rules, ensure_ascii=False).encode("utf-8"))
    matcher = cssselect2.Matcher()
    order = 0
    for prelude, decls in rules:
        try:
            selectors = cssselect2.compile_selector_list(prelude)
        except cssselect2.SelectorError:
            continue
        for selector in selectors:
            if selector.pseudo_element is None:
                matcher.add_selector(selector, (order, decls))
        order += 1
    return matcher


def _font(decls: dict, inherited: tuple) -> tuple:
    """(family list, weight, style) after ``decls``, inheriting what they do not set."""
    family, weight, style = inherited
    if "font-family" in decls:
        family = [f.strip().strip("\"'") for f in decls["font-family"].split(",")]
    if "font-weight" in decls:
        weight = _weight(decls["font-weight"], weight)
    if "font-style" in decls:
        style = _style(decls["font-style"], style)
    return family, weight, style


def _walk(wrapper, font, ctx) -> None:
    matcher, faces, families, used, coverage = ctx[:5]
    chains, faces_of = ctx[5] if len(ctx) > 5 else ({}, {})
    element = wrapper.etree_element
    if not isinstance(element.tag, str):
        return
    matches = sorted(matcher.match(wrapper), key=lambda m: (m[0], m[1]))  # specificity, then order
    for match in matches:
        font = _font(match[-1][1], font)
    inline_style = element.get("style") or ""
    if "font" in inline_style:
        font = _font(_declarations(tinycss2.parse_blocks_contents(inline_style)), font)
    family, weight, style = font
    family = family if isinstance(family, list) else [family]
    # the embedded families of the list, each at its nearest face: a character goes to the first that has it
    names = (tuple(name for name in family if name in families), weight, style)
    chain = chains.get(names)
    if chain is None:
        chain = chains[names] = [f for f in (_face([name], weight, faces, families, style) for name in names[0]) if f is not None]
    face_of = faces_of.setdefault(tuple(chain), {})

    def add(text: str) -> None:
        for c in set(text):  # each character once: a face's characters are a set
            face = face_of.get(c)
            if face is None:
                face = face_of[c] = next((f for f in chain if coverage is None or f.file not in coverage or ord(c) in coverage[f.file]), chain[0])
            used[face].add(c)

    if chain:
        add(element.text or "")
        if element.tag in (XHTML + "hr", "hr"):
            add("* ")
    for child in wrapper.iter_children():
        _walk(child, font, ctx)
        if chain and child.etree_element.tail:
            add(child.etree_element.tail)


def _face(family: list[str], weight: int, faces: list[Face], families: set[str], style: str = "normal") -> Face | None:
    name = next((f for f in family if f in families), None)
    if name is None:
        return None
    candidates = [f for f in faces if f.family == name]
    # CSS font matching: the style first (italic falls back to normal), then the weight
    return min(candidates, key=lambda f: (f.style != style, _weight_distance(weight, f.weight)))


def _style(value: str, inherited: str) -> str:
    value = value.strip().lower().replace("!important", "").strip()
    if value in ("italic", "oblique") or value.startswith("oblique"):
        return "italic"
    if value == "normal":
        return "normal"
    return inherited


def _weight_distance(wanted: int, have: int) -> tuple:
    """CSS font matching: 400 looks at 500 first, then lighter; lighter weights look lighter
    first; bolder weights look bolder first."""
    if have == wanted:
        return (0, 0)
    if wanted == 400 and have == 500:
        return (1, 0)
    if wanted <= 500:
        return (2, wanted - have) if have < wanted else (3, have - wanted)
    return (2, have - wanted) if have > wanted else (3, wanted - have)


def _weight(value: str, inherited: int) -> int:
    value = value.strip().lower().replace("!important", "").strip()
    if value == "normal":
        return 400
    if value == "bold":
        return 700
    if value == "bolder":
        return 700 if inherited < 600 else 900
    if value == "lighter":
        return 100 if inherited < 600 else 400
    return int(value) if value.isdigit() else inherited


def _declarations(tokens) -> dict[str, str]:
    out = {}
    for decl in tinycss2.parse_declaration_list(tokens, skip_comments=True, skip_whitespace=True):
        if decl.type == "declaration":
            out[decl.lower_name] = tinycss2.serialize(decl.value).strip()
    return out


def coverage_of(data: bytes) -> set[int]:
    """The code points a font (TTF, OTF, WOFF, WOFF2) has."""
    return set(TTFont(io.BytesIO(data), lazy=True).getBestCmap() or {})


def coverage_cached(data: bytes, cache=None) -> set[int]:
    """:func:`coverage_of`, kept in the build cache (may be None) under the font's bytes."""
    if cache is None:
        return coverage_of(data)
    from ketab.cache import digest

    key = digest("font-coverage/1", data)
    found = cache.get("font-coverage", key)
    if found is not None:
        return set(json.loads(found))
    points = coverage_of(data)
    cache.put("font-coverage", key, json.dumps(sorted(points)).encode())
    return points


def subset_font(data: bytes, characters: set[str]) -> bytes:
    """``data`` (TTF, OTF, WOFF or WOFF2: written back in the same form) cut down to ``characters`` and the
    glyphs their shaping needs.

    Every layout feature and script is kept (the closure over GSUB brings in the joining forms
    and ligatures the characters can take); hinting, glyph names and the FontForge timestamp
    table go."""
    options = subset.Options()
    options.layout_features = ["*"]
    options.layout_scripts = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.hinting = False
    options.notdef_outline = True
    options.glyph_names = False
    options.legacy_kern = True
    options.drop_tables = options.drop_tables + ["FFTM"]
    font = TTFont(io.BytesIO(data))
    subsetter = subset.Subsetter(options)
    arabic = any("\u0600" <= c <= "\u06ff" for c in characters)
    text = {c for c in characters | ALWAYS | (ALWAYS_ARABIC if arabic else set()) if unicodedata.category(c) not in ("Cc",)}
    subsetter.populate(unicodes=sorted(ord(c) for c in text))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def subset_font_cached(data: bytes, characters: set[str], cache=None) -> bytes:
    """:func:`subset_font`, kept in the build cache (``cache``, may be None) under the font's bytes and the
    characters: a rebuild after an edit that brings no new character does not cut the faces again (~0.7 s).
    fontTools stamps the subset with SOURCE_DATE_EPOCH: it is part of the key (without it, nothing is kept)."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if cache is None or not epoch:
        return subset_font(data, characters)
    from fontTools import version as fonttools_version

    from ketab.cache import digest

    key = digest("epub-font-subset", fonttools_version, epoch, digest(data), "".join(sorted(characters)))
    found = cache.get("epub-font", key)
    if found is None:
        found = subset_font(data, characters)
        cache.put("epub-font", key, found)
    return found


def drop_faces(css: str, kept: set[str]) -> str:
    """``css`` without the ``@font-face`` rules whose file is not in ``kept``."""

    def keep(m):
        url = re.search(r"""url\(\s*["']?([^"')]+)""", m.group(0))
        return m.group(0) if url and url.group(1) in kept else ""

    return re.sub(r"@font-face\s*\{[^}]*\}\s*", keep, css)
