"""Few-cluster inference: wild cluster bootstrap, multiplier bootstrap, randomization inference.

* :func:`wild_cluster_bootstrap` - WCR/WCU wild cluster bootstrap-t for the TWFE coefficient
  (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017; Roodman, MacKinnon, Nielsen & Webb
  2019 "Fast and wild"), computed exactly on the Frisch-Waugh-Lovell residualized problem in
  vectorized numpy (fixed effects that are not nested in the clusters, e.g. year effects, are
  handled exactly, not approximated). Defined here.
* :func:`wild_bootstrap_influence` - multiplier bootstrap of estimates given their influence
  functions (as in R ``did::mboot``), with pointwise SEs and a simultaneous (sup-t) band;
  used for the staggered aggregates. Defined in :mod:`.multiplier`, re-exported here.
* :func:`randomization_inference` - permutes adoption years across eligible units within strata
  (e.g. city) and re-estimates (Fisher 1935; MacKinnon & Webb 2020 for few treated clusters).
  Defined in :mod:`.randomization`, re-exported here.

The shared building blocks (demeaning, FWL problem, bootstrap weights) are in :mod:`._fwl` and
re-exported here. Weights: Rademacher (+-1) and Webb's six-point distribution (+-sqrt(1/2), +-1,
+-sqrt(3/2)); Webb is the default below 12 clusters (Webb 2023). With Rademacher weights and
2^G <= reps all 2^G sign vectors are enumerated (deterministic).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import _prep
from ._fwl import (  # noqa: F401  re-exported: documented building blocks
    _WEBB,
    WEBB_BELOW,
    FWLProblem,
    _cluster_sums,
    _invert,
    bootstrap_weights,
    default_weights_type,
    demean,
    fwl_problem,
    residualize,
)
from .multiplier import MultiplierBootstrap, wild_bootstrap_influence  # noqa: F401  re-export
from .randomization import randomization_inference  # noqa: F401  re-export: documented path
from .results import EffectResult, data_fingerprint, data_provenance

__all__ = ["WEBB_BELOW", "FWLProblem", "MultiplierBootstrap", "bootstrap_weights", "default_weights_type",
           "demean", "fwl_problem", "randomization_inference", "residualize", "wild_bootstrap_influence",
           "wild_cluster_bootstrap"]


# -- wild cluster bootstrap -----------------------------------------------------------------
def _cross_matrices(p: FWLProblem, chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """``C_r[g, h] = sum_{i in h} [M (x * 1_g)]_i r_i`` for ``r = y`` and ``r = x`` (G x G each).

    With these the bootstrap scores are linear in the weights: for residuals ``e = u_r * v`` the
    cluster-g score of the full regression is ``(C_y - b0 C_x) v - (b* - b0) sum_{i in g} x_i^2``.
    """
    G, n = p.n_clusters, p.n
    Cy = np.empty((G, G))
    Cx = np.empty((G, G))
    rows = np.arange(n)
    for start in range(0, G, chunk):
        stop = min(G, start + chunk)
        sel = (p.cluster >= start) & (p.cluster < stop)
        Z = np.zeros((n, stop - start))
        Z[rows[sel], p.cluster[sel] - start] = p.x[sel]
        Z = p.project(Z)  # n x (chunk)
        # sum over i in cluster h of Z[i, g] * r_i  ->  (chunk x G)
        Cy[start:stop] = _cluster_sums(Z * p.y[:, None], p.cluster, G).T
        Cx[start:stop] = _cluster_sums(Z * p.x[:, None], p.cluster, G).T
    return Cy, Cx


def wild_cluster_bootstrap(df: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str,
                           cluster: str | None = None, covariates: Sequence[str] = (),
                           weights_type: str | None = None, reps: int = 9999, seed: int | None = 1,
                           impose_null: bool = True, null: float = 0.0, alpha: float = 0.05,
                           few_treated_threshold: int = _prep.FEW_TREATED_CLUSTERS) -> EffectResult:
    """Wild cluster bootstrap-t for the TWFE coefficient of ``treatment``.

    Model: ``outcome_it = beta * treatment_it + covariates_it'gamma + a_i + l_t + u_it``, clustered
    by ``cluster`` (default: ``unit``). The t statistic uses the CR1 variance
    ``G/(G-1) * (N-1)/(N-K)`` (K counts all unit and time dummies, as :func:`~.did.twfe` with
    ``vcov="CR1"``); the factor cancels in the bootstrap.

    * ``impose_null=True`` (WCR, recommended; MacKinnon & Webb 2017): bootstrap samples are built
      from the residuals of the model restricted to ``beta = null``. p-value: share of
      ``|t*| >= |t|`` (symmetric, ties counted: conservative; 0 means below ``1/reps``). **CI by test inversion**: the set of
      ``beta0`` whose WCR p-value exceeds ``alpha`` (same draws for every ``beta0``; bisection).
      The CI can be unbounded (``inf``) with very few clusters.
    * ``impose_null=False`` (WCU): residuals of the unrestricted model; **percentile-t CI**
      ``beta_hat +- q_{1-alpha}(|t*|) * se``.

    ``weights_type``: ``"webb"`` (default with fewer than 12 clusters) or ``"rademacher"``
    (default otherwise; all 2^G sign vectors when ``2**G <= reps``). ``seed`` (default 1) makes
    the draws reproducible; ``None`` draws fresh ones.

    Computation: exact on the Frisch-Waugh-Lovell residualized problem, fully vectorized:
    the bootstrap scores are a (reps x G) matrix product (Roodman et al. 2019), so fixed effects
    that are not nested in the clusters (years) are handled exactly. Weights are not supported.

    Returns an :class:`EffectResult` (``method="wild_bootstrap"``): ``estimate`` = TWFE
    coefficient, ``se`` = its analytic CR1 SE, ``ci`` and ``pvalue`` from the bootstrap;
    ``extras``: ``t_stat``, ``t_draws``, ``weights_type``, ``reps`` (draws used),
    ``full_enumeration``, ``impose_null``, ``ci_method``, ``n_treated_clusters``.
    """
    cluster = cluster or unit
    covariates = tuple(covariates)
    what = "wild_cluster_bootstrap"
    data, dropped, warns = _prep.prepare(
        df, required={"outcome": outcome, "unit": unit, "time": time, "treatment": treatment,
                      "cluster": cluster, **{f"covariate {c}": c for c in covariates}},
        numeric=[outcome, treatment, *covariates],
        complete=[outcome, unit, time, treatment, cluster, *covariates], ids=[unit, time], what=what)
    warns += _prep.check_panel(df, unit=unit, time=time, outcome=outcome, what=what)
    if reps < 99:
        raise ValueError(f"reps must be at least 99, got {reps}")
    p = fwl_problem(data, outcome=outcome, unit=unit, time=time, treatment=treatment,
                    cluster=cluster, covariates=covariates)
    G = p.n_clusters
    if G < 2:
        raise _prep.DataValidationError([_prep.Problem(column=cluster, expected="at least 2 clusters",
                                                       value=G)], what=what)
    n_tr = _prep.n_treated_clusters(data[cluster], data[treatment])
    msg = _prep.few_clusters_warning(n_tr, G, threshold=few_treated_threshold, what=what)
    if msg:
        warns.append(msg)
    wt = (weights_type or default_weights_type(G)).lower()
    rng = np.random.default_rng(seed)
    V, full = bootstrap_weights(wt, G, reps, rng)

    x, y, g = p.x, p.y, p.cluster
    Q = float(x @ x)
    beta = float(x @ y) / Q
    Qg = np.bincount(g, weights=x * x, minlength=G)
    Ag = np.bincount(g, weights=x * y, minlength=G)
    c = p.cr1_factor()
    score = Ag - beta * Qg
    se = math.sqrt(c * float(score @ score)) / Q
    Cy, Cx = _cross_matrices(p)
    VA, VQ = V @ Ag, V @ Qg
    # bootstrap scores (B x G) at null b0:  P - b0 * R  (both linear in the weights V), so the
    # squared-score sums are a quadratic in b0 with coefficients pp, pr, rr (B-vectors each);
    # computed in blocks of draws to bound memory with many clusters
    nb = V.shape[0]
    pp, pr, rr = np.empty(nb), np.empty(nb), np.empty(nb)
    block = max(1, int(2e7 // max(G, 1)))
    for a in range(0, nb, block):
        b = min(nb, a + block)
        P = V[a:b] @ Cy.T - np.outer(VA[a:b] / Q, Qg)
        R = V[a:b] @ Cx.T - np.outer(VQ[a:b] / Q, Qg)
        pp[a:b] = np.einsum("bg,bg->b", P, P)
        pr[a:b] = np.einsum("bg,bg->b", P, R)
        rr[a:b] = np.einsum("bg,bg->b", R, R)
    del P, R

    def t_draws(b0: float) -> np.ndarray:
        num = (VA - b0 * VQ) / Q  # beta* - b0
        ss = np.maximum(pp - 2.0 * b0 * pr + b0 * b0 * rr, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return num * Q / np.sqrt(c * ss)

    def t_obs(b0: float) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.divide(beta - b0, se))

    if not se > 0:  # degenerate (e.g. a constant outcome, warned above): no bootstrap distribution
        tstar, pvalue, ci = np.full(V.shape[0], math.nan), math.nan, (math.nan, math.nan)
        ci_method = "none (standard error 0)"
    elif impose_null:
        def pval(b0: float) -> float:
            ts = t_draws(b0)
            return float(np.mean(np.abs(ts) >= abs(t_obs(b0)) * (1 - 1e-10)))

        tstar = t_draws(null)
        pvalue = pval(null)
        ci = (_invert(pval, beta, se, -1, alpha), _invert(pval, beta, se, +1, alpha))
        ci_method = "test inversion (WCR)"
    else:
        tstar = t_draws(beta)  # unrestricted residuals: centred at beta_hat
        abst = np.abs(tstar)
        pvalue = float(np.mean(abst >= abs(t_obs(null)) * (1 - 1e-10)))
        q = float(np.quantile(abst, 1 - alpha))
        ci = (beta - q * se, beta + q * se)
        ci_method = "percentile-t (WCU, symmetric)"

    n_draws = V.shape[0]
    inference = (f"wild cluster bootstrap-{'WCR' if impose_null else 'WCU'} ({wt}, {n_draws} draws"
                 f"{', full enumeration' if full else ''}), {G} clusters by {cluster}; CI: {ci_method}")
    table = pd.DataFrame([{"term": treatment, "estimate": beta, "se": se, "ci_low": ci[0], "ci_high": ci[1],
                           "pvalue": pvalue}])
    return EffectResult(
        method="wild_bootstrap", estimate=beta, se=se, ci=ci, pvalue=pvalue, n_obs=p.n, n_clusters=G,
        table=table,
        spec={"outcome": outcome, "unit": unit, "time": time, "treatment": treatment, "cluster": cluster,
              "covariates": list(covariates), "null": null, "alpha": alpha, "inference": inference,
              "seed": seed},
        fingerprint=data_fingerprint(data, [outcome, unit, time, treatment, cluster, *covariates]),
        provenance=data_provenance(df, [outcome]),
        extras={"t_stat": t_obs(null), "t_draws": tstar, "weights_type": wt, "reps": n_draws,
                "full_enumeration": full, "impose_null": impose_null, "ci_method": ci_method,
                "n_treated_clusters": n_tr},
        warnings=tuple(warns), dropped=dropped)
