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
        source = f" [{item['source']}]{{.source-ref}}" if item.get("source") else ""
        lines.append(f"[{item['date']}]{{.{calendar}}}\n:   {event}{source}\n")
    diags.raise_if_errors()
    return "::: chronology\n" + "\n".join(lines) + ":::\n"


def sources_markdown(manuscript: Manuscript) -> str:
    """One entry per provenance record, in id order."""
    labels = manuscript.config.language.labels
    out = ["::: source-list"]
    for record in sorted(manuscript.sources, key=lambda r: r.id):
        f = record.fields
        title = f.get("title_fa") or f.get("title") or record.id
        out.append(f"## {title} {{#source-{record.id}}}\n")
        rows = [
            ("", f.get("title") if f.get("title_fa") else None),
            ("publication", f.get("publication")),
            ("author", f.get("author")),
            ("date", f.get("date")),
            ("kind", f.get("kind")),
            ("language", f.get("language")),
        ]
        out.append("\n".join(f"- {v}" for _, v in rows if v))
        if f.get("reliability"):
            out.append(f"\n{' '.join(str(f['reliability']).split())}\n")
        out.append(f"\n[{labels.source_of} {record.id} · `{f.get('file', '')}`]{{.source-file}}\n")
    out.append(":::")
    return "\n".join(out) + "\n"
