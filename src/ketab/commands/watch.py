"""``ketab watch``: rebuild on save, with a live preview in the browser.

The manuscript and templates folders are watched (``watchfiles``).  A saved
chapter's new text goes to the preview at once (:mod:`ketab.drafts`: that
chapter converted through the build cache, its section spliced into the page,
marked "pages pending"); once the saves settle, one rebuild runs through
:func:`ketab.pipeline.build`, which is incremental (an unchanged book is
"nothing to do") and finds that chapter's pandoc run in the cache.  Each
outcome goes to the terminal — diagnostics in the usual
``path:line: error: message [code]`` form — and to the preview
(:mod:`ketab.preview`), whose pages swap in the new pages, with their print page
numbers, and show the errors of a failed build over the last good one.

Two threads: the files are watched, and the drafts made, in one; the builds run
in the thread that called :meth:`Watcher.run` (Ctrl+C interrupts a build as
``ketab build`` is interrupted).

    ketab watch [MANUSCRIPT] [--out DIR] [--format screen,epub] [--port 8000] [--open]

:class:`Watcher` is the same thing as a function API: ``start()`` runs it in a
thread (tests), ``run()`` in the calling thread (the command: Ctrl+C stops it).
"""

from __future__ import annotations

import threading
import time
import traceback
from pathlib import Path

import click

STEP_MS = 50
"""A save is taken in once nothing changed for this long: its chapter's new text goes to the preview."""
BURST_MS = 300
"""Longest a burst of changes is gathered before the preview gets the new text."""
QUIET_MS = 300
"""A rebuild starts once nothing changed for this long (and the new text is in the preview)…"""
DEBOUNCE_MS = 1600
"""… or once changes have kept coming for this long: never a rebuild per keystroke."""
TICK_MS = 100
"""How often the watch loops wake up while nothing happens (the watch then knows nothing changed)."""


