"""Randomization (permutation) inference: permutes adoption years across eligible units within
strata (e.g. city) and re-estimates (Fisher 1935; MacKinnon & Webb 2020 for few treated clusters).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from . import _prep
from ._fwl import _cluster_sums, _invert, fwl_problem
from .results import EffectResult, data_fingerprint, data_provenance


# -- randomization inference ----------------------------------------------------------------
def _n_assignments(cohort_by_unit: np.ndarray, strata_codes: np.ndarray, eligible: np.ndarray) -> float:
    """Number of distinct cohort assignments reachable by permuting within strata (multinomial)."""
    logn = 0.0
    for s in np.unique(strata_codes):
        vals = cohort_by_unit[(strata_codes == s) & eligible]
        _, counts = np.unique(vals, return_counts=True)
        logn += math.lgamma(len(vals) + 1) - sum(math.lgamma(c + 1) for c in counts)
    return math.exp(min(logn, 700.0))


def randomization_inference(df: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
                            strata: str | None = None, eligible: str | None = None,
                            covariates: Sequence[str] = (), reps: int = 999, seed: int | None = 1,
                            estimator: str | Callable[[pd.DataFrame], float] = "twfe",
                            statistic: str = "coef", cluster: str | None = None, alpha: float = 0.05,
                            few_treated_threshold: int = _prep.FEW_TREATED_CLUSTERS) -> EffectResult:
    """Randomization (permutation) inference by permuting adoption years across eligible units.

    Each draw shuffles the unit-level ``cohort`` values (first treated period; 0/missing = never
    treated) among the ``eligible`` units (bool column, constant within unit; default: all units)
    within each stratum of ``strata`` (e.g. city; constant within unit), rebuilds the absorbing
    treatment ``1{t >= cohort}`` and re-estimates. Non-eligible units keep their cohort.

    ``estimator="twfe"``: the TWFE coefficient of that treatment (unit and time effects,
    ``covariates``), computed for all draws at once on the FWL-residualized problem;
    ``statistic="coef"`` (default) or ``"t"`` (studentized with CR1 SEs clustered by ``cluster``,
    default unit; more robust when treated clusters differ in size, MacKinnon & Webb 2020).
    A callable ``estimator(df) -> float`` is re-run on a copy of the data with the permuted
    ``cohort`` column (slow, any estimator).

    p-value: ``(1 + #{|s_r| >= |s_obs|}) / (1 + reps)`` (two-sided; Phipson & Smyth 2010).
    CI (twfe, coef): inversion under a constant effect ``b0``: ``y - b0 d`` is permuted; the set of
    ``b0`` with p-value above ``alpha``. Otherwise NaN. ``se``: analytic CR1 SE (for reference).
    ``extras``: ``distribution`` (the ``reps`` permuted statistics), ``observed``, ``statistic``,
    ``n_assignments`` (distinct assignments possible), ``n_eligible``. A warning is given when
    fewer distinct assignments exist than ``reps`` or the smallest attainable p exceeds ``alpha``.
    """
    what = "randomization_inference"
    covariates = tuple(covariates)
    cluster = cluster or unit
    if statistic not in ("coef", "t"):
        raise ValueError(f"statistic must be 'coef' or 't', got {statistic!r}")
    data, dropped, warns = _prep.prepare(
        df, required={"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "strata": strata,
                      "eligible": eligible, "cluster": cluster, **{f"covariate {c}": c for c in covariates}},
        numeric=[outcome, *covariates],
        complete=[outcome, unit, time, strata, eligible, cluster, *covariates], ids=[unit, time], what=what)
    warns += _prep.check_panel(df, unit=unit, time=time, outcome=outcome, cohort=cohort, what=what)
    tnum, tmap = _prep.time_index(data[time])
    coh = _prep.parse_cohort(data[cohort], tmap, what=what)
    work = pd.DataFrame({unit: data[unit].to_numpy(), "_g": coh.to_numpy()}, index=data.index)
    _prep.require_unit_constant(work, unit, "_g", what=what)
    for col in (strata, eligible):
        if col is not None:
            _prep.require_unit_constant(data, unit, col, what=what)
    ucode, ulev = pd.factorize(data[unit])
    nU = len(ulev)
    first = np.unique(ucode, return_index=True)[1]
    g_u = coh.to_numpy()[first]
    s_u = pd.factorize(data[strata].to_numpy()[first])[0] if strata else np.zeros(nU, dtype=int)
    if eligible:
        e_vals = data[eligible].to_numpy()[first]
        if not np.isin(pd.to_numeric(pd.Series(e_vals), errors="coerce"), (0, 1)).all():
            raise _prep.DataValidationError([_prep.Problem(column=eligible, expected="True/False or 0/1")],
                                            what=what)
        e_u = e_vals.astype(bool)
    else:
        e_u = np.ones(nU, dtype=bool)
    if not (g_u[e_u] != 0).any():
        raise _prep.DataValidationError([_prep.Problem(column=cohort, expected="at least one treated "
                                                       "eligible unit")], what=what)
    tt = tnum.to_numpy()
    d_obs = ((g_u[ucode] != 0) & (tt >= g_u[ucode])).astype(float)
    n_tr = _prep.n_treated_clusters(data[cluster], d_obs)
    msg = _prep.few_clusters_warning(n_tr, int(data[cluster].nunique()), threshold=few_treated_threshold,
                                     what=what)
    if msg:
        warns.append(msg)
    msg = _prep.small_cohort_warning(pd.Series(g_u), what=what)
    if msg:
        warns.append(msg)
    n_assign = _n_assignments(g_u, s_u, e_u)
    coarse = []
    if n_assign - 1 < reps:
        coarse.append(f"{what}: only {n_assign:.0f} distinct assignments exist (fewer than reps={reps}); "
                      f"draws repeat and the p-value cannot fall below {1 / n_assign:.3g}")
    if 1.0 / n_assign > alpha:
        coarse.append(f"{what}: the smallest attainable p-value ({1 / n_assign:.3g}) exceeds alpha={alpha}; "
                      "the test cannot reject at this level")
    for m in coarse:
        warnings.warn(m, _prep.ImpactWarning, stacklevel=2)
    warns.extend(coarse)

    rng = np.random.default_rng(seed)
    Gp = np.tile(g_u, (reps, 1))
    for s in np.unique(s_u):
        idx = np.flatnonzero((s_u == s) & e_u)
        if len(idx) > 1:
            Gp[:, idx] = rng.permuted(np.tile(g_u[idx], (reps, 1)), axis=1)

    work2 = data.assign(**{"_d_obs__": d_obs})
    p_full = fwl_problem(work2, outcome=outcome, unit=unit, time=time, treatment="_d_obs__",
                         cluster=cluster, covariates=covariates)
    beta_obs = p_full.beta
    Q = float(p_full.x @ p_full.x)
    sc0 = np.bincount(p_full.cluster, weights=p_full.x * (p_full.y - beta_obs * p_full.x),
                      minlength=p_full.n_clusters)
    se_obs = math.sqrt(p_full.cr1_factor() * float(sc0 @ sc0)) / Q

    ci = (math.nan, math.nan)
    if estimator == "twfe":
        dist = np.empty(reps)
        cross = np.empty(reps)
        cfac = p_full.cr1_factor()
        chunk = max(1, min(reps, int(2e7 // max(1, len(tt)))))
        for a in range(0, reps, chunk):
            b = min(reps, a + chunk)
            gp = Gp[a:b][:, ucode].T  # n x chunk
            Dp = ((gp != 0) & (tt[:, None] >= gp)).astype(float)
            Dt = p_full.project(Dp)
            qq = np.einsum("ij,ij->j", Dt, Dt)
            with np.errstate(divide="ignore", invalid="ignore"):
                bet = (Dt.T @ p_full.y) / qq
                cross[a:b] = (Dt.T @ p_full.x) / qq
                if statistic == "coef":
                    dist[a:b] = bet
                else:
                    U = p_full.y[:, None] - Dt * bet[None, :]
                    S = _cluster_sums(Dt * U, p_full.cluster, p_full.n_clusters)
                    dist[a:b] = bet / (np.sqrt(cfac * np.einsum("gj,gj->j", S, S)) / qq)
            dist[a:b][qq <= 1e-12] = np.nan
        observed = beta_obs if statistic == "coef" else beta_obs / se_obs
        est_name = f"TWFE {statistic}"
    elif callable(estimator):
        raw_by_code = data[cohort].to_numpy()[first]
        code_of_g = {}
        for code, gv in zip(range(nU), g_u, strict=True):
            code_of_g.setdefault(gv, raw_by_code[code])
        observed = float(estimator(data))
        dist = np.empty(reps)
        for r in range(reps):
            raw = np.array([code_of_g[v] for v in Gp[r]], dtype=object)[ucode]
            perm = data.copy()
            perm[cohort] = pd.Series(raw, index=data.index).infer_objects()
            dist[r] = float(estimator(perm))
        est_name = getattr(estimator, "__name__", "callable")
        cross = None
    else:
        raise ValueError(f"estimator must be 'twfe' or a callable, got {estimator!r}")

    valid = np.isfinite(dist)
    n_valid = int(valid.sum())
    if n_valid < reps:
        warns.append(f"{what}: {reps - n_valid} of {reps} permutations gave no estimate (treatment "
                     "collinear with the fixed effects) and were left out")

    def pval_at(b0: float) -> float:
        if cross is None or statistic != "coef":
            s_r, s_o = dist[valid], observed
        else:
            s_r, s_o = dist[valid] - b0 * cross[valid], beta_obs - b0
        return float((1 + np.sum(np.abs(s_r) >= abs(s_o) * (1 - 1e-10))) / (1 + n_valid))

    pvalue = pval_at(0.0)
    if estimator == "twfe" and statistic == "coef":
        ci = (_invert(pval_at, beta_obs, se_obs, -1, alpha), _invert(pval_at, beta_obs, se_obs, +1, alpha))
    inference = (f"randomization inference ({reps} permutations of adoption years across "
                 f"{int(e_u.sum())} eligible units" + (f" within {strata}" if strata else "") +
                 f"; statistic: {est_name})")
    estimate = beta_obs if estimator == "twfe" else observed
    table = pd.DataFrame([{"term": "treatment (from cohort)", "estimate": estimate,
                           "se": se_obs if estimator == "twfe" else math.nan,
                           "ci_low": ci[0], "ci_high": ci[1], "pvalue": pvalue}])
    return EffectResult(
        method="randomization_inference", estimate=float(estimate),
        se=se_obs if estimator == "twfe" else math.nan, ci=ci, pvalue=pvalue, n_obs=len(data),
        n_clusters=p_full.n_clusters, table=table,
        spec={"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "strata": strata,
              "eligible": eligible, "covariates": list(covariates), "reps": reps, "seed": seed,
              "statistic": statistic, "inference": inference, "alpha": alpha},
        fingerprint=data_fingerprint(data, [c for c in (outcome, unit, time, cohort, strata, eligible,
                                                        *covariates) if c]),
        provenance=data_provenance(df, [outcome]),
        extras={"distribution": dist, "observed": observed, "statistic": statistic,
                "n_assignments": n_assign, "n_eligible": int(e_u.sum()), "n_treated_clusters": n_tr},
        warnings=tuple(warns), dropped=dropped)
