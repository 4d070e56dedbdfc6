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
    def ui(self) -> "InterfaceLabels":
        """The words of ketab's own screens (web edition, live preview, review copy)."""
        return interface_labels(self.tag)

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
