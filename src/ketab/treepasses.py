"""The passes over a chapter's HTML that run before :class:`ketab.convert._Walk`: pandoc's output made into a
book's (task boxes, code ids and line wrapping, headings demoted, equations, figure/table/equation numbers,
citations, structure repaired).  Each works on the lxml tree in place; what it cannot do is reported with the
chapter's file and line.
"""

from __future__ import annotations

import re

from lxml import etree

from ketab.manuscript import Chapter

CODE_ID = re.compile(r"^cb\d+(-\d+)?$")
"""pandoc's ids of highlighted code blocks (``cb1``) and of their lines (``cb1-1``)."""


def citations(root, chapter, manuscript, line, report) -> None:
    """``[@key]`` that citeproc could not resolve (or that no bibliography could) is said, never printed silently;
    a resolved citation links to its entry in the book's references part (citeproc links only within a chapter)."""
    referenced = any(c.generate == "references" for c in manuscript.chapters)
    for cite in list(root.iter("span")):
        if "citation" not in (cite.get("class") or "").split():
            continue
        keys = (cite.get("data-cites") or "").split()
        if not manuscript.config.bibliography:
            report(chapter.path, line("@" + keys[0]) if keys else chapter.body_line,
                   f"citation {cite.text_content()!r}: book.yaml names no bibliography", "citation.undefined")
            continue
        unresolved = False
        for strong in cite.iter("strong"):
            missing = (strong.text or "").rstrip("?")
            if (strong.text or "").endswith("?") and missing in keys:
                unresolved = True
                report(chapter.path, line("@" + missing), f"citation @{missing} is not in the bibliography", "citation.undefined")
        if referenced and keys and not unresolved and next(cite.iter("a"), None) is None and chapter.generate != "references":
            a = cite.makeelement("a", {"href": f"#ref-{keys[0]}", "role": "doc-biblioref", "data-nopage": ""})
            a.text, cite.text = cite.text, None
            for child in list(cite):
                a.append(child)
            cite.append(a)


_URL = re.compile(r"(?:https?://|doi:|urn:|10\.\d{4,}/)\S+", re.I)
_AFTER_ARABIC_SCRIPT = re.compile(r"(?<=[\u0600-\u06ff])([,;])")


def localize_citations(root, language) -> None:
    """In a book whose digits are not Latin, what citeproc rendered (citations, the bibliography) has the book's
    digits — years, pages, volumes, also inside Latin titles — and «،»/«؛» after Arabic-script text; URLs and
    DOIs keep theirs and are set left to right, isolated."""
    if language.digit_script == "latin":
        return
    for el in root.iter("span", "div"):
        classes = (el.get("class") or "").split()
        if "citation" in classes or "csl-entry" in classes:
            _localize_rendered(el, language)


def _localize_rendered(el, language) -> None:
    def fix(text):
        if not text:
            return text
        pieces = _URL.split(text)
        urls = _URL.findall(text) + [""]
        out = "".join(language.digits(piece) + url for piece, url in zip(pieces, urls))
        return _AFTER_ARABIC_SCRIPT.sub(lambda m: "،" if m.group(1) == "," else "؛", out)

    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        external = node.tag == "a" and re.match(r"^[a-z][a-z0-9+.-]*:", node.get("href") or "", re.I)
        if external:
            node.set("dir", "ltr")  # a URL or DOI reads left to right with its own digits
        elif not any(a.tag == "a" and re.match(r"^[a-z][a-z0-9+.-]*:", a.get("href") or "", re.I) for a in node.iterancestors()):
            node.text = fix(node.text)
        if node is not el:
            node.tail = fix(node.tail)


def task_boxes(root) -> None:
    """A task list's check boxes (``<input type=checkbox>``, which a book cannot hold) become drawn boxes."""
    for box in list(root.iter("input")):
        if (box.get("type") or "").lower() != "checkbox" or box.getparent() is None:
            continue
        span = box.makeelement("span", {"class": "task-box" + (" done" if box.get("checked") is not None else ""), "role": "img",
                                        "aria-label": "done" if box.get("checked") is not None else "to do"})
        span.text = "\u2713" if box.get("checked") is not None else "\u00a0"
        span.tail = box.tail
        box.getparent().replace(box, span)


CODE_MARK = "\u2192"  # → (Vazir Code has it): a wrapped code line goes on after it
MONO_ADVANCE = 0.602  # Vazir Code's advance width, in em


