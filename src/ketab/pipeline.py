"""The recipe.  Read :func:`build` first: it is the whole system in order.

load the manuscript → convert each chapter with pandoc → assemble the book →
lay out the print pages → write the PDFs → make the cover → write the EPUB.

Everything expensive goes through the build cache (``<out>/.ketab-cache``):
pandoc runs only for Markdown it has not seen, WeasyPrint only for layout units
whose HTML, CSS or fonts changed.  A build whose inputs all match the last
successful one does nothing at all.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from filelock import FileLock, Timeout

from ketab import cache as cachemod
from ketab import fonts
from ketab.diagnostics import Collector, Diagnostic, Severity
from ketab.render import default_templates

FORMATS = ("print", "screen", "epub")


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
) -> BuildResult:
    """Build the book in ``manuscript_dir`` into ``out_dir``; BuildError on bad input.

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
        return _build(Path(manuscript_dir), out_dir, formats, templates, progress, use_cache, strict)
    finally:
        lock.release()


def _build(manuscript_dir, out_dir, formats, templates, progress, use_cache, strict) -> BuildResult:
    templates = Path(templates or default_templates())
    clock = _Clock()
    salt = cachemod.tool_versions()
    cache = cachemod.BuildCache(out_dir / ".ketab-cache", salt) if use_cache else None
    inputs = _input_digests(manuscript_dir, templates, formats, out_dir)
    if cache is not None and _up_to_date(cache, inputs, out_dir):
        kept = tuple(Diagnostic(p, l, Severity(s), m, c) for p, l, s, m, c in cache.state.get("warnings", ()))
        outputs = {fmt: out_dir / name for fmt, name in cache.state["outputs_by_format"].items()}
        return BuildResult(outputs, kept, cache.state.get("pages", 0), {}, True, ("nothing to do",))
    report = [f"clean build: {cache.reset_reason}"] if cache is not None and cache.reset_reason else []
    if cache is not None and not cache.reset_reason:
        report += _why(cache.state.get("inputs", {}), inputs)

    from ketab.writers import cover as cover_writer
    from ketab.writers import epub as epub_writer
    from ketab.writers import print as pdf_writer
    from ketab.assemble import assemble
    from ketab.convert import convert_chapters
    from ketab.generate import generated_markdown
    from ketab.layout import Layouter
    from ketab.manuscript import load_manuscript

    progress("reading the manuscript")
    manuscript = load_manuscript(manuscript_dir, strict=strict)
    clock.lap("load")

    pin_the_clock(manuscript.config)

    progress("converting chapters with pandoc")
    stats: dict = {}
    converted, warnings = convert_chapters(manuscript, lambda ch: generated_markdown(manuscript, ch), cache, stats, strict)
    if stats.get("converted"):
        report.append(f"pandoc converted: {', '.join(stats['converted'])}")
    clock.lap("convert")

    progress("assembling the book")
    book = assemble(manuscript, converted)
    fonts_diags = Collector()
    fonts.check_coverage(book, templates, fonts_diags)
    warnings = tuple(warnings) + tuple(fonts_diags.items)
    fonts.isolate(templates, out_dir / ".ketab-cache" / "fontconfig")
    clock.lap("assemble")

    # The print layout is needed by every output: the EPUB's page-list maps to it.
    progress("laying out pages with WeasyPrint")
    wanted = set(formats)
    layouter = Layouter(manuscript_dir, [manuscript_dir, templates], cache, inputs["fonts"])
    try:
        outputs, pagination = pdf_writer.write_pdfs(book, layouter, templates, out_dir, wanted & {"print", "screen"})
        clock.lap("pdf")
        progress("making the cover")
        cover_pdf, cover_png = cover_writer.write_cover(book, layouter, templates, out_dir, pagination.total_pages, write_pdf="print" in wanted)
    finally:
        layouter.close()
    if cover_pdf:
        outputs["cover"] = cover_pdf
    report.append(f"layout units: {layouter.stats.laid_out} laid out, {layouter.stats.reused} reused")
    clock.lap("cover")

    if "epub" in wanted:
        progress("writing the EPUB")
        outputs["epub"] = epub_writer.write_epub(book, templates, out_dir, page_breaks(book, pagination), cover_png)
        clock.lap("epub")

    all_warnings = tuple(manuscript.warnings) + tuple(warnings)
    if cache is not None:
        cache.save_state({
            "inputs": inputs,
            "warnings": [[d.path, d.line, d.severity.value, d.message, d.code] for d in all_warnings],
            "pages": pagination.total_pages,
            # names, not paths: a copied output folder is checked against its own files
            "outputs_by_format": {k: Path(v).name for k, v in outputs.items()},
            "outputs": {Path(p).name: _file_digest(p) for p in outputs.values()},
        })
    return BuildResult(outputs, all_warnings, pagination.total_pages, clock.laps, False, tuple(report))


