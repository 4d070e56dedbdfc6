"""The screen PDF's structure tree (PDF/UA-1): the layout units' trees made one.

WeasyPrint writes each layout unit tagged (:data:`ketab.layout.engine.TAGGED`): a
``StructTreeRoot`` whose ``Document`` holds, page after page, the unit's elements
(``Sect``, ``H1``, ``P``, ``Link`` … down to one ``Span`` per run of text, each
holding a marked-content id, MCID); a ``ParentTree`` numbered from 0 (page *i* of
the unit has ``StructParents`` *i*, its link annotations ``StructParent`` from the
unit's page count on).  The book's PDF is made of the units' pages, so:

* :func:`merge_structure` (at assembly, while each unit's PDF is open: pikepdf's
  ``copy_foreign`` maps a unit's pages and annotations to the ones already copied)
  hangs every unit's elements, in reading order (front matter, chapters, index), under
  one ``Document``, one ``Part`` per unit, and renumbers the ``ParentTree``: page *n*
  of the book is key *n*, the annotations follow the last page; blank and padding
  pages have none.  Text WeasyPrint marked but left out of its tree (what its margin
  boxes draw: the front matter's folios) becomes an ``Artifact``; so do the folios and
  running heads laid over each page (:func:`artifact_form`, :data:`ARTIFACT`);
* :func:`finish_screen` makes the screen PDF say what it is: ``MarkInfo``, ``Tabs /S``,
  the ``pdfuaid:part`` 1 identification in the XMP (the title and language are the
  print finish's), a description of every link;
* :func:`untag` drops the tree again where it is not wanted (print PDF, cover, proof).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pikepdf

ARTIFACT = (b"/Artifact <</Type /Pagination>> BDC\n", b"\nEMC\n")
"""What a page's own drawing of its furniture (folios, running heads) is wrapped in: not read aloud."""

_MARKING = {"BDC", "BMC", "EMC"}


def artifact_form(form: pikepdf.Object) -> None:
    """Take the marks out of a laid-over form (a furniture unit's page): it is drawn inside
    an ``Artifact``, where tagged content must not be."""
    key = hashlib.sha256(b"form\0" + form.read_bytes()).digest()  # the same folios at every build of ketab watch
    if key not in _UNMARKED_FORMS:
        instructions = pikepdf.parse_content_stream(form)
        kept = [(operands, op) for operands, op in instructions if str(op) not in _MARKING]
        _UNMARKED_FORMS[key] = pikepdf.unparse_content_stream(kept) if len(kept) != len(instructions) else None
        if len(_UNMARKED_FORMS) > 4096:
            del _UNMARKED_FORMS[next(iter(_UNMARKED_FORMS))]
    if _UNMARKED_FORMS[key] is not None:
        form.write(_UNMARKED_FORMS[key])


_UNMARKED_FORMS: dict[bytes, bytes | None] = {}
"""What :func:`artifact_form` made of a form, by its content (None: nothing to take out)."""


@dataclass(frozen=True)
class Piece:
    """What :func:`merge_structure` reads of a unit besides its PDF (a :class:`ketab.layout.pagination.Placed`
    has it too): a chapter's segments are merged into one unit with these (:mod:`ketab.layout.segments`)."""

    name: str
    first_page: int
    pages: int


def _where(placed) -> Piece:
    return placed if isinstance(placed, Piece) else Piece(placed.name, placed.first_page, placed.unit.pages)


def merge_structure(pdf: pikepdf.Pdf, units, keys=None) -> None:
    """One structure tree for the book from its units' (``[(placed, unit PDF)]``, in reading
    order, each unit's pages already copied into ``pdf``); see the module docstring.  A chapter
    laid out in segments was merged the same way first: its ``Part`` is the book's ``Part``."""
    merger = StructureMerger(pdf, len(pdf.pages))
    merger.clear(pdf.pages)
    for n, (placed, src) in enumerate(units):
        merger.add(placed, src, keys[n] if keys is not None else None)
    merger.finish()


