"""ketab watch: rebuilds on a real file change, serves the EPUB's pages on 127.0.0.1
with a reload script, shows the errors of a failed build in the page, serves nothing else."""

from __future__ import annotations

import http.client
import json
import queue
import re
import shutil
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from conftest import PROJECTS
from ketab.commands import watch
from ketab.diagnostics import BuildError
from ketab.render import default_templates

TIMEOUT = 30.0
QUIET_AFTER = 2.0
"""Seconds within which a second rebuild after a burst would have begun."""
X = {"x": "http://www.w3.org/1999/xhtml"}
HOSTILE_KEY = "<img src=x onerror=alert(1)>"
UNDEFINED_NOTE = re.compile(r"^\S*chapters/02-two\.md:\d+: error: footnote \[\^9\] is never defined \[note\.undefined\]$")


# --- helpers -----------------------------------------------------------------------


def get(w: watch.Watcher, path: str, host: str | None = None) -> tuple[int, str, bytes]:
    """GET ``path`` exactly as written (http.client does not normalise ``..``)."""
    conn = http.client.HTTPConnection("127.0.0.1", w.preview.port, timeout=TIMEOUT)
    try:
        conn.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type", ""), resp.read()
    finally:
        conn.close()


def page(w: watch.Watcher, path: str) -> etree._Element:
    """A served page, parsed as the XML it must be (a browser shows nothing of ill-formed XHTML)."""
    status, ctype, body = get(w, path)
    assert status == 200, (path, status)
    assert ctype.startswith("application/xhtml+xml")
    return etree.fromstring(body)


def text(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).split())


def eventually(check, timeout: float = TIMEOUT):
    """Poll ``check`` until it returns something true; its last value otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


class Events:
    """The page's view of ``/events``: one JSON status per Server-Sent Event (None: the stream ended)."""

    def __init__(self, w: watch.Watcher):
        self.conn = http.client.HTTPConnection("127.0.0.1", w.preview.port, timeout=TIMEOUT)
        self.conn.request("GET", "/events")
        resp = self.conn.getresponse()
        assert resp.getheader("Content-Type").startswith("text/event-stream")
        self.queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(resp,), daemon=True).start()

    def _read(self, resp) -> None:
        try:
            for line in iter(resp.readline, b""):
                if line.startswith(b"data: "):
                    self.queue.put(json.loads(line[6:]))
        except OSError:
            pass
        self.queue.put(None)

    def next(self, timeout: float = TIMEOUT) -> dict | None:
        """The next event; None when the stream ended; fails after ``timeout`` seconds without one."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no event from /events in {timeout} s")

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def watching(project, tmp_path):
    """Start a watcher (port 0) on a fresh copy of a sample project; wait for its first build."""
    watchers = []

    def start(name: str = "english-small", templates: Path | None = None, out: str | None = None) -> watch.Watcher:
        root = project(name)
        w = watch.Watcher(root, root / out if out else tmp_path / f"out{len(watchers)}", port=0, templates=templates, echo=False)
        watchers.append(w)
        w.start()
        assert w.wait_for_build(0, TIMEOUT), "the first build did not finish"
        assert w.last_error is None, w.last_error
        w.root = root
        return w

    yield start
    for w in watchers:
        w.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One watcher for the read-only tests; its book.yaml has an unknown key that looks like HTML."""
    base = tmp_path_factory.mktemp("served")
    root = base / "ms"
    shutil.copytree(PROJECTS / "english-small", root)
    with (root / "book.yaml").open("a", encoding="utf-8") as f:
        f.write(f'"{HOSTILE_KEY}": 1\n')
    w = watch.Watcher(root, base / "out", port=0, echo=False).start()
    assert w.wait_for_build(0, TIMEOUT) and w.last_error is None, w.last_error
    yield w
    w.stop()


# --- the preview ---------------------------------------------------------------------


def test_the_index_page_is_the_books_contents_with_the_chapters_and_the_reload_script(served):
    root = page(served, "/")
    assert served.url.startswith("http://127.0.0.1:") and served.preview.port != 0
    contents = root.find(".//x:nav[@id='toc']", X)
    assert [text(a) for a in contents.findall("x:ol/x:li/x:a", X)] == ["Chapter One", "Chapter Two", "Index"]
    toolbar = root.find(".//x:div[@id='ketab-preview']", X)
    assert [a.get("href") for a in toolbar.findall(".//x:details[@class='ketab-toc']//x:a", X)] == [
        "/ch-01-one.xhtml", "/ch-02-two.xhtml", "/index.xhtml"
    ]
    assert root.find(".//x:script[@src='/_ketab/live.js']", X) is not None
    status, ctype, script = get(served, "/_ketab/live.js")
    assert status == 200 and "javascript" in ctype and b'new EventSource("/events")' in script