class Watcher:
    """Rebuild ``manuscript`` into ``out`` on every change, and serve the preview on ``port``."""

    def __init__(
        self,
        manuscript: Path,
        out: Path,
        formats: tuple[str, ...] = ("screen", "epub"),
        port: int = 8000,
        templates: Path | None = None,
        max_builds: int | None = None,
        echo: bool = True,
    ):
        from ketab.preview import Preview
        from ketab.render import default_templates

        if "epub" not in formats:
            raise ValueError("the preview shows the EPUB: formats must include epub")
        self.manuscript = Path(manuscript)
        self.out = Path(out)
        self.formats = tuple(formats)
        self.templates = Path(templates or default_templates())
        self.max_builds = max_builds
        self.preview = Preview(port, lang=_book_language(self.manuscript))
        self.build_count = 0
        """Builds finished, failed ones included."""
        self.last_error: Exception | None = None
        """The BuildError (or the bug) of the last build; None when it succeeded."""
        self.last_result = None
        """The BuildResult of the last successful build."""
        self.building = False
        """True while a build runs."""
        self.saves = 0
        """Bursts of changes seen so far (a build, and the drafts, know which saves they took in)."""
        self.drafts_made = 0
        """Times the preview got a chapter's new text ahead of its build."""
        self._changes = threading.Condition()
        self._through = -1
        """The last save the last build took in."""
        self._burst_start = self._last_change = 0.0
        self._drafted_at = self._looked_at = 0.0
        """When the last draft was made; when the watch last found nothing new."""
        self._drafting = False
        self._drafter = None
        """Makes the drafts (:class:`ketab.drafts.Drafter`): made after the first good build, when the build
        cache it shares is sound."""
        self._watch_error: BaseException | None = None
        self._echo = echo
        self._console = None
        self._stop = threading.Event()
        self._done = threading.Condition()
        self._thread: threading.Thread | None = None
        self._warnings: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return self.preview.url

    # --- running -------------------------------------------------------------

    def start(self) -> Watcher:
        """Serve the preview and watch in a background thread; returns at once (see :meth:`wait_for_build`)."""
        self.preview.listen()
        self._thread = threading.Thread(target=self.run, name="ketab-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 60) -> None:
        """Stop watching (after the build under way, if any) and stop serving."""
        self._stop.set()
        with self._changes:
            self._changes.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        self.preview.close()

    def __enter__(self) -> Watcher:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def run(self) -> None:
        """Build now, then after every burst of changes, until :meth:`stop`, Ctrl+C or ``max_builds``."""
        self.preview.listen()
        ready = threading.Event()
        watching = threading.Thread(target=self._watch, args=(ready,), name="ketab-watch-files", daemon=True)
        watching.start()
        ready.wait(10)  # the first build runs as soon as the watch is in place, so no save is missed
        try:
            while not self._stop.is_set() and self._watch_error is None:
                through = self._next_build()
                if through is None:
                    break
                self._build(through)
                if self.max_builds and self.build_count >= self.max_builds:
                    return
        finally:
            self._stop.set()
            watching.join(5)
        if self._watch_error is not None:
            raise self._watch_error

    def _watch(self, ready: threading.Event) -> None:
        """The watching thread: every burst of changes is said, drafted for the preview and counted."""
        import watchfiles

        roots = [str(p.resolve()) for p in (self.manuscript, self.templates)]
        try:
            for changes in watchfiles.watch(
                *roots,
                watch_filter=_Filter(self.out),
                debounce=BURST_MS,
                step=STEP_MS,
                rust_timeout=TICK_MS,
                yield_on_timeout=True,
                stop_event=self._stop,
                raise_interrupt=False,
            ):
                ready.set()
                if changes:
                    self._saw(changes)
                    continue
                with self._changes:
                    self._looked_at = time.monotonic()
                    self._changes.notify_all()
                if self._drafter is not None:
                    self._drafter.warm()  # idle: the first save's draft will be quick
        except Exception as exc:  # the folder went away, too many files to watch…: the build loop stops and says so
            self._watch_error = exc
            self._stop.set()
        finally:
            ready.set()
            with self._changes:
                self._changes.notify_all()

    def _saw(self, changes) -> None:
        self._say_changes(changes)
        with self._changes:
            self.saves += 1
            save = self.saves
            self._last_change = time.monotonic()
            if not self._burst_start:
                self._burst_start = self._last_change
            self._drafting = True
        try:
            self._draft(changes, save)
        finally:
            with self._changes:
                self._drafting = False
                self._drafted_at = time.monotonic()
                self._changes.notify_all()

    def _next_build(self) -> int | None:
        """Wait until the next build is due: the number of the last save it takes in; None when stopping.

        The first build is due at once; the next once there are new saves, their drafts are made (their
        pandoc runs are then in the cache), and nothing changed for QUIET_MS — the watch having looked
        again since the last draft — or changes kept coming for DEBOUNCE_MS."""
        with self._changes:
            while not self._stop.is_set():
                if self._through < 0:
                    self._through = self.saves
                    return self._through
                if self.saves > self._through and not self._drafting:
                    now = time.monotonic()
                    quiet = self._last_change + QUIET_MS / 1000 - now
                    if (quiet <= 0 and self._looked_at >= self._drafted_at) or now >= self._burst_start + DEBOUNCE_MS / 1000:
                        self._through, self._burst_start = self.saves, 0.0
                        return self._through
                    self._changes.wait(max(quiet, TICK_MS / 1000))
                else:
                    self._changes.wait(TICK_MS / 1000)
        return None

    def _draft(self, changes, save: int) -> None:
        """The changed chapters' new text to the preview, ahead of their build (:mod:`ketab.drafts`)."""
        if self._drafter is None or self.preview.snapshot is None:
            return
        started = time.perf_counter()
        try:
            drafts = self._drafter.drafts([path for _, path in changes])
        except Exception as exc:  # a bug in the draft: the build that follows shows the book as it is
            self._say(f"no quick preview ({type(exc).__name__}: {exc}); the build follows", "yellow")
            return
        if drafts:
            self.preview.drafted(drafts, save)
            self.drafts_made += 1
            self._say(f"new text in the preview in {time.perf_counter() - started:.2f} s ({', '.join(drafts)}); pages follow", "cyan")

    def wait_for_build(self, after: int, timeout: float) -> bool:
        """Wait until more than ``after`` builds have finished; False on timeout."""
        with self._done:
            return self._done.wait_for(lambda: self.build_count > after, timeout)

    # --- one build -----------------------------------------------------------

    def _build(self, through: int) -> None:
        """One build of the saves up to number ``through``; the preview hears how it went."""
        from ketab import pipeline
        from ketab.diagnostics import BuildError
        from ketab.preview import load_snapshot

        self.preview.building()
        self.building = True
        started = time.perf_counter()
        try:
            result = pipeline.build(self.manuscript, self.out, self.formats, self.templates, progress=self.preview.building)
            snapshot = load_snapshot(Path(result.outputs["epub"]), {k: v for k, v in result.outputs.items() if str(v).endswith(".pdf")})
        except BuildError as exc:
            self.last_error = exc
            for d in exc.diagnostics:
                self._say_diagnostic(d)
            errors = [str(d) for d in exc.diagnostics if d.is_error]
            n = len(errors)
            self._say(f"build failed: {n} error{'s' if n != 1 else ''}; the preview keeps the last good build", "bold red")
            self.preview.failed(errors, [str(d) for d in exc.diagnostics if not d.is_error], through)
        except Exception as exc:  # a bug in ketab: show it, keep watching
            self.last_error = exc
            self._say(traceback.format_exc().rstrip(), "red")
            self._say("internal error: this is a bug in ketab; still watching", "bold red")
            self.preview.failed([f"internal error: {type(exc).__name__}: {exc} (the traceback is on the terminal)"], (), through)
        else:
            self.last_error, self.last_result = None, result
            if result.warnings or not result.nothing_to_do:  # "nothing to do" may report none: the last build's hold
                self._warnings = tuple(str(w) for w in result.warnings)
                for w in result.warnings:
                    self._say_diagnostic(w)
            elapsed = time.perf_counter() - started
            if result.nothing_to_do:
                self._say(f"nothing to do: outputs are up to date ({elapsed:.2f} s)", "green")
            else:
                self._say(f"built {result.pages} pages in {elapsed:.1f} s — {self.url}", "green")
            if self._drafter is None:
                from ketab.drafts import Drafter

                self._drafter = Drafter(self.manuscript, self.templates, pipeline.open_cache(self.out, None))
            self.preview.succeeded(snapshot, self._warnings, through)
        self.building = False
        with self._done:
            self.build_count += 1
            self._done.notify_all()

    # --- the terminal --------------------------------------------------------

    def _say(self, text: str, style: str | None = None) -> None:
        if not self._echo:
            return
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False)
        self._console.print(text, style=style, markup=False, soft_wrap=True)

    def _say_diagnostic(self, d) -> None:
        self._say(str(d), "bold red" if d.is_error else "yellow")

    def _say_changes(self, changes) -> None:
        from ketab.diagnostics import display_path

        names = sorted({display_path(path) for _, path in changes})
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        self._say(f"changed: {', '.join(names[:3])}{more}", "cyan")


