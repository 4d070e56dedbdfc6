"""Bad and hostile manuscripts.

Bad input: through the real command line, one ``path:line: error: … [code]`` line per problem, exit status 1,
and the previous outputs byte for byte as they were.

Hostile input: a manuscript must not read anything outside its folder nor reach the network.  Every case
references a secret that lives *outside* the manuscript — a text file with a random marker, a PNG of a random
colour — and builds; the case either builds with the resource refused or fails with a diagnostic, and the
marker, the colour and the PNG's bytes appear in no output (PDF streams, PDF text, attachments, EPUB members,
the cache).  A local HTTP server counts requests: a build makes none.
"""

from __future__ import annotations

import http.server
import io
import os
import re
import secrets
import shutil
import struct
import threading
import zipfile
import zlib
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from lxml import etree

from conftest import run_cli
from ketab import pipeline
from ketab.diagnostics import BuildError

DIAGNOSTIC = re.compile(r"^(?P<path>[^\s:][^:]*)(:(?P<line>\d+))?: (?P<severity>error|warning): (?P<message>.+) \[(?P<code>[a-z0-9.-]+)\]$")


# --- bad input, through the command line --------------------------------------------------------------------

BOOK = """\
title: کتاب آزمون
language: fa-AF
slug: azmun
identifier: urn:uuid:2d7c41c4-7f36-4a4e-9a57-3f0f3f9c1e21
date: 2026-11-01
signature: 4
chapters:
  - chapters/a.md
  - chapters/b.md
"""
CHAPTER_A = "---\ntitle: فصل نخست\n---\n\nاحمدشاه مسعود در [1332]{.shamsi} زاده شد.[^1]\n\n[^1]: یادداشتی کوتاه.\n"
CHAPTER_B = "---\ntitle: فصل دوم\n---\n\n## بخش {#bakhsh}\n\nمتن فصل دوم با تصویری:\n\n![نقشه](map.png)\n"
OUTPUTS = ("azmun-print.pdf", "azmun-screen.pdf", "azmun-cover.pdf", "azmun.epub")


