"""The book's fonts, and nothing else.

* :func:`isolate` points fontconfig at a configuration that knows only the book's font folder, so WeasyPrint
  cannot fill a missing glyph from a font of the machine (DejaVu, Liberation…): the PDFs are the same on every
  machine and embed only the book's fonts.
* :func:`check_coverage` warns, with the file and line, about every character that none of the book's fonts
  can draw (it would print as an empty box).
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from pathlib import Path

from ketab.diagnostics import Collector

_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""


def isolate(templates: Path, work_dir: Path) -> None:
    """Make fontconfig (hence WeasyPrint) see only ``templates/fonts``.  Call before any layout."""
    work_dir.mkdir(parents=True, exist_ok=True)
    conf = work_dir / "fonts.conf"
    text = _CONF.format(fonts=(Path(templates) / "fonts").resolve(), cache=(work_dir / "fontconfig-cache").resolve())
    if not conf.exists() or conf.read_text(encoding="utf-8") != text:
        conf.write_text(text, encoding="utf-8")
    os.environ["FONTCONFIG_FILE"] = str(conf.resolve())


def font_files(templates: Path) -> list[Path]:
    """The font files the book's stylesheet names (templates/fonts.css.j2), in its order."""
    import jinja2  # not ketab.render, which imports this module

    css = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), autoescape=False).get_template("fonts.css.j2").render(fonts="")
    names = dict.fromkeys(m.lstrip("/") for m in re.findall(r'url\("([^"]+)"\)', css))
    return [Path(templates) / "fonts" / n for n in names]


@functools.lru_cache(maxsize=8)
def _coverage(paths: tuple[str, ...]) -> frozenset:
    from fontTools.ttLib import TTFont

    covered = set()
    for p in paths:
        covered.update(TTFont(p, lazy=True).getBestCmap())
    return frozenset(covered)


def coverage(templates: Path, config=None) -> frozenset:
    own = [str(config.path.parent / rel) for rel in manuscript_font_files(config)] if config is not None else []
    return _coverage(tuple(str(p) for p in font_files(templates)) + tuple(own))


def _needs_glyph(ch: str) -> bool:
    return unicodedata.category(ch) not in ("Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn") or ch == "\u00a0"


def check_coverage(book, templates: Path, diags: Collector) -> None:
    """A warning for each character of a chapter that no font of the book has (once per chapter)."""
    from lxml import html as lxml_html

    covered = coverage(templates, book.config)
    for part in book.parts:
        ch = part.converted.chapter
        root = lxml_html.fragment_fromstring(part.converted.html or "<p></p>", create_parent="div")
        for el in list(root.iter("math")):  # formulas are drawn as pictures (ziamath has its own math font)
            tail = el.tail
            el.clear()
            el.tail = tail
        text = (ch.title or "") + " " + root.text_content()
        missing = sorted({c for c in text if ord(c) not in covered and _needs_glyph(c) and c not in " \u00a0"})
        for c in missing:
            pos = ch.body.find(c)
            line = ch.body_line + ch.body.count("\n", 0, pos) if pos >= 0 else 1
            name = unicodedata.name(c, "unnamed")
            diags.warning(ch.path, line, f"character {c} (U+{ord(c):04X} {name}) is in none of the book's fonts: it prints as an empty box",
                          "font.missing-glyph")


_DEFAULT = {"body": '"Parastoo"', "headings": '"Vazirmatn"', "latin": '"Noto Serif", "Noto Serif Ext"', "mono": '"Vazir Code"'}
_STYLE = {"regular": (400, "normal"), "bold": (700, "normal"), "italic": (400, "italic"), "bold_italic": (700, "italic")}


def manuscript_font_files(config) -> list[str]:
    """The font files of ``fonts:`` in book.yaml (paths relative to the manuscript), in order."""
    return [rel for face in config.fonts.values() if isinstance(face, dict) for rel in face.values()]


