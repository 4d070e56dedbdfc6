"""Layout: the book set in pages, once, for every writer.

* :mod:`ketab.layout.book` — the stage: :func:`lay_out` → :class:`BookLayout`;
* :mod:`ketab.layout.engine` — WeasyPrint layout units, the cache and the worker pool;
* :mod:`ketab.layout.boxes` — the only module that reads WeasyPrint's box tree;
* :mod:`ketab.layout.pagination` — folios, rectos and versos, where every anchor falls;
* :mod:`ketab.layout.cover` — the cover wrap's geometry and unit.
"""

_HOME = {"BookLayout": "book", "lay_out": "book", "LaidOutUnit": "engine", "Layouter": "engine",
         "Pagination": "pagination", "Placed": "pagination", "paginate": "pagination"}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    """The stage's names, imported when first used (a build with nothing to do never loads the layout)."""
    if name not in _HOME:
        raise AttributeError(f"module 'ketab.layout' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"ketab.layout.{_HOME[name]}"), name)
