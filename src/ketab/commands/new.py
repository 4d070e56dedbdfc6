"""``ketab new DIR``: a small complete book that builds at once.

The book shows what a manuscript can hold — a preface, a chapter with notes of
both series (translator's and editor's), a date, index marks and a
cross-reference — in the chosen language, with a ``book.yaml`` whose every key
is explained by a comment taken from the schema's own docstrings.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

import click


@dataclass(frozen=True)
class Sample:
    """The words of the sample book in one language."""

    title: str
    subtitle: str
    author: str
    translator: str
    editor: str
    publisher: str
    rights: str
    edition: str
    description: str
    index_title: str
    preface: str
    chapter: str


SAMPLES = {
    "fa": Sample(
        title="کتاب تازه",
        subtitle="نمونه‌ای که ketab ساخته است",
        author="نام نویسنده",
        translator="نام مترجم",
        editor="نام ویراستار",
        publisher="نام ناشر",
        rights="همهٔ حقوق برای نویسنده محفوظ است.",
        edition="چاپ نخست",
        description="کتابی کوچک برای آغاز کار با ketab.",
        index_title="نمایه",
        preface="""---
title: پیشگفتار
kind: frontmatter
---

این کتاب نمونه است: هر چه در آن می‌بینید از پرونده‌های پوشهٔ `chapters` ساخته شده است.

پیشگفتار در بخش آغازین کتاب می‌آید و شمارهٔ صفحه‌هایش با حروف است.
""",
        chapter="""---
title: فصل نخست
author: نام نویسنده
translator: نام مترجم
---

هر فصل یک پروندهٔ Markdown است با چند سطر سرآغاز که عنوان و ویژگی‌های فصل را می‌گوید. [کابل]{.idx} و [هرات]{.idx} در نمایهٔ پایان کتاب می‌آیند.[^1]

## تاریخ‌ها

