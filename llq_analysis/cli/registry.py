"""The registry of ``llq`` subcommands: :func:`command` records ``name -> (help, func)``.

Subcommand modules import this registry; :mod:`llq_analysis.cli` imports the subcommand modules
and builds the parser from :data:`COMMANDS`, so the imports go one way (no circle).
"""

from __future__ import annotations

from collections.abc import Callable

#: subcommand name -> (help text, ``func(args) -> int`` with ``func.configure(parser)``)
COMMANDS: dict[str, tuple[str, Callable]] = {}


def command(name: str, help: str):
    """Register ``func(args) -> int`` as subcommand ``name``; ``func.configure(parser)`` adds options."""

    def deco(func):
        COMMANDS[name] = (help, func)
        return func

    return deco