def png(colour: tuple[int, int, int], size: int = 16) -> bytes:
    """A solid ``size``×``size`` RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(colour) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def good_build(tmp_path_factory):
    """A small Persian book built once by the CLI: (folder holding ms/ and out/, {output: bytes})."""
    base = tmp_path_factory.mktemp("good")
    ms = base / "ms"
    (ms / "chapters").mkdir(parents=True)
    (ms / "book.yaml").write_text(BOOK, encoding="utf-8")
    (ms / "chapters" / "a.md").write_text(CHAPTER_A, encoding="utf-8")
    (ms / "chapters" / "b.md").write_text(CHAPTER_B, encoding="utf-8")
    (ms / "chapters" / "map.png").write_bytes(png((40, 90, 160)))
    proc = run_cli("build", "ms", "--out", "out", cwd=base)
    assert proc.returncode == 0, proc.stderr
    outputs = {name: (base / "out" / name).read_bytes() for name in OUTPUTS}
    return base, outputs


@pytest.fixture
def failing_build(good_build, tmp_path):
    """Copy the good book and its outputs, let the test spoil the manuscript, build with the CLI again."""
    base, before = good_build
    shutil.copytree(base / "ms", tmp_path / "ms", symlinks=True)
    shutil.copytree(base / "out", tmp_path / "out", symlinks=True)

    def run(spoil, expect_exit=1, args=()):
        spoil(tmp_path / "ms")
        proc = run_cli("build", "ms", "--out", "out", *args, cwd=tmp_path)
        assert proc.returncode == expect_exit, proc.stderr
        assert "Traceback" not in proc.stderr, proc.stderr
        lines = [l for l in proc.stderr.splitlines() if ": error: " in l or ": warning: " in l]
        for line in lines:  # a book-wide warning (the press check of a build that succeeds) has no line
            assert DIAGNOSTIC.match(line) or re.match(r"^[^\s:][^:]*: warning: .+ \[[a-z0-9.-]+\]$", line), f"not in the diagnostic format: {line!r}"
        if expect_exit == 1:
            assert proc.stderr.rstrip().splitlines()[-1].startswith("build failed:"), proc.stderr
            after = {name: (tmp_path / "out" / name).read_bytes() for name in OUTPUTS}
            assert after == before, "a failed build changed the previous outputs"
            assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == sorted(OUTPUTS)
            assert not list((tmp_path / "out").glob("*.tmp")) and not list((tmp_path / "out").glob(".*.tmp"))
        return lines

    return run


def edit(rel: str, old: str, new: str):
    def spoil(ms: Path):
        path = ms / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return spoil


def write(rel: str, content: str | bytes):
    def spoil(ms: Path):
        path = ms / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))

    return spoil


def errors_of(lines):
    return [l for l in lines if ": error: " in l]


def one_error(lines, pattern: str):
    """Exactly one error line, and it matches ``pattern`` from start to end."""
    errs = errors_of(lines)
    assert len(errs) == 1, errs
    assert re.fullmatch(pattern, errs[0]), errs[0]
    return errs[0]


def test_malformed_front_matter_yaml(failing_build):
    lines = failing_build(edit("chapters/b.md", "title: فصل دوم\n", "title: [فصل دوم\nkind: chapter\n"))
    one_error(lines, r"ms/chapters/b\.md:[234]: error: malformed YAML: .+ \[front-matter\.syntax\]")


def test_missing_chapter_file(failing_build):
    lines = failing_build(edit("book.yaml", "  - chapters/b.md\n", "  - chapters/b.md\n  - chapters/c.md\n"))
    one_error(lines, r"ms/book\.yaml:10: error: chapter file 'chapters/c\.md' does not exist \[chapter\.missing\]")


def test_chapter_listed_twice(failing_build):
    lines = failing_build(edit("book.yaml", "  - chapters/b.md\n", "  - chapters/b.md\n  - chapters/a.md\n"))
    one_error(lines, r"ms/book\.yaml:10: error: chapter 'chapters/a\.md' is listed twice \(first on line 8\) \[chapter\.duplicate\]")


def test_bad_trim(failing_build):
    lines = failing_build(edit("book.yaml", "signature: 4\n", "signature: 4\ntrim: {width: 20, height: 3000}\n"))
    one_error(lines, r"ms/book\.yaml:7: error: trim: .+ \[config\.value\]")


def test_unknown_language(failing_build):
    lines = failing_build(edit("book.yaml", "language: fa-AF\n", "language: tlh\n"))
    one_error(lines, r"ms/book\.yaml:2: error: language: unknown language 'tlh'.* \[config\.value\]")


def test_footnote_defined_but_never_referenced_is_a_warning(failing_build, good_build, tmp_path):
    lines = failing_build(edit("chapters/a.md", "[^1]: یادداشتی کوتاه.\n", "[^1]: یادداشتی کوتاه.\n\n[^2]: بی‌ارجاع.\n"), expect_exit=0)
    assert errors_of(lines) == []
    assert "ms/chapters/a.md:9: warning: footnote [^2] is defined but never referenced [note.unused]" in lines


def test_footnote_error_and_warning_in_one_run(failing_build):
    spoil = edit("chapters/b.md", "متن فصل دوم", "متن[^x] فصل دوم")
    lines = failing_build(lambda ms: (spoil(ms), write("chapters/a.md", CHAPTER_A + "\n[^9]: تنها.\n")(ms)))
    one_error(lines, r"ms/chapters/b\.md:7: error: footnote \[\^x\] is never defined \[note\.undefined\]")
    assert "ms/chapters/a.md:9: warning: footnote [^9] is defined but never referenced [note.unused]" in lines


def test_missing_image(failing_build):
    lines = failing_build(lambda ms: (ms / "chapters" / "map.png").unlink())
    one_error(lines, r"ms/chapters/b\.md:9: error: image 'map\.png' does not exist \[image\.missing\]")


def test_a_file_that_is_not_an_image(failing_build):
    lines = failing_build(write("chapters/map.png", "this is text, not a PNG\n"))
    one_error(lines, r"ms/chapters/b\.md:9: error: 'map\.png' is not an image .+ \[image\.type\]")


def test_not_utf8(failing_build):
    lines = failing_build(write("chapters/b.md", CHAPTER_B.encode("utf-8") + "\nخط بد\n".encode("cp1256")))
    one_error(lines, r"ms/chapters/b\.md:11: error: the file is not UTF-8 \(byte 0x[0-9a-f]{2}\); save it as UTF-8 \[encoding\.utf8\]")


def test_bom_and_crlf_are_accepted_and_change_nothing(failing_build, good_build, tmp_path):
    crlf = b"\xef\xbb\xbf" + CHAPTER_B.replace("\n", "\r\n").encode("utf-8")
    lines = failing_build(write("chapters/b.md", crlf), expect_exit=0)
    # (the press writer's note that the colour picture went gray is about the picture, not the encoding)
    assert [l for l in lines if "[press." not in l] == ["ms/chapters/b.md:1: warning: byte-order mark removed; save the file as UTF-8 without BOM [encoding.bom]"]
    # the same text with other line ends is the same book
    assert (tmp_path / "out" / "azmun.epub").read_bytes() == good_build[1]["azmun.epub"]


def test_empty_chapter(failing_build):
    lines = failing_build(write("chapters/b.md", "---\ntitle: فصل دوم\n---\n\n  \n"))
    one_error(lines, r"ms/chapters/b\.md:4: error: the chapter is empty \[chapter\.empty\]")


def test_same_heading_id_in_two_chapters(failing_build):
    # pandoc's ids are made unique across the book (the later one renamed); an id the author wrote twice is said
    lines = failing_build(write("chapters/a.md", CHAPTER_A + "\n## دیگر {#bakhsh}\n\nمتن.\n"), expect_exit=0)
    dup = [l for l in lines if "[id.duplicate]" in l]
    assert len(dup) == 1 and re.match(r"ms/chapters/b\.md:5: warning: id 'bakhsh' is already used in chapters/a\.md", dup[0]), lines


@pytest.mark.parametrize("markup", ["[31 حوت 1360]{.shamsi}", "[13 سنبله 1332]{.miladi}", "[فردا]{.shamsi}"])
def test_date_markup_that_cannot_convert(failing_build, markup):
    lines = failing_build(edit("chapters/a.md", "[1332]{.shamsi}", markup))
    body = re.escape(markup.split("]")[0][1:])
    one_error(lines, rf"ms/chapters/a\.md:5: error: date \[{body}\]\{{\.(shamsi|miladi)\}}: .+ \[date\.invalid\]")


def test_raw_html_that_is_refused(failing_build):
    body = (
        "\n<script>alert(1)</script>\n\n<iframe src=\"x.html\"></iframe>\n\n<object data=\"x.svg\"></object>\n\n"
        "<form action=\"/\"><input name=q></form>\n\n<p onclick=\"steal()\">متن</p>\n"
    )
    # dropped with a warning that names the line (an error with --strict), and the build goes on
    lines = failing_build(write("chapters/b.md", CHAPTER_B + body), expect_exit=0)
    refused = [l for l in lines if l.endswith("[html.refused]")]
    assert sorted({int(DIAGNOSTIC.match(l)["line"]) for l in refused}) == [11, 13, 15, 17, 19], refused
    assert all(l.startswith("ms/chapters/b.md:") and ": warning: " in l for l in refused), refused


def test_chapter_symlink_out_of_the_manuscript(failing_build, tmp_path):
    outside = tmp_path / "elsewhere.md"
    outside.write_text(CHAPTER_B, encoding="utf-8")

    def spoil(ms):
        (ms / "chapters" / "b.md").unlink()
        (ms / "chapters" / "b.md").symlink_to(outside)

    lines = failing_build(spoil)
    one_error(lines, r"ms/book\.yaml:9: error: chapter 'chapters/b\.md' points outside the manuscript folder \[chapter\.outside\]")


# --- hostile manuscripts --------------------------------------------------------------------------------------


class Secret:
    """What lives outside the manuscript, and how to look for it in outputs."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.marker = f"KETAB-LEAK-{secrets.token_hex(12)}"
        self.colour = tuple(30 + secrets.randbelow(200) for _ in range(3))  # no page white, no text black
        self.png_bytes = png(self.colour)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "secret.txt").write_text(f"{self.marker}\n", encoding="utf-8")
        (folder / "secret.png").write_bytes(self.png_bytes)
        (folder / "secret.md").write_text(f"---\ntitle: {self.marker}\n---\n\n{self.marker}\n", encoding="utf-8")
        (folder / "secret.yaml").write_text(f'id: "002"\ntitle: {self.marker}\nauthor: {self.marker}\n', encoding="utf-8")
        (folder / "events.yaml").write_text(f'- {{date: "1332", calendar: shamsi, event: "{self.marker}"}}\n', encoding="utf-8")
        (folder / "secret.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>{self.marker}</text></svg>')

    @property
    def txt(self) -> Path:
        return self.folder / "secret.txt"

    @property
    def png(self) -> Path:
        return self.folder / "secret.png"

    def needles(self) -> list[bytes]:
        """Byte strings whose presence anywhere means the secret got in."""
        return [self.marker.encode(), self.marker.encode("utf-16-be"), bytes(self.colour) * 8, self.png_bytes[16:48]]


class Server:
    """A local HTTP server that counts every request and answers with the secret."""

    def __init__(self, secret: Secret):
        requests = self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                requests.append(self.path)
                body = secret.png_bytes if self.path.endswith(".png") else secret.marker.encode()
                self.send_response(200)
                self.send_header("Content-Type", "image/png" if self.path.endswith(".png") else "text/plain")
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_HEAD = do_GET

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def secret(tmp_path_factory):
    return Secret(tmp_path_factory.mktemp("outside"))


@pytest.fixture(scope="module")
def server(secret):
    srv = Server(secret)
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def scan_pdf(data: bytes, needles: list[bytes], where: str) -> list[str]:
    """Every place in a PDF where a needle appears: raw bytes, decoded streams, attachments, page text."""
    found = []
    pdf = pikepdf.open(io.BytesIO(data))
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            try:
                decoded = obj.read_bytes()
            except pikepdf.PdfError:
                decoded = obj.read_raw_bytes()
            found += [f"{where}: stream {obj.objgen}" for n in needles if n in decoded]
        elif isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/FileAttachment":
            found.append(f"{where}: file attachment annotation {obj.objgen}")
    for name, spec in pdf.attachments.items():
        found.append(f"{where}: embedded file {name!r}")
        body = spec.get_file().read_bytes()
        found += [f"{where}: embedded file {name!r} holds the secret" for n in needles if n in body]
    doc = pdfium.PdfDocument(data)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    found += [f"{where}: page text" for n in needles if n.decode("latin-1") in text]
    return found


def scan_outputs(out: Path, needles: list[bytes]) -> list[str]:
    """Search every file below ``out`` (outputs and cache) for the needles."""
    found = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path}: raw bytes" for n in needles if n in data]
        if path.suffix == ".epub":
            with zipfile.ZipFile(path) as z:
                assert z.testzip() is None
                for name in z.namelist():
                    member = z.read(name)
                    found += [f"{path}!{name}" for n in needles if n in member]
        start = data.find(b"%PDF-")
        if start >= 0:  # an output, or a laid-out unit in the cache
            found += scan_pdf(data[start:], needles, str(path))
    return found


