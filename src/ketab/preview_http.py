"""The HTTP side of the live preview (:mod:`ketab.preview`): what a request may get, and the event stream.

Only the files of the snapshot, the PDFs of the build and the preview's own assets are served, looked up by
exact name: nothing else on the disk can be reached.  The standard library's ``ThreadingHTTPServer`` serves.
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

KEEPALIVE = 15.0
"""Seconds between keep-alive comments on an idle event stream."""
ASSETS = {"preview.css": "text/css; charset=utf-8", "live.js": "text/javascript; charset=utf-8"}
TYPES = {
    ".xhtml": "application/xhtml+xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".opf": "application/oebps-package+xml",
    ".ncx": "application/x-dtbncx+xml",
    ".pdf": "application/pdf",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; frame-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""What a served page may do: run the preview's own script (``/_ketab/live.js``) and nothing else — no inline
script, no handler, nothing from another origin — whatever got into a book's pages; load the book's CSS,
fonts and pictures from the preview; open the PDFs."""


def assets_dir() -> Path:
    """``templates/preview/``: the toolbar, its stylesheet and the reload script (part of ketab, not of a book)."""
    from ketab.render import default_templates

    return default_templates() / "preview"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    preview = None
    """The :class:`ketab.preview.Preview` it serves."""

    def handle_error(self, request, client_address):
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a closed tab is not an error
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "ketab-preview"
    head_only = False

    def log_message(self, format, *args):  # the terminal is for the build, not for requests
        pass

    def do_HEAD(self) -> None:
        self.head_only = True
        self.do_GET()

    def do_GET(self) -> None:
        preview = self.server.preview
        if not self._host_ok():
            return self._send(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", b"forbidden\n")
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if path == "/events":
            return self._send(HTTPStatus.OK, "text/event-stream; charset=utf-8", b"") if self.head_only else self._events(preview)
        if path == "/status":
            return self._send(HTTPStatus.OK, "application/json", json.dumps(preview.status(), ensure_ascii=False).encode())
        if path.startswith("/_ketab/") and path[8:] in ASSETS:
            return self._send(HTTPStatus.OK, ASSETS[path[8:]], (assets_dir() / path[8:]).read_bytes())
        name = _safe_name(path)
        snap = preview.snapshot
        if snap is None:
            if path == "/":
                return self._send(HTTPStatus.OK, "text/html; charset=utf-8", preview.status_page(_waiting(preview, preview.status())))
            return self._not_found(preview)
        if name == "":
            name = snap.nav
        if name is None:
            return self._not_found(preview)
        if name.startswith("pdf/") and name[4:] in snap.pdfs:
            try:
                return self._send(HTTPStatus.OK, TYPES[".pdf"], snap.pdfs[name[4:]].read_bytes())
            except OSError:
                return self._not_found(preview)
        if name not in snap.files:
            return self._not_found(preview)
        suffix = posixpath.splitext(name)[1].lower()
        if suffix == ".xhtml":
            body = preview.page(name)
            if body is None:  # replaced by a newer snapshot meanwhile
                return self._not_found(preview)
            return self._send(HTTPStatus.OK, TYPES[suffix], body)
        ctype = TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return self._send(HTTPStatus.OK, ctype, snap.files[name])

    def _host_ok(self) -> bool:
        """Only pages of this machine's preview: refuses DNS-rebinding pages that call themselves localhost."""
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        return host in ("", "127.0.0.1", "localhost", "::1")

    def _not_found(self, preview) -> None:
        self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", preview.status_page(preview.labels(preview.snapshot).not_in_build))

    def _send(self, status: HTTPStatus, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Frame-Options", "DENY")
        self.end_headers()
        if not self.head_only:
            self.wfile.write(body)

    def _events(self, preview) -> None:
        """Server-Sent Events: the status whenever it changes, a comment now and then to keep the line open."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        seen = None
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while True:
                status = preview.next_status(seen, KEEPALIVE)
                if status is None:
                    return
                now = (status["version"], status["draft"], status["state"], status["stage"])
                if now == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    seen = now
                    data = {k: status[k] for k in ("version", "draft", "drafts", "style", "state", "stage", "builds")}
                    self.wfile.write(f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode())
                self.wfile.flush()
        except (ConnectionError, OSError):
            return


def _safe_name(path: str) -> str | None:
    """The name inside the snapshot that a URL path asks for; None for anything that could leave it."""
    if not path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    parts = path[1:].split("/")
    if any(p in (".", "..") for p in parts) or any(p == "" for p in parts[:-1]):
        return None
    return "/".join(parts)


def _waiting(preview, status: dict) -> str:
    ui = preview.labels()
    if status["state"] == "failed":
        return f"{ui.build_failed} {ui.no_good_build}"
    return ui.waiting
