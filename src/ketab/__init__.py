"""ketab — a Persian-first print and ebook publishing pipeline.

Markdown chapters with YAML front matter → pandoc → Jinja templates →
WeasyPrint (print and screen PDF) and ebooklib (EPUB 3).  The recipe is
:func:`ketab.pipeline.build`.
"""

__version__ = "0.1.0"

from ketab import weasyload as _weasyload  # noqa: E402  (WeasyPrint's libraries opened without 54 processes)

_weasyload.install()


def default_templates():
    """The project's ``templates/`` folder (next to ``src/``)."""
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "templates"
