"""``ketab check``: the preflight of a built book (see :mod:`ketab.preflight`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ketab.commands.console import err, print_diagnostic
from ketab.diagnostics import BuildError, ExitCode


def run_check(manuscript: Path, out_dir: Path, templates: Path | None = None) -> int:
    """Print every finding; the exit status (1 when there are errors)."""
    from ketab.preflight import preflight

    try:
        findings = preflight(manuscript, out_dir, templates)
    except BuildError as exc:
        for d in exc.diagnostics:
            print_diagnostic(d)
        return exc.exit_code
    for d in findings:
        print_diagnostic(d)
    errors = sum(1 for d in findings if d.is_error)
    if errors:
        err.print(f"check failed: {errors} error{'s' if errors != 1 else ''}", style="bold red")
        return ExitCode.MANUSCRIPT
    warnings = len(findings)
    err.print(f"check passed{f' with {warnings} warning' + ('s' if warnings != 1 else '') if warnings else ''}: notes, press, page numbers and EPUB", style="green")
    return ExitCode.OK


@click.command("check")
@click.argument("manuscript", default="manuscript", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", default="build", type=click.Path(file_okay=False, path_type=Path), help="Folder of the built outputs.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path), help="Templates folder.")
def command(manuscript: Path, out_dir: Path, templates: Path | None) -> None:
    """Preflight the outputs of MANUSCRIPT built into --out: notes, press, page numbers, EPUB."""
    sys.exit(run_check(manuscript, out_dir, templates))