def page_breaks(book, pagination) -> dict:
    """Part id → [(anchor, printed folio)]: the first element that starts on each print page."""
    lang = book.language
    breaks: dict = {}
    for placed in pagination.placed:
        if placed.name == "front":
            continue
        part = book.part(placed.name)
        # only blocks: a note's text floats to the page foot and says nothing of where a page begins
        order = {a: i for i, a in enumerate(part.converted.blocks)}
        first_on_page: dict[int, str] = {}
        for anchor, index in placed.unit.anchors.items():
            if anchor not in order:
                continue
            if index not in first_on_page or order[anchor] < order[first_on_page[index]]:
                first_on_page[index] = anchor
        breaks[part.id] = [(first_on_page[i], lang.digits(placed.folio + i)) for i in sorted(first_on_page)]
    return breaks


# --- what changed ------------------------------------------------------------


BUILD_TEMPLATES = ("*.j2", "*.css", "print/*", "epub/*", "cover/*")
"""The templates a build reads (not the proof's or the preview's)."""


def _input_digests(manuscript_dir: Path, templates: Path, formats, out_dir: Path) -> dict:
    """Digests of every input, per kind, to decide 'nothing to do' and to say why."""
    files = {}
    skip = out_dir.resolve()
    if manuscript_dir.is_dir():
        for path in sorted(p for p in manuscript_dir.rglob("*") if p.is_file()):
            if path.resolve().is_relative_to(skip):
                continue  # the outputs are not inputs (ketab build . --out build)
            digest = _file_digest(path)
            if path.is_symlink():  # a link is an input of its own: where it points matters
                digest = f"symlink:{os.readlink(path)}:{digest}"
            files[path.relative_to(manuscript_dir).as_posix()] = digest
    return {
        "manuscript": files,
        "templates": "".join(cachemod.tree_digest(templates, g) for g in BUILD_TEMPLATES) if templates.is_dir() else "",
        "fonts": cachemod.tree_digest(templates / "fonts") if (templates / "fonts").is_dir() else "",
        "formats": sorted(formats),
    }


def _up_to_date(cache, inputs: dict, out_dir: Path) -> bool:
    state = cache.state
    if not state or state.get("inputs") != inputs:
        return False
    for name, want in state.get("outputs", {}).items():
        try:
            if _file_digest(out_dir / name) != want:
                return False
        except OSError:
            return False
    return True


def _why(before: dict, now: dict) -> list[str]:
    if not before:
        return ["no previous build recorded"]
    lines = []
    old, new = before.get("manuscript", {}), now["manuscript"]
    for name in sorted(set(old) | set(new)):
        if name not in old:
            lines.append(f"{name}: new")
        elif name not in new:
            lines.append(f"{name}: removed")
        elif old[name] != new[name]:
            lines.append(f"{name}: changed")
    for kind in ("templates", "fonts", "formats"):
        if before.get(kind) != now.get(kind):
            lines.append(f"{kind} changed")
    if not lines:
        lines.append("outputs missing or modified since the last build")
    return lines


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


def _file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class _Clock:
    def __init__(self):
        self.start = self.last = time.perf_counter()
        self.laps: dict = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.last
        self.last = now
