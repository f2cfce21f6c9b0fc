"""Few-cluster inference: wild cluster bootstrap, multiplier bootstrap, randomization inference.

* :func:`wild_cluster_bootstrap` - WCR/WCU wild cluster bootstrap-t for the TWFE coefficient
  (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017; Roodman, MacKinnon, Nielsen & Webb
  2019 "Fast and wild"), computed exactly on the Frisch-Waugh-Lovell residualized problem in
  vectorized numpy (fixed effects that are not nested in the clusters, e.g. year effects, are
  handled exactly, not approximated).
* :func:`wild_bootstrap_influence` - multiplier bootstrap of estimates given their influence
  functions (as in R ``did::mboot``), with pointwise SEs and a simultaneous (sup-t) band;
  used for the staggered aggregates.
* :func:`randomization_inference` - permutes adoption years across eligible units within strata
  (e.g. city) and re-estimates (Fisher 1935; MacKinnon & Webb 2020 for few treated clusters).

Weights: Rademacher (+-1) and Webb's six-point distribution (+-sqrt(1/2), +-1, +-sqrt(3/2)); Webb
is the default below 12 clusters (Webb 2023). With Rademacher weights and 2^G <= reps all 2^G sign
vectors are enumerated (deterministic).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _prep
from .results import EffectResult, data_fingerprint, data_provenance

WEBB_BELOW = 12  # default weights: Webb when fewer clusters than this, else Rademacher
_WEBB = np.sqrt(np.array([1.5, 1.0, 0.5]))
_WEBB = np.concatenate([-_WEBB, _WEBB[::-1]])


# -- linear algebra helpers -----------------------------------------------------------------
def demean(X: np.ndarray, fe_codes: Sequence[np.ndarray], *, weights: np.ndarray | None = None,
           tol: float = 1e-12, maxiter: int = 10_000) -> np.ndarray:
    """Residualize the columns of ``X`` on one or more sets of fixed effects.

    Alternating projections (method of Gaure 2013 / fixest): repeatedly subtract (weighted) group
    means for each factor until the largest subtracted mean is below ``tol`` times the scale of
    ``X``. Exact after one sweep for a balanced two-way panel. ``fe_codes`` are integer codes
    0..G-1 per factor. Returns a new array (same shape as ``X``).
    """
    import scipy.sparse as sp

    X = np.array(X, dtype=float, copy=True)
    one_d = X.ndim == 1
    if one_d:
        X = X[:, None]
    n = X.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    mats = []
    for codes in fe_codes:
        codes = np.asarray(codes)
        g = int(codes.max()) + 1 if n else 0
        m = sp.csr_matrix((w, (codes, np.arange(n))), shape=(g, n))
        cnt = np.asarray(m.sum(axis=1)).ravel()
        cnt[cnt == 0] = 1.0
        mats.append((codes, m, cnt))
    scale = max(1.0, float(np.abs(X).max())) if X.size else 1.0
    for _ in range(maxiter if len(mats) > 1 else 1):
        delta = 0.0
        for codes, m, cnt in mats:
            means = np.asarray(m @ X) / cnt[:, None]
            X -= means[codes]
            delta = max(delta, float(np.abs(means).max()) if means.size else 0.0)
        if delta <= tol * scale:
            break
    return X[:, 0] if one_d else X


def residualize(X: np.ndarray, W: np.ndarray | None) -> np.ndarray:
    """Residuals of the columns of ``X`` after OLS on the columns of ``W`` (no-op if ``W`` is None)."""
    if W is None or W.shape[1] == 0:
        return X
    coef, *_ = np.linalg.lstsq(W, X, rcond=None)
    return X - W @ coef


@dataclass(frozen=True)
class FWLProblem:
    """A TWFE regression reduced to one coefficient by Frisch-Waugh-Lovell.

    ``y`` and ``x`` are the outcome and the treatment residualized on unit and time fixed effects
    and covariates; ``k`` counts all parameters of the full regression (treatment, covariates,
    intercept, unit and time dummies) for the CR1 factor ``G/(G-1) * (N-1)/(N-k)``.
    """

    y: np.ndarray
    x: np.ndarray
    fe_codes: tuple[np.ndarray, ...]
    W: np.ndarray | None  # covariates residualized on the fixed effects
    cluster: np.ndarray  # cluster codes 0..G-1
    n_clusters: int
    k: int

    @property
    def n(self) -> int:
        return len(self.y)

    def project(self, Z: np.ndarray) -> np.ndarray:
        """Apply the annihilator of fixed effects and covariates to the columns of ``Z``."""
        return residualize(demean(Z, self.fe_codes), self.W)

    @property
    def beta(self) -> float:
        return float(self.x @ self.y / (self.x @ self.x))

    def cr1_factor(self) -> float:
        g, n = self.n_clusters, self.n
        return g / (g - 1) * (n - 1) / (n - self.k)


def fwl_problem(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str,
                cluster: str, covariates: Sequence[str] = ()) -> FWLProblem:
    """Build the :class:`FWLProblem` from complete rows (no NaN; see :func:`_prep.prepare`)."""
    uc = pd.factorize(data[unit])[0]
    tc = pd.factorize(data[time])[0]
    fe = (uc, tc)
    y = demean(_prep.as_float(data[outcome]), fe)
    x = demean(_prep.as_float(data[treatment]), fe)
    W = None
    if covariates:
        W = demean(np.column_stack([_prep.as_float(data[c]) for c in covariates]), fe)
        x = residualize(x, W)
        y = residualize(y, W)
    if float(x @ x) <= 1e-12 * max(1.0, float(np.abs(_prep.as_float(data[treatment])).max()) ** 2) * len(x):
        raise _prep.DataValidationError([_prep.Problem(
            column=treatment, expected="variation in the treatment within units over time beyond the "
            "unit and time fixed effects (and covariates); it is collinear with them")], what="twfe")
    cc, levels = pd.factorize(data[cluster])
    n_units, n_times = uc.max() + 1, tc.max() + 1
    k = 1 + len(covariates) + int(n_units) + int(n_times) - 1
    return FWLProblem(y=y, x=x, fe_codes=fe, W=W, cluster=cc, n_clusters=len(levels), k=k)


# -- bootstrap weights ----------------------------------------------------------------------
def bootstrap_weights(kind: str, n_clusters: int, reps: int, rng: np.random.Generator, *,
                      enumerate_if_possible: bool = True) -> tuple[np.ndarray, bool]:
    """Draw a ``(reps, n_clusters)`` matrix of wild-bootstrap weights.

    ``kind``: ``"rademacher"`` (+-1 with prob. 1/2) or ``"webb"`` (six points +-sqrt(1/2), +-1,
    +-sqrt(3/2), prob. 1/6 each; Webb 2023). With Rademacher and ``2**n_clusters <= reps`` all sign
    vectors are returned instead (full enumeration; second value ``True``).
    """
    kind = kind.lower()
    if kind == "rademacher":
        if enumerate_if_possible and n_clusters <= 20 and 2 ** n_clusters <= reps:
            bits = (np.arange(2 ** n_clusters)[:, None] >> np.arange(n_clusters)[None, :]) & 1
            return (2.0 * bits - 1.0), True
        return rng.integers(0, 2, size=(reps, n_clusters)).astype(float) * 2.0 - 1.0, False
    if kind == "webb":
        return _WEBB[rng.integers(0, 6, size=(reps, n_clusters))], False
    raise ValueError(f"weights_type must be 'rademacher' or 'webb', got {kind!r}")


def default_weights_type(n_clusters: int) -> str:
    """Webb below :data:`WEBB_BELOW` clusters, Rademacher otherwise."""
    return "webb" if n_clusters < WEBB_BELOW else "rademacher"


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


def _cluster_sums(A: np.ndarray, codes: np.ndarray, G: int) -> np.ndarray:
    """Column sums of ``A`` within clusters: returns ``(G, A.shape[1])``."""
    out = np.zeros((G, A.shape[1]))
    np.add.at(out, codes, A)
    return out


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
        return (beta - b0) / se

    if impose_null:
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


def _invert(pval: Callable[[float], float], beta: float, se: float, side: int, alpha: float,
            max_expand: int = 40, rtol: float = 1e-7) -> float:
    """Boundary of ``{b0: pval(b0) > alpha}`` on one side of ``beta`` (bisection; +-inf if unbounded)."""
    if not np.isfinite(se) or se == 0:
        return float("nan")
    inner, step = beta, 2.0 * se
    outer = beta + side * step
    for _ in range(max_expand):
        if pval(outer) <= alpha:
            break
        inner, step = outer, step * 2
        outer = beta + side * step
    else:
        return side * float("inf")
    while abs(outer - inner) > rtol * se:
        mid = 0.5 * (inner + outer)
        if pval(mid) > alpha:
            inner = mid
        else:
            outer = mid
    return 0.5 * (inner + outer)


# -- multiplier bootstrap for influence functions -------------------------------------------
@dataclass(frozen=True)
class MultiplierBootstrap:
    """Result of :func:`wild_bootstrap_influence` (arrays of length K, one per estimate).

    ``se``: bootstrap SEs (IQR-based as R ``did``); ``crit``: simultaneous critical value (sup-t);
    ``ci_pointwise`` / ``ci_uniform``: (K, 2) arrays when ``estimates`` were given, else None;
    ``draws``: (reps, K) bootstrap deviations ``theta* - theta_hat``.
    """

    se: np.ndarray
    crit: float
    ci_pointwise: np.ndarray | None
    ci_uniform: np.ndarray | None
    draws: np.ndarray
    weights_type: str
    n_clusters: int


def wild_bootstrap_influence(influence: np.ndarray, *, estimates: np.ndarray | None = None,
                             cluster: np.ndarray | None = None, weights_type: str | None = None,
                             reps: int = 999, seed: int | None = 1, alpha: float = 0.05
                             ) -> MultiplierBootstrap:
    """Multiplier (wild) bootstrap from influence functions, as R ``did::mboot``.

    ``influence``: (n, K) array with ``theta_hat - theta ~ (1/n) sum_i influence[i]`` (one row per
    unit, one column per estimate, e.g. ATT(g,t) or aggregates). With ``cluster`` (length n) one
    weight is drawn per cluster. Draws: ``delta*_b = (1/n) sum_i v_{b,c(i)} influence[i]``.
    SE: ``(q75 - q25) / (z75 - z25)`` of the draws (robust; Callaway & Sant'Anna 2021).
    ``crit``: the ``1 - alpha`` quantile of ``max_k |delta*_k| / se_k`` (simultaneous band).
    Weights: Rademacher by default, Webb below 12 clusters (when ``cluster`` is given).
    """
    from scipy.stats import norm

    psi = np.asarray(influence, dtype=float)
    if psi.ndim == 1:
        psi = psi[:, None]
    n, K = psi.shape
    if np.isnan(psi).any():
        raise ValueError("influence contains NaN")
    if cluster is None:
        codes, G = np.arange(n), n
        wt = (weights_type or "rademacher").lower()
    else:
        codes, levels = pd.factorize(np.asarray(cluster))
        G = len(levels)
        wt = (weights_type or default_weights_type(G)).lower()
    psi_g = _cluster_sums(psi, codes, G)  # (G, K)
    rng = np.random.default_rng(seed)
    V, _ = bootstrap_weights(wt, G, reps, rng, enumerate_if_possible=False)
    draws = V @ psi_g / n
    q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0)
    se = (q75 - q25) / (norm.ppf(0.75) - norm.ppf(0.25))
    se = np.where(se > np.sqrt(np.finfo(float).eps) * 10, se, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        tmax = np.nanmax(np.abs(draws) / se[None, :], axis=1)
    crit = float(np.quantile(tmax, 1 - alpha))
    cip = ciu = None
    if estimates is not None:
        est = np.asarray(estimates, dtype=float).reshape(-1)
        z = norm.ppf(1 - alpha / 2)
        cip = np.column_stack([est - z * se, est + z * se])
        ciu = np.column_stack([est - crit * se, est + crit * se])
    return MultiplierBootstrap(se=se, crit=crit, ci_pointwise=cip, ci_uniform=ciu, draws=draws,
                               weights_type=wt, n_clusters=G)


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
