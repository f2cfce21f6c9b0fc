"""The ``llq`` command: ``validate``, ``build-panel``, ``overview``, ``report``, ``app``.

Each subcommand imports what it needs when it runs, so ``llq --help`` is quick.
Exit codes: 0 ok, 1 invalid input (message on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .registry import COMMANDS, command

__all__ = ["main", "command"]


def _parser() -> argparse.ArgumentParser:
    from . import commands  # noqa: F401  (registers the subcommands in .registry)

    p = argparse.ArgumentParser(prog="llq", description="LLQ analysis toolkit (Lebendige Quartiere)")
    sub = p.add_subparsers(dest="command", required=True)
    for name, (help_, func) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        func.configure(sp)
        sp.set_defaults(_func=func)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from ..errors import DataValidationError, InfeasibleAllocationError, ScenarioError

    args = _parser().parse_args(argv)
    try:
        return int(args._func(args) or 0)
    except (DataValidationError, ScenarioError, InfeasibleAllocationError, FileNotFoundError,
            ValueError) as exc:
        print(f"llq {args.command}: {exc}", file=sys.stderr)
        return 1