def epub_fetches(path: Path) -> list[str]:
    """Attributes of the EPUB's documents that would make a reading system load something from outside."""
    found = []
    with zipfile.ZipFile(path) as z:
        for name in (n for n in z.namelist() if n.endswith(".xhtml")):
            for el in etree.fromstring(z.read(name)).iter():
                for attr, value in el.attrib.items():
                    local = attr.rsplit("}", 1)[-1]
                    external = re.match(r"\s*([a-z][a-z0-9+.-]*:|//)", value, re.I)
                    if local in ("src", "srcset", "poster", "data", "background") and external:
                        found.append(f"{name}: {local}={value!r}")
                    elif local == "href" and external and not el.tag.endswith("}a"):
                        found.append(f"{name}: {el.tag} href={value!r}")
                    elif local == "style" and "url(" in value.lower():
                        found.append(f"{name}: style={value!r}")
    return found


BOOK_EN = """\
title: A Small Book
language: en
slug: small
identifier: urn:uuid:0b8c2d55-7f3a-4b8e-9d0a-5f2c9e1d3b77
date: 2026-11-01
signature: 1
chapters: {chapters}
{extra}"""


def hostile(tmp_path, secret: Secret, body: str = "", *, setup=None, chapters="[chapters/a.md]", extra="", front="", strict=False):
    """Write a manuscript whose chapter a.md has ``body``, build it in-process: (outcome, out folder, manuscript)."""
    ms = tmp_path / "ms"
    (ms / "chapters").mkdir(parents=True)
    (ms / "book.yaml").write_text(BOOK_EN.format(chapters=chapters, extra=extra), encoding="utf-8")
    (ms / "chapters" / "a.md").write_text(f"---\ntitle: One\n{front}---\n\nA harmless first paragraph.\n\n{body}\n", encoding="utf-8")
    (ms / "chapters" / "ok.png").write_bytes(png((250, 250, 250), 4))
    if setup:
        setup(ms)
    out = tmp_path / "out"
    try:
        outcome = pipeline.build(ms, out, strict=strict)
    except BuildError as exc:
        outcome = exc
    return outcome, out, ms


