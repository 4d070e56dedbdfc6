"""The print PDF's fonts made one program per face (see :mod:`ketab.writers.press`).

Each layout unit embeds its own subsets of the book's fonts; a printer's preflight
counts them all.  WeasyPrint keeps glyph ids, so the subsets of one face merge glyph
by glyph into one font program, with the union of their widths and ToUnicode maps.
"""

from __future__ import annotations

import hashlib
import io
import re
from decimal import Decimal

import pikepdf

from ketab.writers.press import _fmt

_TAG = re.compile(r"^/?[A-Z]{6}\+")


def _face_name(font) -> str:
    return _TAG.sub("", str(font.BaseFont))


def merge_fonts(pdf: pikepdf.Pdf) -> int:
    """One font program per face: the units' subsets of a face merged into one.

    Returns the number of font programs in the file afterwards."""
    from fontTools.ttLib import TTFont

    faces: dict[str, list] = {}
    for font in _fonts_in_use(pdf):
        if font.get("/Subtype") == "/Type0":
            descendant = font.DescendantFonts[0]
            if descendant.get("/Subtype") == "/CIDFontType2" and "/FontFile2" in descendant.FontDescriptor:
                faces.setdefault(_face_name(font), []).append(font)
    replacement: dict = {}
    for face, fonts in sorted(faces.items()):
        unique = list({f.objgen: f for f in fonts}.values())
        programs = [TTFont(io.BytesIO(f.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes())) for f in unique]
        merged_bytes = _merge_programs(programs) if len(unique) > 1 else None
        widths: dict[int, float] = {}
        to_unicode: dict[int, str] = {}
        for f in unique:
            widths.update(_read_widths(f.DescendantFonts[0].get("/W")))
            if "/ToUnicode" in f:
                to_unicode.update(_read_to_unicode(f.ToUnicode.read_bytes()))
        base = unique[0]
        if merged_bytes is not None:
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
        for f in unique:
            replacement[f.objgen] = base
    _replace_font_references(pdf, replacement)
    return len({f.objgen for f in replacement.values()})


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


def _merge_programs(programs) -> bytes:
    """Merge TrueType subsets that keep the original glyph ids: glyph by glyph."""
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    count = max(p["maxp"].numGlyphs for p in programs)
    base = max(programs, key=lambda p: sum(1 for g in p.getGlyphOrder() if p["glyf"][g].numberOfContours))
    order = [".notdef"] + [f"glyph{i:05d}" for i in range(1, count)]
    glyphs, metrics = {}, {}
    for program in [base] + [p for p in programs if p is not base]:
        names = program.getGlyphOrder()
        table, hmtx = program["glyf"], program["hmtx"]
        for gid, name in enumerate(names):
            new = order[gid]
            glyph = table[name]
            if new in glyphs and glyphs[new].numberOfContours:
                continue
            if glyph.numberOfContours or new not in glyphs:
                if glyph.isComposite():
                    for component in glyph.components:
                        component.glyphName = order[program.getGlyphID(component.glyphName)]
                glyphs[new] = glyph
                metrics[new] = hmtx[name]
    for name in order:
        if name not in glyphs:
            glyphs[name] = Glyph()
            metrics[name] = (0, 0)
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


def _write_to_unicode(mapping: dict[int, str]) -> bytes:
    lines = [
        b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
        b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange",
    ]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        chunk = items[start:start + 100]
        lines.append(f"{len(chunk)} beginbfchar".encode())
        for cid, text in chunk:
            lines.append(f"<{cid:04x}> <{text.encode('utf-16-be').hex()}>".encode())
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _union_bbox(boxes) -> pikepdf.Array:
    boxes = [[float(v) for v in b] for b in boxes]
    return pikepdf.Array([min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)])
