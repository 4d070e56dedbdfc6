"""Where layout units are laid out: this machine's process pool or a Dask cluster.

A layout unit is a pure function of its HTML, CSS and the files they name, so it
can be laid out anywhere.  The :class:`~ketab.layout.engine.Layouter` hands each
unit to an *executor* as a :class:`UnitJob` and gets back a future (the
``concurrent.futures`` interface: ``result()``):

* :class:`LocalPool` — a ``ProcessPoolExecutor`` of forked workers on this machine
  (what a build has always used; one pool can serve every book of a catalogue);
* :class:`DaskExecutor` — ``dask.distributed``'s ``Client.submit`` on a cluster
  (``ketab build --scheduler ADDRESS``).  A worker needs only ketab installed: the
  manuscript's files a unit reads travel with the unit as bytes, the templates'
  files (fonts) are shipped once to every worker, keyed by their digest, and the
  worker's fetcher serves only those bytes and ``data:`` URLs — it never opens a
  file of its own disk.  The files shipped are exactly the files the unit's cache
  key covers, chosen by the same sandbox rules as a local build.

Dask retries the units of a worker that dies (``distributed.scheduler.allowed-failures``).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable
from urllib.parse import unquote, urlsplit

from ketab.cache import digest


@dataclass(frozen=True)
class UnitJob:
    """One unit to lay out and everything a worker needs to know about it."""

    key: str
    """The unit's content hash (:meth:`Layouter.key`)."""
    base: Path
    """The manuscript folder: relative references resolve against it."""
    allowed: tuple[Path, ...]
    """Folders whose files the unit may read (the sandbox)."""
    html: str
    css: str
    epoch: str
    """SOURCE_DATE_EPOCH of the book (fontTools stamps the font subsets with it)."""
    probe: Callable | None = None
    references: tuple[str, ...] = ()
    """The local files the unit names (``src=``, ``url()``), as written."""
    engine: type | None = None
    """What lays the unit out: :class:`ketab.layout.engine.Engine` (named here, not imported:
    it travels to the worker by reference)."""


RenderResult = tuple
"""(PDF bytes, page count, anchor → page index, slots, probe's note)."""


def local_path(reference: str, base: Path) -> Path | None:
    """The file a reference of a unit names (None for data:, remote URLs and fragments)."""
    parts = urlsplit(reference)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if not parts.scheme and not reference.startswith("#"):
        return Path(base) / unquote(parts.path)
    return None


# --- this machine -------------------------------------------------------------


