"""The ``ketab`` command line: one module per subcommand, one group here.

``ketab build`` (:mod:`.build`), ``ketab lint`` (:mod:`.lint`), ``ketab watch``
(:mod:`.watch`), ``ketab proof`` (:mod:`.proof`), ``ketab thumbnails``
(:mod:`.thumbnails`); the console and exit codes they share are in
:mod:`.console` and :class:`ketab.diagnostics.ExitCode`.
"""

from __future__ import annotations

import signal
import sys

import click

from ketab.commands.console import err
from ketab.diagnostics import ExitCode


def _terminate(signum, frame):
    """SIGTERM unwinds like Ctrl-C, so temporary files are removed and outputs stay whole."""
    raise KeyboardInterrupt


class _Group(click.Group):
    """Ctrl-C anywhere in a command (also before or after the build proper) exits with 130 and one line,
    not with click's "Aborted!" and status 1 — the status of a manuscript with errors."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            err.print("interrupted; previous outputs left as they were", style="bold red")
            sys.exit(ExitCode.INTERRUPTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ketab")
def main() -> None:
    """ketab — Persian-first print and ebook publishing."""
    signal.signal(signal.SIGTERM, _terminate)


def _register() -> None:
    """Each subcommand lives in its own module (each imports only click at load time)."""
    from ketab.commands import build, lint, proof, thumbnails, watch

    for module in (build, lint, proof, thumbnails, watch):
        main.add_command(module.command)


_register()
