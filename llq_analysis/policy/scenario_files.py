"""Reading scenario files: the safe YAML reader, bounded ``base:`` chains, file and line in messages.

Used by :func:`~llq_analysis.policy.scenarios.load_scenario`. A scenario diff names its ``base``
(another file); the chain of bases is followed at most :data:`MAX_BASE_DEPTH` files deep and a
cycle (a file that is its own base, directly or through others) is an error naming the chain.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import ScenarioError

__all__ = ["MAX_BASE_DEPTH", "read_scenario_yaml", "base_chain", "scenario_error", "locate"]

#: longest chain of ``base:`` files (a diff of a diff of ...) that is followed
MAX_BASE_DEPTH = 20
_CHAIN: contextvars.ContextVar[tuple[Path, ...]] = contextvars.ContextVar("llq_scenario_base_chain",
                                                                           default=())

Marks = dict[tuple[str, ...], tuple[int, int]]


def scenario_error(problems: list[str], text: str) -> ScenarioError:
    """A ScenarioError with the problem list kept as ``.problems`` (for file/line annotation)."""
    exc = ScenarioError(text)
    exc.problems = list(problems)
    return exc


def read_scenario_yaml(p: Path) -> tuple[Any, Marks]:
    """The YAML document of a scenario file and its value marks (key path -> line, column)."""
    from ..data.safe_yaml import YAMLInputError, load_yaml

    marks: Marks = {}
    try:
        doc = load_yaml(p, what="scenario", marks=marks)
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"file {p}: not valid YAML for a scenario: expected UTF-8 text ({exc.reason} "
                            f"at byte {exc.start})") from None
    except YAMLInputError as exc:
        raise ScenarioError(str(exc)) from None
    if not isinstance(doc, Mapping):
        found = "an empty file" if doc is None else f"a {type(doc).__name__}"
        raise ScenarioError(f"file {p}, line 1: expected a YAML mapping at the top level (keys such as "
                            f"name:, budget:, cities: or changes:), found {found}")
    return doc, marks


@contextlib.contextmanager
def base_chain(p: Path) -> Iterator[None]:
    """Enter scenario file ``p`` in the chain of bases being read; refuse cycles and long chains."""
    chain = _CHAIN.get()
    here = p.resolve()
    if here in chain:
        names = " -> ".join(str(c) for c in (*chain[chain.index(here):], here))
        raise ScenarioError(f"file {chain[-1]}, key 'base': the scenario bases form a cycle ({names}); "
                            "a base must be a full scenario or a diff of a different file")
    if len(chain) >= MAX_BASE_DEPTH:
        raise ScenarioError(f"file {chain[-1]}, key 'base': more than {MAX_BASE_DEPTH} scenario files "
                            f"chained through base: ({chain[0]} -> ... -> {here}); expected a shorter chain")
    token = _CHAIN.set((*chain, here))
    try:
        yield
    finally:
        _CHAIN.reset(token)


def _line_of(path: str, marks: Marks, diff: bool) -> tuple[int, int] | None:
    if diff:
        if ("changes", path) in marks:
            return marks[("changes", path)]
        keys = sorted((k[1] for k in marks if len(k) == 2 and k[0] == "changes"), key=len, reverse=True)
        for k in keys:
            if path.startswith(k + "."):
                return marks[("changes", k)]
        parts = (path.split(".")[0],)
        return marks.get(parts)
    parts = tuple(path.split("."))
    while parts:
        if parts in marks:
            return marks[parts]
        parts = parts[:-1]
    return None


def locate(exc: ScenarioError, p: Path, marks: Marks, *, diff: bool) -> ScenarioError:
    """``exc`` with the file and, per problem, the line and column of the value it names."""
    problems = getattr(exc, "problems", None)
    if not problems or getattr(exc, "located", False):
        return exc
    out = []
    for prob in problems:
        path, sep, rest = prob.partition(": ")
        where = _line_of(path, marks, diff) if sep and " " not in path else None
        out.append(f"{path} (line {where[0]}, column {where[1]}): {rest}" if where else prob)
    head = str(exc).partition("\n")[0]
    head = head[:-1] if head.endswith(":") and "problem(s)" in head else f"{len(out)} problem(s) in scenario"
    new = scenario_error(out, "\n".join([f"{head} (file {p}):", *(f"  - {x}" for x in out)]))
    new.located = True
    return new
