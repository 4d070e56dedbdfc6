"""Checks on the content of the book in ``manuscript/`` (not on the ketab code).

Sources, provenance records, the cleaned texts, the chapters and the chronology data: orthography, date
markup, notes, cross-references.  Self-contained on purpose (stdlib, pyyaml, pytest, persiantools), so that
it also runs while the pipeline is being built.  Chapters are written by several people in parallel: every
chapter test iterates over whatever chapters exist; ``test_every_english_source_has_a_translated_chapter``
fails until all of them have landed.

Run: ``python -m pytest tests/test_manuscript_content.py -q``
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from persiantools.jdatetime import JalaliDate

ROOT = Path(__file__).resolve().parents[1]
MANUSCRIPT = ROOT / "manuscript"
SOURCES = MANUSCRIPT / "sources"
CLEAN = SOURCES / "clean"
CHAPTERS = MANUSCRIPT / "chapters"
CHRONOLOGY = MANUSCRIPT / "data" / "chronology.yaml"
CLEANER = ROOT / "scripts" / "clean_sources.py"
# The sources exactly as they were received (outside the repository).
ORIGINALS = Path(__file__).resolve().parents[2] / "shared" / "sources"

RAW_NAME = re.compile(r"^(\d{3})_[0-9a-f]+\.txt$")
RECORD_KEYS = ("id", "file", "title", "language", "publication", "author", "date", "kind", "reliability")
CHAPTER_KINDS = ("frontmatter", "chapter", "appendix")
ARABIC_LETTERS = {"\u064a": "ARABIC LETTER YEH (use ی U+06CC)",
                  "\u0649": "ARABIC LETTER ALEF MAKSURA (use ی U+06CC)",
                  "\u0643": "ARABIC LETTER KAF (use ک U+06A9)"}
BOILERPLATE = ("Get short URL", "Leave a Reply", "Related", "Source link", "Please enter your comment",
               "Inserisci i tuoi dati", "Here’s some more background", "Asia & Pacific", "© AP Photo")


# ------------------------------------------------------------------------------------------------------
# Helpers


def raw_sources(folder: Path) -> dict[str, Path]:
    """``{"000": path, …}`` for the raw source files ``NNN_<hash>.txt`` in *folder*."""
    out = {}
    for path in sorted(folder.glob("*.txt")):
        m = RAW_NAME.match(path.name)
        if m:
            out[m.group(1)] = path
    return out


def records() -> dict[str, dict]:
    out = {}
    for path in sorted(SOURCES.glob("[0-9][0-9][0-9].yaml")):
        out[path.stem] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return out


def chapter_files() -> list[Path]:
    return sorted(CHAPTERS.glob("*.md")) if CHAPTERS.is_dir() else []


_FM = re.compile(r"\A\ufeff?---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*\n", re.S | re.M)


def split_chapter(path: Path) -> tuple[dict, str, int]:
    """(front matter, body, number of lines before the body).  Fails the test on a broken front matter."""
    text = path.read_text(encoding="utf-8")
    m = _FM.match(text)
    if not m:
        pytest.fail(f"{path.name}: no YAML front matter (--- … ---) at the top")
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        pytest.fail(f"{path.name}: front matter is not valid YAML: {exc}")
    if not isinstance(meta, dict):
        pytest.fail(f"{path.name}: front matter is not a mapping")
    return meta, text[m.end():], text.count("\n", 0, m.end())


def line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def chapter_texts() -> list[tuple[Path, str]]:
    return [(p, p.read_text(encoding="utf-8")) for p in chapter_files()]


def english_sources() -> dict[str, dict]:
    return {rid: rec for rid, rec in records().items()
            if isinstance(rec, dict) and str(rec.get("language") or "").lower().startswith("en")}


def chronology() -> list:
    if not CHRONOLOGY.is_file():
        pytest.fail(f"{CHRONOLOGY.relative_to(ROOT)} is missing")
    data = yaml.safe_load(CHRONOLOGY.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        pytest.fail("the chronology must be a YAML list of events")
    return data


# ------------------------------------------------------------------------------------------------------
# A small, independent parser for the bodies of [...]{.shamsi} and [...]{.miladi}

DARI_MONTHS = ("حمل", "ثور", "جوزا", "سرطان", "اسد", "سنبله", "میزان", "عقرب", "قوس", "جدی", "دلو", "حوت")
IRANIAN_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
                  "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
# Before 1336 Afghan months followed the sun through the zodiac signs: these are their longest lengths.
AFGHAN_ARITHMETIC_SINCE = 1336
AFGHAN_HISTORIC_MAX_DAYS = (31, 32, 32, 32, 32, 31, 31, 30, 30, 30, 30, 31)
SHAMSI_YEARS = (1200, 1500)
MILADI_YEARS = (1800, 2100)
DATE_MARKUP = re.compile(r"(?<!\\)\[([^\[\]\n]*)\]\{\s*\.(shamsi|miladi)\s*\}")
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


class DateMarkupError(ValueError):
    pass


def _month_key(word: str) -> str:
    """A month name without the ezafe (سنبلهٔ, سنبلۀ), a kasra or a ZWNJ."""
    return re.sub("[\u200c\u0650\u0654]", "", word.replace("ۀ", "ه"))


SOLAR_MONTHS = {**{_month_key(n): (i + 1, "afghan") for i, n in enumerate(DARI_MONTHS)},
                **{_month_key(n): (i + 1, "iranian") for i, n in enumerate(IRANIAN_MONTHS)}}


def _number(token: str, what: str) -> int:
    latin = token.translate(_DIGITS)
    if not (latin.isascii() and latin.isdigit()):
        raise DateMarkupError(f"expected the {what} in digits, found «{token}»")
    return int(latin)


def _shamsi_range(year: int, month: int | None, day: int | None, calendar: str | None):
    lo, hi = SHAMSI_YEARS
    if not lo <= year <= hi:
        raise DateMarkupError(f"solar year {year} is outside {lo}–{hi}")
    if month is None:
        return JalaliDate(year, 1, 1).to_gregorian(), JalaliDate(year + 1, 1, 1).to_gregorian() - dt.timedelta(1)
    if not 1 <= month <= 12:
        raise DateMarkupError(f"there is no month {month}")
    first = JalaliDate(year, month, 1).to_gregorian()
    nxt = JalaliDate(year + (month == 12), month % 12 + 1, 1).to_gregorian()
    if day is None:
        return first, nxt - dt.timedelta(1)
    if calendar == "afghan" and year < AFGHAN_ARITHMETIC_SINCE:
        longest = AFGHAN_HISTORIC_MAX_DAYS[month - 1]  # approximate: the pipeline glosses such days «حدود»
    else:
        longest = JalaliDate.days_in_month(month, year)
    if not 1 <= day <= longest:
        raise DateMarkupError(f"month {month} of {year} has at most {longest} days, not {day}")
    day_date = first + dt.timedelta(day - 1)
    return day_date, day_date


def parse_date(body: str, calendar: str) -> tuple[dt.date, dt.date]:
    """The first and last Gregorian day a date markup body covers; DateMarkupError if it is not valid.

    shamsi: ``11 سنبله 1332``, ``سنبله 1332``, ``1332`` (Dari or Iranian month names, Persian, Arabic-Indic
    or Latin digits) or numeric year first ``1332/6/11``; miladi: ISO ``2021-08-21``, ``2021-08``, ``2021``.
    """
    if calendar == "miladi":
        m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", body.strip().translate(_DIGITS), re.A)
        if not m:
            raise DateMarkupError(f"expected an ISO date (2021-08-21, 2021-08 or 2021), found «{body}»")
        year, month, day = (int(g) if g else None for g in m.groups())
        lo, hi = MILADI_YEARS
        if not lo <= year <= hi:
            raise DateMarkupError(f"Gregorian year {year} is outside {lo}–{hi}")
        try:
            if month is None:
                return dt.date(year, 1, 1), dt.date(year, 12, 31)
            first = dt.date(year, month, 1)
            if day is None:
                return first, dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(1)
            return dt.date(year, month, day), dt.date(year, month, day)
        except ValueError as exc:
            raise DateMarkupError(f"«{body}»: {exc}") from None
    if calendar != "shamsi":
        raise DateMarkupError(f"unknown calendar {calendar!r}")
    tokens = body.split()
    if len(tokens) == 1 and re.search(r"[/-]", tokens[0]):
        parts = re.split(r"[/-]", tokens[0])
        if len(parts) > 3 or len(parts[0]) < 3:
            raise DateMarkupError(f"numeric solar dates are year first (1332/6/11), found «{body}»")
        nums = [_number(p, "year/month/day") for p in parts] + [None, None]
        return _shamsi_range(nums[0], nums[1], nums[2], None)
    if not 1 <= len(tokens) <= 3:
        raise DateMarkupError(f"expected «day month year», «month year» or «year», found «{body}»")
    year = _number(tokens[-1], "year")
    month = day = calendar_kind = None
    if len(tokens) >= 2:
        found = SOLAR_MONTHS.get(_month_key(tokens[-2]))
        if found is None:
            raise DateMarkupError(f"unknown solar month name «{tokens[-2]}»")
        month, calendar_kind = found
    if len(tokens) == 3:
        day = _number(tokens[0], "day")
    return _shamsi_range(year, month, day, calendar_kind)


# ------------------------------------------------------------------------------------------------------
# The date parser itself (so that the date tests below can be trusted)


@pytest.mark.parametrize("body, calendar, expected", [
    ("11 سنبله 1332", "shamsi", dt.date(1953, 9, 2)),
    ("23 اسد 1360", "shamsi", dt.date(1981, 8, 14)),
    ("25 ثور 1361", "shamsi", dt.date(1982, 5, 15)),
    ("5 جوزا 1361", "shamsi", dt.date(1982, 5, 26)),
    ("31 حمل 1363", "shamsi", dt.date(1984, 4, 20)),
    ("۱۸ سنبلهٔ ۱۳۸۰", "shamsi", dt.date(2001, 9, 9)),
    ("18 شهریور 1380", "shamsi", dt.date(2001, 9, 9)),
    ("1380/6/18", "shamsi", dt.date(2001, 9, 9)),
    ("30 اسفند 1399", "shamsi", dt.date(2021, 3, 20)),
    ("2021-08-21", "miladi", dt.date(2021, 8, 21)),
    ("۲۰۲۱-۰۸-۲۱", "miladi", dt.date(2021, 8, 21)),
])
def test_date_parser_accepts_and_converts(body, calendar, expected):
    first, last = parse_date(body, calendar)
    assert first == last == expected


@pytest.mark.parametrize("body, calendar, first, last", [
    ("سنبله 1363", "shamsi", dt.date(1984, 8, 23), dt.date(1984, 9, 22)),
    ("1349", "shamsi", dt.date(1970, 3, 21), dt.date(1971, 3, 20)),
    ("حوت 1399", "shamsi", dt.date(2021, 2, 19), dt.date(2021, 3, 20)),
    ("2021-08", "miladi", dt.date(2021, 8, 1), dt.date(2021, 8, 31)),
    ("2016", "miladi", dt.date(2016, 1, 1), dt.date(2016, 12, 31)),
])
def test_date_parser_gives_ranges_for_months_and_years(body, calendar, first, last):
    assert parse_date(body, calendar) == (first, last)


@pytest.mark.parametrize("body, calendar", [
    ("30 حوت 1380", "shamsi"),       # 1380 is not a leap year
    ("32 حمل 1380", "shamsi"),       # after 1336 Afghan months have Iranian lengths
    ("33 ثور 1332", "shamsi"),       # longer than any pre-1336 month
    ("5 جوزای 1361", "shamsi"),      # ezafe written with ی: not a month name the pipeline knows
    ("11 September 1332", "shamsi"),
    ("سنبله", "shamsi"),
    ("11 سنبله", "shamsi"),
    ("11 سنبله 1332 هـ", "shamsi"),
    ("133", "shamsi"),
    ("11/6/1332", "shamsi"),         # numeric dates are year first
    ("", "shamsi"),
    ("2021-02-29", "miladi"),
    ("2021-13", "miladi"),
    ("21 اگست 2021", "miladi"),
    ("2021/08/21", "miladi"),
    ("Aug. 16", "miladi"),
])
def test_date_parser_rejects(body, calendar):
    with pytest.raises(DateMarkupError):
        parse_date(body, calendar)


# ------------------------------------------------------------------------------------------------------
# Sources, provenance records, cleaned texts


def test_raw_sources_are_byte_identical_to_the_originals():
    if not ORIGINALS.is_dir():
        pytest.skip(f"original sources not available at {ORIGINALS}")
    originals = raw_sources(ORIGINALS)
    assert originals, f"no NNN_<hash>.txt files in {ORIGINALS}"
    problems = []
    for original in originals.values():
        copy = SOURCES / original.name
        if not copy.is_file():
            problems.append(f"{original.name}: not imported into manuscript/sources/")
        elif copy.read_bytes() != original.read_bytes():
            problems.append(f"{original.name}: differs from the original")
    extra = sorted(set(p.name for p in raw_sources(SOURCES).values()) - set(p.name for p in originals.values()))
    problems += [f"{name}: raw source in manuscript/sources/ that is not among the originals" for name in extra]
    assert not problems, "\n".join(problems)


def test_every_raw_source_has_a_complete_provenance_record():
    raws = raw_sources(SOURCES)
    assert raws, "no raw sources NNN_<hash>.txt in manuscript/sources/"
    problems = []
    for rid, raw in raws.items():
        path = SOURCES / f"{rid}.yaml"
        if not path.is_file():
            problems.append(f"{raw.name}: no provenance record {path.name}")
            continue
        rec = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(rec, dict):
            problems.append(f"{path.name}: not a mapping")
            continue
        missing = [k for k in RECORD_KEYS if k not in rec]
        if missing:
            problems.append(f"{path.name}: missing keys {', '.join(missing)}")
        if rec.get("id") != rid:
            problems.append(f"{path.name}: id is {rec.get('id')!r}, expected the string {rid!r}")
        if rec.get("file") != raw.name:
            problems.append(f"{path.name}: file is {rec.get('file')!r}, expected {raw.name!r}")
        for key in ("title", "language", "publication", "kind", "reliability"):
            if key in rec and not (isinstance(rec[key], str) and rec[key].strip()):
                problems.append(f"{path.name}: {key} must be a non-empty text")
    for rid in sorted(set(records()) - set(raws)):
        problems.append(f"{rid}.yaml: record without a raw source file")
    assert not problems, "\n".join(problems)


def test_cleaner_outputs_are_up_to_date():
    assert CLEANER.is_file(), "scripts/clean_sources.py is missing"
    run = subprocess.run([sys.executable, str(CLEANER), "--check"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"clean_sources.py --check exited {run.returncode}:\n{run.stdout}\n{run.stderr}"


def test_every_source_has_a_clean_text():
    missing = [rid for rid in raw_sources(SOURCES) if not (CLEAN / f"{rid}.txt").is_file()]
    assert not missing, f"no clean text for sources {missing}"
    assert (CLEAN / "REPORT.md").is_file(), "the cleaning report clean/REPORT.md is missing"


@pytest.mark.parametrize("needle", BOILERPLATE)
def test_clean_texts_have_no_boilerplate(needle):
    found = [p.name for p in sorted(CLEAN.glob("[0-9][0-9][0-9].txt")) if needle in p.read_text(encoding="utf-8")]
    assert not found, f"{needle!r} left in clean text(s) {found}"


# ------------------------------------------------------------------------------------------------------
# Chapters: front matter, translations, orthography


def test_there_are_chapters():
    assert chapter_files(), "no chapters in manuscript/chapters/"


def test_chapter_front_matter_is_valid():
    recs = records()
    problems = []
    for path in chapter_files():
        meta, body, _ = split_chapter(path)
        if not (isinstance(meta.get("title"), str) and meta["title"].strip()):
            problems.append(f"{path.name}: `title` is required")
        if meta.get("kind", "chapter") not in CHAPTER_KINDS:
            problems.append(f"{path.name}: kind {meta.get('kind')!r} is not one of {CHAPTER_KINDS}")
        if "source" in meta:
            src = meta["source"]
            if not isinstance(src, str):
                problems.append(f"{path.name}: source {src!r} must be a quoted string such as \"001\"")
            elif src not in recs:
                problems.append(f"{path.name}: source {src!r} has no provenance record")
        if re.search(r"^ {0,3}#(?!#)\s", body, re.M):
            problems.append(f"{path.name}: `#` heading in the body (the title comes from the front matter)")
    assert not problems, "\n".join(problems)


def _translated_chapters() -> dict[str, list[tuple[str, dict]]]:
    """English source id -> [(chapter file name, front matter), …] for the chapters that name it."""
    english = english_sources()
    out: dict[str, list[tuple[str, dict]]] = {}
    for path in chapter_files():
        meta, _, _ = split_chapter(path)
        src = meta.get("source")
        if isinstance(src, str) and src in english:
            out.setdefault(src, []).append((path.name, meta))
    return out


def test_translated_chapters_name_a_translator():
    problems = []
    for src, chapters in _translated_chapters().items():
        for name, meta in chapters:
            translator = meta.get("translator")
            if not (isinstance(translator, str) and translator.strip()):
                problems.append(f"{name}: translates English source {src} but has no `translator`")
    assert not problems, "\n".join(problems)


def test_every_english_source_has_a_translated_chapter():
    english = english_sources()
    assert english, "no English sources among the provenance records"
    covered = {src for src, chapters in _translated_chapters().items()
               if any(isinstance(m.get("translator"), str) and m["translator"].strip() for _, m in chapters)}
    missing = sorted(set(english) - covered)
    assert not missing, ("English sources without a chapter naming them (`source`) and a `translator`: "
                         + ", ".join(f"{rid} ({english[rid].get('title')})" for rid in missing))


def _arabic_letters(path: Path, text: str) -> list[str]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        for ch, name in ARABIC_LETTERS.items():
            if ch in line:
                out.append(f"{path.name}:{n}: {line.count(ch)} × U+{ord(ch):04X} {name}")
    return out


def test_no_arabic_yeh_or_kaf_in_chapters_and_chronology():
    problems = []
    for path, text in chapter_texts():
        problems += _arabic_letters(path, text)
    if CHRONOLOGY.is_file():
        problems += _arabic_letters(CHRONOLOGY, CHRONOLOGY.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------------------------
# Chapters: dates, notes, cross-references


def test_date_markups_in_chapters_are_valid_dates():
    problems, count = [], 0
    for path, text in chapter_texts():
        for m in DATE_MARKUP.finditer(text):
            count += 1
            try:
                parse_date(m.group(1), m.group(2))
            except DateMarkupError as exc:
                problems.append(f"{path.name}:{line_at(text, m.start())}: [{m.group(1)}]{{.{m.group(2)}}}: {exc}")
    assert not problems, f"{len(problems)} of {count} date markups are invalid:\n" + "\n".join(problems)


GLOSS_TYPED = re.compile(r"\]\{\s*\.(?:shamsi|miladi)\s*\}\s*\(\s*(?:حدود\s*)?[0-9۰-۹]")


def test_no_hand_typed_gloss_after_a_date_markup():
    """The pipeline adds the other calendar's date in parentheses right after a date markup: a typed gloss
    (or any other parenthesis opening with a number) would make two parentheses in a row."""
    problems = []
    for path, text in chapter_texts():
        for m in GLOSS_TYPED.finditer(text):
            problems.append(f"{path.name}:{line_at(text, m.start())}: {text[m.start():m.end() + 20]!r}")
    assert not problems, "\n".join(problems)


NOTE_LABEL = re.compile(r"\[\^([^\]\s]+)\]")
NOTE_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:[ \t]*(.*)$", re.M)
NOTE_SIGN_TYPED = re.compile(r"ـ\s*[مو]\s*\.?\s*$")


def test_every_footnote_is_referenced_and_defined():
    problems = []
    for path, text in chapter_texts():
        defs: dict[str, int] = {}
        def_starts = set()
        for m in NOTE_DEF.finditer(text):
            label, n = m.group(1), line_at(text, m.start())
            def_starts.add(m.start() + m.group(0).index("["))
            if label in defs:
                problems.append(f"{path.name}:{n}: note [^{label}] defined twice (first on line {defs[label]})")
            defs.setdefault(label, n)
            if not m.group(2).strip():
                problems.append(f"{path.name}:{n}: note [^{label}] is empty (a note is one line)")
        refs: dict[str, int] = {}
        for m in NOTE_LABEL.finditer(text):
            if m.start() not in def_starts:
                refs.setdefault(m.group(1), line_at(text, m.start()))
        problems += [f"{path.name}:{n}: note [^{label}] is referenced but not defined"
                     for label, n in refs.items() if label not in defs]
        problems += [f"{path.name}:{n}: note [^{label}] is defined but never referenced"
                     for label, n in defs.items() if label not in refs]
    assert not problems, "\n".join(problems)


def test_note_signs_are_left_to_the_pipeline():
    """Translator's and editor's notes start with «م: » / «و: »; the pipeline appends «ـ م.» / «ـ و.»."""
    problems = []
    for path, text in chapter_texts():
        for m in NOTE_DEF.finditer(text):
            if NOTE_SIGN_TYPED.search(m.group(2)):
                problems.append(f"{path.name}:{line_at(text, m.start())}: note [^{m.group(1)}] types the sign itself")
    assert not problems, "\n".join(problems)


ATTR_BLOCK = re.compile(r"\{([^{}\n]*)\}")
ID_IN_ATTR = re.compile(r"(?:^|\s)#([^\s{}#]+)")
LINK_TARGET = re.compile(r"\]\(\s*#([^)\s]+)\s*\)")
ID_FORM = re.compile(r"[a-z0-9][a-z0-9_-]*")


def _book_generated_ids() -> set[str]:
    """Anchors of parts the pipeline generates (the list of sources: ``source-NNN``), if the book has one."""
    book = MANUSCRIPT / "book.yaml"
    if not book.is_file():
        return set()
    try:
        config = yaml.safe_load(book.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return set()
    entries = (config.get("chapters") or []) if isinstance(config, dict) else []
    if any(isinstance(e, dict) and e.get("generate") == "sources" for e in entries):
        return {f"source-{rid}" for rid in records()}
    return set()


def _anchors() -> tuple[dict[str, list[str]], list[str]]:
    """id -> [where defined, …] over all chapters, and the problems with the ids' form."""
    ids: dict[str, list[str]] = {}
    bad = []
    for path, text in chapter_texts():
        for block in ATTR_BLOCK.finditer(text):
            for m in ID_IN_ATTR.finditer(block.group(1)):
                where = f"{path.name}:{line_at(text, block.start())}"
                ids.setdefault(m.group(1), []).append(where)
                if not ID_FORM.fullmatch(m.group(1)):
                    bad.append(f"{where}: id {m.group(1)!r} is not lowercase ASCII")
    return ids, bad


