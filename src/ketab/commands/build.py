"""``ketab build``: manuscripts into print PDF, screen PDF, cover and EPUB.

One book (``ketab build [BOOK_DIR]``) is built into ``--out`` (default ``build/``).
Several (``ketab build BOOK_DIR…`` or ``--catalogue FILE``) are built one after
another into ``<out>/<slug>/`` (or ``BOOK_DIR/build/``), sharing one set of layout
workers, with a summary table at the end (see :mod:`ketab.catalogue`).
"""

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
@click.argument("manuscripts", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default build/); with several books, each goes to OUT/<slug>/ (default BOOK_DIR/build/).")
@click.option("--catalogue", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A file listing book folders, one per line (or a YAML list), relative to the file.")
@click.option("--format", "formats", default="print,screen,epub", help="Comma-separated: print, screen, epub, html (a web edition), docx (a Word review copy), or all.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path), help="Templates folder.")
@click.option("--scheduler", metavar="ADDRESS", help="Lay out pages on the Dask cluster of this scheduler (tcp://host:8786).")
@click.option("--cache", "cache_url", metavar="URL", help="Keep the layout cache in this fsspec store (file:///shared/dir, s3://bucket/prefix…).")
@click.option("-v", "--verbose", is_flag=True, help="Say what was rebuilt and why.")
@click.option("--no-cache", is_flag=True, help="Ignore and do not write the build cache.")
@click.option("--strict", is_flag=True, help="Treat the editorial linter's findings as errors.")
@click.option("--check", "then_check", is_flag=True, help="Then preflight the outputs (ketab check).")
def command(manuscripts: tuple[Path, ...], out_dir: Path | None, catalogue: Path | None, formats: str, templates: Path | None,
            scheduler: str | None, cache_url: str | None, verbose: bool, no_cache: bool, strict: bool, then_check: bool) -> None:
    """Build MANUSCRIPTS into print PDF, screen PDF, EPUB (and, asked for, a web edition and a Word review copy).

    Without MANUSCRIPTS: the book in this folder when it holds a book.yaml, else manuscript/."""
    from ketab import pipeline

    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    if "all" in wanted:
        wanted = pipeline.FORMATS
    unknown = [f for f in wanted if f not in pipeline.FORMATS]
    if unknown or not wanted:
        raise click.BadParameter(f"unknown format {', '.join(unknown) or '(none)'}; use {', '.join(pipeline.FORMATS)}", param_hint="--format")
    if cache_url and not no_cache:
        from ketab.cachestore import StoreError, check_url

        try:
            check_url(cache_url)
        except StoreError as exc:
            raise click.BadParameter(str(exc), param_hint="--cache") from exc
    books = list(manuscripts)
    if catalogue is not None:
        from ketab.catalogue import CatalogueError, read_catalogue

        try:
            books += read_catalogue(catalogue)
        except CatalogueError as exc:
            raise click.BadParameter(str(exc), param_hint="--catalogue") from exc
    options = dict(formats=wanted, templates=templates, use_cache=not no_cache, strict=strict, cache_url=None if no_cache else cache_url)
    executor = _executor(scheduler, several=len(books) > 1 or catalogue is not None)
    try:
        if len(books) <= 1 and catalogue is None:
            built = [(find_manuscript(books[0] if books else None), out_dir or Path("build"))]
            _build_one(*built[0], options, executor, verbose)
        else:
            built = _build_many(books, out_dir, options, executor, verbose, exit_on_failure=not then_check)
    finally:
        if executor is not None:
            executor.close()
    if then_check:
        from ketab.commands.check import run_check

        status = max((run_check(book, out, templates) for book, out in built), default=ExitCode.MANUSCRIPT)
        sys.exit(max(status, ExitCode.MANUSCRIPT if len(built) < max(1, len(books)) else ExitCode.OK))


def _executor(scheduler: str | None, several: bool):
    """Where units are laid out: the cluster, one pool for every book, or (one book) its own pool."""
    from ketab.layout.executor import LocalPool

    if scheduler:
        from ketab.layout.executor import DaskExecutor, SchedulerUnreachable

        try:
            return DaskExecutor(scheduler)
        except SchedulerUnreachable as exc:
            raise click.ClickException(str(exc)) from exc
    return LocalPool() if several else None


def _build_one(manuscript: Path, out_dir: Path, options: dict, executor, verbose: bool) -> None:
    from ketab import pipeline

    started = time.perf_counter()
    try:
        with err.status("starting…", spinner="dots") as status:
            result = pipeline.build(manuscript, out_dir, progress=lambda s: status.update(s + "…"), executor=executor, **options)
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
        return
    for fmt, path in result.outputs.items():
        err.print(f"  {fmt:<7} {path}", markup=False)
    err.print(f"built {result.pages} pages in {elapsed:.1f} s" if result.pages else f"built in {elapsed:.1f} s", style="green")


def _build_many(books: list[Path], out_dir: Path | None, options: dict, executor, verbose: bool, exit_on_failure: bool = True) -> list:
    """Build every book; [(book, output folder)] of those built (exit 1 after the table if any failed)."""
    from rich.table import Table

    from ketab.catalogue import build_catalogue, totals

    started = time.perf_counter()
    try:
        with err.status("starting…", spinner="dots") as status:
            outcomes = build_catalogue(books, out_dir, executor, options, progress=lambda e, s: status.update(f"{e.slug}: {s}…"))
    except KeyboardInterrupt as exc:
        err.print(interrupted_message(exc), style="bold red")
        sys.exit(ExitCode.INTERRUPTED)
    for o in outcomes:
        for d in o.diagnostics:
            print_diagnostic(d)
        if verbose and o.result is not None:
            err.print(f"{o.entry.slug}:", markup=False)
            for line in o.result.report:
                err.print(f"  {line}", markup=False)
    table = Table(title=None, show_edge=False, pad_edge=False)
    for name, justify in (("book", "left"), ("output", "left"), ("pages", "right"), ("time", "right"), ("result", "left")):
        table.add_column(name, justify=justify, no_wrap=name != "output", overflow="fold")
    for o in outcomes:
        style = "red" if o.failed else "green"
        result = o.status + (f": {o.error}" if o.error else "") + (f" ({o.laid_out})" if o.laid_out and verbose else "")
        table.add_row(o.entry.slug, str(o.entry.out), str(o.pages or ""), f"{o.seconds:.1f} s", f"[{style}]{result}[/]")
    err.print(table)
    t = totals(outcomes)
    elapsed = time.perf_counter() - started
    if t.failed:
        err.print(f"{t.failed} of {t.books} books failed; {t.pages} pages built in {elapsed:.1f} s", style="bold red")
        if exit_on_failure:
            sys.exit(ExitCode.MANUSCRIPT)
    else:
        err.print(f"built {t.books} books, {t.pages} pages in {elapsed:.1f} s", style="green")
    return [(o.entry.manuscript, o.entry.out) for o in outcomes if not o.failed]


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
