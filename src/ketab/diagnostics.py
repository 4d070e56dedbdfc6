"""Diagnostics: one format everywhere.

``manuscript/chapters/03.md:42: error: footnote [^7] is never defined [note.undefined]``

Every expected failure is a :class:`Diagnostic`; a stage that finds errors
collects them all and raises :class:`BuildError` once, so an editor sees every
problem of a run together.  Only real bugs print a traceback.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One message about one place in the manuscript."""

    path: str
    """File the message is about, relative to the working directory where possible."""
    line: int | None
    """1-based line, or None when the message is about the whole file."""
    severity: Severity
    message: str
    code: str
    """Stable machine-readable code such as ``note.undefined``."""

    def __str__(self) -> str:
        path = printable(self.path)
        where = path if self.line is None else f"{path}:{self.line}"
        return f"{where}: {self.severity.value}: {printable(self.message)} [{self.code}]"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with the characters that could forge or reorder a diagnostic line written as escapes: line
    breaks and other control characters, and the bidi embeddings, overrides and isolates (a file named
    «a\u202e…» would otherwise print its line number backwards).  ZWNJ and the marks Persian needs stay."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}" if ord(m.group()) > 0xff else f"\\x{ord(m.group()):02x}", str(text))


class ExitCode(enum.IntEnum):
    """Exit status of the CLI, one per class of failure."""

    OK = 0
    MANUSCRIPT = 1  # the manuscript has errors: the editor fixes them
    LOCKED = 3  # another build holds the lock
    INTERRUPTED = 130


class BuildError(Exception):
    """An expected failure: the manuscript (or its environment) is wrong."""

    exit_code = ExitCode.MANUSCRIPT

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]):
        self.diagnostics = tuple(sorted(diagnostics, key=_sort_key))
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def _sort_key(d: Diagnostic):
    return (d.path, d.line or 0, d.severity != Severity.ERROR, d.code)


def display_path(path: Path | str) -> str:
    """A path as the editor typed it: relative to the working directory if inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


class Collector:
    """Gathers diagnostics during a stage; :meth:`raise_if_errors` ends the stage."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, path, line, message: str, code: str) -> None:
        self.items.append(Diagnostic(display_path(path), line, Severity.ERROR, message, code))

    def warning(self, path, line, message: str, code: str) -> None:
        self.items.append(Diagnostic(display_path(path), line, Severity.WARNING, message, code))

    def extend(self, diagnostics) -> None:
        self.items.extend(diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if not d.is_error]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise BuildError(self.items)
