"""The need index: weighted mean of z-standardised indicators per quartier (higher = more need)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .prepared import PreparedPanel, _column_at, _ids_key, _pcol, _year_rows
from .scenario_tree import DEFAULT_NEED_INDICATORS, _v

__all__ = ["need_index"]


def _shrink_of(need_section) -> str | None:
    """The ``need_index.shrink`` setting of a scenario: ``"beta_binomial"`` (default) or None."""
    v = (need_section or {}).get("shrink", "beta_binomial")
    v = getattr(v, "get", lambda k, d=None: v)("value", v) if isinstance(v, dict) else v
    return None if v in (None, "none") else str(v)


def _need_array(panel: pd.DataFrame, ids: np.ndarray, city: np.ndarray | None, *, year: int,
                indicators: Mapping[str, float], standardise: str, id_col: str = "quartier_id",
                year_col: str = "year", rows: tuple | None = None,
                shrink: str | None = "beta_binomial") -> tuple[np.ndarray, dict[str, int]]:
    """The need index aligned to ``ids`` (see :func:`need_index`) and the year used per indicator
    (``used["_shrinkage"]`` says which rates were shrunk with which base)."""
    if isinstance(panel, PreparedPanel):
        key = ("need", _ids_key(ids), None if city is None else _ids_key(city), int(year),
               tuple((k, float(v)) for k, v in indicators.items()), standardise, id_col, year_col, shrink)
        return panel.memo(key, lambda: _need_array_impl(panel, ids, city, year=year, indicators=indicators,
                                                        standardise=standardise, id_col=id_col,
                                                        year_col=year_col, rows=rows, shrink=shrink))
    return _need_array_impl(panel, ids, city, year=year, indicators=indicators, standardise=standardise,
                            id_col=id_col, year_col=year_col, rows=rows, shrink=shrink)


def _shrink_column(panel, col: str, x: np.ndarray, years, tgt, n: int, year: int, city) -> tuple[np.ndarray, dict]:
    """Empirical-Bayes shrinkage of one rate toward its city mean (:func:`llq_analysis.shrink_rates`);
    the base is the rate's own base population, else residents (stated), else none (raw kept)."""
    from ..impact.shrinkage import DEFAULT_BASES, shrink_rates

    base_col = DEFAULT_BASES.get(col)
    b = None
    for cand in (base_col, "population"):
        if cand and cand in panel.columns:
            try:
                vals, _ = _column_at(panel, cand, years, tgt, n, year, latest=True)
            except ValueError:  # not published up to this year
                continue
            if np.isfinite(vals).any():
                b, base_col = np.where(vals > 0, vals, np.nan), cand
                break
    if b is None or col not in DEFAULT_BASES:
        return x, {"shrunk": False, "reason": "no base population for this rate"}
    group = np.asarray(city, dtype=object) if city is not None else np.full(n, "all", dtype=object)
    res = shrink_rates(pd.DataFrame({"rate": x, "base": b, "group": group}), rate="rate", base="base",
                       group="group", method="beta_binomial", missing="raw")
    return res.frame["rate_shrunk"].to_numpy(dtype=float), {
        "shrunk": True, "base": base_col, "approximate_base": base_col != DEFAULT_BASES[col],
        "notes": list(res.warnings)}


