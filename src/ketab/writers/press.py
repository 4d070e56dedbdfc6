"""The print PDF made ready for press.

WeasyPrint writes every colour as DeviceRGB, draws through transparency groups,
and each layout unit embeds its own subsets of the book's fonts.  A printer's
preflight rejects all three.  :func:`make_press_ready` rewrites the assembled
print PDF in place:

* every colour operator becomes DeviceGray (``0 0 0 rg`` → ``0 g``): black text is
  pure K on press, never four-colour rich black; a colour that is not a gray is
  converted by its luminance and reported; colour images become gray images;
* transparency groups are removed (none of ketab's drawing needs one) and any
  real transparency (soft masks, opacity below 1, blend modes) is reported;
* the subsets of one face made by the different units are merged into one font
  program (WeasyPrint keeps glyph ids, so the subsets merge glyph by glyph);
* annotations are dropped (links live in the screen PDF);
* crop marks (``print: {marks: crop}``) are drawn outside the BleedBox on an
  enlarged MediaBox, with a slug line (file, date, page) drawn as outlines;
* the PDF/X identification: OutputIntent with the vendored CMYK profile,
  ``GTS_PDFXVersion``, ``Trapped``, and the XMP the standard asks for.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pikepdf

MM = 72 / 25.4


@dataclass(frozen=True)
class Standard:
    name: str
    """As written in the PDF: ``PDF/X-4`` or ``PDF/X-1a:2003``."""
    version: str
    """PDF version the standard is built on."""
    object_streams: bool


STANDARDS = {
    "x-4": Standard("PDF/X-4", "1.6", True),
    "x-1a": Standard("PDF/X-1a:2003", "1.4", False),
}


@dataclass(frozen=True)
class Profile:
    path: Path
    condition: str
    """OutputConditionIdentifier (the characterized printing condition)."""
    info: str


PROFILES = {
    "pso-uncoated": Profile(Path("icc/PSO_Uncoated_ISO12647_eci.icc"), "FOGRA47", "PSO Uncoated ISO12647 (ECI)"),
}
"""Profiles vendored under templates/icc/ (with their licence), by their ``print: profile`` name."""


@dataclass
class Findings:
    """What the rewrite changed or could not make right (page numbers are 1-based)."""

    converted: list = field(default_factory=list)
    """(page, what) of colours that were not gray and were converted."""
    refused: list = field(default_factory=list)
    """(page, what) the rewrite cannot make press-ready (real transparency, shadings …)."""


# --- colour -----------------------------------------------------------------

_GRAY_OPS = {"rg": "g", "RG": "G", "k": "g", "K": "G"}


def _num(x) -> float:
    return float(x)


def _fmt(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _gray_of(op: str, operands) -> tuple[float, bool]:
    """(gray level, was it already neutral) of an rg/RG/k/K colour."""
    values = [_num(v) for v in operands]
    if op in ("rg", "RG"):
        r, g, b = values
        neutral = abs(r - g) < 1e-3 and abs(g - b) < 1e-3
        return (r if neutral else 0.299 * r + 0.587 * g + 0.114 * b), neutral
    c, m, y, k = values
    neutral = c < 1e-3 and m < 1e-3 and y < 1e-3
    return max(0.0, 1 - min(1.0, k + (0.3 * c + 0.59 * m + 0.11 * y))), neutral


def _rewrite_stream(pdf: pikepdf.Pdf, owner, resources, page_no: int, findings: Findings, seen: set) -> None:
    """Rewrite one content stream (a page or a form XObject), then the forms it draws."""
    try:
        instructions = pikepdf.parse_content_stream(owner)
    except pikepdf.PdfError as error:
        findings.refused.append((page_no, f"unreadable content stream ({error})"))
        return
    out = []
    changed = False
    for operands, operator in instructions:
        op = str(operator)
        if op in _GRAY_OPS:
            gray, neutral = _gray_of(op, operands)
            if not neutral:
                findings.converted.append((page_no, f"colour {' '.join(_fmt(_num(v)) for v in operands)} {op}"))
            out.append(([Decimal(_fmt(gray))], pikepdf.Operator(_GRAY_OPS[op])))
            changed = True
            continue
        if op in ("cs", "CS") and str(operands[0]) not in ("/DeviceGray", "/Pattern"):
            findings.refused.append((page_no, f"colour space {operands[0]}"))
        elif op == "sh":
            findings.refused.append((page_no, "a shading (gradient)"))
        elif op == "INLINE IMAGE":
            findings.refused.append((page_no, "an inline image"))
        out.append((operands, operator))
    if changed:
        data = pikepdf.unparse_content_stream(out)
        if isinstance(owner, pikepdf.Page):
            owner.obj.Contents = pdf.make_stream(data)
        else:
            owner.write(data)
    _visit_resources(pdf, resources, page_no, findings, seen)


def _visit_resources(pdf, resources, page_no: int, findings: Findings, seen: set) -> None:
    if resources is None:
        return
    for gs in (resources.get("/ExtGState") or {}).values():
        _check_extgstate(gs, page_no, findings)
    if "/Pattern" in resources and len(resources.Pattern):
        findings.refused.append((page_no, "a pattern or gradient fill"))
    if "/Shading" in resources and len(resources.Shading):
        findings.refused.append((page_no, "a shading (gradient)"))
    for xobject in (resources.get("/XObject") or {}).values():
        if xobject.objgen in seen:
            continue
        seen.add(xobject.objgen)
        subtype = xobject.get("/Subtype")
        if subtype == "/Form":
            if "/Group" in xobject:
                del xobject["/Group"]  # a transparency group: nothing ketab draws needs one
            _rewrite_stream(pdf, xobject, xobject.get("/Resources"), page_no, findings, seen)
        elif subtype == "/Image":
            _gray_image(pdf, xobject, page_no, findings)


def _check_extgstate(gs, page_no: int, findings: Findings) -> None:
    for key in ("/ca", "/CA"):
        if key in gs and float(gs[key]) < 1:
            findings.refused.append((page_no, f"transparency (opacity {_fmt(float(gs[key]))})"))
    if "/SMask" in gs and gs.SMask != pikepdf.Name("/None"):
        findings.refused.append((page_no, "transparency (a soft mask)"))
    if "/BM" in gs and str(gs.BM) not in ("/Normal", "/Compatible"):
        findings.refused.append((page_no, f"transparency (blend mode {gs.BM})"))


def _gray_image(pdf, image, page_no: int, findings: Findings) -> None:
    if "/SMask" in image or "/Mask" in image:
        findings.refused.append((page_no, "an image with transparency (alpha channel)"))
    space = image.get("/ColorSpace")
    if space == pikepdf.Name.DeviceGray or (image.get("/ImageMask") is True):
        return
    try:
        pil = pikepdf.PdfImage(image).as_pil_image()
    except Exception as error:  # pikepdf cannot decode every filter/colour space
        findings.refused.append((page_no, f"a colour image that cannot be converted ({error})"))
        return
    gray = pil.convert("L")
    findings.converted.append((page_no, f"colour image {gray.width}×{gray.height} to gray"))
    import zlib

    image.write(zlib.compress(gray.tobytes(), 9), filter=pikepdf.Name.FlateDecode)
    image.ColorSpace = pikepdf.Name.DeviceGray
    image.BitsPerComponent = 8
    image.Width, image.Height = gray.width, gray.height
    for key in ("/DecodeParms", "/Decode"):
        if key in image:
            del image[key]


def to_gray(pdf: pikepdf.Pdf) -> Findings:
    """Every page in DeviceGray and without transparency groups (see module docstring)."""
    findings = Findings()
    seen: set = set()
    for number, page in enumerate(pdf.pages, 1):
        if "/Group" in page.obj:
            del page.obj["/Group"]
        _rewrite_stream(pdf, page, page.obj.get("/Resources"), number, findings, seen)
    return findings


# --- fonts ------------------------------------------------------------------

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


# --- marks ------------------------------------------------------------------

MARK_OFFSET = 2.0
"""mm between the BleedBox and a crop mark."""
MARK_LENGTH = 5.0
SLUG = 10.0
"""mm of slug below the marks."""


def add_crop_marks(pdf: pikepdf.Pdf, slug_text, outline_font: Path | None) -> None:
    """Enlarge every MediaBox and draw crop marks outside the BleedBox, with a slug line.

    ``slug_text(page_number)`` gives the slug line's text; it is drawn as outlines from
    ``outline_font`` (no font is added to the file)."""
    pen_font = _OutlineFont(outline_font) if outline_font else None
    margin = (MARK_OFFSET + MARK_LENGTH + 1.0) * MM
    for number, page in enumerate(pdf.pages, 1):
        trim = [float(v) for v in page.obj.get("/TrimBox", page.obj.MediaBox)]
        bleed = [float(v) for v in page.obj.get("/BleedBox", page.obj.MediaBox)]
        media = [bleed[0] - margin, bleed[1] - margin - SLUG * MM, bleed[2] + margin, bleed[3] + margin]
        page.obj.MediaBox = pikepdf.Array([Decimal(_fmt(v)) for v in media])
        if "/CropBox" in page.obj:
            del page.obj["/CropBox"]
        ops = [b"q", b"0 G", b"0.25 w", b"[] 0 d"]
        x0, y0, x1, y1 = trim
        off_x, off_y = bleed[0] - x0, bleed[1] - y0  # negative: the bleed is outside the trim
        gap = MARK_OFFSET * MM
        length = MARK_LENGTH * MM
        for x, y, sx, sy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
            bx = x + sx * (abs(off_x) + gap)
            by = y + sy * (abs(off_y) + gap)
            ops.append(f"{_fmt(bx)} {_fmt(y)} m {_fmt(bx + sx * length)} {_fmt(y)} l S".encode())
            ops.append(f"{_fmt(x)} {_fmt(by)} m {_fmt(x)} {_fmt(by + sy * length)} l S".encode())
        if pen_font is not None:
            size = 6.0
            ops.append(b"0 g")
            ops.append(pen_font.path(slug_text(number), x0, media[1] + 3 * MM, size))
        ops.append(b"Q")
        page.contents_add(pdf.make_stream(b"\n".join(ops) + b"\n"), prepend=False)


class _OutlineFont:
    def __init__(self, path: Path):
        from fontTools.ttLib import TTFont

        self.font = TTFont(str(path))
        self.cmap = self.font.getBestCmap()
        self.glyphs = self.font.getGlyphSet()
        self.upm = self.font["head"].unitsPerEm

    def path(self, text: str, x: float, y: float, size: float) -> bytes:
        from fontTools.pens.basePen import BasePen

        scale = size / self.upm
        out: list[str] = []

        class Pen(BasePen):
            def __init__(self, glyphs, dx):
                super().__init__(glyphs)
                self.dx = dx

            def _p(self, pt):
                return f"{_fmt(x + (self.dx + pt[0]) * scale)} {_fmt(y + pt[1] * scale)}"

            def _moveTo(self, pt):
                out.append(f"{self._p(pt)} m")

            def _lineTo(self, pt):
                out.append(f"{self._p(pt)} l")

            def _curveToOne(self, p1, p2, p3):
                out.append(f"{self._p(p1)} {self._p(p2)} {self._p(p3)} c")

            def _closePath(self):
                out.append("h")

        advance = 0
        for char in text:
            name = self.cmap.get(ord(char))
            if name is None:
                continue
            self.glyphs[name].draw(Pen(self.glyphs, advance))
            advance += self.glyphs[name].width
        out.append("f")
        return "\n".join(out).encode()


# --- PDF/X identification -----------------------------------------------------


def identify(pdf: pikepdf.Pdf, standard: Standard, profile: Profile, profile_bytes: bytes, title: str, stamp: str, document_id: str) -> None:
    """OutputIntent, Info keys and XMP for ``standard`` (``stamp``: ISO date of the book)."""
    icc = pdf.make_stream(profile_bytes)
    icc.N = 4
    intent = pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name.GTS_PDFX,
        OutputConditionIdentifier=pikepdf.String(profile.condition),
        OutputCondition=pikepdf.String(profile.info),
        RegistryName=pikepdf.String("http://www.color.org"),
        Info=pikepdf.String(profile.info),
        DestOutputProfile=icc,
    )
    pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(intent)])
    info = pdf.trailer.Info
    info.Trapped = pikepdf.Name("/False")
    info.Title = pikepdf.String(title)
    if standard.name.startswith("PDF/X-1a"):
        info.GTS_PDFXVersion = pikepdf.String("PDF/X-1:2003")
        info.GTS_PDFXConformance = pikepdf.String(standard.name)
    else:
        info.GTS_PDFXVersion = pikepdf.String(standard.name)
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["pdfxid:GTS_PDFXVersion"] = standard.name
        if standard.name.startswith("PDF/X-1a"):
            meta["pdfx:GTS_PDFXVersion"] = "PDF/X-1:2003"
            meta["pdfx:GTS_PDFXConformance"] = standard.name
        meta["pdf:Trapped"] = "False"
        meta["xmp:MetadataDate"] = stamp
        meta["xmpMM:DocumentID"] = f"uuid:{document_id}"
        meta["xmpMM:InstanceID"] = f"uuid:{document_id}"
        meta["xmpMM:VersionID"] = "1"
        meta["xmpMM:RenditionClass"] = "default"


def drop_annotations(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        if "/Annots" in page.obj:
            del page.obj["/Annots"]
    for key in ("/AcroForm", "/OpenAction"):
        if key in pdf.Root:
            del pdf.Root[key]
