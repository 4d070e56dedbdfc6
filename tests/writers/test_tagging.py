"""The screen PDF is tagged (PDF/UA-1): one structure tree made of the units', read in order,
with the furniture as artifacts; the print PDF is not tagged.

The tree is read back with pikepdf and with PDFium (pypdfium2: the structure tree per page, as a
reader builds it from ``StructParents`` and the ``ParentTree``), and listed by poppler's
``pdfinfo -struct``.
"""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess

import pikepdf
import pytest

from ketab.writers import print as print_writer
from ketab.writers import screen
from ketab.writers.target import Target


@pytest.fixture(scope="module")
def written(staged, tmp_path_factory):
    s = staged("persian-small")
    target = Target(s.templates, tmp_path_factory.mktemp("tagged"))
    printed = print_writer.write(s.book, s.layout, target, {})
    return s, printed, screen.write(s.book, s.layout, target, {"print": printed})


def _kids(element) -> list:
    kids = element.get("/K")
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []


def _text(element) -> str:
    if not isinstance(element, pikepdf.Dictionary):
        return ""
    if "/ActualText" in element:
        return str(element.ActualText)
    return "".join(_text(kid) for kid in _kids(element))


def _first(element, kind: str):
    for kid in _kids(element):
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/OBJR":
            if kid.get("/S") == kind:
                return kid
            found = _first(kid, kind)
            if found is not None:
                return found
    return None


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_one_tree_for_the_book_one_part_per_unit_in_reading_order(written):
    s, _, path = written
    with pikepdf.open(path) as pdf:
        (document,) = _kids(pdf.Root.StructTreeRoot)
        parts = _kids(document)
        assert document.S == "/Document" and [p.S for p in parts] == ["/Part"] * len(s.layout.units)
        body_titles = [_text(_first(part, "/H1")).strip() for part in parts[1:]]
        assert body_titles == [p.title.strip() for p in s.book.body]  # chapters, then the index
        front = _squash(_text(parts[0]))
        assert _squash(s.book.config.title) in front and _squash(s.book.front[0].title) in front


def test_every_mark_on_every_page_is_in_the_tree_or_an_artifact(written):
    """A page's runs are each in the ParentTree under that page's key and point back to the page;
    nothing is drawn outside marked content; the folios and running heads laid over the page
    are Artifacts, and the forms that draw them carry no marks a reader would look up."""
    _, _, path = written
    with pikepdf.open(path) as pdf:
        parent_tree = pdf.Root.StructTreeRoot.ParentTree.Nums
        entries = {int(parent_tree[i]): parent_tree[i + 1] for i in range(0, len(parent_tree), 2)}
        keys = [int(page.obj.StructParents) for page in pdf.pages if "/StructParents" in page.obj]
        assert len(keys) == len(set(keys)) > 0
        furniture = 0
        for page in pdf.pages:
            stack, runs = [], []
            for operands, op in pikepdf.parse_content_stream(page):
                op = str(op)
                if op in ("BDC", "BMC"):
                    stack.append(str(operands[0]))
                    if op == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]:
                        runs.append(int(operands[1].MCID))
                elif op == "EMC":
                    stack.pop()
                elif op in ("Tj", "TJ", "'", '"'):
                    assert stack, "text drawn outside marked content"
                elif op == "Do" and str(operands[0]).startswith("/KetabFurniture"):
                    assert stack == ["/Artifact"]
                    form = page.obj.Resources.XObject[str(operands[0])]
                    assert not [o for _, o in pikepdf.parse_content_stream(form) if str(o) in ("BDC", "BMC")]
                    furniture += 1
            if runs:
                by_mcid = entries[int(page.obj.StructParents)]
                for mcid in runs:
                    element = by_mcid[mcid]
                    assert isinstance(element, pikepdf.Dictionary) and element.Pg.objgen == page.obj.objgen
        assert furniture > 0


