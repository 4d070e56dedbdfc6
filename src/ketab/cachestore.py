"""Where the build cache keeps its entries: opaque blobs under names.

:class:`ketab.cache.BuildCache` frames, checks and (de)serialises entries; a
*store* only gets and puts bytes:

* :class:`DirStore` — the files under ``<out>/.ketab-cache`` (the default);
* :class:`SharedStore` — any fsspec store (``file:///shared/folder``, ``memory://``,
  ``s3://bucket/prefix``, ``gs://…``) that several machines use at once
  (``ketab build --cache URL``): editors, CI and a cluster reuse each other's layouts.

A shared store is written by many clients at a time and read while being written.
So every blob is written whole under its name or not at all — to a unique temporary
name and then renamed, or, on an object store, in one PUT, which is never visible
half-done — and carries its length and digest, checked on every read: a torn or
partial blob is a miss, never an entry.  Entries are namespaced by the cache's salt
(the tool versions), so a shared store is never reset: other versions simply do not
see each other's entries.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

from ketab.outputs import atomic_write

MAGIC = b"ketab-blob/1"

_OBJECT_STORES = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "memory", "oss"}
"""Protocols whose PUT makes an object appear whole (there is no rename to use)."""


class DirStore:
    """Blobs as files below ``root`` (each written to a temporary file, then renamed).
    A symbolic link on the way to a blob (planted: not followed) makes it a miss and unwritable."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, name: str) -> Path | None:
        folder = self.root
        for part in (None, *Path(name).parts[:-1]):
            folder = folder / part if part else folder
            if folder.is_symlink():
                return None
        return self.root / name

    def get(self, name: str) -> bytes | None:
        path = self._path(name)
        if path is None or path.is_symlink():
            return None
        try:
            return path.read_bytes()
        except OSError:
            return None

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        if path is not None:
            atomic_write(path, data)


class StoreError(ValueError):
    pass


class SharedStore:
    """Blobs in an fsspec store at ``url``, under ``namespace/``, framed with length and digest."""

    def __init__(self, url: str, namespace: str, **options):
        try:
            import fsspec
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise StoreError("--cache needs fsspec: pip install 'ketab[distributed]'") from exc
        try:
            self.fs, root = fsspec.core.url_to_fs(url, **options)
        except (ImportError, ValueError) as exc:
            raise StoreError(f"cannot use the cache store {url}: {exc}") from exc
        self.url = url
        self.root = f"{root.rstrip('/')}/{namespace}"
        protocols = self.fs.protocol if isinstance(self.fs.protocol, (tuple, list)) else (self.fs.protocol,)
        self.atomic_put = bool(set(protocols) & _OBJECT_STORES)

    def _where(self, name: str) -> str:
        return f"{self.root}/{name}"

    def get(self, name: str) -> bytes | None:
        try:
            blob = self.fs.cat_file(self._where(name))
        except (FileNotFoundError, OSError):
            return None
        return unframe(blob)

    def put(self, name: str, data: bytes) -> None:
        where = self._where(name)
        blob = frame(data)
        if self.atomic_put:
            self.fs.pipe_file(where, blob)
            return
        parent = where.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        temporary = f"{where}.{uuid.uuid4().hex}.tmp"
        try:
            self.fs.pipe_file(temporary, blob)
            self.fs.mv(temporary, where)  # a rename: a reader sees the old blob or the new one
        except BaseException:
            try:
                self.fs.rm_file(temporary)
            except (FileNotFoundError, OSError):
                pass
            raise


def frame(data: bytes) -> bytes:
    return MAGIC + b" %d %s\n" % (len(data), hashlib.sha256(data).hexdigest().encode()) + data


def unframe(blob: bytes) -> bytes | None:
    """The data of a framed blob, or None if it is torn, partial or foreign."""
    head, sep, data = blob.partition(b"\n")
    parts = head.split(b" ")
    if not sep or len(parts) != 3 or parts[0] != MAGIC:
        return None
    try:
        length = int(parts[1])
    except ValueError:
        return None
    if length != len(data) or hashlib.sha256(data).hexdigest().encode() != parts[2]:
        return None
    return data


def namespace(salt: dict) -> str:
    """The folder of a shared store that caches made with these tool versions share."""
    return "v-" + hashlib.sha256(json.dumps(salt, sort_keys=True).encode()).hexdigest()[:24]


def open_store(url: str, salt: dict) -> SharedStore:
    return SharedStore(url, namespace(salt))


def check_url(url: str) -> None:
    """StoreError unless ``url`` names a store fsspec can open here (the protocol is known
    and its package installed)."""
    SharedStore(url, "check")
