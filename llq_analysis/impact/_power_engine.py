"""Numerical engine of :mod:`llq_analysis.impact.power` (no result objects, no text).

* :func:`prepare_design` - checks the panel and describes the actual design (observed rows only).
* :func:`placebo_cohorts` - maps the actual timing pattern into the pre-period (same number of
  observed post periods per cohort) and draws random units for it.
* :func:`batch_twfe` - TWFE ``y ~ D + unit FE + time FE`` for many treatment columns at once by
  Frisch-Waugh-Lovell, with the CR1 cluster-robust SE of :func:`llq_analysis.impact.did.twfe`
  (``G/(G-1) (N-1)/(N-K)``, K counting all dummies); tested equal to ``twfe``.
* :func:`fit_ar1` / :func:`analytic_se` - AR(1) error model from the pre-period variogram and the
  exact variance of the TWFE estimator for a given design under that model.
* :func:`with_planned`, :func:`dose_value`, :func:`base_total` - planned (not yet published)
  periods, EUR per resident and persons of the funded units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _prep


@dataclass(frozen=True)
class Design:
    """The actual design on the observed rows of the outcome."""

    uc: np.ndarray          # unit code per observed row
    t: np.ndarray           # time (numeric) per observed row
    y: np.ndarray           # outcome per observed row
    cohort: np.ndarray      # cohort per unit code (0 = never funded)
    units: np.ndarray       # unit labels by code
    strata: np.ndarray | None  # stratum code per unit code
    periods: np.ndarray     # sorted observed times (any unit)
    first: float            # earliest cohort
    dropped: pd.DataFrame   # rows not used (outcome missing), with reason
    rows: pd.Index          # index labels of the observed rows in the input
    time_labels: dict       # number -> original label

    @property
    def d(self) -> np.ndarray:
        """Actual treatment dummy per observed row."""
        g = self.cohort[self.uc]
        return ((g > 0) & (self.t >= g)).astype(float)


def prepare_design(panel: pd.DataFrame, *, outcome: str, unit: str, time: str,
                   treated: str | None, first_year: str | float, strata: str | None = None,
                   what: str = "minimum_detectable_effect") -> Design:
    """Check the inputs and build the :class:`Design` (clear errors naming column and rows)."""
    cohort_col = first_year if isinstance(first_year, str) else None
    _prep.require_columns(panel, {"outcome": outcome, "unit": unit, "time": time, "treated": treated,
                                  "first_year": cohort_col, "strata": strata}, what=what)
    _prep.require_numeric(panel, [outcome], what=what)
    if panel[[unit, time]].isna().any().any():
        bad = panel.index[panel[[unit, time]].isna().any(axis=1).to_numpy()][:10]
        raise DataValidationError([Problem(column=f"{unit}/{time}", row=r, expected="a unit id and a time")
                                   for r in bad], what=what)
    ucode_all, ulabels = pd.factorize(panel[unit])
    key = ucode_all.astype(np.int64) * (len(panel) + 1) + pd.factorize(panel[time])[0]
    if np.unique(key).size < len(key):
        dup = panel.duplicated([unit, time], keep=False).to_numpy()
        bad = panel.index[dup][:10]
        raise DataValidationError([Problem(column=f"{unit}, {time}", row=r, value=(panel.at[r, unit],
                                                                                  panel.at[r, time]),
                                           expected="one row per unit and time") for r in bad], what=what)

    def unit_constant(col: str) -> None:  # fast check; the shared helper words the error
        vc = pd.factorize(panel[col], use_na_sentinel=False)[0]
        lo = np.full(len(ulabels), np.iinfo(np.int64).max)
        hi = np.full(len(ulabels), -1)
        np.minimum.at(lo, ucode_all, vc)
        np.maximum.at(hi, ucode_all, vc)
        if (lo != hi).any():
            _prep.require_unit_constant(panel, unit, col, what=what)

    tnum, tmap = _prep.time_index(panel[time])
    if cohort_col is not None:
        unit_constant(cohort_col)
        cs = panel[cohort_col]
        if pd.api.types.is_numeric_dtype(tnum) and pd.api.types.is_numeric_dtype(cs) \
                and not pd.api.types.is_bool_dtype(cs):
            coh = pd.Series(_prep.as_float(cs), index=panel.index).fillna(0.0)  # fast path: numbers
        else:
            coh = _prep.parse_cohort(cs, tmap, what=what)
    else:
        if treated is None:
            raise DataValidationError([Problem(column=None, expected="a 'treated' column when first_year is "
                                               "a single year")], what=what)
        coh = pd.Series(float(first_year), index=panel.index)
    if treated is not None:
        unit_constant(treated)
        tr = panel[treated].fillna(False).astype(bool).to_numpy()
        if cohort_col is None:
            coh = coh.where(tr, 0.0)
        else:
            bad = panel.index[tr != (coh.to_numpy() > 0)][:10]
            if len(bad):
                raise DataValidationError([Problem(column=treated, row=r, value=panel.at[r, treated],
                                                   expected=f"treated exactly where {cohort_col} > 0 "
                                                   f"(found {cohort_col}={panel.at[r, cohort_col]})")
                                           for r in bad], what=what)
    if strata is not None:
        unit_constant(strata)
    y_all = _prep.as_float(panel[outcome])
    obs = ~np.isnan(y_all)
    if not obs.any():
        raise DataValidationError([Problem(column=outcome, expected="at least some non-missing values "
                                           "(the outcome is missing in every row)")], what=what)
    coh_unit = pd.Series(coh.to_numpy(), index=ucode_all).groupby(level=0).first().reindex(
        range(len(ulabels))).to_numpy(dtype=float)
    if not (coh_unit > 0).any():
        raise DataValidationError([Problem(column=cohort_col or treated, expected="at least one funded unit "
                                           "(first year > 0); every unit is never funded")], what=what)
    t_obs = tnum.to_numpy()[obs]
    first = float(coh_unit[coh_unit > 0].min())
    if not (t_obs < first).any():
        raise DataValidationError([Problem(column=outcome, expected=f"observed values before the first "
                                           f"funded period {_label(first, tmap)} (no pre-period rows)")],
                                  what=what)
    miss = panel.loc[~obs, [unit, time]].copy()
    miss.insert(0, "row", panel.index[~obs])
    miss["missing"] = outcome
    miss["reason"] = "outcome not observed (e.g. no election that year, not yet published)"
    st = None
    if strata is not None:
        st_unit = pd.Series(pd.factorize(panel[strata])[0], index=ucode_all).groupby(level=0).first()
        st = st_unit.reindex(range(len(ulabels))).to_numpy()
    inv = {v: k for k, v in tmap.items()}
    return Design(uc=ucode_all[obs], t=t_obs, y=y_all[obs], cohort=coh_unit, units=np.asarray(ulabels),
                  strata=st, periods=np.unique(t_obs), first=first, dropped=miss.reset_index(drop=True),
                  rows=panel.index[obs], time_labels=inv)


def _label(v: float, tmap: dict):
    inv = {b: a for a, b in tmap.items()}
    return inv.get(v, v)


# -- placebo designs ---------------------------------------------------------------------------
def placebo_cohorts(design: Design, periods: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Pre-period window and the placebo cohort per unit (actual units, before permutation).

    A unit of cohort g has ``q = #{observed periods >= g}`` post periods in the actual design; its
    placebo cohort is the ``q``-th last observed pre-period (at most all but one pre-period).
    ``periods``: the periods of the actual design (default: the observed ones; more with planned
    periods). Returns (pre-period row mask, placebo cohort per unit code, notes).
    """
    periods = design.periods if periods is None else periods
    pre = design.t < design.first
    pre_periods = np.unique(design.t[pre])
    m = len(pre_periods)
    notes = []
    if m < 2:
        raise DataValidationError([Problem(column=None, expected="at least two observed periods before the "
                                           f"first funded period (found {m}): a placebo design needs a "
                                           "placebo-before and a placebo-after period")],
                                  what="minimum_detectable_effect")
    pc = np.zeros_like(design.cohort)
    for u, g in enumerate(design.cohort):
        if g <= 0:
            continue
        q = int((periods >= g).sum())
        if q == 0:
            continue  # starts after the last observed period: no post rows, a control in TWFE too
        if q > m - 1:
            notes.append("capped")
            q = m - 1
        pc[u] = pre_periods[m - q]
    return pre, pc, sorted(set(notes))


