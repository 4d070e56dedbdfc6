"""Second round of attacks (issue 17): what an attacker and a bad day found.

Each test reproduces one attack class against the promise — *one clear diagnostic, non-zero exit, previous
outputs untouched; nothing read outside the manuscript, nothing fetched, no script in the EPUB; never a torn
output or a corrupt cache*.  A case may be refused with a diagnostic or neutralised; it may not run, leak,
hang, crash or mix two builds.

Most cases take the cheap path (the stages up to the EPUB, no WeasyPrint) or a single command-line run;
the ones about outputs and the cache build the PDFs too.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from ketab import pipeline
from ketab.diagnostics import BuildError

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
DIAGNOSTIC = re.compile(r"^(?P<path>[^\s:][^:]*)(:(?P<line>\d+))?: (?P<severity>error|warning): (?P<message>.+) \[(?P<code>[a-z0-9.-]+)\]$")
XHTML, SVG, XLINK = "http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"

BOOK = """\
title: A Small Book
language: en
slug: small
identifier: urn:uuid:0b8c2d55-7f3a-4b8e-9d0a-5f2c9e1d3b77
date: 2026-11-01
signature: 1
chapters: {chapters}
{extra}"""
OUTPUTS = ("small-print.pdf", "small-screen.pdf", "small-cover.pdf", "small.epub")
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415478da63f8cfc000000301010018dd8db40000000049454e44ae426082"
)


def manuscript(tmp_path: Path, body: str = "", *, front: str = "", chapters: str = "[chapters/a.md]", extra: str = "", files=None) -> Path:
    """A small English book whose chapter a.md has ``body``; ``files`` (path → text or bytes) are added."""
    ms = tmp_path / "ms"
    (ms / "chapters").mkdir(parents=True, exist_ok=True)
    (ms / "book.yaml").write_text(BOOK.format(chapters=chapters, extra=extra), encoding="utf-8")
    (ms / "chapters" / "a.md").write_text(f"---\ntitle: One\n{front}---\n\nA harmless first paragraph.\n\n{body}\n", encoding="utf-8")
    (ms / "chapters" / "ok.png").write_bytes(PNG_1PX)
    for rel, content in (files or {}).items():
        path = ms / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return ms


def cheap_build(ms: Path, out: Path) -> Path:
    """The stages up to the EPUB, without WeasyPrint: the EPUB's path, or BuildError."""
    from ketab.assemble import assemble
    from ketab.convert import convert_chapters
    from ketab.generate import generated_markdown
    from ketab.manuscript import load_manuscript
    from ketab.render import default_templates
    from ketab.writers.epub import write_epub

    loaded = load_manuscript(ms)
    converted, _ = convert_chapters(loaded, lambda ch: generated_markdown(loaded, ch))
    out.mkdir(parents=True, exist_ok=True)
    return write_epub(assemble(loaded, converted), default_templates(), out)


