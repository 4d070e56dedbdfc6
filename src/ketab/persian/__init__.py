"""Persian text: primitives, and the editorial linter built on them.

Text primitives:

* :mod:`ketab.persian.digits` -- digit conversion per language;
* :mod:`ketab.persian.script` -- letters, marks and Latin runs (what is Persian in a string);
* :mod:`ketab.persian.bidi` -- Latin-run isolation and digit localisation in generated HTML;
* :mod:`ketab.persian.dates` -- ``[11 سنبله 1332]{.shamsi}`` / ``[2021-08-21]{.miladi}`` markup;
* :mod:`ketab.persian.markdown` -- where prose is in a Markdown text (line index, code spans, front matter).

The linter:

* :mod:`ketab.persian.lint` -- the orthography linter behind ``ketab lint`` (rules, runner).
"""
