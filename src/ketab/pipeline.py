"""The recipe.  Read :func:`_build` first: it is the whole system in order.

load the manuscript → convert each chapter with pandoc → assemble the book →
lay it out in pages → write each requested format from that one layout.

Everything expensive goes through the build cache (``<out>/.ketab-cache``):
pandoc runs only for Markdown it has not seen, WeasyPrint only for layout units
whose HTML, CSS or fonts changed.  A build whose inputs all match the last
successful one does nothing at all (:class:`ketab.cache.LastBuild`).
"""

from __future__ import annotations

import datetime
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from filelock import FileLock, Timeout

from ketab import cache as cachemod
from ketab.diagnostics import Diagnostic, Severity
from ketab.render import default_templates
from ketab.writers import FORMATS

WRITING = {"print": "writing the print PDF", "screen": "writing the screen PDF", "cover": "making the cover", "epub": "writing the EPUB"}

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
    formats: tuple[str, ...] = FORMATS,
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
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(out_dir / ".ketab.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        progress("waiting for another build of this book to finish")
        lock.acquire()
    try:
        _remove_stale_temporaries(out_dir)
        return _build(Path(manuscript_dir), out_dir, formats, templates, progress, use_cache, strict, executor, cache_url)
    finally:
        lock.release()


def _build(manuscript_dir, out_dir, formats, templates, progress, use_cache, strict, executor=None, cache_url=None) -> BuildResult:
    templates = Path(templates or default_templates())
    cache = None
    if use_cache:
        from ketab.cachestore import open_store

        salt = cachemod.tool_versions()
        cache = cachemod.BuildCache(out_dir / ".ketab-cache", salt, open_store(cache_url, salt) if cache_url else None)
    last = cachemod.LastBuild(cache, out_dir, cachemod.input_digests(manuscript_dir, templates, formats, out_dir))
    if last.up_to_date():
        kept = tuple(Diagnostic(p, l, Severity(s), m, c) for p, l, s, m, c in last.warnings())
        return BuildResult(last.outputs(), kept, last.pages(), {}, True, ("nothing to do",))
    report = last.why()
    clock = _Clock()

    from ketab.assemble import assemble
    from ketab.convert import convert_chapters
    from ketab.generate import generated_markdown
    from ketab.layout import Layouter, lay_out
    from ketab.manuscript import load_manuscript
    from ketab.writers import Target, writers_for

    progress("reading the manuscript")
    manuscript = load_manuscript(manuscript_dir, strict=strict)
    pin_the_clock(manuscript.config)
    clock.lap("load")

    progress("converting chapters with pandoc")
    stats: dict = {}
    converted, warnings = convert_chapters(manuscript, lambda ch: generated_markdown(manuscript, ch), cache, stats)
    if stats.get("converted"):
        report.append(f"pandoc converted: {', '.join(stats['converted'])}")
    clock.lap("convert")

    progress("assembling the book")
    book = assemble(manuscript, converted)
    clock.lap("assemble")

    # Every output needs the print layout: the EPUB's page-list and cover picture come from it.
    progress("laying out pages with WeasyPrint")
    layouter = Layouter(manuscript_dir, [manuscript_dir, templates], cache, last.inputs["fonts"], executor=executor)
    try:
        layout = lay_out(book, layouter, templates)
    finally:
        layouter.close()
    report.append(f"layout units: {layouter.stats.laid_out} laid out, {layouter.stats.reused} reused")
    clock.lap("layout")

    outputs: dict = {}
    target = Target(templates, out_dir)
    for name, write in writers_for(formats):
        progress(WRITING[name])
        outputs[name] = write(book, layout, target, dict(outputs))
        clock.lap(name)

    all_warnings = tuple(manuscript.warnings) + tuple(warnings)
    last.record(all_warnings, layout.total_pages, outputs)
    return BuildResult(outputs, all_warnings, layout.total_pages, clock.laps, False, tuple(report))


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
        tmp.unlink(missing_ok=True)


class _Clock:
    def __init__(self):
        self.start = self.last = time.perf_counter()
        self.laps: dict = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.last
        self.last = now