def test_the_running_heads_are_not_read(written):
    """Every chapter page's running head says the book's title or the chapter's: neither is in the
    chapters' text as the tree gives it (the book's title is only in the front matter's)."""
    s, _, path = written
    with pikepdf.open(path) as pdf:
        parts = _kids(_kids(pdf.Root.StructTreeRoot)[0])
        title = _squash(s.book.config.title)
        assert all(title not in _squash(_text(part)) for part in parts[1:])
        for part, body in zip(parts[1:], s.book.body):
            assert _squash(_text(part)).count(_squash(body.title)) == 1  # its heading only


def test_a_persian_paragraph_reads_as_the_manuscript_wrote_it(written):
    """Logical order and every ZWNJ (WeasyPrint draws RTL glyphs in visual order; the tree's
    ActualText is the run's text), read through PDFium's structure tree of each page."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    s, _, path = written
    source = (s.root / "chapters" / "03-long.md").read_text(encoding="utf-8").split("---", 2)[2]
    plain = [p for p in (re.sub(r"\[([^\]]+)\]\{\.idx\}", r"\1", p.strip()) for p in source.split("\n\n"))
             if len(p) > 200 and not re.search(r"[\[\]^*0-9]", p)]
    assert plain and all("\u200c" in p for p in plain)

    def text(element) -> str:
        n = raw.FPDF_StructElement_GetActualText(element, None, 0)
        if n > 2:
            buffer = ctypes.create_string_buffer(n)
            raw.FPDF_StructElement_GetActualText(element, buffer, n)
            return buffer.raw[: n - 2].decode("utf-16-le")
        kids = (raw.FPDF_StructElement_GetChildAtIndex(element, i) for i in range(raw.FPDF_StructElement_CountChildren(element)))
        return "".join(text(kid) for kid in kids if kid)

    def paragraphs(element):
        n = raw.FPDF_StructElement_GetType(element, None, 0)
        buffer = ctypes.create_string_buffer(n)
        raw.FPDF_StructElement_GetType(element, buffer, n)
        if buffer.raw[: n - 2].decode("utf-16-le") == "P":
            yield text(element)
            return
        for i in range(raw.FPDF_StructElement_CountChildren(element)):
            kid = raw.FPDF_StructElement_GetChildAtIndex(element, i)
            if kid:
                yield from paragraphs(kid)

    doc = pdfium.PdfDocument(str(path))
    read = []
    for page in doc:
        tree = raw.FPDF_StructTree_GetForPage(page.raw)
        for i in range(raw.FPDF_StructTree_CountChildren(tree)):
            read += list(paragraphs(raw.FPDF_StructTree_GetChildAtIndex(tree, i)))
        raw.FPDF_StructTree_Close(tree)
    squashed = [_squash(p) for p in read]
    joined = "".join(squashed)  # a paragraph across a page break is two P elements, one per page
    for paragraph in plain:
        assert _squash(paragraph) in joined
    assert any(" ".join(p.split()) in (" ".join(r.split()) for r in read) for p in plain)


def test_links_are_link_elements_with_their_annotation(written):
    _, _, path = written
    with pikepdf.open(path) as pdf:
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        entries = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        annotations = [a for page in pdf.pages for a in page.obj.get("/Annots", ()) if a.get("/Subtype") == "/Link"]
        assert annotations
        for annot in annotations:
            link = entries[int(annot.StructParent)]
            assert link.S == "/Link"
            assert any(isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR" and k.Obj.objgen == annot.objgen for k in _kids(link))
            assert str(annot.Contents).strip() and not str(annot.Contents).startswith("ketab-anchor:")


def test_the_screen_pdf_says_it_is_pdf_ua(written):
    s, _, path = written
    with pikepdf.open(path) as pdf:
        assert pdf.pdf_version == "1.7"
        assert pdf.Root.MarkInfo.Marked is True and pdf.Root.ViewerPreferences.DisplayDocTitle is True
        assert str(pdf.Root.Lang) == s.book.language.tag
        assert all(page.obj.Tabs == "/S" for page in pdf.pages)
        meta = pdf.open_metadata()
        assert meta["pdfuaid:part"] == "1" and meta["dc:title"] == s.book.config.title


def test_the_print_pdf_is_not_tagged(written):
    _, printed, _ = written
    with pikepdf.open(printed) as pdf:
        assert "/StructTreeRoot" not in pdf.Root and "/MarkInfo" not in pdf.Root
        assert not any("/StructParents" in page.obj for page in pdf.pages)


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils (pdfinfo) is not installed")
def test_poppler_lists_the_tree(written):
    s, _, path = written
    out = subprocess.run(["pdfinfo", "-struct", str(path)], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0] == "Document" and [line for line in lines if line.strip() == "Part"] == ["  Part"] * len(s.layout.units)
    assert sum(line.strip().startswith("H1") for line in lines) >= len(s.book.body)


def test_a_units_tagging_is_in_its_cache_key(tmp_path, monkeypatch):
    from ketab.layout import engine

    layouter = engine.Layouter(tmp_path, [tmp_path], jobs=1)
    try:
        key = layouter.key("<p>x</p>", "")
        monkeypatch.setattr(engine, "TAGGED", "")
        assert layouter.key("<p>x</p>", "") != key
    finally:
        layouter.close()


def _elements(element, kind: str):
    if not isinstance(element, pikepdf.Dictionary) or element.get("/Type") != "/StructElem":
        return
    if element.S == kind:
        yield element
    for kid in _kids(element):
        yield from _elements(kid, kind)


def test_each_note_is_a_note_element_right_after_its_call(written):
    """Not a NonStruct at the page's foot, between the halves of a paragraph: a Note with its id,
    inside the paragraph, after the element of its call (``::footnote-call``, whose text is the
    note's number, which the note's own text starts with)."""
    s, _, path = written
    expected = sum(len(re.findall(r'<span class="note"', p.converted.html)) for p in s.book.parts)
    with pikepdf.open(path) as pdf:
        notes = list(_elements(_kids(pdf.Root.StructTreeRoot)[0], "/Note"))
        assert len(notes) == expected > 0 and len({str(n.ID) for n in notes}) == len(notes)
        for note in notes:
            siblings = [k for k in _kids(note.P) if isinstance(k, pikepdf.Dictionary)]
            call = siblings[siblings.index(note) - 1]
            number = _squash(_text(call))
            assert number and _squash(_text(note)).startswith(number)
        assert all(n.P.S in ("/P", "/Span", "/LI", "/LBody") for n in notes)


def test_a_paragraph_a_page_break_splits_is_one_element(written):
    """WeasyPrint makes one element per page: the halves are joined, their runs in order."""
    s, _, path = written
    with pikepdf.open(path) as pdf:
        paragraphs = list(_elements(_kids(pdf.Root.StructTreeRoot)[0], "/P"))
        split = [p for p in paragraphs if len({k.Pg.objgen for k in _kids(p) if isinstance(k, pikepdf.Dictionary) and "/Pg" in k}) > 1]
        assert split  # the long chapter has paragraphs across pages
        for paragraph in split:
            pages = [k.Pg.objgen for k in _kids(paragraph) if isinstance(k, pikepdf.Dictionary) and "/Pg" in k]
            assert pages == sorted(pages, key=lambda g: [p.objgen for p in pdf.pages].index(g))
        texts = [" ".join(_text(p).split()) for p in paragraphs]
        source = (s.root / "chapters" / "03-long.md").read_text(encoding="utf-8").split("---", 2)[2]
        for paragraph in source.split("\n\n"):
            paragraph = re.sub(r"\[([^\]]+)\]\{\.idx\}", r"\1", paragraph.strip())
            if len(paragraph) > 200 and not re.search(r"[\[\]^*0-9]", paragraph):
                assert texts.count(" ".join(paragraph.split())) == 1


def _one_unit(tmp_path, html: str):
    """A unit laid out and written by ketab's engine, assembled alone: (the PDF, WeasyPrint's messages)."""
    import io
    from types import SimpleNamespace

    from ketab.layout.engine import Engine
    from ketab.writers import tagging

    rendered = Engine(tmp_path, [tmp_path]).render(html, "@page { size: A6 }")
    pdf_bytes, pages, messages = rendered[0], rendered[1], rendered[6]
    src = pikepdf.open(io.BytesIO(pdf_bytes))
    pdf = pikepdf.new()
    pdf.pages.extend(src.pages)
    tagging.merge_structure(pdf, [(SimpleNamespace(name="unit", first_page=0, unit=SimpleNamespace(pages=pages)), src)])
    out = tmp_path / "unit.pdf"
    pdf.save(out)
    return pikepdf.open(out), messages


def test_pictures_languages_and_hidden_captions(tmp_path):
    from PIL import Image

    Image.new("L", (20, 20), 0).save(tmp_path / "a.png")
    pdf, messages = _one_unit(tmp_path, (
        '<html lang="fa" dir="rtl"><body>'
        '<figure><img src="a.png" alt="یک تصویر"><figcaption aria-hidden="true">یک تصویر</figcaption></figure>'
        '<figure><img src="a.png"><figcaption>شرح دوم</figcaption></figure>'
        '<p>نام <span class="latin" dir="ltr" lang="und-Latn">Lévy</span> و <span lang="fr">chef de guerre</span></p>'
        "</body></html>"))
    document = _kids(pdf.Root.StructTreeRoot)[0]
    figures = list(_elements(document, "/Figure"))
    assert [str(f.Alt) for f in figures] == ["یک تصویر", "شرح دوم"]  # the second from its caption
    assert any("alt" in m for m in messages)  # WeasyPrint's word on the picture without alt, for the author
    captions = list(_elements(document, "/Caption"))
    assert [_text(c).strip() for c in captions] == ["شرح دوم"]  # the hidden one is not read twice
    languages = {str(e.Lang): _text(e).strip() for e in _elements(document, "/Span") if "/Lang" in e}
    assert languages == {"und-Latn": "Lévy", "fr": "chef de guerre"}
    artifacts = [o for o, op in pikepdf.parse_content_stream(pdf.pages[0]) if str(op) == "BDC" and str(o[0]) == "/Artifact"]
    assert artifacts  # the hidden caption's text


def test_the_contents_is_a_toc_of_single_links(written):
    """TOC/TOCI, not a list; each entry one Link (not a link in a link in a link: ``a``, its
    ``::after``, the leader), read as the title and the page, without the leader's dots."""
    s, _, path = written
    with pikepdf.open(path) as pdf:
        front = _kids(_kids(pdf.Root.StructTreeRoot)[0])[0]
        (toc,) = list(_elements(front, "/TOC"))
        entries = list(_elements(toc, "/TOCI"))
        assert len(entries) == len(s.book.parts) and not list(_elements(toc, "/L"))
        links = list(_elements(_kids(pdf.Root.StructTreeRoot)[0], "/Link"))
        assert all(not list(_elements(kid, "/Link")) for link in links for kid in _kids(link))
        for entry, part in zip(entries, s.book.parts):
            (link,) = list(_elements(entry, "/Link"))
            read = " ".join(_text(link).split())
            assert read.startswith(part.title.strip()) or part.title.strip() in read
            assert ". ." not in read and read.split()[-1] != "."  # the leader's dots are not read


