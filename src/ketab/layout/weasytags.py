"""The text of WeasyPrint 70's structure tree, in reading order.

WeasyPrint tags every run of text (a ``TextBox``) as a ``Span`` holding the run's
marked content, but it draws the glyphs of a right-to-left run in visual order and
writes no ``ActualText``: what a screen reader or ``pdfinfo -struct-text`` gets from a
Persian line is the line reversed, without its zero-width non-joiners (ZWNJ, which has
no glyph).  WeasyPrint knows each run's logical text (``TextBox.text``); after it has
built the tree, :func:`apply`'s wrapper of ``add_tags`` writes that text as the
``ActualText`` of the element that holds the run's MCID (a ``Span``, or a ``Link``
for the runs of a link, joined), with a space after the last run of each line
(WeasyPrint drops the space a line was broken at from the run).

WeasyPrint also builds the tree page by page: a paragraph (a section, a list…) that
a page break splits is two elements, and each page's notes are a ``NonStruct`` after
the page's text, between the two halves.  The wrapper remembers which box each
element was made for (``_build_box_tree`` is wrapped too) and then

* makes every footnote body a ``Note`` (with the note's id, as PDF/UA asks) and moves
  it to just after its call, inside the paragraph (``Note`` is an inline-level element):
  a reader hears the note where the text refers to it, not somewhere later on the page;
* joins the elements a page break split (same HTML element, consecutive, different
  pages) into one: their children follow each other, a child's marked content on the
  later page becomes a marked-content reference (``MCR``) to that page;
* makes the lists of a ``nav`` (the contents) ``TOC``/``TOCI``, and a ``leader()``'s dots
  read as a space; a link inside a link (``a``, its ``::after``, a leader in it) one link;
* gives an element the ``Lang`` of its HTML element's ``lang`` when it is not the
  document's (a Latin run in Persian text is ``und-Latn``: :mod:`ketab.persian.bidi`);
* leaves out of the tree what the HTML hides from assistive technology
  (``aria-hidden="true"``, e.g. pandoc's ``figcaption`` that repeats the picture's
  ``alt``): its text is marked as an artifact when the units are merged.
"""

from __future__ import annotations

APPLIED: dict[str, bool] = {}
VERSION = "actualtext/2+notes/1+joined/1+lang/1+toc/1+links/1"
"""Part of every layout unit's key (:data:`ketab.layout.engine.TAGGED`)."""


def apply() -> bool:
    """Wrap WeasyPrint's ``add_tags`` (once per process); whether it took."""
    if APPLIED:
        return APPLIED["actualtext"]
    from weasyprint import pdf as weasy_pdf

    original = getattr(weasy_pdf, "add_tags", None)
    if original is None:
        APPLIED["actualtext"] = False
        return False
    if not getattr(original, "__ketab_wrapped__", False):
        from weasyprint.pdf import tags

        build = tags._build_box_tree

        def recording(box, *args):
            made_for = getattr(box, "_box", box)  # an absolutely positioned box's placeholder
            for element in build(box, *args):
                _MADE_FOR.setdefault(element.number, made_for)
                yield element

        tags._build_box_tree = recording

        def add_tags(pdf, document, pdf_version, page_streams):
            marked = [dict(getattr(stream, "_tags", None) or {}) for stream in page_streams]
            line_ends = [_line_ends(page._page_box) for page in document.pages]
            if "Lang" not in pdf.catalog:  # a unit's language is not the book's: the screen PDF says that
                import pydyf

                pdf.catalog["Lang"] = pydyf.String()
            _MADE_FOR.clear()
            try:
                original(pdf, document, pdf_version, page_streams)
                runs_read = _actual_text(pdf, marked, line_ends)
                _notes_and_fragments(pdf, dict(_MADE_FOR), runs_read)
            finally:
                _MADE_FOR.clear()

        add_tags.__ketab_wrapped__ = True
        weasy_pdf.add_tags = add_tags
    APPLIED["actualtext"] = True
    return True


_MADE_FOR: dict = {}
"""Object number of a structure element → the box WeasyPrint made it for (while one PDF is written)."""


def _number(reference) -> int:
    return int(bytes(reference).split()[0])


def _actual_text(pdf, marked: list[dict], line_ends: list[dict]) -> list[dict]:
    """Write the ActualText; what each page's runs read as (MCID → text)."""
    import pydyf
    from weasyprint.formatting_structure import boxes

    runs_read: list[dict] = [{} for _ in marked]

    root = pdf.objects[_number(pdf.catalog["StructTreeRoot"])]
    nums = pdf.objects[_number(root["ParentTree"])]["Nums"]
    for page_number, runs in enumerate(marked):
        by_mcid = nums[2 * page_number + 1]
        texts: dict[int, list] = {}
        for box, tag in runs.items():
            if not isinstance(box, boxes.TextBox) or tag["mcid"] >= len(by_mcid):
                continue
            text = line_ends[page_number].get(id(box), box.text)
            texts.setdefault(_number(by_mcid[tag["mcid"]]), []).append((tag["mcid"], text))
            runs_read[page_number][tag["mcid"]] = text
        for number, parts in texts.items():
            pdf.objects[number]["ActualText"] = pydyf.String("".join(text for _, text in sorted(parts)))
    return runs_read


