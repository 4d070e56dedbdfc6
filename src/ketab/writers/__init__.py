"""Writers: each output format, made from the assembled book and its layout.

* :mod:`ketab.writers.print` — the print PDF (and, from the same pages, the screen PDF);
* :mod:`ketab.writers.cover` — the printer's cover wrap and the EPUB's cover picture;
* :mod:`ketab.writers.epub` — EPUB 3;
* :mod:`ketab.writers.thumbnails` — a contact sheet of a PDF's spreads.
"""