def _need_array_impl(panel: Any, ids: np.ndarray, city: np.ndarray | None, *, year: int,
                     indicators: Mapping[str, float], standardise: str, id_col: str,
                     year_col: str, rows: tuple | None,
                     shrink: str | None = "beta_binomial") -> tuple[np.ndarray, dict[str, int]]:
    need_cols = [id_col, year_col, *indicators] + (["city"] if standardise == "city" and city is None else [])
    missing_cols = [c for c in need_cols if c not in panel.columns]
    if missing_cols:
        from ..errors import DataValidationError, Problem

        raise DataValidationError([Problem(c, "a column needed for the need index") for c in missing_cols],
                                  what="the panel")
    if standardise not in ("all", "city"):
        raise ValueError(f"standardise must be 'all' or 'city', got {standardise!r}")
    n = len(ids)
    years, tgt, _ = rows if rows is not None else _year_rows(panel, ids, id_col, year_col)
    used: dict[str, int] = {}
    x = np.empty((n, len(indicators)))
    for j, col in enumerate(indicators):
        x[:, j], used[col] = _column_at(panel, col, years, tgt, n, year, latest=True)
    if standardise == "city" and city is None or shrink:
        if city is None and "city" in panel.columns:
            c_all = pd.DataFrame({"quartier_id": _pcol(panel, id_col, text=True),
                                  "city": _pcol(panel, "city", text=True)}).drop_duplicates("quartier_id")
            city = pd.Series(c_all["city"].to_numpy(), index=c_all["quartier_id"].to_numpy()) \
                .reindex(ids).to_numpy()
    if shrink:
        if shrink != "beta_binomial":
            raise ValueError(f"shrink must be 'beta_binomial' or None, got {shrink!r}")
        info = {}
        for j, col in enumerate(indicators):
            ok = np.isfinite(x[:, j])
            if ok.sum() >= 3:
                x[:, j], info[col] = _shrink_column(panel, col, x[:, j], years, tgt, n,
                                                    used[col] or year, city)
        used["_shrinkage"] = info  # type: ignore[assignment]
    if "population" in panel.columns:
        pop, _ = _column_at(panel, "population", years, tgt, n, year)
        x[~(pop > 0)] = np.nan  # no residents (or no population row): rates undefined
    if standardise == "city":
        if city is None:
            c_all = pd.DataFrame({"quartier_id": _pcol(panel, id_col, text=True),
                                  "city": _pcol(panel, "city", text=True)}).drop_duplicates("quartier_id")
            city = pd.Series(c_all["city"].to_numpy(), index=c_all["quartier_id"].to_numpy()) \
                .reindex(ids).to_numpy()
        groups = [city == c for c in pd.unique(city)]
    else:
        groups = [np.ones(n, bool)]
    z = np.full_like(x, np.nan)
    for g in groups:
        xs = x[g]
        cnt = (~np.isnan(xs)).sum(axis=0)
        mean = np.nanmean(xs, axis=0) if xs.size else np.zeros(x.shape[1])
        sd = np.nanstd(xs, axis=0, ddof=1) if (cnt >= 2).all() else np.full(x.shape[1], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            z[g] = np.where(sd > 0, (xs - mean) / np.where(sd > 0, sd, 1.0), 0.0)
        z[g] = np.where(np.isnan(xs), np.nan, z[g])
    w = np.array([float(v) for v in indicators.values()])
    idx = (z * w).sum(axis=1) / np.abs(w).sum()
    idx[np.isnan(z).any(axis=1)] = np.nan
    return idx, used


def need_index(panel: pd.DataFrame, *, year: int | None = None,
               indicators: Mapping[str, float] | None = None, standardise: str = "all",
               id_col: str = "quartier_id", year_col: str = "year",
               shrink: str | None = "beta_binomial") -> pd.Series:
    """Need index per quartier: weighted mean of z-standardised indicators (higher = more need).

    Built like Bremen's *Monitoring Soziale Stadtentwicklung* (Senate decision of 20.09.2016;
    Lebenslagen im Land Bremen 2021, pp. 35-40): indicators are z-standardised across quartiers
    and combined with weights. **The real monitoring's full list of seven indicators and its
    formula are MISSING** in the public sources read (see DOMAIN.md §4.1), so this is an
    approximation with configurable weights; the default uses SGB II rate, child SGB II rate,
    unemployment rate and (inverted, weight -1) Bürgerschaft turnout. Construction follows the
    OECD/JRC *Handbook on Constructing Composite Indicators* (2008): z-scores (mean and sample
    SD, ddof=1, unweighted across quartiers with residents), then the weighted sum divided by the
    sum of absolute weights.

    Parameters
    ----------
    panel : quartier x year table with ``quartier_id``, ``year``, ``population`` and the indicators (%)
    year : reference year (default: the latest). Indicators without values in that year (turnout
        exists only in election years) use their latest year <= ``year`` with values.
    indicators : indicator -> weight (negative: a *low* value means need)
    standardise : ``"all"`` (z-scores across both cities) or ``"city"`` (within each city)
    shrink : ``"beta_binomial"`` (default): rates (SGB II, unemployment, turnout) are first shrunk
        toward their city mean by empirical Bayes (:func:`llq_analysis.shrink_rates`), so that small
        Ortsteile with noisy rates do not top the ranking; the base is the rate's base population,
        or residents where that is not published (stated in ``attrs["shrinkage"]``); None = raw rates.

    Returns
    -------
    Series indexed by quartier_id, name ``need_index`` (z units). Quartiers with a missing
    indicator or no residents get NaN (listed in ``.attrs["missing"]``); ``.attrs`` also holds
    the weights and the year used per indicator.
    """
    ind = {k: float(_v(w)) for k, w in (indicators if indicators is not None
                                         else DEFAULT_NEED_INDICATORS).items()}
    if id_col not in panel.columns or year_col not in panel.columns:
        from ..errors import DataValidationError, Problem

        raise DataValidationError([Problem(c, "a column needed for the need index")
                                   for c in (id_col, year_col) if c not in panel.columns], what="the panel")
    yr = int(np.nanmax(_pcol(panel, year_col))) if year is None else int(year)
    ids = pd.unique(_pcol(panel, id_col, text=True))
    idx, used = _need_array(panel, ids, None, year=yr, indicators=ind, standardise=standardise,
                            id_col=id_col, year_col=year_col, shrink=shrink)
    used = dict(used)
    shrinkage = used.pop("_shrinkage", None)
    res = pd.Series(idx, index=pd.Index(ids, name=id_col), name="need_index")
    res.attrs = {"weights": ind, "indicator_years": used, "year": yr, "standardise": standardise,
                 "shrinkage": {"method": shrink, "group": "city", "indicators": shrinkage} if shrink else None,
                 "missing": [q for q, v in zip(ids, idx, strict=True) if np.isnan(v)]}
    return res
