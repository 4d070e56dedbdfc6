"""The web edition (``--format html``): pages, notes, search, fonts, accessibility, validity —
checked on the files, with the Nu Html Checker, and in headless Chromium at phone and desktop widths."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from lxml import html as lxml_html
from tests.browser import Browser, chromium_path

from ketab import pipeline
from ketab.preflight.epub import JAVA_FLAGS

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "tests" / "projects"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SHOTS = ROOT / "build" / "web"
"""Screenshots land here, to be looked at."""

needs_chromium = pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed (make test installs it)")


def _site(tmp_path_factory, name: str) -> Path:
    base = tmp_path_factory.mktemp(f"web-{name}")
    root = base / "ms"
    shutil.copytree(PROJECTS / name, root)
    result = pipeline.build(root, base / "build", ("html",))
    assert not [w for w in result.warnings if w.code.startswith("html.")], result.warnings
    return result.outputs["html"]


@pytest.fixture(scope="module")
def persian_site(tmp_path_factory) -> Path:
    return _site(tmp_path_factory, "persian-small")


@pytest.fixture(scope="module")
def english_site(tmp_path_factory) -> Path:
    return _site(tmp_path_factory, "english-small")


def pages(site: Path) -> dict[str, lxml_html.HtmlElement]:
    return {p.name: lxml_html.fromstring(p.read_bytes()) for p in sorted(site.glob("*.html"))}


def test_one_page_per_chapter_and_contents_that_reach_them_all(persian_site):
    docs = pages(persian_site)
    chapters = sorted((PROJECTS / "persian-small" / "chapters").glob("*.md"))
    chapter_pages = [n for n, d in docs.items() if d.find(".//article[@class]") is not None and "chapter" in d.find(".//article").get("class")]
    assert len(chapter_pages) == len(chapters)
    toc = [a.get("href") for a in docs["index.html"].iterfind(".//nav[@id='contents']/ol/li/a")]
    assert len(toc) == len(chapters) + 1  # the chapters and the book's index
    assert all((persian_site / href).is_file() for href in toc)


def test_every_internal_link_lands_on_an_element(persian_site):
    docs = pages(persian_site)
    ids = {name: {el.get("id") for el in d.iter() if isinstance(el.tag, str) and el.get("id")} for name, d in docs.items()}
    checked = 0
    for name, doc in docs.items():
        for a in doc.iter("a"):
            href = a.get("href") or ""
            if href.startswith(("http:", "https:", "mailto:")):
                continue
            file, _, frag = href.partition("#")
            target = file or name
            assert target in ids or (persian_site / target).is_file(), f"{name}: {href}"
            if frag:
                assert frag in ids[target], f"{name}: {href} has no target"
            checked += 1
    assert checked > 30


def test_notes_are_popovers_and_endnotes(persian_site):
    docs = pages(persian_site)
    markdown = (PROJECTS / "persian-small" / "chapters" / "01-first.md").read_text(encoding="utf-8")
    expected = len(re.findall(r"^\[\^[^\]]+\]:", markdown, re.M))
    doc = docs["ch-01-first.html"]
    calls = doc.findall(".//span[@class='note-call']")
    endnotes = doc.findall(".//section[@role='doc-endnotes']//li[@role='doc-endnote']")
    assert len(calls) == len(endnotes) == expected
    for call, note in zip(calls, endnotes):
        link, button, pop = call.find("a"), call.find("button"), call.find("span[@popover]")
        assert link.get("href") == f"#{note.get('id')}" and link.get("role") == "doc-noteref"
        assert button.get("popovertarget") == pop.get("id")
        assert note.find("a[@role='doc-backlink']").get("href") == f"#{call.get('id')}"
        assert pop.text_content().split(" ", 1)[1].strip().startswith(note.text_content().split(" ", 1)[1].strip()[:20])
    # the translator's and the editor's note keep their signs
    assert "ـ م." in endnotes[0].text_content() and "ـ و." in endnotes[1].text_content()


def test_pages_say_their_language_and_have_landmarks_and_a_skip_link(persian_site, english_site):
    for site, lang, direction in ((persian_site, "fa-AF", "rtl"), (english_site, "en", "ltr")):
        for name, doc in pages(site).items():
            assert doc.get("lang") == lang and doc.get("dir") == direction, name
            first_link = doc.find(".//body//a")
            assert first_link.get("class") == "skip" and first_link.get("href") == "#text"
            assert doc.find(".//main[@id='text']") is not None, name
            assert doc.find(".//header") is not None and doc.find(".//footer") is not None
            assert len(doc.findall(".//h1")) == 1, name
            assert doc.find(".//title").text.strip()


def test_the_stylesheet_uses_logical_properties_only(persian_site):
    css = re.sub(r"/\*.*?\*/", "", (persian_site / "style.css").read_text(encoding="utf-8"), flags=re.S)
    physical = re.findall(r"(?:margin|padding|border|inset)-(?:left|right)\b|\b(?:left|right)\s*:|text-align\s*:\s*(?:left|right)"
                          r"|float\s*:\s*(?:left|right)|\bdirection\s*:|unicode-bidi|letter-spacing", css)
    assert physical == []


def test_fonts_are_subset_to_the_text_and_cover_it(persian_site):
    text = "".join(d.text_content() for d in pages(persian_site).values())
    used = {ord(c) for c in text if "\u0600" <= c <= "\u06ff"}
    templates = ROOT / "templates" / "fonts"
    for woff2, ttf in (("Parastoo.woff2", "parastoo/Parastoo.ttf"), ("Vazirmatn-Bold.woff2", "vazirmatn/Vazirmatn-Bold.ttf")):
        path = persian_site / "fonts" / woff2
        assert path.stat().st_size < (templates / ttf).stat().st_size / 2
        font = TTFont(path)
        assert font.flavor == "woff2"
        cmap = font.getBestCmap()
        assert used <= set(cmap), sorted(chr(c) for c in used - set(cmap))
        assert len(cmap) < len(TTFont(templates / ttf).getBestCmap())
        assert "GSUB" in font  # the joining forms of Arabic script survive the subsetting


@pytest.mark.skipif(not VNU.is_file(), reason="vnu.jar is not installed (make web-tools)")
def test_the_nu_html_checker_finds_nothing(persian_site, english_site):
    files = [str(p) for site in (persian_site, english_site) for p in sorted(site.glob("*.html"))]
    proc = subprocess.run(["java", *JAVA_FLAGS, "-jar", str(VNU), "--format", "json", "--also-check-css", *files], capture_output=True, text=True)
    messages = json.loads(proc.stderr or proc.stdout)["messages"]
    assert messages == [], messages
    assert len(files) >= 10


def test_search_index_is_in_the_books_language(persian_site):
    entry = json.loads((persian_site / "pagefind" / "pagefind-entry.json").read_text())
    assert list(entry["languages"]) == ["fa-af"]
    assert entry["languages"]["fa-af"]["page_count"] == len(list((PROJECTS / "persian-small" / "chapters").glob("*.md")))


# --- in the browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(persian_site, english_site):
    """Both sites on 127.0.0.1 (an ephemeral port): Pagefind loads its index with fetch, which file: refuses."""
    root = persian_site.parent

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    urls = {"fa": f"{base}/{persian_site.name}", "en_chapter": next(p.name for p in sorted(english_site.glob("ch-*.html")))}
    # the English site lives in another temporary folder: a second server
    server2 = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(english_site.parent)))
    threading.Thread(target=server2.serve_forever, daemon=True).start()
    urls["en"] = f"http://127.0.0.1:{server2.server_address[1]}/{english_site.name}"
    yield urls
    server.shutdown()
    server2.shutdown()


@pytest.fixture(scope="module")
def browser():
    if chromium_path() is None:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    with Browser() as b:
        yield b


@needs_chromium
@pytest.mark.parametrize("width", [390, 1280])
def test_pages_fit_the_screen_and_read_right_to_left(browser, served, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for page in ("index.html", "ch-01-first.html", "part-index.html"):
        browser.goto(f"{served['fa']}/{page}", width=width, height=844 if width < 500 else 900, mobile=width < 500)
        assert browser.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        assert browser.evaluate("document.fonts.check('16px Parastoo', 'کتاب')")
        browser.screenshot(SHOTS / f"fa-{Path(page).stem}-{width}.png")
    # the chapter title starts at the right edge of the text column
    browser.goto(f"{served['fa']}/ch-01-first.html", width=width)
    box = browser.evaluate("""(() => { const h = document.querySelector('h1'), m = document.querySelector('main p');
        const r = document.createRange(); r.selectNodeContents(h); const t = r.getBoundingClientRect();
        return [t.right, m.getBoundingClientRect().right, h.getBoundingClientRect().left]; })()""")
    assert abs(box[0] - box[1]) < 2
    width_used = browser.evaluate("document.querySelector('main p').getBoundingClientRect().width")
    assert width_used <= min(width, 40 * 18 + 1)  # a readable line (40 rem), not the whole of a wide screen
    # and a left-to-right book from the left
    browser.goto(f"{served['en']}/{served['en_chapter']}", width=width)
    box = browser.evaluate("""(() => { const h = document.querySelector('h1'), m = document.querySelector('main p');
        const r = document.createRange(); r.selectNodeContents(h);
        return [r.getBoundingClientRect().left, m.getBoundingClientRect().left]; })()""")
    assert abs(box[0] - box[1]) < 2
    browser.screenshot(SHOTS / f"en-chapter-{width}.png")


@needs_chromium
def test_a_note_opens_as_a_popup_without_javascript(browser, served):
    browser.page("Emulation.setScriptExecutionDisabled", value=True)
    try:
        browser.goto(f"{served['fa']}/ch-01-first.html", width=390, height=844, mobile=True)
        shown = browser.evaluate("getComputedStyle(document.querySelector('.note-call button')).display")
        hidden = browser.evaluate("getComputedStyle(document.querySelector('.note-call a.noteref')).display")
        assert shown != "none" and hidden == "none"  # Chromium has popovers: the button shows, not the link
        browser.click(".note-call button")
        assert browser.evaluate("document.querySelector('.note-pop').matches(':popover-open')")
        text = browser.evaluate("document.querySelector('.note-pop').innerText")
        assert "این یادداشت مترجم است" in text
        browser.screenshot(SHOTS / "fa-note-popup-390.png", full_page=False)
    finally:
        browser.page("Emulation.setScriptExecutionDisabled", value=False)


@needs_chromium
def test_search_finds_a_word_in_persian(browser, served):
    browser.goto(f"{served['fa']}/search.html?q=" + "پنجشیر", width=1280)
    deadline = time.time() + 20
    results = []
    while time.time() < deadline:
        results = browser.evaluate("[...document.querySelectorAll('#search-results li a')].map(a => a.href)")
        if results:
            break
        time.sleep(0.2)
    assert results and all(r.startswith(served["fa"] + "/") for r in results), results  # the site's own pages
    assert any(r.split("#")[0].endswith("/ch-02-second.html") for r in results), results
    marks = browser.evaluate("[...document.querySelectorAll('#search-results mark')].map(m => m.textContent)")
    assert any("پنجشیر" in m for m in marks)
    browser.screenshot(SHOTS / "fa-search-1280.png", full_page=False)


def test_a_rebuild_replaces_the_whole_site(tmp_path):
    root = tmp_path / "ms"
    shutil.copytree(PROJECTS / "persian-small", root)
    out = tmp_path / "build"
    site = pipeline.build(root, out, ("html",), use_cache=False).outputs["html"]
    assert (site / "ch-02-second.html").is_file()
    book = root / "book.yaml"
    book.write_text(book.read_text(encoding="utf-8").replace("  - chapters/02-second.md\n", ""), encoding="utf-8")
    chapter = root / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("## بخش دوم", "## بخش دیگر"), encoding="utf-8")
    again = pipeline.build(root, out, ("html",), use_cache=False).outputs["html"]
    assert again == site
    assert not (site / "ch-02-second.html").exists()  # the old site went whole, not file by file
    assert "بخش دیگر" in (site / "ch-01-first.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")) == []
