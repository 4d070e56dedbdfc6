"""Parts of the book that ketab writes itself from data: chronology and sources.

Each is produced as Markdown and then converted like any chapter, so it gets the
same notes, dates, digits and bidi treatment.  (The index needs page numbers and
is made at assembly: see :mod:`ketab.assemble`.)
"""

from __future__ import annotations

from ketab import config as cfg
from ketab import safeio, yamlnodes
from ketab.diagnostics import Collector
from ketab.language import label_key
from ketab.manuscript import Chapter, Manuscript, safe_path
from ketab.persian.dates import is_dari


def generated_markdown(manuscript: Manuscript, chapter: Chapter) -> str:
    if chapter.generate == "chronology":
        return chronology_markdown(manuscript, chapter)
    if chapter.generate == "sources":
        return sources_markdown(manuscript)
    if chapter.generate in GLOSSARIES:
        return glossary_markdown(manuscript, chapter)
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
    try:
        raw = safeio.read_bytes(manuscript.root, chapter.rel, "data")
    except safeio.Refused as exc:
        diags.error(manuscript.config.path, chapter.body_line, f"chronology data {chapter.rel!r} cannot be read: {exc.message}", "chronology.missing")
        diags.raise_if_errors()
    text = cfg.decode_text(raw, path, diags)
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
    has_sources = any(ch.generate == "sources" for ch in manuscript.chapters)
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
        label = f"({manuscript.config.language.labels.source_of} {number})"
        if number and has_sources:  # a link to the source's entry in the book's list of sources
            source = f" [{label}](#source-{item['source']}){{.source-ref .xref-source}}"
        else:
            source = f" [{label}]{{.source-ref}}" if number else ""
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
#: The labelled fields of a source in the list of sources, in the order they are printed.
FIELDS = {
    "fa": {"original": "عنوان اصلی", "author": "نویسنده", "publication": "نشر", "date": "تاریخ", "kind": "گونه",
           "language": "زبان", "from": "برگردان از", "unknown": "در متن نیامده", "reliability": "ارزیابی"},
    "en": {"original": "Original title", "author": "Author", "publication": "Published", "date": "Date",
           "kind": "Kind", "language": "Language", "from": "translated from", "unknown": "not given",
           "reliability": "Assessment"},
}


def _language_name(tag: str, key: str) -> str:
    if key == "fa" and is_dari(tag):
        return "دری"
    return LANGUAGES[key].get(tag.split("-")[0].lower(), tag)


def sources_markdown(manuscript: Manuscript) -> str:
    """The sources as a bibliography: numbered as the book numbers them, one labelled field a line, dates in
    both calendars — and no file names or internal ids (those are for the editors, in sources/)."""
    lang = manuscript.config.language
    key = lang.label_key if lang.label_key in KINDS else "en"
    out = ["::: source-list"]
    for record in sorted(manuscript.sources, key=lambda r: r.id):
        out.append(_source_entry(record, manuscript.source_number(record.id), lang, key))
    out.append(":::")
    return "\n".join(out) + "\n"


def _source_entry(record, number: int, lang, key: str) -> str:
    f, names = record.fields, FIELDS[key]
    title = _escape(str(f.get("title_fa") or f.get("title") or ""))
    tag = str(f.get("language") or "")
    own = label_key(tag) == key if tag else True
    rows = []
    if f.get("title") and not own:
        rows.append((names["original"], f"[{_escape(str(f['title']))}]{{lang={tag or 'und'}}}"))
    rows.append((names["author"], _escape(str(f["author"])) if f.get("author") else names["unknown"]))
    if f.get("publication"):
        rows.append((names["publication"], _escape(" ".join(str(f["publication"]).split()))))
    date = str(f.get("date") or "")
    rows.append((names["date"], f"[{date}]{{.miladi}}" if date else names["unknown"]))
    if f.get("kind"):
        rows.append((names["kind"], KINDS[key].get(str(f["kind"]), _escape(str(f["kind"])))))
    if tag:
        language = _language_name(tag, key)
        if f.get("original_language"):
            language += f" ({names['from']} {_language_name(str(f['original_language']), key)})"
        rows.append((names["language"], language))
    heading = f"## {lang.digits(number)}. {title} {{#source-{record.id}}}\n"
    lines = [f"- **{label}:** {value}" for label, value in rows]
    for extra in ("date_note", "reliability"):
        if f.get(extra):
            lines.append(f"\n{_escape(' '.join(str(f[extra]).split()))}")
    return heading + "\n" + "\n".join(lines) + "\n"


