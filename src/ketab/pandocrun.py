"""pandoc, run on one chapter's Markdown: a bounded subprocess (time, memory), its warnings, the cache.

Every run uses the same options (``PANDOC_FROM``, ``PANDOC_ARGS``) plus the book's own (citeproc for a
``bibliography:``); the cache key holds them all and the files they bring in.
"""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pypandoc

from ketab.cache import digest
from ketab.diagnostics import Collector
from ketab.manuscript import Chapter, Manuscript, safe_path
from ketab.sourcemap import Parsed, nonprose_spans, split_facts

FILTER = Path(__file__).parent / "filters" / "notes.lua"
PANDOC_FROM = "markdown-raw_attribute"
PANDOC_ARGS = ("--wrap=none", "--eol=lf", "--mathml", f"--lua-filter={FILTER}")


def pandoc_version() -> str:
    return pypandoc.get_pandoc_version()


@dataclass(frozen=True)
class PandocResult:
    html: str = ""
    messages: tuple[str, ...] = ()
    """pandoc's warnings, as it wrote them (lines relative to the Markdown it was given)."""
    failure: Exception | None = field(default=None, compare=False)
    """PandocTimeout or RuntimeError when pandoc did not give HTML."""
    cached: bool = False
    parsed: Parsed | None = field(default=None, compare=False)
    """What the Lua filter noted of pandoc's parse (:mod:`ketab.sourcemap`)."""

    def to_bytes(self) -> bytes:
        parsed = self.parsed.to_json() if self.parsed is not None else None
        return json.dumps({"html": self.html, "messages": list(self.messages), "parsed": parsed}, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, blob: bytes) -> "PandocResult":
        data = json.loads(blob)
        parsed = Parsed.from_json(data["parsed"]) if data.get("parsed") is not None else None
        return cls(data["html"], tuple(data["messages"]), None, True, parsed)


def pandoc_all(bodies: list[str], cache, extras=None, salt: bytes = b"") -> list[PandocResult]:
    """pandoc on every body (with that body's ``extras`` arguments), through the cache, in parallel for the
    ones it has not seen; ``salt``: the bytes of the files the extra arguments bring in."""
    extras = extras or [()] * len(bodies)
    keys = [digest("pandoc", PANDOC_FROM, *PANDOC_ARGS[:-1], *extra, salt, FILTER.read_bytes(), body) for body, extra in zip(bodies, extras)]
    results: list = [None] * len(bodies)
    if cache is not None:
        for i, key in enumerate(keys):
            blob = cache.get("pandoc", key)
            try:
                results[i] = PandocResult.from_bytes(blob) if blob is not None else None
            except (ValueError, KeyError, TypeError):
                results[i] = None
    missing = [i for i, r in enumerate(results) if r is None]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        try:
            for i, result in zip(missing, pool.map(pandoc, [bodies[i] for i in missing], [None] * len(missing), [extras[i] for i in missing])):
                results[i] = result
                if cache is not None and result.failure is None:
                    cache.put("pandoc", keys[i], result.to_bytes())
        except BaseException:  # Ctrl-C, SIGTERM: the pandoc processes go with the build, at once
            pool.shutdown(wait=False, cancel_futures=True)
            kill_pandoc()
            raise
    return results


PANDOC_TIMEOUT = 60.0
"""Seconds pandoc may take on one chapter (``KETAB_PANDOC_TIMEOUT`` overrides); a long book's chapter takes
well under one."""
PANDOC_MEMORY = "2g"
"""Heap limit of one pandoc (its runtime's ``-M``)."""


class PandocTimeout(RuntimeError):
    def __init__(self, seconds: float):
        super().__init__(f"pandoc took longer than {seconds:g} s")
        self.seconds = seconds


_RUNNING: set = set()
_RUNNING_LOCK = threading.Lock()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """pandoc is killed when the build dies, even by SIGKILL (Linux)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


try:
    import ctypes

    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
except (OSError, AttributeError):
    _PRCTL = None


def kill_pandoc() -> None:
    """Kill every pandoc this process is running (an interrupted build stops at once)."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for proc in running:
        try:
            proc.kill()
        except OSError:
            pass


def run_pandoc(markdown: str, timeout: float | None = None, extra=()) -> str:
    """pandoc's HTML of one chapter's Markdown, bounded in time and memory; PandocTimeout or RuntimeError."""
    return _pandoc_process(markdown, timeout, extra)[0]


