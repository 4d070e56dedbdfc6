"""Writing outputs: every output of a build is written into a staging folder inside the output folder, then
the whole set is published together (:func:`publish`), so an interrupted or failed build leaves the
previous set whole — never new PDFs beside an old EPUB.

Publishing renames each staged file over its output, after keeping a hard link of the old one; a failure
puts the old ones back; SIGINT and SIGTERM wait until the set is in place.  A journal records the
publication while it runs: a build killed in the middle (SIGKILL, a power cut) is rolled back by the next
build, before it does anything else (:func:`recover`)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

class InterruptedAfterPublishing(KeyboardInterrupt):
    """Ctrl-C or SIGTERM that arrived while the new set was being published: the new outputs are in place."""


STAGING_PREFIX = ".ketab-staging-"
JOURNAL = ".ketab-publish.json"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()
"""Outputs get ordinary file permissions (mkstemp would leave them private)."""


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def staging_folder(out_dir: Path) -> Path:
    """A fresh staging folder inside ``out_dir`` (same file system: renames are atomic)."""
    return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))


@contextmanager
def signals_deferred():
    """SIGINT and SIGTERM received inside wait until the block is done, then act as usual."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are handled in the main thread only: a build in another thread is not interrupted
        return
    pending: list[int] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in pending[:1]:
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


def publish(staged: Path, out_dir: Path, names: list[str]) -> None:
    """Move the files ``names`` from ``staged`` into ``out_dir`` as one set; on any failure the previous
    files are put back and the error raised.  ``staged`` is removed."""
    out_dir = Path(out_dir)
    journal = out_dir / JOURNAL
    with signals_deferred():
        existed = [n for n in names if (out_dir / n).is_file() and not (out_dir / n).is_symlink()]
        _write_journal(journal, {"staging": staged.name, "names": names, "existed": existed})
        done: list[str] = []
        try:
            for name in names:
                if name in existed:
                    os.link(out_dir / name, staged / f".old.{name}")
                os.replace(staged / name, out_dir / name)
                done.append(name)
            _fsync_dir(out_dir)
        except BaseException:
            _roll_back(staged, out_dir, done, existed)
            journal.unlink(missing_ok=True)
            shutil.rmtree(staged, ignore_errors=True)
            raise
        journal.unlink(missing_ok=True)
        shutil.rmtree(staged, ignore_errors=True)


def _roll_back(staged: Path, out_dir: Path, names, existed) -> None:
    for name in names:
        backup = staged / f".old.{name}"
        if name in existed and backup.exists():
            os.replace(backup, out_dir / name)
        elif name not in existed:
            (out_dir / name).unlink(missing_ok=True)


def recover(out_dir: Path) -> None:
    """Undo a publication that was killed half way, and remove staging folders of killed builds.
    (Called with the output folder's lock held: no other build is publishing.)"""
    out_dir = Path(out_dir)
    journal = out_dir / JOURNAL
    if journal.is_file() and not journal.is_symlink():
        try:
            record = json.loads(journal.read_text(encoding="utf-8"))
            staged = out_dir / record["staging"]
            names, existed = list(record["names"]), list(record["existed"])
            if staged.parent == out_dir and staged.name.startswith(STAGING_PREFIX) and all(_plain(n) for n in names + existed):
                replaced = [n for n in names if not (staged / n).exists()]
                _roll_back(staged, out_dir, replaced, existed)
        except (OSError, ValueError, KeyError, TypeError):
            pass
        journal.unlink(missing_ok=True)
    elif journal.is_symlink():
        journal.unlink()
    for folder in out_dir.glob(STAGING_PREFIX + "*"):
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
        else:
            folder.unlink(missing_ok=True)


def _plain(name) -> bool:
    return isinstance(name, str) and name and "/" not in name and name not in (".", "..") and "\x00" not in name


def _write_journal(path: Path, record: dict) -> None:
    atomic_write(path, json.dumps(record).encode())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
