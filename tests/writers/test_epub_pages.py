"""The EPUB's page markers: placed all at once, each where placing it alone (counting the letters of its
element from the start, as the print layout counted them) puts it."""

from __future__ import annotations

import copy
import random

from lxml import etree

from ketab.writers import epub_pages
from ketab.writers.epub_pages import XHTML, PrintPage, _insert_at_letter, _SlotIndex

WORDS = ["کتاب", "«نام»", "(سال)", "Word", "x", "۱۲۳", "—", "mot.", "نامه‌ها", "…"]


def _chapter(rng: random.Random) -> etree._Element:
    """A chapter document: paragraphs with inline elements (nested), a list, a table, a note aside."""
    html = etree.Element(f"{XHTML}html")
    body = etree.SubElement(html, f"{XHTML}body")
    section = etree.SubElement(body, f"{XHTML}section", id="ch")
    for n in range(12):
        kind = rng.choice(["p", "p", "p", "ol", "table", "aside"])
        block = etree.SubElement(section, f"{XHTML}{kind}")
        if rng.random() < 0.6:
            block.set("id", f"b{n}")
        if kind == "ol":
            for _ in range(3):
                _fill(etree.SubElement(block, f"{XHTML}li"), rng, 2)
        elif kind == "table":
            row = etree.SubElement(etree.SubElement(block, f"{XHTML}tbody"), f"{XHTML}tr")
            for _ in range(2):
                _fill(etree.SubElement(row, f"{XHTML}td"), rng, 1)
        else:
            _fill(block, rng, 3)
        block.tail = rng.choice(["\n", " ", "", None])
    return html


def _fill(element, rng: random.Random, depth: int) -> None:
    element.text = rng.choice(["", None, " ".join(rng.choices(WORDS, k=rng.randint(1, 6)))])
    for _ in range(rng.randint(0, 3) if depth else 0):
        child = etree.SubElement(element, f"{XHTML}{rng.choice(['em', 'span', 'a', 'strong', 'b'])}")
        _fill(child, rng, depth - 1)
        child.tail = rng.choice(["", None, " " + " ".join(rng.choices(WORDS, k=rng.randint(1, 5)))])


def _pages(tree, rng: random.Random) -> list[PrintPage]:
    """Print pages that begin in the section (counted from its start) and in its blocks, in reading order."""
    letters = sum(map(str.isalpha, "".join(tree.find(f".//{XHTML}section").itertext())))
    ids = [el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id")]
    pages = []
    for block in rng.choices(ids, k=10):
        for at in sorted(rng.randint(-1, letters + 3) for _ in range(rng.randint(1, 4))):
            pages.append(PrintPage(len(pages), str(len(pages) + 1), len(pages) + 1, "ch.xhtml", block, max(at, 0) if block != "ch" else at))
    return pages


def _one_at_a_time(trees: dict, pages: list[PrintPage]) -> None:
    """What placing every marker from a count of its own element's letters gives (a fresh count for each)."""
    index = {el.get("id"): el for el in trees["ch.xhtml"].iter() if isinstance(el.tag, str) and el.get("id")}
    for page in reversed(pages):
        marker = etree.Element(f"{XHTML}span", {"id": page.marker, f"{{{epub_pages.EPUB_NS}}}type": "pagebreak", "role": "doc-pagebreak", "aria-label": page.label})
        marker.text = ""
        if page.letters < 0:
            body = trees["ch.xhtml"].find(f"{XHTML}body")
            body[-1].append(marker)
            continue
        _insert_at_letter(index[page.block], page.letters, marker, _SlotIndex())


def test_markers_placed_together_land_where_each_alone_would():
    for seed in range(60):
        rng = random.Random(seed)
        tree = _chapter(rng)
        pages = _pages(tree, rng)
        together, alone = {"ch.xhtml": copy.deepcopy(tree)}, {"ch.xhtml": copy.deepcopy(tree)}
        epub_pages.place_page_markers(together, pages)
        _one_at_a_time(alone, pages)
        assert etree.tostring(together["ch.xhtml"]) == etree.tostring(alone["ch.xhtml"]), f"seed {seed}"
        assert etree.tostring(together["ch.xhtml"]).count(b"doc-pagebreak") == len(pages)


def test_a_marker_goes_before_the_letter_its_page_begins_with():
    tree = etree.fromstring(f'<html xmlns="{XHTML[1:-1]}"><body><section id="s"><p>«سلام» <em>دنیا</em> و کتاب</p></section></body></html>')
    pages = [PrintPage(0, "1", 1, "ch.xhtml", "s", 0), PrintPage(1, "2", 2, "ch.xhtml", "s", 4), PrintPage(2, "3", 3, "ch.xhtml", "s", 9)]
    epub_pages.place_page_markers({"ch.xhtml": tree}, pages)
    text = etree.tostring(tree, encoding="unicode")
    assert text.index('id="page-2"') < text.index("<em>دنیا"), "a page that begins with an inline element: the marker before it"
    assert text.index("</em> و ") < text.index('id="page-3"') < text.index("کتاب</p>"), text
    assert text.index('id="page-1"') < text.index("«سلام»"), "before the guillemet that opens the word"
