"""Difference-in-differences: the 2x2 design, two-way fixed effects, event study.

* :func:`did` - 2x2 DiD: group x period means table and ``y ~ g + p + g:p`` with HC1 or CR1 SEs.
* :func:`twfe` - ``y_it = beta d_it + x_it'gamma + a_i + l_t + u_it`` (binary or continuous
  ``d``, e.g. EUR per resident) via pyfixest ``feols`` (Berge, Butts & McDermott: pyfixest).
* :func:`event_study` - one dummy per relative period except the reference, never-treated units
  all zero, joint pre-trend Wald test.

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

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _prep
from .results import EffectResult, data_fingerprint, data_provenance

VCOV_TYPES = ("CR1", "cr1_fixest", "cr1_g_only", "CR0", "iid", "HC1")
_VCOV_ALIASES = {"cr1": "CR1", "cr1_stata": "CR1", "cr1_fixest": "cr1_fixest", "cr1_g_only": "cr1_g_only",
                 "cr0": "CR0", "iid": "iid", "hc1": "HC1"}


# -- helpers --------------------------------------------------------------------------------
def _vcov_name(vcov: str) -> str:
    key = _VCOV_ALIASES.get(str(vcov).lower())
    if key is None:
        raise ValueError(f"vcov must be one of {VCOV_TYPES}, got {vcov!r}")
    return key


def _is_clustered(vcov: str) -> bool:
    return vcov in ("CR1", "cr1_fixest", "cr1_g_only", "CR0")


def _pyfixest_vcov(vcov: str):
    """(vcov argument, ssc) for pyfixest, for our ``vcov`` names (see module docstring)."""
    import pyfixest as pf

    if vcov == "CR1":
        return {"CRV1": "cl__"}, pf.ssc(k_adj=True, k_fixef="full", G_adj=True)
    if vcov == "cr1_fixest":
        return {"CRV1": "cl__"}, pf.ssc()
    if vcov == "cr1_g_only":
        return {"CRV1": "cl__"}, pf.ssc(k_adj=False, G_adj=True)
    if vcov == "CR0":
        return {"CRV1": "cl__"}, pf.ssc(k_adj=False, G_adj=False)
    if vcov == "iid":
        return "iid", pf.ssc(k_adj=True, k_fixef="full")
    return "hetero", pf.ssc(k_adj=True, k_fixef="full")  # HC1


def _tdist(est: np.ndarray, se: np.ndarray, df: float, alpha: float):
    """p-values and CI bounds from Student's t with ``df`` degrees of freedom."""
    from scipy import stats

    est, se = np.asarray(est, float), np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        tt = est / se
    p = 2 * stats.t.sf(np.abs(tt), df)
    q = stats.t.ppf(1 - alpha / 2, df)
    return p, est - q * se, est + q * se


@dataclass(frozen=True)
class _Fit:
    coef: pd.Series
    vcov: pd.DataFrame
    n_obs: int
    n_clusters: int | None
    df_t: float


