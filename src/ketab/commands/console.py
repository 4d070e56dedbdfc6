"""What every command shares: the console diagnostics go to, and how one is printed."""

from __future__ import annotations

from rich.console import Console

from ketab.diagnostics import Diagnostic

err = Console(stderr=True, highlight=False)


def print_diagnostic(d: Diagnostic) -> None:
    style = "bold red" if d.is_error else "yellow"
    err.print(str(d), style=style, markup=False, soft_wrap=True)
