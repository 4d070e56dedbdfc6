"""WeasyPrint's C libraries loaded by their file names, without a search that starts processes.

WeasyPrint 70 opens each library it needs (GObject, Pango, HarfBuzz, fontconfig…) by trying names meant for
other systems first (``libgobject-2.0-0``, a Windows name, before ``libgobject-2.0.so.0``).  Each name the
dynamic loader does not know sends cffi to :func:`ctypes.util.find_library`, which on Linux runs
``ldconfig -p`` and, failing that, gcc, ld and objdump: 54 processes and 0.15 s on every import of
WeasyPrint — in every build that lays out a page and in every layout worker.  While WeasyPrint's
``text/ffi.py`` runs (and only then), the search answers "not found" at once, so WeasyPrint goes on to the
library's real file name, which the dynamic loader finds by itself: the same files are loaded (a test
compares them).  Elsewhere than on Linux nothing changes.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys

_MODULE = "weasyprint.text.ffi"


class _Loader(importlib.abc.Loader):
    def __init__(self, real):
        self.real = real

    def create_module(self, spec):
        return self.real.create_module(spec)

    def exec_module(self, module):
        import ctypes.util

        search = ctypes.util.find_library
        ctypes.util.find_library = _not_found
        try:
            self.real.exec_module(module)
        finally:
            ctypes.util.find_library = search


def _not_found(name):
    return None


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != _MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


def install() -> None:
    """From now on, an import of WeasyPrint in this process opens its libraries without the search."""
    if sys.platform.startswith("linux") and _MODULE not in sys.modules and not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
