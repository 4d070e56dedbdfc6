"""Stage 4 — render the Jinja templates in ``templates/``.

Templates are rendered with autoescaping; only HTML that ketab produced and
sanitised itself (chapter bodies, titles) is marked safe.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import jinja2
import markupsafe

from ketab import default_templates  # noqa: F401  (the templates folder: re-exported)
from ketab import fonts as fonts_mod
from ketab.assemble import Book, Part
from ketab.configvalues import DEFAULT_MARGINS
from ketab.persian import bidi

PERSIAN_LETTERS = '"الف" "ب" "پ" "ت" "ث" "ج" "چ" "ح" "خ" "د" "ذ" "ر" "ز" "ژ" "س" "ش" "ص" "ض" "ط" "ظ" "ع" "غ" "ف" "ق" "ک" "گ" "ل" "م" "ن" "و" "ه" "ی"'




@functools.lru_cache(maxsize=8)
def environment(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["css_string"] = css_string
    return env


def _autoescape(name: str | None) -> bool:
    """HTML and XHTML templates are autoescaped; CSS templates are not (they quote with css_string)."""
    return name is None or not name.endswith((".css.j2", ".css"))


def css_string(value) -> str:
    """A CSS string literal (for running heads)."""
    s = str(value or "").replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return jinja2.utils.markupsafe.Markup(f'"{s}"')


TEXT_BLOCK = DEFAULT_MARGINS
"""Page margins in mm: top, outer, bottom, inner (binding) — the print stylesheet's and
the text block ``ketab check`` holds the text to, unless book.yaml's ``print: {margins}`` says otherwise."""


def verso_shift(book: Book) -> float:
    """Points to move a text unit's verso pages right by (negative: left): the units set every
    page in the recto's geometry (templates/print/print.css.j2), the binding margin is on the
    other side of a verso."""
    _, outer, _, inner = book.config.print.margins
    shift = (outer - inner) * 72 / 25.4
    return -shift if book.language.is_rtl else shift


@dataclass(frozen=True)
class PrintStyle:
    """What the print stylesheet of one layout unit depends on."""

    mode: str
    """``content``, ``furniture`` or ``baked`` (see templates/print/print.css.j2)."""
    start: int = 1
    counter: str = "decimal"
    running_recto: str = ""
    running_verso: str = ""
    opening_folio: bool = True
    bleed: float = 0.0


def print_css(book: Book, templates: Path, style: PrintStyle) -> str:
    lang = book.language
    rtl = lang.is_rtl
    env = environment(templates)
    counter_symbols = PERSIAN_LETTERS if style.counter == "abjad" else None
    fonts = (templates / "fonts").as_uri()
    css = env.get_template("fonts.css.j2").render(fonts=fonts)
    if style.mode != "furniture":
        css += (templates / "book.css").read_text(encoding="utf-8")
        css += fonts_mod.book_fonts_css(book.config, lambda rel: (book.config.path.parent / rel).resolve().as_uri())
    css += env.get_template("print/print.css.j2").render(
        mode=style.mode,
        trim=book.config.trim,
        bleed=style.bleed,
        counter=style.counter,
        counter_symbols=counter_symbols,
        note_counter=lang.counter_style,
        start=style.start,
        running_recto=style.running_recto,
        running_verso=style.running_verso,
        opening_folio=style.opening_folio,
        verso="right" if rtl else "left",
        recto_break="recto",
        end_side="left" if rtl else "right",
        margin=dict(zip(("top", "outer", "bottom", "inner"), book.config.print.margins)),
        bottom=book.config.print.bottom,
    )
    return css


def common_context(book: Book) -> dict:
    return {
        "lang": book.language.tag,
        "dir": book.language.direction,
        "book_title": book.config.title,
        "book": book,
        "labels": book.language.labels,
        "roles": creator_roles(book),
        "date_text": book.language.digits(book.config.date[:4]) if book.config.date else "",
        "identifier_label": book.language.labels.identifier,
        **identity_facts(book),
    }


def identity_facts(book: Book) -> dict:
    """What the identity page prints beyond book.yaml's plain texts: the edition with its year in both
    calendars for a book in a solar-Hijri language («چاپ نخست، ۱۴۰۵ (۲۰۲۶)»), the ISBN hyphenated as
    given, the print run in the book's digits, and the identifier only when it means something to a reader
    (a UUID is the EPUB's business, not the reader's)."""
    from persiantools.jdatetime import JalaliDate
    from stdnum import isbn as stdnum_isbn

    cfg, lang = book.config, book.language
    sep = lang.list_separator + " "
    year = ""
    if cfg.date:
        gregorian = cfg.date_value.year
        try:
            solar = JalaliDate.to_jalali(cfg.date_value).year if lang.solar_hijri else None
        except (ValueError, OverflowError):  # a date before the solar Hijri era has no solar year
            solar = None
        year = lang.digits(f"{solar} ({gregorian})" if solar else str(gregorian))
    edition = sep.join(x for x in (cfg.edition, year) if x)
    identifier = None if cfg.identifier.lower().startswith("urn:uuid:") or cfg.isbn else cfg.identifier
    isbn = stdnum_isbn.format(cfg.isbn) if cfg.isbn else None  # hyphenated by the registration-group ranges
    return {"edition_text": edition, "isbn_text": isbn, "identifier_text": identifier,
            "print_run_text": lang.digits(f"{cfg.print_run:,}".replace(",", "٬" if lang.is_rtl else ",")) if cfg.print_run else ""}


