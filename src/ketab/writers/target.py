"""Where a writer writes, and with what."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Target:
    templates: Path
    out_dir: Path
    warnings: list = field(default_factory=list, compare=False)
    """Diagnostics a writer reports without failing (colours the press conversion changed, a web edition
    without search)."""
    assembled: dict = field(default_factory=dict, compare=False)
    """The assembled PDF before it was made press-ready (``"pdf"``: bytes), for the screen PDF."""
    cache: object = field(default=None, compare=False)
    """The build cache (:class:`ketab.cache.BuildCache`, None with ``--no-cache``): a writer keeps there what
    it would make again from the same bytes (the EPUB's font subsets, the cover picture)."""
