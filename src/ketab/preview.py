"""The live preview of ``ketab watch``: the last good EPUB, served on 127.0.0.1.

After each successful build the EPUB is read whole into a :class:`Snapshot`
(its content documents, CSS, fonts and images), so the browser shows the real
XHTML with the embedded fonts and the book's direction.  A served page gets a
small toolbar and ``live.js`` (``templates/preview/``) — only as it is served,
never in the EPUB — which listens to ``/events`` (Server-Sent Events) and
reloads when a build finished or failed.  When the last build failed, every
page carries an overlay listing the diagnostics, over the last good build.

Only the files of the snapshot, the PDFs of the build and the preview's own
assets are served, looked up by exact name: nothing else on the disk can be
reached.  The standard library's ``ThreadingHTTPServer`` does the serving.
"""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
import posixpath
import re
import threading
import urllib.parse
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOST = "127.0.0.1"
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
_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; frame-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""What a served page may do: run the preview's own script (``/_ketab/live.js``) and nothing else — no inline
script, no handler, nothing from another origin — whatever got into a book's pages; load the book's CSS,
fonts and pictures from the preview; open the PDFs."""
_EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Snapshot:
    """One successful build, as the preview serves it."""

    files: dict
    """Path inside the EPUB's content folder (``ch-01-one.xhtml``, ``css/book.css``) → bytes."""
    spine: tuple[str, ...]
    """Content documents in reading order."""
    toc: tuple[tuple[str, str], ...]
    """The contents' top level: (href, plain title)."""
    nav: str
    """The navigation document: the preview's index page."""
    title: str
    lang: str
    direction: str
    contents_label: str
    """The book's own word for "contents" (the nav's heading)."""
    pdfs: dict = field(default_factory=dict)
    """File name → path of the PDFs of the build."""
    digest: str = ""
    """SHA-256 of the EPUB: a new digest means the pages changed."""


def load_snapshot(epub_path: Path, pdfs: dict | None = None) -> Snapshot:
    """Read the EPUB at ``epub_path`` whole (it may be replaced by the next build meanwhile)."""
    data = Path(epub_path).read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(data))
    container = ET.fromstring(archive.read("META-INF/container.xml"))
    opf_path = container.find(".//c:rootfile", _NS).get("full-path")
    base = posixpath.dirname(opf_path)
    files = {}
    for name in archive.namelist():
        if name.endswith("/") or name == "mimetype" or name.startswith("META-INF/"):
            continue
        rel = posixpath.relpath(name, base) if base else name
        if not rel.startswith("../"):
            files[rel] = archive.read(name)

    opf = ET.fromstring(archive.read(opf_path))
    hrefs, nav_href = {}, None
    for item in opf.iterfind(".//opf:manifest/opf:item", _NS):
        hrefs[item.get("id")] = urllib.parse.unquote(item.get("href"))
        if "nav" in (item.get("properties") or "").split():
            nav_href = hrefs[item.get("id")]
    spine = tuple(hrefs[ref.get("idref")] for ref in opf.iterfind(".//opf:spine/opf:itemref", _NS) if ref.get("idref") in hrefs)
    title = opf.findtext(".//dc:title", "", _NS).strip()

    nav_href = nav_href or "nav.xhtml"
    nav = ET.fromstring(files[nav_href])
    toc_el = next((n for n in nav.iter(f"{{{_NS['x']}}}nav") if n.get(_EPUB_TYPE) == "toc"), None)
    toc = []
    if toc_el is not None:
        for li in toc_el.findall("x:ol/x:li", _NS):
            a = li.find("x:a", _NS)
            if a is not None and a.get("href"):
                toc.append((a.get("href"), " ".join("".join(a.itertext()).split())))
    heading = toc_el.find("x:h1", _NS) if toc_el is not None else None
    contents_label = " ".join("".join(heading.itertext()).split()) if heading is not None else "Contents"
    lang = nav.get("lang") or nav.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    pdfs = {Path(p).name: Path(p) for p in (pdfs or {}).values()}
    return Snapshot(
        files, spine, tuple(toc), nav_href, title, lang, nav.get("dir") or "ltr", contents_label, pdfs, hashlib.sha256(data).hexdigest()
    )


