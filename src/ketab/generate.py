"""Parts of the book that ketab writes itself from data: chronology and sources.

Each is produced as Markdown and then converted like any chapter, so it gets the
same notes, dates, digits and bidi treatment.  (The index needs page numbers and
is made at assembly: see :mod:`ketab.assemble`.)
"""

from __future__ import annotations

from ketab import config as cfg
from ketab import yamlnodes
from ketab.diagnostics import Collector
from ketab.manuscript import Chapter, Manuscript, safe_path


def generated_markdown(manuscript: Manuscript, chapter: Chapter) -> str:
    if chapter.generate == "chronology":
        return chronology_markdown(manuscript, chapter)
    if chapter.generate == "sources":
        return sources_markdown(manuscript)
    if chapter.generate == "references":  # citeproc lists every entry of the bibliography here
        return "---\nnocite: |\n  @*\n---\n\n::: {#refs}\n:::\n"
    return ""  # the index is laid out from the assembled book


def chronology_markdown(manuscript: Manuscript, chapter: Chapter) -> str:
    """A definition-style list of dated events from the chronology data file."""
    diags = Collector()
    path = safe_path(manuscript.root, chapter.rel)
    try:
        found = path is not None and path.is_file()
    except OSError:  # e.g. a file name too long
        found = False
    if not found:
        diags.error(manuscript.config.path, chapter.body_line, f"chronology data {chapter.rel!r} not found", "chronology.missing")
        diags.raise_if_errors()
    text = cfg.decode_text(path.read_bytes(), path, diags)
    diags.raise_if_errors()
    try:
        doc = yamlnodes.load(text)
    except yamlnodes.YamlSyntaxError as exc:
        diags.error(path, exc.line, exc.message, "chronology.syntax")
        diags.raise_if_errors()
    events = doc.value if isinstance(doc.value, list) else None
    if events is None:
        diags.error(path, 1, "the chronology is a list of {date, calendar, event}", "chronology.type")
        diags.raise_if_errors()
    lines = []
    for i, item in enumerate(events):
        if not isinstance(item, dict) or not {"date", "event"} <= set(item):
            diags.error(path, doc.line(i), "each event needs `date` and `event`", "chronology.type")
            continue
        calendar = item.get("calendar", "shamsi")
        if calendar not in ("shamsi", "miladi"):
            diags.error(path, doc.line(i, "calendar"), "calendar is shamsi or miladi", "chronology.type")
            continue
        event = " ".join(str(item["event"]).split())
        number = manuscript.source_number(str(item["source"])) if item.get("source") else None
        source = f" [({manuscript.config.language.labels.source_of} {number})]{{.source-ref}}" if number else ""
        lines.append(f"[{item['date']}]{{.{calendar}}}\n:   {event}{source}\n")
    diags.raise_if_errors()
    return "::: chronology\n" + "\n".join(lines) + ":::\n"


KINDS = {
    "fa": {"biography": "زندگی‌نامه", "news": "گزارش خبری", "interview": "گفت‌وگو", "opinion": "یادداشت", "newsletter": "خبرنامه"},
    "en": {"biography": "biography", "news": "news report", "interview": "interview", "opinion": "opinion", "newsletter": "newsletter"},
}
LANGUAGES = {
    "fa": {"fa": "فارسی", "prs": "دری", "en": "انگلیسی", "fr": "فرانسوی", "it": "ایتالیایی", "ru": "روسی"},
    "en": {"fa": "Persian", "prs": "Dari", "en": "English", "fr": "French", "it": "Italian", "ru": "Russian"},
}


def sources_markdown(manuscript: Manuscript) -> str:
    """One entry per provenance record, numbered in id order."""
    lang = manuscript.config.language
    labels = lang.labels
    key = "fa" if lang.primary in ("fa", "prs") else "en"
    out = ["::: source-list"]
    for record in sorted(manuscript.sources, key=lambda r: r.id):
        f = record.fields
        title = f.get("title_fa") or f.get("title") or record.id
        number = manuscript.source_number(record.id)
        out.append(f"## {labels.source_of} {number}: {title} {{#source-{record.id}}}\n")
        language_tag = language = str(f.get("language") or "")
        language = "دری" if key == "fa" and language.lower() == "fa-af" else LANGUAGES[key].get(language.split("-")[0].lower(), language)
        original = f.get("title") if f.get("title_fa") and not language_tag.lower().startswith(("fa", "prs")) else None
        rows = [
            original,
            f.get("publication"),
            f.get("author"),
            f.get("date"),
            KINDS[key].get(str(f.get("kind")), f.get("kind")),
            language,
        ]
        out.append("\n".join(f"- {v}" for v in rows if v))
        if f.get("reliability"):
            out.append(f"\n{' '.join(str(f['reliability']).split())}\n")
        out.append(f"\n[`{f.get('file', '')}`]{{.source-file}}\n")
    out.append(":::")
    return "\n".join(out) + "\n"
