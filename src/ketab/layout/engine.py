"""Print layout, unit by unit.

The book is laid out in *units* — the front matter, each chapter, the index,
and the furniture (folios, running heads) of each.  A unit is a pure function
of its HTML and CSS (and the fonts they name), so a unit whose inputs did not
change is taken from the build cache instead of being laid out again, and the
units that must be laid out are shared between the machine's cores — or a
cluster's (:mod:`ketab.layout.executor`).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import signal
import threading
import time
from collections import OrderedDict
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path

from ketab import safeio
from ketab.cache import BuildCache, digest
from ketab.layout import weasyfix, weasytags
from ketab.layout.boxes import FOOTNOTE_SAFE_CSS, find_slots, lines_out_of_block, notes_in_place, page_starts, place_marks
from ketab.layout.executor import LocalPool, UnitJob, local_path

_REFERENCE = re.compile(r"""(?:\bsrc\s*=\s*|url\(\s*)["']?([^"')\s>]+)""")
"""A file a unit's HTML (``src="…"``) or CSS (``url(…)``) makes WeasyPrint read."""

TAGGED = "tagged/1+" + weasytags.VERSION
"""Every unit is written with WeasyPrint's structure tree (``pdf_tags``): the screen PDF merges the
units' trees into one (:mod:`ketab.writers.tagging`); the print PDF and the cover drop them.  Part of
every unit's key: a unit written otherwise has other bytes."""



class _Messages(logging.Handler):
    """WeasyPrint's (and fontTools') warnings while a unit is laid out: kept with the unit and reported
    as diagnostics of its chapter (see :meth:`ketab.layout.BookLayout.messages`), never printed raw."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = " ".join(record.getMessage().split()).rstrip(":")
        if message not in self.messages:
            self.messages.append(message)

    def take(self) -> tuple[str, ...]:
        taken, self.messages = tuple(self.messages), []
        return taken


_LOG = _Messages()


def _capture_logs() -> None:
    for name in ("weasyprint", "fontTools"):
        logger = logging.getLogger(name)
        if _LOG not in logger.handlers:
            logger.addHandler(_LOG)
            logger.propagate = False


@dataclass(frozen=True)
class LaidOutUnit:
    """One unit after layout: its PDF and where its anchors fell."""

    key: str
    """Content hash of the unit's inputs."""
    pdf: bytes
    pages: int
    anchors: dict = field(compare=False)
    """Anchor id → 0-based page index inside the unit."""
    slots: tuple = field(default=(), compare=False)
    """Places kept for page numbers drawn later (see :func:`ketab.layout.boxes.find_slots`)."""
    extra: object = field(default=None, compare=False)
    """What the layouter's ``probe`` noted about the laid-out document (not cached)."""
    starts: tuple = field(default=(), compare=False)
    """Where each page's text begins (see :func:`ketab.layout.boxes.page_starts`)."""
    messages: tuple[str, ...] = field(default=(), compare=False)
    """WeasyPrint's warnings while laying the unit out."""
    segment: dict | None = field(default=None, compare=False)
    """A segment of a chapter (:mod:`ketab.layout.segments`): the block the next segment begins
    with (None: the window ended first), whether that page break was forced, the letters set."""

    def to_bytes(self) -> bytes:
        meta = {"pages": self.pages, "anchors": self.anchors, "slots": list(self.slots), "starts": list(self.starts),
                "messages": list(self.messages), "segment": self.segment}
        return json.dumps(meta, ensure_ascii=False).encode() + b"\n" + self.pdf

    @classmethod
    def from_bytes(cls, key: str, blob: bytes) -> "LaidOutUnit":
        head, _, pdf = blob.partition(b"\n")
        meta = json.loads(head)
        return cls(key, pdf, meta["pages"], meta["anchors"], tuple(meta["slots"]), starts=tuple(meta["starts"]),
                   messages=tuple(meta["messages"]), segment=meta.get("segment"))


@dataclass
class LayoutStats:
    laid_out: int = 0
    reused: int = 0


class Layouter:
    """Lays out units with WeasyPrint, through the cache, in parallel where it pays."""

    def __init__(
        self,
        base: Path,
        allowed: list[Path],
        cache: BuildCache | None = None,
        fonts_digest: str = "",
        jobs: int | None = None,
        probe=None,
        extra_css: str = "",
        executor=None,
    ):
        """``probe(document)`` (a module-level function) notes something about each laid-out
        document, kept in :attr:`LaidOutUnit.extra`; ``extra_css`` is added to every unit.
        ``executor`` (:mod:`ketab.layout.executor`) is where units are laid out: by default a
        process pool of this layouter's own; one passed in is shared and not closed here."""
        self.base = Path(base).resolve()
        self.allowed = tuple(Path(p).resolve() for p in allowed)
        self.cache = cache if probe is None else None
        self.fonts_digest = fonts_digest
        self.probe = probe
        self.extra_css = extra_css
        self.jobs = jobs or getattr(executor, "jobs", None) or min(os.cpu_count() or 1, 4)
        self.memo: dict[str, LaidOutUnit] = {}
        self.stats = LayoutStats()
        self._own_executor = executor is None
        self.executor = executor if executor is not None else LocalPool(self.jobs)
        self._engine = None
        self._file_digests: dict[Path, str] = {}

    def key(self, html: str, css: str) -> str:
        probe = f"{self.probe.__module__}.{self.probe.__qualname__}" if self.probe else ""
        # fontTools stamps the embedded subsets with SOURCE_DATE_EPOCH (pinned to the book's date):
        # a unit laid out under another epoch has other bytes.
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
        files = self._referenced_files(html + css)
        # Where the manuscript and templates lie is not part of the key (files are keyed by
        # their digests, and no path reaches the PDF): other machines share the layouts.
        return digest("unit", self.fonts_digest, epoch, weasyfix.VERSION, TAGGED, probe, *map(self._portable, (html, css, *files)))

    def _portable(self, text: str) -> str:
        for i, root in enumerate((self.base, *self.allowed)):
            text = text.replace(root.as_uri() + "/", f"ketab-root-{i}:/")
        return text

    def _referenced_files(self, text: str) -> list[str]:
        """[reference, digest of its file, …] for every local file a unit reads (pictures, CSS
        assets): a changed picture is a changed unit, though the unit's HTML only names it."""
        out = []
        for ref in _references(text):
            path = local_path(ref, self.base)
            if path is None:
                continue  # data: URLs are in the text itself; remote ones are refused by the fetcher
            if path not in self._file_digests:
                try:
                    resolved = path.resolve()
                    inside = any(resolved.is_relative_to(root) for root in self.allowed)
                    # streamed, regular files inside the allowed folders only (the fetcher reads nothing else)
                    self._file_digests[path] = safeio.file_digest(resolved) if inside else "outside"
                except (OSError, RuntimeError, ValueError):
                    self._file_digests[path] = "missing"
            out += [ref, self._file_digests[path]]
        return out

    def lookup(self, key: str) -> LaidOutUnit | None:
        unit = self.memo.get(key)
        if unit is None and self.cache is not None:
            blob = self.cache.get("layout", key)
            if blob is not None:
                try:
                    unit = LaidOutUnit.from_bytes(key, blob)
                except (ValueError, KeyError):
                    unit = None
        if unit is not None:
            self.memo[key] = unit
        return unit

    def layout(self, html: str, css: str) -> LaidOutUnit:
        return self.layout_many([(html, css)])[0]

    def layout_many(self, jobs: list[tuple[str, str]]) -> list[LaidOutUnit]:
        """Lay out independent units (html, css): cached ones are reused, the rest shared out."""
        jobs = [(html, css + self.extra_css) for html, css in jobs]
        keys = [self.key(html, css) for html, css in jobs]
        results: dict[str, LaidOutUnit] = {}
        todo: dict[str, tuple[str, str]] = {}
        for key, job in zip(keys, jobs):
            unit = self.lookup(key)
            if unit is not None:
                results[key] = unit
                self.stats.reused += 1
            else:
                todo.setdefault(key, job)
        if todo and (self.executor.remote or (len(todo) > 1 and self.jobs > 1)):
            # longest first, so that the cores finish together
            order = sorted(todo.items(), key=lambda item: -len(item[1][0]))
            futures = {key: self.executor.submit(self._job(key, html, css)) for key, (html, css) in order}
            deadline = time.monotonic() + layout_timeout() * max(1, -(-len(futures) // self.jobs))
            try:
                laid = {}
                for key, f in futures.items():
                    try:
                        laid[key] = f.result(timeout=max(0.1, deadline - time.monotonic()))
                    except FutureTimeout:
                        raise LayoutTimeout(layout_timeout()) from None
            except BaseException:  # Ctrl-C, SIGTERM, a worker's failure: the workers stop now, not after their unit
                self.executor.abort(list(futures.values()))
                raise
            finally:
                del futures  # a cluster keeps a result while a future holds it
        else:
            with _time_limit(layout_timeout()):
                laid = {key: self._engine_render(html, css) for key, (html, css) in todo.items()}
        for key, (pdf, pages, anchors, slots, extra, starts, messages, segment) in laid.items():
            unit = LaidOutUnit(key, pdf, pages, anchors, slots, extra, starts, messages, segment)
            self.memo[key] = results[key] = unit
            self.stats.laid_out += 1
            if self.cache is not None:
                self.cache.put("layout", key, unit.to_bytes())
        return [results[key] for key in keys]

    def _engine_render(self, html: str, css: str):
        if self._engine is None:
            self._engine = Engine(self.base, self.allowed)
        return self._engine.render(html, css, self.probe)

    def _job(self, key: str, html: str, css: str) -> UnitJob:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
        return UnitJob(key, self.base, self.allowed, html, css, epoch, self.probe, tuple(_references(html + css)), Engine)

    def close(self) -> None:
        if self._own_executor:
            self.executor.close()


LAYOUT_TIMEOUT = 600.0
"""Seconds WeasyPrint may take on one unit (``KETAB_LAYOUT_TIMEOUT`` overrides)."""


def layout_timeout() -> float:
    try:
        return float(os.environ.get("KETAB_LAYOUT_TIMEOUT", LAYOUT_TIMEOUT))
    except ValueError:
        return LAYOUT_TIMEOUT


class LayoutTimeout(Exception):
    """WeasyPrint did not finish a unit in time (the pipeline reports it as a diagnostic)."""

    def __init__(self, seconds: float):
        super().__init__(f"a layout unit took longer than {seconds:g} s")
        self.seconds = seconds


@contextlib.contextmanager
def _time_limit(seconds: float):
    """LayoutTimeout after ``seconds`` of in-process layout (main thread only: elsewhere, no limit)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise LayoutTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Engine:
    """WeasyPrint with ketab's sandboxed fetcher and one font configuration."""

    def __init__(self, base: Path, allowed, fetcher=None):
        """``fetcher``: the sandbox on ``allowed`` by default (a Dask worker brings its own)."""
        import weasyprint  # noqa: F401  (imported here: a no-change build never pays for it)
        from weasyprint.text.fonts import FontConfiguration

        from ketab.fetcher import SandboxFetcher

        _capture_logs()
        weasyfix.apply()
        weasytags.apply()  # the text of the structure tree (TAGGED)
        self.base_url = base.as_uri() + "/"
        self.fetcher = fetcher if fetcher is not None else SandboxFetcher(allowed)
        self.fonts = FontConfiguration()
        self._sheets: OrderedDict = OrderedDict()

    def document(self, html: str, css: str):
        """The laid-out WeasyPrint Document, with every footnote on its call's page.

        :mod:`.weasyfix` corrects the cause; should a note still be off its page (another
        WeasyPrint, a line whose notes outgrow a page), the unit is laid out once more
        without widows/orphans, and the better of the two is kept (``ketab check`` reports
        what remains)."""
        document = self._document(html, css)
        misplaced = notes_in_place(document)
        if misplaced:
            second = self._document(html, css + FOOTNOTE_SAFE_CSS)
            if len(notes_in_place(second)) < len(misplaced):
                document = second
        return document

    def render(self, html: str, css: str, probe=None):
        """(PDF bytes, page count, anchor → page index, slots, probe's note, page starts, WeasyPrint's
        warnings, where a segment ended) of one unit."""
        _LOG.take()
        document = self.document(html, css)
        if 'data-marks="' in html:
            place_marks(document)  # the index marks taken out of the running text (pagination.detach_index_marks)
        _LOG.messages += [m for m in lines_out_of_block(document) if m not in _LOG.messages]
        anchors: dict[str, int] = {}
        for index, page in enumerate(document.pages):
            for anchor in page.anchors:
                anchors.setdefault(anchor, index)
        out = io.BytesIO()
        document.write_pdf(out, pdf_tags=bool(TAGGED))
        note = probe(document) if probe else None
        seen: dict[str, int] = {}
        starts = page_starts(document, seen)
        segment = getattr(document, "ketab_segment", None)
        if segment is not None:
            segment = dict(segment, letters=seen.get(segment.pop("section"), 0))
        return out.getvalue(), len(document.pages), anchors, find_slots(document), note, starts, _LOG.take(), segment

    def _document(self, html: str, css: str):
        import weasyprint
        from weasyprint.css.counters import CounterStyle

        from ketab.layout import resume

        # A stylesheet is parsed once per engine (its fonts loaded once): the units and segments of a
        # book share a few stylesheets, and parsing one costs as much as laying out a page or two.
        # What WeasyPrint said parsing it is said again for every unit that uses it.
        sheet = self._sheets.pop(css, None)
        if sheet is None:
            counters = CounterStyle()  # the stylesheet's @counter-style rules (e.g. Persian letters)
            before = list(_LOG.messages)
            stylesheet = weasyprint.CSS(
                string=css, base_url=self.base_url, url_fetcher=self.fetcher, font_config=self.fonts, counter_style=counters
            )
            sheet = stylesheet, counters, [m for m in _LOG.messages if m not in before]
        self._sheets[css] = sheet
        while len(self._sheets) > 16:
            self._sheets.popitem(last=False)
        stylesheet, counters, said = sheet
        _LOG.messages += [m for m in said if m not in _LOG.messages]
        params = resume.read_params(html)
        record: dict = {}
        weasyfix.STOP.when = resume.stopper(params, record) if params else None
        try:
            document = weasyprint.HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
                stylesheets=[stylesheet], font_config=self.fonts, counter_style=counters
            )
        finally:
            weasyfix.STOP.when = None
        if params:
            document.ketab_segment = {"end": record.get("end"), "forced": record.get("forced", False), "section": params.section}
        return document


def _references(text: str) -> list[str]:
    return sorted(set(_REFERENCE.findall(text)))