def code_columns(config) -> int:
    """How many characters of code fit on a line of the print page: the measure (the trim less the margins of
    templates/print/print.css.j2), less the code block's padding and border (templates/book.css)."""
    measure_pt = (config.trim.width - 35) * 72 / 25.4
    size_pt = (11 if config.language.is_rtl else 10.5) * 0.8
    return max(20, int((measure_pt - 1.2 * size_pt - 2) / (MONO_ADVANCE * size_pt)) - 1)


_INDENT_COLUMNS = 4  # a list item, definition or quotation indents by 1.6em of text: about four code characters


def wrap_code(root, columns: int) -> None:
    """Code lines longer than the page's measure are broken, the rest going on a new line after a mark (→)."""
    import unicodedata

    def width(ch):
        return 0 if unicodedata.combining(ch) or ch in "\u200c\u200d\u200e\u200f" else 1

    def split(text, col):
        pieces, current = [], ""
        for ch in text:
            if ch == "\n":
                current += ch
                col = 0
                continue
            w = width(ch)
            if col + w > columns:
                pieces.append(current)
                current, col = "", 2
            current += ch
            col += w
        pieces.append(current)
        return pieces, col

    def mark(el):
        m = el.makeelement("span", {"class": "code-cont", "aria-hidden": "true"})
        m.text = CODE_MARK + " "
        return m

    def walk(el, col):
        pieces, col = split(el.text or "", col)
        el.text = pieces[0]
        for n, piece in enumerate(pieces[1:]):
            m = mark(el)
            m.tail = piece
            el.insert(n, m)
            _newline_before(el, n)
        for child in list(el):
            if child.get("class") == "code-cont":
                continue
            col = walk(child, col)
            pieces, col = split(child.tail or "", col)
            child.tail = pieces[0]
            anchor = child
            for piece in pieces[1:]:
                m = mark(el)
                m.tail = piece
                anchor.addnext(m)
                anchor.tail = (anchor.tail or "") + "\n"
                anchor = m
        return col

    full = columns
    for pre in root.iter("pre"):
        depth = sum(1 for a in pre.iterancestors() if a.tag in ("li", "dd", "blockquote", "td", "th"))
        columns = max(20, full - _INDENT_COLUMNS * depth)
        walk(pre, 0)


def _newline_before(el, index: int) -> None:
    """A line break before the continuation mark at ``el[index]``."""
    if index == 0:
        el.text = (el.text or "") + "\n"
    else:
        prev = el[index - 1]
        prev.tail = (prev.tail or "") + "\n"


def equations(root) -> None:
    """pandoc-crossref's numbered equations: display math followed by ``{#eq:label}``."""
    for math in list(root.iter("math")):
        if math.get("display") != "block":
            continue
        m = re.match(r"\s*\{#(eq:[^\s{}]+)\}", math.tail or "")
        if not m:
            continue
        wrapper = math.makeelement("span", {"class": "equation", "id": m.group(1)})
        math.addprevious(wrapper)
        wrapper.tail = (math.tail or "")[m.end():]
        math.tail = None
        wrapper.append(math)


def number_references(root, chapter, linker, language, line, report) -> None:
    """Numbered figures, tables and equations, and ``@fig:x`` references to them, as pandoc-crossref writes them."""
    labels = language.labels
    names = {"fig": labels.figure, "tbl": labels.table, "eq": labels.equation}
    for el in root.iter("figure", "table", "span"):
        ident = el.get("id") or ""
        kind = ident.split(":", 1)[0]
        number = linker.numbers.get(ident)
        if number is None:
            continue
        number = language.digits(number)
        if el.tag == "figure":
            cap = next(el.iter("figcaption"), None)
            if cap is not None:
                cap.attrib.pop("aria-hidden", None)
                _prefix_caption(cap, f"{names[kind]} {number}")
        elif el.tag == "table":
            cap = next(el.iter("caption"), None)
            if cap is None:
                cap = el.makeelement("caption", {})
                el.insert(0, cap)
            _prefix_caption(cap, f"{names[kind]} {number}")
        elif "equation" in (el.get("class") or "").split():
            num = el.makeelement("span", {"class": "equation-number"})
            num.text = f"({number})"
            el.append(num)
    _crossref_citations(root, chapter, linker, language, names, line, report)


