"""Print layout, unit by unit.

The book is laid out in *units* — the front matter, each chapter, the index —
each its own WeasyPrint document whose first folio is known in advance.  A unit
is a pure function of its HTML and CSS, so a unit whose inputs did not change
need not be laid out again (:class:`LayoutMemo`).  Folios, contents and index
page numbers and cross-reference pages are resolved at assembly: the body is
laid out until every printed page number is stable (usually twice for the few
units with cross-references, once for the rest).
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import weasyprint
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration

from ketab.fetcher import SandboxFetcher

logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


@dataclass(frozen=True)
class LaidOutUnit:
    """One unit after layout: its PDF and where its anchors fell."""

    key: str
    """Content hash of the unit's inputs."""
    pdf: bytes
    pages: int
    anchors: dict = field(compare=False)
    """Anchor id → 0-based page index inside the unit."""


@dataclass
class LayoutMemo:
    """Units already laid out in this build (and, later, in the on-disk cache)."""

    units: dict = field(default_factory=dict)
    laid_out: int = 0
    reused: int = 0


class Layouter:
    def __init__(self, base: Path, allowed: list[Path], memo: LayoutMemo | None = None):
        self.base_url = base.resolve().as_uri() + "/"
        self.fetcher = SandboxFetcher(allowed)
        self.fonts = FontConfiguration()
        self.memo = memo or LayoutMemo()

    def layout_many(self, jobs: list[tuple[str, str]]) -> list[LaidOutUnit]:
        """Lay out several independent units (html, css)."""
        return [self.layout(html, css) for html, css in jobs]

    def layout(self, html: str, css: str) -> LaidOutUnit:
        key = hashlib.sha256(html.encode() + b"\0" + css.encode()).hexdigest()
        hit = self.memo.units.get(key)
        if hit is not None:
            self.memo.reused += 1
            return hit
        counters = CounterStyle()  # @counter-style rules of this unit's stylesheet (e.g. Persian letters)
        stylesheet = weasyprint.CSS(
            string=css, base_url=self.base_url, url_fetcher=self.fetcher, font_config=self.fonts, counter_style=counters
        )
        document = weasyprint.HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
            stylesheets=[stylesheet], font_config=self.fonts, counter_style=counters
        )
        anchors = {}
        for index, page in enumerate(document.pages):
            for anchor in page.anchors:
                anchors.setdefault(anchor, index)
        out = io.BytesIO()
        document.write_pdf(out, uncompressed_pdf=False)
        unit = LaidOutUnit(key, out.getvalue(), len(document.pages), anchors)
        self.memo.units[key] = unit
        self.memo.laid_out += 1
        return unit
