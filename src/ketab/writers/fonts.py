"""One font program per face file in the print PDF.

Each layout unit embeds its own subsets of the book's faces (same subset tag, other glyphs):
a RIP that caches fonts by name prints wrong glyphs.  WeasyPrint keeps glyph ids in its
subsets, so the subsets of one face file (one tag: :func:`file_tag`) merge into one program.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
from decimal import Decimal

import pikepdf


def _fmt(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


_TAG = re.compile(r"^/?[A-Z]{6}\+")


def _face_name(font) -> str:
    return _TAG.sub("", str(font.BaseFont))


def file_tag(data: bytes, index: int = 0) -> str:
    """The last three letters of the subset tag of every subset WeasyPrint makes of the font file ``data``
    (face ``index``): the tag names the file (:mod:`ketab.layout.weasyfix`, "font-file")."""
    inner = hashlib.md5(hashlib.md5(data, usedforsecurity=False).digest() + b"#%d" % index, usedforsecurity=False)
    return "".join(chr(65 + b % 26) for b in inner.digest()[:3])


def originals(paths) -> dict[str, tuple[bytes, int]]:
    """The font files at ``paths`` (a WOFF2 file as the TrueType bytes WeasyPrint was given) by the tag
    their subsets carry (:func:`file_tag`); a tag two files share names neither."""
    from ketab.fonts import unpacked

    found: dict[str, tuple[bytes, int] | None] = {}
    for path in paths:
        try:
            data = unpacked(path) or _read_font(path)
        except OSError:
            continue
        if data is None or data[:4] == b"ttcf" or any(_has_table(data, t) for t in _REWRITTEN):
            continue  # a collection, or a file WeasyPrint rewrites: its subsets are merged glyph by glyph
        tag = file_tag(data)
        found[tag] = None if tag in found and found[tag][0] != data else (data, 0)
    return {tag: file for tag, file in found.items() if file is not None}


_REWRITTEN = (b"fvar", b"CBDT", b"SVG ", b"COLR", b"sbix")
"""Tables of a font whose subsets WeasyPrint makes of another font (an instance of a variable font; a colour
font without its pictures)."""


def _has_table(data: bytes, tag: bytes) -> bool:
    count = struct.unpack(">H", data[4:6])[0] if len(data) >= 12 else 0
    return any(data[12 + 16 * i: 16 + 16 * i] == tag for i in range(count))


def _read_font(path) -> bytes | None:
    data = path.read_bytes()
    if data[:4] != b"wOF2":
        return data
    from fontTools.ttLib import woff2

    out = io.BytesIO()
    woff2.decompress(io.BytesIO(data), out)  # as ketab.fonts.unpack_web_fonts does for a build
    return out.getvalue()


def merge_fonts(pdf: pikepdf.Pdf, files: dict[str, tuple[bytes, int]] | None = None) -> int:
    """One font program per face file: the units' subsets of a face merged into one.

    The subsets of one file have one tag (:func:`file_tag`); a face name whose subsets come from two files
    (a face split by unicode-range) is merged per file, each under a name of its own.  A file among
    ``files`` (:func:`originals`) is cut to the glyphs its subsets draw (:mod:`ketab.writers.hbsubset`);
    the subsets of another are merged glyph by glyph.  Returns the number of font programs afterwards."""
    faces: dict[str, dict[str, dict]] = {}  # face name → subset tag → the fonts of that subset tag
    for font in _fonts_in_use(pdf):
        if font.get("/Subtype") == "/Type0":
            descendant = font.DescendantFonts[0]
            if descendant.get("/Subtype") == "/CIDFontType2" and "/FontFile2" in descendant.FontDescriptor:
                tag = str(font.BaseFont)[1:7]
                faces.setdefault(_face_name(font), {}).setdefault(tag, {})[font.objgen] = font
    replacement: dict = {}
    for face, tags in sorted(faces.items()):
        for k, (tag, fonts) in enumerate(sorted(tags.items())):
            base = _merge_face(pdf, face if k == 0 else f"{face}-{k + 1}", list(fonts.values()), (files or {}).get(tag[3:]))
            for objgen in fonts:
                replacement[objgen] = base
    _replace_font_references(pdf, replacement)
    return len({f.objgen for f in replacement.values()})


def _merge_face(pdf: pikepdf.Pdf, face: str, unique: list, original: tuple[bytes, int] | None = None):
    """The font dictionary that draws every font of ``unique`` (one face file's subsets): the first, its
    program, widths, Unicode map and encoding made the union of all.  ``original``: the face's font file."""
    from ketab.writers import hbsubset

    base = unique[0]
    if len(unique) == 1:
        if face != _face_name(base):  # a second file's only subset: renamed
            name = pikepdf.Name(f"/{str(base.BaseFont)[1:7]}+{face}")
            base.BaseFont = base.DescendantFonts[0].BaseFont = base.DescendantFonts[0].FontDescriptor.FontName = name
        return base
    widths: dict[int, float] = {}
    to_unicode: dict[int, str] = {}
    for f in unique:
        widths.update(_read_widths(f.DescendantFonts[0].get("/W")))
        if "/ToUnicode" in f:
            to_unicode.update(_read_to_unicode(f.ToUnicode.read_bytes()))
    merged_bytes = hbsubset.subset(original[0], original[1], widths) if original is not None else None
    if merged_bytes is None:
        from fontTools.ttLib import TTFont

        programs = [TTFont(io.BytesIO(f.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes())) for f in unique]
        limits = [max(_read_widths(f.DescendantFonts[0].get("/W")) or [None]) for f in unique]  # the last glyph each unit draws
        merged_bytes = _merge_programs(programs, limits)
    tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(merged_bytes).digest()[:6])
    name = pikepdf.Name(f"/{tag}+{face}")
    descendant = base.DescendantFonts[0]
    descriptor = descendant.FontDescriptor
    stream = pdf.make_stream(merged_bytes)
    stream.Length1 = len(merged_bytes)
    descriptor.FontFile2 = stream
    descriptor.FontName = name
    descriptor.FontBBox = _union_bbox([f.DescendantFonts[0].FontDescriptor.FontBBox for f in unique])
    descendant.BaseFont = name
    descendant.W = _write_widths(widths)
    base.BaseFont = name
    base.ToUnicode = pdf.make_stream(_write_to_unicode(to_unicode))
    base.Encoding = _merged_encoding(pdf, unique, set(widths) | set(to_unicode))
    return base


