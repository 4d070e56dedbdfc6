"""Persian text tools: digits, solar Hijri date markup, the editorial linter and bidi isolation.

Modules:

* :mod:`ketab.persian.digits` -- digit conversion per language;
* :mod:`ketab.persian.dates` -- ``[11 سنبله 1332]{.shamsi}`` / ``[2021-08-21]{.miladi}`` markup;
* :mod:`ketab.persian.lint` -- the orthography linter behind ``ketab lint``;
* :mod:`ketab.persian.bidi` -- Latin-run isolation and digit localisation in generated HTML.
"""
