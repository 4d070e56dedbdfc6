"""The build cache under ``<out>/.ketab-cache``.

Every cached item is keyed by the content hash of everything it depends on; the
cache as a whole is salted with its format version and the versions of ketab,
pandoc, WeasyPrint, ebooklib and pikepdf.  A foreign, unreadable or outdated
cache is discarded and the build starts clean — never a crash, never a stale
output.  Entries are written atomically and signed with a key kept outside the
output folder (HMAC), so an interrupted build leaves entries that are either whole
or ignored, and nobody who can only write the output folder can plant one.

The entries live in a *store* (:mod:`ketab.cachestore`): by default the files
under ``<out>/.ketab-cache``, or a store several machines share
(``ketab build --cache URL``: they then share the key too, ``KETAB_CACHE_KEY``);
the manifest of the last build stays in the output folder either way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path

from ketab import safeio
from ketab.cachestore import DirStore
from ketab.outputs import atomic_write as _atomic

FORMAT = 5
"""Bump when the layout of the cache changes (5: pandoc entries keep its warnings, layout units WeasyPrint's)."""


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


def _key_file() -> Path:
    if os.environ.get("KETAB_CACHE_KEY"):
        return Path(os.environ["KETAB_CACHE_KEY"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ketab" / "cache-key"


_KEY: bytes | None = None


def secret_key() -> bytes:
    """This user's cache key: 32 random bytes kept outside every output folder (``~/.cache/ketab/cache-key``,
    mode 0600), made on first use.  Whoever can write an output folder — a committed ``build/``, a shared
    disk — cannot sign an entry with it.  When it cannot be kept, a key for this process only (the cache is
    then not reused by the next build)."""
    global _KEY
    if _KEY is None:
        path = _key_file()
        try:
            _KEY = _read_key(path)
        except OSError:
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cache-key.")
                try:
                    os.write(fd, secrets.token_bytes(32))
                    os.fsync(fd)
                finally:
                    os.close(fd)
                try:
                    os.link(tmp, path)  # atomic: the first build to get here makes the key, the others read it
                except FileExistsError:
                    pass
                finally:
                    os.unlink(tmp)
                _KEY = _read_key(path)
            except OSError:
                _KEY = secrets.token_bytes(32)
    return _KEY


def _read_key(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        key = os.read(fd, 64)
    finally:
        os.close(fd)
    if len(key) < 32:
        raise OSError("short key")
    return key


def _mac(*parts: bytes | str) -> str:
    h = hmac.new(secret_key(), digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def _canonical(salt, state) -> bytes:
    return json.dumps({"salt": salt, "state": state}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class BuildCache:
    """Entries and manifest are signed with :func:`secret_key` (HMAC-SHA256): an entry written by anything
    but a build of this user is a miss, a manifest the cache is discarded for — a planted layout unit (a PDF
    with a JavaScript action) or a forged state never reaches an output."""

    def __init__(self, root: Path, salt: dict, store=None):
        """``store``: where the entries are (default: the files under ``root``)."""
        self.root = Path(root)
        self.store = store if store is not None else DirStore(self.root)
        self.salt = salt
        self.reset_reason: str | None = None
        self.state: dict = {}
        manifest = self.root / "manifest.json"
        if self.root.is_symlink() or (self.root.exists() and not self.root.is_dir()):
            self.root.unlink()  # the link (or file) itself, never where it points
            self.reset_reason = "the cache folder was not a folder (a symbolic link or a file)"
        try:
            if self.reset_reason is None:
                if manifest.is_symlink():
                    raise ValueError("a symlinked manifest")
                data = json.loads(manifest.read_text(encoding="utf-8"))
                if data.get("salt") != salt:
                    changed = sorted(k for k in set(salt) | set(data.get("salt", {})) if salt.get(k) != data.get("salt", {}).get(k))
                    self.reset_reason = f"the cache was made by other versions ({', '.join(changed)})"
                elif not hmac.compare_digest(str(data.get("mac", "")), _mac("manifest", _canonical(data.get("salt"), data.get("state")))):
                    self.reset_reason = "the cache was unreadable (not signed by this user's ketab)"
                else:
                    self.state = _checked_state(data.get("state", {}))
        except FileNotFoundError:
            self.reset_reason = "there is no cache yet"
        except (OSError, ValueError, AttributeError, TypeError):
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
        if not hmac.compare_digest(check.decode("ascii", "replace"), _mac(kind, key, payload)):
            return None  # torn, tampered or planted: treat as a miss
        return payload

    def put(self, kind: str, key: str, payload: bytes) -> None:
        self.store.put(self._name(kind, key), _mac(kind, key, payload).encode() + b"\n" + payload)

    def save_state(self, state: dict) -> None:
        """Record what the last successful build was made of (for 'nothing to do' and -v)."""
        self.state = state
        if self.root.is_symlink():
            return
        mac = _mac("manifest", _canonical(self.salt, json.loads(json.dumps(state))))
        _atomic(self.root / "manifest.json", json.dumps({"salt": self.salt, "state": state, "mac": mac}, indent=1).encode())


# --- the last build: what it was made of and what it wrote -------------------------

BUILD_TEMPLATES = ("*.j2", "*.css", "print/*", "epub/*", "cover/*", "icc/*", "web/*")
"""The templates a build reads (not the proof's or the preview's)."""


def input_digests(manuscript_dir: Path, templates: Path, formats, out_dir: Path) -> dict:
    """Digests of every input, per kind, to decide 'nothing to do' and to say why."""
    # nothing followed out of the folder, FIFOs and devices named, not read; the outputs are not inputs
    files = safeio.tree_digests(manuscript_dir, skip=out_dir) if manuscript_dir.is_dir() else {}
    return {
        "manuscript": files,
        "templates": "".join(tree_digest(templates, g) for g in BUILD_TEMPLATES) if templates.is_dir() else "",
        "fonts": tree_digest(templates / "fonts") if (templates / "fonts").is_dir() else "",
        "formats": sorted(formats),
    }


def file_digest(path: Path) -> str:
    """SHA-256 of a regular file, streamed; of a folder (the web edition), of the names and contents below it."""
    path = Path(path)
    if path.is_dir():
        return "tree:" + tree_digest(path)
    return safeio.file_digest(path)


class LastBuild:
    """The cache's record of the last successful build of an output folder.

    With no cache (``ketab build --no-cache``) nothing is recorded and every build runs."""

    def __init__(self, cache: BuildCache | None, out_dir: Path, inputs: dict):
        self.cache = cache
        self.out_dir = Path(out_dir)
        self.inputs = inputs
        self.state = cache.state if cache is not None else {}

    def up_to_date(self) -> bool:
        """The inputs match the last build's, and its outputs are still there as it wrote them."""
        if self.cache is None or not self.state or self.state.get("inputs") != self.inputs:
            return False
        for name, want in self.state.get("outputs", {}).items():
            try:
                if file_digest(self.out_dir / name) != want:
                    return False
            except OSError:
                return False
        return True

    def outputs(self) -> dict:
        """Format → path of what the last build wrote."""
        return {fmt: self.out_dir / name for fmt, name in self.state["outputs_by_format"].items()}

    def warnings(self) -> list:
        """The last build's warnings, as (path, line, severity, message, code)."""
        return [tuple(w) for w in self.state.get("warnings", ())]

    def pages(self) -> int:
        return self.state.get("pages", 0)

    def why(self) -> list[str]:
        """Why this build runs (``ketab build -v``)."""
        if self.cache is None:
            return []
        if self.cache.reset_reason:
            return [f"clean build: {self.cache.reset_reason}"]
        before, now = self.state.get("inputs", {}), self.inputs
        if not before:
            return ["no previous build recorded"]
        lines = []
        old, new = before.get("manuscript", {}), now["manuscript"]
        for name in sorted(set(old) | set(new)):
            if name not in old:
                lines.append(f"{name}: new")
            elif name not in new:
                lines.append(f"{name}: removed")
            elif old[name] != new[name]:
                lines.append(f"{name}: changed")
        for kind in ("templates", "fonts", "formats", "strict"):
            if before.get(kind) != now.get(kind):
                lines.append(f"{kind} changed")
        if not lines:
            lines.append("outputs missing or modified since the last build")
        return lines

    def record(self, warnings, pages: int, outputs: dict) -> None:
        """Remember this build: its inputs, warnings, page count and the digests of what it wrote."""
        if self.cache is None:
            return
        self.cache.save_state({
            "inputs": self.inputs,
            "warnings": [[d.path, d.line, d.severity.value, d.message, d.code] for d in warnings],
            "pages": pages,
            # names, not paths: a copied output folder is checked against its own files
            "outputs_by_format": {k: Path(v).name for k, v in outputs.items()},
            "outputs": {Path(p).name: file_digest(p) for p in outputs.values()},
        })