def _merged_encoding(pdf: pikepdf.Pdf, fonts: list, codes: set[int]):
    """The encoding of the merged font: Identity-H, unless a unit drew characters its font lacks — WeasyPrint
    then gives them codes past the font's glyphs and an encoding that maps them to .notdef, and maps only
    the codes that unit shows: kept as the merged font's, it drew every other unit's other letters as .notdef."""
    notdef: set[int] = set()
    for font in fonts:
        encoding = font.get("/Encoding")
        if isinstance(encoding, pikepdf.Stream):
            notdef.update(code for code, cid in _read_cid_map(encoding.read_bytes()).items() if cid == 0 and code)
    if not notdef:
        return pikepdf.Name("/Identity-H")
    stream = pdf.make_stream(_write_cid_map({code: 0 if code in notdef else code for code in codes}))
    stream.Type = pikepdf.Name.CMap
    stream.CMapName = pikepdf.Name("/WP-Encod-0")
    stream.CIDSystemInfo = pikepdf.Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0)
    return stream


def _fonts_in_use(pdf):
    for resources in _all_resources(pdf):
        for font in (resources.get("/Font") or {}).values():
            yield font


def _all_resources(pdf):
    seen = set()
    stack = [page.obj.get("/Resources") for page in pdf.pages]
    while stack:
        resources = stack.pop()
        if resources is None:
            continue
        if resources.is_indirect:  # a direct dictionary belongs to one page or form: no cycle
            if resources.objgen in seen:
                continue
            seen.add(resources.objgen)
        yield resources
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
                stack.append(xobject.Resources)


def _replace_font_references(pdf, replacement: dict) -> None:
    for resources in _all_resources(pdf):
        fonts = resources.get("/Font")
        if fonts is None:
            continue
        for key in list(fonts.keys()):
            target = replacement.get(fonts[key].objgen)
            if target is not None and target.objgen != fonts[key].objgen:
                fonts[key] = target