def draw_designs(cohort: np.ndarray, n: int, rng: np.random.Generator, *, pool: np.ndarray,
                 strata: np.ndarray | None = None) -> np.ndarray:
    """``n`` random re-assignments (U x n) of the cohort vector to units in ``pool`` (within strata)."""
    U = len(cohort)
    out = np.zeros((U, n))
    groups = [pool] if strata is None else [pool[strata[pool] == s] for s in np.unique(strata[pool])]
    for g in groups:
        vals = cohort[g]
        keys = rng.random((len(g), n))
        perm = np.argsort(keys, axis=0)
        out[g, :] = vals[perm]
    return out


# -- TWFE for many designs -------------------------------------------------------------------
def demean2(X: np.ndarray, uc: np.ndarray, tc: np.ndarray, *, tol: float = 1e-11,
            maxiter: int = 5_000) -> np.ndarray:
    """Two-way within transformation (alternating projections; exact in one sweep if balanced)."""
    import scipy.sparse as sp

    X = np.array(X, dtype=float, copy=True)
    one_d = X.ndim == 1
    if one_d:
        X = X[:, None]
    n = X.shape[0]
    mats = []
    for codes in (uc, tc):
        g = int(codes.max()) + 1
        m = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(g, n))
        mats.append((codes, m, np.maximum(np.bincount(codes, minlength=g), 1)[:, None]))
    scale = max(1.0, float(np.abs(X).max()))
    for _ in range(maxiter):
        delta = 0.0
        for codes, m, cnt in mats:
            means = np.asarray(m @ X) / cnt
            X -= means[codes]
            delta = max(delta, float(np.abs(means).max()))
        if delta <= tol * scale:
            break
    return X[:, 0] if one_d else X


