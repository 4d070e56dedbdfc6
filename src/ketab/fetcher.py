"""The only way WeasyPrint may read a resource: ``data:`` URLs and files inside
the allowed folders (manuscript, templates, fonts).  Nothing a manuscript
contains can read a file elsewhere or reach the network (CVE-2025-68616)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse


class RefusedResource(ValueError):
    pass


class SandboxFetcher(URLFetcher):
    def __init__(self, allowed: list[Path] | tuple[Path, ...]):
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self.allowed = tuple(Path(p).resolve() for p in allowed)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            self.refused.append(url)
            raise RefusedResource(f"refused to fetch {url!r}: only files inside the project are allowed")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.allowed) or not path.is_file():
            self.refused.append(url)
            raise RefusedResource(f"refused to read {url!r}: outside the manuscript, templates and fonts")
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes())
