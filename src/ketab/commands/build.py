"""``ketab build``: the manuscript into print PDF, screen PDF, cover and EPUB."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ketab.commands.console import err, print_diagnostic
from ketab.diagnostics import BuildError, ExitCode


@click.command("build")
@click.argument("manuscript", default="manuscript", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", default="build", type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--format", "formats", default="print,screen,epub", help="Comma-separated: print, screen, epub.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path), help="Templates folder.")
@click.option("-v", "--verbose", is_flag=True, help="Say what was rebuilt and why.")
@click.option("--no-cache", is_flag=True, help="Ignore and do not write the build cache.")
@click.option("--strict", is_flag=True, help="Treat the editorial linter's findings as errors.")
def command(manuscript: Path, out_dir: Path, formats: str, templates: Path | None, verbose: bool, no_cache: bool, strict: bool) -> None:
    """Build MANUSCRIPT (default manuscript/) into print PDF, screen PDF and EPUB."""
    from ketab import pipeline

    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in wanted if f not in pipeline.FORMATS]
    if unknown or not wanted:
        raise click.BadParameter(f"unknown format {', '.join(unknown) or '(none)'}; use print, screen, epub", param_hint="--format")
    started = time.perf_counter()
    try:
        with err.status("starting…", spinner="dots") as status:
            result = pipeline.build(
                manuscript, out_dir, wanted, templates, progress=lambda s: status.update(s + "…"),
                use_cache=not no_cache, strict=strict,
            )
    except BuildError as exc:
        for d in exc.diagnostics:
            print_diagnostic(d)
        n = sum(1 for d in exc.diagnostics if d.is_error)
        err.print(f"build failed: {n} error{'s' if n != 1 else ''}; previous outputs left as they were", style="bold red")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted; previous outputs left as they were", style="bold red")
        sys.exit(ExitCode.INTERRUPTED)
    for d in result.warnings:
        print_diagnostic(d)
    elapsed = time.perf_counter() - started
    if verbose:
        for line in result.report:
            err.print(f"  {line}", markup=False)
    if result.nothing_to_do:
        err.print(f"nothing to do: outputs are up to date ({elapsed:.2f} s)", style="green")
        return
    for fmt, path in result.outputs.items():
        err.print(f"  {fmt:<7} {path}", markup=False)
    err.print(f"built {result.pages} pages in {elapsed:.1f} s", style="green")