def codes(outcome) -> set[str]:
    return {d.code for d in outcome.diagnostics if d.is_error} if isinstance(outcome, BuildError) else set()


def assert_no_leak(tmp_path, secret: Secret, server: Server, outcome, out: Path, expect_error: str | None):
    assert server.requests == [], f"the build reached the network: {server.requests}"
    if expect_error == "either":
        pass  # refused quietly or with an error: both are fine, a leak is not
    elif expect_error:
        assert isinstance(outcome, BuildError), f"expected [{expect_error}], the build succeeded"
        assert expect_error in codes(outcome), outcome
    elif isinstance(outcome, BuildError):
        raise AssertionError(f"expected the resource to be refused quietly, got: {outcome}")
    else:
        assert set(outcome.outputs) == {"print", "screen", "cover", "epub"}
    if out.exists():
        for epub in out.glob("*.epub"):
            fetches = epub_fetches(epub)
            assert fetches == [], f"{epub.name} makes a reading system fetch something: {fetches}"
        leaks = scan_outputs(out, secret.needles())
        assert leaks == [], "the secret got into the outputs:\n" + "\n".join(leaks)
    for name in ("secret.txt", "secret.png"):
        assert (secret.folder / name).exists()


@pytest.fixture
def check(tmp_path, secret, server):
    server.requests.clear()

    def run(body: str = "", expect_error: str | None = None, **kw):
        # refused HTML and remote pictures are dropped with a warning; --strict (used here) makes them the error expected
        outcome, out, ms = hostile(tmp_path, secret, body, strict=expect_error in ("html.refused", "image.remote") or kw.pop("strict", False), **kw)
        assert_no_leak(tmp_path, secret, server, outcome, out, expect_error)
        return outcome, out

    return run


