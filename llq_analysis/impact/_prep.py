"""Shared input checks for every impact estimator (small, documented, importable by all).

Conventions (the same in every estimator of :mod:`llq_analysis.impact`):

* **Missing columns, non-numeric values** -> :class:`~llq_analysis.errors.DataValidationError`
  listing every problem (column, row, value, what was expected).
* **NaN** in a used column -> the row is dropped, *never silently*: it is listed in the result's
  ``dropped`` frame (``row`` = index label, the id columns, ``missing`` = which columns were empty,
  ``reason``) and a :class:`DroppedRowsWarning` is emitted.
* **Cohort** = first treated period; ``0`` or missing = never treated. :func:`parse_cohort`
  returns floats with never-treated as ``0.0``.
* **Time labels** may be any sortable hashables (years, ``"2021Q1"``); :func:`time_index` maps them
  to numbers (numeric labels as they are, others to positions 1..T in sorted/categorical order).
* **Few treated clusters** (< 10 by default) -> :class:`FewClustersWarning` (cluster-robust and
  wild-bootstrap inference can be unreliable; MacKinnon & Webb 2017, 2018).

Nothing heavy is imported here.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem

FEW_TREATED_CLUSTERS = 10  # default threshold of :func:`few_clusters_warning`


class ImpactWarning(UserWarning):
    """Base class of warnings from the impact estimators."""


class DroppedRowsWarning(ImpactWarning):
    """Rows were dropped (e.g. missing values); see ``result.dropped``."""


class FewClustersWarning(ImpactWarning):
    """Few treated clusters: cluster-robust / bootstrap inference may be unreliable."""


class SmallCohortWarning(ImpactWarning):
    """A treatment cohort has a single unit."""


# -- columns --------------------------------------------------------------------------------
def require_columns(df: pd.DataFrame, columns: Mapping[str, str | None] | Iterable[str], *,
                    what: str = "data") -> None:
    """Raise :class:`DataValidationError` naming every missing column.

    ``columns`` is either a mapping role -> column name (``{"outcome": "y", "unit": "id"}``;
    ``None`` values are skipped) or a plain list of column names.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    items = columns.items() if isinstance(columns, Mapping) else ((c, c) for c in columns)
    problems = []
    for role, col in items:
        if col is None:
            continue
        if col not in df.columns:
            problems.append(Problem(column=str(col),
                                    expected=f"a column {col!r} ({role}) in the data; "
                                    f"available: {', '.join(map(str, list(df.columns)[:30]))}"))
    if problems:
        raise DataValidationError(problems, what=what)


def require_numeric(df: pd.DataFrame, columns: Iterable[str], *, what: str = "data",
                    max_examples: int = 5) -> None:
    """Raise :class:`DataValidationError` if a column is not numeric (bool counts as numeric).

    Every offending column is named with up to ``max_examples`` rows whose values cannot be read
    as numbers (e.g. ``"1,5"`` with a German decimal comma).
    """
    problems = []
    for col in dict.fromkeys(columns):
        s = df[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            continue
        conv = pd.to_numeric(s, errors="coerce")
        bad = s[conv.isna() & s.notna()]
        if len(bad) == 0 and s.notna().any():
            bad = s.head(1)  # e.g. object dtype holding numbers: still ask for a numeric dtype
        for row, val in list(bad.items())[:max_examples] or [(None, None)]:
            hint = " (decimal comma? convert with read_official_table)" if isinstance(val, str) and "," in val else ""
            problems.append(Problem(column=str(col), row=row, value=val,
                                    expected=f"a numeric value (dtype {s.dtype} is not numeric){hint}"))
    if problems:
        raise DataValidationError(problems, what=what)


def as_float(s: pd.Series) -> np.ndarray:
    """A numeric or boolean column as a float64 array (NaN for missing)."""
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype="float64", na_value=np.nan)
    return pd.to_numeric(s, errors="raise").astype("float64").to_numpy(na_value=np.nan)


