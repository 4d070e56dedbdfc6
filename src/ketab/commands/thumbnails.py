"""``ketab thumbnails``: a contact sheet of the print PDF (see :mod:`ketab.writers.thumbnails`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ketab.commands.console import err, print_diagnostic
from ketab.writers.thumbnails import contact_sheet, pdf_direction


@click.command("thumbnails")
@click.argument("pdf", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--manuscript", default="manuscript", show_default=True, type=click.Path(file_okay=False, path_type=Path), help="Where book.yaml names the book (when no PDF is given).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: build/, or the PDF's folder).")
@click.option("--per-row", default=4, show_default=True, type=click.IntRange(1, 50), help="Spreads per row.")
@click.option("--height", default=200, show_default=True, type=click.IntRange(40, 2000), help="Height of a page, in pixels.")
def command(pdf: Path | None, manuscript: Path, out_dir: Path | None, per_row: int, height: int) -> None:
    """A PNG contact sheet of the print PDF, in spreads, in reading order.

    PDF defaults to <out>/<slug>-print.pdf of the book in --manuscript.
    Written to <out>/<slug>-thumbnails.png."""
    from ketab.diagnostics import BuildError

    book_rtl = None
    if pdf is None:
        from ketab.config import load_config

        try:
            config, _ = load_config(manuscript / "book.yaml")
        except BuildError as exc:
            for d in exc.diagnostics:
                print_diagnostic(d)
            sys.exit(exc.exit_code)
        out_dir = out_dir or Path("build")
        pdf = out_dir / f"{config.slug}-print.pdf"
        slug, book_rtl = config.slug, config.language.is_rtl
        if not pdf.is_file():
            err.print(f"{pdf}: error: no print PDF; build it first with `ketab build --format print` [thumbnails.missing]", style="bold red", markup=False)
            sys.exit(1)
    else:
        out_dir = out_dir or pdf.parent
        slug = pdf.stem.removesuffix("-print")
    path = out_dir / f"{slug}-thumbnails.png"
    said = pdf_direction(pdf)
    rtl = said if said is not None else bool(book_rtl)
    sheet = contact_sheet(pdf, path, per_row, height, rtl=rtl)
    err.print(f"  thumbnails {sheet.path} ({sheet.pages} pages, {len(sheet.spreads)} spreads, {'right to left' if sheet.rtl else 'left to right'})", markup=False)