class StructureMerger:
    """:func:`merge_structure` one unit at a time, as the unit's pages are copied: a unit's PDF can be
    let go once it is merged (the book's assembly never holds every unit's objects at once).

    ``total_pages``: the pages the book will have (the annotations' keys follow the last page);
    every page copied must go through :meth:`clear` before a unit's :meth:`add`.  ``tree=False``: the
    pages as the merge leaves them (what the units marked outside their trees made artifacts), without
    the tree — the print PDF, which drops the tree, never holds it.  ``artifacts`` (page → marks made
    artifacts): filled in by a merge of the tree, read instead of the units' trees by one without."""

    def __init__(self, pdf: pikepdf.Pdf, total_pages: int, tree: bool = True, artifacts: dict | None = None):
        self.pdf, self.tree, self.artifacts = pdf, tree, artifacts
        self.root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
        self.document = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, P=self.root, K=pikepdf.Array()))
        self.root.K = pikepdf.Array([self.document])
        self.nums: list = []
        self.role_map = pikepdf.Dictionary()
        self.next_key = total_pages
        self.part, self.name, self.number = None, None, 0

    @staticmethod
    def clear(pages) -> None:
        """The units' own page keys dropped (the book's are set by :meth:`add`)."""
        for page in pages:
            for key in ("/StructParents", "/Tabs"):
                if key in page.obj:
                    del page.obj[key]

    def add(self, placed, src: pikepdf.Pdf, key: bytes | None = None) -> None:
        """The unit's tree (``src``: its PDF, its pages already in the book at ``placed.first_page``;
        ``key``: the digest of its bytes, see :func:`_renumber`)."""
        placed, number = _where(placed), self.number
        self.number += 1
        tree = src.Root.get("/StructTreeRoot")
        if tree is None:
            return
        if not self.tree:
            if self.artifacts is None:
                _artifacts_only(self.pdf, tree, placed)
            else:
                for index in range(placed.first_page, placed.first_page + placed.pages):
                    if index in self.artifacts:
                        _as_artifacts(self.pdf, self.pdf.pages[index], self.artifacts[index])
            return
        copied = self.pdf.copy_foreign(tree)
        for name, role in (copied.get("/RoleMap") or {}).items():
            self.role_map[name] = role
        # a part laid out in several units (consecutive, one name) is one Part
        self.part, unit_document = _adopt(self.pdf, copied, self.document, self.part if placed.name == self.name else None)
        self.name = placed.name
        self.next_key = _renumber(self.pdf, copied, (self.part, unit_document), placed, number, self.nums, self.next_key, self.artifacts, key)

    def finish(self) -> None:
        pdf, root = self.pdf, self.root
        if not self.tree:
            return
        if len(self.role_map):
            root.RoleMap = self.role_map
        pairs = sorted(self.nums, key=lambda p: p[0])
        root.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array([x for pair in pairs for x in pair])))
        root.ParentTreeNextKey = self.next_key
        pdf.Root.StructTreeRoot = root
        pdf.Root.MarkInfo = pikepdf.Dictionary(Marked=True)


def _adopt(pdf, copied, document, part=None) -> tuple:
    """The unit's elements under a ``Part`` of the book's ``Document`` (a new one, or ``part``):
    (the part, the unit's own ``Document``)."""
    _, unit_document = _adopt_view(copied)  # a unit merged from segments: its Part
    kids = list(unit_document.get("/K", pikepdf.Array()))
    if part is None:
        part = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Part, P=document, K=pikepdf.Array()))
        document.K.append(part)
    for kid in kids:
        if isinstance(kid, pikepdf.Dictionary):
            kid.P = part
        part.K.append(kid)
    return part, unit_document


def _renumber(pdf, copied, parts, placed, number: int, nums: list, next_key: int, artifacts: dict | None = None, key: bytes | None = None) -> int:
    """The unit's ParentTree entries under the book's keys; marks outside the tree become artifacts
    (noted in ``artifacts``, page → marks).  ``key`` (the digest of the unit's PDF): what the walks
    found in the unit is kept under it, and the next assembly of the same unit replays it."""
    entries = _number_tree(copied.ParentTree)
    pages = placed.pages
    analysis = _ANALYSES.get((key, pages)) if key is not None else None
    if analysis is None:
        analysis = _analyse(entries, pages, parts, number)
        if key is not None:
            _ANALYSES[(key, pages)] = analysis
            if len(_ANALYSES) > 1024:
                del _ANALYSES[next(iter(_ANALYSES))]
    else:
        _replay(entries, analysis, number)
    for old_key, (orphans, _) in analysis[0].items():
        page = pdf.pages[placed.first_page + old_key]
        mapped = pikepdf.Array([None if mcid in orphans else element for mcid, element in enumerate(entries[old_key])])
        if orphans:
            _as_artifacts(pdf, page, set(orphans))
            if artifacts is not None:
                artifacts[placed.first_page + old_key] = set(orphans)
        page.obj.StructParents = placed.first_page + old_key
        nums.append((placed.first_page + old_key, mapped))
    for index in range(pages):
        for annot in pdf.pages[placed.first_page + index].obj.get("/Annots", ()):
            old = annot.get("/StructParent")
            if old is not None and int(old) in entries:
                link = _link_of(entries[int(old)], annot)
                description = " ".join(_text_of(link).split())
                if description:  # WeasyPrint's is the link's target (an id, ketab-anchor:…)
                    annot.Contents = pikepdf.String(description)
                annot.StructParent = next_key
                nums.append((next_key, link))
                next_key += 1
    return next_key


