"""The register of names: the people, places and organisations the index lists.

A book's index is driven by a register (``{generate: index, data: data/names.yaml}`` in book.yaml) instead of
hand-placed marks alone: every occurrence of a registered form in the text is indexed.  Each entry is a
mapping::

    - entry: چرچیل، وینستون        # the heading the index prints (Western names inverted)
      kind: person                 # person | place | organisation
      forms: [وینستون چرچیل, چرچیل] # every spelling that stands for it in the text
      latin: Winston Churchill     # optional: the Latin-script form
      reject: [چرچل]               # optional: spellings the book must not use (the linter flags them)
      see: …                       # optional: this entry is only a see-reference to another entry

A form is matched as whole words (a Persian letter or ZWNJ on either side means another word), longest form
first, so «احمدشاه مسعود» is one mention and not also a mention of «مسعود».  Marks typed by hand
(``[…]{.idx}``, ``[…]{.idx entry="…"}``) still work beside the register and are never marked twice: a form that
two entries share (the district «فرخار» and «فرخار (تاجیکستان)») is indexed under the first one, and a tag
files an occurrence under the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ketab.diagnostics import Collector
from ketab.persian.script import ARABIC_LETTER

KINDS = ("person", "place", "organisation")
_KEYS = {"entry", "kind", "forms", "latin", "reject", "see", "note"}
_WORD = f"{ARABIC_LETTER}\u200c\\w"


@dataclass(frozen=True)
class Name:
    entry: str
    """The index heading."""
    kind: str
    forms: tuple[str, ...]
    latin: str | None = None
    reject: tuple[str, ...] = ()
    see: str | None = None
    line: int = 1


@dataclass(frozen=True)
class Register:
    path: Path | None
    names: tuple[Name, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names)

    @property
    def see_references(self) -> tuple[Name, ...]:
        return tuple(n for n in self.names if n.see)

    def matcher(self) -> "re.Pattern | None":
        """One pattern for every form of every entry that is not a see-reference, longest first."""
        forms = sorted({f for n in self.names if not n.see for f in n.forms}, key=lambda f: (-len(f), f))
        if not forms:
            return None
        alternatives = "|".join(r"\s+".join(re.escape(w) for w in f.split()) for f in forms)
        return re.compile(f"(?<![{_WORD}])(?:{alternatives})(?![{_WORD}])")

    def entry_of(self, form: str) -> str | None:
        """The entry a form is indexed under: the first registered entry that has it."""
        form = " ".join(form.split())
        for n in self.names:
            if not n.see and form in n.forms:
                return n.entry
        return None

    def rejected(self) -> dict[str, str]:
        """Rejected spelling → the entry whose spelling the book uses instead."""
        return {r: n.entry for n in self.names for r in n.reject}


def _strings(value, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and str(v).strip() for v in value):
        raise ValueError(f"{what}: expected a list of names")
    return tuple(" ".join(str(v).split()) for v in value)


def parse_register(doc, path: Path, diags: Collector) -> Register:
    """The register from a located YAML document (see :mod:`ketab.yamlnodes`); problems go to ``diags``."""
    if not isinstance(doc.value, list):
        diags.error(path, 1, "the register of names is a list of {entry, kind, forms}", "register.type")
        return Register(path)
    names, headings = [], {}
    for i, item in enumerate(doc.value):
        line = doc.line(i)
        if not isinstance(item, dict) or not isinstance(item.get("entry"), str) or not item["entry"].strip():
            diags.error(path, line, "each name needs an `entry` (the index heading)", "register.type")
            continue
        for key in set(item) - _KEYS:
            diags.warning(path, doc.line(i, key), f"unknown key {key!r} in the register is ignored", "register.unknown-key")
        entry = " ".join(item["entry"].split())
        kind = item.get("kind", "person")
        if kind not in KINDS:
            diags.error(path, doc.line(i, "kind"), f"kind {kind!r}: use one of {', '.join(KINDS)}", "register.value")
            continue
        try:
            forms = _strings(item.get("forms"), "forms")
            reject = _strings(item.get("reject"), "reject")
        except ValueError as exc:
            diags.error(path, line, str(exc), "register.value")
            continue
        see = item.get("see")
        if entry in headings:
            diags.error(path, line, f"«{entry}» is registered twice (first on line {headings[entry]})", "register.duplicate")
            continue
        headings[entry] = line
        latin = item.get("latin")
        names.append(Name(entry, kind, forms or (entry,), None if latin is None else str(latin).strip(), reject,
                          None if see is None else " ".join(str(see).split()), line))
    _check_forms(names, path, diags)
    return Register(path, tuple(names))


def _check_forms(names: list[Name], path: Path, diags: Collector) -> None:
    owner: dict[str, Name] = {}
    for n in names:
        if n.see and n.see not in {m.entry for m in names}:
            diags.error(path, n.line, f"«{n.entry}» refers to «{n.see}», which is not registered", "register.see")
        for form in n.forms if not n.see else ():
            owner.setdefault(form, n)  # a form two entries share is the first one's; a tag decides for the other
    for n in names:
        for r in n.reject:
            if r in owner:
                diags.error(path, n.line, f"«{r}» is both rejected here and a form of «{owner[r].entry}»", "register.ambiguous")


# --- marking the text ----------------------------------------------------------------------------------

_SKIP_TAGS = {"pre", "code", "kbd", "samp", "h1", "h2", "h3", "h4", "h5", "h6", "math", "svg"}
_SKIP_CLASSES = {"idx", "note-sign", "source-file"}


def mark_names(root, register: Register) -> int:
    """Wrap every registered form in the lxml tree ``root`` in ``<span class="idx" data-entry=…>``, outside
    code, headings and hand-placed marks.  Returns how many mentions were marked."""
    pattern = register.matcher() if register else None
    if pattern is None:
        return 0
    count = 0
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or _skipped(el):
            continue
        count += _mark_text(el, pattern, register)
        for child in list(el):
            if isinstance(child.tag, str) and child.tail and not _skipped(el):
                count += _mark_tail(child, pattern, register)
    return count


def _skipped(el) -> bool:
    for node in (el, *el.iterancestors()):
        if node.tag in _SKIP_TAGS or _SKIP_CLASSES & set((node.get("class") or "").split()):
            return True
    return False


def _spans(text: str, pattern, register: Register, make):
    """Split ``text`` into (leading text, [span…]) with each span's tail holding the text after it."""
    pieces, last, lead = [], 0, None
    for m in pattern.finditer(text):
        entry = register.entry_of(m.group())
        if entry is None:
            continue
        before = text[last:m.start()]
        if pieces:
            pieces[-1].tail = before
        else:
            lead = before
        span = make("span", {"class": "idx", "data-entry": entry})
        span.text = m.group()
        pieces.append(span)
        last = m.end()
    if not pieces:
        return None, []
    pieces[-1].tail = text[last:]
    return lead, pieces


def _mark_text(el, pattern, register: Register) -> int:
    if not el.text:
        return 0
    lead, spans = _spans(el.text, pattern, register, el.makeelement)
    if not spans:
        return 0
    el.text = lead
    for i, span in enumerate(spans):
        el.insert(i, span)
    return len(spans)


def _mark_tail(child, pattern, register: Register) -> int:
    lead, spans = _spans(child.tail, pattern, register, child.makeelement)
    if not spans:
        return 0
    child.tail = lead
    anchor = child
    for span in spans:
        anchor.addnext(span)
        anchor = span
    return len(spans)