def relative(tmp_path, secret: Secret, name: str) -> str:
    return os.path.relpath(secret.folder / name, tmp_path / "ms" / "chapters")


# Images ------------------------------------------------------------------------------------------------------


def test_image_by_file_url(check, secret):
    check(f"![map](file://{secret.png})", "image.remote")


def test_image_by_localhost_file_url(check, secret):
    check(f'<img src="file://localhost{secret.png}" alt="">', "image.remote")


def test_image_by_relative_path_out_of_the_manuscript(check, secret, tmp_path):
    check(f"![map]({relative(tmp_path, secret, 'secret.png')})", "image.outside")


def test_image_by_percent_encoded_dot_dot(check, secret, tmp_path):
    encoded = relative(tmp_path, secret, "secret.png").replace("..", "%2e%2e")
    check(f"![map]({encoded})", "image.outside")


def test_image_by_absolute_path(check, secret):
    check(f"![map]({secret.png})", "image.outside")


def test_non_image_file_by_markdown_image_syntax(check, secret, tmp_path):
    # pandoc writes <embed> (not <img>) for a file that is not an image: it must still be checked
    check(f"![notes]({relative(tmp_path, secret, 'secret.txt')})", "image.outside")


def test_image_symlink_out_of_the_manuscript(check, secret):
    check("![map](pic.png)", "image.outside", setup=lambda ms: (ms / "chapters" / "pic.png").symlink_to(secret.png))


def test_image_in_a_symlinked_folder(check, secret):
    check("![map](gallery/secret.png)", "image.outside", setup=lambda ms: (ms / "chapters" / "gallery").symlink_to(secret.folder))


def test_remote_image(check, server):
    check(f"![map]({server.url}/img.png)", "image.remote")


def test_remote_image_in_raw_html(check, server):
    check(f'<img src="{server.url}/raw.png" alt="">', "image.remote")


def test_protocol_relative_image(check, server):
    check(f"![map]({server.url[5:]}/protocol-relative.png)", "image.outside")


def test_svg_image_that_reaches_out(check, secret, server):
    svg = (
        f'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY leak SYSTEM "file://{secret.txt}">]>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="40">'
        f'<image href="file://{secret.png}" width="10" height="10"/>'
        f'<image xlink:href="../../{secret.folder.name}/secret.png" width="10" height="10"/>'
        f'<image href="{server.url}/svg.png" width="10" height="10"/>'
        f'<use href="file://{secret.folder}/secret.svg#x"/>'
        "<style>@import url('" + server.url + "/svg.css');</style>"
        "<text>&leak;</text></svg>"
    )
    # refused with a diagnostic (it declares an entity and refers outside): it is neither drawn nor copied
    check("![drawing](drawing.svg)", "image.type", setup=lambda ms: (ms / "chapters" / "drawing.svg").write_text(svg))


