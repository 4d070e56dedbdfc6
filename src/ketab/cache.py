"""The build cache under ``<out>/.ketab-cache``.

Every cached item is keyed by the content hash of everything it depends on; the
cache as a whole is salted with its format version and the versions of ketab,
pandoc, WeasyPrint, ebooklib and pikepdf.  A foreign, unreadable or outdated
cache is discarded and the build starts clean — never a crash, never a stale
output.  Entries are written atomically and carry a checksum, so an interrupted
build leaves entries that are either whole or ignored.

The entries live in a *store* (:mod:`ketab.cachestore`): by default the files
under ``<out>/.ketab-cache``, or a store several machines share
(``ketab build --cache URL``); the manifest of the last build stays in the
output folder either way.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from ketab.cachestore import DirStore
from ketab.outputs import atomic_write as _atomic

FORMAT = 4
"""Bump when the layout of the cache changes (4: outputs recorded by file name)."""


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def tree_digest(root: Path, pattern: str = "**/*") -> str:
    """Hash of the names and contents of the files below ``root``."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.glob(pattern) if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def tool_versions() -> dict:
    """What the outputs depend on besides the manuscript and templates."""
    from importlib.metadata import version

    import ketab

    src = Path(ketab.__file__).parent
    return {
        "format": FORMAT,
        "ketab": ketab.__version__,
        "ketab-source": tree_digest(src, "**/*.py")[:16] + tree_digest(src, "filters/*")[:16],
        "pandoc": _pandoc_version(),
        "weasyprint": version("weasyprint"),
        "ebooklib": version("ebooklib"),
        "pikepdf": version("pikepdf"),
        # what WeasyPrint lays out and writes with: a new version changes the units' bytes
        **{name: version(name) for name in ("pydyf", "fonttools", "tinycss2", "cssselect2", "tinyhtml5", "pyphen")},
        "pango": _pango_version(),
    }


def _pandoc_version() -> str:
    import pypandoc

    return pypandoc.get_pandoc_version()


def _pango_version() -> str:
    """The system's Pango (shaping, line breaking), read without importing WeasyPrint."""
    import ctypes

    for name in ("libpango-1.0.so.0", "libpango-1.0-0.dll", "libpango-1.0.dylib"):
        try:
            return str(ctypes.CDLL(name).pango_version())
        except (OSError, AttributeError):
            continue
    return "unknown"


def _checked_state(state) -> dict:
    """The state as ``save_state`` wrote it, or ValueError (the cache is then unreadable)."""
    shapes = {"inputs": dict, "pages": int, "outputs_by_format": dict, "outputs": dict, "warnings": list}
    if not isinstance(state, dict) or any(k in state and not isinstance(state[k], t) for k, t in shapes.items()):
        raise ValueError("malformed state")
    if not all(isinstance(v, str) for k in ("outputs_by_format", "outputs") for v in state.get(k, {}).values()):
        raise ValueError("malformed outputs")
    if not all(isinstance(w, list) and len(w) == 5 for w in state.get("warnings", [])):
        raise ValueError("malformed warnings")
    return state


class BuildCache:
    def __init__(self, root: Path, salt: dict, store=None):
        """``store``: where the entries are (default: the files under ``root``)."""
        self.root = Path(root)
        self.store = store if store is not None else DirStore(self.root)
        self.salt = salt
        self.reset_reason: str | None = None
        self.state: dict = {}
        manifest = self.root / "manifest.json"
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            if data.get("salt") != salt:
                changed = sorted(k for k in set(salt) | set(data.get("salt", {})) if salt.get(k) != data.get("salt", {}).get(k))
                self.reset_reason = f"the cache was made by other versions ({', '.join(changed)})"
            else:
                self.state = _checked_state(data.get("state", {}))
        except FileNotFoundError:
            self.reset_reason = "there is no cache yet"
        except (OSError, ValueError, AttributeError):
            self.reset_reason = "the cache was unreadable"
        if self.reset_reason:
            shutil.rmtree(self.root, ignore_errors=True)
            self.state = {}

    def _name(self, kind: str, key: str) -> str:
        return f"{kind}/{key[:2]}/{key}"

    def get(self, kind: str, key: str) -> bytes | None:
        blob = self.store.get(self._name(kind, key))
        if blob is None:
            return None
        check, _, payload = blob.partition(b"\n")
        if check.decode("ascii", "replace") != hashlib.sha256(payload).hexdigest():
            return None  # torn or tampered: treat as a miss
        return payload

    def put(self, kind: str, key: str, payload: bytes) -> None:
        self.store.put(self._name(kind, key), hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)

    def save_state(self, state: dict) -> None:
        """Record what the last successful build was made of (for 'nothing to do' and -v)."""
        self.state = state
        _atomic(self.root / "manifest.json", json.dumps({"salt": self.salt, "state": state}, indent=1).encode())
