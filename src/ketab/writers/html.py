"""The web edition: a static site of the book, ``<out>/<slug>-html/``.

One page per part (chapter, generated part, index), a home page with the title and
the contents, and a search page.  Notes are popups (the HTML ``popover`` attribute,
no JavaScript) and endnotes at the end of each chapter (where a browser has no
popovers, the note call links there).  Direction comes from ``dir`` and the sheet
uses logical properties only.  The book's fonts are subset to the characters the
site uses and written as WOFF2.  Search is Pagefind's static index, built in the
book's language when its binary is installed (``make web-tools``); the site is
written to a temporary folder and swapped in whole.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lxml import html as lxml_html

from ketab import render
from ketab.assemble import Book, Part
from ketab.diagnostics import Diagnostic, Severity
from ketab.outputs import atomic_write
from ketab.persian import bidi

FACES = (
    # family, weight, file under templates/fonts
    ("Parastoo", 400, "parastoo/Parastoo.ttf"),
    ("Parastoo", 700, "parastoo/Parastoo-Bold.ttf"),
    ("Vazirmatn", 300, "vazirmatn/Vazirmatn-Light.ttf"),
    ("Vazirmatn", 400, "vazirmatn/Vazirmatn-Regular.ttf"),
    ("Vazirmatn", 700, "vazirmatn/Vazirmatn-Bold.ttf"),
)
PAGEFIND_ENV = "KETAB_PAGEFIND"


@dataclass(frozen=True)
class WebNote:
    id: str
    ref_id: str
    number: str
    kind: str
    html: str


def site_dir(out_dir: Path, slug: str) -> Path:
    return Path(out_dir) / f"{slug}-html"


def write(book: Book, layout, target, written: dict) -> Path:
    """The web edition (the print layout is not needed: a web page has no page numbers)."""
    path, warnings = write_html(book, target.templates, target.out_dir)
    target.warnings.extend(warnings)
    return path


def write_html(book: Book, templates: Path, out_dir: Path) -> tuple[Path, list[Diagnostic]]:
    """Write the web edition; (its folder, warnings)."""
    warnings: list[Diagnostic] = []
    final = site_dir(out_dir, book.config.slug)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=out_dir))
    try:
        pagefind = find_pagefind()
        _write_site(book, templates, tmp, search=pagefind is not None)
        if pagefind is None:
            warnings.append(Diagnostic(str(book.config.path), None, Severity.WARNING,
                                       "pagefind is not installed: the web edition has no search (run `make web-tools`)", "html.no-search"))
        else:
            _index(pagefind, tmp, book.language.tag)
        os.chmod(tmp, 0o777 & ~_umask())
        _swap_in(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final, warnings


def _write_site(book: Book, templates: Path, site: Path, search: bool) -> None:
    env = render.environment(templates)
    lang = book.language
    labels, ui = lang.labels, lang.ui
    shell = env.get_template("web/page.html.j2")
    common = render.common_context(book)
    pages = [p for p in book.parts]
    hrefs = {p.id: _page_name(p.id) for p in pages}
    index_href = hrefs[book.index_part.id] if book.index_part else None
    texts: list[str] = []

    def write_page(name, content, page_title="", prev=None, next=None, indexed=True, scripts=()):
        html = shell.render(**common, ui=ui, content=content, page_title=page_title, prev=prev, next=next,
                            current=name, index_href=index_href, search=search, indexed=indexed, scripts=scripts)
        texts.append(html)
        atomic_write(site / name, html.encode("utf-8"))

    toc = []
    for part in pages:
        title = part.converted.title_html or bidi.isolate_text(part.title or labels.index, lang.tag)
        children = [{"href": f"{hrefs[part.id]}#{h.id}", "title": h.html} for h in part.headings if h.level == 2]
        toc.append({"href": hrefs[part.id], "title": title, "children": children})
    home = env.get_template("web/home.html.j2").render(**common, toc=toc)
    write_page("index.html", home, indexed=False)

    for i, part in enumerate(pages):
        prev = {"href": toc[i - 1]["href"], "title": toc[i - 1]["title"]} if i > 0 else None
        nxt = {"href": toc[i + 1]["href"], "title": toc[i + 1]["title"]} if i + 1 < len(pages) else None
        if part is book.index_part:
            content = _index_page(book, env, part, hrefs)
        else:
            content = _chapter_page(book, env, part, hrefs, ui)
        write_page(hrefs[part.id], content, page_title=_plain(toc[i]["title"]), prev=prev, next=nxt,
                   indexed=part is not book.index_part)

    if search:
        write_page("search.html", env.get_template("web/search.html.j2").render(ui=ui), page_title=ui.search,
                   indexed=False, scripts=("search.mjs",))
        shutil.copyfile(templates / "web" / "search.mjs", site / "search.mjs")

    root = book.config.path.parent
    for part in pages:
        for image in part.converted.images:
            target = site / "media" / image.src
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / image.src, target)

    css = _font_faces(templates, site, "".join(texts)) + (templates / "web" / "web.css").read_text(encoding="utf-8")
    atomic_write(site / "style.css", css.encode("utf-8"))


RESERVED = {"index.html", "search.html", "style.css", "search.mjs"}


def _page_name(part_id: str) -> str:
    """``<part id>.html``; the generated index (id ``index``) must not take the home page's name."""
    name = f"{part_id}.html"
    return f"part-{name}" if name in RESERVED else name