def test_a_chapter_is_served_as_the_epub_has_it_with_fonts_and_a_link_to_the_screen_pdf(served):
    root = page(served, "/ch-01-one.xhtml")
    assert root.get("lang") == "en" and root.get("dir") == "ltr"
    assert "was born on" in text(root.find(".//x:section", X))
    assert root.find(".//x:script[@src='/_ketab/live.js']", X) is not None
    pdf_link = root.find(".//x:a[@class='ketab-pdf']", X).get("href")
    assert pdf_link == "/pdf/small-test-screen.pdf"
    status, ctype, pdf = get(served, pdf_link)
    assert status == 200 and ctype == "application/pdf" and pdf.startswith(b"%PDF-")
    epub = zipfile.ZipFile(served.out / "small-test.epub")
    status, ctype, css = get(served, "/css/book.css")
    assert status == 200 and ctype.startswith("text/css") and css == epub.read("EPUB/css/book.css") and b"@font-face" in css
    status, ctype, font = get(served, "/fonts/Vazirmatn-Regular.ttf")
    assert status == 200 and font == epub.read("EPUB/fonts/Vazirmatn-Regular.ttf")


def test_the_epub_itself_carries_no_preview_script_or_toolbar(served):
    epub = zipfile.ZipFile(served.out / "small-test.epub")
    for name in epub.namelist():
        data = epub.read(name)
        assert b"ketab-preview" not in data and b"live.js" not in data, name


def test_warnings_are_listed_in_the_page_as_text_never_as_markup(served):
    assert any(f"unknown key '{HOSTILE_KEY}'" in w for w in served.preview.status()["warnings"])
    root = page(served, "/ch-02-two.xhtml")  # parses: the warning did not break the XHTML
    toolbar = root.find(".//x:div[@id='ketab-preview']", X)
    warnings = [text(li) for li in toolbar.findall(".//x:details[@class='ketab-warnings']//x:li", X)]
    assert any(re.search(rf"book\.yaml:\d+: warning: unknown key '{re.escape(HOSTILE_KEY)}' is ignored", w) for w in warnings), warnings
    # the only picture is the chapter's own figure: the hostile key's <img> stayed text
    assert [img.get("src") for img in root.iterfind(".//x:img", X)] == ["media/images/figure.png"]


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/css/../../../../etc/passwd",
        "/%2Fetc%2Fpasswd",
        "//etc/passwd",
        "/..\\..\\etc\\passwd",
        "/pdf/../../../etc/passwd",
        "/pdf/..%2Fsmall-test.epub",
        "/_ketab/../toolbar.xhtml.j2",
        "/small-test-screen.pdf",  # the build folder is not served, only the files the preview names
        "/.ketab-cache",
        "/chapters/01-one.md",  # nor the manuscript
        "/META-INF/container.xml",
    ],
)
def test_nothing_outside_the_preview_is_served(served, path):
    status, _, body = get(served, path)
    assert status in (403, 404), (path, status)
    assert b"root:" not in body and b"%PDF" not in body and b"title: Chapter" not in body


def test_pages_are_refused_to_other_host_names(served):
    """A web page that rebinds its own name to 127.0.0.1 cannot read the preview."""
    assert get(served, "/ch-01-one.xhtml", host="attacker.example:8000")[0] == 403
    assert get(served, "/ch-01-one.xhtml", host=f"localhost:{served.preview.port}")[0] == 200


# --- rebuilding on save ----------------------------------------------------------------


def test_saving_a_chapter_rebuilds_the_book_and_tells_the_open_pages_to_reload(watching):
    w = watching()
    events = Events(w)
    first = events.next()
    assert first["state"] == "ok"
    builds = w.build_count

    chapter = w.root / "chapters" / "02-two.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA sentence written while watching.\n", encoding="utf-8")

    assert w.wait_for_build(builds, TIMEOUT), "no rebuild after the chapter changed"
    served = eventually(lambda: "written while watching" in text(page(w, "/ch-02-two.xhtml").find(".//x:section", X)))
    assert served, "the served chapter does not show the new text"
    assert b"written while watching" in zipfile.ZipFile(w.out / "small-test.epub").read("EPUB/ch-02-two.xhtml")
    # the open page hears of it: a new version, which live.js reloads on
    while (event := events.next()) is not None and event["version"] <= first["version"]:
        pass
    assert event is not None, "no event with a new version reached the page"

    w.stop()
    assert events.next() is None, "the event stream stays open after stop()"
    events.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", w.preview.port), timeout=2).close()


