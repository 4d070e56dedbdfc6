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


@dataclass(frozen=True)
class PrintSettings:
    """``print:`` — what the printer receives."""

    standard: str = "x-4"
    """PDF/X variant: ``x-4`` (PDF/X-4) or ``x-1a`` (PDF/X-1a:2003)."""
    profile: str = "pso-uncoated"
    """Output intent: a CMYK profile vendored under templates/icc/."""
    marks: str = "none"
    """``none`` (TrimBox and BleedBox say it all) or ``crop``: marks outside the bleed, with a slug line."""


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
        raise Invalid("expected {standard: x-4|x-1a, profile: pso-uncoated, marks: none|crop}")
    choices = {"standard": PRINT_STANDARDS, "profile": PRINT_PROFILES, "marks": PRINT_MARKS}
    unknown = set(v) - set(choices)
    if unknown:
        raise Invalid(f"unknown keys {sorted(unknown)}; print takes standard, profile, marks")
    values = {}
    for key, allowed in choices.items():
        if key in v:
            value = str(v[key]).strip().lower()
            if value not in allowed:
                raise Invalid(f"{key}: {v[key]!r} is not one of {', '.join(allowed)}")
            values[key] = value
    return PrintSettings(**values)


def _toc_depth(v):
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 4:
        raise Invalid("expected 1 to 4 (heading levels shown in the contents and the EPUB navigation)")
    return v
