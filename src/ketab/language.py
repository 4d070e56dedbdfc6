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

OTHER_ARABIC_SCRIPT = frozenset({"ar", "ur", "ps", "ckb", "sd", "ug", "ks", "bal"})
"""Languages written in Arabic script with an orthography of their own."""
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
    conjunction: str = "and"
    """Between the last two items of a list in running text («مترجم و ویراستار»)."""
    landmarks: str = "Landmarks"
    """The EPUB nav's landmarks (its main parts), distinct from the contents and the page list."""
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
        conjunction="و",
        landmarks="بخش‌های اصلی کتاب",
        figure="شکل",
        table="جدول",
        equation="معادله",
        list_separator="، ",
        references="کتاب‌نامه",
        figures="فهرست شکل‌ها",
        tables="فهرست جدول‌ها",
    ),
    "ar": Labels(
        contents="المحتويات",
        index="الفهرس",
        notes="الحواشي",
        translator_note="ـ المترجم.",
        editor_note="ـ المحرر.",
        page_ref="ص",
        chronology="التسلسل الزمني",
        sources="المصادر",
        identity="بطاقة الكتاب",
        start="بداية النص",
        cover="الغلاف",
        title_page="صفحة العنوان",
        roles={
            "author": "المؤلف",
            "editor": "المحرر",
            "translator": "المترجم",
            "compiler": "الجامع",
            "publisher": "الناشر",
            "illustrator": "الرسّام",
        },
        translator_of="ترجمة",
        source_of="المصدر",
        edition="الطبعة",
        see="انظر",
        print_edition="النسخة المطبوعة",
        pages="صفحات النسخة المطبوعة",
        identifier="المعرّف",
        glossary="مسرد المصطلحات",
        abbreviations="المختصرات",
        title="العنوان",
        place="المكان",
        print_run="عدد النسخ",
        isbn="ردمك",
        accessibility_summary="النص الكامل للكتاب مع بنية العناوين والمحتويات والحواشي بروابط عودة واتجاه من اليمين إلى اليسار؛ لا محتوى صوتيًا أو مرئيًا أساسيًا.",
        conjunction="و",
        figure="شكل",
        table="جدول",
        equation="معادلة",
        list_separator="، ",
        references="المراجع",
        figures="قائمة الأشكال",
        tables="قائمة الجداول",
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
    def ui(self) -> "InterfaceLabels":
        """The words of ketab's own screens (web edition, live preview, review copy)."""
        return interface_labels(self.tag)

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

    @property
    def linted(self) -> bool:
        """Whether the editorial linter checks the book: its rules are Persian orthography, wrong for the
        other languages written in Arabic script («ي» and «ك» are right in Arabic); Persian quoted in an
        English book is checked."""
        return self.primary not in OTHER_ARABIC_SCRIPT


def _generic_sort_key(text: str) -> tuple:
    return (unicodedata.normalize("NFKD", text).casefold(), text)


def label_key(tag: str) -> str:
    primary = tag.split("-")[0].lower()
    return "fa" if primary == "prs" else primary


def known_languages() -> list[str]:
    return sorted(LABELS)


def default_direction(tag: str) -> str:
    return "rtl" if tag.split("-")[0].lower() in RTL_LANGUAGES else "ltr"


# --- the words of ketab's own screens (web edition, live preview, review copy) ---


@dataclass(frozen=True)
class InterfaceLabels:
    """What ketab's screens say to a reader or an editor, in the book's language."""

    skip: str
    """The skip link: straight to the text."""
    search: str
    search_hint: str
    no_results: str
    needs_script: str
    """Said where search needs JavaScript and it is off."""
    previous: str
    next: str
    home: str
    note: str
    """Accessible name of a note call: «یادداشت ۳»."""
    back_to_text: str
    to_notes: str
    chapters: str
    rebuilding: str
    pending: str
    """The live preview's mark on a chapter saved since the last build: its new text, its pages still to come."""
    warnings: str
    """«{n} warnings»."""
    build_failed: str
    last_good: str
    no_good_build: str
    hide: str
    not_in_build: str
    waiting: str
    not_running: str
    line_numbers: str
    """The review copy's note on its line numbers."""


UI_LABELS = {
    "fa": InterfaceLabels(
        skip="پرش به متن",
        search="جست‌وجو",
        search_hint="واژه‌ای از متن کتاب",
        no_results="چیزی یافت نشد.",
        needs_script="جست‌وجو در این نسخه به جاوااسکریپت نیاز دارد؛ فهرست و نمایه بی آن هم کار می‌کنند.",
        previous="پیشین",
        next="پسین",
        home="صفحهٔ نخست",
        note="یادداشت",
        back_to_text="بازگشت به متن",
        to_notes="یادداشت‌های فصل",
        chapters="فصل‌ها",
        rebuilding="در حال ساختن…",
        pending="متن تازه شد؛ صفحه‌ها در راه‌اند",
        warnings="{n} هشدار",
        build_failed="ساخت کتاب ناکام ماند.",
        last_good="این آخرین ساخت درست است.",
        no_good_build="هنوز ساخت درستی برای نمایش نیست.",
        hide="پنهان کن",
        not_in_build="این صفحه در ساخت کنونی نیست.",
        waiting="در انتظار نخستین ساخت…",
        not_running="ketab watch دیگر اجرا نمی‌شود",
        line_numbers="شمارهٔ سطرها برای ارجاع در بازبینی است.",
    ),
    "ar": InterfaceLabels(
        skip="انتقل إلى النص",
        search="بحث",
        search_hint="كلمة من نص الكتاب",
        no_results="لم يُعثر على شيء.",
        needs_script="يحتاج البحث في هذه النسخة إلى جافاسكربت؛ المحتويات والفهرس يعملان من دونها.",
        previous="السابق",
        next="التالي",
        home="الصفحة الأولى",
        note="حاشية",
        back_to_text="العودة إلى النص",
        to_notes="حواشي الفصل",
        chapters="الفصول",
        rebuilding="جارٍ البناء…",
        pending="حُدِّث النص؛ الصفحات قيد الإعداد",
        warnings="{n} تحذير",
        build_failed="فشل بناء الكتاب.",
        last_good="هذا آخر بناء سليم.",
        no_good_build="لا يوجد بناء سليم لعرضه بعد.",
        hide="إخفاء",
        not_in_build="هذه الصفحة ليست في البناء الحالي.",
        waiting="في انتظار البناء الأول…",
        not_running="ketab watch لم يعد يعمل",
        line_numbers="أرقام الأسطر للإحالة أثناء المراجعة.",
    ),
    "en": InterfaceLabels(
        skip="Skip to the text",
        search="Search",
        search_hint="A word from the book",
        no_results="Nothing found.",
        needs_script="Search in this edition needs JavaScript; the contents and the index work without it.",
        previous="Previous",
        next="Next",
        home="Home",
        note="Note",
        back_to_text="Back to the text",
        to_notes="Notes to this chapter",
        chapters="chapters",
        rebuilding="rebuilding…",
        pending="text updated, pages pending",
        warnings="{n} warning(s)",
        build_failed="The build failed.",
        last_good="This is the last good build.",
        no_good_build="There is no good build to show yet.",
        hide="hide",
        not_in_build="This page is not in the current build.",
        waiting="waiting for the first build…",
        not_running="ketab watch is not running",
        line_numbers="Line numbers are for reference during review.",
    ),
}


def interface_labels(tag: str) -> InterfaceLabels:
    """The screens' words for ``tag`` (English for a language ketab has no words for)."""
    return UI_LABELS.get(label_key(tag), UI_LABELS["en"])
