"""The ``ketab`` command line: one module per subcommand, one group here.

``ketab new`` (:mod:`.new`), ``ketab build`` (:mod:`.build`), ``ketab check`` (:mod:`.check`), ``ketab import``
(:mod:`.import_docx`), ``ketab lint`` (:mod:`.lint`), ``ketab watch`` (:mod:`.watch`), ``ketab proof`` (:mod:`.proof`), ``ketab thumbnails``
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


ALIASES = {"init": "new", "create": "new", "start": "new", "compile": "build", "make": "build", "serve": "watch", "preview": "watch"}
"""Words a new user types for a command that has another name here."""


class _Group(click.Group):
    """Ctrl-C anywhere in a command (also before or after the build proper) exits with 130 and one line,
    not with click's "Aborted!" and status 1 — the status of a manuscript with errors.
    An unknown command gets a suggestion: the command it is another word for, or the nearest name."""

    def resolve_command(self, ctx, args):
        name = args[0] if args else None
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            import difflib

            guess = ALIASES.get(name) or next(iter(difflib.get_close_matches(name, self.list_commands(ctx), n=1, cutoff=0.5)), None)
            hint = f" Did you mean {guess!r}?" if guess else ""
            ctx.fail(f"No such command {name!r}.{hint} (ketab --help lists the commands)")
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        import importlib

        return importlib.import_module(f"ketab.commands.{COMMANDS[name]}").command

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            from ketab.commands.build import interrupted_message

            err.print(interrupted_message(exc), style="bold red")
            sys.exit(ExitCode.INTERRUPTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ketab")
def main() -> None:
    """ketab — Persian-first print and ebook publishing."""
    signal.signal(signal.SIGTERM, _terminate)


COMMANDS = {"new": "new", "build": "build", "check": "check", "import": "import_docx", "lint": "lint",
            "proof": "proof", "thumbnails": "thumbnails", "watch": "watch"}
"""Command → its module: a module is imported when its command runs (``ketab build`` does not load the
linter's, the proof's or the watcher's modules), all of them for ``--help``."""