VCOV_FACTORS = ("CR1", "cr1_g_only", "CR0")


def vcov_factor(vcov: str, n: int, U: int, T: int) -> float:
    """Small-sample factor of the cluster-robust variance as in :func:`~llq_analysis.impact.did.twfe`:
    CR1 ``G/(G-1) (N-1)/(N-K)`` with K = 1 + U + T - 1, cr1_g_only ``G/(G-1)``, CR0 1 (G = U)."""
    if vcov == "CR1":
        return U / (U - 1) * (n - 1) / (n - (1 + U + T - 1))
    if vcov == "cr1_g_only":
        return U / (U - 1)
    if vcov == "CR0":
        return 1.0
    raise ValueError(f"vcov must be one of {VCOV_FACTORS}, got {vcov!r}")


def batch_twfe(y: np.ndarray, D: np.ndarray, uc: np.ndarray, tc: np.ndarray, *, vcov: str = "CR1",
               chunk: int = 250) -> tuple[np.ndarray, np.ndarray, int]:
    """Estimates and cluster-robust SEs (by unit) of ``y ~ D_j + FE`` for every column j of ``D``.

    Returns (estimates, SEs, number of clusters). A column whose treatment is collinear with the
    fixed effects gets NaN. ``vcov`` as in :func:`vcov_factor`.
    """
    import scipy.sparse as sp

    uc = pd.factorize(uc)[0]
    tc = pd.factorize(tc)[0]
    n = len(y)
    U, T = int(uc.max()) + 1, int(tc.max()) + 1
    c = vcov_factor(vcov, n, U, T)
    yt = demean2(y, uc, tc)
    S = sp.csr_matrix((np.ones(n), (uc, np.arange(n))), shape=(U, n))
    D = np.asarray(D, dtype=float)
    if D.ndim == 1:
        D = D[:, None]
    b = np.full(D.shape[1], np.nan)
    se = np.full(D.shape[1], np.nan)
    for lo in range(0, D.shape[1], chunk):
        Dt = demean2(D[:, lo:lo + chunk], uc, tc)
        dd = np.einsum("ij,ij->j", Dt, Dt)
        ok = dd > 1e-10 * np.maximum(1.0, np.einsum("ij,ij->j", D[:, lo:lo + chunk], D[:, lo:lo + chunk]))
        with np.errstate(invalid="ignore", divide="ignore"):
            bj = (Dt.T @ yt) / dd
            u = yt[:, None] - Dt * bj
            g = np.asarray(S @ (Dt * u))
            v = c * np.einsum("ij,ij->j", g, g) / dd ** 2
        b[lo:lo + chunk] = np.where(ok, bj, np.nan)
        se[lo:lo + chunk] = np.where(ok, np.sqrt(v), np.nan)
    return b, se, U