def test_an_output_folder_inside_the_manuscript_does_not_trigger_endless_rebuilds(watching):
    w = watching(out="build")  # ketab watch book --out book/build
    time.sleep(1.0)  # a rebuild would start 0.1 s after the outputs are written
    assert (w.build_count, w.building) == (1, False), "writing the outputs triggered another build"
    chapter = w.root / "chapters" / "01-one.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert w.wait_for_build(1, TIMEOUT)
    time.sleep(1.0)
    assert (w.build_count, w.building) == (2, False), "one save, several builds"


def test_editing_a_template_rebuilds_the_book(watching, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(default_templates(), templates, ignore=shutil.ignore_patterns("preview"))
    w = watching(templates=templates)
    builds = w.build_count
    with (templates / "epub" / "epub.css").open("a", encoding="utf-8") as f:
        f.write("\n.chapter-head h1 { color: rebeccapurple; }\n")

    assert w.wait_for_build(builds, TIMEOUT), "no rebuild after the template changed"
    assert eventually(lambda: b"rebeccapurple" in get(w, "/css/book.css")[2]), "the served CSS is the old one"


def test_a_broken_chapter_shows_its_errors_in_the_page_over_the_last_good_build(watching):
    w = watching()
    epub_before = (w.out / "small-test.epub").read_bytes()
    chapter = w.root / "chapters" / "02-two.md"
    good = chapter.read_text(encoding="utf-8")
    builds = w.build_count
    chapter.write_text(good + "\nA dangling note.[^9]\n", encoding="utf-8")

    assert w.wait_for_build(builds, TIMEOUT), "no rebuild after the chapter changed"
    assert isinstance(w.last_error, BuildError)
    status = json.loads(get(w, "/status")[2])
    assert status["state"] == "failed"
    assert len(status["errors"]) == 1 and UNDEFINED_NOTE.match(status["errors"][0]), status["errors"]

    for path in ("/", "/ch-02-two.xhtml"):
        root = page(w, path)
        overlay = root.find(".//x:div[@id='ketab-errors']", X)
        assert overlay is not None, f"{path} shows no errors"
        errors = [li for li in overlay.findall(".//x:li", X) if "ketab-warning" not in (li.get("class") or "")]
        assert [UNDEFINED_NOTE.match(text(li)) is not None for li in errors] == [True]  # warnings may stand beside it
    # the page under the overlay, and the outputs on disk, are the last good build
    assert "Panjshir is a valley" in text(page(w, "/ch-02-two.xhtml").find(".//x:section", X))
    assert (w.out / "small-test.epub").read_bytes() == epub_before

    builds = w.build_count
    chapter.write_text(good, encoding="utf-8")
    assert w.wait_for_build(builds, TIMEOUT), "no rebuild after the fix"
    assert w.last_error is None
    assert page(w, "/ch-02-two.xhtml").find(".//x:div[@id='ketab-errors']", X) is None, "the errors stay after the fix"


# --- the command -------------------------------------------------------------------------


def test_the_command_prints_the_address_and_the_errors_of_the_build(project, tmp_path):
    root = project("english-small")
    chapter = root / "chapters" / "02-two.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA dangling note.[^9]\n", encoding="utf-8")
    result = CliRunner().invoke(
        watch.command, [str(root), "--out", str(tmp_path / "out"), "--port", "0", "--max-builds", "1"], catch_exceptions=False
    )
    assert result.exit_code == 1, result.output
    assert re.search(r"preview at http://127\.0\.0\.1:\d+/", result.stderr)
    assert any(UNDEFINED_NOTE.match(line) for line in result.stderr.splitlines()), result.stderr


def test_the_command_says_when_the_port_is_taken_and_needs_the_epub(project, tmp_path):
    root = project("english-small")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(watch.command, [str(root), "--out", str(tmp_path / "out"), "--port", str(port)])
    assert result.exit_code == 1 and "try --port 0" in result.output
    result = CliRunner().invoke(watch.command, [str(root), "--format", "screen", "--port", "0"])
    assert result.exit_code == 2 and "include epub" in result.output


