"""``ketab lint``: the Persian editorial linter on the manuscript."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--fix", is_flag=True, help="Apply the unambiguous fixes in place.")
@click.option("--profile", type=click.Choice(["dari", "iranian"]), help="Orthography profile (default from book.yaml).")
def command(paths: tuple[Path, ...], fix: bool, profile: str | None) -> None:
    """Check Persian orthography in PATHS (default manuscript/)."""
    from ketab.persian.lint import lint_paths

    code = lint_paths(list(paths) or [Path("manuscript")], fix=fix, profile=profile, book_config=None, out=sys.stdout)
    sys.exit(code)