class LocalPool:
    """Forked worker processes on this machine (``jobs`` of them), with a temporary folder of
    their own (WeasyPrint leaves a font folder per book in it), removed with the pool."""

    remote = False

    def __init__(self, jobs: int | None = None):
        """``jobs``: worker processes (default ``KETAB_JOBS``, else the machine's cores, at most 4).  With
        one, a build lays every unit out in its own process (what a profiler wants to see)."""
        self.jobs = jobs or _jobs_from_environment() or min(os.cpu_count() or 1, 4)
        self._pool: ProcessPoolExecutor | None = None
        # made now, while the temporary folder is the one of whoever makes the pool (a build's own
        # folder goes with that build; a catalogue's pool outlives every book)
        self._tmp: str | None = tempfile.mkdtemp(prefix="ketab-pool-")

    def submit(self, job: UnitJob):
        if self._pool is None:
            # fork: the workers inherit the modules imported here (WeasyPrint takes ~1.3 s
            # to import); they are started before this process lays anything out itself.
            import weasyprint  # noqa: F401

            context = multiprocessing.get_context("fork")
            if self._tmp is None:  # aborted before
                self._tmp = tempfile.mkdtemp(prefix="ketab-pool-")
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_init_local_worker, initargs=(os.getpid(), self._tmp))
        return self._pool.submit(_render_local, job.engine, job.base, job.allowed, job.html, job.css, job.epoch, job.probe)

    def abort(self, futures=()) -> None:
        """Kill the workers at once (an interrupted build stops within a second); the next
        unit submitted starts a new pool."""
        pool, self._pool = self._pool, None
        if pool is not None:
            processes = list((getattr(pool, "_processes", None) or {}).values())
            for process in processes:
                try:
                    process.kill()
                except (OSError, AttributeError):
                    pass
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.join(timeout=2)
        self._remove_tmp()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        self._remove_tmp()

    def _remove_tmp(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _jobs_from_environment() -> int | None:
    try:
        jobs = int(os.environ.get("KETAB_JOBS", ""))
    except ValueError:
        return None
    return jobs if jobs > 0 else None


_LOCAL_ENGINES: OrderedDict = OrderedDict()
"""(manuscript, allowed folders) → Engine, in a local worker: one per book it serves (the last few)."""


def _init_local_worker(parent: int | None = None, tmp: str | None = None):
    # A worker dies with the build, even a SIGKILLed one (it would otherwise wait for work for ever).
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if parent is not None and os.getppid() != parent:  # the build died before the line above
        os._exit(1)
    if tmp is not None:
        tempfile.tempdir = tmp  # not the folder of the build that happened to start the pool
    # Ctrl-C reaches the whole process group: the parent handles it and shuts the pool down.  A worker
    # neither prints a KeyboardInterrupt traceback nor runs the CLI's SIGTERM handler (inherited by fork).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _render_local(engine_class, base, allowed, html, css, epoch, probe=None) -> RenderResult:
    if epoch:
        os.environ["SOURCE_DATE_EPOCH"] = epoch
    engine = _LOCAL_ENGINES.pop((base, allowed), None) or engine_class(base, allowed)
    _LOCAL_ENGINES[(base, allowed)] = engine
    while len(_LOCAL_ENGINES) > 8:
        _LOCAL_ENGINES.popitem(last=False)
    return engine.render(html, css, probe)


# --- a Dask cluster -----------------------------------------------------------


@dataclass(frozen=True)
class Payload:
    """A unit as it travels to a Dask worker: no path in it is ever opened there."""

    base_uri: str
    html: str
    css: str
    epoch: str
    probe: Callable | None
    files: dict
    """Requested path (normalised) → (URL of the file as the sandbox resolved it, bytes)."""
    assets: dict
    """Requested path (normalised) → (resolved URL, digest of a file shipped to every worker)."""
    versions: str = ""
    """Digest of the client's tool versions (the cache salt): a worker with others refuses the unit."""
    engine: type | None = None
    """:class:`ketab.layout.engine.Engine`, by reference."""


class SchedulerUnreachable(RuntimeError):
    pass


class DaskExecutor:
    """Lays units out on the ``dask.distributed`` cluster whose scheduler is at ``address``."""

    remote = True

    def __init__(self, address: str):
        """Waits for the scheduler as long as dask's ``distributed.comm.timeouts.connect`` says
        (30 s; ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s`` in the environment)."""
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise SchedulerUnreachable("--scheduler needs dask.distributed: pip install 'ketab[distributed]'") from exc
        try:
            self.client = Client(address, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise SchedulerUnreachable(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        from ketab.cache import tool_versions

        self.versions = versions_digest(tool_versions())
        self.jobs = max(1, sum(self.client.nthreads().values()))
        self._shipped: set[str] = set()
        self._lock = threading.Lock()
        self.bytes_shipped = 0

    def submit(self, job: UnitJob):
        payload, blobs = pack(job, self.versions)
        self._ship(blobs)
        # The unit's content hash is its task key: a unit every client wants is laid out once.
        return self.client.submit(_render_remote, payload, key=f"ketab-layout-{job.key}", pure=True)

    def _ship(self, blobs: dict[str, bytes]) -> None:
        """Send the templates' files the cluster does not have yet, once, to every worker
        (a worker plugin: the scheduler gives it to workers that join or restart later too)."""
        with self._lock:
            new = {d: b for d, b in blobs.items() if d not in self._shipped}
            if not new:
                return
            name = "ketab-assets-" + digest(*sorted(new))[:24]
            self.client.register_plugin(__getattr__("AssetPlugin")(new), name=name)
            self._shipped |= set(new)
            self.bytes_shipped += sum(len(b) for b in new.values())

    def abort(self, futures=()) -> None:
        """Give up the units of an interrupted build (a unit another client wants goes on)."""
        try:
            self.client.cancel(list(futures))
        except Exception:  # noqa: BLE001 - the build is stopping anyway
            pass

    def close(self) -> None:
        self.client.close()


def pack(job: UnitJob, versions: str = "") -> tuple[Payload, dict[str, bytes]]:
    """The unit as a :class:`Payload` and the templates' files it needs (digest → bytes).

    Each named file is read here, under the sandbox rules of a local build
    (:class:`ketab.fetcher.SandboxFetcher`): a file the sandbox refuses is not sent,
    and the worker refuses it too.  Files of the manuscript go with the unit;
    any other allowed file (fonts, template assets) by its digest."""
    from ketab.fetcher import SandboxFetcher

    sandbox = SandboxFetcher(job.allowed)
    base = Path(job.base).resolve()
    files, assets, blobs = {}, {}, {}
    for ref in job.references:
        path = local_path(ref, base)
        if path is None:
            continue
        resolved = sandbox.local_path(path.as_uri()) if path.is_absolute() else None
        if resolved is None:
            continue
        data = resolved.read_bytes()
        where = os.path.normpath(str(path))
        if resolved.is_relative_to(base):
            files[where] = (resolved.as_uri(), data)
        else:
            d = digest(data)
            assets[where] = (resolved.as_uri(), d)
            blobs[d] = data
    return Payload(base.as_uri() + "/", job.html, job.css, job.epoch, job.probe, files, assets, versions, job.engine), blobs


def versions_digest(salt: dict) -> str:
    return digest(*(f"{k}={salt[k]}" for k in sorted(salt)))


class VersionMismatch(RuntimeError):
    pass


_OWN_VERSIONS: dict = {}


def _check_versions(wanted: str) -> None:
    """A worker lays out only with the versions the client's cache is salted with (ketab's
    source, WeasyPrint and its dependencies, Pango): others would make other bytes."""
    if not wanted:
        return
    if not _OWN_VERSIONS:
        from ketab.cache import tool_versions

        _OWN_VERSIONS.update(tool_versions())
    if versions_digest(_OWN_VERSIONS) != wanted:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(_OWN_VERSIONS.items()) if k != "format")
        raise VersionMismatch(f"this Dask worker has other versions than the client ({shown}): install the same ketab, "
                              "WeasyPrint and Pango on the workers")


_ASSETS: dict[str, bytes] = {}
"""Digest → bytes of the templates' files shipped to this worker."""


def __getattr__(name: str):
    """``AssetPlugin``, made when first named (by a cluster build, or a worker unpickling it): importing
    ``distributed`` costs 0.15 s, which every other ketab command — a no-change build — need not pay."""
    if name != "AssetPlugin":
        raise AttributeError(name)
    try:
        from distributed.diagnostics.plugin import WorkerPlugin
    except ImportError:  # dask is an optional extra
        WorkerPlugin = object

    class AssetPlugin(WorkerPlugin):
        """Puts files, keyed by digest, into a Dask worker's memory when it starts."""

        def __init__(self, blobs: dict[str, bytes]):
            self.blobs = blobs

        def setup(self, worker=None):
            _ASSETS.update(self.blobs)

    AssetPlugin.__qualname__ = "AssetPlugin"
    globals()["AssetPlugin"] = AssetPlugin
    return AssetPlugin


def payload_fetcher():
    """The fetcher of a Dask worker: ``data:`` URLs and the files that came with the unit;
    everything else is refused, as the sandbox refuses it on the client.  (A function:
    WeasyPrint is imported only where a unit is laid out.)"""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from ketab.fetcher import RefusedResource

    class PayloadFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
            self.files: dict = {}
            self.assets: dict = {}
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            found = self.lookup(url)
            if found is None:
                self.refused.append(url)
                raise RefusedResource(f"refused to read {url!r}: it did not come with the layout unit")
            return URLFetcherResponse(found[0], body=found[1])

        def lookup(self, url):
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                return None
            name = unquote(parts.path)
            if "\x00" in name or not name.startswith("/"):
                return None
            where = os.path.normpath(name)
            if where in self.files:
                return self.files[where]
            if where in self.assets:
                uri, d = self.assets[where]
                if d not in _ASSETS:
                    raise RuntimeError(f"the file {uri} was not shipped to this worker")
                return uri, _ASSETS[d]
            return None

    return PayloadFetcher()


_REMOTE_LOCK = threading.Lock()
"""WeasyPrint and the environment variable it reads are not for two threads at once."""

_REMOTE_ENGINES: OrderedDict = OrderedDict()
"""(base URL, fonts shipped) → Engine on a Dask worker, the most recent few."""


def _render_remote(payload: Payload) -> RenderResult:
    with _REMOTE_LOCK:
        _check_versions(payload.versions)
        if payload.epoch:
            os.environ["SOURCE_DATE_EPOCH"] = payload.epoch
        engine_key = (payload.base_uri, tuple(sorted(d for _, d in payload.assets.values())))
        engine = _REMOTE_ENGINES.pop(engine_key, None)
        if engine is None:
            base = PurePosixPath(unquote(urlsplit(payload.base_uri).path))
            engine = payload.engine(base, (), fetcher=payload_fetcher())
        _REMOTE_ENGINES[engine_key] = engine
        while len(_REMOTE_ENGINES) > 8:
            _REMOTE_ENGINES.popitem(last=False)
        engine.fetcher.files = payload.files
        engine.fetcher.assets = payload.assets
        return engine.render(payload.html, payload.css, payload.probe)