# -- missing values -------------------------------------------------------------------------
def drop_missing(df: pd.DataFrame, columns: Sequence[str], *, ids: Sequence[str] = (),
                 what: str = "data", warn: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """Drop rows with a missing value in any of ``columns``; report them, never silently.

    Returns ``(kept, dropped, message)`` (message ``None`` when nothing was dropped). ``dropped`` has columns ``row`` (index label in the input),
    the ``ids`` columns (e.g. unit, time), ``missing`` (which columns were empty, comma-separated)
    and ``reason``. A :class:`DroppedRowsWarning` is emitted when rows are dropped.
    """
    cols = list(dict.fromkeys(c for c in columns if c is not None))
    bad = np.zeros(len(df), dtype=bool)
    for c in cols:
        bad |= df[c].isna().to_numpy()
    if not bad.any():
        return df, empty_dropped(ids), None
    isna = df[cols].isna()
    sub = df.loc[bad, list(dict.fromkeys(i for i in ids if i is not None))]
    miss = isna.loc[bad].apply(lambda r: ", ".join(c for c, v in r.items() if v), axis=1)
    dropped = sub.copy()
    dropped.insert(0, "row", df.index[bad])
    dropped["missing"] = miss.to_numpy()
    dropped["reason"] = "missing value"
    dropped = dropped.reset_index(drop=True)
    msg = (f"{what}: {int(bad.sum())} of {len(df)} rows dropped because of missing values "
           f"in {', '.join(sorted(set(', '.join(miss).split(', '))))} (see result.dropped)")
    if warn:
        warnings.warn(msg, DroppedRowsWarning, stacklevel=3)
    return df.loc[~bad], dropped, msg


def empty_dropped(ids: Sequence[str] = ()) -> pd.DataFrame:
    """An empty ``dropped`` frame with the standard columns."""
    return pd.DataFrame(columns=["row", *[i for i in ids if i is not None], "missing", "reason"])


def prepare(df: pd.DataFrame, *, required: Mapping[str, str | None], numeric: Iterable[str | None],
            complete: Iterable[str | None], ids: Sequence[str | None] = (), what: str = "data",
            ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The standard entry check of an estimator, in one call.

    1. every column in ``required`` (role -> name) exists, else :class:`DataValidationError`;
    2. ``numeric`` columns are numeric (bool allowed), else :class:`DataValidationError`;
    3. rows with a missing value in ``complete`` are dropped and reported (:func:`drop_missing`).

    Returns ``(kept rows, dropped report, warning messages)``. The input is not modified.
    """
    require_columns(df, required, what=what)
    require_numeric(df, [c for c in numeric if c is not None], what=what)
    kept, dropped, msg = drop_missing(df, [c for c in complete if c is not None],
                                      ids=[i for i in ids if i is not None], what=what)
    if len(kept) == 0:
        raise DataValidationError([Problem(column=None, expected="at least one row without missing values")],
                                  what=what)
    return kept, dropped, [msg] if msg else []


# -- time and cohorts -----------------------------------------------------------------------
def time_index(s: pd.Series) -> tuple[pd.Series, dict]:
    """Map time labels to numbers: numeric labels stay as they are (float), others become
    positions 1..T in sorted order (ordered categoricals: their category order).

    Returns ``(numeric Series, {label: number})``. Raises if labels cannot be ordered.
    """
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        vals = s.astype("float64")
        return vals, {v: float(v) for v in pd.unique(s.dropna())}
    if isinstance(s.dtype, pd.CategoricalDtype) and s.cat.ordered:
        levels = [c for c in s.cat.categories if c in set(s.dropna())]
    else:
        try:
            levels = sorted(pd.unique(s.dropna()))
        except TypeError as exc:
            raise DataValidationError([Problem(column=str(s.name), expected="time labels of one sortable type "
                                               "(all numbers or all strings)", value=str(exc))]) from exc
    mapping = {lab: float(i + 1) for i, lab in enumerate(levels)}
    return s.map(mapping).astype("float64"), mapping


def parse_cohort(s: pd.Series, time_map: Mapping | None = None, *, what: str = "data") -> pd.Series:
    """Cohort (first treated period) as float; ``0``, ``NaN``, ``None`` or ``""`` = never treated -> ``0.0``.

    With non-numeric time labels pass ``time_map`` from :func:`time_index`; cohort labels are then
    mapped to the same positions (a label not among the time labels is an error).
    """
    never = s.isna() | s.astype(str).str.strip().isin(["", "0", "0.0", "nan", "None", "<NA>"])
    if time_map is not None and any(not isinstance(k, (int, float, np.integer, np.floating))
                                    for k in time_map):
        unknown = s[~never & ~s.isin(list(time_map))]
        if len(unknown):
            raise DataValidationError([Problem(column=str(s.name), row=r, value=v,
                                               expected="a time label present in the time column, or 0/empty "
                                               "for never treated") for r, v in list(unknown.items())[:20]],
                                      what=what)
        out = s.where(never, s.map(lambda v: time_map.get(v, np.nan)))
        return out.where(~never, 0.0).astype("float64")
    conv = pd.to_numeric(s.where(~never), errors="coerce")
    bad = s[conv.isna() & ~never]
    if len(bad):
        raise DataValidationError([Problem(column=str(s.name), row=r, value=v,
                                           expected="a first treated period (number), or 0/empty for never treated")
                                   for r, v in list(bad.items())[:20]], what=what)
    return conv.fillna(0.0).astype("float64")


def require_unit_constant(df: pd.DataFrame, unit: str, column: str, *, what: str = "data") -> None:
    """Raise if ``column`` (cohort, stratum, eligibility) varies within a unit."""
    n = df.groupby(unit, sort=False, observed=True)[column].nunique(dropna=False)
    bad = n[n > 1]
    if len(bad):
        raise DataValidationError([Problem(column=column, row=u, expected=f"one value per {unit} "
                                           f"(found {k} different values)") for u, k in bad.head(20).items()],
                                  what=what)


def switching_off(df: pd.DataFrame, *, unit: str, time: str, treatment: str) -> pd.DataFrame:
    """Units whose treatment goes from non-zero back to zero (a non-absorbing design).

    Returns one row per such unit: ``unit``, ``first_on`` (time), ``first_off_after`` (time).
    ``time`` must be numeric or already mapped with :func:`time_index`.
    """
    codes = pd.factorize(df[unit])[0]
    tt_all = df[time].to_numpy()
    order = np.lexsort((tt_all, codes))
    c = codes[order]
    on = df[treatment].to_numpy(dtype=float)[order] != 0
    csum = np.cumsum(on)
    start = np.r_[True, c[1:] != c[:-1]]
    base = np.maximum.accumulate(np.where(start, np.arange(len(c)), 0))
    ever_on = (csum - np.r_[0, csum][base]) > 0  # any 'on' so far within the unit
    off_after = ever_on & ~on
    if not off_after.any():
        return pd.DataFrame(columns=[unit, "first_on", "first_off_after"])
    u = df[unit].to_numpy()[order]
    tt = tt_all[order]
    out = pd.DataFrame({unit: u[off_after], "first_off_after": tt[off_after]}).groupby(unit, sort=False).first()
    first_on = pd.Series(tt[on], index=u[on]).groupby(level=0).min()
    out["first_on"] = first_on.reindex(out.index).to_numpy()
    return out.reset_index()[[unit, "first_on", "first_off_after"]]


def cohort_sizes(cohort_by_unit: pd.Series) -> pd.Series:
    """Number of units per treated cohort (never-treated = 0 excluded), sorted by cohort."""
    c = cohort_by_unit[cohort_by_unit != 0]
    return c.value_counts().sort_index()


def small_cohort_warning(cohort_by_unit: pd.Series, *, what: str = "data") -> str | None:
    """Warn (and return the message) when a treated cohort has a single unit."""
    sizes = cohort_sizes(cohort_by_unit)
    ones = sizes[sizes == 1]
    if len(ones) == 0:
        return None
    msg = (f"{what}: cohort(s) {', '.join(_fmt_label(c) for c in ones.index)} have a single unit; "
           "their effects rest on one quartier")
    warnings.warn(msg, SmallCohortWarning, stacklevel=3)
    return msg


# -- clusters -------------------------------------------------------------------------------
def n_treated_clusters(cluster: pd.Series | np.ndarray, treated: pd.Series | np.ndarray) -> int:
    """Number of clusters containing at least one treated observation (``treated != 0``)."""
    c = np.asarray(cluster)
    t = np.asarray(treated, dtype=float) != 0
    return int(pd.unique(c[t]).size)


def few_clusters_warning(n_treated: int, n_clusters: int | None = None, *,
                         threshold: int = FEW_TREATED_CLUSTERS, what: str = "estimate") -> str | None:
    """Warn (and return the message) when fewer than ``threshold`` clusters are treated.

    With few treated clusters cluster-robust SEs understate uncertainty and even the wild cluster
    bootstrap can misbehave (MacKinnon & Webb 2017, 2018); prefer randomization inference.
    """
    if n_treated >= threshold:
        return None
    tot = f" of {n_clusters}" if n_clusters is not None else ""
    msg = (f"{what}: only {n_treated}{tot} clusters are treated (< {threshold}); cluster-robust "
           "inference is unreliable with few treated clusters - check with wild_cluster_bootstrap "
           "(Webb weights) and randomization_inference")
    warnings.warn(msg, FewClustersWarning, stacklevel=3)
    return msg


def _fmt_label(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
