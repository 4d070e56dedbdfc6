"""Print layout, unit by unit.

The book is laid out in *units* — the front matter, each chapter, the index,
and the furniture (folios, running heads) of each.  A unit is a pure function
of its HTML and CSS (and the fonts they name), so a unit whose inputs did not
change is taken from the build cache instead of being laid out again, and the
units that must be laid out are shared between the machine's cores.
"""

from __future__ import annotations

import io
import json
import logging
import multiprocessing
import os
import re
import signal
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ketab.cache import BuildCache, digest
from ketab.layout.boxes import FOOTNOTE_SAFE_CSS, find_slots, footnotes_intact

_REFERENCE = re.compile(r"""(?:\bsrc\s*=\s*|url\(\s*)["']?([^"')\s>]+)""")
"""A file a unit's HTML (``src="…"``) or CSS (``url(…)``) makes WeasyPrint read."""

logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


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

    def to_bytes(self) -> bytes:
        meta = {"pages": self.pages, "anchors": self.anchors, "slots": list(self.slots)}
        return json.dumps(meta, ensure_ascii=False).encode() + b"\n" + self.pdf

    @classmethod
    def from_bytes(cls, key: str, blob: bytes) -> "LaidOutUnit":
        head, _, pdf = blob.partition(b"\n")
        meta = json.loads(head)
        return cls(key, pdf, meta["pages"], meta["anchors"], tuple(meta["slots"]))


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
    ):
        """``probe(document)`` (a module-level function) notes something about each laid-out
        document, kept in :attr:`LaidOutUnit.extra`; ``extra_css`` is added to every unit."""
        self.base = Path(base).resolve()
        self.allowed = tuple(Path(p).resolve() for p in allowed)
        self.cache = cache if probe is None else None
        self.fonts_digest = fonts_digest
        self.probe = probe
        self.extra_css = extra_css
        self.jobs = jobs or min(os.cpu_count() or 1, 4)
        self.memo: dict[str, LaidOutUnit] = {}
        self.stats = LayoutStats()
        self._pool: ProcessPoolExecutor | None = None
        self._engine = None
        self._file_digests: dict[Path, str] = {}

    def key(self, html: str, css: str) -> str:
        probe = f"{self.probe.__module__}.{self.probe.__qualname__}" if self.probe else ""
        # fontTools stamps the embedded subsets with SOURCE_DATE_EPOCH (pinned to the book's date):
        # a unit laid out under another epoch has other bytes.
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
        return digest("unit", self.fonts_digest, epoch, probe, html, css, *self._referenced_files(html + css))

    def _referenced_files(self, text: str) -> list[str]:
        """[reference, digest of its file, …] for every local file a unit reads (pictures, CSS
        assets): a changed picture is a changed unit, though the unit's HTML only names it."""
        out = []
        for ref in sorted(set(_REFERENCE.findall(text))):
            parts = urlsplit(ref)
            if parts.scheme == "file":
                path = Path(unquote(parts.path))
            elif not parts.scheme and not ref.startswith("#"):
                path = self.base / unquote(parts.path)
            else:
                continue  # data: URLs are in the text itself; remote ones are refused by the fetcher
            if path not in self._file_digests:
                try:
                    self._file_digests[path] = digest(path.read_bytes())
                except OSError:
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
        if len(todo) > 1 and self.jobs > 1:
            pool = self._get_pool()
            # longest first, so that the cores finish together
            order = sorted(todo.items(), key=lambda item: -len(item[1][0]))
            futures = {key: pool.submit(_render_in_worker, html, css, self.probe) for key, (html, css) in order}
            laid = {key: f.result() for key, f in futures.items()}
        else:
            laid = {key: self._engine_render(html, css) for key, (html, css) in todo.items()}
        for key, (pdf, pages, anchors, slots, extra) in laid.items():
            unit = LaidOutUnit(key, pdf, pages, anchors, slots, extra)
            self.memo[key] = results[key] = unit
            self.stats.laid_out += 1
            if self.cache is not None:
                self.cache.put("layout", key, unit.to_bytes())
        return [results[key] for key in keys]

    def _engine_render(self, html: str, css: str):
        if self._engine is None:
            self._engine = Engine(self.base, self.allowed)
        return self._engine.render(html, css, self.probe)

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # fork: the workers inherit the modules imported here (WeasyPrint takes ~1.3 s
            # to import); they are started before this process lays anything out itself.
            import weasyprint  # noqa: F401

            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_init_worker, initargs=(self.base, self.allowed))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


class Engine:
    """WeasyPrint with ketab's sandboxed fetcher and one font configuration."""

    def __init__(self, base: Path, allowed):
        import weasyprint  # noqa: F401  (imported here: a no-change build never pays for it)
        from weasyprint.text.fonts import FontConfiguration

        from ketab.fetcher import SandboxFetcher

        self.base_url = base.as_uri() + "/"
        self.fetcher = SandboxFetcher(allowed)
        self.fonts = FontConfiguration()

    def document(self, html: str, css: str):
        """The laid-out WeasyPrint Document, with every footnote in place."""
        document = self._document(html, css)
        if not footnotes_intact(document):
            # WeasyPrint 70 can drop or misplace a footnote when widows/orphans push the
            # line holding its call to the next page: lay out again without that rule.
            document = self._document(html, css + FOOTNOTE_SAFE_CSS)
        return document

    def render(self, html: str, css: str, probe=None):
        """(PDF bytes, page count, anchor → page index, slots, probe's note) of one unit."""
        document = self.document(html, css)
        anchors: dict[str, int] = {}
        for index, page in enumerate(document.pages):
            for anchor in page.anchors:
                anchors.setdefault(anchor, index)
        out = io.BytesIO()
        document.write_pdf(out)
        return out.getvalue(), len(document.pages), anchors, find_slots(document), probe(document) if probe else None


    def _document(self, html: str, css: str):
        import weasyprint
        from weasyprint.css.counters import CounterStyle

        counters = CounterStyle()  # the unit's @counter-style rules (e.g. Persian letters)
        stylesheet = weasyprint.CSS(
            string=css, base_url=self.base_url, url_fetcher=self.fetcher, font_config=self.fonts, counter_style=counters
        )
        return weasyprint.HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
            stylesheets=[stylesheet], font_config=self.fonts, counter_style=counters
        )


_WORKER: Engine | None = None


def _init_worker(base, allowed):
    global _WORKER
    # Ctrl-C reaches the whole process group: the parent handles it and shuts the pool down.  A worker
    # neither prints a KeyboardInterrupt traceback nor runs the CLI's SIGTERM handler (inherited by fork).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER = Engine(base, allowed)


def _render_in_worker(html: str, css: str, probe=None):
    return _WORKER.render(html, css, probe)