def rejection_rate(b: np.ndarray, se: np.ndarray, crit: float, d: np.ndarray | float) -> np.ndarray:
    """Share of designs rejecting ``H0: effect = 0`` when ``d`` is added (estimate shifts by ``d``)."""
    d = np.atleast_1d(np.asarray(d, dtype=float))
    return (np.abs(b[None, :] + d[:, None]) > crit * se[None, :]).mean(axis=1)


def smallest_effect(b: np.ndarray, se: np.ndarray, crit: float, power: float) -> float:
    """Smallest ``d >= 0`` whose rejection rate (``|b + d| > crit se``) is at least ``power``.

    Exact for the given designs: the rate only rises where ``d`` crosses ``crit se_j - b_j``.
    """
    B = len(b)
    up = np.sort(crit * se - b)        # upper-tail rejection for d > up_j
    low = np.sort(-crit * se - b)      # lower-tail rejection for d < low_j
    cand = np.concatenate([[0.0], up[up >= 0]])
    rate = (np.searchsorted(up, cand, side="right") + B - np.searchsorted(low, cand, side="right")) / B
    hit = np.flatnonzero(rate >= power - 1e-12)
    return float(cand[hit[0]]) if hit.size else float("nan")


# -- analytic: AR(1) errors from the pre-period variogram ------------------------------------
def variogram(uc: np.ndarray, t: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Empirical variogram ``g(k) = E[(e_it - e_is)^2] / 2`` by lag ``k = t - s`` (time units).

    ``e`` = outcome minus the cross-sectional mean of its period (time effects), rescaled by
    ``sqrt(N_t / (N_t - 1))`` for that mean; differences within a unit remove the unit effects,
    so nothing is biased by within-unit demeaning.
    """
    ucode = pd.factorize(uc)[0]
    tc, tl = pd.factorize(t, sort=True)
    T = len(tl)
    cnt = np.bincount(tc, minlength=T).astype(float)
    e = y - (np.bincount(tc, weights=y, minlength=T) / cnt)[tc]
    e = e * np.sqrt(cnt / np.maximum(cnt - 1, 1))[tc]
    W = np.full((int(ucode.max()) + 1, T), np.nan)
    W[ucode, tc] = e
    times = np.asarray(tl, dtype=float)
    acc: dict[float, list[float]] = {}
    for a in range(T):
        diff = W[:, a + 1:] - W[:, [a]]
        ok = ~np.isnan(diff)
        ss = np.where(ok, diff, 0.0) ** 2
        for j, k in enumerate(times[a + 1:] - times[a]):
            n_ok = int(ok[:, j].sum())
            if n_ok:
                cur = acc.setdefault(float(k), [0.0, 0])
                cur[0] += float(ss[:, j].sum()) / 2
                cur[1] += n_ok
    lags = sorted(acc)
    return pd.DataFrame({"lag": lags, "gamma": [acc[k][0] / acc[k][1] for k in lags],
                         "n": [acc[k][1] for k in lags]})


def fit_ar1(vg: pd.DataFrame) -> tuple[float, float] | None:
    """Weighted least-squares fit of ``g(k) = s2 (1 - rho^k)``, ``rho`` in [0, 0.999] (grid 0.001).

    Returns (s2, rho) or None when fewer than two lags identify rho.
    """
    if len(vg) < 2:
        return None
    k, g, w = (vg[c].to_numpy(dtype=float) for c in ("lag", "gamma", "n"))
    rho = np.linspace(0.0, 0.999, 1000)[:, None]
    f = 1 - rho ** k[None, :]
    s2 = (f * (w * g)).sum(axis=1) / (f * f * w).sum(axis=1)
    loss = (w * (g[None, :] - s2[:, None] * f) ** 2).sum(axis=1)
    i = int(np.argmin(loss))
    return float(s2[i]), float(rho[i, 0])


def unit_scales(uc: np.ndarray, t: np.ndarray, y: np.ndarray, n_units: int) -> np.ndarray:
    """Relative error variance per unit (mean 1) from its pre-period residuals; 1 without data."""
    tc = pd.factorize(t)[0]
    e = demean2(y, pd.factorize(uc)[0], tc)
    codes, inv = np.unique(uc, return_inverse=True)
    ss = np.bincount(inv, weights=e ** 2)
    dof = np.bincount(inv) - 1.0
    lam = np.ones(n_units)
    ok = dof > 0
    per = np.where(ok, ss / np.where(ok, dof, 1.0), np.nan)
    mean = np.nanmean(per[ok]) if ok.any() else np.nan
    if ok.any() and mean > 0:
        lam[codes[ok]] = per[ok] / mean
    return lam


def design_moments(uc: np.ndarray, t: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, float,
                                                                          np.ndarray]:
    """Two-way demeaned treatment as a unit x period matrix (0 where unobserved), the period times,
    ``D~'D~`` and the unit code (of ``uc``) per matrix row."""
    ucode, ulab = pd.factorize(uc)
    tc, tl = pd.factorize(t)
    Dt = demean2(d, ucode, tc)
    M = np.zeros((len(ulab), len(tl)))
    M[ucode, tc] = Dt
    return M, np.asarray(tl, dtype=float), float(np.sum(Dt ** 2)), np.asarray(ulab)


def lag_weights(moments, scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``W_k = sum_i scale_i sum_{s,t: |t-s| = k} D~_is D~_it`` per distinct lag ``k`` (incl. 0), so that
    ``Var(b) = s2 sum_k rho^k W_k / (D~'D~)^2`` for any AR(1) parameters."""
    M, times, dd, ucodes = moments
    Ms = M if scale is None else M * np.sqrt(scale[ucodes])[:, None]
    P = Ms.T @ Ms                                   # period x period cross products
    lag = np.abs(times[:, None] - times[None, :])
    lags, inv = np.unique(lag, return_inverse=True)
    return lags, np.bincount(inv.ravel(), weights=P.ravel(), minlength=len(lags))


def analytic_se(moments, s2: float | np.ndarray, rho: float | np.ndarray,
                scale: np.ndarray | None = None) -> float | np.ndarray:
    """SE of the TWFE estimate for a design (:func:`design_moments`) under AR(1) errors.

    ``Var(b) = sum_i D~_i' C_i D~_i / (D~'D~)^2`` with ``C_i(s, t) = scale_i s2 rho^|s-t|`` and
    ``D~`` the two-way demeaned treatment (exact for OLS given the error covariance). ``s2`` and
    ``rho`` may be arrays of equal shape (one SE each).
    """
    lags, W = lag_weights(moments, scale)
    rho_a = np.atleast_1d(np.asarray(rho, dtype=float))[:, None]
    powk = np.where(lags[None, :] == 0, 1.0, rho_a ** lags[None, :])
    var = np.atleast_1d(np.asarray(s2, dtype=float)) * (powk @ W)
    se = np.sqrt(np.maximum(var, 0.0)) / moments[2]
    return float(se[0]) if np.ndim(rho) == 0 else se


# -- the actual design: planned periods, dose and base ------------------------------------------
def with_planned(design: Design, planned) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows (unit code, time) of the actual design: the observed rows plus, for every unit with
    values, the planned periods it has no row for. Returns (uc, t, all periods, new periods)."""
    if planned is None or len(planned) == 0:
        return design.uc, design.t, design.periods, np.array([])
    try:
        pl = np.unique(np.asarray(list(planned), dtype=float))
    except (TypeError, ValueError) as exc:
        raise DataValidationError([Problem(column=None, value=planned, expected="planned_periods as numbers "
                                           "(years)")], what="minimum_detectable_effect") from exc
    units = np.unique(design.uc)
    have = set(zip(design.uc.tolist(), design.t.tolist(), strict=True))
    add = [(u, t) for t in pl for u in units if (u, t) not in have]
    new = np.setdiff1d(pl, design.periods)
    if not add:
        return design.uc, design.t, design.periods, new
    au, at = (np.array(v) for v in zip(*add, strict=True))
    return (np.r_[design.uc, au], np.r_[design.t, at.astype(float)], np.union1d(design.periods, pl), new)


def dose_value(panel, design, dose, unit, time, first_year) -> float | None:
    if dose is None:
        return None
    if not isinstance(dose, str):
        val = float(dose)
    else:
        _prep.require_columns(panel, {"dose": dose}, what="minimum_detectable_effect")
        _prep.require_numeric(panel, [dose], what="minimum_detectable_effect")
        tnum, _ = _prep.time_index(panel[time])
        codes = pd.Index(design.units).get_indexer(panel[unit])
        g = design.cohort[codes]
        v = _prep.as_float(panel[dose])
        sel = (g > 0) & (tnum.to_numpy() >= g) & (v > 0)
        if not sel.any():
            raise DataValidationError([Problem(column=dose, expected="EUR per resident > 0 in the funded "
                                               "units' funded years")], what="minimum_detectable_effect")
        val = float(np.mean(v[sel]))
    if not val > 0:
        raise DataValidationError([Problem(column=None, value=dose, expected="a dose > 0 (EUR per resident)")],
                                  what="minimum_detectable_effect")
    return val


def base_total(panel, design, base, unit, time, funded) -> tuple[float | None, list]:
    """Sum over funded units of the mean base in their funded years (else the latest year with a
    value); returns (total, notes). Units without any base value are left out and named."""
    if base is None:
        return None, []
    _prep.require_columns(panel, {"base": base}, what="minimum_detectable_effect")
    _prep.require_numeric(panel, [base], what="minimum_detectable_effect")
    tnum = _prep.time_index(panel[time])[0].to_numpy()
    codes = pd.Index(design.units).get_indexer(panel[unit])
    g = design.cohort[codes]
    v = _prep.as_float(panel[base])
    ok = ~np.isnan(v)
    sel = (g > 0) & (tnum >= g) & ok
    per_unit = pd.Series(v[sel]).groupby(codes[sel]).mean()
    notes = []
    later = np.setdiff1d(funded, per_unit.index.to_numpy())
    if len(later):   # no value in the funded years: the latest year with a value
        last = pd.DataFrame({"c": codes[ok], "t": tnum[ok], "v": v[ok]}).sort_values("t").groupby("c")["v"].last()
        fill = last.reindex(later).dropna()
        per_unit = pd.concat([per_unit, fill])
        if len(fill):
            notes.append(("power.note_base_latest", {"n": len(fill)}))
    none = np.setdiff1d(funded, per_unit.index.to_numpy())
    if len(none) == len(funded):
        raise DataValidationError([Problem(column=base, expected="a base value (persons) for the funded units")],
                                  what="minimum_detectable_effect")
    if len(none):
        notes.append(("power.note_base_missing", {"n": len(none), "ids": ", ".join(map(str, design.units[none]))}))
    return float(per_unit.reindex(np.setdiff1d(funded, none)).sum()), notes