def _crossref_citations(root, chapter, linker, language, names, line, report) -> None:
    """``@fig:x`` (pandoc reads it as a citation) becomes «Figure 1», linked; an unknown label is said."""
    labels = language.labels
    for cite in list(root.iter("span")):
        if "citation" not in (cite.get("class") or "").split():
            continue
        keys = (cite.get("data-cites") or "").split()
        if not keys or not all(k.split(":", 1)[0] in names and ":" in k for k in keys):
            continue
        parts = []
        for key in keys:
            number = linker.numbers.get(key)
            if number is None:
                report(chapter.path, line("@" + key), f"@{key}: no figure, table or equation has this label", "xref.undefined")
                parts.append((None, f"??{key}"))
            else:
                number = language.digits(number)
                parts.append((key, f"{names[key.split(':', 1)[0]]} {number}" if not key.startswith("eq:") else f"({number})"))
        cite.attrib.clear()
        cite.set("class", "crossref")
        cite.text = None
        for child in list(cite):
            cite.remove(child)
        sep = labels.list_separator
        last = None
        for n, (key, text) in enumerate(parts):
            if n:
                if last is not None:
                    last.tail = sep
                else:
                    cite.text = (cite.text or "") + sep
            if key is None:
                if last is not None:
                    last.tail = (last.tail or "") + text
                else:
                    cite.text = (cite.text or "") + text
                continue
            a = cite.makeelement("a", {"href": "#" + key, "data-nopage": ""})  # a number, not a page, shows where
            a.text = text
            cite.append(a)
            last = a


def _prefix_caption(cap, label: str) -> None:
    strong = cap.makeelement("span", {"class": "caption-label"})
    strong.text = label + ": " if (cap.text or "").strip() or len(cap) else label
    strong.tail = cap.text
    cap.text = None
    cap.insert(0, strong)


def unwrap(el) -> None:
    """Replace an element by its content."""
    parent = el.getparent()
    if parent is None:
        return
    el.drop_tag()


def tidy_code(root, chapter_id: str) -> None:
    """pandoc's highlighted code: ``cb1`` ids made unique in the book, line anchors (``cb1-1``) removed.

    The line anchors are empty ``<a href="#cb1-1">`` links: kept, every code line would be a cross-reference
    (with a page number in print) and every chapter's ``cb1`` would collide."""
    for a in list(root.iter("a")):
        if CODE_ID.match((a.get("href") or "#")[1:]) and a.get("aria-hidden") == "true":
            a.drop_tree() if not (a.text or len(a)) else a.drop_tag()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        ident = el.get("id") or ""
        if CODE_ID.match(ident):
            if "-" in ident:
                del el.attrib["id"]
            else:
                el.set("id", f"{chapter_id}-{ident}")


def demote_headings(root) -> None:
    """The chapter's title is its only level-1 heading: a body that uses ``#`` has its headings moved down a level."""
    if next(root.iter("h1"), None) is None:
        return
    for h in list(root.iter("h1", "h2", "h3", "h4", "h5", "h6")):
        level = int(h.tag[1])
        if level < 6:
            h.tag = f"h{level + 1}"
        else:
            h.set("aria-level", "7")


_BLOCK_CONTEXT = {"figcaption": "figure", "caption": "table", "legend": "fieldset", "summary": "details", "dt": "dl", "dd": "dl", "li": None}


def repair_structure(root, chapter: Chapter, line, report) -> None:
    """HTML that is not valid XHTML in a book is repaired, with a warning naming the line."""
    for el in list(root.iter("figcaption", "caption", "legend", "summary")):
        parent = el.getparent()
        if parent is not None and parent.tag != _BLOCK_CONTEXT[el.tag]:
            report(chapter.path, line(f"<{el.tag}"), f"<{el.tag}> outside <{_BLOCK_CONTEXT[el.tag]}> is not valid: kept as a paragraph", "html.repaired")
            el.tag = "p"
            el.set("class", (el.get("class", "") + " caption").strip())


def separate_adjacent_notes(root, comma: str) -> None:
    """Two note calls with no text between them read as one number («۱۷۱۸»): put a comma between."""
    adjacent, previous, text_since = [], None, ""
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(el.tag, str):
            continue
        is_note = el.tag == "span" and "note" in (el.get("class") or "").split()
        if event == "start":
            if is_note:
                if previous is not None and not text_since.strip():
                    adjacent.append(el)
                previous, text_since = el, ""
            elif previous is None or not _inside(el, previous):
                text_since += el.text or ""
        else:
            if previous is not None and (el is previous or not _inside(el, previous)):
                text_since += el.tail or ""
    for el in adjacent:
        sep = etree.Element("span", {"class": "note-sep"})
        sep.text = comma
        el.addprevious(sep)


def _inside(el, ancestor) -> bool:
    return any(a is ancestor for a in el.iterancestors())