[تاریخ خورشیدی]{#q-tarikh} [۱۱ سنبله ۱۳۳۲]{.shamsi} با برابر میلادی‌اش چاپ می‌شود و تاریخ میلادی [۲۰۲۱-۰۸-۲۱]{.miladi} با برابر خورشیدی‌اش.[^2]

## یادداشت‌ها و ارجاع‌ها

یادداشت‌ها در پای صفحه می‌آیند و در هر فصل از نو شماره می‌خورند.[^3]
[شهر کابل]{.idx entry="کابل"} بار دیگر در نمایه ثبت می‌شود. ارجاع به جای دیگری از کتاب شمارهٔ صفحهٔ آن را در نسخهٔ چاپی دارد: [تاریخ‌ها را ببینید](#q-tarikh).

[^1]: یادداشت نویسنده بی نشانه می‌آید.
[^2]: م: یادداشت مترجم با نشانهٔ مترجم پایان می‌یابد.
[^3]: و: یادداشت ویراستار با نشانهٔ ویراستار پایان می‌یابد.
""",
    ),
    "en": Sample(
        title="A New Book",
        subtitle="A sample made by ketab",
        author="Author Name",
        translator="Translator Name",
        editor="Editor Name",
        publisher="Publisher Name",
        rights="All rights reserved by the author.",
        edition="First edition",
        description="A small book to start working with ketab.",
        index_title="Index",
        preface="""---
title: Preface
kind: frontmatter
---

This book is a sample: everything in it is made from the files in the `chapters` folder.

A preface stands in the front matter, whose pages are numbered apart.
""",
        chapter="""---
title: The First Chapter
author: Author Name
translator: Translator Name
---

Each chapter is a Markdown file with a few lines of front matter that give its title and what it is. [Kabul]{.idx} and [Herat]{.idx} are filed in the index at the end of the book.[^1]

## Dates

[A solar Hijri date]{#q-dates}, [11 سنبله 1332]{.shamsi}, is printed with its Gregorian equivalent, and a Gregorian date, [2021-08-21]{.miladi}, with its solar Hijri one.[^2]

## Notes and references

Notes stand at the foot of the page and are numbered anew in each chapter.[^3]
[The city of Kabul]{.idx entry="Kabul"} is filed in the index once more. A reference to another place in the book carries its page in print: [see the dates](#q-dates).

[^1]: An author's note carries no mark.
[^2]: tr: A translator's note ends with the translator's mark.
[^3]: ed: An editor's note ends with the editor's mark.
""",
    ),
    "ar": Sample(
        title="كتاب جديد",
        subtitle="نموذج صنعه ketab",
        author="اسم المؤلف",
        translator="اسم المترجم",
        editor="اسم المحرر",
        publisher="اسم الناشر",
        rights="جميع الحقوق محفوظة للمؤلف.",
        edition="الطبعة الأولى",
        description="كتاب صغير لبدء العمل مع ketab.",
        index_title="الفهرس",
        preface="""---
title: المقدمة
kind: frontmatter
---

هذا الكتاب نموذج: كل ما فيه مصنوع من ملفات مجلد `chapters`.

تأتي المقدمة في أول الكتاب وتُرقَّم صفحاتها على حدة.
""",
        chapter="""---
title: الفصل الأول
author: اسم المؤلف
translator: اسم المترجم
---

كل فصل ملف Markdown في أوله أسطر قليلة تذكر عنوانه وصفته. [كابل]{.idx} و[هرات]{.idx} تُدرجان في فهرس آخر الكتاب.[^1]

## التواريخ

[التاريخ الهجري الشمسي]{#q-tawarikh} [١١ سنبله ١٣٣٢]{.shamsi} يُطبع مع ما يقابله بالميلادي، والتاريخ الميلادي [٢٠٢١-٠٨-٢١]{.miladi} مع ما يقابله بالهجري الشمسي.[^2]

## الحواشي والإحالات

تأتي الحواشي في أسفل الصفحة ويبدأ ترقيمها من جديد في كل فصل.[^3]
[مدينة كابل]{.idx entry="كابل"} تُدرج في الفهرس مرة أخرى. والإحالة إلى موضع آخر من الكتاب تحمل رقم صفحته في النسخة المطبوعة: [انظر التواريخ](#q-tawarikh).

[^1]: حاشية المؤلف تأتي بلا علامة.
[^2]: م: حاشية المترجم تنتهي بعلامة المترجم.
[^3]: و: حاشية المحرر تنتهي بعلامة المحرر.
""",
    ),
}


def sample_for(tag: str) -> Sample:
    from ketab.language import label_key

    return SAMPLES[label_key(tag)]


def book_yaml(tag: str, slug: str, identifier: str, date: str) -> str:
    """A book.yaml with every key of the schema, each under a comment that says what it is."""
    from ketab.config import SCHEMA
    from ketab.language import Language, default_direction

    s = sample_for(tag)
    language = Language(tag, default_direction(tag))
    values = {
        "title": s.title,
        "subtitle": s.subtitle,
        "language": tag,
        "direction": None,
        "slug": slug,
        "identifier": identifier,
        "creators": [(s.author, "author"), (s.translator, "translator"), (s.editor, "editor")],
        "publisher": s.publisher,
        "date": date,
        "rights": s.rights,
        "edition": s.edition,
        "description": s.description,
        "trim": "raqi",
        "bleed": 3,
        "signature": 16,
        "caliper": 0.1,
        "lint": f"{{profile: {language.lint_profile}}}" if language.label_key == "fa" else None,
        "chapters": ["chapters/00-preface.md", "chapters/01-chapter.md", f"{{generate: index, title: {s.index_title}}}"],
    }
    lines = [
        "# The book: what it is, how its pages are cut, and the order of its parts.",
        "# Every key of book.yaml is here, each under a line that says what it does; keys",
        "# marked (required) must stay. `ketab build` in this folder builds the book into build/.",
        "",
    ]
    for key, spec in SCHEMA.items():
        lines.append(f"# {spec.doc}{' (required)' if spec.required else ''}")
        value = values.get(key)
        if key == "direction" or value is None:
            example = {"direction": "rtl" if _rtl(tag) else "ltr", "lint": "{profile: iranian, disable: []}"}.get(key, "")
            lines.append(f"# {key}: {example}".rstrip())
        elif key == "creators":
            lines.append("creators:")
            lines += [f"  - {{name: {name}, role: {role}}}" for name, role in value]
        elif key == "chapters":
            lines.append("chapters:")
            lines += [f"  - {entry}" for entry in value]
        else:
            lines.append(f"{key}: {value}")
        lines.append("")
    return "\n".join(lines)


def _rtl(tag: str) -> bool:
    from ketab.language import default_direction

    return default_direction(tag) == "rtl"


def slug_for(folder: Path) -> str:
    name = unicodedata.normalize("NFKD", folder.resolve().name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9._-]+", "-", name).strip("-._")
    return slug or "book"


def create_book(folder: Path, tag: str) -> list[Path]:
    """Write the sample book into ``folder`` (which must be empty or absent); the files written."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise click.ClickException(f"{folder} already exists and is not empty: ketab new makes a book in a new folder")
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    today = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date() if epoch and epoch != "0" else dt.date.today()
    s = sample_for(tag)
    files = {
        "book.yaml": book_yaml(tag, slug_for(folder), f"urn:uuid:{uuid.uuid4()}", today.isoformat()),
        "chapters/00-preface.md": s.preface,
        "chapters/01-chapter.md": s.chapter,
        ".gitignore": "# ketab's outputs and its build cache\nbuild/\n",
    }
    written = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


LANGUAGES = ("fa-AF", "fa", "en", "ar")


@click.command("new")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--language", "tag", default="fa-AF", show_default=True,
              help="The book's language (BCP 47): fa-AF, fa, prs, en, ar, or a regional tag of these.")
def command(folder: Path, tag: str) -> None:
    """Start a new book in FOLDER: book.yaml, a preface and a chapter that build at once."""
    from ketab.language import label_key

    if label_key(tag) not in SAMPLES or not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", tag):
        raise click.BadParameter(f"ketab has sample books in {', '.join(LANGUAGES)} (and regional tags of these)", param_hint="--language")
    written = create_book(folder, tag)
    out = click.get_text_stream("stderr")
    for path in written:
        click.echo(f"  created {path}", file=out)
    click.echo(f"a new book in {folder}: `cd {folder} && ketab build` makes build/", file=out)