def _chapter_page(book: Book, env, part: Part, hrefs: dict, ui) -> str:
    lang = book.language
    root = lxml_html.fragment_fromstring(part.converted.html or "", create_parent="div")
    for img in root.iter("img"):
        img.set("src", f"media/{img.get('src')}")
    for a in root.iter("a"):
        href = a.get("href") or ""
        if href.startswith("#"):
            owner = book.anchor_part.get(href[1:])
            if owner and owner != part.id:
                a.set("href", f"{hrefs[owner]}{href}")
    notes = []
    for span in list(root.iter("span")):
        if "note" not in (span.get("class") or "").split():
            continue
        n = span.get("data-n")
        number = lang.digits(n)
        note_id, ref_id, pop_id = f"{part.id}-fn{n}", f"{part.id}-fnref{n}", f"{part.id}-pop{n}"
        inner = _inner_html(span)
        notes.append(WebNote(note_id, ref_id, number, span.get("data-kind", "author"), inner))
        call = lxml_html.fragment_fromstring(
            f'<span class="note-call" id="{ref_id}" data-pagefind-ignore>'  # the endnote is indexed, once
            f'<a class="noteref" href="#{note_id}" role="doc-noteref" aria-label="{ui.note} {number}">{number}</a>'
            f'<button type="button" popovertarget="{pop_id}" aria-label="{ui.note} {number}">{number}</button>'
            f'<span class="note-pop" id="{pop_id}" popover>{number}. {inner}'
            f'<a class="to-notes" href="#{note_id}">{ui.to_notes}</a></span></span>'
        )
        call.tail = span.tail
        span.getparent().replace(span, call)
    byline = render.byline(book, part)
    if byline:
        byline = re.sub(r'href="#([^"]+)"', lambda m: f'href="{hrefs.get(book.anchor_part.get(m.group(1)), "")}#{m.group(1)}"', byline)
    return env.get_template("web/chapter.html.j2").render(
        part=part, chapter=part.converted.chapter, title_html=part.converted.title_html, body=_inner_html(root),
        byline=byline, notes=notes, labels=lang.labels, ui=ui,
    )


def _index_page(book: Book, env, part: Part, hrefs: dict) -> str:
    lang = book.language
    entries = []
    for entry in book.index:
        places = [(f"{hrefs[pid]}#{anchor}", lang.digits(n)) for n, (pid, anchor) in enumerate(entry.places, start=1)]
        entries.append({"heading_html": bidi.isolate_text(entry.heading, lang.tag), "places": places})
    sep = lang.list_separator
    return env.get_template("web/index.html.j2").render(entries=entries, part_id=part.id, title=part.title or lang.labels.index, sep=sep)


def _inner_html(el) -> str:
    out = lxml_html.escape(el.text or "") if hasattr(lxml_html, "escape") else _escape(el.text or "")
    for child in el:
        out += lxml_html.tostring(child, encoding="unicode", with_tail=True)
    return out


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(html: str) -> str:
    return lxml_html.fragment_fromstring(html or "-", create_parent="div").text_content()


# --- fonts --------------------------------------------------------------------


def _font_faces(templates: Path, site: Path, text: str) -> str:
    """@font-face rules for WOFF2 subsets of the book's faces, cut to the characters of ``text``."""
    import logging

    from fontTools import subset

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
    from fontTools.ttLib import TTFont

    chars = {ord(c) for c in _visible_text(text)} | set(range(0x20, 0x7F)) | {0x200C, 0x200D, 0x200E, 0x200F, 0x2066, 0x2067, 0x2068, 0x2069, 0xA0}
    (site / "fonts").mkdir(exist_ok=True)
    rules = []
    for family, weight, rel in FACES:
        font = TTFont(templates / "fonts" / rel)
        options = subset.Options()
        options.layout_features = ["*"]  # Arabic script needs its joining forms (init, medi, fina) and ligatures
        options.name_IDs = ["*"]
        options.name_legacy = True
        options.notdef_outline = True
        options.flavor = "woff2"
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=chars)
        subsetter.subset(font)
        name = Path(rel).stem + ".woff2"
        buffer = io.BytesIO()
        font.flavor = "woff2"
        font.save(buffer)
        atomic_write(site / "fonts" / name, buffer.getvalue())
        rules.append(f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: normal; font-display: swap; '
                     f'src: url("fonts/{name}") format("woff2"); }}\n')
    return "".join(rules)


def _visible_text(html: str) -> str:
    return re.sub(r"<[^>]*>", " ", html)


# --- search -------------------------------------------------------------------


def find_pagefind() -> str | None:
    """The Pagefind binary: $KETAB_PAGEFIND, the project's node_modules, or PATH."""
    if os.environ.get(PAGEFIND_ENV):
        return os.environ[PAGEFIND_ENV]
    local = Path(__file__).resolve().parents[3] / "node_modules" / ".bin" / "pagefind"  # src/ketab/writers → the project
    if local.exists():
        return str(local)
    return shutil.which("pagefind")


def _index(pagefind: str, site: Path, tag: str) -> None:
    """Pagefind's index of the pages marked ``data-pagefind-body``, in the book's language
    (taken from ``<html lang>``), into ``site/pagefind/``."""
    proc = subprocess.run([pagefind, "--site", str(site), "--quiet"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"pagefind failed: {proc.stderr.strip() or proc.stdout.strip()}")


def _swap_in(tmp: Path, final: Path) -> None:
    """The new site in place of the old in two renames (the old one removed after)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old.tmp")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