def book_fonts_css(config, url_for) -> str:
    """CSS for ``fonts:`` in book.yaml, to follow templates/book.css: ``@font-face`` rules for the manuscript's
    own files (``url_for(rel)`` gives their URL) and the font stacks of the roles that were set.  Empty when
    the book keeps the defaults."""
    if not config.fonts:
        return ""
    css, family = [], dict(_DEFAULT)
    for role, face in config.fonts.items():
        if isinstance(face, str):
            family[role] = '"Noto Serif", "Noto Serif Ext"' if face == "Noto Serif" else f'"{face}"'
            continue
        name = f"Book {role.title()}"
        for style, rel in face.items():
            weight, slant = _STYLE[style]
            css.append(f'@font-face {{ font-family: "{name}"; font-weight: {weight}; font-style: {slant}; src: url("{url_for(rel)}"); }}')
        family[role] = f'"{name}"'
    rest = '"Parastoo", "Noto Serif", "Noto Serif Ext", "Vazirmatn", "Vazir Code"'
    set_ = config.fonts
    if "body" in set_ or "latin" in set_:
        css.append(f"html {{ font-family: {family['body']}, {family['latin']}, {rest}; }}")
        css.append(f'html[dir="ltr"] {{ font-family: {family["body"] if "body" in set_ else family["latin"]}, {family["latin"]}, {rest}; }}')
        css.append(f".latin {{ font-family: {family['latin']}, {rest}; }}")
    if "headings" in set_:
        css.append(f"h1, h2, h3, h4, h5, h6, .chapter-head .subtitle, .chapter-head .byline {{ font-family: {family['headings']}, {rest}; }}")
    if "mono" in set_:
        css.append(f"code, pre, kbd, samp {{ font-family: {family['mono']}, {rest}; }}")
    return "\n".join(css) + "\n"


_UNPACKED: dict[tuple[str, int, int], bytes] = {}
"""(resolved path, size, mtime) of a WOFF2 file → its TrueType bytes (see :func:`unpack_web_fonts`)."""


def _stat_key(path: Path) -> tuple[str, int, int]:
    resolved = path.resolve()
    st = resolved.stat()
    return str(resolved), st.st_size, st.st_mtime_ns


def unpack_web_fonts(paths, cache=None) -> None:
    """Unpack the WOFF2 files among ``paths`` once per build, before any layout.

    WeasyPrint unpacks every WOFF2 face again for every font configuration, that is in every layout
    worker and in the build process itself (fontTools, in Python: ~0.5 s for the eight Noto Serif files).
    Unpacked here, with the same fontTools call, the TrueType bytes are what the fetcher serves for the
    file (:func:`unpacked`): WeasyPrint gets the very bytes it would have made, and workers forked later
    inherit them.  ``cache`` (the build cache) keeps them between builds."""
    import io

    from fontTools import version as fonttools_version
    from fontTools.ttLib import woff2

    from ketab.cache import digest

    for path in paths:
        path = Path(path)
        try:
            if path.suffix.lower() != ".woff2" or not path.is_file():
                continue
            key = _stat_key(path)
            if key in _UNPACKED:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        entry = digest("woff2-unpacked", fonttools_version, data)
        ttf = cache.get("font", entry) if cache is not None else None
        if ttf is None:
            out = io.BytesIO()
            try:
                woff2.decompress(io.BytesIO(data), out)
            except Exception:  # noqa: BLE001 - not a font fontTools reads: WeasyPrint reports it as it always did
                continue
            ttf = out.getvalue()
            if cache is not None:
                cache.put("font", entry, ttf)
        _UNPACKED[key] = ttf


def unpacked(path: Path) -> bytes | None:
    """The TrueType bytes of the WOFF2 file at ``path`` if :func:`unpack_web_fonts` unpacked it (and it
    has not changed since), else None."""
    if not _UNPACKED:
        return None
    try:
        return _UNPACKED.get(_stat_key(path))
    except OSError:
        return None