# Attachments ---------------------------------------------------------------------------------------------------


def test_a_rel_attachment(check, secret, tmp_path):
    body = (
        f'<a rel="attachment" href="file://{secret.txt}">one</a> '
        f'<a rel="noopener attachment" href="{relative(tmp_path, secret, "secret.txt")}">two</a> '
        f'<a REL="Attachment" href="{secret.png}">three</a>'
    )
    check(body)


def test_a_rel_attachment_by_pandoc_attributes(check, secret):
    check(f"[one](file://{secret.txt}){{rel=attachment}}")


def test_link_rel_attachment(check, secret):
    check(f'<link rel="attachment" href="file://{secret.txt}">', "html.refused")


def test_a_rel_attachment_to_a_remote_file(check, server):
    check(f'<a rel="attachment" href="{server.url}/attached.txt">remote</a>')


# CSS ---------------------------------------------------------------------------------------------------------


def test_css_url_to_a_local_file(check, secret):
    check(f'<p style="background: url(file://{secret.png})">styled</p>\n\n<p style="background-image:url(\'{secret.png}\')">again</p>')


def test_css_url_to_a_relative_file(check, secret, tmp_path):
    check(f'<div style="background: url({relative(tmp_path, secret, "secret.png")}) no-repeat">\nstyled\n</div>')


def test_css_url_to_the_network(check, server):
    check(f'Some <span style="background-image: url({server.url}/x.png)">styled</span> text.')


def test_css_url_by_pandoc_attributes(check, secret, server):
    check(f'[styled]{{style="background: url(file://{secret.png})"}} and [more]{{style="list-style-image: url({server.url}/l.png)"}}')


def test_css_url_hidden_by_escapes(check, server):
    check(f'<p style="background: u\\72 l({server.url}/escaped.png)">escaped</p>\n\n<p style="background: URL({server.url}/upper.png)">upper</p>')


def test_css_image_set_and_content(check, secret, server):
    check(f'<p style="background-image: image-set(\'{server.url}/set.png\' 1x); content: url({secret.png})">p</p>')


# Raw HTML ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        '<iframe src="file://{txt}"></iframe>',
        '<object data="file://{txt}"></object>',
        '<embed src="file://{txt}">',
        '<video src="{url}/v.mp4" poster="file://{png}"></video>',
        '<form action="{url}/f"><input type="image" src="{url}/i.png"></form>',
        '<base href="file://{folder}/">',
        '<style>@import url({url}/s.css); p {{ background: url(file://{png}) }}</style>',
        '<meta http-equiv="refresh" content="0; url={url}/m">',
        '<svg><image href="file://{png}" width="9" height="9"/></svg>',
        "<script src=\"{url}/s.js\"></script>",
    ],
    ids=["iframe", "object", "embed", "video", "form", "base", "style", "meta", "svg", "script"],
)
def test_raw_html_that_could_fetch_is_refused(check, secret, server, html):
    check(html.format(txt=secret.txt, png=secret.png, url=server.url, folder=secret.folder), "html.refused")


def test_refused_html_smuggled_past_the_fence_check(check, secret, server):
    # A ``` line inside a ~~~ fence: a line checker that toggles on any fence and pandoc disagree about where
    # the code ends.  The HTML is refused with a diagnostic, or it is removed before any output.
    body = f"~~~\n```\n~~~\n\n<svg><image href=\"file://{secret.png}\" width=\"9\" height=\"9\"/></svg>\n\n<image src=\"{server.url}/alias.png\">\n\n```\n"
    outcome, out = check(body, "either")
    if isinstance(outcome, BuildError):
        assert codes(outcome) == {"html.refused"}, outcome
    else:
        assert_chapter_lacks(out, rb"<svg", rb"<image")


def test_event_handler_split_over_lines(check):
    outcome, out = check('<img src="ok.png" alt=""\nonerror="steal()">\n\n<p/onclick="steal()">x</p>', "either")
    if isinstance(outcome, BuildError):
        assert codes(outcome) == {"html.refused"}, outcome
    else:
        assert_chapter_lacks(out, rb"onerror", rb"onclick")


