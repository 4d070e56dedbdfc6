"""The only way WeasyPrint may read a resource: ``data:`` URLs and files inside
the allowed folders (manuscript, templates, fonts).  Nothing a manuscript
contains can read a file elsewhere or reach the network (CVE-2025-68616)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from ketab.sanitize import UnsafeSvg, clean_svg

MAX_RESOURCE = 256 << 20
"""Largest file WeasyPrint may read (pictures, fonts, style sheets)."""


class RefusedResource(ValueError):
    pass


class SandboxFetcher(URLFetcher):
    """Reads ``data:`` URLs, and ``file:`` URLs of regular files that — symlinks resolved — lie inside
    ``allowed``.  Everything else (http, https, ftp, other files, folders, devices) is refused and recorded
    in :attr:`refused`; WeasyPrint then leaves the resource out."""

    def __init__(self, allowed: list[Path] | tuple[Path, ...]):
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self.allowed = tuple(Path(p).resolve() for p in allowed)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = self.local_path(url)
        if path is None:
            self.refused.append(url)
            raise RefusedResource(f"refused to read {url!r}: only files inside the manuscript and templates are allowed")
        if path.stat().st_size > MAX_RESOURCE:
            self.refused.append(url)
            raise RefusedResource(f"refused to read {url!r}: larger than {MAX_RESOURCE >> 20} MiB")
        if path.suffix.lower() == ".svgz":  # WeasyPrint reads SVG, not gzip: unpack (checked in convert), then clean
            from ketab.pictures import unpack_svgz

            body = unpack_svgz(path) or b""
        elif path.suffix.lower() == ".woff2":  # unpacked once per build (WeasyPrint would in every worker)
            from ketab.fonts import unpacked

            body = unpacked(path) or path.read_bytes()
        else:
            body = path.read_bytes()
        if path.suffix.lower() in (".svg", ".svgz"):
            try:
                body = clean_svg(body)  # what convert checked, written again (no script, no reference out, no bomb)
            except UnsafeSvg as exc:
                self.refused.append(url)
                raise RefusedResource(f"refused to draw {url!r}: {exc}") from None
        return URLFetcherResponse(path.as_uri(), body=body, headers={"Content-Type": "image/svg+xml"} if path.suffix.lower() == ".svgz" else None)

    def local_path(self, url: str) -> Path | None:
        """The allowed regular file ``url`` names, resolved, or None."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        name = unquote(parts.path)
        if "\x00" in name or not name.startswith("/"):  # file:relative/path would resolve against the cwd
            return None
        try:
            path = Path(name).resolve()
            if any(path.is_relative_to(root) for root in self.allowed) and path.is_file():
                return path
        except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long
            pass
        return None
