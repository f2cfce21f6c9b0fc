"""One check of an output path, run by every ``llq`` command that writes, before any work.

:func:`check_output` makes sure the output can be written where the user asked: the path is not
one of the inputs, its folders are directories, and a probe file can really be created in its
directory - or, when the directory does not exist yet (it is created when the output is
written, so a failed run leaves no empty folder behind), in its first existing ancestor.
Permission bits, read-only file systems, ACLs and full disks all show up as a failed probe,
which ``os.access`` misses (e.g. for root). A problem is an :class:`OutputPathError` naming the
option, the path and what was expected, so ``llq report`` stops at once rather than after a
minute of work.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["OutputPathError", "check_output"]


class OutputPathError(ValueError):
    """An output path that cannot be written; the message names the option, path and the reason."""


def _reason(exc: OSError) -> str:
    return {errno.EACCES: "permission denied", errno.EPERM: "operation not permitted",
            errno.EROFS: "read-only file system", errno.ENOSPC: "no space left on the device",
            errno.ENOTDIR: "a part of the path is a file, not a directory",
            errno.EEXIST: "a file of that name exists"}.get(exc.errno, exc.strerror or str(exc))


def _probe(directory: Path, option: str, path: Path) -> None:
    try:
        fd, probe = tempfile.mkstemp(prefix=".llq-write-test-", dir=directory)
    except OSError as exc:
        raise OutputPathError(f"{option} {path}: cannot write into directory {directory} ({_reason(exc)}); "
                              "expected a writable directory - choose another path") from None
    os.close(fd)
    os.unlink(probe)


def _existing_dir(directory: Path, option: str, path: Path) -> Path:
    """The directory itself or, if it does not exist yet, its first existing ancestor (a directory)."""
    for d in (directory, *directory.parents):
        if d.exists():
            if not d.is_dir():
                raise OutputPathError(f"{option} {path}: {d} is a file, not a directory; expected a "
                                      "path whose parent folders are directories")
            return d
    return Path(directory.anchor)  # pragma: no cover - the root always exists


def check_output(path: str | os.PathLike, *, kind: str = "file", inputs: Iterable[str | os.PathLike] = (),
                 option: str = "--out", also_parent: bool = False) -> Path:
    """Check (and prepare) an output path before any work; returns it as a :class:`Path`.

    ``kind="file"``: ``path`` will be a file (written atomically next to it): it must not be an
    existing directory nor one of ``inputs``; its directory must be writable (or creatable).
    ``kind="dir"``: ``path`` will be a directory of outputs: it must not be an existing file
    nor one of ``inputs``, and must be writable (or creatable). ``also_parent``: the parent must be
    writable too (for a temporary directory next to the output). Raises :class:`OutputPathError`.
    """
    if kind not in ("file", "dir"):
        raise ValueError(f"kind must be 'file' or 'dir', got {kind!r}")
    p = Path(path)
    if str(path).strip() == "":
        raise OutputPathError(f"{option}: empty path; expected a {'file' if kind == 'file' else 'directory'} name")
    target = p.resolve()
    for f in inputs:
        if target == Path(f).resolve():
            raise OutputPathError(f"{option} {p} would overwrite an input file ({f}); expected a "
                                  "different output path")
    if kind == "file":
        if p.is_dir():
            raise OutputPathError(f"{option} {p} is a directory; expected a file name such as "
                                  f"{p / 'panel.csv'}")
        directory = target.parent
    else:
        if p.exists() and not p.is_dir():
            raise OutputPathError(f"{option} {p} exists and is a file; expected a directory for the outputs")
        directory = target
    existing = _existing_dir(directory, option, p)
    _probe(existing, option, p)  # a missing directory is created when writing: its ancestor must allow it
    if also_parent and existing == directory and directory.parent != directory:
        _probe(directory.parent, option, p)
    return p
