"""Exceptions of llq_analysis. Kept free of heavy imports so every module can raise them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in input data: where it is and what was expected."""

    column: str | None
    expected: str
    value: object = None
    row: object = None  # index label of the offending row (None: whole column / table)
    line: int | None = None  # 1-based line in the source file, where known
    file: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.line is not None:
            where.append(f"line {self.line}")
        elif self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        loc = ", ".join(where) if where else "table"
        got = "" if self.value is None else f" (found {self.value!r})"
        return f"{loc}: expected {self.expected}{got}"


class DataValidationError(ValueError):
    """Input data failed validation. ``problems`` lists every failure (file, row, column, value, expected)."""

    def __init__(self, problems: list[Problem], what: str = "data", max_shown: int = 50):
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s) in {what}:"
        shown = [f"  - {p}" for p in self.problems[:max_shown]]
        if len(self.problems) > max_shown:
            shown.append(f"  ... and {len(self.problems) - max_shown} more (see .problems)")
        super().__init__("\n".join([head, *shown]))

    def to_frame(self):
        """Problems as a tidy DataFrame (file, line, row, column, value, expected)."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "file": p.file,
                    "line": p.line,
                    "row": p.row,
                    "column": p.column,
                    "value": p.value,
                    "expected": p.expected,
                }
                for p in self.problems
            ]
        )


class ScenarioError(ValueError):
    """A scenario file or change set is invalid; the message names the key and what was expected."""


class InfeasibleAllocationError(ValueError):
    """Floors, caps and eligibility cannot be met with the given budget; the message names the constraint."""