def test_anchor_ids_are_unique_and_lowercase_ascii():
    ids, problems = _anchors()
    problems += [f"id {i!r} defined {len(w)} times: {', '.join(w)}" for i, w in ids.items() if len(w) > 1]
    assert not problems, "\n".join(problems)


def test_every_cross_reference_target_exists():
    ids, _ = _anchors()
    known = set(ids) | _book_generated_ids()
    problems = []
    for path, text in chapter_texts():
        for m in LINK_TARGET.finditer(text):
            if m.group(1) not in known:
                problems.append(f"{path.name}:{line_at(text, m.start())}: link to #{m.group(1)}, "
                                "which no chapter defines as {#" + m.group(1) + "}")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------------------------
# The chronology (manuscript/data/chronology.yaml)

CHRONOLOGY_KEYS = {"date", "calendar", "event", "source"}
CHRONOLOGY_SIZE = (15, 40)


def test_chronology_entries_are_well_formed():
    events = chronology()
    lo, hi = CHRONOLOGY_SIZE
    problems = [] if lo <= len(events) <= hi else [f"{len(events)} events, expected {lo}–{hi}"]
    recs = records()
    for i, ev in enumerate(events, 1):
        if not isinstance(ev, dict):
            problems.append(f"event {i}: not a mapping")
            continue
        if set(ev) != CHRONOLOGY_KEYS:
            problems.append(f"event {i}: keys {sorted(ev)}, expected {sorted(CHRONOLOGY_KEYS)}")
        if not isinstance(ev.get("date"), str):
            problems.append(f"event {i}: date {ev.get('date')!r} must be a quoted string")
        if ev.get("calendar") not in ("shamsi", "miladi"):
            problems.append(f"event {i}: calendar {ev.get('calendar')!r} is not shamsi or miladi")
        event = ev.get("event")
        if not (isinstance(event, str) and event.strip()) or "\n" in str(event).strip():
            problems.append(f"event {i}: event must be one line of text")
        if not (isinstance(ev.get("source"), str) and ev["source"] in recs):
            problems.append(f"event {i}: source {ev.get('source')!r} is not a quoted id of a provenance record")
    assert not problems, "\n".join(problems)