_ANALYSES: dict[tuple, tuple] = {}
"""What :func:`_analyse` found in a unit, by the digest of its PDF and its pages (the 1,024 latest)."""


def _analyse(entries: dict, pages: int, parts, number: int) -> tuple:
    """Walk every marked element of the unit's pages up to its tree: ({page key: (the marks outside the tree,
    the figures given their caption as alt text)}, [(page key, mark, steps up) of every element whose ids
    were prefixed]), in the order the changes were made; the changes are made."""
    part, unit_doc = parts
    tops = {kid.objgen for kid in part.K if isinstance(kid, pikepdf.Dictionary)}
    renamed: dict = {}
    known: dict = {}
    prefixed: list = []
    marked: dict = {}
    for old_key, value in entries.items():
        if old_key >= pages or not isinstance(value, pikepdf.Array) or not len(value):
            continue  # an annotation's entry (below), or a page with nothing marked (a blank)
        orphans, figures = set(), []
        for mcid, element in enumerate(value):
            if isinstance(element, pikepdf.Dictionary) and _in_tree(element, tops, unit_doc, renamed, number, known, (prefixed, old_key, mcid)):
                if element.get("/S") == pikepdf.Name.Figure and "/Alt" not in element:
                    figures.append(mcid)
                    _caption_as_alt(element)
            else:
                orphans.add(mcid)
        marked[old_key] = (frozenset(orphans), tuple(figures))
    return marked, prefixed


def _replay(entries: dict, analysis: tuple, number: int) -> None:
    """Make the changes :func:`_analyse` made, in its order, without its walks."""
    marked, prefixed = analysis
    renamed: dict = {}
    for old_key, mcid, steps in prefixed:
        node = entries[old_key][mcid]
        for _ in range(steps):
            node = node.get("/P")
        _prefix_ids(node, renamed, number)
    for old_key, (_, figures) in marked.items():
        for mcid in figures:
            _caption_as_alt(entries[old_key][mcid])


def _link_of(element, annot) -> pikepdf.Object:
    """The ``Link`` element an annotation belongs to.  WeasyPrint gives an annotation to every box of
    a link, so a ``Span`` inside a ``Link`` can hold one: its reference moves up to the ``Link``
    (PDF/UA wants a link annotation inside a ``Link``); an inline element of its own becomes one."""
    if element.get("/S") == pikepdf.Name.Link:
        return element
    ancestor = element.get("/P")
    for _ in range(8):
        if not isinstance(ancestor, pikepdf.Dictionary) or ancestor.get("/Type") != pikepdf.Name.StructElem:
            break
        if ancestor.get("/S") == pikepdf.Name.Link:
            kids = element.K if isinstance(element.K, pikepdf.Array) else pikepdf.Array([element.K])
            mine = [k for k in kids if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == pikepdf.Name.OBJR and k.Obj.objgen == annot.objgen]
            element.K = pikepdf.Array([k for k in kids if not (isinstance(k, pikepdf.Dictionary) and k.get("/Type") == pikepdf.Name.OBJR and k.Obj.objgen == annot.objgen)])
            ancestor.K = pikepdf.Array(list(ancestor.K if isinstance(ancestor.K, pikepdf.Array) else [ancestor.K]) + mine)
            return ancestor
        ancestor = ancestor.get("/P")
    element.S = pikepdf.Name.Link
    return element


