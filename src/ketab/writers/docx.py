"""The review copy in Word: ``<out>/<slug>.docx``.

Written by pandoc's docx writer from the chapters' own Markdown (so notes are real Word
footnotes and headings are Word's heading styles), with a reference document ketab makes
from pandoc's default one: right-to-left paragraphs and runs (``w:bidi``, ``w:rtl``), the
book's faces for complex script (``w:cs``) and Latin alike, the book's language for
spell-checking.  The result is then finished with lxml: each chapter is a section of its
own (a new page, footnotes numbered from 1 as in the book), line numbers restart on each
page for references during review, and the book's fonts are embedded so Word and
LibreOffice show them on machines that do not have them.
"""

from __future__ import annotations

import copy
import io
import json
import subprocess
import uuid
import zipfile
from pathlib import Path

import pypandoc
from lxml import etree

from ketab.assemble import Book
from ketab.convert import PANDOC_FROM  # the chapters are read as the build reads them
from ketab.outputs import atomic_write
from ketab.persian import dates as pdates
from ketab.writers import docx_markup as A

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"w": W, "r": R}
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
BODY_FONT, HEADING_FONT = "Parastoo", "Vazirmatn"
EMBED = {
    # font name → (regular, bold) under templates/fonts
    BODY_FONT: ("parastoo/Parastoo.ttf", "parastoo/Parastoo-Bold.ttf"),
    HEADING_FONT: ("vazirmatn/Vazirmatn-Regular.ttf", "vazirmatn/Vazirmatn-Bold.ttf"),
}
RESTART = "continuous"
"""Footnotes numbered through the copy: LibreOffice 7.4 prints 0 for every note after the first of a section under eachSect."""
A4 = (11906, 16838)  # twentieths of a point


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def pandoc() -> str:
    return pypandoc.get_pandoc_path()


def write(book: Book, layout, target, written: dict) -> Path:
    """The review copy (made from the Markdown: it needs no print layout)."""
    return write_docx(book, target.templates, target.out_dir)


def write_docx(book: Book, templates: Path, out_dir: Path) -> Path:
    """Write ``<slug>.docx``, the review copy of the book's written chapters."""
    lang = book.language
    style = pdates.DateStyle.for_language(lang.tag)

    def gloss(text, kind):
        try:
            return pdates.render_date(text, kind, style).gloss
        except pdates.DateError:
            return None

    blocks = []
    for part in book.parts:
        ch = part.converted.chapter
        if ch.generate:
            continue  # the contents, index and other generated parts are not edited in Word
        ast = _markdown_ast(ch.body)
        title = A.text_inlines(ch.title) + [A.span(A.text_inlines(ch.rel), attrs=[("custom-style", A.STYLE_CHAPTER)])]
        blocks.append({"t": "Header", "c": [1, ["", [], []], title]})
        if ch.subtitle:
            blocks.append(_styled_para(ch.subtitle, A.STYLE_SUBTITLE))
        byline = _byline(book, ch)
        if byline:
            blocks.append(_styled_para(byline, A.STYLE_BYLINE))
        blocks += A.map_inlines(ast["blocks"], A.export_inlines(gloss))
    meta = {
        "title": _meta(book.config.title),
        "lang": _meta(lang.tag),
        "dir": _meta(lang.direction),
    }
    if book.config.subtitle:
        meta["subtitle"] = _meta(book.config.subtitle)
    if book.config.creators:
        meta["author"] = {"t": "MetaList", "c": [_meta(c.name) for c in book.config.creators if c.role != "publisher"]}
    if book.config.date:
        meta["date"] = _meta(book.config.date)
    doc = {"pandoc-api-version": ast_version(), "meta": meta, "blocks": blocks}
    reference = reference_docx(book, templates)
    root = book.config.path.parent
    with _temporary(out_dir, reference) as ref_path:
        data = subprocess.run(
            [pandoc(), "-f", "json", "-t", "docx", "-o", "-", f"--reference-doc={ref_path}", f"--resource-path={root}"],
            input=json.dumps(doc).encode(), capture_output=True, check=True,
        ).stdout
    path = Path(out_dir) / f"{book.config.slug}.docx"
    atomic_write(path, finish(data, book, templates))
    return path


