"""TeX math for the print PDF: WeasyPrint draws no MathML, so each ``<math>`` pandoc wrote becomes an SVG
picture drawn by ziamath (pure Python, its own STIX Two Math outlines: the PDF gets paths, not a font).
The EPUB keeps the MathML."""

from __future__ import annotations

import base64
import functools
import logging
import re

from lxml import etree
from lxml import html as lxml_html

SIZE = 20.0  # ziamath's font size for the drawing; the picture is then scaled to the text in em
_MATH = re.compile(r"<math\b.*?</math>", re.S)


class _ZiamathNotes(logging.Filter):
    """ziamath and ziafont write on the root logger itself (``logging.warning``) about MathML they skip
    ("Undefined element …"): those records are dropped there, and only those.  (Raising the root logger's
    level instead silenced every logger that inherits it for the rest of the process: WeasyPrint's
    warnings of every unit laid out after the first formula were lost.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or not _ZIA.search(record.pathname or "")


_ZIA = re.compile(r"[\\/]zia(?:math|font)[\\/]")


def _quiet_ziamath() -> None:
    root = logging.getLogger()
    if not any(isinstance(f, _ZiamathNotes) for f in root.filters):
        root.addFilter(_ZiamathNotes())


@functools.lru_cache(maxsize=4096)
def svg_for(mathml: str) -> tuple[str, float, float, float]:
    """(SVG, width, height, depth below the baseline) in em of the text, for one ``<math>`` element."""
    import ziamath

    _quiet_ziamath()
    svg = ziamath.Math(mathml, size=SIZE).svg()
    m = re.search(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"', svg)
    x, y, w, h = (float(v) for v in m.groups()) if m else (0, -SIZE, SIZE, SIZE)
    return svg, w / SIZE, h / SIZE, max(0.0, (y + h) / SIZE)


def _clean(math) -> str:
    """The MathML without pandoc's TeX annotation (ziamath draws only presentation MathML)."""
    import copy

    math = copy.deepcopy(math)
    math.tail = None
    for sem in list(math.iter("semantics")):
        first = sem[0] if len(sem) else None
        parent = sem.getparent()
        if first is not None and first.tag not in ("annotation", "annotation-xml") and parent is not None:
            first.tail = sem.tail
            parent.replace(sem, first)
    for ann in list(math.iter("annotation", "annotation-xml")):
        ann.getparent().remove(ann)
    math.attrib["xmlns"] = "http://www.w3.org/1998/Math/MathML"
    return etree.tostring(math, encoding="unicode", method="xml", with_tail=False)


def math_as_pictures(body: str) -> str:
    """``body`` with every ``<math>`` replaced by an ``<img>`` of its drawing (alt: the TeX source)."""
    if "<math" not in body:
        return body
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    for math in list(root.iter("math")):
        tex = " ".join(math.xpath("string(.//annotation)").split())
        try:
            svg, w, h, depth = svg_for(_clean(math))
        except Exception:  # noqa: BLE001 - a formula ziamath cannot draw stays as its TeX source
            code = math.makeelement("code", {"class": "math-source", "dir": "ltr"})
            code.text = tex
            code.tail = math.tail
            math.getparent().replace(math, code)
            continue
        img = math.makeelement("img", {
            "class": "math-svg",
            "alt": tex,
            "src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii"),
            "style": f"width: {w:.3f}em; height: {h:.3f}em; vertical-align: -{depth:.3f}em",
        })
        img.tail = math.tail
        if math.get("display") == "block":
            wrap = math.makeelement("span", {"class": "math display", "dir": "ltr"})
            wrap.append(img)
            wrap.tail = img.tail
            img.tail = None
            math.getparent().replace(math, wrap)
        else:
            math.getparent().replace(math, img)
    from ketab.convert import inner_html

    return inner_html(root)