def test_a_part_laid_out_in_two_units_is_one_part(tmp_path):
    """Units of one part (consecutive, one name: a chapter laid out in pieces) make one Part, in order."""
    import io
    from types import SimpleNamespace

    from ketab.layout.engine import Engine
    from ketab.writers import tagging

    engine = Engine(tmp_path, [tmp_path])
    pdf, units, first = pikepdf.new(), [], 0
    for name, text in (("ch-1", "یک"), ("ch-1", "دو"), ("ch-2", "سه")):
        data, pages, *_ = engine.render(f'<html lang="fa" dir="rtl"><body><p>{text}</p></body></html>', "@page { size: A6 }")
        src = pikepdf.open(io.BytesIO(data))
        pdf.pages.extend(src.pages)
        units.append((SimpleNamespace(name=name, first_page=first, unit=SimpleNamespace(pages=pages)), src))
        first += pages
    tagging.merge_structure(pdf, units)
    parts = _kids(_kids(pdf.Root.StructTreeRoot)[0])
    assert [[_text(p).strip() for p in _elements(part, "/P")] for part in parts] == [["یک", "دو"], ["سه"]]
    assert [int(page.obj.StructParents) for page in pdf.pages] == [0, 1, 2]


def test_a_chapter_laid_out_in_segments_keeps_its_tree(tmp_path):
    """segments.concatenate (a chapter's segments made one unit) merges their trees: one Part,
    every page's runs in it, in order."""
    import io

    from ketab.layout import segments
    from ketab.layout.engine import Engine

    engine = Engine(tmp_path, [tmp_path])
    pieces = [engine.render(f'<html lang="fa" dir="rtl"><body><p>{text}</p></body></html>', "@page { size: A6 }")[0]
              for text in ("نخست", "دوم", "سوم")]
    unit = pikepdf.open(io.BytesIO(segments.concatenate(pieces)))
    (part,) = _kids(_kids(unit.Root.StructTreeRoot)[0])
    assert [_text(p).strip() for p in _elements(part, "/P")] == ["نخست", "دوم", "سوم"]
    assert [int(page.obj.StructParents) for page in unit.pages] == [0, 1, 2]