#: Generated word lists: the data file's key for the headword and for its explanation.
GLOSSARIES = {"glossary": ("term", "definition"), "abbreviations": ("abbr", "expansion")}


def glossary_markdown(manuscript: Manuscript, chapter: Chapter) -> str:
    """A glossary or a list of abbreviations: the data file's words in alphabetical order, each with its
    explanation and, where given, its Latin-script form."""
    from ketab.manuscript import load_data_file

    head_key, text_key = GLOSSARIES[chapter.generate]
    diags = Collector()
    doc = load_data_file(manuscript.root, chapter.rel, diags, chapter.generate, chapter.body_line, manuscript.config.path)
    diags.raise_if_errors()
    path = manuscript.root / chapter.rel
    if not isinstance(doc.value, list):
        diags.error(path, 1, f"a {chapter.generate} is a list of {{{head_key}, {text_key}}}", f"{chapter.generate}.type")
        diags.raise_if_errors()
    rows = []
    for i, item in enumerate(doc.value):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), (str, int)) and str(item[k]).strip()
                                                 for k in (head_key, text_key)):
            diags.error(path, doc.line(i), f"each item needs `{head_key}` and `{text_key}`", f"{chapter.generate}.type")
            continue
        latin = str(item.get("latin") or "").strip()
        text = " ".join(str(item[text_key]).split()) + (f" ({_escape(latin)})" if latin else "")
        rows.append((" ".join(str(item[head_key]).split()), text))
    diags.raise_if_errors()
    key = manuscript.config.language.sort_key
    rows.sort(key=lambda r: key(r[0]))
    body = "\n".join(f"{_escape(head)}\n:   {text}\n" for head, text in rows)
    return f"::: {chapter.generate}\n{body}:::\n"


def _escape(text: str) -> str:
    """Data text as literal Markdown: no emphasis, links or notes from stray punctuation."""
    return "".join("\\" + ch if ch in "\\`*_[]{}<>#|^~$@" else ch for ch in text)


def check_chronology_quotes(manuscript: Manuscript, converted, diags: Collector) -> None:
    """Every «quotation» in a chronology event must stand word for word in a chapter of the source the event
    cites (the chronology quotes the book, it does not paraphrase it): a warning at the event's line."""
    import re

    from lxml import html as lxml_html

    from ketab.manuscript import load_data_file

    texts: dict[str, list[str]] = {}
    for cc in converted:
        if cc.chapter.source and not cc.chapter.generate:
            plain = lxml_html.fragment_fromstring(cc.html or "<p></p>", create_parent="div").text_content()
            texts.setdefault(cc.chapter.source, []).append(_comparable(plain))
    for chapter in manuscript.chapters:
        if chapter.generate != "chronology":
            continue
        doc = load_data_file(manuscript.root, chapter.rel, Collector(), "chronology")
        for i, item in enumerate(doc.value if doc is not None and isinstance(doc.value, list) else ()):
            if not isinstance(item, dict) or str(item.get("source")) not in texts:
                continue
            for quote in re.findall(r"«([^«»]+)»", str(item.get("event", ""))):
                if not any(_comparable(quote) in t for t in texts[str(item["source"])]):
                    diags.warning(manuscript.root / chapter.rel, doc.line(i, "event"),
                                  f"«{quote}» is not in the chapters of source {item['source']} as quoted",
                                  "chronology.misquote")


def _comparable(text: str) -> str:
    """Text as a quotation is compared: whitespace collapsed, digits Latin, bidi marks dropped."""
    from ketab.persian.digits import to_latin_digits

    text = "".join(ch for ch in text if ch not in "\u2066\u2067\u2068\u2069\u200e\u200f")
    return " ".join(to_latin_digits(text).split())
