"""The generated lists of figures and tables (``{generate: figures}``, ``{generate: tables}`` in the reading order).

A list is made once every chapter is converted, from the captions as the chapters print them: each entry is the
figure's or table's number (when it has one, ``{#fig:x}`` / ``{#tbl:x}``), its caption, and a link to it.  The
print layout adds the page number to each entry as it does to a cross-reference (a link of class ``list-ref``
gets the bare number, see :func:`ketab.layout.pagination.with_xref_pages`); the EPUB keeps the links.  A caption
without a label is listed too, unnumbered, as it is printed; a table without an id is given one to be linked to.
A list with nothing in it is a warning, and the part is left out of the book.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from lxml import html as lxml_html

from ketab.diagnostics import Collector
from ketab.htmlfrag import inner_html

LISTS = {"figures": ("figure", "figcaption", "figure-list"), "tables": ("table", "caption", "table-list")}
"""Kind of list → (element listed, its caption element, class of the list)."""


def fill_lists(manuscript, converted: tuple, numbers: dict, diags: Collector) -> tuple:
    """``converted`` with each list part's HTML made from the other chapters' captions (an empty list dropped,
    with a warning), and ids given to the captioned tables the list of tables links to."""
    wanted = {cc.chapter.generate for cc in converted} & set(LISTS)
    if not wanted:
        return converted
    if "tables" in wanted:
        converted = tuple(_with_table_ids(cc) for cc in converted)
    lang = manuscript.config.language
    out = []
    for cc in converted:
        kind = cc.chapter.generate
        if kind not in LISTS:
            out.append(cc)
            continue
        entries = [e for other in converted if other.chapter.generate not in LISTS for e in captioned(other, kind, numbers)]
        if not entries:
            diags.warning(manuscript.config.path, cc.chapter.body_line,
                          f"the list of {kind} has nothing to list (no {LISTS[kind][0]} of the book has a caption): it is left out",
                          "lists.empty")
            continue
        out.append(replace(cc, html=list_html(entries, kind, lang), links=tuple(ident for ident, _, _ in entries)))
    return tuple(out)


def captioned(cc, kind: str, numbers: dict) -> list[tuple[str, int | None, str]]:
    """(id, number or None, caption HTML without its «Figure 1:» label) of each figure or table of a chapter
    that has a caption or a number, in reading order."""
    tag, caption_tag, _ = LISTS[kind]
    if f"<{tag}" not in cc.html:
        return []
    root = lxml_html.fragment_fromstring(cc.html, create_parent="div")
    found = []
    for el in root.iter(tag):
        ident, number = el.get("id"), numbers.get(el.get("id") or "")
        cap = next(el.iter(caption_tag), None)
        if not ident or (cap is None and number is None):
            continue
        cap = copy.deepcopy(cap) if cap is not None else lxml_html.Element("span")
        for label in cap.findall(".//span[@class='caption-label']"):
            label.drop_tree()  # its tail (the caption's text) stays
        for note in [s for s in cap.iter("span") if "note" in (s.get("class") or "").split()]:
            note.drop_tree()
        for a in list(cap.iter("a")):
            a.drop_tag()  # the entry is itself a link
        for child in cap.iter():
            child.attrib.pop("id", None)
        text = inner_html(cap).strip()
        if text or number is not None:
            found.append((ident, number, text))
    return found


def list_html(entries, kind: str, lang) -> str:
    """The list as the book prints it: an ordered list of linked entries, the number in the book's digits."""
    _, _, cls = LISTS[kind]
    items = []
    for ident, number, text in entries:
        num = f'<span class="list-number">{lang.digits(number)}.</span> ' if number is not None else ""
        # the caption is the link's own text: the print layout puts the page number at its end (``ketab check`` reads
        # the number after the leaders, as in the contents)
        items.append(f'<li class="list-entry"><a href="#{_attr(ident)}" class="xref list-ref">{num}{text}</a></li>')
    return f'<ol class="{cls}">' + "".join(items) + "</ol>"


def _with_table_ids(cc):
    """A chapter whose captioned tables without an id get one (``<chapter>-tN``), so that the list can link to them."""
    if "<caption" not in cc.html:
        return cc
    root = lxml_html.fragment_fromstring(cc.html, create_parent="div")
    taken, added, n = set(cc.anchors), [], 0
    for table in root.iter("table"):
        if table.get("id") or next(table.iter("caption"), None) is None:
            continue
        n += 1
        while f"{cc.chapter.id}-t{n}" in taken:
            n += 1
        table.set("id", f"{cc.chapter.id}-t{n}")
        taken.add(table.get("id"))
        added.append(table.get("id"))
    if not added:
        return cc
    return replace(cc, html=inner_html(root), anchors=cc.anchors + tuple(added))


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
