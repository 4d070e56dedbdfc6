"""The values of book.yaml's production keys — ``fonts:``, ``print:``, ``isbn:``, ``print_run:``, ``toc_depth:`` —
and the parsers that check them (:mod:`ketab.config` declares the keys; every parser raises :class:`Invalid`
with what would fit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


class Invalid(ValueError):
    """A value that does not fit its key; the message says what would."""


def _text(v):
    if isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip():
        return str(v).strip()
    raise Invalid("expected a non-empty text")


PRINT_STANDARDS = ("x-4", "x-1a")
PRINT_PROFILES = ("pso-uncoated",)
PRINT_MARKS = ("none", "crop")
PRINT_BOTTOMS = ("flush", "ragged")
INCH = 25.4
MARGIN_SIDES = ("top", "outer", "bottom", "inner")
DEFAULT_MARGINS = (20.0, 15.0, 22.0, 20.0)
"""Page margins in mm (top, outer, bottom, inner): the print stylesheet's and the text block ``ketab check``
holds the text to, unless ``print: {margins: …}`` says otherwise."""


@dataclass(frozen=True)
class Paper:
    """A book paper: the thickness of one leaf (two pages) in mm."""

    caliper: float
    source: str
    """Where the figure comes from (docs/print-presets.md has the table and its sources)."""


PAPERS = {
    # typical uncoated offset (bulk 1.25 cm³/g): caliper = grammage × bulk / 1000
    "uncoated-70": Paper(0.088, "typical: 70 g/m² × 1.25 cm³/g"),
    "uncoated-80": Paper(0.100, "typical: 80 g/m² × 1.25 cm³/g"),
    "uncoated-90": Paper(0.113, "typical: 90 g/m² × 1.25 cm³/g"),
    "uncoated-100": Paper(0.125, "typical: 100 g/m² × 1.25 cm³/g"),
    "bulky-cream-80": Paper(0.120, "80 g/m² at volume 1.5 (e.g. Munken Print Cream 15: the 15 is its volume)"),
    "coated-matt-90": Paper(0.081, "typical: 90 g/m² × 0.9 cm³/g"),
    "white-50lb": Paper(round(2 * INCH / 444, 4), "444 pages per inch (KDP white, Lulu's formula)"),
    "cream-55lb": Paper(round(2 * INCH / 400, 4), "400 pages per inch (KDP cream: 0.0025 in a page)"),
    "kdp-white": Paper(round(2 * 0.002252 * INCH, 4), "KDP: page count × 0.002252 in"),
    "kdp-cream": Paper(round(2 * 0.0025 * INCH, 4), "KDP: page count × 0.0025 in"),
}
"""``print: {paper: NAME}``: the papers ketab knows, by name."""


@dataclass(frozen=True)
class Preset:
    """A print-on-demand service's file requirements (docs/print-presets.md cites each figure)."""

    trim: str
    bleed: float
    outside: float
    """Smallest top, bottom and outer margin (mm)."""
    gutter: tuple
    """((up to this many pages, smallest inner margin in mm), …), ascending; beyond the last: unsupported."""
    paper: str
    allowance: float = 0.0
    """Added to the spine for the cover board (mm)."""
    spine: str = ""
    """The service's spine formula, as it writes it."""


PRESETS = {
    "kdp": Preset("us-trade", 0.125 * INCH, 0.375 * INCH,
                  ((150, 0.375 * INCH), (300, 0.5 * INCH), (500, 0.625 * INCH), (700, 0.75 * INCH), (828, 0.875 * INCH)),
                  "kdp-white", 0.0, "pages × 0.002252 in (white), × 0.0025 in (cream)"),
    "ingramspark": Preset("us-trade", 0.125 * INCH, 0.5 * INCH, ((100000, 0.5 * INCH),), "white-50lb", 0.0,
                          "from the cover template generator (not published as a formula)"),
    "lulu": Preset("us-trade", 0.125 * INCH, 0.5 * INCH, ((100000, 0.5 * INCH),), "white-50lb", 0.06 * INCH,
                   "pages ÷ 444 + 0.06 in"),
}
"""``print: {preset: NAME}``: trim (when book.yaml gives none), bleed, smallest margins and the spine."""


