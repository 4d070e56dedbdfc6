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
    from ketab import render

    css = render.environment(templates).get_template("fonts.css.j2").render(fonts="")
    names = dict.fromkeys(m.lstrip("/") for m in re.findall(r'url\("([^"]+)"\)', css))
    return [Path(templates) / "fonts" / n for n in names]


@functools.lru_cache(maxsize=8)
def _coverage(paths: tuple[str, ...]) -> frozenset:
    from fontTools.ttLib import TTFont

    covered = set()
    for p in paths:
        covered.update(TTFont(p, lazy=True).getBestCmap())
    return frozenset(covered)


def coverage(templates: Path) -> frozenset:
    return _coverage(tuple(str(p) for p in font_files(templates)))


def _needs_glyph(ch: str) -> bool:
    return unicodedata.category(ch) not in ("Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn") or ch == "\u00a0"


def check_coverage(book, templates: Path, diags: Collector) -> None:
    """A warning for each character of a chapter that no font of the book has (once per chapter)."""
    from lxml import html as lxml_html

    covered = coverage(templates)
    for part in book.parts:
        ch = part.converted.chapter
        root = lxml_html.fragment_fromstring(part.converted.html or "<p></p>", create_parent="div")
        for el in root.iter("img"):  # drawn pictures of formulas carry their TeX as alt text
            el.attrib.pop("alt", None)
        text = (ch.title or "") + " " + root.text_content()
        missing = sorted({c for c in text if ord(c) not in covered and _needs_glyph(c) and c not in " \u00a0"})
        for c in missing:
            pos = ch.body.find(c)
            line = ch.body_line + ch.body.count("\n", 0, pos) if pos >= 0 else 1
            name = unicodedata.name(c, "unnamed")
            diags.warning(ch.path, line, f"character {c} (U+{ord(c):04X} {name}) is in none of the book's fonts: it prints as an empty box",
                          "font.missing-glyph")