class Preview:
    """What the browser sees: the last good snapshot, the state of the build, the diagnostics.

    The watcher reports with :meth:`building`, :meth:`succeeded` and :meth:`failed`;
    :attr:`version` changes whenever what a page shows changes, and the pages
    reload when they see a new version."""

    def __init__(self, port: int = 8000, host: str = HOST):
        self.host, self.port = host, port
        self.version = 0
        self.state = "starting"
        """``starting``, ``building``, ``ok`` or ``failed``."""
        self.stage = ""
        self.builds = 0
        self.snapshot: Snapshot | None = None
        self.errors: tuple[str, ...] = ()
        self.warnings: tuple[str, ...] = ()
        self._cond = threading.Condition()
        self._closed = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._env = None

    # --- the server --------------------------------------------------------

    def listen(self) -> str:
        """Bind to the port (0: any free one) and serve in a thread; return the URL."""
        if self._server is None:
            self._server = _Server((self.host, self.port), _Handler)
            self._server.preview = self
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(target=self._server.serve_forever, name="ketab-preview", daemon=True)
            self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def close(self) -> None:
        """Stop serving: end the event streams, then the server."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    # --- news from the watcher ---------------------------------------------

    def building(self, stage: str = "") -> None:
        self._update(state="building", stage=stage)

    def succeeded(self, snapshot: Snapshot, warnings=()) -> None:
        self._update(state="ok", stage="", snapshot=snapshot, errors=(), warnings=tuple(warnings), builds=self.builds + 1)

    def failed(self, errors, warnings=()) -> None:
        """The last build failed: pages keep the last good snapshot and show ``errors`` over it."""
        self._update(state="failed", stage="", errors=tuple(errors), warnings=tuple(warnings), builds=self.builds + 1)

    def _update(self, **changes) -> None:
        with self._cond:
            before = self._page_key()
            for name, value in changes.items():
                setattr(self, name, value)
            if self._page_key() != before:
                self.version += 1
            self._cond.notify_all()

    def _page_key(self):
        return (self.snapshot.digest if self.snapshot else None, self.errors, self.warnings)

    def status(self) -> dict:
        with self._cond:
            return self._status()

    def _status(self) -> dict:
        return {
            "version": self.version,
            "state": self.state,
            "stage": self.stage,
            "builds": self.builds,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "pdfs": sorted(self.snapshot.pdfs) if self.snapshot else [],
        }

    def next_status(self, seen: tuple | None, timeout: float) -> dict | None:
        """The status once (version, state, stage) differs from ``seen``; the same after ``timeout``; None when closing."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or (self.version, self.state, self.stage) != seen, timeout)
            return None if self._closed else self._status()

    # --- pages -------------------------------------------------------------

    def _template(self, name: str):
        if self._env is None:
            import jinja2

            self._env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(str(assets_dir())),
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
        return self._env.get_template(name)

    def _toolbar(self, snap: Snapshot | None, status: dict, current: str | None) -> str:
        prev = nxt = None
        if snap and current in snap.spine:
            i = snap.spine.index(current)
            prev = snap.spine[i - 1] if i > 0 else None
            nxt = snap.spine[i + 1] if i + 1 < len(snap.spine) else None
        return self._template("toolbar.xhtml.j2").render(
            version=status["version"],
            state=status["state"],
            stage=_text(status["stage"]),
            title=_text(snap.title) if snap else "",
            lang=snap.lang if snap else "",
            dir=snap.direction if snap else "ltr",
            contents_label=_text(snap.contents_label) if snap else "Contents",
            toc=[(href, _text(title), href.split("#")[0] == current) for href, title in snap.toc] if snap else [],
            prev=prev,
            next=nxt,
            pdfs=sorted(snap.pdfs) if snap else [],
            errors=[_text(e) for e in status["errors"]],
            warnings=[_text(w) for w in status["warnings"]],
            has_book=snap is not None,
        )

    def page(self, href: str) -> bytes | None:
        """The content document ``href`` with the toolbar and the reload script; None if absent."""
        with self._cond:
            snap, status = self.snapshot, self._status()
        if snap is None or href not in snap.files:
            return None
        return decorate(snap.files[href].decode("utf-8"), self._toolbar(snap, status, href)).encode("utf-8")

    def status_page(self, message: str) -> bytes:
        """A plain HTML page (before the first good build, or for a missing page) that reloads itself too."""
        with self._cond:
            snap, status = self.snapshot, self._status()
        return self._template("status.html.j2").render(
            toolbar=_markup(self._toolbar(snap, status, None)), message=message, title=_text(snap.title) if snap else "ketab"
        ).encode("utf-8")


def assets_dir() -> Path:
    """``templates/preview/``: the toolbar, its stylesheet and the reload script (part of ketab, not of a book)."""
    from ketab.render import default_templates

    return default_templates() / "preview"


def decorate(xhtml: str, toolbar: str) -> str:
    """Add the preview's stylesheet, toolbar and script to a served page (never to the EPUB)."""
    link = '<link rel="stylesheet" type="text/css" href="/_ketab/preview.css"/>'
    script = '<script src="/_ketab/live.js"></script>'
    xhtml, n = re.subn(r"</head\s*>", lambda m: link + m.group(0), xhtml, count=1)
    if not n:
        toolbar = link + toolbar
    xhtml, n = re.subn(r"<body\b[^>]*>", lambda m: m.group(0) + toolbar, xhtml, count=1)
    if not n:
        xhtml += toolbar
    xhtml, n = re.subn(r"</body\s*>", lambda m: script + m.group(0), xhtml, count=1)
    return xhtml if n else xhtml + script


def _text(s: str) -> str:
    """Text that XML accepts (a served page is XHTML: one stray control character would blank it)."""
    return _XML_INVALID.sub("\ufffd", str(s))


def _markup(s: str):
    import markupsafe

    return markupsafe.Markup(s)


# --- HTTP --------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    preview: Preview

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
                return self._send(HTTPStatus.OK, "text/html; charset=utf-8", preview.status_page(_waiting(preview.status())))
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

    def _not_found(self, preview: Preview) -> None:
        self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", preview.status_page("This page is not in the current build."))

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

    def _events(self, preview: Preview) -> None:
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
                now = (status["version"], status["state"], status["stage"])
                if now == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    seen = now
                    data = {k: status[k] for k in ("version", "state", "stage", "builds")}
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


def _waiting(status: dict) -> str:
    if status["state"] == "failed":
        return "The build failed; the preview appears once the errors above are fixed."
    return "Building the book… this page shows it when the first build is done."
