"""Synthetic control (Abadie, Diamond & Hainmueller 2010) and synthetic difference-in-differences
(Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021).

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

* :func:`synthetic_did` - absorbing 0/1 treatment per unit and period. Unit weights (with
  intercept and ridge ``zeta_omega = ((N1 T1)^(1/4)) * sigma``) and time weights (ridge
  ``1e-6 sigma``) by Frank-Wolfe with the two-pass sparsification of R ``synthdid``; ``sigma`` =
  SD of first differences of the control units' pre-period outcomes. Several adoption times:
  one SDID per cohort (treated units of the cohort vs never-treated units) and the average
  weighted by treated unit-periods (Clarke, Pailanir, Athey & Imbens 2023, Stata ``sdid``).
  SE: ``"placebo"`` (default; Algorithm 4: random never-treated units receive the treated
  units' adoption times, ``replications`` draws, SD with ddof 0) or ``"jackknife"``
  (Algorithm 3, weights held fixed; undefined with a single treated unit in a cohort).

Reference values (tests/reference/synth/README.md): Prop 99 (ADH 2010 data) - SDID -15.60383,
SC -19.61966, DID -27.34911 (R synthdid; Arkhangelsky et al. 2021 Table 1: -15.6, -19.6, -27.3).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _prep
from .results import EffectResult, data_fingerprint, data_provenance

MIN_PRE_PERIODS = 2  # fewer pre-treatment periods than this is an error
_AGG_OPS = ("mean", "median", "sum", "min", "max", "std", "var")


# =============================================================================================
# simplex-constrained least squares (the inner problem of every synthetic control)
# =============================================================================================
def simplex_least_squares(A: np.ndarray, b: np.ndarray, *, tol: float = 1e-10) -> np.ndarray:
    """``argmin_w ||A w - b||^2`` subject to ``w >= 0, sum(w) = 1`` (exact active-set solution).

    Lawson-Hanson NNLS on ``[A; r 1'] w = [b; r]`` (large ``r``) finds the support; the
    equality-constrained least-squares problem on that support is then solved exactly (KKT) and
    checked (``w >= 0`` and no excluded column with a smaller gradient). If the check fails, the
    support is corrected (up to 50 rounds) - in practice the first round is optimal.
    Returns the weights (float array, sums to 1). Not unique when the treated unit lies inside
    the convex hull of fewer rows than donors; then a sparse (vertex) solution is returned.
    """
    from scipy.optimize import nnls

    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    m, n = A.shape
    if n == 1:
        return np.ones(1)
    scale = max(float(np.abs(A).max(initial=0.0)), float(np.abs(b).max(initial=0.0)), 1e-300)
    As, bs = A / scale, b / scale
    r = 1e3 * max(1.0, math.sqrt(m))
    x, _ = nnls(np.vstack([As, np.full((1, n), r)]), np.append(bs, r), maxiter=50 * n)
    support = x > 1e-12 * max(1.0, x.max(initial=0.0))
    if not support.any():
        support[np.argmin(((As - bs[:, None]) ** 2).sum(axis=0))] = True
    G = As.T @ As
    c = As.T @ bs
    w = np.full(n, 1.0 / n)
    for _ in range(50):
        S = np.flatnonzero(support)
        k = len(S)
        K = np.zeros((k + 1, k + 1))
        K[:k, :k] = G[np.ix_(S, S)]
        K[:k, k] = 1.0
        K[k, :k] = 1.0
        rhs = np.append(c[S], 1.0)
        sol = np.linalg.lstsq(K, rhs, rcond=None)[0]
        wS = sol[:k]
        if (wS < -tol).any():
            # step back towards the previous feasible point: drop the most negative weight
            support[S[np.argmin(wS)]] = False
            continue
        w = np.zeros(n)
        w[S] = np.clip(wS, 0.0, None)
        w /= w.sum()
        grad = G @ w - c  # half gradient
        mu = float(grad[S].mean())
        excl = np.flatnonzero(~support)
        if excl.size == 0:
            return w
        viol = grad[excl] - mu
        j = int(np.argmin(viol))
        if viol[j] >= -1e-9 * max(1.0, float(np.abs(grad).max())):
            return w
        support[excl[j]] = True
    return _simplex_ls_fallback(As, bs, w)


def _simplex_ls_fallback(A: np.ndarray, b: np.ndarray, start: np.ndarray) -> np.ndarray:
    """SLSQP on the simplex (only used if the active-set loop does not settle)."""
    from scipy.optimize import minimize

    G = A.T @ A
    c = A.T @ b
    n = A.shape[1]
    res = minimize(lambda w: 0.5 * w @ G @ w - c @ w, start, jac=lambda w: G @ w - c,
                   bounds=[(0.0, 1.0)] * n, constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0,
                                                          "jac": lambda w: np.ones_like(w)}],
                   method="SLSQP", options={"maxiter": 2000, "ftol": 1e-14})
    w = np.clip(res.x, 0.0, None)
    return w / w.sum()


# =============================================================================================
# result type
# =============================================================================================
@dataclass(frozen=True)
class SynthResult(EffectResult):
    """Synthetic-control / synthetic-DiD result.

    ``weights`` (Series by donor unit, >= 0, sums to 1), ``gap`` (Series by time: treated minus
    synthetic, outcome units), ``synthetic`` and ``treated_path`` (Series by time), ``placebo``
    (one row per placebo unit: ``unit, pre_rmspe, post_rmspe, ratio, estimate``), ``placebo_gaps``
    (time x placebo unit). ``table``: the headline row ``att`` and one row per post period.
    """

    @property
    def weights(self) -> pd.Series:
        return self.extras["weights"]

    @property
    def gap(self) -> pd.Series:
        return self.extras["gap"]

    @property
    def synthetic(self) -> pd.Series:
        return self.extras["synthetic"]

    @property
    def treated_path(self) -> pd.Series:
        return self.extras["treated_path"]

    @property
    def placebo(self) -> pd.DataFrame | None:
        return self.extras.get("placebo")

    @property
    def placebo_gaps(self) -> pd.DataFrame | None:
        return self.extras.get("placebo_gaps")

    @property
    def pre_rmspe(self) -> float:
        return float(self.extras["pre_rmspe"])

    @property
    def rmspe_ratio(self) -> float:
        return float(self.extras["rmspe_ratio"])

    def plot(self, ax=None, lang: str = "de"):
        """Treated vs synthetic path, and the gaps of the treated unit and the placebos (plots.py)."""
        from ..outputs import plots

        return plots.synth_plot(self, lang=lang)


# =============================================================================================
# input preparation shared by SC and SDID
# =============================================================================================
def _check_basic(df: pd.DataFrame, *, outcome: str, unit: str, time: str, extra: dict[str, str | None],
                 numeric: Sequence[str], what: str) -> None:
    _prep.require_columns(df, {"outcome": outcome, "unit": unit, "time": time, **extra}, what=what)
    _prep.require_numeric(df, [outcome, *numeric], what=what)
    bad_id = df[unit].isna() | df[time].isna()
    if bad_id.any():
        rows = df.index[bad_id.to_numpy()][:20]
        raise DataValidationError([Problem(column=unit if pd.isna(df.at[r, unit]) else time, row=r,
                                           expected="a unit and a time label in every row") for r in rows],
                                  what=what)
    dup = df.duplicated([unit, time], keep=False)
    if dup.any():
        rows = df.index[dup.to_numpy()][:20]
        raise DataValidationError([Problem(column=f"{unit}, {time}", row=r, value=(df.at[r, unit], df.at[r, time]),
                                           expected="one row per unit and time period") for r in rows],
                                  what=what)


def _wide(df: pd.DataFrame, *, outcome: str, unit: str, time: str, tmap: dict) -> pd.DataFrame:
    """time (mapped to numbers, sorted) x unit matrix of the outcome; missing cells NaN."""
    w = df.pivot(index=time, columns=unit, values=outcome)
    w.index = [tmap[t] for t in w.index]
    return w.sort_index().astype(float)


def _time_key(value: Any, tmap: dict, *, column: str, what: str, role: str) -> float:
    if value in tmap:
        return float(tmap[value])
    numeric_labels = all(isinstance(k, (int, float, np.integer, np.floating)) for k in tmap)
    if numeric_labels and isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    raise DataValidationError([Problem(column=column, value=value,
                                       expected=f"{role} as one of the time labels in the data "
                                       f"({', '.join(map(str, list(tmap)[:15]))})")], what=what)


def _label_of(tmap: dict) -> dict[float, Hashable]:
    return {float(v): k for k, v in tmap.items()}


# =============================================================================================
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
    _check_basic(df, outcome=outcome, unit=unit, time=time,
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
    warns: list[str] = []
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


# =============================================================================================
# synthetic difference-in-differences
# =============================================================================================
def _fw_batch(Y: np.ndarray, zeta: np.ndarray, *, intercept: bool, x0: np.ndarray | None,
              min_decrease: np.ndarray, max_iter: int) -> np.ndarray:
    """Frank-Wolfe for ``min zeta^2 |x|^2 + |A x - b|^2 / rows`` over the simplex, for a batch of
    problems at once (R synthdid ``sc.weight.fw``, same steps and stopping rule).

    ``Y``: (B, rows, n + 1) = ``[A, b]`` per problem (columns centred first if ``intercept``);
    ``zeta``, ``min_decrease``: (B,); ``x0``: (B, n) start (default uniform). A problem stops
    after iteration t >= 2 once its objective decreased by no more than ``min_decrease^2``.
    The gradient uses the Gram matrix ``A'A`` updated along each Frank-Wolfe step (refreshed
    exactly every 200 steps), so one step costs O(B n) instead of O(B rows n).
    """
    B, rows, cols = Y.shape
    n = cols - 1
    if intercept:
        Y = Y - Y.mean(axis=1, keepdims=True)
    A, b = Y[:, :, :n], Y[:, :, n]
    G = np.einsum("brn,brm->bnm", A, A)
    c = np.einsum("brn,br->bn", A, b)
    bb = np.einsum("br,br->b", b, b)
    Gdiag = np.einsum("bnn->bn", G)
    x = np.full((B, n), 1.0 / n) if x0 is None else np.array(x0, dtype=float, copy=True)
    eta = rows * zeta ** 2
    md2 = min_decrease ** 2
    if B == 1:
        x[0] = _fw_single(G[0], c[0], float(bb[0]), x[0], float(zeta[0]), float(eta[0]), rows,
                          float(md2[0]), max_iter)
        return x
    ar = np.arange(B)
    g = np.einsum("bnm,bm->bn", G, x)
    prev = np.full(B, np.inf)
    active = np.ones(B, dtype=bool)
    for t in range(max_iter):
        if t and t % 200 == 0:
            g = np.einsum("bnm,bm->bn", G, x)
        hg = g - c + eta[:, None] * x
        i = np.argmin(hg, axis=1)
        xi = x[ar, i]
        gi = g[ar, i]
        Gii = Gdiag[ar, i]
        dxhg = hg[ar, i] - (hg * x).sum(axis=1)
        xx = (x * x).sum(axis=1)
        xgx = (x * g).sum(axis=1)
        dx2 = 1.0 - 2.0 * xi + xx
        denom = Gii - 2.0 * gi + xgx + eta * dx2
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.clip(np.where(denom > 0, -dxhg / denom, 0.0), 0.0, 1.0)
        s = np.where(active & (dx2 > 0), s, 0.0)
        x *= (1.0 - s)[:, None]
        x[ar, i] += s
        g *= (1.0 - s)[:, None]
        g += s[:, None] * G[ar, i, :]
        xx = (1 - s) ** 2 * xx + 2 * s * (1 - s) * xi + s ** 2
        xgx = (1 - s) ** 2 * xgx + 2 * s * (1 - s) * gi + s ** 2 * Gii
        val = zeta ** 2 * xx + (xgx - 2.0 * (c * x).sum(axis=1) + bb) / rows
        if t >= 1:
            active &= (prev - val) > md2
            if not active.any():
                break
        prev = np.where(active, val, prev)
    return x


def _fw_single(G: np.ndarray, c: np.ndarray, bb: float, x: np.ndarray, zeta: float, eta: float, rows: int,
               md2: float, max_iter: int) -> np.ndarray:
    """:func:`_fw_batch` for one problem, with scalars kept in Python floats (fewer array calls)."""
    g = G @ x
    xx = float(x @ x)
    xgx = float(x @ g)
    z2 = zeta * zeta
    prev = math.inf
    for t in range(max_iter):
        if t and t % 200 == 0:
            g = G @ x
            xgx = float(x @ g)
            xx = float(x @ x)
        hg = g - c
        hg += eta * x
        i = int(hg.argmin())
        xi = float(x[i])
        gi = float(g[i])
        Gii = float(G[i, i])
        dx2 = 1.0 - 2.0 * xi + xx
        if dx2 <= 0:
            s = 0.0
        else:
            denom = Gii - 2.0 * gi + xgx + eta * dx2
            s = min(1.0, max(0.0, -(float(hg[i]) - float(hg @ x)) / denom)) if denom > 0 else 0.0
        if s:
            x *= 1.0 - s
            x[i] += s
            g *= 1.0 - s
            g += s * G[i]
            xx = (1 - s) ** 2 * xx + 2 * s * (1 - s) * xi + s * s
            xgx = (1 - s) ** 2 * xgx + 2 * s * (1 - s) * gi + s * s * Gii
        val = z2 * xx + (xgx - 2.0 * float(c @ x) + bb) / rows
        if t >= 1 and not (prev - val > md2):
            break
        prev = val
    return x


def _sparsify(v: np.ndarray) -> np.ndarray:
    """R synthdid ``sparsify_function`` row-wise: zero weights <= max/4, renormalise."""
    v = v.copy()
    v[v <= v.max(axis=-1, keepdims=True) / 4] = 0.0
    return v / v.sum(axis=-1, keepdims=True)


def _sdid_batch(Y: np.ndarray, N0: int, T0: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SDID for a batch of blocks ``Y`` (B, N, T): rows N0 controls then treated, columns T0 pre
    then post. Tuning as R ``synthdid_estimate`` defaults. Returns (tau (B,), omega (B, N0),
    lambda (B, T0))."""
    B, N, T = Y.shape
    N1, T1 = N - N0, T - T0
    diffs = np.diff(Y[:, :N0, :T0], axis=2).reshape(B, -1)
    noise = diffs.std(axis=1, ddof=1) if diffs.shape[1] > 1 else np.zeros(B)
    zeta_omega = ((N1 * T1) ** 0.25) * noise
    zeta_lambda = 1e-6 * noise
    min_dec = np.where(noise > 0, 1e-5 * noise, 1e-5)
    Yc = np.empty((B, N0 + 1, T0 + 1))
    Yc[:, :N0, :T0] = Y[:, :N0, :T0]
    Yc[:, :N0, T0] = Y[:, :N0, T0:].mean(axis=2)
    Yc[:, N0, :T0] = Y[:, N0:, :T0].mean(axis=1)
    Yc[:, N0, T0] = Y[:, N0:, T0:].mean(axis=(1, 2))
    Yl = Yc[:, :N0, :]
    lam = _fw_batch(Yl, zeta_lambda, intercept=True, x0=None, min_decrease=min_dec, max_iter=100)
    lam = _fw_batch(Yl, zeta_lambda, intercept=True, x0=_sparsify(lam), min_decrease=min_dec, max_iter=10_000)
    Yo = np.transpose(Yc[:, :, :T0], (0, 2, 1))
    om = _fw_batch(Yo, zeta_omega, intercept=True, x0=None, min_decrease=min_dec, max_iter=100)
    om = _fw_batch(Yo, zeta_omega, intercept=True, x0=_sparsify(om), min_decrease=min_dec, max_iter=10_000)
    tau = _sdid_tau(Y, N0, T0, om, lam)
    return tau, om, lam