def _chronology_ranges() -> list[tuple[int, str, tuple[dt.date, dt.date] | DateMarkupError]]:
    out = []
    for i, ev in enumerate(chronology(), 1):
        if not isinstance(ev, dict):
            continue
        body = f"[{ev.get('date')}]{{.{ev.get('calendar')}}}"
        try:
            out.append((i, body, parse_date(str(ev.get("date")), str(ev.get("calendar")))))
        except DateMarkupError as exc:
            out.append((i, body, exc))
    return out


def test_chronology_dates_are_valid():
    problems = [f"event {i}: {body}: {res}" for i, body, res in _chronology_ranges()
                if isinstance(res, DateMarkupError)]
    assert not problems, "\n".join(problems)


def test_chronology_is_in_chronological_order():
    ranges = [(i, body, res) for i, body, res in _chronology_ranges() if not isinstance(res, DateMarkupError)]
    problems = [f"event {b[0]} {b[1]} (from {b[2][0]}) comes after event {a[0]} {a[1]} (from {a[2][0]})"
                for a, b in zip(ranges, ranges[1:]) if b[2][0] < a[2][0]]
    assert not problems, "\n".join(problems)


def test_chronology_covers_both_calendars_and_the_key_dates():
    events = chronology()
    dates = {(ev.get("calendar"), ev.get("date")) for ev in events if isinstance(ev, dict)}
    for key in [("shamsi", "11 سنبله 1332"), ("shamsi", "18 سنبله 1380"),
                ("miladi", "2021-08-15"), ("miladi", "2021-08-21")]:
        assert key in dates, f"the chronology lacks [{key[1]}]{{.{key[0]}}}"


def test_chronology_events_use_persian_digits():
    problems = []
    for i, ev in enumerate(chronology(), 1):
        text = DATE_MARKUP.sub("", str(ev.get("event", ""))) if isinstance(ev, dict) else ""
        for word in re.findall(r"\S*[0-9]\S*", text):
            if not re.search(r"[A-Za-z]", word):  # Latin digits belong in Latin runs only
                problems.append(f"event {i}: Latin digits in {word!r}")
        problems += [f"event {i}: {line}" for line in _arabic_letters(CHRONOLOGY, text)]
    assert not problems, "\n".join(problems)