# --- the new text at once, the pages after -------------------------------------------------


def test_a_saved_chapter_is_served_with_its_new_text_marked_pending_until_its_build(watching):
    w = watching()
    events = Events(w)
    first = events.next()
    chapter = w.root / "chapters" / "02-two.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA sentence seen before its pages.\n", encoding="utf-8")

    while (event := events.next()) is not None and "ch-02-two.xhtml" not in event["drafts"]:
        pass
    assert event is not None and event["version"] == first["version"], "the draft came as a new build, not ahead of it"
    root = page(w, "/ch-02-two.xhtml")  # still well-formed XHTML
    draft = root.find(".//x:section[@id='ch-02-two']", X)
    assert "seen before its pages" in text(draft) and "ketab-draft" in draft.get("class").split()
    assert text(root.find(".//x:span[@id='ketab-pending']", X)) == "text updated, pages pending"
    assert "Panjshir is a valley" in text(draft), "the rest of the chapter went missing from the draft"
    assert page(w, "/ch-01-one.xhtml").find(".//x:span[@id='ketab-pending']", X) is None, "an unchanged chapter is marked"

    while (event := events.next()) is not None and event["drafts"]:
        pass
    assert event is not None and event["version"] > first["version"] and event["state"] == "ok"
    built = page(w, "/ch-02-two.xhtml")
    assert "seen before its pages" in text(built.find(".//x:section[@id='ch-02-two']", X))
    assert built.find(".//x:span[@id='ketab-pending']", X) is None and b"ketab-draft" not in get(w, "/ch-02-two.xhtml")[2]
    events.close()


def test_a_build_replaces_only_the_drafts_of_the_saves_it_read(english_book):
    from ketab.preview import Preview, load_snapshot

    preview = Preview(0)
    preview.succeeded(load_snapshot(english_book.path("epub")))
    section = '<section class="chapter" id="ch-01-one"><p>Newer text.</p></section>'
    preview.drafted({"ch-01-one.xhtml": ("ch-01-one", section)}, save=3)
    assert b"Newer text." in preview.page("ch-01-one.xhtml")
    preview.succeeded(load_snapshot(english_book.path("epub")), through=2)  # a build that began before save 3
    assert b"Newer text." in preview.page("ch-01-one.xhtml") and preview.status()["drafts"] == ["ch-01-one.xhtml"]
    preview.failed(["x.md:1: error: no [x]"], through=3)
    assert b"Newer text." not in preview.page("ch-01-one.xhtml") and preview.status()["drafts"] == []
    # a draft that does not fit the page is not shown (nor marked) rather than breaking it
    preview.drafted({"ch-01-one.xhtml": ("ch-01-one", "<section id='ch-01-one'><p>unclosed</section>")}, save=4)
    assert b"unclosed" not in preview.page("ch-01-one.xhtml") and b"ketab-pending" not in preview.page("ch-01-one.xhtml")


def test_a_burst_of_saves_gets_its_text_at_once_and_one_rebuild_not_one_per_save(watching, monkeypatch):
    """An editor that saves on every keystroke: drafts as the saves come, then the debounced rebuild."""
    monkeypatch.setattr(watch, "DEBOUNCE_MS", 5000)  # however loaded the machine, this burst is shorter
    w = watching()
    builds = w.build_count
    chapter = w.root / "chapters" / "02-two.md"
    text_before = chapter.read_text(encoding="utf-8")
    words = ["Typing", "one", "word", "at", "a", "time", "while", "watching."]
    for n in range(len(words)):
        chapter.write_text(text_before + "\n" + " ".join(words[: n + 1]) + "\n", encoding="utf-8")
        time.sleep(0.08)
    assert w.wait_for_build(builds, TIMEOUT), "no rebuild after the burst"
    time.sleep(QUIET_AFTER)  # a second rebuild, if any, would start within this
    while w.building:
        time.sleep(0.1)
    assert w.drafts_made >= 1, "the burst's text never reached the preview ahead of its build"
    assert w.build_count - builds == 1, f"{w.build_count - builds} builds for one burst of {len(words)} saves"
    assert "a time while watching." in text(page(w, "/ch-02-two.xhtml").find(".//x:section[@id='ch-02-two']", X))