def _pandoc_process(markdown: str, timeout: float | None = None, extra=()) -> tuple[str, str]:
    """pandoc's (stdout, stderr) on one chapter's Markdown, bounded in time and memory; PandocTimeout or RuntimeError."""
    if timeout is None:
        try:
            timeout = float(os.environ.get("KETAB_PANDOC_TIMEOUT", PANDOC_TIMEOUT))
        except ValueError:
            timeout = PANDOC_TIMEOUT
    command = [pypandoc.get_pandoc_path(), "+RTS", f"-M{PANDOC_MEMORY}", "-RTS", f"--from={PANDOC_FROM}", "--to=html5", *PANDOC_ARGS, *extra]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_die_with_parent if _PRCTL is not None else None)
    with _RUNNING_LOCK:
        _RUNNING.add(proc)
    try:
        try:
            out, err = proc.communicate(markdown.encode("utf-8"), timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise PandocTimeout(timeout) from None
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(proc)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(err.decode("utf-8", "replace").strip() or f"pandoc exited with status {proc.returncode}")
    return out.decode("utf-8"), err.decode("utf-8", "replace")


def pandoc(markdown: str, timeout: float | None = None, extra=()) -> PandocResult:
    """pandoc's HTML of ``markdown`` and its warnings (read from its stderr, never printed), or its failure."""
    try:
        out, err = _pandoc_process(markdown, timeout, extra)
    except RuntimeError as exc:  # PandocTimeout too
        return PandocResult(failure=exc)
    parsed, err = split_facts(err)
    return PandocResult(out, pandoc_messages(err), parsed=parsed)


@functools.lru_cache(maxsize=256)
def nonprose(text: str) -> tuple:
    """Spans of ``text`` (a chapter file, front matter and all) that pandoc parses as code or raw HTML, for
    the linter outside a build (``ketab lint``): pandoc runs on the text, as the conversion runs it."""
    from ketab.persian.markdown import front_matter_end

    start = front_matter_end(text)
    result = pandoc(text[start:])
    if result.parsed is None:
        return ()
    return tuple((a + start, b + start) for a, b in nonprose_spans(text[start:], result.parsed))


_LEVEL = re.compile(r"^\[(WARNING|ERROR|INFO)\] ?")


def pandoc_messages(stderr: str) -> tuple[str, ...]:
    """pandoc's ``[WARNING] …`` messages (a message may go on over indented lines)."""
    messages: list[str] = []
    for line in stderr.splitlines():
        if _LEVEL.match(line):
            messages.append(_LEVEL.sub("", line).strip())
        elif messages and line.strip():
            messages[-1] += " " + line.strip()
    return tuple(messages)


_AT_LINE = re.compile(r"\bline (\d+)")


def pandoc_warning(chapter: Chapter, message: str, diags: Collector) -> None:
    """A pandoc warning as a diagnostic: its lines counted in the chapter's file, not in the body pandoc saw."""
    if chapter.generate:
        diags.warning(chapter.path, None, f"pandoc: {message}", "pandoc.warning")
        return

    def in_file(m):
        return f"line {chapter.body_line + int(m[1]) - 1}"

    first = _AT_LINE.search(message)
    line = chapter.body_line + int(first[1]) - 1 if first else chapter.body_line
    diags.warning(chapter.path, line, f"pandoc: {_AT_LINE.sub(in_file, message)}", "pandoc.warning")


def citeproc_args(manuscript: Manuscript, diags: Collector) -> tuple[tuple[str, ...], bytes]:
    """pandoc's citeproc options for the book's ``bibliography:`` and ``csl:``, and the bytes they bring in
    (for the cache key).  Only files inside the manuscript folder are read."""
    config = manuscript.config
    if not config.bibliography:
        return (), b""
    args, salt = ["--citeproc", f"--metadata=lang={config.language.tag}", "--metadata=link-citations=true"], b""
    for key, rels in (("bibliography", config.bibliography), ("csl", (config.csl,) if config.csl else ())):
        for rel in rels:
            path = safe_path(manuscript.root, rel)
            if path is None or not path.is_file():
                diags.error(config.path, config.lines.get((key,), 1), f"{key} file {rel!r} not found in the manuscript", "citation.file")
                continue
            args.append(f"--{key}={path}")
            salt += path.read_bytes()
    return tuple(args), salt

