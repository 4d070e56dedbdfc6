"""The proof's first page: what changed in which chapter, in the book's language."""

from __future__ import annotations

import io
import re
from pathlib import Path

LABELS = {
    "fa": {
        "title": "نمونهٔ بازبینی",
        "summary": "خلاصهٔ تغییرات",
        "against": "سنجیده با",
        "chapter": "فصل",
        "blocks": "بند",
        "words": "واژه",
        "changed": "تغییریافته",
        "inserted": "افزوده",
        "deleted": "حذف‌شده",
        "added": "افزوده",
        "removed": "حذف‌شده",
        "pages": "صفحه‌ها",
        "total": "جمع",
        "new_chapter": "فصل تازه",
        "removed_chapter": "از کتاب برداشته شده",
        "title_changed": "عنوان تغییر کرده",
        "unchanged": "فصل‌های بی‌تغییر: {n}",
        "no_changes": "متن کتاب از آن نسخه تا کنون تغییری نکرده است.",
        "legend_bar": "خط در حاشیهٔ بیرونی: بندی که تغییر کرده یا افزوده شده است",
        "legend_ins": "واژه‌های افزوده",
        "legend_del": "واژه‌های حذف‌شده",
        "legend_deleted": "جای بندهای حذف‌شده",
        "deleted_marker": "حذف: {blocks} {paragraphs}، {words} واژه",
        "paragraphs": ("بند", "بند"),
        "sep": "، ",
    },
    "en": {
        "title": "Revision proof",
        "summary": "Summary of changes",
        "against": "Compared with",
        "chapter": "Chapter",
        "blocks": "Paragraphs",
        "words": "Words",
        "changed": "changed",
        "inserted": "inserted",
        "deleted": "deleted",
        "added": "added",
        "removed": "removed",
        "pages": "Pages",
        "total": "Total",
        "new_chapter": "new chapter",
        "removed_chapter": "removed from the book",
        "title_changed": "title changed",
        "unchanged": "Unchanged chapters: {n}",
        "no_changes": "The text has not changed since then.",
        "legend_bar": "Bar in the outer margin: a paragraph that changed or was inserted",
        "legend_ins": "words added",
        "legend_del": "words removed",
        "legend_deleted": "where paragraphs were deleted",
        "deleted_marker": "Deleted: {blocks} {paragraphs}, {words} words",
        "paragraphs": ("paragraph", "paragraphs"),
        "sep": ", ",
    },
}


def proof_labels(language) -> dict:
    return {**LABELS.get(language.label_key, LABELS["en"]), "digits": language.digits}


def prepend_summary(pdf, summary, pagination, title: str, keep: list) -> int:
    """Put the summary in front, padded to an even count so rectos stay rectos; labels and outline follow.

    The source PDFs are appended to ``keep``: their streams are copied when ``pdf`` is saved."""
    import pikepdf

    from ketab.writers.screen import cut_to_trim

    src = pikepdf.open(io.BytesIO(summary.pdf))
    blank = pikepdf.open(io.BytesIO(pagination.blank.pdf))
    keep += [src, blank]
    pages = list(src.pages)
    if len(pages) % 2:
        pages.append(blank.pages[0])
    for i, page in enumerate(pages):
        pdf.pages.insert(i, page)
    count = len(pages)
    cut_to_trim(pdf.pages[:count])  # the blank page was laid out with the book's bleed
    nums = list(pdf.Root.PageLabels.Nums) if "/PageLabels" in pdf.Root else [0, pikepdf.Dictionary(S=pikepdf.Name.D)]
    shifted = pikepdf.Array([0, pikepdf.Dictionary(S=pikepdf.Name.D, P=pikepdf.String(f"{title} "))])
    for k in range(0, len(nums), 2):
        shifted.append(int(nums[k]) + count)
        shifted.append(nums[k + 1])
    pdf.Root.PageLabels = pikepdf.Dictionary(Nums=shifted)
    with pdf.open_outline() as outline:
        outline.root.insert(0, pikepdf.OutlineItem(title, 0))
    return count


def summary_html(book, templates: Path, chapters, against: str, touched: dict, pagination) -> str:
    from ketab import render

    labels = proof_labels(book.language)
    lang = book.language
    total = {k: 0 for k in ("changed", "inserted", "deleted", "words_added", "words_removed")}
    rows = []
    for c in chapters:
        if not c.any:
            continue
        notes = [labels[k] for k, on in (("new_chapter", c.status == "new"), ("removed_chapter", c.status == "removed"), ("title_changed", c.title_changed)) if on]
        pages = labels["sep"].join(folio(i, pagination, lang) for i in sorted(touched.get(c.id, ())))
        row = {"title": c.title, "notes": labels["sep"].join(notes), "pages": pages, "status": c.status}
        for k in total:
            total[k] += getattr(c, k)
            row[k] = lang.digits(getattr(c, k))
        rows.append(row)
    unchanged = sum(1 for c in chapters if not c.any)
    env = render.environment(templates)
    return env.get_template("proof/summary.html.j2").render(
        **render.common_context(book),
        t=labels,
        against=against,
        rows=rows,
        total={k: lang.digits(v) for k, v in total.items()},
        unchanged=labels["unchanged"].format(n=lang.digits(unchanged)) if unchanged else "",
    )


def folio(index: int, pagination, lang) -> str:
    """The printed folio of page ``index`` of the book: a letter (or roman) in the front matter."""
    if index >= pagination.front_pages:
        return lang.digits(index - pagination.front_pages + 1)
    if lang.front_counter == "abjad":
        from ketab.render import PERSIAN_LETTERS

        letters = re.findall(r'"([^"]+)"', PERSIAN_LETTERS)
        n, out = index + 1, ""
        while n > 0:
            n, r = divmod(n - 1, len(letters))
            out = letters[r] + out
        return out
    return _roman(index + 1)


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += numeral
            n -= value
    return out