def cli(*args, cwd=None, timeout=180, env=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ketab", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env=env or ENV, **kw)


def diagnostics(stderr: str) -> list[str]:
    return [l for l in stderr.splitlines() if ": error: " in l or ": warning: " in l]


def assert_one_line_diagnostics(proc, exit_code=1) -> list[str]:
    """A failed run the way an editor expects it: no traceback, every message a diagnostic line."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == exit_code, (proc.returncode, proc.stderr)
    lines = diagnostics(proc.stderr)
    for line in lines:
        assert DIAGNOSTIC.match(line), f"not in the diagnostic format: {line!r}"
    if exit_code == 1:
        assert any(": error: " in l for l in lines), proc.stderr
    return lines


# --- what would run in a reading system ---------------------------------------------------------------------

_ACTIVE = {"script", "iframe", "object", "embed", "foreignObject", "frame", "frameset", "applet", "base", "form", "handler", "listener"}


def active_content(data: bytes, name: str) -> list[str]:
    """Elements and attributes of an XML document (XHTML or SVG) that run code or load something from outside."""
    found = []
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in _ACTIVE:
            found.append(f"{name}: <{el.tag}>")
        if local == "meta" and el.get("http-equiv"):
            found.append(f"{name}: <meta http-equiv>")
        for attr, value in el.attrib.items():
            a = etree.QName(attr).localname.lower()
            if a.startswith("on"):
                found.append(f"{name}: {local}/@{a}")
            elif a in ("href", "src") and local != "a" and re.match(r"\s*([a-z][a-z0-9+.-]*:|//)", value, re.I) and not value.startswith("data:image/"):
                found.append(f"{name}: {local}/@{a}={value!r}")
            elif re.match(r"\s*(javascript|vbscript):", value, re.I):
                found.append(f"{name}: {local}/@{a}={value!r}")
    return found


def epub_active_content(epub: Path) -> list[str]:
    found = []
    with zipfile.ZipFile(epub) as z:
        for name in z.namelist():
            if name.endswith((".xhtml", ".svg", ".html")):
                found += active_content(z.read(name), name)
    return found


def refused_or_neutralised(tmp_path, body="", code="html.refused", **kw):
    """The chapter is refused with ``code``, or it builds and its EPUB carries nothing active."""
    ms = manuscript(tmp_path, body, **kw)
    try:
        epub = cheap_build(ms, tmp_path / "out")
    except BuildError as exc:
        codes = {d.code for d in exc.diagnostics if d.is_error}
        assert code in codes, exc
        return exc
    found = epub_active_content(epub)
    assert found == [], found
    return epub


# --- 1. script in the EPUB ----------------------------------------------------------------------------------

NAMESPACED = {
    "xhtml-script": f'<h:script xmlns:h="{XHTML}">alert(1)</h:script>',
    "svg-script": f'<x:svg xmlns:x="{SVG}"><x:script>alert(2)</x:script></x:svg>',
    "meta-refresh": f'<h:meta xmlns:h="{XHTML}" http-equiv="refresh" content="0;url=https://example.org/"/>',
    "iframe": f'<h:iframe xmlns:h="{XHTML}" src="https://example.org/"></h:iframe>',
    "svg-handler": f'<x:svg xmlns:x="{SVG}" xmlns:e="{SVG}"><x:rect e:onmouseover="alert(3)"/></x:svg>',
    "uppercase-prefix": f'<H:SCRIPT xmlns:H="{XHTML}">alert(4)</H:SCRIPT>',
}



@pytest.mark.parametrize("html", list(NAMESPACED.values()), ids=list(NAMESPACED))
def test_namespace_prefixed_raw_html(tmp_path, html):
    refused_or_neutralised(tmp_path, html)


SVG_PICTURES = {
    "script": f'<svg xmlns="{SVG}" width="10" height="10"><script>alert(1)</script><rect width="5" height="5"/></svg>',
    "onload": f'<svg xmlns="{SVG}" width="10" height="10" onload="alert(1)"><rect width="5" height="5"/></svg>',
    "foreignObject": f'<svg xmlns="{SVG}" width="10" height="10"><foreignObject width="9" height="9"><iframe xmlns="{XHTML}" src="https://example.org/"/></foreignObject></svg>',
    "remote-image": f'<svg xmlns="{SVG}" xmlns:xlink="{XLINK}" width="10" height="10"><image xlink:href="https://example.org/x.png" width="9" height="9"/></svg>',
    "javascript-link": f'<svg xmlns="{SVG}" xmlns:xlink="{XLINK}" width="10" height="10"><a xlink:href="javascript:alert(1)"><rect width="5" height="5"/></a></svg>',
    "set-href": f'<svg xmlns="{SVG}" width="10" height="10"><a><set attributeName="href" to="javascript:alert(1)"/><rect width="5" height="5"/></a></svg>',
}



@pytest.mark.parametrize("svg", list(SVG_PICTURES.values()), ids=list(SVG_PICTURES))
def test_svg_picture_with_active_content(tmp_path, svg):
    outcome = refused_or_neutralised(tmp_path, "![drawing](drawing.svg)", code="image.type", files={"chapters/drawing.svg": svg})
    if isinstance(outcome, Path):
        with zipfile.ZipFile(outcome) as z:
            for name in z.namelist():
                assert b"<script" not in z.read(name) and b"javascript:" not in z.read(name), name



def test_svg_set_animation_of_href_is_inert(tmp_path):
    refused_or_neutralised(tmp_path, "![d](d.svg)", code="image.type", files={"chapters/d.svg": SVG_PICTURES["set-href"]})
    # the <set> that turns a link into javascript: is not kept either
    ms = tmp_path / "ms"
    try:
        epub = cheap_build(ms, tmp_path / "out2")
    except BuildError:
        return
    with zipfile.ZipFile(epub) as z:
        assert not any(b"<set" in z.read(n) for n in z.namelist() if n.endswith(".svg"))



def test_source_value_is_escaped_in_the_byline(tmp_path):
    source = 'x" onmouseover="alert(1)'
    refused_or_neutralised(
        tmp_path,
        '<span id="source-x&quot; onmouseover&#61;&quot;alert(1)">target</span>',
        front=f"source: '{source}'\n",
        files={"sources/001.yaml": f"id: '{source}'\ntitle: A source\n"},
        code="chapter.source",
    )



def test_preview_sends_a_content_security_policy(tmp_path):
    """Whatever got into the EPUB, the preview tells the browser to run no script but its own."""
    from ketab.preview import Preview

    epub = cheap_build(manuscript(tmp_path, "Text."), tmp_path / "out")
    from ketab.preview import load_snapshot

    preview = Preview(port=0)
    url = preview.listen()
    try:
        preview.succeeded(load_snapshot(epub))
        import urllib.request

        with urllib.request.urlopen(url + "a.xhtml") as response:
            csp = response.headers.get("Content-Security-Policy") or ""
        assert "script-src" in csp or "default-src" in csp, csp
        assert "'unsafe-inline'" not in csp.split("script-src", 1)[-1].split(";")[0], csp
        # a page calling itself by another name (DNS rebinding) is refused
        request = urllib.request.Request(url + "a.xhtml", headers={"Host": "evil.example"})
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(request)
    finally:
        preview.close()


# --- 2. reading outside the manuscript ------------------------------------------------------------------------



def test_book_yaml_symlink_out_of_the_manuscript(tmp_path):
    ms = manuscript(tmp_path, "Text.")
    secret = tmp_path / "elsewhere.yaml"
    secret.write_text((ms / "book.yaml").read_text().replace("A Small Book", "KETAB-SECRET-TITLE"))
    (ms / "book.yaml").unlink()
    (ms / "book.yaml").symlink_to(secret)
    with pytest.raises(BuildError) as info:
        cheap_build(ms, tmp_path / "out")
    assert {d.code for d in info.value.diagnostics} & {"config.outside", "config.missing"}, info.value



def test_book_yaml_fifo_does_not_block(tmp_path):
    ms = manuscript(tmp_path, "Text.")
    (ms / "book.yaml").unlink()
    os.mkfifo(ms / "book.yaml")
    proc = cli("build", ms, "--out", tmp_path / "out", timeout=60)
    assert_one_line_diagnostics(proc)



def test_book_yaml_link_to_dev_zero(tmp_path):
    ms = manuscript(tmp_path, "Text.")
    (ms / "book.yaml").unlink()
    (ms / "book.yaml").symlink_to("/dev/zero")
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))"
    proc = subprocess.run([sys.executable, "-c", f"{limit}\nimport sys\nfrom ketab.commands import main\nsys.argv=['ketab','build',{str(ms)!r},'--out',{str(tmp_path / 'out')!r}]\nmain()"],
                          capture_output=True, text=True, timeout=60, env=ENV)
    assert_one_line_diagnostics(proc)



def test_huge_book_yaml_is_refused_not_read(tmp_path):
    ms = manuscript(tmp_path, "Text.")
    with open(ms / "book.yaml", "a") as f:
        f.write("# " + "x" * (1 << 20) + "\n")
    os.truncate(ms / "book.yaml", 64 << 20)  # 64 MiB (sparse): refused by its size, not read
    with pytest.raises(BuildError) as info:
        cheap_build(ms, tmp_path / "out")
    assert {d.code for d in info.value.diagnostics} == {"config.too-large"}, info.value



def test_input_digests_do_not_follow_symlinks_out(tmp_path):
    """A file of the manuscript folder that links elsewhere: its target is neither read nor recorded."""
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"KETAB-SECRET " * 100)
    ms = manuscript(tmp_path, "Text.")
    (ms / "notes.txt").symlink_to(secret)
    os.mkfifo(ms / "pipe")  # and a FIFO no chapter names does not block the build
    (ms / "zero").symlink_to("/dev/zero")
    proc = cli("build", ms, "--out", tmp_path / "out", "--format", "epub", timeout=240)
    assert proc.returncode == 0, proc.stderr
    manifest = b"".join(p.read_bytes() for p in (tmp_path / "out" / ".ketab-cache").rglob("*") if p.is_file())
    assert hashlib.sha256(secret.read_bytes()).hexdigest().encode() not in manifest


LINT_OUTSIDE = "---\ntitle: Outside\n---\n\nمتن  با دو فاصله و كاف عربي.\n"



def test_lint_stays_inside_the_manuscript(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("up.md", "abs.md", "linked.md"):
        (outside / name).write_text(LINT_OUTSIDE, encoding="utf-8")
    ms = manuscript(tmp_path, "Text.", chapters=f"[chapters/a.md, ../outside/up.md, {outside / 'abs.md'}, chapters/linked.md]")
    (ms / "chapters" / "linked.md").symlink_to(outside / "linked.md")
    before = {p.name: p.read_bytes() for p in outside.iterdir()}
    proc = cli("lint", ms, "--fix", cwd=tmp_path, timeout=60)
    assert {p.name: p.read_bytes() for p in outside.iterdir()} == before, "lint --fix rewrote files outside the manuscript"
    # an outside file may be named (not linted), never read: no finding about its text
    about_outside = [l for l in proc.stdout.splitlines() if "outside/" in l.split(":", 1)[0] or "linked.md" in l.split(":", 1)[0]]
    assert about_outside and all("[lint.outside]" in l for l in about_outside), proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr



def test_symlinked_cache_folder_writes_nothing_elsewhere(tmp_path):
    ms = manuscript(tmp_path, "Text.")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".ketab-cache").symlink_to(elsewhere)
    proc = cli("build", ms, "--out", out, "--format", "epub", timeout=240)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.txt"]


def test_symlinked_lock_file_truncates_nothing(tmp_path):
    """A committed build/.ketab.lock that links to a file elsewhere: opening the lock must not truncate it."""
    ms = manuscript(tmp_path, "Text.")
    precious = tmp_path / "precious.txt"
    precious.write_text("do not truncate me\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".ketab.lock").symlink_to(precious)
    proc = cli("build", ms, "--out", out, "--format", "epub", timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert precious.read_text() == "do not truncate me\n"


# --- 3. trusting the cache ------------------------------------------------------------------------------------


def _plant_javascript(pdf_bytes: bytes) -> bytes:
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    js = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('KETAB-FORGED')")))
    for page in pdf.pages:
        page.obj["/AA"] = pikepdf.Dictionary(O=js)
    pdf.Root.OpenAction = js
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()



def test_forged_cache_entry_is_not_trusted(tmp_path):
    ms = manuscript(tmp_path, "Text of the chapter.")
    out = tmp_path / "out"
    pipeline.build(ms, out)
    forged = 0
    for entry in (out / ".ketab-cache" / "layout").rglob("*"):
        if not entry.is_file():
            continue
        blob = entry.read_bytes()
        _, _, payload = blob.partition(b"\n")
        meta, _, pdf = payload.partition(b"\n")
        payload = meta + b"\n" + _plant_javascript(pdf)
        entry.write_bytes(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
        forged += 1
    assert forged
    (ms / "notes.txt").write_text("an unrelated change: the book is assembled again from the cache")
    pipeline.build(ms, out)
    for name in ("small-print.pdf", "small-screen.pdf"):
        data = (out / name).read_bytes()
        with pikepdf.open(out / name) as pdf:
            decoded = b"".join(o.read_bytes() for o in pdf.objects if isinstance(o, pikepdf.Stream))
            text = repr([o for o in pdf.objects if isinstance(o, pikepdf.Dictionary)])
        assert b"KETAB-FORGED" not in data + decoded and "/JavaScript" not in text, f"{name} carries the forged script"


def test_cache_of_the_wrong_shape_is_a_clean_build(tmp_path):
    from ketab import cache as cachemod

    ms = manuscript(tmp_path, "Text.")
    out = tmp_path / "out"
    assert cli("build", ms, "--out", out, "--format", "epub", timeout=240).returncode == 0
    salt = cachemod.tool_versions()
    shapes = [
        {"salt": salt, "state": {"warnings": [[1, 2, 3, 4, 5]]}},
        {"salt": salt, "state": {"inputs": {}, "outputs_by_format": {"epub": "../../etc/hostname"}, "outputs": {}}},
        {"salt": salt, "state": {"inputs": [], "outputs": {"x": 1}}},
    ]
    for shape in shapes:
        (out / ".ketab-cache" / "manifest.json").write_text(json.dumps(shape))
        (ms / "chapters" / "a.md").write_text((ms / "chapters" / "a.md").read_text() + "\nMore.\n")
        proc = cli("build", ms, "--out", out, "--format", "epub", timeout=240)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, (shape, proc.stderr)


# --- 4. outputs of two builds mixed -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A small book built once (with every output), to copy."""
    base = tmp_path_factory.mktemp("built")
    ms = manuscript(base, "First text.\n\n![dot](ok.png)\n")
    pipeline.build(ms, base / "out")
    return base


def copy_built(built: Path, tmp_path: Path) -> tuple[Path, Path, dict]:
    shutil.copytree(built / "ms", tmp_path / "ms", symlinks=True)
    shutil.copytree(built / "out", tmp_path / "out", symlinks=True)
    out = tmp_path / "out"
    return tmp_path / "ms", out, {n: (out / n).read_bytes() for n in OUTPUTS}


def a_new_input(ms: Path) -> None:
    book = ms / "book.yaml"
    book.write_text(book.read_text().replace("signature: 1", "signature: 1\ntrim: a5"))



def test_failed_epub_write_leaves_the_previous_set(built, tmp_path, monkeypatch):
    from ketab.writers import epub as epub_writer

    ms, out, before = copy_built(built, tmp_path)
    a_new_input(ms)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(epub_writer, "_normalise_zip", disk_full)
    with pytest.raises((BuildError, OSError)):
        pipeline.build(ms, out)
    assert {n: (out / n).read_bytes() for n in OUTPUTS} == before, "the PDFs were replaced, the EPUB was not"


def test_epub_refusing_a_control_character_leaves_the_previous_set(built, tmp_path):
    ms, out, before = copy_built(built, tmp_path)
    chapter = ms / "chapters" / "a.md"
    chapter.write_text(chapter.read_text().replace("title: One", 'title: "One\\x0b"'))
    proc = cli("build", ms, "--out", out, timeout=240)
    assert "Traceback" not in proc.stderr, proc.stderr
    if proc.returncode != 0:
        assert_one_line_diagnostics(proc)
        assert {n: (out / n).read_bytes() for n in OUTPUTS} == before



def test_sigterm_between_replacements_leaves_one_whole_set(built, tmp_path):
    """SIGTERM right after the first output is replaced: the folder holds the old set or the new one."""
    ms, out, before = copy_built(built, tmp_path)
    a_new_input(ms)
    code = (
        "import os, signal, sys\n"
        "real = os.replace\n"
        "def replace(src, dst, *a, **k):\n"
        "    real(src, dst, *a, **k)\n"
        f"    if str(dst).startswith({str(out)!r}) and not os.path.basename(str(dst)).startswith('.') and str(dst).endswith(('.pdf', '.epub')):\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "os.replace = replace\n"
        "os.rename = replace\n"
        "from ketab.commands import main\n"
        f"sys.argv = ['ketab', 'build', {str(ms)!r}, '--out', {str(out)!r}]\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240, env=ENV)
    after = {n: (out / n).read_bytes() for n in OUTPUTS}
    changed = {n for n in OUTPUTS if after[n] != before[n]}
    assert changed in (set(), set(OUTPUTS)), f"outputs of two builds: {sorted(changed)} new, the rest old ({proc.stderr})"
    if changed and proc.returncode == 130:
        assert "previous outputs left as they were" not in proc.stderr, proc.stderr


# --- 5. hangs and exhaustion ------------------------------------------------------------------------------------



def test_pandoc_backtracking_is_bounded(tmp_path):
    ms = manuscript(tmp_path, "[" * 40 + "x")
    started = time.monotonic()
    proc = cli("build", ms, "--out", tmp_path / "out", timeout=60, env={**ENV, "KETAB_PANDOC_TIMEOUT": "5"})
    lines = assert_one_line_diagnostics(proc)
    assert any("[pandoc.timeout]" in l and "a.md:" in l for l in lines), lines
    assert time.monotonic() - started < 60


def test_layout_is_bounded_in_time(tmp_path):
    """WeasyPrint work has a time limit too: past it, one diagnostic, the previous outputs untouched."""
    ms = manuscript(tmp_path, "Text.\n\n" + "A paragraph. " * 200)
    proc = cli("build", ms, "--out", tmp_path / "out", timeout=120, env={**ENV, "KETAB_LAYOUT_TIMEOUT": "0.05"})
    lines = assert_one_line_diagnostics(proc)
    assert any("[layout.timeout]" in l for l in lines), lines
    assert not [p for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")], "an output was published"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False



def test_sigterm_stops_a_build_stuck_in_pandoc(tmp_path):
    ms = manuscript(tmp_path, "[" * 40 + "x")
    proc = subprocess.Popen([sys.executable, "-m", "ketab", "build", str(ms), "--out", str(tmp_path / "out")],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=ENV, start_new_session=True)
    try:
        time.sleep(6)  # in pandoc by now
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=5)
        deadline = time.monotonic() + 3
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        orphans = _group_alive(proc.pid)
    finally:
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert rc == 130, proc.stderr.read()
    assert not orphans, "pandoc outlived the build"



def test_nested_use_svg_bomb(tmp_path):
    defs = ['<rect id="l0" width="1" height="1"/>'] + [
        f'<g id="l{i}">' + "".join(f'<use href="#l{i - 1}"/>' for _ in range(10)) + "</g>" for i in range(1, 10)
    ]
    bomb = f'<svg xmlns="{SVG}" width="100" height="100"><defs>{"".join(defs)}</defs><use href="#l9"/></svg>'
    ms = manuscript(tmp_path, "![bomb](bomb.svg)", files={"chapters/bomb.svg": bomb})
    started = time.monotonic()
    proc = cli("build", ms, "--out", tmp_path / "out", timeout=90)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert time.monotonic() - started < 120
    if proc.returncode:
        lines = assert_one_line_diagnostics(proc)
        assert any("[image." in l for l in lines), lines


DEEP = ()  # fixed: deep nesting hit the recursion limit (issue 17)


@pytest.mark.parametrize(
    "body",
    [pytest.param("> " * 3000 + "deep\n", marks=DEEP), pytest.param("<div>" * 3000 + "deep" + "</div>" * 3000 + "\n", marks=DEEP),
     pytest.param("- " * 1500 + "deep\n", marks=DEEP), "*" * 5000 + "x" + "*" * 5000],
    ids=["blockquotes", "divs", "lists", "emphasis"],
)
def test_deep_nesting_in_a_chapter(tmp_path, body):
    ms = manuscript(tmp_path, body)
    proc = cli("build", ms, "--out", tmp_path / "out", timeout=240, env={**ENV, "KETAB_PANDOC_TIMEOUT": "30"})
    assert "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr, proc.stderr[-3000:]
    if proc.returncode:
        assert_one_line_diagnostics(proc)



def test_deep_nesting_in_yaml(tmp_path):
    ms = manuscript(tmp_path, "Text.", extra="colour: " + "[" * 5000 + "]" * 5000 + "\n")
    proc = cli("build", ms, "--out", tmp_path / "out", "--format", "epub", timeout=120)
    assert "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr, proc.stderr[-3000:]
    assert_one_line_diagnostics(proc)


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone meanwhile
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigkilled_build_leaves_no_workers(tmp_path):
    chapters = ", ".join(f"chapters/c{i}.md" for i in range(6))
    files = {f"chapters/c{i}.md": f"---\ntitle: Chapter {i}\n---\n\n" + ("A paragraph of some length. " * 40 + "\n\n") * 30 for i in range(6)}
    ms = manuscript(tmp_path, "Text.", chapters=f"[chapters/a.md, {chapters}]", files=files)
    proc = subprocess.Popen([sys.executable, "-m", "ketab", "build", str(ms), "--out", str(tmp_path / "out")],
                            stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=ENV, start_new_session=True)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(workers) < 2 and proc.poll() is None:
            workers |= {p for p in _children(proc.pid) if b"python" in _cmdline(p)} if _alive(proc.pid) else set()
            time.sleep(0.1)
        if proc.poll() is not None:
            pytest.skip("the build finished before its workers could be seen")
        proc.kill()  # SIGKILL to the main process only
        proc.wait()
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [p for p in workers if _alive(p)]
    finally:
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
    assert workers, "no layout workers seen"
    assert left == [], f"layout workers outlived the SIGKILLed build: {left}"



def test_temporary_directory_left_as_it_was(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    ms = manuscript(tmp_path, "Text.")
    proc = cli("build", ms, "--out", tmp_path / "out", timeout=240, env={**ENV, "TMPDIR": str(tmp)})
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp.iterdir()) == []


# --- 6. tracebacks instead of diagnostics -------------------------------------------------------------------------



def test_impossible_date_in_book_yaml(tmp_path):
    ms = manuscript(tmp_path, "Text.")
    (ms / "book.yaml").write_text((ms / "book.yaml").read_text().replace("date: 2026-11-01", "date: 2024-02-30"))
    lines = assert_one_line_diagnostics(cli("build", ms, "--out", tmp_path / "out", cwd=tmp_path))
    assert [l for l in lines if ": error: " in l] == [l for l in lines if l.startswith("ms/book.yaml:5: error: date:")], lines



@pytest.mark.parametrize("where", ["book.yaml", "chapters/a.md"])
def test_control_bytes_in_yaml(tmp_path, where):
    ms = manuscript(tmp_path, "Text.")
    path = ms / where
    path.write_bytes(path.read_bytes().replace(b"title: ", b"title: \x01\x02 ", 1))
    lines = assert_one_line_diagnostics(cli("build", ms, "--out", tmp_path / "out", cwd=tmp_path))
    assert any(l.startswith(f"ms/{where}:") for l in lines), lines


UNHASHABLE = ()  # fixed: an unhashable lint setting was a traceback (issue 17)


@pytest.mark.parametrize("setting", [pytest.param("{disable: [[fa-yeh]]}", marks=UNHASHABLE), "{profile: [dari]}",
                                     pytest.param("{disable: [{a: 1}]}", marks=UNHASHABLE), "{profile: {x: 1}}"])
def test_unhashable_lint_setting(tmp_path, setting):
    ms = manuscript(tmp_path, "Text.", extra=f"lint: {setting}\n")
    lines = assert_one_line_diagnostics(cli("build", ms, "--out", tmp_path / "out", cwd=tmp_path))
    assert any(l.startswith("ms/book.yaml:8: error: lint") for l in lines), lines
    ms2 = manuscript(tmp_path / "fm", "Text.", front=f"lint: {setting}\n")
    lines = assert_one_line_diagnostics(cli("build", ms2, "--out", tmp_path / "out2", cwd=tmp_path / "fm"))
    assert any(l.startswith("ms/chapters/a.md:3: error: lint") for l in lines), lines
    proc = cli("lint", ms2, cwd=tmp_path / "fm", timeout=60)
    assert "Traceback" not in proc.stderr, proc.stderr



def test_output_folder_that_cannot_be_written(tmp_path):
    ms = manuscript(tmp_path, "Text.")
    (tmp_path / "file").write_text("a file, not a folder")
    for out in ("/proc/ketab-out", tmp_path / "file" / "out"):
        proc = cli("build", ms, "--out", out, cwd=tmp_path, timeout=60)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode == 1 and "[output." in proc.stderr, proc.stderr



def test_relative_templates_folder(tmp_path):
    manuscript(tmp_path, "Text.")
    shutil.copytree(ROOT / "templates", tmp_path / "tpl")
    proc = cli("build", "ms", "--out", "out", "--templates", "tpl", cwd=tmp_path, timeout=240)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]



def test_thumbnails_of_a_file_that_is_not_a_pdf(tmp_path):
    (tmp_path / "x-print.pdf").write_text("not a PDF at all")
    proc = cli("thumbnails", tmp_path / "x-print.pdf", cwd=tmp_path, timeout=60)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1 and re.search(r": error: .+ \[thumbnails\.[a-z-]+\]", proc.stderr), proc.stderr



def test_proof_of_a_revision_with_a_symlink_out(tmp_path):
    repo = tmp_path / "repo"
    ms = manuscript(repo, "Text.")
    def git(*a):
        return subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True,
                                        env={**ENV, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"})
    git("init", "-q")
    (ms / "chapters" / "link.md").symlink_to("/etc/hostname")
    (ms / "abs").symlink_to("../../..")
    git("add", "-A")
    git("commit", "-qm", "old")
    (ms / "chapters" / "a.md").write_text((ms / "chapters" / "a.md").read_text() + "\nNew.\n")
    proc = cli("proof", "--since", "HEAD", "--manuscript", ms, "--out", tmp_path / "out", cwd=repo, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    if proc.returncode:
        assert_one_line_diagnostics(proc)



def test_truncated_png(tmp_path):
    data = (ROOT / "tests" / "projects" / "english-small" / "images")
    png = next(p for p in sorted(data.iterdir()) if p.suffix == ".png").read_bytes()
    ms = manuscript(tmp_path, "![cut](cut.png)", files={"chapters/cut.png": png[: len(png) // 2]})
    with pytest.raises(BuildError) as info:
        cheap_build(ms, tmp_path / "out")
    assert {d.code for d in info.value.diagnostics if d.is_error} == {"image.broken"}, info.value



def test_decompression_bomb_png(tmp_path):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    side = 20000
    row = b"\x00" + b"\x00" * side
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    ms = manuscript(tmp_path, "![bomb](bomb.png)", files={"chapters/bomb.png": bomb})
    with pytest.raises(BuildError) as info:
        cheap_build(ms, tmp_path / "out")
    assert {d.code for d in info.value.diagnostics if d.is_error} == {"image.too-large"}, info.value



@pytest.mark.parametrize("name", ["nav", "cover", "titlepage"])
def test_chapter_named_like_an_epub_document(tmp_path, name):
    ms = manuscript(tmp_path, "Text.", chapters=f"[chapters/a.md, chapters/{name}.md]",
                    files={f"chapters/{name}.md": f"---\ntitle: Named {name}\n---\n\nThe chapter called {name}.\n"})
    epub = cheap_build(ms, tmp_path / "out")
    with zipfile.ZipFile(epub) as z:
        opf_name = next(n for n in z.namelist() if n.endswith(".opf"))
        opf = etree.fromstring(z.read(opf_name))
        hrefs = [i.get("href") for i in opf.iter("{http://www.idpf.org/2007/opf}item")]
        assert len(hrefs) == len(set(hrefs)), hrefs
        base = opf_name.rsplit("/", 1)[0] + "/"
        nav_item = next(i for i in opf.iter("{http://www.idpf.org/2007/opf}item") if "nav" in (i.get("properties") or ""))
        nav = z.read(base + nav_item.get("href"))
        assert b"<nav" in nav and b'epub:type="toc"' in nav
        assert sum(f"The chapter called {name}".encode() in z.read(n) for n in z.namelist()) == 1
        cover = z.read(base + "cover.xhtml") if base + "cover.xhtml" in z.namelist() else b""
        assert name != "cover" or b"The chapter called" not in cover



def test_out_pointing_at_the_manuscript(tmp_path):
    manuscript(tmp_path, "Text.")
    proc = cli("build", "ms", "--out", "ms", "--format", "epub", cwd=tmp_path, timeout=240)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1 and "[output." in proc.stderr, proc.stderr



@pytest.mark.parametrize("name", ["a\nbook.yaml:1: error: forged [x].md", "a\u202e\u2066forged.md", "a\rx.md:1: error: y [z].md"])
def test_file_names_cannot_forge_diagnostic_lines(tmp_path, name):
    ms = manuscript(tmp_path, "Text.")
    (ms / "chapters" / name).write_text("---\ntitle: Odd\n---\n\nA note[^1] never defined.\n", encoding="utf-8")
    (ms / "book.yaml").write_text((ms / "book.yaml").read_text().replace("[chapters/a.md]", json.dumps(["chapters/a.md", f"chapters/{name}"])))
    proc = cli("build", "ms", "--out", "out", "--format", "epub", cwd=tmp_path, timeout=120)
    assert_one_line_diagnostics(proc)
    errors = [l for l in proc.stderr.splitlines() if ": error: " in l]
    assert len(errors) == 1 and "[note.undefined]" in errors[0], proc.stderr
    assert not re.search("[\u202a-\u202e\u2066-\u2069\r]", proc.stderr), repr(proc.stderr)


# --- 7. from first use ------------------------------------------------------------------------------------------

PERSIAN_BOOK = BOOK.replace("language: en", "language: fa-AF")



def test_strict_is_not_skipped_when_nothing_changed(tmp_path):
    ms = manuscript(tmp_path, "متن  با دو فاصله و كاف عربي.")
    (ms / "book.yaml").write_text((ms / "book.yaml").read_text().replace("language: en", "language: fa-AF"))
    first = cli("build", ms, "--out", tmp_path / "out", "--format", "epub", timeout=240)
    assert first.returncode == 0 and "[lint." in first.stderr, first.stderr
    strict = cli("build", ms, "--out", tmp_path / "out", "--format", "epub", "--strict", timeout=240)
    assert strict.returncode == 1 and "[lint." in strict.stderr, strict.stderr



def test_every_error_of_a_run_in_one_run(tmp_path):
    """Errors of book.yaml, of the chapters' text and of their conversion (pictures, ids) all in one run."""
    body = "A note[^x].\n\n![gone](gone.png)\n\n[dup]{#same}\n"
    ms = manuscript(tmp_path, body, chapters="[chapters/a.md, chapters/b.md]",
                    files={"chapters/b.md": "---\ntitle: Two\n---\n\n[dup]{#same} and [a link](#nowhere).\n"})
    (ms / "book.yaml").write_text((ms / "book.yaml").read_text().replace("signature: 1", "signature: 7\ntrim: letter"))
    proc = cli("build", "ms", "--out", "out", "--format", "epub", cwd=tmp_path, timeout=240)
    lines = assert_one_line_diagnostics(proc)
    codes = sorted(DIAGNOSTIC.match(l)["code"] for l in lines if ": error: " in l)
    assert codes == sorted(["config.value", "config.value", "note.undefined", "image.missing"]), lines
    # an id written twice (renamed) and a link to nothing (its text kept) are warnings of the same run (errors with --strict)
    assert {"id.duplicate", "link.undefined"} <= {DIAGNOSTIC.match(l)["code"] for l in lines if ": warning: " in l}, lines



def test_line_numbers_point_at_the_line(tmp_path):
    body = "gone.png is named here first.\n\nThen the picture: ![x](gone.png)\n"
    manuscript(tmp_path, body, front="source: '009'\n", files={"sources/001.yaml": "id: '001'\ntitle: s\n"})
    proc = cli("build", "ms", "--out", "out", "--format", "epub", cwd=tmp_path, timeout=240)
    lines = assert_one_line_diagnostics(proc)
    where = {DIAGNOSTIC.match(l)["code"]: int(DIAGNOSTIC.match(l)["line"]) for l in lines if ": error: " in l}
    assert where.get("chapter.source") == 3, lines  # the `source:` line of the front matter
    # (image.missing comes with the conversion: the picture's line, not the first mention of its name)
    if "image.missing" in where:
        assert where["image.missing"] == 10, lines



def test_a_bad_date_is_reported_once(tmp_path):
    ms = manuscript(tmp_path, "Born on [31 حوت 1360]{.shamsi}.")
    (ms / "book.yaml").write_text((ms / "book.yaml").read_text().replace("language: en", "language: fa-AF"))
    proc = cli("build", "ms", "--out", "out", "--format", "epub", cwd=tmp_path, timeout=240)
    lines = assert_one_line_diagnostics(proc)
    about = [l for l in lines if "31 حوت 1360" in l]
    assert len(about) == 1 and "[date.invalid]" in about[0], lines
