"""The book-wide lint rules: one spelling per word across chapters; the register's spellings of names."""

from __future__ import annotations

from ketab.pandocrun import nonprose
from ketab.persian.lint.book import book_findings

Z = "\u200c"


def codes(files, rejected=None, disabled=frozenset()):
    """The book-wide findings, code and raw HTML set aside as pandoc parses them (as ketab runs the rules)."""
    files = [(path, text, nonprose(text)) for path, text in files]
    return [(f.path, f.line, f.code) for f in book_findings(files, rejected, disabled)]


def test_a_word_written_two_ways_in_two_chapters_is_reported_where_it_is_rarer():
    one = ("01.md", "همچنین گفت. همچنین رفت.\n\nو آمریکا")
    two = ("02.md", f"سطر\nهم{Z}چنین آمد و امریکا و آمریکا")
    found = codes([one, two])
    assert ("02.md", 2, "fa-spelling") in found
    assert [f for f in found if f[0] == "01.md"] == []  # «آمریکا» is the usual form: its «امریکا» is flagged
    messages = [f.message for f in book_findings([one, two])]
    assert any("«امریکا» is written «آمریکا» 2 times" in m for m in messages)


def test_known_pairs_and_arabic_letters_count_as_one_word():
    found = book_findings([("a.md", "هجده ماه و هجده روز"), ("b.md", "هژده سال")])
    assert [(f.path, f.code) for f in found] == [("b.md", "fa-spelling")]


def test_diacritics_and_consistent_spellings_are_not_findings():
    files = [("a.md", "خانهٔ من و خانه و خانه‌ها"), ("b.md", "مسعودِ جوان و مسعود"), ("c.md", "`هم‌چنین` و همچنین")]
    assert codes(files) == []  # code spans are not prose


def test_a_rejected_spelling_of_a_name_is_reported_with_the_books_spelling():
    found = book_findings([("a.md", "به تاجکستان رفت و از تاجیکستان آمد")], {"تاجکستان": "تاجیکستان"})
    assert [(f.line, f.col, f.code) for f in found] == [(1, 4, "fa-name-variant")]
    assert "تاجیکستان" in found[0].message


def test_book_rules_can_be_disabled():
    files = [("a.md", "همچنین همچنین"), ("b.md", f"هم{Z}چنین و تاجکستان")]
    assert codes(files, {"تاجکستان": "تاجیکستان"}, frozenset({"fa-spelling", "fa-name-variant"})) == []


def test_ketab_lint_on_a_book_folder_runs_the_book_rules(write_book):
    import io

    from ketab.commands.lint import lint_paths

    root = write_book(
        "title: t\nlanguage: fa\nslug: t\nidentifier: urn:uuid:2b3c4d5e-0000-4000-8000-000000000004\n"
        "chapters: [a.md, b.md]\n",
        {"a.md": "---\ntitle: الف\n---\n\nهمچنین و همچنین\n", "b.md": f"---\ntitle: ب\n---\n\nهم{Z}چنین\n"},
    )
    out = io.StringIO()
    assert lint_paths([root], out=out) == 1
    assert "b.md:5: warning: «هم\u200cچنین» is written «همچنین» 2 times" in out.getvalue()
    assert "[lint.fa-spelling]" in out.getvalue()
