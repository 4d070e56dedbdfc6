"""A publisher's catalogue: many books built in one run, sharing one set of layout workers.

``ketab build BOOK_DIR…`` (or ``--catalogue FILE``) builds the books one after
another, each into its own output folder — ``<out>/<slug>/`` with ``--out``, else
``BOOK_DIR/build/`` — while every book's layout units go to one executor: one local
process pool for the whole run, or a Dask cluster (``--scheduler``).  One book's
errors do not stop the others; :func:`build_catalogue` returns an outcome per book.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from ketab.diagnostics import BuildError, Diagnostic


@dataclass(frozen=True)
class Entry:
    """One book of the catalogue and where it goes."""

    manuscript: Path
    out: Path
    slug: str


@dataclass
class Outcome:
    """What became of one book."""

    entry: Entry
    status: str = "pending"
    """built | up to date | failed"""
    pages: int = 0
    seconds: float = 0.0
    result: object = None
    """The :class:`ketab.pipeline.BuildResult` of a book that was built."""
    diagnostics: tuple[Diagnostic, ...] = ()
    error: str = ""
    laid_out: str = ""
    """'N laid out, M reused' (from the build's report)."""

    @property
    def failed(self) -> bool:
        return self.status == "failed"


class CatalogueError(ValueError):
    pass


def read_catalogue(path: Path) -> list[Path]:
    """The book folders a catalogue file names, relative to the file: one per line
    (``#`` starts a comment), or YAML — a list, or ``{books: [...]}`` of paths or
    ``{path: …}`` mappings."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue: {exc.strerror}") from exc
    items: list = []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    if isinstance(data, dict) and "books" in data:
        data = data["books"]
    if isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and "path" in item:
                item = item["path"]
            if not isinstance(item, str):
                raise CatalogueError(f"{path}: a book is a folder path, not {item!r}")
            items.append(item)
    else:
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                items.append(line)
    if not items:
        raise CatalogueError(f"{path}: the catalogue names no book")
    return [(path.parent / item) for item in items]


def book_slug(manuscript: Path) -> str:
    """The book's slug from its book.yaml (the folder's name if it has none readable)."""
    try:
        data = yaml.safe_load((Path(manuscript) / "book.yaml").read_text(encoding="utf-8"))
        slug = data.get("slug") if isinstance(data, dict) else None
        if isinstance(slug, str) and slug.strip() and "/" not in slug and slug not in (".", ".."):
            return slug.strip()
    except (OSError, yaml.YAMLError):
        pass
    return Path(manuscript).resolve().name


def plan(books: list[Path], out: Path | None) -> list[Entry | Outcome]:
    """Where each book goes; a book whose output folder another book already has is
    refused (an :class:`Outcome` that failed) rather than overwriting it."""
    entries, taken = [], {}
    for book in books:
        slug = book_slug(book)
        dest = Path(out) / slug if out is not None else Path(book) / "build"
        entry = Entry(Path(book), dest, slug)
        where = dest.resolve()
        if where in taken:
            entries.append(Outcome(entry, "failed", error=f"{dest} is already the output folder of {taken[where]}"))
            continue
        taken[where] = book
        entries.append(entry)
    return entries


def build_catalogue(
    books: list[Path],
    out: Path | None,
    executor,
    build_options: dict,
    progress: Callable[[Entry, str], None] = lambda entry, stage: None,
) -> list[Outcome]:
    """Build every book with one shared ``executor``; one book's failure does not stop the rest."""
    from ketab import pipeline

    pinned = "SOURCE_DATE_EPOCH" in os.environ  # set by the caller: every book is dated with it
    outcomes = []
    for item in plan(books, out):
        if isinstance(item, Outcome):
            outcomes.append(item)
            continue
        outcome = Outcome(item)
        outcomes.append(outcome)
        if not pinned:
            os.environ.pop("SOURCE_DATE_EPOCH", None)  # each book is dated by its own book.yaml
        started = time.perf_counter()
        try:
            result = pipeline.build(
                item.manuscript, item.out, progress=lambda stage, entry=item: progress(entry, stage), executor=executor, **build_options
            )
        except BuildError as exc:
            outcome.status, outcome.diagnostics = "failed", tuple(exc.diagnostics)
            n = sum(1 for d in exc.diagnostics if d.is_error)
            outcome.error = f"{n} error{'s' if n != 1 else ''}"
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # a bug or a lost cluster: this book failed, the others go on
            outcome.status, outcome.error = "failed", f"{type(exc).__name__}: {exc}"
        else:
            outcome.status = "up to date" if result.nothing_to_do else "built"
            outcome.result, outcome.pages, outcome.diagnostics = result, result.pages, tuple(result.warnings)
            outcome.laid_out = next((line.split(": ", 1)[1] for line in result.report if line.startswith("layout units:")), "")
        finally:
            outcome.seconds = time.perf_counter() - started
    if not pinned:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    return outcomes


@dataclass
class Totals:
    books: int = 0
    failed: int = 0
    pages: int = 0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def totals(outcomes: list[Outcome]) -> Totals:
    return Totals(len(outcomes), sum(o.failed for o in outcomes), sum(o.pages for o in outcomes), sum(o.seconds for o in outcomes))
