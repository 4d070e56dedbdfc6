"""The recipe.  Read :func:`_build` first: it is the whole system in order.

load the manuscript → convert each chapter with pandoc → assemble the book →
lay it out in pages → write each requested format from that one layout.

Everything expensive goes through the build cache (``<out>/.ketab-cache``):
pandoc runs only for Markdown it has not seen, WeasyPrint only for layout units
whose HTML, CSS or fonts changed.  A build whose inputs all match the last
successful one does nothing at all (:class:`ketab.cache.LastBuild`).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from filelock import FileLock, Timeout

from ketab import cache as cachemod
from ketab import default_templates, fonts
from ketab import outputs as outputs_mod
from ketab.diagnostics import BuildError, Collector, Diagnostic, Severity, display_path
from ketab.writers import DEFAULT_FORMATS, FORMATS, PAGED  # noqa: F401 (FORMATS: what --format accepts)

WRITING = {"print": "writing the print PDF", "screen": "writing the screen PDF", "cover": "making the cover", "epub": "writing the EPUB",
           "html": "writing the web edition", "docx": "writing the Word review copy"}

@dataclass(frozen=True)
class BuildResult:
    outputs: dict
    """Format → path written."""
    warnings: tuple[Diagnostic, ...]
    pages: int = 0
    """Pages of the book (print PDF before signature padding)."""
    timings: dict = field(default_factory=dict)
    """Stage → seconds."""
    nothing_to_do: bool = False
    report: tuple[str, ...] = ()
    """What was rebuilt and why (``ketab build -v``)."""


def build(
    manuscript_dir: Path,
    out_dir: Path,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    templates: Path | None = None,
    progress: Callable[[str], None] = lambda stage: None,
    use_cache: bool = True,
    strict: bool = False,
    executor=None,
    cache_url: str | None = None,
) -> BuildResult:
    """Build the book in ``manuscript_dir`` into ``out_dir``; BuildError on bad input.

    ``executor`` lays out the pages (:mod:`ketab.layout.executor`; default: a process
    pool of this build's own); ``cache_url`` keeps the cache's entries in a shared
    fsspec store (:mod:`ketab.cachestore`) instead of the output folder.
    One build of an output folder at a time: a second one waits for the first."""
    out_dir, manuscript_dir = Path(out_dir), Path(manuscript_dir)
    _check_output_folder(manuscript_dir, out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if (out_dir / ".ketab.lock").is_symlink():  # opening it would truncate the file it points to
            (out_dir / ".ketab.lock").unlink()
        lock = FileLock(out_dir / ".ketab.lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            progress("waiting for another build of this book to finish")
            lock.acquire()
    except OSError as exc:
        raise BuildError([_output_error(out_dir, exc)]) from None
    try:
        outputs_mod.recover(out_dir)  # a publication a killed build left half done is undone first
        _remove_stale_temporaries(out_dir)
        with _private_temporary_folder():
            return _build(manuscript_dir, out_dir, formats, templates, progress, use_cache, strict, executor, cache_url)
    finally:
        lock.release()


def _check_output_folder(manuscript_dir: Path, out_dir: Path) -> None:
    """The outputs go next to or inside the manuscript folder, never onto it (every later build would then
    see no input at all and say "nothing to do")."""
    try:
        ms, out = manuscript_dir.resolve(), out_dir.resolve()
    except (OSError, RuntimeError):
        return
    if ms == out or ms.is_relative_to(out):
        raise BuildError([Diagnostic(display_path(out_dir), None, Severity.ERROR,
                                     "the output folder is the manuscript folder or holds it; choose another --out (default build/)",
                                     "output.manuscript")])


def _output_error(out_dir: Path, exc: OSError) -> Diagnostic:
    return Diagnostic(display_path(out_dir), None, Severity.ERROR,
                      f"the output folder cannot be written: {exc.strerror or exc}", "output.unwritable")


@contextlib.contextmanager
def _private_temporary_folder():
    """A temporary folder of this build, removed after it (WeasyPrint leaves a font folder per
    configuration in the temporary directory; forked layout workers inherit the setting)."""
    private = tempfile.mkdtemp(prefix="ketab-build-")
    before = tempfile.tempdir
    tempfile.tempdir = private
    try:
        yield Path(private)
    finally:
        tempfile.tempdir = before
        shutil.rmtree(private, ignore_errors=True)


def open_cache(out_dir: Path, cache_url: str | None = None):
    """The build cache: its entries in ``<out>/.ketab-cache``, or in the shared store at ``cache_url``."""
    salt = cachemod.tool_versions()
    store = None
    if cache_url:
        from ketab.cachestore import open_store

        store = open_store(cache_url, salt)
    return cachemod.BuildCache(out_dir / ".ketab-cache", salt, store)


def _unique(diagnostics) -> list[Diagnostic]:
    """One diagnostic per (file, line, code): a stage that checks again does not say it twice."""
    seen, out = set(), []
    for d in diagnostics:
        key = (d.path, d.line, d.code, d.severity)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _build(manuscript_dir, out_dir, formats, templates, progress, use_cache, strict, executor=None, cache_url=None) -> BuildResult:
    templates = Path(templates or default_templates()).resolve()  # a relative --templates too (file: URIs)
    cache = open_cache(out_dir, cache_url) if use_cache else None
    inputs = cachemod.input_digests(manuscript_dir, templates, formats, out_dir)
    inputs["strict"] = bool(strict)  # a --strict build after a lenient one checks again
    last = cachemod.LastBuild(cache, out_dir, inputs)
    if last.up_to_date():
        kept = tuple(Diagnostic(p, l, Severity(s), m, c) for p, l, s, m, c in last.warnings())
        return BuildResult(last.outputs(), kept, last.pages(), {}, True, ("nothing to do",))
    report = last.why()
    clock = _Clock()

    manuscript, converted, warnings = load_and_convert(manuscript_dir, cache, strict, progress, clock, report)
    progress("assembling the book")
    book, assembled = assemble_book(manuscript, converted, templates, out_dir, cache)
    warnings = tuple(warnings) + assembled
    clock.lap("assemble")
    layout = None
    if set(formats) & PAGED:  # the web edition and the Word copy need no pages
        layout = _lay_out(book, manuscript, templates, cache, last, progress, report, executor)
        clock.lap("layout")
    outputs, all_warnings = _write_and_publish(
        book, layout, formats, templates, out_dir, progress, clock, last, tuple(manuscript.warnings) + tuple(warnings))
    return BuildResult(outputs, all_warnings, layout.total_pages if layout else 0, clock.laps, False, tuple(report))


def load_and_convert(manuscript_dir, cache=None, strict=False, progress=lambda stage: None, clock=None, report=None):
    """Stages 1 and 2: (Manuscript, converted chapters, their warnings); every error of both together.
    ``cache``: the build cache (pandoc runs only on Markdown it has not converted); ``report`` (a list)
    gets what was converted."""
    from ketab.convert import convert_chapters
    from ketab.generate import generated_markdown
    from ketab.manuscript import load_manuscript

    clock = clock or _Clock()
    report = report if report is not None else []
    progress("reading the manuscript")
    early: list[Diagnostic] = []
    manuscript = load_manuscript(manuscript_dir, strict=strict, collect=early)
    pin_the_clock(manuscript.config)
    clock.lap("load")

    progress("converting chapters with pandoc")
    stats: dict = {}
    # every error of the run together: those of the manuscript's text and those of its conversion
    try:
        converted, warnings = convert_chapters(manuscript, lambda ch: generated_markdown(manuscript, ch), cache, stats, strict)
    except BuildError as exc:
        raise BuildError(_unique(early + list(manuscript.warnings) + list(exc.diagnostics))) from None
    if any(d.is_error for d in early):
        raise BuildError(_unique(early + list(manuscript.warnings) + list(warnings)))
    if stats.get("converted"):
        report.append(f"pandoc converted: {', '.join(stats['converted'])}")
    clock.lap("convert")
    return manuscript, converted, warnings


def assemble_book(manuscript, converted, templates: Path, out_dir: Path, cache=None):
    """Stage 3: (the Book, the warnings on its fonts); fontconfig made to see only the templates' fonts,
    for every layout after this."""
    from ketab.assemble import assemble

    book = assemble(manuscript, converted)
    diags = Collector()
    fonts.check_coverage(book, templates, diags)
    fonts.isolate(templates, Path(out_dir) / ".ketab-cache" / "fontconfig")
    own_fonts = [manuscript.config.path.parent / rel for rel in fonts.manuscript_font_files(manuscript.config)]
    fonts.unpack_web_fonts(fonts.font_files(templates) + own_fonts, cache)  # WOFF2 faces unpacked once per build
    return book, tuple(diags.items)


def new_layouter(manuscript, templates: Path, cache, fonts_digest: str | None = None, **options):
    """The layouter of the book's units: laid out in WeasyPrint with the manuscript and the templates
    readable, through the build cache (``options``: :class:`ketab.layout.Layouter`'s)."""
    from ketab.layout import Layouter

    if fonts_digest is None:
        fonts_digest = cachemod.tree_digest(templates / "fonts") if (templates / "fonts").is_dir() else ""  # as input_digests
    return Layouter(manuscript.root, [manuscript.root, templates], cache, fonts_digest, **options)


def _lay_out(book, manuscript, templates, cache, last, progress, report, executor=None):
    """The layout stage, once for every writer: the EPUB's page-list and cover picture come from it too."""
    from ketab.layout import lay_out
    from ketab.layout.engine import LayoutTimeout

    progress("laying out pages with WeasyPrint")
    own = None
    if executor is None and os.environ.get("KETAB_JOBS"):  # KETAB_JOBS=1: every unit in this process
        from ketab.layout.executor import LocalPool

        executor = own = LocalPool()
    layouter = new_layouter(manuscript, templates, cache, last.inputs["fonts"], executor=executor)
    try:
        layout = lay_out(book, layouter, templates)
    except LayoutTimeout as exc:
        raise BuildError([Diagnostic(display_path(manuscript.config.path), None, Severity.ERROR,
                                     f"WeasyPrint did not finish laying out a part of the book in {exc.seconds:g} s "
                                     "(KETAB_LAYOUT_TIMEOUT); a picture or table too complex to draw?", "layout.timeout")]) from None
    finally:
        layouter.close()
        if own is not None:
            own.close()
    report.append(f"layout units: {layouter.stats.laid_out} laid out, {layouter.stats.reused} reused")
    return layout


def _write_and_publish(book, layout, formats, templates, out_dir, progress, clock, last, warnings):
    """Every requested writer into a staging folder, then the set published together: (outputs, warnings).

    A failure or an interrupt at any point leaves the whole previous set (ketab.outputs)."""
    from ketab.writers import Target, writers_for

    try:
        stage = outputs_mod.staging_folder(out_dir)
    except OSError as exc:
        raise BuildError([_output_error(out_dir, exc)]) from None
    try:
        staged: dict = {}
        target = Target(templates, stage, cache=last.cache)
        try:
            for name, write in writers_for(formats):
                progress(WRITING[name])
                staged[name] = write(book, layout, target, dict(staged))
                clock.lap(name)
        except OSError as exc:  # the disk is full, a file cannot be made: nothing was published
            raise BuildError([_output_error(out_dir, exc)]) from None
        all_warnings = warnings + (layout.diagnostics(book) if layout else ()) + tuple(target.warnings)
        outputs = {name: out_dir / Path(path).name for name, path in staged.items()}
        _publish(stage, out_dir, staged, lambda: last.record(all_warnings, layout.total_pages if layout else 0, outputs))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return outputs, all_warnings


def _publish(stage: Path, out_dir: Path, staged: dict, record) -> None:
    published = False
    try:
        with outputs_mod.signals_deferred():
            try:
                outputs_mod.publish(stage, out_dir, [Path(p).name for p in staged.values()])
            except OSError as exc:
                raise BuildError([_output_error(out_dir, exc)]) from None
            published = True
            record()
    except KeyboardInterrupt:
        if published:
            raise outputs_mod.InterruptedAfterPublishing() from None
        raise


def pin_the_clock(config) -> None:
    """fontTools stamps embedded font subsets with the time unless SOURCE_DATE_EPOCH is set:
    pin it to the book's date so identical input gives identical bytes."""
    if "SOURCE_DATE_EPOCH" not in os.environ:
        d = config.date_value
        epoch = int(datetime.datetime(d.year, d.month, d.day, tzinfo=datetime.timezone.utc).timestamp()) if d else 0
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)


def _remove_stale_temporaries(out_dir: Path) -> None:
    """Temporary files of a build that was killed (we hold the lock: none is in use)."""
    for tmp in out_dir.glob(".*.tmp"):
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)  # a web edition being written
        else:
            tmp.unlink(missing_ok=True)


class _Clock:
    def __init__(self):
        self.start = self.last = time.perf_counter()
        self.laps: dict = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.last
        self.last = now
