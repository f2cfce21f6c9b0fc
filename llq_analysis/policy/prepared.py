"""A read-only numpy snapshot of a panel for many fast repeated calls, and column helpers.

:func:`~llq_analysis.policy.allocation.allocate`, :func:`~llq_analysis.policy.need.need_index` and
:func:`~llq_analysis.policy.projection.project` read the panel through these helpers, so each
accepts a DataFrame or its :class:`PreparedPanel` (derived arrays memoised inside the snapshot).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PreparedPanel", "prepare_panel"]


class PreparedPanel:
    """An immutable snapshot of a panel's arrays, for many fast :func:`allocate` / :func:`project`
    calls on the same data (a dashboard slider): pass it as ``panel=`` instead of the DataFrame.

    The numeric columns, ids, years, cities and provenance are copied once into read-only numpy
    arrays; derived arrays (row positions, need index, base-year values) are memoised inside the
    snapshot. Editing the original DataFrame afterwards does not change the snapshot (build a new
    one). Built with :func:`prepare_panel`.
    """

    _TEXT = ("quartier_id", "city", "provenance")

    def __init__(self, panel: pd.DataFrame):
        if not isinstance(panel, pd.DataFrame):
            raise TypeError(f"expected a DataFrame, got {type(panel).__name__}")
        self.columns = tuple(panel.columns)
        self.attrs = dict(panel.attrs)
        self._data: dict[str, np.ndarray] = {}
        for c in panel.columns:
            s = panel[c]
            if c in self._TEXT:
                arr = s.to_numpy(dtype=object, na_value=None)
            elif pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
                arr = s.to_numpy(dtype=float, na_value=np.nan)
            else:
                continue
            arr.flags.writeable = False
            self._data[c] = arr
        self._len = len(panel)
        self._memo: dict[Any, Any] = {}

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return f"PreparedPanel({self._len} rows, {len(self._data)} columns)"

    def col(self, name: str) -> np.ndarray:
        if name not in self._data:
            raise KeyError(f"column {name!r} not in the prepared panel")
        return self._data[name]

    def memo(self, key: Any, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def prepare_panel(panel: pd.DataFrame | PreparedPanel) -> PreparedPanel:
    """A :class:`PreparedPanel` snapshot of ``panel`` (returned unchanged if it already is one)."""
    return panel if isinstance(panel, PreparedPanel) else PreparedPanel(panel)


def _pcol(panel: Any, name: str, text: bool = False) -> np.ndarray:
    """A column as numpy (float, or object for text) from a DataFrame or a PreparedPanel."""
    if isinstance(panel, PreparedPanel):
        return panel.col(name)
    s = panel[name]
    return s.to_numpy(dtype=object, na_value=None) if text else s.to_numpy(dtype=float, na_value=np.nan)


def _ids_key(ids: np.ndarray) -> int:
    return hash(tuple(ids))


def _year_rows(panel: pd.DataFrame, ids: np.ndarray, id_col: str = "quartier_id",
               year_col: str = "year") -> tuple[np.ndarray, np.ndarray, None]:
    """Panel years, and per year the (panel row, position in ``ids``) pairs (numpy; fast)."""
    def compute():
        years = _pcol(panel, year_col)
        tgt = pd.Index(ids).get_indexer(_pcol(panel, id_col, text=True))
        return years, tgt, None

    if isinstance(panel, PreparedPanel):
        return panel.memo(("rows", id_col, year_col, _ids_key(ids)), compute)
    return compute()


def _column_at(panel: pd.DataFrame, col: str, years: np.ndarray, tgt: np.ndarray, n: int, year: int,
               *, latest: bool = False) -> tuple[np.ndarray, int]:
    """Values of ``col`` in ``year`` aligned to the ids (NaN where absent); ``latest``: the last
    year <= ``year`` that has values (for election-year indicators)."""
    vals = _pcol(panel, col)
    y = year
    if latest:
        ok = ~np.isnan(vals) & (years <= year)
        if not ok.any():
            raise ValueError(f"indicator {col!r} has no values up to {year}")
        y = int(years[ok].max())
    rows = np.flatnonzero((years == y) & (tgt >= 0))
    out = np.full(n, np.nan)
    out[tgt[rows]] = vals[rows]
    return out, int(y)