def _text_of(element, depth: int = 0) -> str:
    """The element's text as :mod:`ketab.layout.weasytags` wrote it (ActualText, down the tree)."""
    if not isinstance(element, pikepdf.Dictionary) or depth > 32:
        return ""
    if "/ActualText" in element:
        return str(element.ActualText)
    kids = element.get("/K")
    kids = kids if isinstance(kids, pikepdf.Array) else [kids]
    return "".join(_text_of(kid, depth + 1) for kid in kids)


def _caption_as_alt(figure) -> None:
    """A picture without alt text is described by its caption (WeasyPrint tags ``figcaption`` as ``Caption``,
    beside the picture or beside the anonymous block that holds it)."""
    parent = figure.get("/P")
    for _ in range(3):
        if not isinstance(parent, pikepdf.Dictionary) or parent.get("/Type") != pikepdf.Name.StructElem:
            return
        kids = parent.get("/K", ())
        for kid in kids if isinstance(kids, pikepdf.Array) else ():
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/S") == pikepdf.Name.Caption:
                text = _text_of(kid).strip()
                if text:
                    figure.Alt = pikepdf.String(text)
                    return
        parent = parent.get("/P")


def _number_tree(tree) -> dict:
    out = {}
    nums = tree.get("/Nums")
    if nums is not None:
        for i in range(0, len(nums), 2):
            out[int(nums[i])] = nums[i + 1]
    for kid in tree.get("/Kids", ()):
        out.update(_number_tree(kid))
    return out


def _artifacts_only(pdf, tree, placed: Piece) -> None:
    """What :func:`_renumber` does to the unit's pages (marks outside its tree become artifacts),
    read from the unit's own tree (``tree``, in its PDF): nothing of it is copied."""
    _, unit_doc = _adopt_view(tree)
    kids = unit_doc.get("/K", pikepdf.Array())
    tops = {kid.objgen for kid in kids if isinstance(kid, pikepdf.Dictionary)}
    known: dict = {}
    for old_key, value in _number_tree(tree.ParentTree).items():
        if old_key >= placed.pages or not isinstance(value, pikepdf.Array) or not len(value):
            continue
        orphans = {mcid for mcid, element in enumerate(value)
                   if not (isinstance(element, pikepdf.Dictionary) and _in_tree(element, tops, unit_doc, None, 0, known))}
        if orphans:
            _as_artifacts(pdf, pdf.pages[placed.first_page + old_key], orphans)


def _adopt_view(copied) -> tuple:
    """(the unit's ``Document``, the element whose kids are the unit's top elements: the Document, or
    the ``Part`` of a unit merged from segments)."""
    document = copied.K[0] if isinstance(copied.K, pikepdf.Array) else copied.K
    kids = list(document.get("/K", pikepdf.Array()))
    if len(kids) == 1 and isinstance(kids[0], pikepdf.Dictionary) and kids[0].get("/S") == pikepdf.Name.Part:
        return document, kids[0]
    return document, document


def _in_tree(element, tops: set, unit_doc, renamed: dict | None, number: int, known: dict | None = None, noted: tuple | None = None) -> bool:
    """Whether the element hangs from the unit's tree (WeasyPrint builds its margin boxes' elements
    without linking them in); table header ids on the way get the unit's prefix (ids are per unit;
    ``renamed`` None: none).  ``known`` (one per unit and ``renamed``): what earlier walks found, element →
    (steps to where its walk ended, the answer), so that a span's walk stops at its paragraph's.  ``noted``
    ((list, page key, mark)): (page key, mark, steps up) of every element whose ids are prefixed goes in the list."""
    stop = unit_doc.objgen if unit_doc is not None else None
    node, objgen, path = element, element.objgen, []
    for step in range(64):
        found = known.get(objgen) if known is not None else None
        if found is not None and step + found[0] < 64:  # that walk ended within this one's 64 steps
            return _known(known, path, step + found[0], found[1])
        if renamed is not None and objgen not in renamed and _prefix_ids(node, renamed, number) and noted is not None:
            noted[0].append((noted[1], noted[2], step))
        if objgen in tops:
            return _known(known, path + [objgen], step, True)
        parent = node.get("/P")
        parent_objgen = parent.objgen if parent is not None else None
        if parent is None or parent_objgen == stop:
            return _known(known, path + [objgen], step, False)
        path.append(objgen)
        node, objgen = parent, parent_objgen
    return False


