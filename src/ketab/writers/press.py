"""The print PDF made ready for press.

WeasyPrint writes every colour as DeviceRGB, draws through transparency groups,
and each layout unit embeds its own subsets of the book's fonts.  A printer's
preflight rejects all three.  :func:`make_press_ready` rewrites the assembled
print PDF in place:

* every colour operator becomes DeviceGray (``0 0 0 rg`` → ``0 g``): black text is
  pure K on press, never four-colour rich black; a colour that is not a gray is
  converted by its luminance and reported; colour images become gray images; each
  page's conversion is kept in the build cache under its content (an edit converts
  the pages it changed);
* transparency groups are removed (none of ketab's drawing needs one) and any
  real transparency (soft masks, opacity below 1, blend modes) is reported;
* the subsets of one face file made by the different units become one font
  program: the file cut to the glyphs they draw (WeasyPrint keeps glyph ids:
  :mod:`ketab.writers.fonts`);
* annotations are dropped (links live in the screen PDF);
* crop marks (``print: {marks: crop}``) are drawn outside the BleedBox on an
  enlarged MediaBox, with a slug line (file, date, page) drawn as outlines;
* the PDF/X identification: OutputIntent with the vendored CMYK profile,
  ``GTS_PDFXVersion``, ``Trapped``, and the XMP the standard asks for.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pikepdf

from ketab.writers.fonts import merge_fonts  # noqa: F401  (one font program per face)

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


def _rgb_to_cmyk(r: float, g: float, b: float) -> list[float]:
    """A plain device conversion (the cover's colours are given in device-cmyk() already)."""
    k = 1 - max(r, g, b)
    if k >= 1:
        return [0.0, 0.0, 0.0, 1.0]
    return [(1 - r - k) / (1 - k), (1 - g - k) / (1 - k), (1 - b - k) / (1 - k), k]


def _rewrite_stream(pdf: pikepdf.Pdf, owner, resources, page_no: int, findings: Findings, seen: set, keep_cmyk: bool = False, cache=None) -> None:
    """Rewrite one content stream (a page or a form XObject), then the forms it draws.  ``cache`` (the build
    cache, may be None) keeps each rewrite under the bytes it was made from: an edit rewrites the pages it changed."""
    key = _rewrite_key(owner, keep_cmyk) if cache is not None else None
    found = cache.get("press-gray", key) if key is not None else None
    if found is not None:
        head, _, data = found.partition(b"\n")
        done = json.loads(head)
        data = zlib.decompress(data) if done["changed"] else None
    else:
        data, done = _rewritten(owner, keep_cmyk)
        if key is not None:
            cache.put("press-gray", key, json.dumps(done).encode() + b"\n" + (zlib.compress(data, 1) if data is not None else b""))
    findings.converted.extend((page_no, what) for what in done["converted"])
    findings.refused.extend((page_no, what) for what in done["refused"])
    if data is not None:
        if isinstance(owner, pikepdf.Page):
            owner.obj.Contents = pdf.make_stream(data)
        else:
            owner.write(data)
    _visit_resources(pdf, resources, page_no, findings, seen, keep_cmyk, cache)


def _rewrite_key(owner, keep_cmyk: bool) -> str | None:
    from ketab.cache import digest

    try:
        if isinstance(owner, pikepdf.Page):
            contents = owner.obj.get("/Contents")
            streams = [contents] if isinstance(contents, pikepdf.Stream) else list(contents or [])
            data = b"\n".join(stream.read_bytes() for stream in streams)
        else:
            data = owner.read_bytes()
    except pikepdf.PdfError:
        return None
    return digest("press-gray/1", "cmyk" if keep_cmyk else "gray", data)


def _rewritten(owner, keep_cmyk: bool) -> tuple[bytes | None, dict]:
    """(the content stream in gray, or None if unchanged; what was converted or refused) of ``owner``."""
    done: dict = {"changed": False, "converted": [], "refused": []}
    try:
        instructions = pikepdf.parse_content_stream(owner)
    except pikepdf.PdfError as error:
        done["refused"].append(f"unreadable content stream ({error})")
        return None, done
    out = []
    for operands, operator in instructions:
        op = str(operator)
        if keep_cmyk and op in ("k", "K"):
            out.append((operands, operator))
            continue
        if keep_cmyk and op in ("rg", "RG") and not _gray_of(op, operands)[1]:
            done["converted"].append(f"colour {' '.join(_fmt(_num(v)) for v in operands)} {op} to CMYK")
            cmyk = _rgb_to_cmyk(*(_num(v) for v in operands))
            out.append(([Decimal(_fmt(v)) for v in cmyk], pikepdf.Operator("k" if op == "rg" else "K")))
            done["changed"] = True
            continue
        if op in _GRAY_OPS:
            gray, neutral = _gray_of(op, operands)
            if not neutral:
                done["converted"].append(f"colour {' '.join(_fmt(_num(v)) for v in operands)} {op}")
            out.append(([Decimal(_fmt(gray))], pikepdf.Operator(_GRAY_OPS[op])))
            done["changed"] = True
            continue
        if op in ("cs", "CS") and str(operands[0]) not in ("/DeviceGray", "/Pattern") + (("/DeviceCMYK",) if keep_cmyk else ()):
            done["refused"].append(f"colour space {operands[0]}")
        elif op == "sh":
            done["refused"].append("a shading (gradient)")
        elif op == "INLINE IMAGE":
            done["refused"].append("an inline image")
        out.append((operands, operator))
    return (pikepdf.unparse_content_stream(out) if done["changed"] else None), done


def _visit_resources(pdf, resources, page_no: int, findings: Findings, seen: set, keep_cmyk: bool = False, cache=None) -> None:
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
            _rewrite_stream(pdf, xobject, xobject.get("/Resources"), page_no, findings, seen, keep_cmyk, cache)
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
    """A colour image becomes gray; an alpha channel (soft mask) is flattened onto white paper."""
    from PIL import Image

    if "/Mask" in image:
        findings.refused.append((page_no, "an image with a colour-key mask"))
    space = image.get("/ColorSpace")
    if (space == pikepdf.Name.DeviceGray and "/SMask" not in image) or image.get("/ImageMask") is True:
        return
    try:
        gray = pikepdf.PdfImage(image).as_pil_image().convert("L")
        smask = image.get("/SMask")
        if smask is not None:
            alpha = pikepdf.PdfImage(smask).as_pil_image().convert("L").resize(gray.size)
            gray = Image.composite(gray, Image.new("L", gray.size, 255), alpha)
    except Exception as error:  # pikepdf cannot decode every filter/colour space
        findings.refused.append((page_no, f"a colour image that cannot be converted ({error})"))
        return
    findings.converted.append((page_no, f"colour image {gray.width}×{gray.height}"))
    import zlib

    image.write(zlib.compress(gray.tobytes(), 9), filter=pikepdf.Name.FlateDecode)
    image.ColorSpace = pikepdf.Name.DeviceGray
    image.BitsPerComponent = 8
    image.Width, image.Height = gray.width, gray.height
    for key in ("/DecodeParms", "/Decode", "/SMask"):
        if key in image:
            del image[key]


def to_gray(pdf: pikepdf.Pdf, keep_cmyk: bool = False, cache=None) -> Findings:
    """Every page in DeviceGray and without transparency groups (see module docstring).

    With ``keep_cmyk`` (the cover): DeviceCMYK colours stay, other colours become CMYK,
    neutral ones gray.  ``cache``: the build cache (see :func:`_rewrite_stream`)."""
    findings = Findings()
    seen: set = set()
    for number, page in enumerate(pdf.pages, 1):
        if "/Group" in page.obj:
            del page.obj["/Group"]
        _rewrite_stream(pdf, page, page.obj.get("/Resources"), number, findings, seen, keep_cmyk, cache)
    return findings


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
