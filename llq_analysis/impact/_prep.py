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
* **Panel preconditions** (:func:`check_panel`, called by every estimator): duplicate unit-time
  rows, a cohort that changes within a unit, and a funded unit (positive treatment or dose
  anywhere) without a first funded year are errors naming the unit and time; a constant outcome
  (or one that never changes within a unit) is a :class:`ConstantOutcomeWarning`, whose text is
  German in German summaries (:class:`Message`).

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


class ConstantOutcomeWarning(ImpactWarning):
    """The outcome does not vary (or not within units): the estimate and its SE are degenerate."""


class Message(str):
    """A warning text that knows its translations: the ``str`` value is English (as every other
    estimator warning), :meth:`text` gives it in ``lang`` from :data:`llq_analysis.i18n.LABELS`.
    Results show ``text(lang)`` in ``summary(lang)``."""

    key: str
    params: dict

    def __new__(cls, key: str, **params):
        from ..i18n import t

        obj = super().__new__(cls, t(key, "en").format(**params))
        obj.key = key
        obj.params = params
        return obj

    def text(self, lang: str = "de") -> str:
        from ..i18n import t

        return t(self.key, lang).format(**self.params)

    def __reduce__(self):
        return (_message, (self.key, self.params))


def _message(key: str, params: dict) -> Message:
    return Message(key, **params)


def localized(msg: str, lang: str = "de") -> str:
    """``msg`` in ``lang`` if it is a :class:`Message`, else unchanged."""
    text = getattr(msg, "text", None)
    return text(lang) if callable(text) else str(msg)


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
    """Raise if ``column`` (cohort, stratum, eligibility) varies within a unit; the message names
    the unit and two of its values."""
    n = df.groupby(unit, sort=False, observed=True)[column].nunique(dropna=False)
    bad = n[n > 1]
    if len(bad):
        sub = df[df[unit].isin(bad.index[:20])]
        vals = sub.groupby(unit, sort=False, observed=True)[column].agg(lambda s: list(pd.unique(s))[:2])
        raise DataValidationError([Problem(column=column, row=u, value=tuple(_fmt_label(v) for v in vals[u]),
                                           expected=f"one value per {unit} (found {k} different values in "
                                           f"{unit} {u!r}, e.g. {_fmt_label(vals[u][0])} and "
                                           f"{_fmt_label(vals[u][1])})")
                                   for u, k in bad.head(20).items()], what=what)


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


# -- panel preconditions (one check for every estimator) -----------------------------------
_NEVER_TEXT = {"", "0", "0.0", "nan", "None", "<NA>"}


def _is_never(s: pd.Series) -> pd.Series:
    """Cohort values meaning "never funded": 0, missing or empty."""
    return s.isna() | s.astype(str).str.strip().isin(_NEVER_TEXT)


def funding_columns(df: pd.DataFrame, cohort: str | None, explicit: Iterable[str | None] = ()) -> list[str]:
    """Columns that show funding of a unit: the ``explicit`` treatment/dose columns and, for a cohort
    column ``<prefix>_first_year`` (schema convention, e.g. ``llq_first_year``), its companions
    ``<prefix>_funded`` and ``<prefix>_eur_per_capita`` when the panel has them."""
    cols = [c for c in explicit if c is not None and c in df.columns]
    if cohort and str(cohort).endswith("_first_year"):
        prefix = str(cohort)[: -len("_first_year")]
        cols += [c for c in (f"{prefix}_funded", f"{prefix}_eur_per_capita") if c in df.columns]
    return list(dict.fromkeys(c for c in cols if c != cohort))


def _positive(s: pd.Series) -> np.ndarray:
    """True where a funding column shows funding (> 0 or True); unreadable values count as no."""
    if pd.api.types.is_bool_dtype(s):
        return s.fillna(False).to_numpy(dtype=bool)
    if not pd.api.types.is_numeric_dtype(s):
        low = s.astype(str).str.strip().str.lower()
        s = pd.to_numeric(s.where(~low.isin(["true", "false"]), low.eq("true").astype(float)), errors="coerce")
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.nan_to_num(v, nan=0.0) > 0