class _Filter:
    """watchfiles' default filter (editor swap files, .git, …), and nothing under the output folder."""

    def __init__(self, out: Path):
        from watchfiles import DefaultFilter

        self.default = DefaultFilter()
        self.out = Path(out).resolve()

    def __call__(self, change, path: str) -> bool:
        return self.default(change, path) and not Path(path).resolve().is_relative_to(self.out)


# --- the command ---------------------------------------------------------------


@click.command("watch")
@click.argument("manuscript", default="manuscript", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", default="build", type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--format", "formats", default="screen,epub", show_default=True, help="Comma-separated: print, screen, epub (the preview needs epub).")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path), help="Templates folder.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port of the preview on 127.0.0.1 (0: any free port).")
@click.option("--open/--no-browser", "open_browser", default=False, help="Open the preview in a browser (default: only print its address).")
@click.option("--max-builds", type=click.IntRange(min=1), hidden=True, help="Stop after this many builds (for tests).")
def command(manuscript: Path, out_dir: Path, formats: str, templates: Path | None, port: int, open_browser: bool, max_builds: int | None) -> None:
    """Rebuild MANUSCRIPT (default manuscript/) on every save and preview it in the browser.

    The preview (the EPUB's pages, with links to the PDFs) is served on
    http://127.0.0.1:PORT/ only; it reloads itself after each build and shows
    the errors of a failed one.  Ctrl+C stops."""
    from ketab import pipeline

    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in wanted if f not in pipeline.FORMATS]
    if unknown or not wanted:
        raise click.BadParameter(f"unknown format {', '.join(unknown) or '(none)'}; use print, screen, epub", param_hint="--format")
    if "epub" not in wanted:
        raise click.BadParameter("the preview shows the EPUB: include epub", param_hint="--format")
    watcher = Watcher(manuscript, out_dir, wanted, port, templates, max_builds)
    try:
        url = watcher.preview.listen()
    except OSError as exc:
        raise click.ClickException(f"cannot serve the preview on 127.0.0.1:{port}: {exc.strerror or exc}; try --port 0") from None
    watcher._say(f"watching {manuscript} and {watcher.templates}; preview at {url} (Ctrl+C stops)", "bold")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        watcher.run()
    except KeyboardInterrupt:
        watcher._say("interrupted; previous outputs left as they were" if watcher.building else "stopped", "bold")
    finally:
        watcher.preview.close()
    if max_builds and watcher.last_error is not None:
        raise SystemExit(getattr(watcher.last_error, "exit_code", 1))


def _book_language(manuscript: Path) -> str | None:
    """The language book.yaml names (read plainly: a broken book.yaml is the build's to report)."""
    import yaml

    try:
        data = yaml.safe_load((Path(manuscript) / "book.yaml").read_text(encoding="utf-8"))
        return str(data.get("language")) if isinstance(data, dict) and data.get("language") else None
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