def _feols(data: pd.DataFrame, *, y: str, regressors: Sequence[str], unit: str, time: str,
           cluster: str | None, vcov: str, weights: str | None, what: str) -> _Fit:
    """Fit ``y ~ regressors | unit + time`` with pyfixest on safe internal column names.

    No row is dropped here (inputs are complete); singletons are kept (``fixef_rm="none"``) so the
    result equals ``lm`` with dummies. Collinear regressors are reported with NaN.
    """
    import pyfixest as pf

    names = {r: f"x{i}__" for i, r in enumerate(regressors)}
    d = pd.DataFrame({"y__": _prep.as_float(data[y])})
    for r, nm in names.items():
        d[nm] = _prep.as_float(data[r])
    d["u__"] = pd.factorize(data[unit])[0]
    d["t__"] = pd.factorize(data[time])[0]
    if cluster is not None:
        d["cl__"] = pd.factorize(data[cluster])[0]
    if weights is not None:
        d["w__"] = _prep.as_float(data[weights])
    vc, ssc = _pyfixest_vcov(vcov)
    fml = f"y__ ~ {' + '.join(names.values())} | u__ + t__"
    with warnings.catch_warnings():  # pyfixest 0.60 uses pandas' deprecated inplace= (noise only)
        warnings.filterwarnings("ignore", message="The inplace keyword", module="pyfixest")
        # collinear regressors are reported by the caller with their real names
        warnings.filterwarnings("ignore", message=r"\s*\d+ variables? dropped due to multicollinearity")
        try:
            fit = pf.feols(fml, data=d, vcov=vc, ssc=ssc, fixef_rm="none", weights="w__" if weights else None,
                           copy_data=False, store_data=False, lean=True)
        except ValueError as exc:
            if "collinear" not in str(exc):
                raise
            raise DataValidationError([Problem(column=", ".join(regressors), expected="regressors that are "
                                               "not collinear with the unit and time fixed effects")],
                                      what=what) from exc
    if int(fit._N) != len(d):
        raise RuntimeError(f"{what}: pyfixest used {fit._N} of {len(d)} rows; no row may be dropped silently")
    back = {v: k for k, v in names.items()}
    coef = fit.coef().rename(index=back)
    V = pd.DataFrame(np.asarray(fit._vcov), index=coef.index, columns=coef.index)
    coef = coef.reindex(list(regressors))
    V = V.reindex(index=list(regressors), columns=list(regressors))
    n_cl = int(d["cl__"].nunique()) if (cluster is not None and _is_clustered(vcov)) else None
    if n_cl is not None:
        df_t = n_cl - 1
    else:
        k = len(coef.dropna()) + d["u__"].nunique() + d["t__"].nunique() - 1
        df_t = len(d) - k
    return _Fit(coef=coef, vcov=V, n_obs=len(d), n_clusters=n_cl, df_t=float(df_t))


def _numpy_fit(data: pd.DataFrame, *, y: str, regressors: Sequence[str], unit: str, time: str,
               cluster: str | None, vcov: str, weights: str | None, what: str) -> _Fit:
    """The same regression as :func:`_feols` by Frisch-Waugh-Lovell in numpy (no pyfixest).

    Outcome and regressors are (weighted) demeaned on unit and time effects by alternating
    projections, rows scaled by sqrt(weight) (= WLS), then OLS and the sandwich of the module
    docstring with ``K = p + U + T - 1`` (all dummies counted; FWL gives the identical
    coefficient block of the full dummy regression, Lovell 2008). Not for ``vcov="cr1_fixest"``.
    """
    from .inference import _cluster_sums, demean

    if vcov == "cr1_fixest":
        raise ValueError("engine='numpy' does not implement vcov='cr1_fixest'; use engine='pyfixest'")
    uc = pd.factorize(data[unit])[0]
    tc = pd.factorize(data[time])[0]
    w = None if weights is None else _prep.as_float(data[weights])
    M = np.column_stack([_prep.as_float(data[y])] + [_prep.as_float(data[r]) for r in regressors])
    Z = demean(M, (uc, tc), weights=w)
    if w is not None:
        Z *= np.sqrt(w)[:, None]
    yt, Xt = Z[:, 0], Z[:, 1:]
    n, p = Xt.shape
    scale = np.sqrt(np.einsum("ij,ij->j", Xt, Xt))
    scale[scale == 0] = 1.0
    ok = np.ones(p, dtype=bool)
    # drop (near-)collinear regressors in order, as pyfixest does
    for j in range(p):
        if not ok[j]:
            continue
        cols = np.flatnonzero(ok[:j])
        xj = Xt[:, j] / scale[j]
        if cols.size:
            Xs = Xt[:, cols] / scale[cols]
            resid = xj - Xs @ np.linalg.lstsq(Xs, xj, rcond=None)[0]
        else:
            resid = xj
        if float(resid @ resid) < 1e-9:
            ok[j] = False
    if not ok.any():
        raise DataValidationError([Problem(column=", ".join(regressors), expected="regressors that are "
                                           "not collinear with the unit and time fixed effects")], what=what)
    Xo = Xt[:, ok]
    A = np.linalg.inv(Xo.T @ Xo)
    b = A @ (Xo.T @ yt)
    u = yt - Xo @ b
    U, T = int(uc.max()) + 1, int(tc.max()) + 1
    K = int(ok.sum()) + U + T - 1
    n_cl = None
    if _is_clustered(vcov):
        cc, lev = pd.factorize(data[cluster])
        G = len(lev)
        S = _cluster_sums(Xo * u[:, None], cc, G)
        c = {"CR1": G / (G - 1) * (n - 1) / (n - K), "cr1_g_only": G / (G - 1), "CR0": 1.0}[vcov]
        V = c * A @ (S.T @ S) @ A
        n_cl, df_t = G, G - 1
    elif vcov == "iid":
        V = float(u @ u) / (n - K) * A
        df_t = n - K
    else:  # HC1
        Su = Xo * u[:, None]
        V = n / (n - K) * A @ (Su.T @ Su) @ A
        df_t = n - K
    names = [r for r, k in zip(regressors, ok, strict=True) if k]
    coef = pd.Series(b, index=names).reindex(list(regressors))
    Vd = pd.DataFrame(V, index=names, columns=names).reindex(index=list(regressors), columns=list(regressors))
    return _Fit(coef=coef, vcov=Vd, n_obs=n, n_clusters=n_cl, df_t=float(df_t))


