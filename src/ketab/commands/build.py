"""``ketab build``: the manuscript into print PDF, screen PDF, cover and EPUB."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ketab.commands.console import err, print_diagnostic
from ketab.diagnostics import BuildError, ExitCode


def interrupted_message(exc: BaseException) -> str:
    from ketab.outputs import InterruptedAfterPublishing

    if isinstance(exc, InterruptedAfterPublishing):
        return "interrupted after the new outputs were in place (the outputs are those of this build)"
    return "interrupted; previous outputs left as they were"


@click.command("build")
@click.argument("manuscript", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", default="build", type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--format", "formats", default="print,screen,epub", help="Comma-separated: print, screen, epub, html (a web edition), docx (a Word review copy), or all.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path), help="Templates folder.")
@click.option("-v", "--verbose", is_flag=True, help="Say what was rebuilt and why.")
@click.option("--no-cache", is_flag=True, help="Ignore and do not write the build cache.")
@click.option("--strict", is_flag=True, help="Treat the editorial linter's findings as errors.")
@click.option("--check", "then_check", is_flag=True, help="Then preflight the outputs (ketab check).")
def command(manuscript: Path | None, out_dir: Path, formats: str, templates: Path | None, verbose: bool, no_cache: bool, strict: bool, then_check: bool) -> None:
    """Build MANUSCRIPT into print PDF, screen PDF, EPUB (and, asked for, a web edition and a Word review copy).

    Without MANUSCRIPT: the book in this folder when it holds a book.yaml, else manuscript/."""
    from ketab import pipeline

    manuscript = find_manuscript(manuscript)

    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    if "all" in wanted:
        wanted = pipeline.FORMATS
    unknown = [f for f in wanted if f not in pipeline.FORMATS]
    if unknown or not wanted:
        raise click.BadParameter(f"unknown format {', '.join(unknown) or '(none)'}; use {', '.join(pipeline.FORMATS)}", param_hint="--format")
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
    except KeyboardInterrupt as exc:
        err.print(interrupted_message(exc), style="bold red")
        sys.exit(ExitCode.INTERRUPTED)
    for d in result.warnings:
        print_diagnostic(d)
    elapsed = time.perf_counter() - started
    if verbose:
        for line in result.report:
            err.print(f"  {line}", markup=False)
    if result.nothing_to_do:
        err.print(f"nothing to do: outputs are up to date ({elapsed:.2f} s)", style="green")
    else:
        for fmt, path in result.outputs.items():
            err.print(f"  {fmt:<7} {path}", markup=False)
        err.print(f"built {result.pages} pages in {elapsed:.1f} s" if result.pages else f"built in {elapsed:.1f} s", style="green")
    if then_check:
        from ketab.commands.check import run_check

        sys.exit(run_check(manuscript, out_dir, templates))


def find_manuscript(given: Path | None) -> Path:
    """The folder to build: the one given, else this folder when it holds a book.yaml, else manuscript/.
    A folder that does not exist, or holds no book.yaml, is an error that says so."""
    if given is None:
        given = Path(".") if Path("book.yaml").is_file() else Path("manuscript")
    if not given.is_dir():
        hint = "" if Path("book.yaml").is_file() or given != Path("manuscript") else "; start a book with `ketab new DIR`"
        _fail(f"{given}: error: no such folder{hint} [config.missing]")
    if not (given / "book.yaml").is_file():
        _fail(f"{given}: error: no book.yaml in this folder: a manuscript folder needs one (`ketab new DIR` makes a book) [config.missing]")
    return given


def _fail(line: str) -> None:
    err.print(line, style="bold red", markup=False, soft_wrap=True)
    sys.exit(ExitCode.MANUSCRIPT)