def _byline(book, ch) -> str:
    labels = book.language.labels
    bits = []
    if ch.author:
        bits.append(f"{labels.roles['author']}: {ch.author}")
    if ch.translator:
        bits.append(f"{labels.translator_of}: {ch.translator}")
    return " · ".join(bits)


def _styled_para(text: str, style: str) -> dict:
    return {"t": "Div", "c": [["", [], [["custom-style", style]]], [{"t": "Para", "c": A.text_inlines(text)}]]}


def _meta(text: str) -> dict:
    return {"t": "MetaInlines", "c": A.text_inlines(text)}


_AST_VERSION = None


def ast_version():
    global _AST_VERSION
    if _AST_VERSION is None:
        _AST_VERSION = _markdown_ast("x")["pandoc-api-version"]
    return _AST_VERSION


def _markdown_ast(markdown: str) -> dict:
    out = subprocess.run([pandoc(), "-f", PANDOC_FROM, "-t", "json"], input=markdown.encode(), capture_output=True, check=True).stdout
    return json.loads(out)


class _temporary:
    def __init__(self, folder: Path, data: bytes):
        self.path = Path(folder) / f".reference-{uuid.uuid4().hex}.docx.tmp"
        self.data = data

    def __enter__(self):
        self.path.write_bytes(self.data)
        return self.path

    def __exit__(self, *exc):
        self.path.unlink(missing_ok=True)


# --- the reference document ---------------------------------------------------------


def reference_docx(book: Book, templates: Path) -> bytes:
    """pandoc's default reference.docx with ketab's styles: direction, fonts, language, sizes."""
    base = subprocess.run([pandoc(), "--print-default-data-file", "reference.docx"], capture_output=True, check=True).stdout
    src = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/styles.xml":
                data = _styles(data, book)
            dst.writestr(info, data)
    return out.getvalue()


def _styles(data: bytes, book: Book) -> bytes:
    lang = book.language
    rtl = lang.is_rtl
    root = etree.fromstring(data)
    rpr_default = root.find("w:docDefaults/w:rPrDefault/w:rPr", NS)
    _fonts(rpr_default, BODY_FONT)
    for el in rpr_default.findall("w:lang", NS):
        rpr_default.remove(el)
    if rtl:
        _set(rpr_default, "lang", {"val": "en-US", "bidi": lang.tag})
    else:
        _set(rpr_default, "lang", {"val": lang.tag, "bidi": "fa-AF"})
    _set(rpr_default, "sz", {"val": "24"})
    _set(rpr_default, "szCs", {"val": "28"})
    ppr_default = root.find("w:docDefaults/w:pPrDefault/w:pPr", NS)
    if rtl:
        ppr_default.insert(0, etree.Element(_w("bidi")))
    for style in root.findall("w:style", NS):
        sid = style.get(_w("styleId"))
        rpr = style.find("w:rPr", NS)
        if sid.startswith("Heading") or sid in ("Title", "Subtitle", "TitleChar", "SubtitleChar", "TOCHeading"):
            if rpr is None:
                rpr = etree.SubElement(style, _w("rPr"))
            _fonts(rpr, HEADING_FONT)
            for color in rpr.findall("w:color", NS):
                rpr.remove(color)
        if sid in ("BodyText", "FirstParagraph", "FootnoteText"):
            ppr = style.find("w:pPr", NS)
            if ppr is None:
                ppr = etree.SubElement(style, _w("pPr"))
                style.insert(list(style).index(ppr), ppr)
            _set(ppr, "jc", {"val": "both"})
            if rtl:
                ppr.insert(0, etree.Element(_w("bidi")))
        if sid == "FootnoteText" and rpr is not None:
            _set(rpr, "szCs", {"val": "22"})
    for name, vanish, color in ((A.STYLE_SHAMSI, False, None), (A.STYLE_MILADI, False, None), (A.STYLE_GLOSS, False, "7F7F7F"),
                                (A.STYLE_INDEX, False, None), (A.STYLE_INDEX_ENTRY, True, None), (A.STYLE_ANCHOR, False, None),
                                (A.STYLE_ANCHOR_ID, True, None), (A.STYLE_CHAPTER, True, None)):
        _character_style(root, name, vanish, color)
    for name, size in ((A.STYLE_SUBTITLE, "30"), (A.STYLE_BYLINE, "22")):
        _paragraph_style(root, name, size, rtl)
    line = _character_style(root, "line number", False, "7F7F7F", style_id="LineNumber")
    _fonts(line.find("w:rPr", NS), HEADING_FONT)
    _set(line.find("w:rPr", NS), "sz", {"val": "16"})
    _set(line.find("w:rPr", NS), "szCs", {"val": "16"})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _fonts(rpr, font: str) -> None:
    for el in rpr.findall("w:rFonts", NS):
        rpr.remove(el)
    rpr.insert(0, etree.Element(_w("rFonts"), {_w("ascii"): font, _w("hAnsi"): font, _w("cs"): font, _w("eastAsia"): font}))