def test_the_print_pdf_is_assembled_without_the_tree_and_draws_the_same_pages(written):
    """The print PDF drops the structure tree, so it is assembled without it (a book's tree is most of its
    objects: the press conversion and the font merge do not hold it); its pages draw exactly what the
    tagged assembly's do — the marks the units' margin boxes made outside their trees are artifacts
    in both."""
    s = written[0]
    pagination, signature = s.layout.pagination, s.book.config.signature
    noted: dict = {}
    tagged = print_writer.assemble_pdf(s.book, pagination, signature, artifacts=noted)
    assert noted  # the front matter's folios, drawn by its margin boxes
    # the artifacts read from each unit's tree, or as the tagged assembly noted them (the print writer)
    for plain in (print_writer.assemble_pdf(s.book, pagination, signature, structure=False),
                  print_writer.assemble_pdf(s.book, pagination, signature, structure=False, artifacts=noted)):
        assert "/StructTreeRoot" in tagged.Root and "/StructTreeRoot" not in plain.Root
        assert len(plain.objects) < len(tagged.objects) / 2
        assert len(plain.pages) == len(tagged.pages)
        artifacts = 0
        for one, two in zip(tagged.pages, plain.pages):
            drawn = pikepdf.unparse_content_stream(pikepdf.parse_content_stream(two))
            assert pikepdf.unparse_content_stream(pikepdf.parse_content_stream(one)) == drawn
            artifacts += drawn.count(b"/Artifact")
        assert artifacts > 0


