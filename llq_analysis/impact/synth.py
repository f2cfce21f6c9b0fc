"""Synthetic control (Abadie, Diamond & Hainmueller 2010) for one treated unit.

* :func:`synthetic_control` - one treated unit, a donor pool, a treatment time.

  - **outcome only** (``predictors=None``): donor weights ``w`` on the simplex minimising the
    pre-period squared outcome gap ``sum_{t < T0} (y_1t - sum_j w_j y_jt)^2`` (pre-RMSPE).
    Solved exactly by an active-set method (Lawson-Hanson NNLS with the sum-to-one row, then the
    KKT system on the support, checked for optimality). This is the synthetic control of
    Arkhangelsky et al. (2021, Table 1 "SC") up to their tiny ridge term.
  - **with predictors** (Abadie, Diamond & Hainmueller 2010): ``w(V) = argmin (X1 - X0 w)' V
    (X1 - X0 w)`` on the simplex, predictors scaled by their standard deviation across all units,
    ``V`` diagonal, chosen by Nelder-Mead (start: equal weights) to minimise the pre-period outcome
    MSPE - the algorithm of R ``Synth`` / pysyncon ``Synth.fit`` (Fordham: pysyncon), with our exact
    inner solver instead of SLSQP (pysyncon's SLSQP inner solver makes one fit take minutes).
    ``V`` is not unique in general (Kloessner et al. 2018): report weights with that in mind.

  In-space placebo inference (ADH 2010, sec. 4): every donor in turn is the "treated" unit with
  the remaining donors (never the real treated unit) as its pool. For each, the ratio of
  post- to pre-period RMSPE; **p-value** = ``(1 + #{placebos with ratio >= treated ratio}) /
  (J + 1)`` (the rank of the treated ratio; 1/(J+1) is the smallest attainable). ``se`` = the
  standard deviation (ddof 0) of the placebo estimates (Arkhangelsky et al. 2021, Algorithm 4,
  with every donor used once instead of random draws); ``ci`` = estimate +- 1.96 se (normal
  approximation; report the permutation p-value first).

Synthetic DiD lives in :mod:`.sdid` (re-exported here: ``from llq_analysis.impact.synth import
synthetic_did`` is a documented path); the shared solver and result type in :mod:`._synth_base`.

Reference values (tests/reference/synth/README.md): Prop 99 (ADH 2010 data) - SC -19.61966 (R synthdid;
Arkhangelsky et al. 2021 Table 1: -19.6).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _prep
from ._synth_base import (
    MIN_PRE_PERIODS,
    SynthResult,
    _check_basic,
    _label_of,
    _time_key,
    _wide,
    simplex_least_squares,
)
from .results import data_fingerprint, data_provenance
from .sdid import synthetic_did  # noqa: F401  re-export: documented path

__all__ = ["MIN_PRE_PERIODS", "SynthResult", "simplex_least_squares", "synthetic_control", "synthetic_did"]

_AGG_OPS = ("mean", "median", "sum", "min", "max", "std", "var")


# synthetic control
# =============================================================================================
def _parse_predictors(predictors, pre_times: list[Hashable], what: str) -> list[tuple[str, list, str]]:
    """Normalise ``predictors`` to ``[(column, periods, op), ...]``."""
    out = []
    for p in predictors:
        if isinstance(p, str):
            out.append((p, list(pre_times), "mean"))
            continue
        try:
            col, periods, op = p
        except (TypeError, ValueError):
            raise ValueError(f"{what}: a predictor is a column name or a tuple (column, periods, op); got {p!r}") \
                from None
        if op not in _AGG_OPS:
            raise ValueError(f"{what}: predictor op must be one of {_AGG_OPS}, got {op!r}")
        periods = [periods] if np.isscalar(periods) else list(periods)
        out.append((col, periods, op))
    if not out:
        raise ValueError(f"{what}: predictors is empty; pass None for the outcome-only synthetic control")
    return out


def _predictor_matrix(df: pd.DataFrame, spec: list[tuple[str, list, str]], *, unit: str, time: str,
                      units: list, what: str) -> pd.DataFrame:
    """predictor x unit matrix (NaN values skipped inside each aggregate, as R Synth)."""
    rows = {}
    problems = []
    for i, (col, periods, op) in enumerate(spec, 1):
        sub = df[df[time].isin(periods)]
        if sub.empty:
            problems.append(Problem(column=time, value=periods, expected=f"rows in the periods of predictor {col!r}"))
            continue
        agg = sub.groupby(unit, sort=False)[col].agg(op).reindex(units)
        if op in ("sum",):  # pandas sums all-NaN to 0: treat as missing
            cnt = sub.groupby(unit, sort=False)[col].count().reindex(units)
            agg = agg.where(cnt > 0)
        for u in agg.index[agg.isna().to_numpy()]:
            problems.append(Problem(column=col, row=u, expected=f"at least one non-missing value of predictor {col!r} "
                                    f"in periods {periods[0]}..{periods[-1]} for unit {u!r}"))
        name = col if op == "mean" and len(periods) > 1 else f"{col}[{periods[0]}..{periods[-1]}:{op}]"
        if name in rows:
            name = f"{name}#{i}"
        rows[name] = agg.to_numpy(dtype=float)
    if problems:
        raise DataValidationError(problems, what=what)
    return pd.DataFrame(rows, index=units).T


def _adh_weights(X1: np.ndarray, X0: np.ndarray, Z1: np.ndarray, Z0: np.ndarray, *,
                 maxiter: int = 1000) -> tuple[np.ndarray, np.ndarray, float]:
    """ADH nested optimisation: returns (w, v, pre-period outcome MSPE).

    Predictors are divided by their SD over all units (treated + donors, ddof 1) as in R Synth
    and pysyncon; ``V = diag(|x|) / sum|x|`` with ``x`` searched by Nelder-Mead from equal weights.
    """
    from scipy.optimize import minimize

    X = np.column_stack([X0, X1])
    sd = X.std(axis=1, ddof=1)
    sd[~(sd > 0)] = 1.0
    X0s, X1s = X0 / sd[:, None], X1 / sd
    k = X0s.shape[0]

    def inner(x: np.ndarray) -> np.ndarray:
        v = np.abs(x)
        s = v.sum()
        v = v / s if s > 0 else np.full(k, 1.0 / k)
        r = np.sqrt(v)
        return simplex_least_squares(X0s * r[:, None], X1s * r)

    def loss(x: np.ndarray) -> float:
        w = inner(x)
        e = Z1 - Z0 @ w
        return float(e @ e / len(Z1))

    if k == 1:
        w = inner(np.ones(1))
        return w, np.ones(1), loss(np.ones(1))
    res = minimize(loss, np.full(k, 1.0 / k), method="Nelder-Mead", options={"maxiter": maxiter})
    v = np.abs(res.x) / np.abs(res.x).sum()
    w = inner(res.x)
    e = Z1 - Z0 @ w
    return w, v, float(e @ e / len(Z1))


def _fit_one(Y: np.ndarray, pre: np.ndarray, j_treated: int, donors_idx: np.ndarray,
             X: np.ndarray | None, maxiter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Fit SC for column ``j_treated`` of ``Y`` (time x unit) with donor columns ``donors_idx``.

    Returns (weights over donors_idx, gap path, V diagonal or None)."""
    y1 = Y[:, j_treated]
    Y0 = Y[:, donors_idx]
    if X is None:
        w = simplex_least_squares(Y0[pre], y1[pre])
        v = None
    else:
        w, v, _ = _adh_weights(X[:, j_treated], X[:, donors_idx], y1[pre], Y0[pre], maxiter=maxiter)
    return w, y1 - Y0 @ w, v