def _resolve_engine(engine: str | None, vcov: str) -> str:
    """numpy by default; pyfixest when asked for, or for the fixest-only ``vcov="cr1_fixest"``."""
    if engine is None:
        return "pyfixest" if vcov == "cr1_fixest" else "numpy"
    return engine


def _fit(engine: str, data: pd.DataFrame, **kw) -> _Fit:
    if engine == "pyfixest":
        return _feols(data, **kw)
    if engine == "numpy":
        return _numpy_fit(data, **kw)
    raise ValueError(f"engine must be 'pyfixest' or 'numpy', got {engine!r}")


def _table(fit: _Fit, terms: Sequence[str], alpha: float) -> pd.DataFrame:
    est = fit.coef.reindex(terms).to_numpy(dtype=float)
    se = np.sqrt(np.diag(fit.vcov.reindex(index=terms, columns=terms).to_numpy(dtype=float)))
    p, lo, hi = _tdist(est, se, fit.df_t, alpha)
    return pd.DataFrame({"term": list(terms), "estimate": est, "se": se, "ci_low": lo, "ci_high": hi,
                         "pvalue": p})


def _binary(data: pd.DataFrame, col: str, what: str) -> np.ndarray:
    """A 0/1 (or bool) column as int array; anything else is an error naming the values."""
    v = _prep.as_float(data[col])
    bad = ~np.isin(v, (0.0, 1.0))
    if bad.any():
        rows = data.index[bad][:10]
        raise DataValidationError([Problem(column=col, row=r, value=data.at[r, col],
                                           expected="0/1 or True/False") for r in rows], what=what)
    return v.astype(int)


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
         few_treated_threshold: int = _prep.FEW_TREATED_CLUSTERS, engine: str | None = None) -> EffectResult:
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
    """
    what = "twfe"
    vcov = _vcov_name(vcov)
    covariates = tuple(covariates)
    cluster = cluster or unit
    data, dropped, warns = _prep.prepare(
        df, required={"outcome": outcome, "unit": unit, "time": time, "treatment": treatment,
                      "cluster": cluster, "weights": weights, **{f"covariate {c}": c for c in covariates}},
        numeric=[outcome, treatment, weights, *covariates],
        complete=[outcome, unit, time, treatment, cluster, weights, *covariates], ids=[unit, time], what=what)
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
    from .inference import demean

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
    return EffectResult(
        method="twfe", estimate=float(h.estimate), se=float(h.se), ci=(float(h.ci_low), float(h.ci_high)),
        pvalue=float(h.pvalue), n_obs=fit.n_obs, n_clusters=fit.n_clusters, table=table,
        spec={"outcome": outcome, "unit": unit, "time": time, "treatment": treatment,
              "treatment_type": "binary" if binary else "continuous", "covariates": list(covariates),
              "weights": weights, "cluster": cluster if _is_clustered(vcov) else None, "vcov": vcov,
              "df": fit.df_t, "alpha": alpha, "inference": inference, "engine": engine},
        fingerprint=data_fingerprint(data, [c for c in (outcome, unit, time, treatment, cluster, weights,
                                                        *covariates) if c]),
        provenance=data_provenance(df, [outcome, treatment]),
        extras={"vcov": fit.vcov, "n_treated_clusters": n_tr,
                "switching_off_units": switch if switch is not None and len(switch) else None},
        warnings=tuple(warns), dropped=dropped)


# -- event study ----------------------------------------------------------------------------
@dataclass(frozen=True)
class EventStudyResult(EffectResult):
    """Event-study result; ``table`` has one row per relative period (``rel_time``, the reference
    period(s) with estimate 0 and ``reference=True``); ``extras["pretrend"]`` holds the joint
    Wald test of all pre-period coefficients (``stat``, ``df``, ``pvalue``, ``f_stat``, ``f_pvalue``).
    """

    def summary(self, lang: str = "de") -> str:
        """Text summary plus the joint pre-trend test."""
        from ..i18n import t

        pt = self.extras.get("pretrend", {})
        line = (f"{t('pretrend_test', lang)}: chi2 = {pt.get('stat', math.nan):.3f}, df = {pt.get('df', 0)}, "
                f"p = {pt.get('pvalue', math.nan):.3f}")
        return super().summary(lang) + "\n" + line

    def plot(self, ax=None, lang: str = "de"):
        """Coefficients with 95 % CIs by relative period, reference period at 0 (see plots.py)."""
        from ..i18n import t
        from ..outputs import plots

        return plots.event_study_plot(self.table, ax=ax, lang=lang, provenance=self.provenance,
                                      title=t("method.event_study", lang))


def _rel_name(r: float) -> str:
    r = int(r) if float(r).is_integer() else r
    return f"rel_{r}"


def event_study(df: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
                ref: int | Sequence[int] = -1, cluster: str | None = None,
                bin_endpoints: tuple[int, int] | None = None, covariates: Sequence[str] = (),
                treatment: str | None = None, vcov: str = "CR1", alpha: float = 0.05,
                few_treated_threshold: int = _prep.FEW_TREATED_CLUSTERS,
                engine: str | None = None) -> EventStudyResult:
    """Dynamic TWFE event study ``y_it = sum_{r != ref} b_r 1{t - g_i = r} + a_i + l_t + u_it``.

    ``cohort``: first treated period of the unit (constant within unit); **0 or missing = never
    treated** (all event dummies zero). Relative period ``r = t - g`` in time units (numeric
    time) or in positions (other labels, e.g. ``"2021Q1"``; the cohort then holds such labels).
    One dummy per relative period observed for treated units except ``ref`` (default -1; a
    sequence gives several reference periods). No binning by default; ``bin_endpoints=(lo, hi)``
    pools ``r < lo`` into ``lo`` and ``r > hi`` into ``hi``. Without never-treated units one
    reference period is not enough (the relative-time dummies are collinear with unit and time
    effects): pass two reference periods or ``bin_endpoints``.

    ``treatment`` (optional 0/1 column): checked to be absorbing and equal to ``1{t >= cohort}``;
    a unit whose treatment switches off is an error here (use :func:`twfe` for such designs).

    Headline ``estimate``: mean of the post-period (r >= 0) coefficients, SE from the vcov.
    ``extras["pretrend"]``: joint Wald test that all pre-period coefficients are zero:
    ``stat = b' V^-1 b`` (chi2 with ``df`` = number of pre coefficients) and the F version
    ``stat/df`` with (df, G-1) degrees of freedom. SE convention and ``engine`` as :func:`twfe`.
    With heterogeneous effects across cohorts, the coefficients are contaminated (Sun & Abraham
    2021); compare with :func:`~llq_analysis.impact.event_time.sun_abraham`.
    """
    from scipy import stats

    what = "event_study"
    vcov = _vcov_name(vcov)
    covariates = tuple(covariates)
    cluster = cluster or unit
    data, dropped, warns = _prep.prepare(
        df, required={"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "cluster": cluster,
                      "treatment": treatment, **{f"covariate {c}": c for c in covariates}},
        numeric=[outcome, treatment, *covariates],
        complete=[outcome, unit, time, cluster, treatment, *covariates], ids=[unit, time], what=what)
    tnum, tmap = _prep.time_index(data[time])
    coh = _prep.parse_cohort(data[cohort], tmap, what=what)
    work = pd.DataFrame({"u": data[unit].to_numpy(), "t": tnum.to_numpy(), "g": coh.to_numpy()},
                        index=data.index)
    _prep.require_unit_constant(work.rename(columns={"g": cohort, "u": unit}), unit, cohort, what=what)
    treated = work["g"] != 0
    if treatment is not None:
        dd = _binary(data, treatment, what)
        sw = _prep.switching_off(work.assign(d=dd), unit="u", time="t", treatment="d")
        if len(sw):
            raise DataValidationError([Problem(column=treatment, row=r.u, value=f"on from {r.first_on}, off "
                                               f"again at {r.first_off_after}",
                                               expected="an absorbing treatment (once on, stays on); use "
                                               "twfe() for treatments that switch off")
                                       for r in sw.rename(columns={unit: "u"}).itertuples()], what=what)
        expect = (treated & (work["t"] >= work["g"])).astype(int).to_numpy()
        bad = data.index[expect != dd][:10]
        if len(bad):
            raise DataValidationError([Problem(column=treatment, row=r, value=data.at[r, treatment],
                                               expected=f"{treatment} = 1 exactly from the cohort period "
                                               f"{cohort} on") for r in bad], what=what)
    if not treated.any():
        raise DataValidationError([Problem(column=cohort, expected="at least one treated unit "
                                           "(cohort > 0)")], what=what)
    units_g = work.groupby("u", sort=False)["g"].first()
    msg = _prep.small_cohort_warning(units_g, what=what)
    if msg:
        warns.append(msg)
    refs = [ref] if np.isscalar(ref) else list(ref)
    never = bool((units_g == 0).any())
    if not never and len(refs) < 2 and bin_endpoints is None:
        raise DataValidationError([Problem(column=cohort, expected="never-treated units (cohort 0 or empty), "
                                           "or two reference periods (ref=(-1, -k)) or bin_endpoints: with "
                                           "every unit treated one reference period does not identify the "
                                           "event-study coefficients")], what=what)
    rel = (work["t"] - work["g"]).where(treated)
    if bin_endpoints is not None:
        lo, hi = bin_endpoints
        if not lo < min(refs) <= max(refs) < hi:
            raise ValueError(f"bin_endpoints {bin_endpoints} must enclose the reference period(s) {refs}")
        rel = rel.clip(lower=lo, upper=hi)
    present = sorted(rel.dropna().unique())
    missing_refs = [r for r in refs if r not in present]
    if missing_refs:
        raise DataValidationError([Problem(column=cohort, value=r, expected="a reference period that occurs "
                                           f"in the data; relative periods present: "
                                           f"{', '.join(_rel_name(v)[4:] for v in present)}")
                                   for r in missing_refs], what=what)
    periods = [r for r in present if r not in refs]
    dummies = {}
    for r in periods:
        dummies[_rel_name(r)] = (rel == r).astype(float).to_numpy()
    X = pd.DataFrame(dummies, index=data.index)
    est_data = pd.concat([data[list(dict.fromkeys([outcome, unit, time, cluster, *covariates]))]
                          .reset_index(drop=True),
                          X.reset_index(drop=True)], axis=1)
    n_cl = int(data[cluster].nunique())
    n_tr = _prep.n_treated_clusters(data[cluster], treated.to_numpy())
    if _is_clustered(vcov):
        msg = _prep.few_clusters_warning(n_tr, n_cl, threshold=few_treated_threshold, what=what)
        if msg:
            warns.append(msg)
    terms = list(dummies)
    engine = _resolve_engine(engine, vcov)
    fit = _fit(engine, est_data, y=outcome, regressors=[*terms, *covariates], unit=unit, time=time,
               cluster=cluster, vcov=vcov, weights=None, what=what)
    coll = [tm for tm in terms if not np.isfinite(fit.coef[tm])]
    if coll:
        warns.append(f"{what}: relative period(s) {', '.join(c[4:] for c in coll)} are collinear with the "
                     "fixed effects and were not estimated")
    tab = _table(fit, terms, alpha)
    tab.insert(1, "rel_time", periods)
    tab["reference"] = False
    ref_rows = pd.DataFrame({"term": [_rel_name(r) for r in refs], "rel_time": refs, "estimate": 0.0,
                             "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "pvalue": np.nan,
                             "reference": True})
    tab = pd.concat([tab, ref_rows], ignore_index=True).sort_values("rel_time", kind="stable")
    tab = tab.reset_index(drop=True)
    tab["n_obs"] = [int((rel == r).sum()) for r in tab["rel_time"]]

    Vfull = fit.vcov.loc[terms, terms].to_numpy(dtype=float)
    ok = np.array([np.isfinite(fit.coef[tm]) for tm in terms])
    b = fit.coef[terms].to_numpy(dtype=float)
    pre = np.array([r < 0 for r in periods]) & ok
    post = np.array([r >= 0 for r in periods]) & ok
    if pre.any():
        bp, Vp = b[pre], Vfull[np.ix_(pre, pre)]
        W = float(bp @ np.linalg.solve(Vp, bp))
        k = int(pre.sum())
        ddf = fit.df_t
        pretrend = {"stat": W, "df": k, "pvalue": float(stats.chi2.sf(W, k)), "f_stat": W / k,
                    "f_df": (k, ddf), "f_pvalue": float(stats.f.sf(W / k, k, ddf)),
                    "terms": [tm for tm, keep in zip(terms, pre, strict=True) if keep]}
    else:
        pretrend = {"stat": math.nan, "df": 0, "pvalue": math.nan, "f_stat": math.nan, "f_df": (0, fit.df_t),
                    "f_pvalue": math.nan, "terms": []}
    if post.any():
        a = post / post.sum()
        est = float(a @ np.where(ok, b, 0.0))
        se = float(math.sqrt(a @ np.where(np.isfinite(Vfull), Vfull, 0.0) @ a))
        pv, lo, hi = _tdist(np.array([est]), np.array([se]), fit.df_t, alpha)
        pv, ci = float(pv[0]), (float(lo[0]), float(hi[0]))
    else:
        est, se, pv, ci = math.nan, math.nan, math.nan, (math.nan, math.nan)
    inference = (f"{vcov} clustered by {cluster} ({fit.n_clusters} clusters), t({fit.df_t:g})"
                 if _is_clustered(vcov) else f"{vcov}, t({fit.df_t:g})")
    return EventStudyResult(
        method="event_study", estimate=est, se=se, ci=ci, pvalue=pv, n_obs=fit.n_obs,
        n_clusters=fit.n_clusters, table=tab,
        spec={"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "ref": refs,
              "bin_endpoints": bin_endpoints, "covariates": list(covariates), "vcov": vcov,
              "cluster": cluster if _is_clustered(vcov) else None, "df": fit.df_t, "alpha": alpha,
              "inference": inference, "headline": "mean of post-period coefficients (r >= 0)"},
        fingerprint=data_fingerprint(data, [outcome, unit, time, cohort, cluster, *covariates]),
        provenance=data_provenance(df, [outcome]),
        extras={"pretrend": pretrend, "vcov": fit.vcov.loc[terms, terms], "n_treated_clusters": n_tr,
                "time_map": tmap if any(isinstance(k, str) for k in tmap) else None},
        warnings=tuple(warns), dropped=dropped)
