"""The ``llq`` command: ``validate``, ``build-panel``, ``overview``, ``report``, ``app``.

Each subcommand imports what it needs when it runs, so ``llq --help`` is quick. Commands that
write check their output path first (:mod:`.paths_check`), before any work.

Exit codes: 0 ok; 1 invalid input or a failure (a message on stderr naming the file, line and
what was expected - never a traceback); 2 usage error (argparse); 130 interrupted (Ctrl-C),
128 + n after signal n (SIGTERM 143, SIGHUP 129) - temporary files are removed, nothing
half-written is left. ``llq --debug <command> ...`` (or ``--debug`` after the command) shows the
Python traceback instead, for bug reports.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .registry import COMMANDS, command

__all__ = ["main", "command"]

#: an error message is cut to this many lines / characters (hostile input cannot flood the terminal)
MAX_MESSAGE_LINES = 60
MAX_MESSAGE_CHARS = 8000


def _parser() -> argparse.ArgumentParser:
    from . import commands  # noqa: F401  (registers the subcommands in .registry)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="on an error show the Python traceback (for bug reports)")
    p = argparse.ArgumentParser(prog="llq", description="LLQ analysis toolkit (Lebendige Quartiere)",
                                parents=[common])
    sub = p.add_subparsers(dest="command", required=True)
    for name, (help_, func) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_, description=help_, parents=[common])
        func.configure(sp)
        sp.set_defaults(_func=func)
    return p


def _message(exc: BaseException, command_name: str) -> str:
    """What went wrong, for the user: the error's own message; never a traceback."""
    from ..errors import DataValidationError, InfeasibleAllocationError, ScenarioError

    if isinstance(exc, (DataValidationError, ScenarioError, InfeasibleAllocationError)):
        text = str(exc)
    elif isinstance(exc, FileNotFoundError):
        text = str(exc) if exc.filename is None else f"{exc.filename}: no such file or directory"
    elif isinstance(exc, OSError):  # permission, disk full, read-only file system, ...
        where = f"{exc.filename}: " if exc.filename else ""
        text = f"{where}{exc.strerror or exc} (operating system error; check the path and its permissions)"
    elif isinstance(exc, MemoryError):
        text = "out of memory; the input is too large for this machine (try a smaller export or a subset)"
    elif isinstance(exc, RecursionError):
        text = "the input is nested too deeply to process"
    elif isinstance(exc, ValueError):
        text = str(exc)
    else:
        text = (f"unexpected error ({type(exc).__name__}: {exc}); please report it with the output of "
                f"`llq --debug {command_name} ...`")
    text = text or type(exc).__name__
    lines = text.splitlines()
    if len(lines) > MAX_MESSAGE_LINES:
        lines = [*lines[:MAX_MESSAGE_LINES], f"... ({len(lines) - MAX_MESSAGE_LINES} more lines)"]
    text = "\n".join(lines)
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + f" ... ({len(text) - MAX_MESSAGE_CHARS:,} more characters)"
    return text


class _Terminated(KeyboardInterrupt):
    """SIGTERM/SIGHUP while a command runs: unwinds like Ctrl-C, so temporary files are removed."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _on_terminate(signum, _frame):
    raise _Terminated(signum)


def _on_interrupt(signum, _frame):
    raise KeyboardInterrupt


def _catch_termination() -> dict:
    """Turn SIGTERM/SIGHUP into :class:`_Terminated` and SIGINT into KeyboardInterrupt (main
    thread only); returns the previous handlers.

    An own SIGINT handler matters: ``asyncio.run`` (Python >= 3.11; papermill and nbclient run
    the report notebook that way) replaces the *default* handler by one that only cancels its
    task, and the notebook then runs on after Ctrl-C. Our handler keeps Ctrl-C an interrupt.
    """
    import signal

    previous = {}
    for name, handler in (("SIGINT", _on_interrupt), ("SIGTERM", _on_terminate), ("SIGHUP", _on_terminate)):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            previous[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread, or not allowed here
            pass
    return previous


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``llq`` with ``argv`` (default: the command line); returns the exit code."""
    import signal

    args = _parser().parse_args(argv)  # a usage error exits with code 2 (argparse)
    debug = getattr(args, "debug", False)
    previous = _catch_termination()
    try:
        return int(args._func(args) or 0)
    except KeyboardInterrupt as exc:
        if debug:
            raise
        sys.stdout.flush()
        if isinstance(exc, _Terminated):
            name = signal.Signals(exc.signum).name
            print(f"\nllq {args.command}: stopped by {name}; temporary files were removed, no output was "
                  "left half-written", file=sys.stderr)
            return 128 + exc.signum
        print(f"\nllq {args.command}: interrupted (Ctrl-C); temporary files were removed, no output "
              "was left half-written", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure ends in one message, not a traceback
        if debug:
            raise
        sys.stdout.flush()
        print(f"llq {args.command}: {_message(exc, args.command)}", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