def _rmspe(gap: np.ndarray, mask: np.ndarray) -> float:
    g = gap[mask]
    return float(np.sqrt(np.mean(g * g))) if g.size else math.nan


def synthetic_control(df: pd.DataFrame, *, outcome: str, unit: str, time: str, treated_unit: Hashable,
                      treatment_time: Hashable, predictors: Sequence[str | tuple] | None = None,
                      placebo: bool = True, donors: Iterable[Hashable] | None = None,
                      alpha: float = 0.05, v_maxiter: int = 1000) -> SynthResult:
    """Synthetic control for one treated unit (see the module docstring for the method).

    Parameters
    ----------
    df : long panel, one row per ``unit`` and ``time`` (not modified).
    outcome : outcome column (numeric, e.g. SGB II rate in %).
    treated_unit : the treated unit's label in ``unit``.
    treatment_time : first treated period (a label of ``time``); pre-period = times before it.
    predictors : ``None`` (outcome only) or a list of column names (mean over all pre-periods)
        and/or tuples ``(column, periods, op)`` with ``op`` in mean/median/sum/min/max/std/var,
        e.g. ``("cigsale", [1975], "mean")`` - as ``special_predictors`` in R Synth / pysyncon.
    placebo : run the in-space placebo for every donor (p-value, SE, placebo gaps).
    donors : donor pool (default: every other unit). Donors with a missing outcome in any period
        are excluded and listed in ``result.dropped`` (reason ``donor with missing periods``).
    alpha : for the normal-approximation CI from the placebo SE.
    v_maxiter : Nelder-Mead iterations of the V search (predictors only).

    Returns
    -------
    SynthResult with ``estimate`` = mean post-period gap (outcome units), ``weights``, ``gap``,
    ``pre_rmspe``, ``rmspe_ratio``, ``placebo``, ``pvalue`` (permutation, see module docstring).

    Raises
    ------
    DataValidationError : missing columns, non-numeric outcome, duplicate unit-time rows, the
        treated unit not in the data or with a missing outcome, ``treatment_time`` outside the
        observed periods, fewer than 2 pre-periods, no post-period, fewer than 2 usable donors.
    """
    from scipy import stats

    what = "synthetic_control"
    pred_cols = [p if isinstance(p, str) else p[0] for p in (predictors or [])]
    pre_warns = _check_basic(df, outcome=outcome, unit=unit, time=time,
                 extra={f"predictor {c}": c for c in pred_cols}, numeric=pred_cols, what=what)
    units_all = list(pd.unique(df[unit]))
    if treated_unit not in set(units_all):
        raise DataValidationError([Problem(column=unit, value=treated_unit,
                                           expected=f"treated_unit to be a unit in column {unit!r} "
                                           f"(e.g. {', '.join(map(repr, units_all[:8]))})")], what=what)
    if donors is None:
        donor_list = [u for u in units_all if u != treated_unit]
    else:
        donor_list = list(dict.fromkeys(donors))
        unknown = [d for d in donor_list if d not in set(units_all)]
        problems = [Problem(column=unit, value=d, expected=f"a donor that is a unit in column {unit!r}")
                    for d in unknown]
        if treated_unit in donor_list:
            problems.append(Problem(column=unit, value=treated_unit, expected="the treated unit not among the donors"))
        if problems:
            raise DataValidationError(problems, what=what)
    tnum, tmap = _prep.time_index(df[time])
    t0 = _time_key(treatment_time, tmap, column=time, what=what, role="treatment_time")
    times = sorted(set(tnum))
    n_pre = sum(t < t0 for t in times)
    n_post = sum(t >= t0 for t in times)
    if n_pre < MIN_PRE_PERIODS or n_post < 1:
        raise DataValidationError([Problem(column=time, value=treatment_time,
                                           expected=f"a treatment_time with at least {MIN_PRE_PERIODS} pre-treatment "
                                           f"periods and one post period; the data cover "
                                           f"{min(tmap)}..{max(tmap)} ({n_pre} before, {n_post} from "
                                           f"{treatment_time} on)")], what=what)

    sub = df[df[unit].isin([treated_unit, *donor_list])]
    W = _wide(sub, outcome=outcome, unit=unit, time=time, tmap=tmap)
    W = W.reindex(index=times)
    tr = W[treated_unit]
    if tr.isna().any():
        miss = [_label_of(tmap)[t] for t in tr.index[tr.isna().to_numpy()]]
        raise DataValidationError([Problem(column=outcome, row=(treated_unit, m),
                                           expected="an outcome value for the treated unit in every period "
                                           "(fill or shorten the panel)") for m in miss], what=what)
    warns: list[str] = list(pre_warns)
    dropped_rows = []
    incomplete = [d for d in donor_list if W[d].isna().any()]
    if incomplete:
        lab = _label_of(tmap)
        for d in incomplete:
            miss = [lab[t] for t in W.index[W[d].isna().to_numpy()]]
            dropped_rows.append({"row": None, unit: d, time: ", ".join(map(str, miss)), "missing": outcome,
                                 "reason": "donor with missing periods: excluded from the donor pool"})
        msg = (f"{what}: {len(incomplete)} donor(s) excluded because the outcome is missing in some periods: "
               f"{', '.join(map(str, incomplete[:10]))}{' ...' if len(incomplete) > 10 else ''} (see result.dropped)")
        warnings.warn(msg, _prep.DroppedRowsWarning, stacklevel=2)
        warns.append(msg)
    donor_list = [d for d in donor_list if d not in set(incomplete)]
    if len(donor_list) < 2:
        raise DataValidationError([Problem(column=unit, value=len(donor_list),
                                           expected="at least 2 donor units with complete outcome data")], what=what)
    cols = [treated_unit, *donor_list]
    Y = W[cols].to_numpy(dtype=float)
    tvals = np.asarray(times, dtype=float)
    pre = tvals < t0
    post = ~pre
    lab = _label_of(tmap)
    time_labels = [lab[t] for t in times]
    pre_labels = [lab[t] for t in times if t < t0]

    X = None
    pred_names = None
    if predictors is not None:
        spec = _parse_predictors(predictors, pre_labels, what)
        Xdf = _predictor_matrix(sub, spec, unit=unit, time=time, units=cols, what=what)
        X = Xdf.to_numpy(dtype=float)
        pred_names = list(Xdf.index)

    donors_idx = np.arange(1, len(cols))
    w, gap, v = _fit_one(Y, pre, 0, donors_idx, X, v_maxiter)
    est = float(gap[post].mean())
    pre_r, post_r = _rmspe(gap, pre), _rmspe(gap, post)
    ratio = post_r / pre_r if pre_r > 0 else math.inf

    placebo_tab = placebo_gaps = None
    se = pval = math.nan
    ci = (math.nan, math.nan)
    if placebo:
        rows, gaps = [], {}
        for k in donors_idx:
            others = donors_idx[donors_idx != k]
            _, g, _ = _fit_one(Y, pre, int(k), others, X, v_maxiter)
            pr, po = _rmspe(g, pre), _rmspe(g, post)
            rows.append({"unit": cols[k], "pre_rmspe": pr, "post_rmspe": po,
                         "ratio": po / pr if pr > 0 else math.inf, "estimate": float(g[post].mean())})
            gaps[cols[k]] = g
        placebo_tab = pd.DataFrame(rows)
        placebo_gaps = pd.DataFrame(gaps, index=pd.Index(time_labels, name=time))
        ratios = placebo_tab["ratio"].to_numpy()
        pval = float((1 + np.sum(ratios >= ratio * (1 - 1e-12))) / (len(ratios) + 1))
        se = float(np.std(placebo_tab["estimate"].to_numpy(), ddof=0))
        z = stats.norm.ppf(1 - alpha / 2)
        ci = (est - z * se, est + z * se)
        placebo_tab["rank"] = placebo_tab["ratio"].rank(ascending=False, method="min").astype(int)

    tidx = pd.Index(time_labels, name=time)
    weights = pd.Series(w, index=pd.Index(donor_list, name=unit), name="weight")
    synthetic = pd.Series(Y[:, 1:] @ w, index=tidx, name="synthetic")
    treated_path = pd.Series(Y[:, 0], index=tidx, name=str(treated_unit))
    gap_s = pd.Series(gap, index=tidx, name="gap")
    post_labels = [lab[t] for t in times if t >= t0]
    table = pd.concat([
        pd.DataFrame([{"term": "att", "estimate": est, "se": se, "ci_low": ci[0], "ci_high": ci[1],
                       "pvalue": pval}]),
        pd.DataFrame({"term": [f"gap_{t}" for t in post_labels], "estimate": gap[post], "se": math.nan,
                      "ci_low": math.nan, "ci_high": math.nan, "pvalue": math.nan}),
    ], ignore_index=True)
    method_txt = "outcome-only (pre-period RMSPE)" if X is None else "Abadie-Diamond-Hainmueller (predictors, V by Nelder-Mead)"
    inference = ("in-space placebo over donors: p = rank of post/pre RMSPE ratio; SE = SD of placebo estimates"
                 if placebo else "none (placebo=False)")
    extras: dict[str, Any] = {
        "weights": weights, "gap": gap_s, "synthetic": synthetic, "treated_path": treated_path,
        "pre_rmspe": pre_r, "post_rmspe": post_r, "rmspe_ratio": ratio,
        "placebo": placebo_tab, "placebo_gaps": placebo_gaps, "treatment_time": treatment_time,
    }
    if X is not None:
        extras["v"] = pd.Series(v, index=pred_names, name="v")
        extras["predictors"] = pd.DataFrame({"treated": X[:, 0], "synthetic": X[:, 1:] @ w,
                                             "donor_mean": X[:, 1:].mean(axis=1)}, index=pred_names)
    dropped = pd.DataFrame(dropped_rows, columns=["row", unit, time, "missing", "reason"])
    used = sub[sub[unit].isin(cols)]
    return SynthResult(
        method="synth", estimate=est, se=se, ci=ci, pvalue=pval, n_obs=int(Y.size), n_clusters=None,
        table=table,
        spec={"outcome": outcome, "unit": unit, "time": time, "treated_unit": treated_unit,
              "treatment_time": treatment_time, "predictors": list(predictors) if predictors else None,
              "donors": list(donor_list), "placebo": placebo, "variant": method_txt, "inference": inference,
              "headline": "mean post-period gap (treated minus synthetic)"},
        fingerprint=data_fingerprint(used, [unit, time, outcome, *pred_cols]),
        provenance=data_provenance(df, [outcome]), extras=extras, warnings=tuple(warns),
        dropped=dropped)
