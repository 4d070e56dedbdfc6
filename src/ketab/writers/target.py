"""Where a writer writes, and with what."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Target:
    templates: Path
    out_dir: Path
