"""What the book's language decides: direction, digits and the words ketab prints.

Nothing is Persian-only by accident: every label the templates print comes from
here, chosen by the BCP 47 tag in ``book.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

RTL_LANGUAGES = frozenset({"fa", "prs", "ar", "he", "ur", "ps", "ckb", "sd", "yi", "dv", "ug"})

_PERSIAN = str.maketrans("0123456789٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹۰۱۲۳۴۵۶۷۸۹")
_ARABIC = str.maketrans("0123456789۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩")


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
    figure: str = "Figure"
    table: str = "Table"
    equation: str = "Equation"
    list_separator: str = ", "
    references: str = "References"
    figures: str = "Figures"
    tables: str = "Tables"


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
        },
        translator_of="ترجمه",
        source_of="منبع",
        edition="چاپ",
        see="نک.",
        print_edition="نسخهٔ چاپی",
        pages="صفحه‌های نسخهٔ چاپی",
        figure="شکل",
        table="جدول",
        equation="معادله",
        list_separator="، ",
        references="کتاب‌نامه",
        figures="فهرست شکل‌ها",
        tables="فهرست جدول‌ها",
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
        },
        translator_of="Translated by",
        source_of="Source",
        edition="Edition",
        see="see",
        print_edition="print edition",
        pages="Pages of the print edition",
    ),
}


@dataclass(frozen=True)
class Language:
    """The book's language: ``tag`` as written in book.yaml, ``primary`` its first subtag."""

    tag: str
    direction: str

    @property
    def primary(self) -> str:
        return self.tag.split("-")[0].lower()

    @property
    def is_rtl(self) -> bool:
        return self.direction == "rtl"

    @property
    def labels(self) -> Labels:
        return LABELS[label_key(self.tag)]

    @property
    def counter_style(self) -> str:
        """CSS counter style for folios and note numbers."""
        return {"fa": "persian", "prs": "persian", "ar": "arabic-indic"}.get(self.primary, "decimal")

    def digits(self, text: str) -> str:
        """``text`` with its digits in the language's own digits."""
        if self.primary in ("fa", "prs"):
            return str(text).translate(_PERSIAN)
        if self.primary == "ar":
            return str(text).translate(_ARABIC)
        return str(text)


def label_key(tag: str) -> str:
    primary = tag.split("-")[0].lower()
    return "fa" if primary == "prs" else primary


def known_languages() -> list[str]:
    return sorted(LABELS)


def default_direction(tag: str) -> str:
    return "rtl" if tag.split("-")[0].lower() in RTL_LANGUAGES else "ltr"