def _contours(glyph) -> int:
    """A glyph's ``numberOfContours`` (-1: composite) read from its header, without decoding its outline
    (fontTools decodes a glyph when the table is indexed: every glyph of every unit's subset was decoded,
    most of them to be dropped — the merge's cost)."""
    data = glyph.__dict__.get("data")
    if data is None:
        return glyph.numberOfContours
    return struct.unpack(">h", data[:2])[0] if len(data) >= 2 else 0


def _merge_programs(programs, limits=None) -> bytes:
    """Merge TrueType subsets that keep the original glyph ids: glyph by glyph.

    ``limits``: per program, the last glyph id its unit draws (None: unknown).  WeasyPrint's subsets
    keep the ids of the glyphs a unit draws, but not of the components of its composite glyphs that lie
    past the last one drawn: HarfBuzz's second subsetting pass renumbers them, so glyph 1281 of one unit
    is not glyph 1281 of another (the components of «ی» and «گ» in Vazirmatn and Parastoo).  Such a
    private component is never merged by its id: each is appended after the shared ids (once per
    outline) and its composite pointed at it.  Only the glyphs kept are decoded."""
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    limits = list(limits) if limits is not None else [None] * len(programs)
    count = max(p["maxp"].numGlyphs for p in programs)
    base = max(programs, key=lambda p: sum(1 for g in p["glyf"].glyphs.values() if _contours(g)))
    order = [".notdef"] + [f"glyph{i:05d}" for i in range(1, count)]
    glyphs, metrics, composites = {}, {}, {}
    ranked = sorted(zip(programs, limits), key=lambda pl: pl[0] is not base)  # the base first, the others in order
    for program, limit in ranked:
        names = program.getGlyphOrder()
        table, hmtx = program["glyf"], program["hmtx"]
        for gid, name in enumerate(names[: None if limit is None else limit + 1]):
            new = order[gid]
            glyph = table.glyphs[name]
            if new in glyphs and _contours(glyphs[new]):
                continue
            if _contours(glyph) or new not in glyphs:
                glyph.expand(table)  # decoded with its own table (as indexing it would), before its font is dropped
                composites.pop(new, None)
                if glyph.isComposite():
                    refs = [program.getGlyphID(component.glyphName) for component in glyph.components]
                    for component, ref in zip(glyph.components, refs):
                        component.glyphName = order[ref]
                    composites[new] = (program, limit, refs)
                glyphs[new] = glyph
                metrics[new] = hmtx[name]
    _append_private_components(composites, glyphs, metrics, order)
    for name in order:
        if name not in glyphs:
            glyphs[name] = Glyph()
            metrics[name] = (0, 0)
    count = len(order)
    base.setGlyphOrder(order)
    glyf = base["glyf"]
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    base["hmtx"].metrics = metrics
    base["maxp"].numGlyphs = count
    base["post"].formatType = 3.0
    base["hhea"].numberOfHMetrics = count
    for tag in ("cmap", "GDEF", "GSUB", "GPOS", "MATH", "hdmx", "VDMX", "LTSH", "kern"):
        if tag in base:
            del base[tag]
    out = io.BytesIO()
    base.save(out, reorderTables=True)
    return out.getvalue()


def _append_private_components(composites: dict, glyphs: dict, metrics: dict, order: list) -> None:
    """Give every kept composite's private components (past its unit's last drawn id) ids of their own
    after the shared ones, one per distinct outline (see :func:`_merge_programs`)."""
    appended: dict[bytes, str] = {}
    for new, (program, limit, refs) in composites.items():
        if limit is None:
            continue
        table, names = program["glyf"], program.getGlyphOrder()
        for component, ref in zip(glyphs[new].components, refs):
            if ref <= limit:
                continue
            glyph = table[names[ref]]  # decoded: its outline names it
            outline = glyph.compile(table, recalcBBoxes=False) + repr(program["hmtx"][names[ref]]).encode()
            if glyph.isComposite():  # a component's components: merged by id (WeasyPrint's fonts have none)
                for inner in glyph.components:
                    inner.glyphName = order[program.getGlyphID(inner.glyphName)]
            if outline not in appended:
                appended[outline] = f"glyph{len(order):05d}"
                order.append(appended[outline])
                glyphs[appended[outline]] = glyph
                metrics[appended[outline]] = program["hmtx"][names[ref]]
            component.glyphName = appended[outline]