def _sdid_tau(Y: np.ndarray, N0: int, T0: int, omega: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``(-omega, 1/N1)' Y (-lambda, 1/T1)`` for a batch (B, N, T)."""
    B, N, T = Y.shape
    row = np.concatenate([-omega, np.full((B, N - N0), 1.0 / (N - N0))], axis=1)
    col = np.concatenate([-lam, np.full((B, T - T0), 1.0 / (T - T0))], axis=1)
    return np.einsum("bn,bnt,bt->b", row, Y, col)


def _sdid_all(Yw: np.ndarray, cohorts: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, list[dict]]:
    """SDID over cohorts for a batch of adoption patterns.

    ``Yw``: unit x time; ``cohorts``: (B, units) adoption time per unit (inf = never treated); every
    pattern must have the same number of treated units per cohort (true for the placebo draws).
    Returns (weighted ATT per pattern (B,), per-cohort dicts with arrays over the batch)."""
    cohorts = np.atleast_2d(cohorts)
    B = cohorts.shape[0]
    first = cohorts[0]
    out = []
    for a in np.unique(first[np.isfinite(first)]):
        pre = times < a
        T0 = int(pre.sum())
        order_t = np.concatenate([np.flatnonzero(pre), np.flatnonzero(~pre)])
        c_idx = np.stack([np.flatnonzero(~np.isfinite(cohorts[b])) for b in range(B)])
        t_idx = np.stack([np.flatnonzero(cohorts[b] == a) for b in range(B)])
        rows = np.concatenate([c_idx, t_idx], axis=1)
        Y = Yw[rows][:, :, order_t]
        tau, om, lam = _sdid_batch(Y, c_idx.shape[1], T0)
        out.append({"cohort": a, "tau": tau, "omega": om, "lambda": lam, "n_treated": t_idx.shape[1],
                    "n_post": int((~pre).sum()), "controls": c_idx, "treated": t_idx,
                    "pre_idx": np.flatnonzero(pre)})
    wts = np.array([d["n_treated"] * d["n_post"] for d in out], dtype=float)
    att = np.sum(wts[:, None] * np.stack([d["tau"] for d in out]), axis=0) / wts.sum()
    for d, wt in zip(out, wts, strict=True):
        d["weight"] = wt / wts.sum()
    return att, out


def synthetic_did(df: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str,
                  se_method: str = "placebo", replications: int = 200, seed: int = 0,
                  alpha: float = 0.05) -> SynthResult:
    """Synthetic difference-in-differences (Arkhangelsky et al. 2021); see the module docstring.

    Parameters
    ----------
    df : balanced long panel (one row per unit and period; not modified).
    treatment : absorbing 0/1 (or bool) column: 1 from the unit's first treated period on.
        Units never treated are the controls. Several adoption times are estimated per cohort
        and averaged with weights ``n_treated * n_post_periods`` (Clarke et al. 2023).
    se_method : ``"placebo"`` (default; valid with one treated unit, needs more controls than
        treated units) or ``"jackknife"`` (fixed weights; NaN + warning if a cohort has one unit).
    replications : placebo draws. seed : RNG seed for the placebo draws.

    Returns
    -------
    SynthResult: ``estimate`` (ATT, outcome units), ``se``, normal ``ci`` and ``pvalue``;
    ``weights`` = unit weights omega (Series over control units; with several cohorts their
    treated-unit-period weighted average), ``extras["time_weights"]`` (lambda over pre periods;
    per cohort in ``extras["cohorts"]``), ``gap`` (treated mean minus omega-weighted control
    mean shifted by the pre-period lambda-weighted difference; single cohort).

    Raises
    ------
    DataValidationError : missing columns, non-numeric outcome/treatment, values other than 0/1,
        treatment switching off, missing outcome cells (SDID needs a balanced panel; the
        missing cells are listed), no treated or no never-treated unit, a cohort with fewer than
        2 pre-periods.
    """
    from scipy import stats

    what = "synthetic_did"
    if se_method not in ("placebo", "jackknife"):
        raise ValueError(f"se_method must be 'placebo' or 'jackknife', got {se_method!r}")
    _check_basic(df, outcome=outcome, unit=unit, time=time, extra={"treatment": treatment},
                 numeric=[treatment], what=what)
    tnum, tmap = _prep.time_index(df[time])
    d = pd.DataFrame({"u": df[unit].to_numpy(), "t": tnum.to_numpy(), "y": _prep.as_float(df[outcome]),
                      "d": _prep.as_float(df[treatment])}, index=df.index)
    bad = d["d"].notna() & ~d["d"].isin([0.0, 1.0])
    if bad.any() or d["d"].isna().any():
        rows = df.index[(bad | d["d"].isna()).to_numpy()][:20]
        raise DataValidationError([Problem(column=treatment, row=r, value=df.at[r, treatment],
                                           expected="0/1 or True/False") for r in rows], what=what)
    sw = _prep.switching_off(d, unit="u", time="t", treatment="d")
    if len(sw):
        lab = _label_of(tmap)
        raise DataValidationError([Problem(column=treatment, row=r.u, value=f"on from {lab[r.first_on]}, off again at "
                                           f"{lab[r.first_off_after]}", expected="an absorbing treatment (once on, "
                                           "stays on)") for r in sw.itertuples()], what=what)
    Yw = d.pivot(index="u", columns="t", values="y")
    times = np.asarray(Yw.columns, dtype=float)
    lab = _label_of(tmap)
    missing = Yw.isna()
    if missing.to_numpy().any():
        cells = [(u, lab[t]) for u, t in missing.stack()[missing.stack()].index[:30]]
        raise DataValidationError([Problem(column=outcome, row=c, expected="an outcome value for every unit and "
                                           "period (SDID needs a balanced panel; drop the unit or fill the gap)")
                                   for c in cells], what=what)
    first = d[d["d"] == 1].groupby("u")["t"].min()
    cohort = first.reindex(Yw.index).to_numpy(dtype=float)
    cohort = np.where(np.isnan(cohort), np.inf, cohort)
    if np.isfinite(cohort).sum() == 0:
        raise DataValidationError([Problem(column=treatment, expected="at least one treated unit (treatment = 1)")],
                                  what=what)
    if (~np.isfinite(cohort)).sum() < 2:
        raise DataValidationError([Problem(column=treatment, expected="at least 2 never-treated units as controls")],
                                  what=what)
    problems = []
    for a in np.unique(cohort[np.isfinite(cohort)]):
        n_pre = int((times < a).sum())
        if n_pre < MIN_PRE_PERIODS:
            problems.append(Problem(column=treatment, value=lab[a],
                                    expected=f"at least {MIN_PRE_PERIODS} pre-treatment periods for the cohort "
                                    f"starting {lab[a]} (found {n_pre})"))
    if problems:
        raise DataValidationError(problems, what=what)
    Y = Yw.to_numpy(dtype=float)
    att_arr, parts = _sdid_all(Y, cohort[None, :], times)
    att = float(att_arr[0])
    for p in parts:  # batch of one -> plain arrays
        for key in ("tau", "omega", "lambda", "controls", "treated"):
            p[key] = p[key][0]
    units = list(Yw.index)
    warns: list[str] = []
    n_tr = int(np.isfinite(cohort).sum())
    n_co = int((~np.isfinite(cohort)).sum())

    se = math.nan
    draws = None
    if se_method == "placebo":
        if n_co <= n_tr:
            msg = f"{what}: placebo SE needs more never-treated ({n_co}) than treated ({n_tr}) units; SE not computed"
            warnings.warn(msg, _prep.ImpactWarning, stacklevel=2)
            warns.append(msg)
        else:
            rng = np.random.default_rng(seed)
            co = np.flatnonzero(~np.isfinite(cohort))
            tr_cohorts = cohort[np.isfinite(cohort)]
            fake = np.full((replications, n_co), np.inf)
            for b in range(replications):
                fake[b, rng.permutation(n_co)[:n_tr]] = tr_cohorts
            chunk = max(1, min(64, int(2e8 // (8 * max(n_co, len(times)) ** 2))))  # Gram <= 200 MB
            draws = np.concatenate([_sdid_all(Y[co], fake[i:i + chunk], times)[0]
                                    for i in range(0, replications, chunk)])
            se = float(np.std(draws, ddof=0))
    else:
        if not all(p["n_treated"] > 1 for p in parts):
            msg = f"{what}: jackknife SE undefined with a single treated unit in a cohort; SE not computed"
            warnings.warn(msg, _prep.ImpactWarning, stacklevel=2)
            warns.append(msg)
        else:
            jk = []
            for i in range(len(units)):
                taus, wts = [], []
                for p in parts:
                    c, t = p["controls"], p["treated"]
                    keep_c, keep_t = c != i, t != i
                    om = p["omega"][keep_c]
                    if om.sum() <= 0:  # R synthdid: a draw without positive control weight is skipped
                        taus = None
                        break
                    om = om / om.sum()
                    pre_idx = p["pre_idx"]
                    post_idx = np.setdiff1d(np.arange(len(times)), pre_idx)
                    rows = np.concatenate([c[keep_c], t[keep_t]])
                    Yb = Y[rows][:, np.concatenate([pre_idx, post_idx])]
                    taus.append(float(_sdid_tau(Yb[None], int(keep_c.sum()), len(pre_idx), om[None],
                                                p["lambda"][None])[0]))
                    wts.append(keep_t.sum() * p["n_post"])
                if taus is not None:
                    jk.append(float(np.dot(wts, taus) / np.sum(wts)))
            draws = np.asarray(jk)
            n = len(draws)
            se = float(math.sqrt((n - 1) / n * np.sum((draws - draws.mean()) ** 2)))
    z = stats.norm.ppf(1 - alpha / 2)
    ci = (att - z * se, att + z * se)
    pval = float(2 * stats.norm.sf(abs(att / se))) if se > 0 else math.nan

    # weights: cohort-weighted average of omega over controls
    co_units = [units[i] for i in parts[0]["controls"]]
    omega = sum(p["weight"] * p["omega"] for p in parts)
    weights = pd.Series(omega, index=pd.Index(co_units, name=unit), name="omega")
    tlabels = [lab[t] for t in times]
    cohorts_tab = pd.DataFrame([{"cohort": lab[p["cohort"]], "att": p["tau"], "n_treated": p["n_treated"],
                                 "n_post": p["n_post"], "weight": p["weight"]} for p in parts])
    extras: dict[str, Any] = {"weights": weights, "cohorts": cohorts_tab, "se_draws": draws,
                              "cohort_weights": {lab[p["cohort"]]: {
                                  "omega": pd.Series(p["omega"], index=co_units, name="omega"),
                                  "lambda": pd.Series(p["lambda"], index=[tlabels[i] for i in p["pre_idx"]],
                                                      name="lambda")} for p in parts}}
    p0 = parts[0]
    extras["time_weights"] = extras["cohort_weights"][lab[p0["cohort"]]]["lambda"]
    tidx = pd.Index(tlabels, name=time)
    tr_mean = Y[np.isfinite(cohort)].mean(axis=0)
    if len(parts) == 1:
        sc = Y[p0["controls"]].T @ p0["omega"]
        pre_idx = p0["pre_idx"]
        shift = float(p0["lambda"] @ (tr_mean[pre_idx] - sc[pre_idx]))
        synth = sc + shift
        extras.update({"synthetic": pd.Series(synth, index=tidx, name="synthetic"),
                       "treated_path": pd.Series(tr_mean, index=tidx, name="treated"),
                       "gap": pd.Series(tr_mean - synth, index=tidx, name="gap"),
                       "treatment_time": lab[p0["cohort"]]})
    else:
        extras.update({"synthetic": None, "treated_path": pd.Series(tr_mean, index=tidx, name="treated"),
                       "gap": None, "treatment_time": None})
    table = pd.concat([
        pd.DataFrame([{"term": "att", "estimate": att, "se": se, "ci_low": ci[0], "ci_high": ci[1], "pvalue": pval}]),
        pd.DataFrame({"term": [f"cohort_{c}" for c in cohorts_tab["cohort"]], "estimate": cohorts_tab["att"],
                      "se": math.nan, "ci_low": math.nan, "ci_high": math.nan, "pvalue": math.nan}),
    ], ignore_index=True)
    inference = (f"placebo (Arkhangelsky et al. 2021 Alg. 4), {replications} draws, seed {seed}"
                 if se_method == "placebo" else "jackknife (Arkhangelsky et al. 2021 Alg. 3), fixed weights")
    return SynthResult(
        method="sdid", estimate=att, se=se, ci=ci, pvalue=pval, n_obs=int(Y.size), n_clusters=None,
        table=table,
        spec={"outcome": outcome, "unit": unit, "time": time, "treatment": treatment, "se_method": se_method,
              "replications": replications, "seed": seed, "inference": inference,
              "headline": "ATT (treated unit-periods weighted average over cohorts)"},
        fingerprint=data_fingerprint(df, [unit, time, outcome, treatment]),
        provenance=data_provenance(df, [outcome]), extras=extras, warnings=tuple(warns),
        dropped=_prep.empty_dropped([unit, time]))
