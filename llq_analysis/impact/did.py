"""Difference-in-differences: the 2x2 design, two-way fixed effects, event study.

* :func:`did` - 2x2 DiD: group x period means table and ``y ~ g + p + g:p`` with HC1 or CR1 SEs.
* :func:`twfe` - ``y_it = beta d_it + x_it'gamma + a_i + l_t + u_it`` (binary or continuous
  ``d``, e.g. EUR per resident) via pyfixest ``feols`` (Berge, Butts & McDermott: pyfixest).
* :func:`event_study` - one dummy per relative period except the reference, never-treated units
  all zero, joint pre-trend Wald test (defined in :mod:`.event_study`, re-exported here). The
  shared fitting engine and ``vcov`` conventions are in :mod:`._fe_engine`.

Small-sample convention of the cluster-robust SEs (``vcov``), all for the full dummy regression:

==============  =====================================================  ==========================
``vcov``        variance factor                                          equals
==============  =====================================================  ==========================
``"CR1"``       ``G/(G-1) * (N-1)/(N-K)``, K counts *all* unit and time  Stata ``reg y d i.id i.t,
(default)       dummies (nested or not)                                  cluster(id)``, R
                                                                         ``sandwich::vcovCL(type=
                                                                         "HC1")`` on ``lm``,
                                                                         pyfixest ``ssc(k_fixef=
                                                                         "full")``
``"cr1_fixest"`` ``G/(G-1) * (N-1)/(N-K)``, K without FE nested in the   fixest / pyfixest default
                 clusters
``"cr1_g_only"`` ``G/(G-1)``                                             ``vcovCL(type="HC0",
                                                                         cadjust=TRUE)``
``"CR0"``       1                                                        ``vcovCL(type="HC0",
                                                                         cadjust=FALSE)``
``"iid"``       classical OLS ``s^2 (X'X)^-1``, ``s^2 = RSS/(N-K)``       ``lm`` default
``"HC1"``       heteroskedasticity-robust ``N/(N-K)``                    Stata ``, robust``
==============  =====================================================  ==========================

p-values and CIs use Student's t with ``G-1`` degrees of freedom for clustered ``vcov`` and
``N-K`` otherwise. Default cluster: the unit. CR1 is conservative when unit effects are nested in
the clusters (Cameron & Miller 2015, sec. VI); with few treated clusters use
:func:`~llq_analysis.impact.inference.wild_cluster_bootstrap`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _cotreat, _prep
from ._fe_engine import (  # noqa: F401  (VCOV_TYPES: re-exported)
    VCOV_TYPES,
    _binary,
    _fit,
    _is_clustered,
    _resolve_engine,
    _table,
    _tdist,
    _vcov_name,
)
from .event_study import EventStudyResult, event_study  # noqa: F401  re-export: documented path
from .results import EffectResult, data_fingerprint, data_provenance

__all__ = ["VCOV_TYPES", "EventStudyResult", "did", "event_study", "twfe"]


# -- 2x2 ------------------------------------------------------------------------------------
def did(df: pd.DataFrame, *, outcome: str, group: str, post: str, cluster: str | None = None,
        alpha: float = 0.05) -> EffectResult:
    """2x2 difference-in-differences.

    ``group`` (1 = treated group) and ``post`` (1 = after) are 0/1 or bool columns. Returns the
    means table (``extras["means"]``: mean and n of ``outcome`` by group x period, the change, and
    the difference row whose change is the DiD) and the OLS regression
    ``y = a + b g + c p + delta g:p + e``; ``estimate`` = delta (equal to the difference of mean
    changes). SE: HC1 (``n/(n-4)``, t with n-4 df) or, with ``cluster``, CR1
    ``G/(G-1) (n-1)/(n-4)`` (t with G-1 df), as Stata ``reg ..., robust`` / ``cluster()``.
    Rows with a missing value are dropped and reported in ``dropped``.
    """
    what = "did"
    data, dropped, warns = _prep.prepare(
        df, required={"outcome": outcome, "group": group, "post": post, "cluster": cluster},
        numeric=[outcome, group, post], complete=[outcome, group, post, cluster],
        ids=[cluster], what=what)
    warns += _prep.check_panel(data, unit=None, time=None, outcome=outcome, what=what)
    y = _prep.as_float(data[outcome])
    g = _binary(data, group, what)
    p = _binary(data, post, what)
    cells = pd.DataFrame({"g": g, "p": p, "y": y}).groupby(["g", "p"])["y"].agg(["mean", "count"])
    missing = [(gg, pp) for gg in (0, 1) for pp in (0, 1) if (gg, pp) not in cells.index]
    if missing:
        raise DataValidationError([Problem(column=f"{group}/{post}", expected=f"observations with {group}={gg} "
                                           f"and {post}={pp}") for gg, pp in missing], what=what)
    m = cells["mean"]
    n = cells["count"]
    means = pd.DataFrame({
        "group": ["control (0)", "treated (1)", "difference (1 - 0)"],
        "mean_pre": [m[(0, 0)], m[(1, 0)], m[(1, 0)] - m[(0, 0)]],
        "mean_post": [m[(0, 1)], m[(1, 1)], m[(1, 1)] - m[(0, 1)]],
        "n_pre": [int(n[(0, 0)]), int(n[(1, 0)]), int(n[(1, 0)] + n[(0, 0)])],
        "n_post": [int(n[(0, 1)]), int(n[(1, 1)]), int(n[(1, 1)] + n[(0, 1)])],
    })
    means["change"] = means["mean_post"] - means["mean_pre"]

    X = np.column_stack([np.ones_like(y), g, p, g * p]).astype(float)
    N, K = X.shape
    XtX_inv = np.linalg.inv(X.T @ X)
    beta = XtX_inv @ X.T @ y
    u = y - X @ beta
    if cluster is None:
        meat = (X * (u ** 2)[:, None]).T @ X
        V = N / (N - K) * XtX_inv @ meat @ XtX_inv
        df_t, n_cl, inference = N - K, None, "HC1"
    else:
        codes, levels = pd.factorize(data[cluster])
        G = len(levels)
        if G < 2:
            raise DataValidationError([Problem(column=cluster, expected="at least 2 clusters", value=G)], what=what)
        S = np.zeros((G, K))
        np.add.at(S, codes, X * u[:, None])
        V = G / (G - 1) * (N - 1) / (N - K) * XtX_inv @ (S.T @ S) @ XtX_inv
        df_t, n_cl, inference = G - 1, G, f"CR1 by {cluster}: G/(G-1)*(N-1)/(N-K)"
        n_tr = _prep.n_treated_clusters(data[cluster], g * p)
        msg = _prep.few_clusters_warning(n_tr, G, what=what)
        if msg:
            warns.append(msg)
    se = np.sqrt(np.diag(V))
    pv, lo, hi = _tdist(beta, se, df_t, alpha)
    table = pd.DataFrame({"term": ["(intercept)", group, post, f"{group}:{post}"], "estimate": beta, "se": se,
                          "ci_low": lo, "ci_high": hi, "pvalue": pv})
    return EffectResult(
        method="did_2x2", estimate=float(beta[3]), se=float(se[3]), ci=(float(lo[3]), float(hi[3])),
        pvalue=float(pv[3]), n_obs=N, n_clusters=n_cl, table=table,
        spec={"outcome": outcome, "group": group, "post": post, "cluster": cluster, "inference": inference,
              "df": df_t, "alpha": alpha},
        fingerprint=data_fingerprint(data, [c for c in (outcome, group, post, cluster) if c]),
        provenance=data_provenance(df, [outcome]), extras={"means": means, "vcov": V},
        warnings=tuple(warns), dropped=dropped)


# -- TWFE -----------------------------------------------------------------------------------
def twfe(df: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str,
         covariates: Sequence[str] = (), weights: str | None = None, cluster: str | None = None,
         vcov: str = "CR1", alpha: float = 0.05,
         few_treated_threshold: int = _prep.FEW_TREATED_CLUSTERS, engine: str | None = None,
         co_treatments: Sequence[str] | None = None) -> EffectResult:
    """Two-way fixed effects regression ``y_it = beta d_it + x_it'gamma + a_i + l_t + u_it``.

    ``treatment`` is binary (0/1, may switch on and off) or continuous (e.g. EUR per resident:
    ``beta`` is then the effect per EUR per resident). ``time`` may hold any sortable or merely
    hashable labels (years, ``"2021Q1"``); only its categories matter. ``weights``: analytic
    weights (e.g. population). The default ``engine="numpy"`` estimates by Frisch-Waugh-Lovell in
    numpy; ``engine="pyfixest"`` uses pyfixest ``feols`` (no singleton removal). Both equal ``lm``
    with unit and time dummies (tests: to ~1e-13 against each other, statsmodels and the mpdta
    reference). numpy is the default because it meets the speed targets (about 25 ms CPU on the
    bundled panel, 100k x 20 in seconds) and avoids pyfixest's numba compile (~5 s) on first use;
    ``engine=None`` picks numpy, or pyfixest for ``vcov="cr1_fixest"`` (which only pyfixest computes).

    Inference (``vcov``, default ``"CR1"`` clustered by ``cluster``, default the unit): see the
    module docstring for the small-sample factor of each option; CR1 = Stata / R
    ``vcovCL(type="HC1")`` with all dummies counted. p-values/CI: t with G-1 df (clustered).

    With staggered adoption and heterogeneous effects TWFE is biased (Goodman-Bacon 2021); use
    :func:`~llq_analysis.impact.staggered.staggered_did` then. Rows with a missing value are
    dropped and reported (``dropped``, warning). Few treated clusters (< 10) give a warning.

    Overlapping programmes (:mod:`._cotreat`): other programmes' funding as co-treatments, e.g.
    ``covariates=["win_eur_per_capita"]`` (``*_eur_per_capita`` covariates are recognised;
    ``co_treatments=`` adds others). ``beta`` is then the effect holding that funding fixed
    (linear, additive); the summary says what is and is not separated, and how many rows the
    co-treatment's missing years cost.
    """
    what = "twfe"
    vcov = _vcov_name(vcov)
    covariates = tuple(dict.fromkeys([*covariates, *(co_treatments or ())]))
    cluster = cluster or unit
    data, dropped, warns = _prep.prepare(
        df, required={"outcome": outcome, "unit": unit, "time": time, "treatment": treatment,
                      "cluster": cluster, "weights": weights, **{f"covariate {c}": c for c in covariates}},
        numeric=[outcome, treatment, weights, *covariates],
        complete=[outcome, unit, time, treatment, cluster, weights, *covariates], ids=[unit, time], what=what)
    warns += _prep.check_panel(df, unit=unit, time=time, outcome=outcome, what=what)
    if weights is not None and (data[weights] < 0).any():
        bad = data.index[(data[weights] < 0).to_numpy()][:10]
        raise DataValidationError([Problem(column=weights, row=r, value=data.at[r, weights],
                                           expected="a non-negative weight") for r in bad], what=what)
    d = _prep.as_float(data[treatment])
    binary = bool(np.isin(d, (0.0, 1.0)).all())
    ucodes = pd.factorize(data[unit])[0]
    n_on = np.bincount(ucodes, weights=(d != 0).astype(float))
    n_u = np.bincount(ucodes)
    treated_units = n_on > 0
    if treated_units.all() and binary:
        if (n_on == n_u).all():
            raise DataValidationError([Problem(column=treatment, expected="some untreated unit-periods: "
                                               "every unit is treated in every period")], what=what)
        warns.append(f"{what}: every unit is treated at some point (no never-treated units); the "
                     "effect is identified from the timing of adoption only")
    if not treated_units.any():
        raise DataValidationError([Problem(column=treatment, expected="some treated unit-periods "
                                           "(the treatment is zero everywhere)")], what=what)
    from ._fwl import demean

    fe = (ucodes, pd.factorize(data[time])[0])
    if float(np.sum(demean(d, fe) ** 2)) <= 1e-10 * max(1.0, float(np.sum(d ** 2))):
        raise DataValidationError([Problem(column=treatment, expected="a treatment that varies within units "
                                           "over time beyond the common time pattern; it is collinear with "
                                           "the unit and time fixed effects")], what=what)
    n_cl = len(pd.unique(data[cluster].to_numpy()))
    n_tr = _prep.n_treated_clusters(data[cluster], d)
    if _is_clustered(vcov):
        msg = _prep.few_clusters_warning(n_tr, n_cl, threshold=few_treated_threshold, what=what)
        if msg:
            warns.append(msg)
    engine = _resolve_engine(engine, vcov)
    fit = _fit(engine, data, y=outcome, regressors=[treatment, *covariates], unit=unit, time=time,
               cluster=cluster, vcov=vcov, weights=weights, what=what)
    if not np.isfinite(fit.coef[treatment]):
        raise DataValidationError([Problem(column=treatment, expected="a treatment that is not collinear "
                                           "with the unit and time fixed effects (and covariates)")], what=what)
    table = _table(fit, [treatment, *covariates], alpha)
    h = table.iloc[0]
    switch, tnum = None, None
    if binary:
        tcol = data[time]
        try:
            tnum = tcol if pd.api.types.is_numeric_dtype(tcol) else _prep.time_index(tcol)[0]
        except DataValidationError:  # unorderable labels: TWFE needs no order, skip this check
            tnum = None
    if tnum is not None:
        tmp = pd.DataFrame({"u": ucodes, "t": tnum.to_numpy(), "d": d})
        switch = _prep.switching_off(tmp, unit="u", time="t", treatment="d")
        if len(switch):
            switch["u"] = data[unit].to_numpy()[np.unique(ucodes, return_index=True)[1]][switch["u"].to_numpy(int)]
        switch = switch.rename(columns={"u": unit})
    inference = (f"{vcov} clustered by {cluster} ({fit.n_clusters} clusters), t({fit.df_t:g})"
                 if _is_clustered(vcov) else f"{vcov}, t({fit.df_t:g})")
    cos = _cotreat.co_treatments(covariates, co_treatments, treatment=treatment)
    note = _cotreat.co_treatment_note(df, data, treatment=treatment, cos=cos, dropped=dropped)
    return EffectResult(
        method="twfe", estimate=float(h.estimate), se=float(h.se), ci=(float(h.ci_low), float(h.ci_high)),
        pvalue=float(h.pvalue), n_obs=fit.n_obs, n_clusters=fit.n_clusters, table=table,
        spec={"outcome": outcome, "unit": unit, "time": time, "treatment": treatment,
              "treatment_type": "binary" if binary else "continuous", "covariates": list(covariates),
              "weights": weights, "cluster": cluster if _is_clustered(vcov) else None, "vcov": vcov,
              "df": fit.df_t, "alpha": alpha, "inference": inference, "engine": engine,
              "co_treatments": cos, "notes": (note,) if note else ()},
        fingerprint=data_fingerprint(data, [c for c in (outcome, unit, time, treatment, cluster, weights,
                                                        *covariates) if c]),
        provenance=data_provenance(df, [outcome, treatment]),
        extras={"vcov": fit.vcov, "n_treated_clusters": n_tr,
                "switching_off_units": switch if switch is not None and len(switch) else None},
        warnings=tuple(warns), dropped=dropped)


