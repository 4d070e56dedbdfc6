"""What a writer made from the last build's inputs, kept in one build-cache entry.

A writer that converts many small pieces (the print PDF's pages to gray, the EPUB documents' characters)
keeps each result under the digest of what it was made from.  One cache entry per piece costs a file
written and synced per page on a cold build (more than the conversion); a :class:`Memo` reads one
entry, answers from it, and writes it again, once, with the results this build used — so it holds the
current book's pieces only.  A result is found by its input's digest: an entry from another build or
book never gives a wrong one, only misses.
"""

from __future__ import annotations

import struct

from ketab.cache import digest


class Memo:
    """The results of one kind (``get``/``put`` as the build cache's, under ``name``); with no ``cache``
    (``--no-cache``) it keeps them for this build only."""

    def __init__(self, cache, kind: str, name: str):
        self.cache, self.kind = cache, kind
        self.key = digest("memo/1", kind, name)
        self.old: dict[str, bytes] | None = None
        self.new: dict[str, bytes] = {}

    def _load(self) -> dict[str, bytes]:
        if self.old is None:
            self.old = _read(self.cache.get(self.kind, self.key) or b"") if self.cache is not None else {}
        return self.old

    def get(self, kind: str, key: str) -> bytes | None:
        found = self.new.get(key)
        if found is None:
            found = self._load().get(key)
            if found is not None:
                self.new[key] = found
        return found

    def put(self, kind: str, key: str, payload: bytes) -> None:
        self.new[key] = payload

    def save(self) -> None:
        """Write the entry again if this build used other results than the last one kept."""
        if self.cache is not None and self.new.keys() != self._load().keys():
            self.cache.put(self.kind, self.key, _write(self.new))


def _write(entries: dict[str, bytes]) -> bytes:
    out = []
    for key, payload in sorted(entries.items()):
        name = key.encode("ascii")
        out += [struct.pack(">HI", len(name), len(payload)), name, payload]
    return b"".join(out)


def _read(data: bytes) -> dict[str, bytes]:
    entries, at = {}, 0
    try:
        while at < len(data):
            size, length = struct.unpack_from(">HI", data, at)
            at += 6
            if at + size + length > len(data):
                return {}
            key = data[at:at + size].decode("ascii")
            entries[key] = data[at + size:at + size + length]
            at += size + length
    except (struct.error, UnicodeDecodeError):
        return {}
    return entries