def _line_ends(page_box) -> dict[int, str]:
    """id of a text run → what it reads as, where that is not its text: the last run of every line
    ends with a space (a space cannot hurt a last line, and the last line on a page may go on on the
    next one); the dots of a ``leader()`` (the contents) read as one space."""
    from weasyprint.formatting_structure import boxes

    ends: dict[int, str] = {}
    stack = [page_box]
    while stack:
        box = stack.pop()
        children = getattr(box, "children", None) or ()
        if getattr(box, "is_leader", False):
            runs = list(_runs(box))
            ends.update((id(run), " " if run is runs[0] else "") for run in runs)
            continue
        if isinstance(box, boxes.ParentBox):
            for line in (child for child in children if isinstance(child, boxes.LineBox)):
                last = _last_text(line)
                if last is not None and id(last) not in ends and last.text and not last.text[-1].isspace():
                    ends[id(last)] = last.text + " "
        stack.extend(child for child in children if not isinstance(child, boxes.TextBox))
    return ends


def _runs(box):
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        yield box
    for child in getattr(box, "children", None) or ():
        yield from _runs(child)


def _last_text(box):
    from weasyprint.formatting_structure import boxes

    while isinstance(box, boxes.ParentBox) and box.children:
        box = box.children[-1]
    return box if isinstance(box, boxes.TextBox) else None


def _notes_and_fragments(pdf, made_for: dict, runs_read: list) -> None:
    """See the module docstring: notes after their calls, split elements joined."""
    root = pdf.objects[_number(pdf.catalog["StructTreeRoot"])]
    document = pdf.objects[_number(root["K"][0])]
    _languages_and_hidden(pdf, document, made_for)
    _move_notes(pdf, document, made_for)
    survivors: dict[int, int] = {}
    _join(pdf, document, made_for, survivors)
    outer: list = []
    _flatten_links(pdf, document, None, survivors, outer)
    page_of = {reference: i for i, reference in enumerate(pdf.page_references)}
    for link in outer:
        link["ActualText"] = _string(_read(pdf, link, runs_read, page_of))
    if survivors:
        nums = pdf.objects[_number(root["ParentTree"])]["Nums"]
        for i in range(1, len(nums), 2):
            value = nums[i]
            if isinstance(value, (list, tuple)):
                nums[i] = type(value)(_survivor(pdf, ref, survivors) for ref in value)
            else:
                nums[i] = _survivor(pdf, value, survivors)


def _languages_and_hidden(pdf, document, made_for: dict) -> None:
    own = getattr(pdf.catalog.get("Lang"), "string", "") or ""
    in_nav = {id(e) for box in made_for.values() if _tag(getattr(box, "element", None)) == "nav" for e in box.element.iter()}
    for number, box in made_for.items():
        html = getattr(box, "element", None)
        if html is None or not hasattr(html, "get"):
            continue
        element = pdf.objects[number]
        if html.get("aria-hidden") == "true" and "P" in element:
            parent = pdf.objects[_number(element["P"])]
            if element.reference in parent.get("K", ()):
                parent["K"].remove(element.reference)
            element["P"] = document.reference  # as WeasyPrint leaves its margin boxes: made artifacts at merge
            continue
        lang = html.get("lang")
        if lang and lang.lower() != own.lower():
            element["Lang"] = _string(lang)
        role = _CONTENTS.get((_tag(html), element.get("S")))
        if role is not None and id(html) in in_nav:
            element["S"] = role


def _tag(html) -> str:
    return str(getattr(html, "tag", "")).rsplit("}", 1)[-1]


_CONTENTS = {("ol", "/L"): "/TOC", ("ul", "/L"): "/TOC", ("li", "/LI"): "/TOCI", ("li", "/LBody"): "/NonStruct"}
"""A list in a ``nav`` (the contents) is a table of contents: TOC of TOCI (which has no LBody)."""


def _survivor(pdf, reference, survivors: dict):
    number = _number(reference)
    while number in survivors:
        number = survivors[number]
    return pdf.objects[number].reference


def _refs(element) -> list:
    return [kid for kid in element["K"] if isinstance(kid, bytes)]