def check_panel(df: pd.DataFrame, *, unit: str | None, time: str | None, outcome: str | None = None,
                cohort: str | None = None, funded: Iterable[str | None] = (), what: str = "data",
                warn: bool = True) -> list[str]:
    """The panel precondition check shared by every estimator (issue 14). Returns warning texts.

    Errors (:class:`DataValidationError`, every problem at once, each naming column, unit/row and
    what was expected):

    1. duplicate ``(unit, time)`` rows (rows with a missing unit or time are left to the
       missing-value handling);
    2. ``cohort`` changing within a unit (0 and missing both mean "never" and may mix);
    3. a funded unit - a positive value in a :func:`funding_columns` column (the ``funded``
       treatment/dose columns, plus ``<prefix>_funded`` / ``<prefix>_eur_per_capita`` for a
       cohort ``<prefix>_first_year``) - whose cohort is 0 or missing in every row: it would
       otherwise silently become a never-treated control.

    Warnings (:class:`ConstantOutcomeWarning`, a :class:`Message`): ``outcome`` constant over all
    rows where it is observed, or constant within every unit (unit effects absorb it): the
    estimate and its SE (0) carry no information.
    """
    problems: list[Problem] = []
    if unit is not None and time is not None:
        ok = df[unit].notna() & df[time].notna()
        dup = df.duplicated([unit, time], keep=False) & ok
        if dup.any():
            sub = df.loc[dup, [unit, time]]
            counts = sub.groupby([unit, time], sort=False, observed=True).size()
            for (u, tt), k in list(counts.items())[:20]:
                rows = list(sub.index[(sub[unit] == u).to_numpy() & (sub[time] == tt).to_numpy()])
                problems.append(Problem(column=f"{unit}, {time}", row=rows[0] if len(rows) == 1 else tuple(rows),
                                        value=(u, tt), expected=f"one row per {unit} and {time} (no duplicate "
                                        f"rows): {unit} {u!r} has {k} rows for {time} {_fmt_label(tt)} "
                                        f"(rows {rows[:5]})"))
    if cohort is not None and unit is not None:
        c = df[cohort]
        never = _is_never(c)
        norm = c.where(~never, other=0).astype(object)
        has_unit = df[unit].notna().to_numpy()
        g = pd.DataFrame({"u": df[unit].to_numpy()[has_unit], "c": norm.to_numpy()[has_unit]})
        n_c = g.groupby("u", sort=False)["c"].nunique()
        for u in n_c.index[(n_c > 1).to_numpy()][:20]:
            vs = list(pd.unique(g.loc[g["u"] == u, "c"]))
            a, b = (_fmt_label(v) if not (isinstance(v, (int, float)) and v == 0) else "0/missing" for v in vs[:2])
            problems.append(Problem(column=cohort, row=u, value=(a, b),
                                    expected=f"one value per {unit} (the first funded year is constant within "
                                    f"a unit): {unit} {u!r} has {cohort} {a} and {b} in different rows"))
        fcols = funding_columns(df, cohort, funded)
        if fcols:
            unit_never = never.groupby(df[unit], sort=False).all()
            pos = {col: _positive(df[col]) for col in fcols}
            any_pos = np.logical_or.reduce(list(pos.values()))
            funded_units = pd.Series(any_pos, index=df.index).groupby(df[unit], sort=False).any()
            bad_units = funded_units.index[funded_units.to_numpy()
                                           & unit_never.reindex(funded_units.index).fillna(False).to_numpy(bool)]
            for u in bad_units[:20]:
                in_u = (df[unit] == u).to_numpy()
                shown = []
                for col in fcols:
                    hit = pos[col] & in_u
                    if hit.any():
                        r = df.index[hit][0]
                        tlab = f" in {time} {_fmt_label(df.at[r, time])}" if time is not None else ""
                        shown.append(f"{col!r} = {_fmt_label(df.at[r, col])}{tlab}")
                how = "missing" if df.loc[in_u, cohort].isna().all() else "0 (never funded)"
                problems.append(Problem(column=cohort, row=u,
                                        expected=f"a first funded year for {unit} {u!r}: it is funded "
                                        f"({'; '.join(shown)}) but {cohort!r} is {how}; such a unit would "
                                        "silently become a never-treated control - set its first funded year "
                                        "or drop the unit"))
    if problems:
        raise DataValidationError(problems, what=what)
    out: list[str] = []
    if outcome is not None and outcome in df.columns:
        y = pd.to_numeric(df[outcome], errors="coerce") if not pd.api.types.is_bool_dtype(df[outcome]) \
            else df[outcome].astype(float)
        obs = y.notna()
        msg = None
        if obs.sum() >= 1 and y[obs].nunique() == 1:
            msg = Message("warn.constant_outcome", what=what, outcome=outcome, value=_fmt_label(y[obs].iloc[0]))
        elif unit is not None and obs.sum() > 1:
            grp = y[obs].groupby(df.loc[obs, unit], sort=False)
            lo, hi, size = grp.min(), grp.max(), grp.size()  # min/max: cheaper than nunique on big panels
            if len(lo) and bool((lo == hi).all()) and bool((size >= 2).any()):
                msg = Message("warn.outcome_no_within", what=what, outcome=outcome, unit=unit)
        if msg is not None:
            if warn:
                warnings.warn(msg, ConstantOutcomeWarning, stacklevel=3)
            out.append(msg)
    return out


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
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