def _known(known: dict | None, path: list, end: int, answer: bool) -> bool:
    """Note the walk's answer for the elements on its ``path`` (the one at index *i* is ``end`` − *i* steps from its end)."""
    if known is not None:
        for i, objgen in enumerate(path):
            if objgen != (0, 0):  # a direct object has no identity of its own
                known[objgen] = (end - i, answer)
    return answer


def _prefix_ids(node, renamed: dict, number: int) -> bool:
    """Whether the node had ids to prefix (the first time it is met)."""
    if node.objgen in renamed:
        return False
    renamed[node.objgen] = True
    changed = False
    if "/ID" in node:
        node.ID = pikepdf.String(f"u{number}-{node.ID}")
        changed = True
    attributes = node.get("/A")
    if isinstance(attributes, pikepdf.Dictionary) and "/Headers" in attributes:
        attributes.Headers = pikepdf.Array([pikepdf.String(f"u{number}-{h}") for h in attributes.Headers])
        changed = True
    return changed


_ARTIFACT_CONTENTS: dict[bytes, bytes] = {}
"""What :func:`_as_artifacts` made of a page's content, by its content and the marks: the same units' pages
are made artifacts again at every assembly (a chapter's segments, then the book, in print and on screen)
and at every build of ``ketab watch``."""
_ARTIFACT_BUDGET = 16 << 20
"""Bytes of content :data:`_ARTIFACT_CONTENTS` holds at most (the oldest go first)."""
_artifact_bytes = [0]


def _as_artifacts(pdf, page: pikepdf.Page, mcids: set) -> None:
    """Turn the marked content with these MCIDs on the page into pagination artifacts."""
    contents = page.obj.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    if not all(isinstance(stream, pikepdf.Stream) for stream in streams):
        page.obj.Contents = pdf.make_stream(_artifact_content(page, mcids))
        return
    key = hashlib.sha256(repr(sorted(mcids)).encode())
    for stream in streams:
        data = stream.read_bytes()
        key.update(len(data).to_bytes(8, "big") + data)
    found = _ARTIFACT_CONTENTS.get(key.digest())
    if found is None:
        found = _artifact_content(page, mcids)
        _ARTIFACT_CONTENTS[key.digest()] = found
        _artifact_bytes[0] += len(found)
        while _artifact_bytes[0] > _ARTIFACT_BUDGET and _ARTIFACT_CONTENTS:
            _artifact_bytes[0] -= len(_ARTIFACT_CONTENTS.pop(next(iter(_ARTIFACT_CONTENTS))))
    page.obj.Contents = pdf.make_stream(found)


def _artifact_content(page: pikepdf.Page, mcids: set) -> bytes:
    out = []
    for operands, op in pikepdf.parse_content_stream(page):
        if str(op) == "BDC" and len(operands) == 2 and isinstance(operands[1], pikepdf.Dictionary) and int(operands[1].get("/MCID", -1)) in mcids:
            operands = [pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name.Pagination)]
        out.append((operands, op))
    return pikepdf.unparse_content_stream(out)


def untag(pdf: pikepdf.Pdf) -> None:
    """No structure tree (the print PDF, the cover, the proof): the marks in the content stay, unread."""
    for key in ("/StructTreeRoot", "/MarkInfo"):
        if key in pdf.Root:
            del pdf.Root[key]
    for page in pdf.pages:
        for key in ("/StructParents", "/Tabs"):
            if key in page.obj:
                del page.obj[key]
        for annot in page.obj.get("/Annots", ()):
            if "/StructParent" in annot:
                del annot["/StructParent"]


def finish_screen(pdf: pikepdf.Pdf) -> None:
    """The screen PDF's identification as PDF/UA-1, once its pages and metadata are final."""
    if "/StructTreeRoot" not in pdf.Root:
        return
    pdf.Root.MarkInfo = pikepdf.Dictionary(Marked=True)
    preferences = pdf.Root.get("/ViewerPreferences")
    if preferences is None:
        pdf.Root.ViewerPreferences = preferences = pikepdf.Dictionary()
    preferences.DisplayDocTitle = True
    for page in pdf.pages:
        page.obj.Tabs = pikepdf.Name.S  # links in the order of the structure
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["pdfuaid:part"] = "1"

