"""The one way ketab reads a manuscript's files.

Every reader of the manuscript — ``book.yaml``, chapters, data, source records, pictures, the linter, the
input digests — goes through here: a name relative to the manuscript folder is resolved (symlinks too), must
stay inside the folder, must be a regular file (not a folder, FIFO or device) and not larger than its limit;
it is opened without blocking and read with a bound, or hashed in a stream.  Nothing else in ketab opens a
manuscript file by itself.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

MiB = 1 << 20
LIMITS = {"config": 4 * MiB, "chapter": 16 * MiB, "data": 16 * MiB, "image": 64 * MiB, "default": 64 * MiB}
"""Largest file of each kind that ketab reads (a book.yaml of 4 MiB is already absurd)."""


class Refused(OSError):
    """A manuscript file ketab will not read; ``reason`` is one of ``outside``, ``missing``, ``not-file``,
    ``too-large``; ``message`` says it in words."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def inside(root: Path, rel: str | os.PathLike) -> Path:
    """``root/rel`` with every symlink resolved, or :class:`Refused` (``outside`` or ``missing``)."""
    rel = os.fspath(rel)
    if "\x00" in rel:
        raise Refused("missing", "the name holds a NUL byte")
    try:
        base = Path(root).resolve()
        target = (Path(root) / rel).resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long
        raise Refused("outside", "it is a symlink loop or a name the system refuses") from None
    if not target.is_relative_to(base):
        raise Refused("outside", "it points outside the manuscript folder")
    return target


def _open(path: Path) -> tuple[int, os.stat_result]:
    """A read-only descriptor of the regular file ``path`` (opened without blocking on a FIFO)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise Refused("missing", "it does not exist") from None
    except OSError as exc:
        if os.path.islink(path):
            raise Refused("outside", "it is a symbolic link") from None
        raise Refused("missing", f"it cannot be read ({exc.strerror or exc})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise Refused("not-file", "it is not a regular file (a folder, a FIFO or a device)")
    os.set_blocking(fd, True)
    return fd, info


def read_bytes(root: Path, rel: str | os.PathLike, kind: str = "default", limit: int | None = None) -> bytes:
    """The bytes of the manuscript file ``rel`` (inside ``root``, regular, at most ``limit`` bytes)."""
    limit = LIMITS.get(kind, LIMITS["default"]) if limit is None else limit
    fd, info = _open(inside(root, rel))
    with os.fdopen(fd, "rb") as f:
        if info.st_size > limit:
            raise Refused("too-large", f"it is {info.st_size / MiB:.1f} MiB; the limit is {limit / MiB:.0f} MiB")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise Refused("too-large", f"it is larger than {limit / MiB:.0f} MiB")
    return data


def read_head(root: Path, rel: str | os.PathLike, size: int = 65536) -> bytes:
    """The first ``size`` bytes of the manuscript file ``rel`` (the same checks, no size limit)."""
    fd, _ = _open(inside(root, rel))
    with os.fdopen(fd, "rb") as f:
        return f.read(size)


def is_regular_file(root: Path, rel: str | os.PathLike) -> bool:
    try:
        fd, _ = _open(inside(root, rel))
    except Refused:
        return False
    os.close(fd)
    return True


def file_digest(path: Path) -> str:
    """SHA-256 of a regular file, streamed (never a FIFO or a device: those are named, not read)."""
    fd, _ = _open(Path(path))
    with os.fdopen(fd, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def tree_digests(root: Path, skip: Path | None = None) -> dict[str, str]:
    """``relative name → digest`` of everything below ``root``, for "nothing to do" and ``-v``.

    Nothing is followed out of the folder: a symlink is recorded by where it points (and, when that is a
    regular file inside, by its content); FIFOs, sockets and devices by their kind, never opened.  ``skip``
    (the output folder, when it lies inside) is left out."""
    base = Path(root).resolve()
    skip = Path(skip).resolve() if skip is not None else None
    out: dict[str, str] = {}
    for folder, dirs, files in os.walk(base, followlinks=False):
        here = Path(folder)
        if skip is not None and here.is_relative_to(skip):
            dirs[:] = []
            continue
        dirs.sort()
        for name in sorted(files + [d for d in dirs if (here / d).is_symlink()]):
            path = here / name
            rel = path.relative_to(base).as_posix()
            try:
                info = path.lstat()
                if stat.S_ISLNK(info.st_mode):
                    target = os.readlink(path)
                    try:
                        resolved = inside(base, rel)
                        content = file_digest(resolved) if resolved.is_file() else "folder" if resolved.is_dir() else "other"
                    except (Refused, OSError):
                        content = "outside"
                    out[rel] = f"symlink:{target}:{content}"
                elif stat.S_ISREG(info.st_mode):
                    out[rel] = file_digest(path)
                else:
                    out[rel] = f"special:{stat.S_IFMT(info.st_mode):o}"
            except (Refused, OSError) as exc:
                out[rel] = f"unreadable:{type(exc).__name__}"
    return out
