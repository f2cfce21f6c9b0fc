"""Event study on the two-way fixed-effects engine: one dummy per relative period except the
reference, never-treated units all zero, joint pre-trend Wald test (SE conventions as in
:mod:`.did`). Heterogeneity-robust event studies are in :mod:`.event_time` and :mod:`.staggered`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _cotreat, _prep
from ._fe_engine import _binary, _fit, _is_clustered, _resolve_engine, _table, _tdist, _vcov_name
from .results import EffectResult, data_fingerprint, data_provenance


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
                engine: str | None = None, co_treatments: Sequence[str] | None = None) -> EventStudyResult:
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
    Co-treatments (other programmes' funding, e.g. ``covariates=["win_eur_per_capita"]``,
    ``co_treatments=``) as in :func:`~llq_analysis.impact.did.twfe` (see :mod:`._cotreat`).
    """
    from scipy import stats

    what = "event_study"
    vcov = _vcov_name(vcov)
    covariates = tuple(dict.fromkeys([*covariates, *(co_treatments or ())]))
    cluster = cluster or unit
    data, dropped, warns = _prep.prepare(
        df, required={"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "cluster": cluster,
                      "treatment": treatment, **{f"covariate {c}": c for c in covariates}},
        numeric=[outcome, treatment, *covariates],
        complete=[outcome, unit, time, cluster, treatment, *covariates], ids=[unit, time], what=what)
    warns += _prep.check_panel(df, unit=unit, time=time, outcome=outcome, cohort=cohort, funded=[treatment],
                               what=what)
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
        try:
            W = float(bp @ np.linalg.solve(Vp, bp))
        except np.linalg.LinAlgError:  # singular (e.g. a constant outcome: all SEs 0): no test
            W = math.nan
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
    cos = _cotreat.co_treatments(covariates, co_treatments, treatment=treatment)
    note = _cotreat.co_treatment_note(df, data, treatment=None, cos=cos, dropped=dropped,
                                      treated=((work["g"] != 0) & (work["t"] >= work["g"])).to_numpy())
    return EventStudyResult(
        method="event_study", estimate=est, se=se, ci=ci, pvalue=pv, n_obs=fit.n_obs,
        n_clusters=fit.n_clusters, table=tab,
        spec={"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "ref": refs,
              "bin_endpoints": bin_endpoints, "covariates": list(covariates), "vcov": vcov,
              "cluster": cluster if _is_clustered(vcov) else None, "df": fit.df_t, "alpha": alpha,
              "inference": inference, "headline": "mean of post-period coefficients (r >= 0)",
              "co_treatments": cos, "notes": (note,) if note else ()},
        fingerprint=data_fingerprint(data, [outcome, unit, time, cohort, cluster, *covariates]),
        provenance=data_provenance(df, [outcome]),
        extras={"pretrend": pretrend, "vcov": fit.vcov.loc[terms, terms], "n_treated_clusters": n_tr,
                "time_map": tmap if any(isinstance(k, str) for k in tmap) else None},
        warnings=tuple(warns), dropped=dropped)