def _read_widths(array) -> dict[int, float]:
    widths: dict[int, float] = {}
    if array is None:
        return widths
    items = list(array)
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            for offset, w in enumerate(items[i + 1]):
                widths[first + offset] = float(w)
            i += 2
        else:
            last, w = int(items[i + 1]), float(items[i + 2])
            for cid in range(first, last + 1):
                widths[cid] = w
            i += 3
    return widths


def _write_widths(widths: dict[int, float]) -> pikepdf.Array:
    out = pikepdf.Array()
    run_start, run = None, []
    for cid in sorted(widths):
        if run and cid == run_start + len(run):
            run.append(widths[cid])
            continue
        if run:
            out.append(run_start)
            out.append(pikepdf.Array([Decimal(_fmt(w)) for w in run]))
        run_start, run = cid, [widths[cid]]
    if run:
        out.append(run_start)
        out.append(pikepdf.Array([Decimal(_fmt(w)) for w in run]))
    return out


_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")


def _utf16(hexdigits: bytes) -> str:
    return bytes.fromhex(hexdigits.decode()).decode("utf-16-be", errors="replace")


def _read_to_unicode(data: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in _BFCHAR.findall(data):
        values = _HEX.findall(block)
        for src, dst in zip(values[::2], values[1::2]):
            mapping[int(src, 16)] = _utf16(dst)
    for block in _BFRANGE.findall(data):
        for line in block.strip().splitlines():
            values = _HEX.findall(line)
            if len(values) == 3 and b"[" not in line:
                lo, hi, dst = int(values[0], 16), int(values[1], 16), _utf16(values[2])
                for offset, cid in enumerate(range(lo, hi + 1)):
                    mapping[cid] = dst[:-1] + chr(ord(dst[-1]) + offset)
    return mapping


def _cmap(system_info: bytes, name: bytes, kind: int, section: str, rows: list[bytes]) -> bytes:
    """A CMap program: its header, ``rows`` in ``begin<section>`` blocks of 100, its trailer."""
    lines = [
        b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
        b"/CIDSystemInfo " + system_info + b" def", b"/CMapName /" + name + b" def", f"/CMapType {kind} def".encode(),
        b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange",
    ]
    for start in range(0, len(rows), 100):
        chunk = rows[start:start + 100]
        lines.append(f"{len(chunk)} begin{section}".encode())
        lines.extend(chunk)
        lines.append(f"end{section}".encode())
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _write_to_unicode(mapping: dict[int, str]) -> bytes:
    rows = [f"<{cid:04x}> <{text.encode('utf-16-be').hex()}>".encode() for cid, text in sorted(mapping.items())]
    return _cmap(b"<< /Registry (Adobe) /Ordering (UCS) /Supplement 0 >>", b"Adobe-Identity-UCS", 2, "bfchar", rows)


_CIDCHAR = re.compile(rb"begincidchar(.*?)endcidchar", re.S)
_CIDRANGE = re.compile(rb"begincidrange(.*?)endcidrange", re.S)


def _read_cid_map(data: bytes) -> dict[int, int]:
    """A CMap's code → CID mappings (WeasyPrint writes single codes; ranges read too)."""
    mapping: dict[int, int] = {}
    for block in _CIDCHAR.findall(data):
        for code, cid in re.findall(rb"<([0-9A-Fa-f]+)>\s*(\d+)", block):
            mapping[int(code, 16)] = int(cid)
    for block in _CIDRANGE.findall(data):
        for lo, hi, cid in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(\d+)", block):
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = int(cid) + offset
    return mapping


def _write_cid_map(mapping: dict[int, int]) -> bytes:
    rows = [f"<{code:04x}> {cid}".encode() for code, cid in sorted(mapping.items())]
    return _cmap(b"3 dict dup begin /Registry (Adobe) def /Ordering (Identity) def /Supplement 0 def end",
                 b"WP-Encod-0", 1, "cidchar", rows)


def _union_bbox(boxes) -> pikepdf.Array:
    boxes = [[float(v) for v in b] for b in boxes]
    return pikepdf.Array([min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)])