def _set(parent, tag: str, attrs: dict) -> None:
    for el in parent.findall(f"w:{tag}", NS):
        parent.remove(el)
    etree.SubElement(parent, _w(tag), {_w(k): v for k, v in attrs.items()})


def _character_style(root, name: str, vanish: bool, color: str | None, style_id: str | None = None):
    style = etree.SubElement(root, _w("style"), {_w("type"): "character", _w("customStyle"): "1", _w("styleId"): style_id or name.title().replace(" ", "")})
    etree.SubElement(style, _w("name"), {_w("val"): name})
    etree.SubElement(style, _w("basedOn"), {_w("val"): "DefaultParagraphFont"})
    rpr = etree.SubElement(style, _w("rPr"))
    if color:
        etree.SubElement(rpr, _w("color"), {_w("val"): color})
    if vanish:
        etree.SubElement(rpr, _w("vanish"))
    return style


def _paragraph_style(root, name: str, size: str, rtl: bool):
    style = etree.SubElement(root, _w("style"), {_w("type"): "paragraph", _w("customStyle"): "1", _w("styleId"): name.title().replace(" ", "")})
    etree.SubElement(style, _w("name"), {_w("val"): name})
    etree.SubElement(style, _w("basedOn"), {_w("val"): "BodyText"})
    etree.SubElement(style, _w("next"), {_w("val"): "BodyText"})
    ppr = etree.SubElement(style, _w("pPr"))
    if rtl:
        etree.SubElement(ppr, _w("bidi"))
    etree.SubElement(ppr, _w("jc"), {_w("val"): "start" if False else "left" if not rtl else "right"})
    rpr = etree.SubElement(style, _w("rPr"))
    _fonts(rpr, HEADING_FONT)
    etree.SubElement(rpr, _w("color"), {_w("val"): "595959"})
    etree.SubElement(rpr, _w("sz"), {_w("val"): size})
    etree.SubElement(rpr, _w("szCs"), {_w("val"): size})
    return style


# --- finishing: sections, line numbers, embedded fonts ----------------------------------


def finish(data: bytes, book: Book, templates: Path) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    files = {info.filename: src.read(info.filename) for info in src.infolist()}
    files["word/document.xml"] = _sections(files["word/document.xml"], book)
    _embed_fonts(files, templates)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(files, key=lambda n: (n != "[Content_Types].xml", n)):
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, files[name])
    return out.getvalue()


def _section_properties(book: Book) -> etree._Element:
    """A section: A4, footnotes numbered from 1, line numbers restarting on each page, RTL."""
    sect = etree.Element(_w("sectPr"))
    fn = etree.SubElement(sect, _w("footnotePr"))
    etree.SubElement(fn, _w("numFmt"), {_w("val"): "decimal"})
    etree.SubElement(fn, _w("numStart"), {_w("val"): "1"})
    etree.SubElement(fn, _w("numRestart"), {_w("val"): RESTART})
    etree.SubElement(sect, _w("type"), {_w("val"): "nextPage"})
    etree.SubElement(sect, _w("pgSz"), {_w("w"): str(A4[0]), _w("h"): str(A4[1])})
    etree.SubElement(sect, _w("pgMar"), {_w(k): v for k, v in
                                         dict(top="1418", right="1701", bottom="1418", left="1701", header="709", footer="709", gutter="0").items()})
    etree.SubElement(sect, _w("lnNumType"), {_w("countBy"): "1", _w("restart"): "newPage", _w("distance"): "340"})
    etree.SubElement(sect, _w("pgNumType"), {_w("fmt"): "decimal"})
    if book.language.is_rtl:
        etree.SubElement(sect, _w("bidi"))
    return sect


