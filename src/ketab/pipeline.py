"""The recipe.  Read :func:`build` first: it is the whole system in order.

load the manuscript → convert each chapter with pandoc → assemble the book →
render the templates and lay out the print PDF → write the PDFs → write the EPUB.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ketab import cover as cover_writer
from ketab import epub as epub_writer
from ketab import pdf as pdf_writer
from ketab.assemble import Book, assemble
from ketab.convert import convert_chapters
from ketab.diagnostics import Diagnostic
from ketab.generate import generated_markdown
from ketab.layout import Layouter
from ketab.manuscript import load_manuscript
from ketab.render import default_templates

FORMATS = ("print", "screen", "epub")


@dataclass(frozen=True)
class BuildResult:
    outputs: dict
    """Format → path written."""
    warnings: tuple[Diagnostic, ...]
    pages: int = 0
    """Pages of the print (or screen) PDF, before signature padding."""
    timings: dict = field(default_factory=dict)
    """Stage → seconds."""


def build(
    manuscript_dir: Path,
    out_dir: Path,
    formats: tuple[str, ...] = FORMATS,
    templates: Path | None = None,
    progress: Callable[[str], None] = lambda stage: None,
) -> BuildResult:
    """Build the book in ``manuscript_dir`` into ``out_dir``; BuildError on bad input."""
    templates = Path(templates or default_templates())
    manuscript_dir, out_dir = Path(manuscript_dir), Path(out_dir)
    clock = _Clock()

    progress("reading the manuscript")
    manuscript = load_manuscript(manuscript_dir)
    clock.lap("load")

    progress("converting chapters with pandoc")
    converted, warnings = convert_chapters(manuscript, lambda ch: generated_markdown(manuscript, ch))
    clock.lap("convert")

    progress("assembling the book")
    book = assemble(manuscript, converted)
    clock.lap("assemble")

    # The print layout is needed by every output: the EPUB's page-list maps to it.
    progress("laying out pages with WeasyPrint")
    wanted = set(formats)
    layouter = Layouter(manuscript_dir, allowed=[manuscript_dir, templates])
    outputs, pagination = pdf_writer.write_pdfs(book, layouter, templates, out_dir, wanted & {"print", "screen"})
    clock.lap("pdf")

    progress("making the cover")
    cover_pdf, cover_png = cover_writer.write_cover(book, layouter, templates, out_dir, pagination.total_pages, write_pdf="print" in wanted)
    if cover_pdf:
        outputs["cover"] = cover_pdf
    clock.lap("cover")

    if "epub" in wanted:
        progress("writing the EPUB")
        outputs["epub"] = epub_writer.write_epub(book, templates, out_dir, page_breaks(book, pagination), cover_png)
        clock.lap("epub")

    return BuildResult(outputs, tuple(manuscript.warnings) + tuple(warnings), pagination.total_pages, clock.laps)


def page_breaks(book: Book, pagination) -> dict:
    """Part id → [(anchor, printed folio)]: the first element that starts on each print page."""
    lang = book.language
    breaks: dict = {}
    for placed in pagination.placed:
        if placed.name == "front":
            continue
        part = book.part(placed.name)
        order = {a: i for i, a in enumerate(part.converted.anchors)}
        first_on_page: dict[int, str] = {}
        for anchor, index in placed.unit.anchors.items():
            if anchor not in order:
                continue
            if index not in first_on_page or order[anchor] < order[first_on_page[index]]:
                first_on_page[index] = anchor
        breaks[part.id] = [(first_on_page[i], lang.digits(placed.folio + i)) for i in sorted(first_on_page)]
    return breaks


class _Clock:
    def __init__(self):
        self.start = self.last = time.perf_counter()
        self.laps: dict = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.last
        self.last = now