def assert_chapter_lacks(out: Path, *needles: bytes) -> None:
    with zipfile.ZipFile(out / "small.epub") as epub:
        chapter = next(epub.read(n) for n in epub.namelist() if n.endswith(".xhtml") and b"harmless" in epub.read(n))
    for needle in needles:
        assert needle not in chapter, needle


def test_html_comments_do_not_reach_the_outputs(check, server):
    _, out = check(f"Text.\n\n<!-- editor's note: ask about {server.url}/c.png -->\n\nMore <!-- <img src=x> --> text.\n")
    with zipfile.ZipFile(out / "small.epub") as epub:
        chapters = [epub.read(n) for n in epub.namelist() if n.endswith(".xhtml")]
        assert any(b"More" in c for c in chapters) and not any(b"<!--" in c or b"editor's note" in c for c in chapters)


def test_comment_that_ends_differently_for_an_html5_parser(check, server):
    check(f"<div>\n<!-- a --!><img src=\"{server.url}/comment.png\"> -->\n</div>\n", "either")


# Metadata and generated parts ------------------------------------------------------------------------------------


def test_html_in_titles_and_metadata_is_text(check, server):
    img = f'<img src="{server.url}/meta.png">'
    check(
        f"[word]{{.idx entry='{img}'}}",
        front=f"author: '{img}'\ntranslator: '<a rel=attachment href=\"x\">t</a>'\nsubtitle: '{img}'\n",
        extra=f"description: '{img}'\npublisher: '<link rel=attachment href=\"book.yaml\">'\nsubtitle: '{img} & co'\n",
        chapters="[chapters/a.md, {generate: index}]",
    )


def test_html_in_a_generated_part_title_is_text(check, server):
    check("[word]{.idx}", chapters="[chapters/a.md, {generate: index, title: '<img src=\"" + server.url + "/t.png\"> & more'}]")


def test_chapter_path_out_of_the_manuscript(check, secret):
    check(chapters=f"[chapters/a.md, ../../{secret.folder.name}/secret.md]", expect_error="config.path")


def test_chapter_symlink_to_a_secret_leaks_nothing(check, secret):
    check(
        chapters="[chapters/a.md, chapters/b.md]",
        expect_error="chapter.outside",
        setup=lambda ms: (ms / "chapters" / "b.md").symlink_to(secret.folder / "secret.md"),
    )


def test_chapters_folder_symlink_out_of_the_manuscript(check, secret):
    def setup(ms):
        shutil.copy(ms / "chapters" / "a.md", ms / "a.md")
        (ms / "more").symlink_to(secret.folder)

    check(chapters="[a.md, more/secret.md]", expect_error="chapter.outside", setup=setup)


def test_chronology_data_symlink_out_of_the_manuscript(check, secret):
    check(
        chapters="[chapters/a.md, {generate: chronology, data: data/events.yaml}]",
        expect_error="chronology.missing",
        setup=lambda ms: ((ms / "data").mkdir(), (ms / "data" / "events.yaml").symlink_to(secret.folder / "events.yaml")),
    )


def test_source_record_symlink_out_of_the_manuscript(check, secret):
    check(
        chapters="[chapters/a.md, {generate: sources}]",
        expect_error="source.outside",
        setup=lambda ms: ((ms / "sources").mkdir(), (ms / "sources" / "002.yaml").symlink_to(secret.folder / "secret.yaml")),
    )


def test_image_symlink_loop(check):
    def setup(ms):
        (ms / "chapters" / "a.png").symlink_to("b.png")
        (ms / "chapters" / "b.png").symlink_to("a.png")

    outcome, _ = check("![loop](a.png)", "either", setup=setup)
    assert codes(outcome) & {"image.outside", "image.missing"}, outcome


def test_chapter_symlink_loop(check):
    def setup(ms):
        (ms / "chapters" / "b.md").symlink_to("c.md")
        (ms / "chapters" / "c.md").symlink_to("b.md")

    check(chapters="[chapters/a.md, chapters/b.md]", expect_error="chapter.outside", setup=setup)


def test_sources_folder_symlink_out_of_the_manuscript(check, secret):
    def setup(ms):
        (secret.folder / "records").mkdir(exist_ok=True)
        shutil.copy(secret.folder / "secret.yaml", secret.folder / "records" / "002.yaml")
        (ms / "sources").symlink_to(secret.folder / "records")

    check(chapters="[chapters/a.md, {generate: sources}]", expect_error="source.outside", setup=setup)