@dataclass(frozen=True)
class PrintSettings:
    """``print:`` — what the printer receives."""

    standard: str = "x-4"
    """PDF/X variant: ``x-4`` (PDF/X-4) or ``x-1a`` (PDF/X-1a:2003)."""
    profile: str = "pso-uncoated"
    """Output intent: a CMYK profile vendored under templates/icc/."""
    marks: str = "none"
    """``none`` (TrimBox and BleedBox say it all) or ``crop``: marks outside the bleed, with a slug line."""
    preset: str | None = None
    """A print-on-demand service (:data:`PRESETS`), or None."""
    paper: Paper | None = None
    """The paper, for the spine; None: the preset's paper, else book.yaml's ``caliper``."""
    margins: tuple = DEFAULT_MARGINS
    """Top, outer, bottom, inner in mm."""
    bottom: str = "flush"
    """``flush``: a page the text runs on from ends on the foot of its text block, so facing pages end
    on one line (:mod:`ketab.layout.balance`); ``ragged``: where the text ends."""

    def caliper(self, fallback: float) -> float:
        """mm a leaf: the paper's, else the preset's paper's, else ``fallback`` (book.yaml's ``caliper``)."""
        if self.paper is not None:
            return self.paper.caliper
        return PAPERS[PRESETS[self.preset].paper].caliper if self.preset else fallback

    def spine(self, pages: int, fallback_caliper: float) -> float:
        """The spine width in mm for ``pages`` printed pages: leaves × caliper + the cover allowance."""
        allowance = PRESETS[self.preset].allowance if self.preset else 0.0
        return round((pages + 1) // 2 * self.caliper(fallback_caliper) + allowance, 2)

    def margin_problems(self, pages: int | None = None) -> list[tuple[str, str]]:
        """(side, what) of every margin smaller than the preset's minimum; the inner one by page count
        when ``pages`` is known, else against the smallest gutter the preset asks for."""
        if not self.preset:
            return []
        preset = PRESETS[self.preset]
        out = []
        for side, value in zip(MARGIN_SIDES, self.margins):
            if side != "inner":
                need, why = preset.outside, "its smallest margin"
            else:
                need, why = _gutter(preset, pages)
            if value + 1e-6 < need:
                out.append((side, f"the {side} margin {value:g} mm is smaller than {self.preset}'s {need:.1f} mm ({why})"))
        return out


def _gutter(preset: Preset, pages: int | None) -> tuple[float, str]:
    if pages is None:
        return preset.gutter[0][1], "its smallest inner margin"
    low = 1
    for upto, need in preset.gutter:
        if pages <= upto:
            return need, f"its inner margin for {low}–{upto} pages"
        low = upto + 1
    return preset.gutter[-1][1], f"it prints no more than {preset.gutter[-1][0]} pages"


VENDORED_FAMILIES = ("Parastoo", "Vazirmatn", "Noto Serif", "Vazir Code")
FONT_ROLES = ("body", "headings", "latin", "mono")
FONT_STYLES = ("regular", "bold", "italic", "bold_italic")


def _fonts(v) -> dict:
    if not isinstance(v, dict):
        raise Invalid("expected a mapping of " + ", ".join(FONT_ROLES))
    out = {}
    for role, face in v.items():
        if role not in FONT_ROLES:
            raise Invalid(f"unknown role {role!r}: use " + ", ".join(FONT_ROLES))
        if isinstance(face, str) and face in VENDORED_FAMILIES:
            out[role] = face
            continue
        files = {"regular": face} if isinstance(face, str) else face
        if not isinstance(files, dict) or "regular" not in files or set(files) - set(FONT_STYLES):
            raise Invalid(f"{role}: a vendored family ({', '.join(VENDORED_FAMILIES)}), a font file, or {{" + ", ".join(FONT_STYLES) + "} with a regular")
        checked = {}
        for style, rel in files.items():
            rel = _inside(rel)
            if Path(rel).suffix.lower() not in (".ttf", ".otf", ".woff", ".woff2"):
                raise Invalid(f"{role}.{style}: {rel!r} is not a font file (.ttf, .otf, .woff, .woff2)")
            checked[style] = rel
        out[role] = checked
    return out


def _inside(v) -> str:
    rel = _text(v)
    if Path(rel).is_absolute() or ".." in Path(rel).parts or "\x00" in rel or re.match(r"^[a-z][a-z0-9+.-]*:", rel, re.I):
        raise Invalid(f"{rel!r}: a path inside the manuscript folder")
    return rel


def _isbn(v):
    from stdnum import isbn
    from stdnum.exceptions import ValidationError

    try:
        digits = isbn.validate(str(v), convert=True)  # an ISBN-10 becomes its ISBN-13
    except ValidationError as exc:
        raise Invalid(f"{v!r} is not a valid ISBN: {exc}") from None
    return digits


def _count(v):
    if isinstance(v, int) and not isinstance(v, bool) and v > 0:
        return v
    raise Invalid("expected a whole number of copies")


def _print(v):
    if not isinstance(v, dict):
        raise Invalid("expected {standard: x-4|x-1a, profile: pso-uncoated, marks: none|crop, preset, paper, margins, bottom: flush|ragged}")
    choices = {"standard": PRINT_STANDARDS, "profile": PRINT_PROFILES, "marks": PRINT_MARKS, "preset": tuple(PRESETS), "bottom": PRINT_BOTTOMS}
    unknown = set(v) - set(choices) - {"paper", "margins"}
    if unknown:
        raise Invalid(f"unknown keys {sorted(unknown)}; print takes standard, profile, marks, preset, paper, margins, bottom")
    values = {}
    for key, allowed in choices.items():
        if key in v:
            value = str(v[key]).strip().lower()
            if value not in allowed:
                raise Invalid(f"{key}: {v[key]!r} is not one of {', '.join(allowed)}")
            values[key] = value
    if "paper" in v:
        values["paper"] = _paper(v["paper"])
    if "margins" in v:
        values["margins"] = _margins(v["margins"])
    return PrintSettings(**values)


def _paper(v) -> Paper:
    """``NAME``, ``{name: NAME}``, ``{caliper: mm a leaf}`` or ``{ppi: pages per inch}``."""
    if isinstance(v, str):
        v = {"name": v}
    if not isinstance(v, dict) or len(v) != 1 or not set(v) <= {"name", "caliper", "ppi"}:
        raise Invalid("paper: a name (" + ", ".join(PAPERS) + "), {caliper: mm a leaf} or {ppi: pages per inch}")
    (key, value), = v.items()
    if key == "name":
        if str(value) not in PAPERS:
            raise Invalid(f"paper: unknown paper {value!r}: use one of {', '.join(PAPERS)}, or {{caliper: mm a leaf}}")
        return PAPERS[str(value)]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"paper: {key} must be a number")
    if key == "caliper" and 0.03 <= value <= 1:
        return Paper(float(value), "book.yaml")
    if key == "ppi" and 50 <= value <= 2000:
        return Paper(round(2 * INCH / value, 4), f"book.yaml: {value:g} pages per inch")
    raise Invalid("paper: caliper is the thickness of one leaf, 0.03 to 1 mm" if key == "caliper" else "paper: ppi 50 to 2000 pages per inch")


def _margins(v) -> tuple:
    if not isinstance(v, dict) or not v or set(v) - set(MARGIN_SIDES):
        raise Invalid("margins: {top, outer, bottom, inner} in mm")
    out = []
    for side, default in zip(MARGIN_SIDES, DEFAULT_MARGINS):
        value = v.get(side, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 3 <= value <= 60:
            raise Invalid(f"margins: {side} must be 3 to 60 mm")
        out.append(float(value))
    return tuple(out)


def _toc_depth(v):
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 4:
        raise Invalid("expected 1 to 4 (heading levels shown in the contents and the EPUB navigation)")
    return v
