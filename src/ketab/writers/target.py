"""Where a writer writes, and with what."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Target:
    templates: Path
    out_dir: Path
    warnings: list = field(default_factory=list, compare=False)
    """Diagnostics a writer reports without failing (e.g. a web edition without search)."""
