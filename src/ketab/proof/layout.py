"""The proof's layout: the build's own units and cache wherever the proof shows no change.

A unit with nothing marked in it is the build's unit (same HTML, same CSS, same fonts): it is laid out
by the pipeline's layouter, through the build cache, so a proof right after ``ketab build`` lays out
only what the marks changed.  A unit with marks (or the summary) gets the proof's stylesheet and the
probe that notes where each marked block fell (:func:`ketab.proof.marks.document_marks`)."""

from __future__ import annotations

import re
from dataclasses import replace

from ketab.layout.boxes import PageMarks

_NO_MARKS = PageMarks("right", 0.0, 0.0, 0.0, 0.0, ())
"""The probe's note on a page of the build's own units: nothing marked."""
_PROOF_CLASS = re.compile(r"""class="[^"]*\bproof-""")
"""A unit the proof's stylesheet styles: marks (``proof-changed``, ``proof-ins``…) or the summary."""


class ProofLayouter:
    """Two layouters behind one :meth:`layout_many`: the build's (``plain``) and the probing one."""

    def __init__(self, plain, probing, pool=None):
        self.plain = plain
        self.probing = probing
        self.pool = pool
        """The executor both share (closed with them)."""
        self.memo: dict = {}
        """Key → every unit this layout gave (a unit made of others is added by its maker)."""

    def layout(self, html: str, css: str):
        return self.layout_many([(html, css)])[0]

    def layout_many(self, jobs: list[tuple[str, str]]):
        marked = [bool(_PROOF_CLASS.search(html)) for html, _ in jobs]
        out: list = [None] * len(jobs)
        for layouter, wanted in ((self.probing, True), (self.plain, False)):
            where = [i for i, m in enumerate(marked) if m is wanted]
            if where:
                for i, unit in zip(where, layouter.layout_many([jobs[i] for i in where])):
                    out[i] = unit if wanted else replace(unit, extra=[_NO_MARKS] * unit.pages)  # pages with nothing marked
        self.memo.update((unit.key, unit) for unit in out)
        return out

    def geometry(self) -> dict:
        """Unit key → where its marked blocks fell, page by page (the probe's notes)."""
        return {u.key: u.extra for u in self.memo.values()}

    @property
    def counts(self) -> tuple[int, int]:
        """(units laid out, units reused from the build cache or this run)."""
        a, b = self.plain.stats, self.probing.stats
        return a.laid_out + b.laid_out, a.reused + b.reused

    def close(self) -> None:
        self.plain.close()
        self.probing.close()
        if self.pool is not None:
            self.pool.close()
