"""The live preview of ``ketab watch``: the last good EPUB, served on 127.0.0.1.

After each successful build the EPUB is read whole into a :class:`Snapshot`
(its content documents, CSS, fonts and images), so the browser shows the real
XHTML with the embedded fonts and the book's direction.  A served page gets a
small toolbar and ``live.js`` (``templates/preview/``) — only as it is served,
never in the EPUB — which listens to ``/events`` (Server-Sent Events) and, when
what the page shows changed, fetches the page again and swaps its body in place
(no reload: the reader keeps their place).  A chapter saved since the last build
is served with its new text at once (a *draft*, :mod:`ketab.drafts`), marked
"text updated, pages pending", until the build's pages, with their print page
numbers, replace it.  When the last build failed, every page carries an overlay
listing the diagnostics, over the last good build.

What is served, and how, is :mod:`ketab.preview_http`.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import threading
import urllib.parse
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ketab.preview_http import CSP, _Handler, _Server, assets_dir  # noqa: F401 (CSP: what a served page may do)

HOST = "127.0.0.1"
_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
}
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
    style: str = ""
    """A digest of what the pages use but are not (CSS, fonts, pictures; not the documents, the NCX, the OPF,
    which change with every page number): a page whose style changed is reloaded, not swapped."""


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
    style = hashlib.sha256(b"".join(hashlib.sha256(n.encode() + b"\0" + b).digest() for n, b in sorted(files.items())
                                    if not n.endswith((".xhtml", ".ncx", ".opf")))).hexdigest()[:16]
    return Snapshot(
        files, spine, tuple(toc), nav_href, title, lang, nav.get("dir") or "ltr", contents_label, pdfs, hashlib.sha256(data).hexdigest(),
        style,
    )


class Preview:
    """What the browser sees: the last good snapshot, the state of the build, the diagnostics.

    The watcher reports with :meth:`building`, :meth:`succeeded` and :meth:`failed`;
    :attr:`version` changes whenever what a page shows changes, and the pages
    reload when they see a new version."""

    def __init__(self, port: int = 8000, host: str = HOST, lang: str | None = None):
        self.host, self.port = host, port
        self.lang = lang
        """The book's language, for the preview's own words before there is a build to read it from."""
        self.version = 0
        self.state = "starting"
        """``starting``, ``building``, ``ok`` or ``failed``."""
        self.stage = ""
        self.builds = 0
        self.snapshot: Snapshot | None = None
        self.errors: tuple[str, ...] = ()
        self.warnings: tuple[str, ...] = ()
        self.drafts: dict = {}
        """EPUB file name → (save number, section id, section XHTML): chapters whose text is newer than the pages."""
        self.draft = 0
        """Changes whenever the drafts do (the pages fetch themselves again; the version stays)."""
        self._cond = threading.Condition()
        self._closed = False
        self._server: _Server | None = None
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

    def succeeded(self, snapshot: Snapshot, warnings=(), through: int | None = None) -> None:
        """A build of the saves up to number ``through`` (None: all) succeeded: its pages replace their drafts."""
        self._update(state="ok", stage="", snapshot=snapshot, errors=(), warnings=tuple(warnings), builds=self.builds + 1,
                     drafts=self._drafts_after(through))

    def failed(self, errors, warnings=(), through: int | None = None) -> None:
        """The last build failed: pages keep the last good snapshot and show ``errors`` over it (the drafts
        of the saves it read go: what the page shows is the last good build)."""
        self._update(state="failed", stage="", errors=tuple(errors), warnings=tuple(warnings), builds=self.builds + 1,
                     drafts=self._drafts_after(through))

    def drafted(self, drafts: dict, save: int = 0) -> None:
        """The new text of chapters saved (save number ``save``): EPUB file name → (section id, section XHTML)."""
        with self._cond:
            merged = dict(self.drafts)
        merged.update({href: (save, sid, html) for href, (sid, html) in drafts.items()})
        self._update(drafts=merged)

    def _drafts_after(self, through: int | None) -> dict:
        with self._cond:
            return {} if through is None else {h: d for h, d in self.drafts.items() if d[0] > through}

    def _update(self, **changes) -> None:
        with self._cond:
            before = self._page_key()
            drafts_before = self.drafts
            for name, value in changes.items():
                setattr(self, name, value)
            if self._page_key() != before:
                self.version += 1
            if self.drafts != drafts_before:
                self.draft += 1
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
            "draft": self.draft,
            "drafts": sorted(self.drafts),
            "style": self.snapshot.style if self.snapshot else "",
        }

    def next_status(self, seen: tuple | None, timeout: float) -> dict | None:
        """The status once (version, draft, state, stage) differs from ``seen``; the same after ``timeout``; None when closing."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or (self.version, self.draft, self.state, self.stage) != seen, timeout)
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

    def labels(self, snap: Snapshot | None = None):
        """The preview's words in the book's language (English for a language ketab has no words for)."""
        from ketab.language import interface_labels

        return interface_labels((snap.lang if snap else None) or self.lang or "en")

    def _direction(self, snap: Snapshot | None) -> tuple[str, str]:
        from ketab.language import default_direction

        lang = (snap.lang if snap else None) or self.lang or "en"
        return lang, (snap.direction if snap else default_direction(lang))

    def _toolbar(self, snap: Snapshot | None, status: dict, current: str | None) -> str:
        prev = nxt = None
        if snap and current in snap.spine:
            i = snap.spine.index(current)
            prev = snap.spine[i - 1] if i > 0 else None
            nxt = snap.spine[i + 1] if i + 1 < len(snap.spine) else None
        lang, direction = self._direction(snap)
        return self._template("toolbar.xhtml.j2").render(
            ui=self.labels(snap),
            ui_lang=lang,
            ui_dir=direction,
            version=status["version"],
            draft=status["draft"],
            style=status["style"],
            page=current or "",
            pending=current in status["drafts"],
            state=status["state"],
            stage=_text(status["stage"]),
            title=_text(snap.title) if snap else "",
            lang=snap.lang if snap else "",
            dir=snap.direction if snap else "ltr",
            contents_label=_text(snap.contents_label) if snap else _contents_label(lang),
            toc=[(href, _text(title), href.split("#")[0] == current) for href, title in snap.toc] if snap else [],
            prev=prev,
            next=nxt,
            pdfs=sorted(snap.pdfs) if snap else [],
            errors=[_text(e) for e in status["errors"]],
            warnings=[_text(w) for w in status["warnings"]],
            warnings_label=_count(self.labels(snap).warnings, len(status["warnings"]), lang),
            has_book=snap is not None,
        )

    def page(self, href: str) -> bytes | None:
        """The content document ``href`` (with its draft, if any) with the toolbar and the script; None if absent."""
        from ketab.drafts import splice

        with self._cond:
            snap, status, draft = self.snapshot, self._status(), self.drafts.get(href)
        if snap is None or href not in snap.files:
            return None
        body = (splice(snap.files[href], draft[1], draft[2]) if draft else None) or snap.files[href]
        if draft and body is snap.files[href]:
            status["drafts"] = [d for d in status["drafts"] if d != href]  # could not be shown: not pending here
        return decorate(body.decode("utf-8"), self._toolbar(snap, status, href)).encode("utf-8")

    def status_page(self, message: str) -> bytes:
        """A plain HTML page (before the first good build, or for a missing page) that reloads itself too."""
        with self._cond:
            snap, status = self.snapshot, self._status()
        lang, direction = self._direction(snap)
        return self._template("status.html.j2").render(
            toolbar=_markup(self._toolbar(snap, status, None)), message=message, title=_text(snap.title) if snap else "ketab",
            lang=lang, dir=direction,
        ).encode("utf-8")


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


def _count(template: str, n: int, lang: str) -> str:
    from ketab.language import Language, default_direction

    return template.format(n=Language(lang, default_direction(lang)).digits(n))


def _contents_label(lang: str) -> str:
    from ketab.language import LABELS, label_key

    return (LABELS.get(label_key(lang)) or LABELS["en"]).contents
