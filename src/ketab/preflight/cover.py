"""The cover against the book: its spine against the paper's (or the print-on-demand preset's) formula for the
print PDF's page count, and the margins against the preset's minimum for that page count."""

from __future__ import annotations

from pathlib import Path

from ketab.configvalues import PRESETS
from ketab.preflight import MM, Report

SPINE_TOLERANCE = 0.25
"""mm the wrap's spine may differ from the formula (ketab rounds the spine to 0.01 mm; printers allow ~1 mm)."""


def config_line(config, *path) -> int:
    """The line of ``path`` in book.yaml, or of its nearest ancestor that has one."""
    while path:
        if path in config.lines:
            return config.lines[path]
        path = path[:-1]
    return 1


def check_cover(book, cover_path: Path, print_path: Path, report: Report) -> None:
    import pikepdf

    config = book.config
    with pikepdf.open(print_path) as pdf:
        pages = len(pdf.pages)
    for side, what in config.print.margin_problems(pages):
        report.error(config.path, f"print: {what}; the print PDF has {pages} pages", "print.margin", config_line(config, "print", "margins", side))
    if not cover_path.is_file():
        return
    with pikepdf.open(cover_path) as pdf:
        trim = pdf.pages[0].obj.get("/TrimBox", pdf.pages[0].obj.MediaBox)
        width = (float(trim[2]) - float(trim[0])) / MM
    spine = width - 2 * config.trim.width
    expected = config.print.spine(pages, config.caliper)
    if abs(spine - expected) > SPINE_TOLERANCE:
        settings = config.print
        if settings.preset and settings.paper is None:
            formula, where = f"{settings.preset}: {PRESETS[settings.preset].spine}", ("print", "preset")
        else:
            where = ("print", "paper") if settings.paper else ("caliper",)
            formula = f"{(pages + 1) // 2} leaves × {settings.caliper(config.caliper):g} mm"
        report.error(cover_path, f"the cover's spine is {spine:.2f} mm; {pages} pages make {expected:.2f} mm ({formula}, book.yaml line "
                     f"{config_line(config, *where)})", "cover.spine")
