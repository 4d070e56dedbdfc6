"""Where a writer writes, and with what."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Target:
    templates: Path
    out_dir: Path
    warnings: list = field(default_factory=list, compare=False)
    """Diagnostics a writer reports (e.g. colours the press conversion changed)."""
    assembled: dict = field(default_factory=dict, compare=False)
    """The assembled PDF before it was made press-ready (``"pdf"``: bytes), for the screen PDF."""
