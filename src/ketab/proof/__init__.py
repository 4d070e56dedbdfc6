"""Revision proofs: the book with its changes marked, for the editor.

``ketab proof --since REV`` (or ``ketab proof OLD NEW``) writes
``<out>/<slug>-proof.pdf``: a summary of what changed in which chapter, then the
book laid out as it is now, where

- a paragraph that changed or was inserted has a bar in the outer margin,
- inside a changed paragraph, added words are red and underlined and removed
  words are struck through where they were,
- a paragraph that was deleted leaves a boxed «حذف» marker with its text struck
  through, where it stood.

The recipe (:func:`write_proof`): load and convert both manuscripts → compare
chapter by chapter, block by block (difflib over the blocks' text, then over the
words of each changed block) → lay out the marked book with the print templates,
noting where each marked block fell on each page → assemble it like the screen
PDF → draw the bars with pikepdf → put the summary in front.

The bars are drawn after layout because only the layout knows on which side of
the spread a block fell: in a right-to-left book a recto is a *left* page, and
its outer margin is on the left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ketab.proof.marks import document_marks, draw_bars
from ketab.proof.revision import load_book, manuscript_at
from ketab.proof.summary import LABELS, prepend_summary, proof_labels, summary_html
from ketab.proof.textdiff import ChapterChanges, compare_books, mark_chapter

__all__ = ["LABELS", "ChapterChanges", "ProofResult", "manuscript_at", "mark_chapter", "write_proof"]


@dataclass(frozen=True)
class ProofResult:
    path: Path
    pages: int
    summary_pages: int
    """Pages in front of the book (the summary, padded to keep the spreads)."""
    chapters: tuple[ChapterChanges, ...]
    """Every chapter of either version, in reading order."""
    marked_pages: tuple[int, ...] = field(default=())
    """0-based indices in the proof PDF of the pages with a bar."""
    layout_units: tuple[int, int] = (0, 0)
    """(units laid out, units reused): after ``ketab build``, only the marked ones are laid out."""

    @property
    def changed(self) -> tuple[ChapterChanges, ...]:
        return tuple(c for c in self.chapters if c.any)


def write_proof(old_dir: Path, new_dir: Path, out_dir: Path, against: str, templates: Path | None = None, old_shown_as: str | None = None, progress=lambda stage: None) -> ProofResult:
    """Compare the manuscript in ``old_dir`` with ``new_dir``; write ``<out>/<slug>-proof.pdf``.

    Both versions go through the pipeline's own stages and the build cache of ``out_dir`` (that of
    ``ketab build --out``): a proof after a build converts and lays out only what changed."""
    import pikepdf

    from ketab import pipeline, render
    from ketab.layout.pagination import paginate
    from ketab.writers import print as pdf_writer
    from ketab.writers import screen as screen_writer
    from ketab.writers import tagging

    templates = Path(templates or render.default_templates()).resolve()
    cache = pipeline.open_cache(Path(out_dir))
    progress("reading and converting both versions")
    new, manuscript = load_book(new_dir, cache=cache, templates=templates, out_dir=out_dir)  # pins the clock to its date
    old, _ = load_book(old_dir, old_shown_as, cache)
    marked, chapters = compare_books(old, new)

    progress("laying out the proof")
    layouter = _proof_layouter(manuscript, templates, cache)
    try:
        pagination = paginate(marked, layouter, templates, bleed=marked.config.bleed)  # the build's units
        pdf = pdf_writer.assemble_pdf(marked, pagination, 1)
        tagging.untag(pdf)  # its bars and summary are not in the units' structure trees
        touched = draw_bars(pdf, pagination, layouter.geometry(), render.verso_shift(marked))
        screen_writer.finish(pdf, marked, pagination)  # cut to the trim box, like the screen PDF
        html = summary_html(marked, templates, chapters, against, touched, pagination)
        summary = layouter.layout(html, render.print_css(marked, templates, render.PrintStyle("content")))
    finally:
        layouter.close()

    progress("writing the proof")
    marked_pages = sorted({i for pages in touched.values() for i in pages})
    labels = proof_labels(new.language)
    sources: list = []
    front = prepend_summary(pdf, summary, pagination, labels["summary"], sources)
    title = f"{new.config.title} — {labels['title']}"
    pdf.trailer.Info.Title = pikepdf.String(title)
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["dc:title"] = title
    path = Path(out_dir) / f"{new.config.slug}-proof.pdf"
    pdf_writer.save(pdf, path)
    return ProofResult(path, len(pdf.pages), front, chapters, tuple(i + front for i in marked_pages), layouter.counts)


def _proof_layouter(manuscript, templates: Path, cache):
    """The build's layouter (its cache, its fonts) and the probing one with the proof's stylesheet, on one pool."""
    from ketab import pipeline
    from ketab.layout.executor import LocalPool
    from ketab.proof.layout import ProofLayouter  # (not at import: every ketab command imports this package)

    pool = LocalPool()
    proof_css = (templates / "proof" / "proof.css").read_text(encoding="utf-8")
    plain = pipeline.new_layouter(manuscript, templates, cache, executor=pool)
    probing = pipeline.new_layouter(manuscript, templates, None, plain.fonts_digest, executor=pool, probe=document_marks, extra_css=proof_css)
    return ProofLayouter(plain, probing, pool)