def creator_roles(book: Book) -> list[tuple[str, str]]:
    """[(«گردآورنده، مترجم و ویراستار», «name، name»)]: each person once, with all their roles, and the people
    who share the same roles together — in the order they first appear in book.yaml."""
    lang = book.language
    sep = lang.list_separator + " "
    roles_of: dict[str, list[str]] = {}
    for c in book.config.creators:
        if c.role != "publisher" and c.role not in roles_of.setdefault(c.name, []):
            roles_of[c.name].append(c.role)
    grouped: dict[tuple, list[str]] = {}
    for name, roles in roles_of.items():
        if roles:
            grouped.setdefault(tuple(roles), []).append(name)
    return [(_joined([lang.labels.roles[r] for r in roles], sep, lang.labels.conjunction), sep.join(names))
            for roles, names in grouped.items()]


def _joined(words: list[str], sep: str, conjunction: str) -> str:
    """«الف»، «الف و ب»، «الف، ب و پ»."""
    return words[0] if len(words) == 1 else sep.join(words[:-1]) + f" {conjunction} " + words[-1]


def byline(book: Book, part: Part) -> str:
    """«ترجمه: … · منبع: …» under a chapter title."""
    ch = part.converted.chapter
    labels = book.language.labels
    bits = []
    if ch.author:
        bits.append(f"{labels.roles['author']}: {bidi.isolate_text(ch.author, book.language.tag)}")
    if ch.translator:
        bits.append(f"{labels.translator_of}: {bidi.isolate_text(ch.translator, book.language.tag)}")
    if ch.source:
        shown = f"{labels.source_of} {book.language.digits((book.source_numbers or {}).get(ch.source, ch.source))}"
        # Markup.format escapes what it is given: an id is text, whatever characters it holds
        link = markupsafe.Markup('<a href="#source-{}">{}</a>').format(ch.source, shown)
        bits.append(link if f"source-{ch.source}" in book.anchor_part else markupsafe.escape(shown))
    return markupsafe.Markup(" · ").join(markupsafe.Markup(b) if not isinstance(b, markupsafe.Markup) else b for b in bits)


def print_chapter_html(book: Book, templates: Path, part: Part, body: str) -> str:
    env = environment(templates)
    return env.get_template("print/chapter.html.j2").render(
        **common_context(book), part=part, chapter=part.converted.chapter, body=body, byline=byline(book, part)
    )


def print_front_html(book: Book, templates: Path, contents: list[dict], bodies: dict) -> str:
    env = environment(templates)
    front_parts = [(p, bodies[p.id], byline(book, p)) for p in book.front]
    return env.get_template("print/front.html.j2").render(**common_context(book), contents=contents, front_parts=front_parts)


def print_index_html(book: Book, templates: Path, entries: list[dict], title: str, part_id: str) -> str:
    env = environment(templates)
    sep = book.language.list_separator
    return env.get_template("print/index.html.j2").render(**common_context(book), entries=entries, title=title, sep=sep, part_id=part_id,
                                                       see=book.language.labels.see)


def blank_html(book: Book, templates: Path) -> str:
    return environment(templates).get_template("print/blank.html.j2").render(**common_context(book))


def _stamp_face(slot: dict) -> str:
    """The drawn number in its slot's face (the text's, not always Parastoo), at the slot's end beside a list's
    leaders or at its start beside «(ص»."""
    family = ", ".join("'" + f.replace("'", "").replace('"', "") + "'" for f in slot.get("family") or ())  # inside style="…"
    return (f"font-family:{family};" if family else "") + f"text-align:{'end' if slot.get('align') == 'end' else 'start'}"


def furniture_html(book: Book, pages: int, stamps: dict | None = None) -> str:
    """``pages`` empty pages: their margin boxes are the unit's folios and running heads;
    ``stamps`` (page → [(slot, text)]) are the cross-reference numbers drawn into their slots."""
    c = common_context(book)
    body = []
    for page in range(pages):
        spans = "".join(
            f'<span class="stamp" style="left:{s["x"]:.3f}px;top:{s["y"]:.3f}px;width:{s["w"]:.3f}px;'
            f'height:{s["h"]:.3f}px;line-height:{s["h"]:.3f}px;font-size:{s["size"]:.3f}px;{_stamp_face(s)}">{text}</span>'
            for s, text in (stamps or {}).get(page, ())
        )
        body.append(f'<div class="furniture-page">{spans}</div>')
    return (
        f'<!DOCTYPE html><html lang="{c["lang"]}" dir="{c["dir"]}"><head><meta charset="utf-8"></head><body>'
        + "".join(body)
        + "</body></html>"
    )
