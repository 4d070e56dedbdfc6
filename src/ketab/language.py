"""What the book's language decides: direction, digits and the words ketab prints.

Nothing is Persian-only by accident: every label the templates print comes from
here, chosen by the BCP 47 tag in ``book.yaml``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Callable

from ketab.persian.collation import persian_sort_key
from ketab.persian.dates import is_dari
from ketab.persian.digits import digit_script, to_arabic_digits, to_persian_digits

RTL_LANGUAGES = frozenset({"fa", "prs", "ar", "he", "ur", "ps", "ckb", "sd", "yi", "dv", "ug"})

_DIGITS = {"persian": to_persian_digits, "arabic": to_arabic_digits}
_COUNTERS = {"persian": "persian", "arabic": "arabic-indic"}


@dataclass(frozen=True)
class Labels:
    contents: str
    index: str
    notes: str
    translator_note: str
    """Suffix of a translator's note, e.g. «ـ م.»."""
    editor_note: str
    """Suffix of an editor's note, e.g. «ـ و.»."""
    page_ref: str
    """Prefix of a printed cross-reference page number, e.g. «ص»."""
    chronology: str
    sources: str
    identity: str
    start: str
    cover: str
    title_page: str
    roles: dict
    translator_of: str
    source_of: str
    edition: str
    see: str
    print_edition: str
    pages: str
    identifier: str
    """Label of the book's identifier on the identity page."""
    accessibility_summary: str
    """The EPUB's schema:accessibilitySummary."""
    glossary: str = "Glossary"
    abbreviations: str = "Abbreviations"
    title: str = "Title"
    place: str = "Place"
    print_run: str = "Print run"
    isbn: str = "ISBN"
    landmarks: str = "Landmarks"
    """The EPUB nav's landmarks (its main parts), distinct from the contents and the page list."""


LABELS = {
    "fa": Labels(
        contents="فهرست",
        index="نمایه",
        notes="یادداشت‌ها",
        translator_note="ـ م.",
        editor_note="ـ و.",
        page_ref="ص",
        chronology="گاه‌شمار",
        sources="منابع",
        identity="شناسنامهٔ کتاب",
        start="آغاز متن",
        cover="جلد",
        title_page="صفحهٔ عنوان",
        roles={
            "author": "نویسنده",
            "editor": "ویراستار",
            "translator": "مترجم",
            "compiler": "گردآورنده",
            "publisher": "ناشر",
            "illustrator": "تصویرگر",
            "typesetter": "حروف‌نگار و صفحه‌آرا",
            "cover-designer": "طراح جلد",
        },
        translator_of="ترجمه",
        source_of="منبع",
        edition="چاپ",
        see="نک.",
        print_edition="نسخهٔ چاپی",
        pages="صفحه‌های نسخهٔ چاپی",
        identifier="شناسه",
        accessibility_summary="متن کامل کتاب با ساختار سرفصل‌ها، فهرست، یادداشت‌های پانویس با پیوند بازگشت و جهت راست‌به‌چپ؛ بدون محتوای صوتی یا تصویری ضروری.",
        glossary="واژه‌نامه",
        abbreviations="کوته‌نوشت‌ها",
        title="عنوان",
        place="محل نشر",
        print_run="شمارگان",
        isbn="شابک",
        landmarks="بخش‌های اصلی کتاب",
    ),
    "en": Labels(
        contents="Contents",
        index="Index",
        notes="Notes",
        translator_note="—Trans.",
        editor_note="—Ed.",
        page_ref="p.",
        chronology="Chronology",
        sources="Sources",
        identity="Copyright",
        start="Start of content",
        cover="Cover",
        title_page="Title page",
        roles={
            "author": "Author",
            "editor": "Editor",
            "translator": "Translator",
            "compiler": "Compiler",
            "publisher": "Publisher",
            "illustrator": "Illustrator",
            "typesetter": "Typesetting",
            "cover-designer": "Cover design",
        },
        translator_of="Translated by",
        source_of="Source",
        edition="Edition",
        see="see",
        print_edition="print edition",
        pages="Pages of the print edition",
        identifier="Identifier",
        accessibility_summary=(
            "Full text with structured headings, a table of contents, footnotes with back-links, and a logical reading order; "
            "no essential audio or visual content."
        ),
        landmarks="Landmarks",
    ),
}


@dataclass(frozen=True)
class Language:
    """The book's language: every decision that depends on it is made here, from ``tag`` (BCP 47).

    Digits, counters and the list separator follow the language's script (Persian, Dari, Pashto
    and Urdu write the extended Arabic-Indic digits, Arabic the Arabic-Indic ones); words come from
    :data:`LABELS`; the index sort order, the front matter's folios and the linter's profile follow
    the language too."""

    tag: str
    direction: str

    @property
    def primary(self) -> str:
        """The first subtag, lower case (``fa`` for ``fa-AF``)."""
        return self.tag.split("-")[0].lower()

    @property
    def is_rtl(self) -> bool:
        return self.direction == "rtl"

    @property
    def label_key(self) -> str:
        """Which words ketab prints: ``fa`` (Persian and Dari) or ``en``."""
        return label_key(self.tag)

    @property
    def labels(self) -> Labels:
        return LABELS[self.label_key]

    @property
    def digit_script(self) -> str:
        """``persian``, ``arabic`` or ``latin``: the digits the language writes."""
        return digit_script(self.tag)

    @property
    def counter_style(self) -> str:
        """CSS counter style for folios and note numbers."""
        return _COUNTERS.get(self.digit_script, "decimal")

    def digits(self, text: str) -> str:
        """``text`` with its digits in the language's own digits."""
        convert = _DIGITS.get(self.digit_script)
        return convert(str(text)) if convert else str(text)

    @property
    def list_separator(self) -> str:
        """Between the items of a list (names, page numbers): «،» in Arabic script, else «,»."""
        return "،" if self.digit_script != "latin" else ","

    @property
    def front_counter(self) -> str:
        """CSS counter of the front matter's folios: Persian letters (abjad) or lower-case roman."""
        return "abjad" if self.label_key == "fa" else "lower-roman"

    @property
    def sort_key(self) -> Callable[[str], tuple]:
        """Index entries are sorted by this key: Persian dictionary order, or case-folded code points."""
        return persian_sort_key if self.label_key == "fa" else _generic_sort_key

    @property
    def solar_hijri(self) -> bool:
        """The book's own calendar is the solar Hijri one (Persian and Dari): the identity page gives its
        year beside the Gregorian one."""
        return self.label_key == "fa"

    @property
    def lint_profile(self) -> str:
        """The editorial linter's default profile: ``dari`` for Afghan Persian, else ``iranian``."""
        return "dari" if is_dari(self.tag) else "iranian"


def _generic_sort_key(text: str) -> tuple:
    return (unicodedata.normalize("NFKD", text).casefold(), text)


def label_key(tag: str) -> str:
    primary = tag.split("-")[0].lower()
    return "fa" if primary == "prs" else primary


def known_languages() -> list[str]:
    return sorted(LABELS)


def default_direction(tag: str) -> str:
    return "rtl" if tag.split("-")[0].lower() in RTL_LANGUAGES else "ltr"
