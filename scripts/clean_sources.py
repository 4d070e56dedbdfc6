#!/usr/bin/env python3
"""Strip web boilerplate from the book's raw sources.

Reads every raw source ``manuscript/sources/NNN_<hash>.txt`` together with its
provenance record ``manuscript/sources/NNN.yaml`` and writes

* ``manuscript/sources/clean/NNN.txt`` -- the text without boilerplate;
* ``manuscript/sources/clean/REPORT.md`` -- per source, every removed (or
  modified) line with its line number in the raw file and the rule that
  removed it.

The raw files are only ever opened for reading.  The output depends on nothing
but the raw texts and the rules, so running the script twice gives
byte-identical results (it is idempotent).

Usage::

    python scripts/clean_sources.py [--sources DIR] [--out DIR] [--check]

``--sources`` defaults to ``manuscript/sources`` next to this script's parent
directory, ``--out`` to ``<sources>/clean``.  With ``--check`` nothing is
written: the script exits with status 1 if the files on disk differ from what
it would write.

Rules
-----
The ``boilerplate`` key of a provenance record is a list of rules.  Each rule
is a mapping with exactly one *selector* key, optional modifiers, and an
optional free-text ``why`` (copied into the report).  Line numbers are
1-based and refer to the raw file.  Matching is done on the line with
surrounding whitespace (including U+00A0 NO-BREAK SPACE) stripped.

Selectors that drop whole lines:

``line: TEXT``
    drop every line whose stripped text equals TEXT.
``prefix: TEXT``
    drop every line whose stripped text starts with TEXT.
``regex: PATTERN``
    drop every line in which the Python regular expression PATTERN matches
    (``re.search`` on the stripped line).
``from: TEXT``
    drop the first line whose stripped text equals TEXT and every line after
    it to the end of the file (a page footer: comment form, related links).
``from_regex: PATTERN``
    like ``from`` but the first line matched by PATTERN starts the cut.
``lines: [FIRST, LAST]``
    drop the lines FIRST..LAST inclusive (use sparingly: tied to one file).

Modifier for the line selectors (``line``, ``prefix``, ``regex``):

``and_next: N``
    also drop the next N *non-blank* lines after each match (e.g. a photo
    credit followed by its caption); blank lines in between are dropped too.

Selector that edits a line in place:

``sub: PATTERN`` with ``with: REPLACEMENT``
    apply ``re.sub(PATTERN, REPLACEMENT, line)`` to every line that is not
    dropped (e.g. a breadcrumb fragment glued onto the title).  Modified lines
    are listed in the report with their old and new text.

Every rule must match at least once; a rule that matches nothing is an error
(it means the rule or the source changed).

After the rules, the text is normalised without changing any words:
trailing whitespace (including U+00A0) is removed from each line, a line that
is empty after that counts as blank, runs of blank lines are collapsed into
one, blank lines at the beginning and end are dropped, and the file ends with
exactly one newline.  Blank lines removed this way are listed in the report
by number only.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCES = ROOT / "manuscript" / "sources"

WS = " \t\r\n\u00a0\u200f\u200e\ufeff"
LINE_SELECTORS = ("line", "prefix", "regex")
RANGE_SELECTORS = ("from", "from_regex", "lines")
ALL_SELECTORS = LINE_SELECTORS + RANGE_SELECTORS + ("sub",)
MODIFIERS = {"and_next", "with", "why"}


class RuleError(ValueError):
    pass


@dataclass
class Result:
    sid: str
    raw_name: str
    text: str
    removed: list[tuple[int, str, str]] = field(default_factory=list)  # (lineno, text, rule)
    modified: list[tuple[int, str, str, str]] = field(default_factory=list)  # (lineno, old, new, rule)
    blank: list[int] = field(default_factory=list)


def describe(rule: dict) -> str:
    sel = next(k for k in rule if k in ALL_SELECTORS)
    val = rule[sel]
    s = f"{sel}: '{val}'" if sel != "lines" else f"lines: {val[0]}-{val[1]}"
    if sel == "sub":
        s += f" → '{rule.get('with', '')}'"
    if rule.get("and_next"):
        s += f" (+{rule['and_next']} next)"
    return s


def check_rule(rule: object, sid: str) -> str:
    if not isinstance(rule, dict):
        raise RuleError(f"{sid}: rule {rule!r} is not a mapping")
    sels = [k for k in rule if k in ALL_SELECTORS]
    unknown = [k for k in rule if k not in ALL_SELECTORS and k not in MODIFIERS]
    if len(sels) != 1 or unknown:
        raise RuleError(f"{sid}: rule {rule!r} needs exactly one selector of {ALL_SELECTORS}"
                        + (f"; unknown keys {unknown}" if unknown else ""))
    sel = sels[0]
    if "and_next" in rule and sel not in LINE_SELECTORS:
        raise RuleError(f"{sid}: and_next only works with {LINE_SELECTORS}")
    if sel == "sub" and "with" not in rule:
        raise RuleError(f"{sid}: sub rule needs 'with'")
    if sel == "lines":
        v = rule[sel]
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) for x in v) and v[0] <= v[1]):
            raise RuleError(f"{sid}: lines needs [FIRST, LAST]")
    for key in ("regex", "from_regex", "sub"):
        if key in rule:
            try:
                re.compile(rule[key])
            except re.error as exc:
                raise RuleError(f"{sid}: bad regex {rule[key]!r}: {exc}") from exc
    return sel


def clean(sid: str, raw_name: str, raw: str, rules: list) -> Result:
    lines = raw.split("\n")
    if lines and lines[-1] == "" and raw.endswith("\n"):
        lines.pop()
    stripped = [ln.strip(WS) for ln in lines]
    why: dict[int, str] = {}  # 0-based index -> rule description
    subs = []
    for rule in rules or []:
        sel = check_rule(rule, sid)
        desc = describe(rule)
        if sel == "sub":
            subs.append((re.compile(rule["sub"]), rule["with"], desc))
            continue
        if not _select(rule, sel, stripped, lambda i, d=desc: why.setdefault(i, d)):
            raise RuleError(f"{sid}: rule {desc} matched nothing in {raw_name}")
    res = Result(sid, raw_name, "")
    kept = _kept_lines(lines, stripped, why, subs, res, sid, raw_name)
    out = _without_extra_blanks(kept, res)
    res.blank.sort()
    res.text = "\n".join(ln for _, ln in out) + "\n"
    return res


def _select(rule: dict, sel: str, stripped: list[str], drop) -> int:
    """Drop the lines a line rule selects; how many places it matched."""
    n, hits = len(stripped), 0
    if sel in LINE_SELECTORS:
        pat = rule[sel]
        rx = re.compile(pat) if sel == "regex" else None
        for i, s in enumerate(stripped):
            if not (s == pat if sel == "line" else s.startswith(pat) if sel == "prefix" else bool(rx.search(s))):
                continue
            hits += 1
            drop(i)
            need, j = int(rule.get("and_next", 0) or 0), i + 1
            while need and j < n:
                drop(j)
                if stripped[j]:
                    need -= 1
                j += 1
    elif sel in ("from", "from_regex"):
        pat = rule[sel]
        rx = re.compile(pat) if sel == "from_regex" else None
        for i, s in enumerate(stripped):
            if (s == pat) if rx is None else bool(rx.search(s)):
                hits = 1
                for j in range(i, n):
                    drop(j)
                break
    elif sel == "lines":
        a, b = rule[sel]
        if 1 <= a <= b <= n:
            hits = 1
            for j in range(a - 1, b):
                drop(j)
    return hits


def _kept_lines(lines, stripped, why: dict, subs: list, res: Result, sid: str, raw_name: str) -> list[tuple[int, str]]:
    """(line number, text) of the lines no rule dropped, with the substitutions applied (recorded in ``res``)."""
    kept: list[tuple[int, str]] = []
    sub_hits = {d: 0 for _, _, d in subs}
    for i, ln in enumerate(lines):
        if i in why:
            if stripped[i]:
                res.removed.append((i + 1, stripped[i], why[i]))
            else:
                res.blank.append(i + 1)
            continue
        new = ln
        for rx, repl, desc in subs:
            after = rx.sub(repl, new)
            if after != new:
                sub_hits[desc] += 1
                res.modified.append((i + 1, new.strip(WS), after.strip(WS), desc))
                new = after
        kept.append((i + 1, new.rstrip(WS)))
    for desc, hits in sub_hits.items():
        if not hits:
            raise RuleError(f"{sid}: rule {desc} matched nothing in {raw_name}")
    return kept


def _without_extra_blanks(kept: list[tuple[int, str]], res: Result) -> list[tuple[int, str]]:
    """No leading or trailing blank lines, no two in a row (the dropped ones recorded in ``res``)."""
    out: list[tuple[int, str]] = []
    prev_blank = True  # drops leading blank lines
    for no, ln in kept:
        if not ln.strip(WS):
            if prev_blank:
                res.blank.append(no)
                continue
            prev_blank = True
            out.append((no, ""))
        else:
            prev_blank = False
            out.append((no, ln))
    while out and out[-1][1] == "":
        res.blank.append(out.pop()[0])
    return out


def md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def ranges(nums: list[int]) -> str:
    if not nums:
        return "—"
    parts, start, prev = [], nums[0], nums[0]
    for x in nums[1:] + [None]:
        if x is not None and x == prev + 1:
            prev = x
            continue
        parts.append(f"{start}" if start == prev else f"{start}–{prev}")
        if x is not None:
            start = prev = x
    return ", ".join(parts)


def report(results: list[Result]) -> str:
    out = [
        "# Cleaning report",
        "",
        "Generated by `scripts/clean_sources.py` from the raw sources and the `boilerplate` rules in",
        "`manuscript/sources/NNN.yaml`. Line numbers refer to the raw files. Do not edit by hand.",
        "",
    ]
    for r in results:
        out += [f"## {r.sid} — `{r.raw_name}`", ""]
        out.append(f"Removed {len(r.removed)} non-blank line(s), modified {len(r.modified)}, "
                   f"dropped {len(r.blank)} blank line(s).")
        out.append("")
        if r.removed:
            out += ["| line | removed text | rule |", "|---:|---|---|"]
            out += [f"| {no} | {md_cell(t)} | `{md_cell(d)}` |" for no, t, d in r.removed]
            out.append("")
        if r.modified:
            out += ["| line | before | after | rule |", "|---:|---|---|---|"]
            out += [f"| {no} | {md_cell(a)} | {md_cell(b)} | `{md_cell(d)}` |" for no, a, b, d in r.modified]
            out.append("")
        out += [f"Blank or whitespace-only lines dropped: {ranges(r.blank)}.", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def load(sources: Path) -> list[tuple[str, Path, list]]:
    items = []
    for rec_path in sorted(sources.glob("[0-9][0-9][0-9].yaml")):
        rec = yaml.safe_load(rec_path.read_text(encoding="utf-8")) or {}
        sid = str(rec.get("id", rec_path.stem))
        raw = sources / rec["file"]
        if not raw.is_file():
            raise RuleError(f"{rec_path.name}: file {rec['file']} not found")
        items.append((sid, raw, rec.get("boilerplate") or []))
    if not items:
        raise RuleError(f"no provenance records (NNN.yaml) in {sources}")
    return items


def build(sources: Path) -> dict[str, str]:
    """Return {file name: content} for everything the script writes."""
    results = []
    for sid, raw, rules in load(sources):
        text = raw.read_bytes().decode("utf-8")
        results.append(clean(sid, raw.name, text, rules))
    files = {f"{r.sid}.txt": r.text for r in results}
    files["REPORT.md"] = report(results)
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", type=Path, default=DEFAULT_SOURCES)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = ap.parse_args(argv)
    out = args.out or args.sources / "clean"
    try:
        files = build(args.sources)
    except (RuleError, KeyError, yaml.YAMLError) as exc:
        print(f"clean_sources: {exc}", file=sys.stderr)
        return 2
    stale = []
    for name, content in files.items():
        target = out / name
        data = content.encode("utf-8")
        if target.is_file() and target.read_bytes() == data:
            continue
        stale.append(name)
        if not args.check:
            out.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    if args.check:
        if stale:
            print("clean_sources: out of date: " + ", ".join(stale), file=sys.stderr)
            return 1
        return 0
    print(f"clean_sources: {len(files) - 1} source(s); "
          + (f"wrote {', '.join(stale)}" if stale else "nothing changed"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