def _sections(xml: bytes, book: Book) -> bytes:
    """Each chapter (a Heading 1) starts a section: a new page, its own footnote numbers."""
    root = etree.fromstring(xml)
    body = root.find("w:body", NS)
    template = _section_properties(book)
    for old in body.findall("w:sectPr", NS):
        body.remove(old)
    headings = [p for p in body.findall("w:p", NS) if p.find("w:pPr/w:pStyle[@w:val='Heading1']", NS) is not None]
    for heading in headings:
        previous = heading.getprevious()
        while previous is not None and previous.tag != _w("p"):
            previous = previous.getprevious()
        if previous is None:
            continue
        ppr = previous.find("w:pPr", NS)
        if ppr is None:
            ppr = etree.Element(_w("pPr"))
            previous.insert(0, ppr)
        ppr.append(copy.deepcopy(template))
    body.append(copy.deepcopy(template))
    if book.language.is_rtl:
        for p in body.iter(_w("p")):  # the title block too (pandoc marks only the text's paragraphs)
            _bidi(p)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


_AFTER_BIDI = {_w(t) for t in ("adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap",
                               "jc", "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
                               "sectPr", "pPrChange")}


def _bidi(p) -> None:
    """``w:bidi`` in its place in the paragraph's properties (the schema fixes the order)."""
    ppr = p.find("w:pPr", NS)
    if ppr is None:
        ppr = etree.Element(_w("pPr"))
        p.insert(0, ppr)
    if ppr.find("w:bidi", NS) is not None:
        return
    later = next((i for i, child in enumerate(ppr) if child.tag in _AFTER_BIDI), len(ppr))
    ppr.insert(later, etree.Element(_w("bidi")))


def _embed_fonts(files: dict, templates: Path) -> None:
    """The book's faces embedded the way Word does it (obfuscated TrueType, ECMA-376 §17.8.1)."""
    rels_name = "word/_rels/fontTable.xml.rels"
    table = etree.fromstring(files["word/fontTable.xml"])
    rels = etree.Element(f"{{{PKG_RELS}}}Relationships", nsmap={None: PKG_RELS})
    n = 0
    for font_name, (regular, bold) in EMBED.items():
        font = next((f for f in table.findall("w:font", NS) if f.get(_w("name")) == font_name), None)
        if font is None:
            font = etree.SubElement(table, _w("font"), {_w("name"): font_name})
            etree.SubElement(font, _w("charset"), {_w("val"): "00"})
            etree.SubElement(font, _w("family"), {_w("val"): "auto"})
            etree.SubElement(font, _w("pitch"), {_w("val"): "variable"})
        for kind, rel in (("embedRegular", regular), ("embedBold", bold)):
            n += 1
            key = uuid.UUID(int=(0x4B455441 << 96) | n)  # a fixed key per font: the same book gives the same bytes
            guid = "{" + str(key).upper() + "}"
            part = f"fonts/font{n}.odttf"
            files[f"word/{part}"] = _obfuscate((templates / "fonts" / rel).read_bytes(), key)
            rid = f"rIdFont{n}"
            etree.SubElement(rels, f"{{{PKG_RELS}}}Relationship",
                             {"Id": rid, "Type": "http://schemas.openxmlformats.org/officeDocument/2006/relationships/font", "Target": part})
            etree.SubElement(font, _w(kind), {f"{{{R}}}id": rid, _w("fontKey"): guid})
    files["word/fontTable.xml"] = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)
    files[rels_name] = etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True)
    types = files["[Content_Types].xml"].decode()
    if 'Extension="odttf"' not in types:
        types = types.replace("<Default ", '<Default Extension="odttf" ContentType="application/vnd.openxmlformats-officedocument.obfuscatedFont" /><Default ', 1)
    files["[Content_Types].xml"] = types.encode()
    settings = etree.fromstring(files["word/settings.xml"])
    if settings.find("w:embedTrueTypeFonts", NS) is None:
        settings.insert(0, etree.Element(_w("embedTrueTypeFonts")))
    files["word/settings.xml"] = etree.tostring(settings, xml_declaration=True, encoding="UTF-8", standalone=True)


def _obfuscate(data: bytes, key: uuid.UUID) -> bytes:
    """XOR the first 32 bytes with the key's bytes in reverse order of its string form."""
    hexkey = str(key).replace("-", "")
    kb = bytes.fromhex(hexkey)[::-1]
    head = bytes(b ^ kb[i % 16] for i, b in enumerate(data[:32]))
    return head + data[32:]