def test_source_record_that_is_a_folder(check):
    check(chapters="[chapters/a.md, {generate: sources}]", setup=lambda ms: (ms / "sources" / "002.yaml").mkdir(parents=True))


def refused_lines(root):
    from ketab.convert import convert_chapters
    from ketab.manuscript import load_manuscript

    with pytest.raises(BuildError) as info:
        convert_chapters(load_manuscript(root), strict=True)
    return [(d.line, d.code) for d in info.value.diagnostics if d.code == "html.refused"]


def test_raw_html_after_mismatched_fences_is_refused(write_book):
    root = write_book(BOOK_EN.format(chapters="[a.md]", extra=""), {"a.md": "---\ntitle: A\n---\n\n~~~\n```\n~~~\n\n<svg></svg>\n\n```\n"})
    assert refused_lines(root) == [(9, "html.refused")]


def test_event_handler_on_its_own_line_is_refused(write_book):
    root = write_book(BOOK_EN.format(chapters="[a.md]", extra=""), {"a.md": '---\ntitle: A\n---\n\n<img src="x.png"\nonerror="steal()">\n\n<p/onclick="x()">y</p>\n'})
    assert sorted(refused_lines(root)) == [(6, "html.refused"), (8, "html.refused")]


def test_the_sandbox_fetcher_itself(tmp_path, secret, server):
    """WeasyPrint reads every resource through SandboxFetcher: only data: URLs and regular files inside."""
    from ketab.fetcher import RefusedResource, SandboxFetcher

    server.requests.clear()
    ms = tmp_path / "ms"
    (ms / "img").mkdir(parents=True)
    (ms / "img" / "ok.png").write_bytes(png((1, 2, 3), 2))
    (ms / "img" / "out.png").symlink_to(secret.png)
    (ms / "img" / "loop.png").symlink_to(ms / "img" / "loop.png")
    (ms / "elsewhere").symlink_to(secret.folder)
    fetcher = SandboxFetcher([ms])
    assert fetcher.fetch((ms / "img" / "ok.png").as_uri()).read() == png((1, 2, 3), 2)
    assert fetcher.fetch("file://localhost" + str(ms / "img" / "ok.png")).read() == png((1, 2, 3), 2)
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"
    refused = [
        secret.png.as_uri(), f"file://{ms}/img/../../{secret.folder.name}/secret.png", f"file://{ms}/img/%2e%2e/%2e%2e/x",
        (ms / "img" / "out.png").as_uri(), (ms / "elsewhere" / "secret.txt").as_uri(), (ms / "img" / "loop.png").as_uri(),
        (ms / "img").as_uri(), "file:img/ok.png", f"file://{ms}/img/ok.png%00", f"file://evil.example{ms}/img/ok.png",
        f"{server.url}/fetcher.png", server.url.replace("http", "https") + "/x", "ftp://127.0.0.1/x", "FILE:///etc/hostname",
    ]
    for url in refused:
        with pytest.raises(RefusedResource):
            fetcher.fetch(url)
    assert fetcher.refused == refused
    assert server.requests == []


# The detector itself ---------------------------------------------------------------------------------------------


def test_the_leak_detector_finds_what_is_there(tmp_path, secret):
    """Positive control: the same searches find a marker and a colour that *are* in the manuscript."""
    inside = Secret(tmp_path / "inside")

    def setup(ms):
        shutil.copy(inside.png, ms / "chapters" / "inside.png")

    body = f"{inside.marker}\n\n![inside](inside.png)\n\n<p style=\"background: url(inside.png)\">styled</p>"
    outcome, out, _ = hostile(tmp_path, secret, body, setup=setup)
    assert not isinstance(outcome, BuildError), outcome
    found = "\n".join(scan_outputs(out, inside.needles()))
    assert "print.pdf: page text" in found and "screen.pdf: page text" in found
    assert re.search(r"screen\.pdf: stream", found)  # the PNG's pixels (the print PDF has them in gray, for the press)
    assert "small.epub!" in found  # the marker in the chapter's XHTML
    assert ".ketab-cache" in found  # laid-out units and pandoc output in the cache
    # and an attachment, made here by hand, is found as one
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.attachments["x.txt"] = pikepdf.AttachedFileSpec(pdf, inside.marker.encode())
    buffer = io.BytesIO()
    pdf.save(buffer)
    assert any("embedded file 'x.txt' holds the secret" in f for f in scan_pdf(buffer.getvalue(), inside.needles(), "x"))
