"""The EPUB's navigation: the nav document (contents, landmarks, page-list) and the EPUB 2 NCX.

The NCX's playOrder numbers every place the contents or the page-list lead to, in reading order:
entries that lead to the same place share one number.
"""

from __future__ import annotations

from lxml import html as lxml_html

from ketab.assemble import Book
from ketab.writers.epub_pages import PrintPage


def landmarks(book: Book) -> list[dict]:
    """The nav's landmarks: cover, title page, contents, the text's start and the index."""
    labels = book.language.labels
    marks = [
        {"type": "cover", "href": "cover.xhtml", "title": labels.cover},
        {"type": "titlepage", "href": "titlepage.xhtml", "title": labels.title_page},
        {"type": "toc", "href": "nav.xhtml#toc", "title": labels.contents},
    ]
    first_body = next((p for p in book.parts if p.section == "body"), None)
    if first_body:
        marks.append({"type": "bodymatter", "href": first_body.filename, "title": labels.start})
    if book.index_part:
        marks.append({"type": "index", "href": book.index_part.filename, "title": book.index_part.title or labels.index})
    return marks


def nav_body(env, book: Book, toc: list[dict], pages: list[PrintPage]) -> str:
    """The nav document's content: contents, landmarks and (with a print layout) the page-list."""
    labels = book.language.labels
    return env.get_template("epub/nav.xhtml.j2").render(
        toc=toc, landmarks=landmarks(book), page_list=[{"href": f"{p.file}#{p.marker}", "label": p.label} for p in pages],
        labels=labels, page_list_title=labels.pages,
    )


def ncx(env, book: Book, toc: list[dict], pages: list[PrintPage], trees: dict, spine: list[str]) -> bytes:
    """The EPUB 2 ``toc.ncx``: the contents two levels deep and the page list, in play order."""
    config, lang = book.config, book.language
    play = _play_order(trees, spine)
    ncx_points, ncx_pages = _ncx_points(toc, play), _ncx_pages(pages, play)
    _numbered(ncx_points, ncx_pages, play)
    return env.get_template("epub/toc.ncx.j2").render(
        lang=lang.tag, dir=lang.direction, uid=config.identifier, title=config.title, toc=ncx_points,
        depth=2 if any(t["children"] for t in toc) else 1, pages=ncx_pages, pages_label=lang.labels.pages,
        total_pages=len(pages), max_page=max((p.value or 0 for p in pages), default=0),
    ).encode("utf-8")


def _play_order(trees: dict, spine: list[str]):
    """href → the NCX playOrder of its target: one number per place, in reading order, shared by
    the contents' and the page list's entries that lead to the same place."""
    places = []
    for name in spine:
        places.append((name, None))
        places += [(name, el.get("id")) for el in trees[name].iter() if isinstance(el.tag, str) and el.get("id")]
    rank = {place: i for i, place in enumerate(places)}

    def order(hrefs: list[str]) -> dict:
        def place(href):
            file, _, frag = href.partition("#")
            return rank.get((file, frag or None), rank.get((file, None), 0))
        distinct = sorted({place(h) for h in hrefs})
        number = {p: i for i, p in enumerate(distinct, start=1)}
        return {h: number[place(h)] for h in hrefs}

    return order


def _ncx_points(toc: list[dict], play) -> list[dict]:
    return [{"id": f"nav-{i}", "label": plain(t["title"]), "href": t["href"], "children": [
        {"id": f"nav-{i}-{j}", "label": plain(c["title"]), "href": c["href"], "children": []} for j, c in enumerate(t["children"], start=1)
    ]} for i, t in enumerate(toc, start=1)]


def _ncx_pages(pages: list[PrintPage], play) -> list[dict]:
    return [{"type": "normal" if p.value is not None else "front", "value": p.value, "label": p.label, "href": f"{p.file}#{p.marker}"}
            for p in pages]


def _numbered(points: list[dict], pages: list[dict], play) -> None:
    """Give every navPoint and pageTarget its playOrder."""
    flat = []

    def walk(ps):
        for p in ps:
            flat.append(p)
            walk(p["children"])

    walk(points)
    numbers = play([p["href"] for p in flat + pages])
    for p in flat + pages:
        p["order"] = numbers[p["href"]]


def plain(html: str) -> str:
    return lxml_html.fragment_fromstring(html or "-", create_parent="div").text_content()
