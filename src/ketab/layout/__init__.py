"""Layout: the book set in pages, once, for every writer.

* :mod:`ketab.layout.engine` — WeasyPrint layout units, the cache and the worker pool;
* :mod:`ketab.layout.boxes` — the only module that reads WeasyPrint's box tree;
* :mod:`ketab.layout.pagination` — folios, rectos and versos, where every anchor falls.
"""

from ketab.layout.engine import LaidOutUnit, Layouter
from ketab.layout.pagination import Pagination, Placed, paginate

__all__ = ["LaidOutUnit", "Layouter", "Pagination", "Placed", "paginate"]
