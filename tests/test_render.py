"""Stage 4, render: the Jinja templates, escaped, in the book's language."""

from __future__ import annotations

from ketab import render


def test_css_strings_are_quoted_and_escaped():
    assert render.css_string('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c d"'


def test_names_are_joined_with_the_languages_separator(staged):
    from dataclasses import replace

    from ketab.config import Creator

    for name, joined in (("persian-small", "پ، ب"), ("english-small", "A, B")):
        book = staged(name).book
        two = replace(book, config=replace(book.config, creators=(Creator(joined[0], "author"), Creator(joined[-1], "author"))))
        assert render.creator_roles(two) == [(book.language.labels.roles["author"], joined)]


def test_a_chapter_page_carries_the_books_language_and_escapes_its_title(staged):
    s = staged("english-small")
    part = s.book.body[0]
    html = render.print_chapter_html(s.book, s.templates, part, "<p>body</p>")
    assert 'lang="en"' in html and "<p>body</p>" in html
    assert render.environment(s.templates).from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
