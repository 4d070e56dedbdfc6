"""The ``ketab`` command line: ``ketab build``, ``ketab lint``."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from ketab.diagnostics import BuildError, Diagnostic, ExitCode

err = Console(stderr=True, highlight=False)


def _terminate(signum, frame):
    """SIGTERM unwinds like Ctrl-C, so temporary files are removed and outputs stay whole."""
    raise KeyboardInterrupt


def print_diagnostic(d: Diagnostic) -> None:
    style = "bold red" if d.is_error else "yellow"
    err.print(str(d), style=style, markup=False, soft_wrap=True)


class _Group(click.Group):
    """Ctrl-C anywhere in a command (also before or after the build proper) exits with 130 and one line,
    not with click's "Aborted!" and status 1 — the status of a manuscript with errors."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            err.print("interrupted; previous outputs left as they were", style="bold red")
            sys.exit(ExitCode.INTERRUPTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ketab")
def main() -> None:
    """ketab — Persian-first print and ebook publishing."""
    signal.signal(signal.SIGTERM, _terminate)


@main.command()
@click.argument("manuscript", default="manuscript", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", default="build", type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--format", "formats", default="print,screen,epub", help="Comma-separated: print, screen, epub.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path), help="Templates folder.")
@click.option("-v", "--verbose", is_flag=True, help="Say what was rebuilt and why.")
@click.option("--no-cache", is_flag=True, help="Ignore and do not write the build cache.")
@click.option("--strict", is_flag=True, help="Treat the editorial linter's findings as errors.")
def build(manuscript: Path, out_dir: Path, formats: str, templates: Path | None, verbose: bool, no_cache: bool, strict: bool) -> None:
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


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--fix", is_flag=True, help="Apply the unambiguous fixes in place.")
@click.option("--profile", type=click.Choice(["dari", "iranian"]), help="Orthography profile (default from book.yaml).")
def lint(paths: tuple[Path, ...], fix: bool, profile: str | None) -> None:
    """Check Persian orthography in PATHS (default manuscript/)."""
    from ketab.persian.lint import lint_paths

    code = lint_paths(list(paths) or [Path("manuscript")], fix=fix, profile=profile, book_config=None, out=sys.stdout)
    sys.exit(code)


def _register() -> None:
    """Commands that live in their own modules (each imports only click at load time)."""
    from ketab import proof, thumbnails, watch

    for module in (proof, thumbnails, watch):
        main.add_command(module.command)


_register()
