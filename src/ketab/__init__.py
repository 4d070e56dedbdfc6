"""ketab — a Persian-first print and ebook publishing pipeline.

Markdown chapters with YAML front matter → pandoc → Jinja templates →
WeasyPrint (print and screen PDF) and ebooklib (EPUB 3).  The recipe is
:func:`ketab.pipeline.build`.
"""

__version__ = "0.1.0"