def _move_notes(pdf, document, made_for: dict) -> None:
    """Each footnote body (a child of a page's footnote area) becomes a ``Note`` after its call."""
    from weasyprint.formatting_structure import boxes

    calls: dict = {}  # the note's HTML element → (element holding the call, the call's element)
    areas = []
    for number, box in made_for.items():
        if isinstance(box, boxes.FootnoteAreaBox):
            areas.append(pdf.objects[number])
        elif box.element is not None and str(getattr(box, "element_tag", "")).endswith("::footnote-call"):
            call = pdf.objects[number]
            calls[box.element] = (pdf.objects[_number(call["P"])], call)
    for area in areas:
        for reference in _refs(area):
            note = pdf.objects[_number(reference)]
            box = made_for.get(note.number)
            if box is None or box.element not in calls:
                continue
            holder, call = calls[box.element]
            note["S"] = "/Note"
            note["ID"] = _string(box.element.get("id") or f"note-{note.number}")
            holder["K"].insert(holder["K"].index(call.reference) + 1, note.reference)
            note["P"] = holder.reference
            area["K"].remove(reference)
    for area in areas:
        if not len(area["K"]) and area.reference in document["K"]:
            document["K"].remove(area.reference)


def _string(text: str):
    import pydyf

    return pydyf.String(text)


def _join(pdf, element, made_for: dict, survivors: dict) -> None:
    """Join consecutive children made for one HTML element on different pages, then their children."""
    kids = element["K"]
    i = 0
    while i + 1 < len(kids):
        a, b = kids[i], kids[i + 1]
        if isinstance(a, bytes) and isinstance(b, bytes) and _same(pdf, a, b, made_for):
            first, second = pdf.objects[_number(a)], pdf.objects[_number(b)]
            for kid in second["K"]:
                if isinstance(kid, int):  # marked content of the later page
                    kid = _mcr(pdf, kid, second["Pg"])
                elif isinstance(kid, bytes) and "P" in pdf.objects[_number(kid)]:
                    pdf.objects[_number(kid)]["P"] = first.reference
                first["K"].append(kid)
            if "ActualText" in second:
                first["ActualText"] = _string(_text(first) + _text(second))
            survivors[second.number] = first.number
            del kids[i + 1]
            continue
        i += 1
    for kid in kids:
        if isinstance(kid, bytes) and pdf.objects[_number(kid)].get("Type") == "/StructElem":
            _join(pdf, pdf.objects[_number(kid)], made_for, survivors)


def _flatten_links(pdf, element, link, survivors: dict, outer: list) -> None:
    """A ``Link`` inside a ``Link`` (WeasyPrint makes one for ``a``, one for its ``::after``, one for a
    leader in it, each with an annotation) is one link: the inner one's children, annotations
    included, go to the outer one in its place (the outer ones are listed in ``outer``)."""
    kids = element["K"]
    i = 0
    while i < len(kids):
        kid = kids[i]
        child = pdf.objects[_number(kid)] if isinstance(kid, bytes) else None
        if child is None or child.get("Type") != "/StructElem":
            i += 1
            continue
        if link is not None and child.get("S") == "/Link":
            _flatten_links(pdf, child, link, survivors, outer)
            moved = [_mcr(pdf, k, child["Pg"]) if isinstance(k, int) and child.get("Pg") != element.get("Pg") else k for k in child["K"]]
            for k in moved:
                if isinstance(k, bytes) and "P" in pdf.objects[_number(k)]:
                    pdf.objects[_number(k)]["P"] = element.reference
            kids[i:i + 1] = moved
            survivors[child.number] = link.number
            if link not in outer:
                outer.append(link)
            i += len(moved)
            continue
        _flatten_links(pdf, child, child if link is None and child.get("S") == "/Link" else link, survivors, outer)
        i += 1


def _read(pdf, element, runs_read: list, page_of: dict) -> str:
    """What an element reads as, from its children in order (its runs, MCRs, elements' ActualText)."""
    out = []
    page = page_of.get(element.get("Pg"))
    for kid in element["K"]:
        if isinstance(kid, int):
            out.append(runs_read[page].get(kid, "") if page is not None else "")
            continue
        child = pdf.objects[_number(kid)] if isinstance(kid, bytes) else None
        kind = child.get("Type") if child is not None else None
        if kind == "/MCR" and child.get("Pg") in page_of:
            out.append(runs_read[page_of[child["Pg"]]].get(child["MCID"], ""))
        elif kind == "/StructElem":
            out.append(_text(child) if "ActualText" in child else _read(pdf, child, runs_read, page_of))
    return "".join(out)


def _same(pdf, a: bytes, b: bytes, made_for: dict) -> bool:
    first, second = made_for.get(_number(a)), made_for.get(_number(b))
    if first is None or second is None or first.element is None or first.element is not second.element:
        return False
    one, two = pdf.objects[_number(a)], pdf.objects[_number(b)]
    return one.get("S") == two.get("S") and one.get("Pg") != two.get("Pg") and getattr(first, "element_tag", None) == getattr(second, "element_tag", None)


def _mcr(pdf, mcid: int, page):
    import pydyf

    mcr = pydyf.Dictionary({"Type": "/MCR", "Pg": page, "MCID": mcid})
    pdf.add_object(mcr)
    return mcr.reference


def _text(element) -> str:
    value = element.get("ActualText")
    return "" if value is None else _plain(value)


def _plain(value) -> str:
    """The text of a pydyf.String (kept as given)."""
    return value.string if hasattr(value, "string") else str(value)