def test_the_walk_to_the_units_tree_answers_the_same_with_what_earlier_walks_found():
    """Each element's walk up to the unit's top elements stops at 64 steps: an element deeper than that is
    not in the tree even when its parent is, and the table header ids met on the way are prefixed alike —
    whether or not earlier walks (``known``) went part of the way."""
    import random

    from ketab.writers.tagging import _in_tree

    def chain(pdf, depth):
        top = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.Sect, ID=pikepdf.String("top")))
        nodes = [top]
        for level in range(depth):
            nodes.append(pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.Span, P=nodes[-1], ID=pikepdf.String(f"n{level}"))))
        orphan = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.Span))  # built outside the tree
        return top, nodes + [pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.Span, P=orphan))]

    for seed in range(5):
        answers = []
        for known in (None, {}):
            pdf = pikepdf.new()
            top, nodes = chain(pdf, 80)
            order = list(range(len(nodes)))
            random.Random(seed).shuffle(order)
            renamed: dict = {}
            got = [(i, _in_tree(nodes[i], {top.objgen}, None, renamed, 3, known)) for i in order]
            answers.append((got, [str(node.get("/ID", "")) for node in nodes]))
        assert answers[0] == answers[1]
        got = dict(answers[0][0])
        assert got[63] and not got[64] and not got[len(got) - 1]


def test_marks_made_artifacts_are_those_asked_for_on_pages_of_the_same_content():
    """What a page's content became is kept by its content and the marks: the same content asked with
    other marks (another build's tree) is made again, not served from the first."""
    from ketab.writers.tagging import _as_artifacts

    content = b"/P <</MCID 0>> BDC BT (a) Tj ET EMC /P <</MCID 1>> BDC BT (b) Tj ET EMC"
    pdf = pikepdf.new()
    results = []
    for mcids in ({0}, {1}, {0}):
        pdf.add_blank_page()
        page = pdf.pages[-1]
        page.obj.Contents = pdf.make_stream(content)
        _as_artifacts(pdf, page, mcids)
        results.append(page.obj.Contents.read_bytes())
    first, second, again = results
    assert first == again != second
    assert b"/MCID 1" in first and b"/MCID 0" not in first
    assert b"/MCID 0" in second and b"/MCID 1" not in second


def test_a_unit_merged_again_from_what_its_first_merge_found_is_merged_alike(tmp_path):
    """The second assembly of a unit (the next build of ketab watch, the print pass) replays what the first
    one's walks found — table header ids prefixed, a caption made a figure's alt, marks outside the tree
    made artifacts — and writes the bytes of a merge that walks again; another unit is walked, not replayed."""
    import io
    from types import SimpleNamespace

    from PIL import Image

    from ketab.layout.engine import Engine
    from ketab.writers import tagging

    Image.new("L", (20, 20), 0).save(tmp_path / "a.png")
    engine = Engine(tmp_path, [tmp_path])

    def unit(caption: str) -> tuple[bytes, int]:
        rendered = engine.render(
            '<html lang="fa" dir="rtl"><body><p>متن <a href="#t">پیوند</a></p>'
            f'<figure><img src="a.png"><figcaption>{caption}</figcaption></figure>'
            '<table id="t"><tr><th id="h1">سر</th></tr><tr><td headers="h1">خانه</td></tr></table>'
            "</body></html>", "@page { size: A6; @bottom-center { content: counter(page) } }")
        return rendered[0], rendered[1]

    def merged(data: bytes, pages: int, key) -> bytes:
        src = pikepdf.open(io.BytesIO(data))
        pdf = pikepdf.new()
        pdf.pages.extend(src.pages[:])
        placed = SimpleNamespace(name="unit", first_page=0, unit=SimpleNamespace(pages=pages))
        tagging.merge_structure(pdf, [(placed, src)], [key])
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()

    first, pages = unit("شرح")
    other, other_pages = unit("شرح دیگر")
    walked = merged(first, pages, None)
    assert merged(first, pages, b"first") == walked  # walks, and keeps what it found
    assert merged(first, pages, b"first") == walked  # replays it
    with pikepdf.open(io.BytesIO(merged(other, other_pages, b"other"))) as pdf:
        figure = next(_elements(_kids(pdf.Root.StructTreeRoot)[0], "/Figure"))
        assert str(figure.Alt) == "شرح دیگر"
    with pikepdf.open(io.BytesIO(walked)) as pdf:
        document = _kids(pdf.Root.StructTreeRoot)[0]
        assert str(next(_elements(document, "/Figure")).Alt) == "شرح"
        ids = [str(h.ID) for h in _elements(document, "/TH") if "/ID" in h]
        assert ids and all(i.startswith("u0-") for i in ids), ids  # ids are per unit: the unit's prefix
