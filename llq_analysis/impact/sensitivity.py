"""Sensitivity of DiD / event-study / synthetic-control estimates.

* :func:`honest_did` - Rambachan & Roth (2023) robust confidence intervals when parallel trends
  may fail, over a grid of the restriction parameter:

  - ``method="smoothness"`` (Delta^SD(M): the slope of the trend difference changes by at most
    ``M`` per period): the **optimal fixed-length confidence interval** (FLCI, RR 2023 sec. 4.1,
    Armstrong & Kolesar 2018). Affine estimators ``theta_hat = l'b_post + w'b_pre``; for each
    ``w`` the worst-case bias over Delta^SD(M) is ``M * ||g(w)||_1`` (``g`` = coefficients of the
    estimator on the second differences of the trend; linear trends must cancel), the SD is
    ``sqrt(v' Sigma v)``; the half-length ``sd * cv_alpha(bias / sd)`` (``cv_alpha(t)`` = 1-alpha
    quantile of ``|N(t, 1)|``) is minimised over ``w`` (a convex problem, solved with SLSQP).
    Reproduces R HonestDiD's README table (Medicaid example) to its printed digits.
  - ``method="relative_magnitude"`` (Delta^RM(Mbar): post-period changes of the trend difference
    at most ``Mbar`` times the largest pre-period change): **a simplified, conservative
    interval** (R HonestDiD uses the ARP conditional/hybrid test, not implemented here). With
    probability >= 1 - alpha/2 the largest pre-period change is below ``K_hi`` = max over pre
    first differences of ``|fd| + z_{1-alpha/(4 T)} se(fd)`` (Bonferroni over the ``T`` pre
    differences); on that event the bias of ``l'b_post`` is at most ``Mbar K_hi c(l)`` with
    ``c(l) = sum_k |sum_{t>=k} l_t|`` (attained by a trend breaking by the maximal step each
    period). CI = ``l'b_post -+ (Mbar K_hi c(l) + z_{1-alpha/4} se)`` - Bonferroni, so coverage
    >= 1 - alpha. Wider than R's C-LF interval (tested: contains it on the Medicaid example).
    The identified set (pre-period coefficients taken as known) is exact and equals R's.

  diff-diff's ``HonestDiD`` was checked and not used: its smoothness FLCI agrees with R but takes
  10-16 s per M value here; its relative-magnitudes CI adds ``z * se`` to the identified set and
  ignores the sampling error of the pre-period changes, giving intervals *narrower* than R's
  (Medicaid example, Mbar = 2: [0.011, 0.082] vs R [-0.001, 0.088]) - not valid.

* :func:`pretrend_power` - Roth (2022): power of the pre-test against a linear violation
  ``delta_r = slope * (r - ref)`` of parallel trends, for the test "any pre-period coefficient
  significant at alpha" (Roth's default) or the joint Wald test, and the bias this trend would
  put into the post-period estimate; :func:`slope_for_power` inverts it.
* :func:`placebo_in_time` and :func:`leave_one_out` (re-estimates on changed data) are in
  :mod:`.placebo` and re-exported here (documented path).

Event-study input: the result of :func:`llq_analysis.impact.did.event_study` (``table`` with
``term, rel_time, estimate, reference`` and ``extras["vcov"]`` indexed by ``term``), or any
object with the same fields (``event_time`` is accepted for ``rel_time``), or ``betahat``/``sigma``/``num_pre`` directly (pre coefficients
first, in time order, reference period -1 omitted). Relative periods must be contiguous:
pre ``-T-1..-2``, post ``0..Tbar-1`` (reference ``-1``).
"""


from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .placebo import SensitivityTable, leave_one_out, placebo_in_time  # noqa: F401  re-export: documented path

__all__ = ["EventStudyCoefs", "HonestDiDResult", "SensitivityTable", "event_study_coefs", "honest_did",
           "leave_one_out", "placebo_in_time", "pretrend_power", "slope_for_power"]

_METHODS = ("smoothness", "relative_magnitude")


# =============================================================================================
# event-study coefficients
# =============================================================================================
@dataclass(frozen=True)
class EventStudyCoefs:
    """Pre and post event-study coefficients with their covariance (reference period -1)."""

    beta: np.ndarray  # pre (time order) then post
    sigma: np.ndarray
    num_pre: int
    rel_times: tuple = ()
    provenance: str = "user"

    @property
    def num_post(self) -> int:
        return len(self.beta) - self.num_pre


def event_study_coefs(result: Any = None, *, betahat: Sequence[float] | None = None,
                      sigma: np.ndarray | None = None, num_pre: int | None = None) -> EventStudyCoefs:
    """Extract (beta, Sigma, num_pre) from an event-study result or take them as given."""
    if result is None:
        if betahat is None or sigma is None or num_pre is None:
            raise ValueError("pass an event-study result, or betahat, sigma and num_pre")
        b = np.asarray(betahat, dtype=float)
        S = np.asarray(sigma, dtype=float)
        if S.shape != (len(b), len(b)):
            raise ValueError(f"sigma must be {len(b)}x{len(b)}, got {S.shape}")
        if not 0 < num_pre < len(b):
            raise ValueError(f"num_pre must be between 1 and {len(b) - 1}, got {num_pre}")
        rel = tuple(range(-num_pre - 1, -1)) + tuple(range(len(b) - num_pre))
        return EventStudyCoefs(b, S, int(num_pre), rel)
    tab = getattr(result, "table", None)
    if tab is not None and "rel_time" not in tab.columns and "event_time" in tab.columns:
        tab = tab.rename(columns={"event_time": "rel_time"})  # staggered aggregations name it so
        tab = tab[tab["rel_time"].notna()]
    V = getattr(result, "extras", {}).get("vcov") if hasattr(result, "extras") else None
    if tab is None or V is None or "rel_time" not in tab.columns:
        raise TypeError("honest_did/pretrend_power need an event-study result (table with rel_time and "
                        "extras['vcov']), or betahat/sigma/num_pre")
    is_ref = tab["reference"].astype(bool) if "reference" in tab.columns else pd.Series(False, index=tab.index)
    ref = tab.loc[is_ref, "rel_time"].tolist()
    if ref and ref != [-1]:
        raise ValueError(f"the event study must have the single reference period -1 (found {ref})")
    est = tab[~is_ref & np.isfinite(tab["estimate"].astype(float))]
    est = est[est["term"].isin(list(V.index))].sort_values("rel_time")
    rel = [int(r) for r in est["rel_time"]]
    pre = [r for r in rel if r < 0]
    post = [r for r in rel if r >= 0]
    if not pre or not post:
        raise ValueError("the event study needs at least one pre-period (r <= -2) and one post-period (r >= 0) "
                         "coefficient")
    if pre != list(range(-len(pre) - 1, -1)) or post != list(range(len(post))):
        raise ValueError(f"relative periods must be contiguous around the reference -1 (pre -T-1..-2, post 0..); "
                         f"found pre {pre}, post {post} - restrict the event window or bin the end points")
    terms = list(est["term"])
    S = V.loc[terms, terms].to_numpy(dtype=float)
    return EventStudyCoefs(est["estimate"].to_numpy(dtype=float), S, len(pre), tuple(rel),
                           getattr(result, "provenance", "user"))


# =============================================================================================
# HonestDiD
# =============================================================================================
def _cv_folded(t: float, alpha: float) -> float:
    """1 - alpha quantile of |N(t, 1)| (exact; R HonestDiD simulates it with 1e6 draws)."""
    from scipy.optimize import brentq
    from scipy.special import ndtr

    t = abs(t)
    return float(brentq(lambda c: ndtr(c - t) - ndtr(-c - t) - (1 - alpha), 0.0, t + 10.0, xtol=1e-14))


def _sd_maps(T: int, Tb: int) -> tuple[np.ndarray, np.ndarray]:
    """For delta over t = -T..-1, 1..Tb (delta_0 = 0): delta = Pc * c + Ps @ s with c = delta_1 and
    s the second differences at k = -T+1..Tb-1. Returns (Pc (T+Tb,), Ps (T+Tb, T+Tb-1))."""
    n = T + Tb + 1  # including t = 0 at position T
    K = T + Tb - 1
    E = np.zeros((n, n))
    E[0, T] = 1.0  # delta_0 = 0
    E[1, T + 1] = 1.0
    E[1, T] = -1.0  # delta_1 - delta_0 = c
    for j, k in enumerate(range(-T + 1, Tb)):
        p = k + T
        E[2 + j, p - 1], E[2 + j, p], E[2 + j, p + 1] = 1.0, -2.0, 1.0
    Einv = np.linalg.inv(E)
    keep = [i for i in range(n) if i != T]
    Pc = Einv[keep, 1]
    Ps = Einv[np.ix_(keep, list(range(2, 2 + K)))]
    return Pc, Ps


def _flci_sd(beta: np.ndarray, Sigma: np.ndarray, T: int, l_vec: np.ndarray, M: float,
             alpha: float) -> tuple[float, float, float, float]:
    """Optimal FLCI under Delta^SD(M). Returns (ci_low, ci_high, worst-case bias, sd)."""
    from scipy import optimize, stats

    Tb = len(beta) - T
    Pc, Ps = _sd_maps(T, Tb)
    # v = (w, l): coefficient on c must vanish; bias coefficients g = Ps' v
    a_c = Pc[:T]
    a0 = float(Pc[T:] @ l_vec)
    H = Ps[:T].T  # K x T
    h0 = Ps[T:].T @ l_vec
    K = H.shape[0]

    def sd(w):
        v = np.concatenate([w, l_vec])
        return math.sqrt(max(v @ Sigma @ v, 1e-300))

    z = stats.norm.ppf(1 - alpha / 2)
    # start: minimum-variance w subject to the trend constraint (closed form via KKT)
    S11, S12 = Sigma[:T, :T], Sigma[:T, T:]
    KKT = np.block([[2 * S11, a_c[:, None]], [a_c[None, :], np.zeros((1, 1))]])
    rhs = np.concatenate([-2 * S12 @ l_vec, [-a0]])
    w0 = np.linalg.lstsq(KKT, rhs, rcond=None)[0][:T]
    if M == 0:
        s = sd(w0)
        center = float(l_vec @ beta[T:] + w0 @ beta[:T])
        return center - z * s, center + z * s, 0.0, s

    def objective(x):
        w, u = x[:T], x[T:]
        s = sd(w)
        b = M * u.sum()
        return s * _cv_folded(b / s, alpha)

    cons = [{"type": "eq", "fun": lambda x: np.array([a_c @ x[:T] + a0])},
            {"type": "ineq", "fun": lambda x: x[T:] - (H @ x[:T] + h0)},
            {"type": "ineq", "fun": lambda x: x[T:] + (H @ x[:T] + h0)}]
    best = None
    starts = [w0]
    # second start: minimum-bias direction (LP), then a mix
    from scipy.optimize import linprog

    c_lp = np.concatenate([np.zeros(T), np.ones(K)])
    A_ub = np.block([[H, -np.eye(K)], [-H, -np.eye(K)]])
    b_ub = np.concatenate([-h0, h0])
    lp = linprog(c_lp, A_ub=A_ub, b_ub=b_ub, A_eq=np.concatenate([a_c, np.zeros(K)])[None, :], b_eq=[-a0],
                 bounds=[(None, None)] * T + [(0, None)] * K, method="highs")
    if lp.status == 0:
        starts += [lp.x[:T], 0.5 * (lp.x[:T] + w0)]
    for ws in starts:
        x0 = np.concatenate([ws, np.abs(H @ ws + h0) + 1e-12])
        res = optimize.minimize(objective, x0, constraints=cons, method="SLSQP",
                                options={"maxiter": 500, "ftol": 1e-12})
        w = res.x[:T]
        b = M * float(np.abs(H @ w + h0).sum())
        s = sd(w)
        hl = s * _cv_folded(b / s, alpha)
        if abs(a_c @ w + a0) < 1e-6 and (best is None or hl < best[0]):
            best = (hl, w, b, s)
    hl, w, b, s = best
    center = float(l_vec @ beta[T:] + w @ beta[:T])
    return center - hl, center + hl, b, s


def _idset_sd(beta: np.ndarray, T: int, l_vec: np.ndarray, M: float) -> tuple[float, float]:
    """Identified set of theta = l'tau under Delta^SD(M), pre-period coefficients taken as known."""
    from scipy.optimize import linprog

    Tb = len(beta) - T
    bpre, bpost = beta[:T], beta[T:]
    # variables: delta_post (Tb); full path d over t=-T..Tb with d_0 = 0
    rows, rhs = [], []
    for k in range(-T + 1, Tb):
        coef = np.zeros(Tb)
        const = 0.0
        for off, wgt in ((-1, 1.0), (0, -2.0), (1, 1.0)):
            t = k + off
            if t < 0:
                const += wgt * bpre[t + T]
            elif t > 0:
                coef[t - 1] += wgt
        rows += [coef, -coef]
        rhs += [M - const, M + const]
    A, bvec = np.array(rows), np.array(rhs)
    out = []
    for sign in (1.0, -1.0):
        r = linprog(sign * l_vec, A_ub=A, b_ub=bvec, bounds=[(None, None)] * Tb, method="highs")
        if r.status != 0:
            return (math.nan, math.nan)
        out.append(sign * r.fun)
    lo_bias, hi_bias = out[0], out[1]  # min and max of l'delta_post
    theta = float(l_vec @ bpost)
    return theta - hi_bias, theta - lo_bias


def _rm_bonferroni(beta: np.ndarray, Sigma: np.ndarray, T: int, l_vec: np.ndarray, Mbar: float,
                   alpha: float) -> tuple[float, float, float, float]:
    """Conservative relative-magnitudes CI (see module docstring) and the exact identified set."""
    from scipy import stats

    D = np.zeros((T, T))  # first differences delta_t - delta_{t-1}, t = -T+1..0 (delta_0 = 0)
    for i in range(T):
        if i + 1 < T:
            D[i, i + 1] = 1.0
        D[i, i] -= 1.0
    Spre = Sigma[:T, :T]
    fd = D @ beta[:T]
    fd_se = np.sqrt(np.clip(np.diag(D @ Spre @ D.T), 0, None))
    c_l = float(sum(abs(l_vec[k:].sum()) for k in range(len(l_vec))))
    theta = float(l_vec @ beta[T:])
    se = math.sqrt(float(l_vec @ Sigma[T:, T:] @ l_vec))
    k_hat = float(np.abs(fd).max())
    k_hi = float(np.max(np.abs(fd) + stats.norm.ppf(1 - alpha / (4 * T)) * fd_se))
    half = Mbar * k_hi * c_l + stats.norm.ppf(1 - alpha / 4) * se
    return theta - half, theta + half, theta - Mbar * k_hat * c_l, theta + Mbar * k_hat * c_l


def _l_vec(l_vec: Sequence[float] | str, Tb: int) -> np.ndarray:
    """Target weights over the post periods: "average", "first" or an explicit vector."""
    if isinstance(l_vec, str):
        if l_vec == "average":
            return np.full(Tb, 1.0 / Tb)
        if l_vec == "first":
            return np.eye(Tb)[0]
        raise ValueError("l_vec must be 'average', 'first' or a vector of post-period weights")
    lv = np.asarray(l_vec, dtype=float)
    if lv.shape != (Tb,):
        raise ValueError(f"l_vec must have {Tb} entries (one per post period), got {lv.shape}")
    return lv


@dataclass(frozen=True)
class HonestDiDResult:
    """Robust CIs over the grid. ``table``: ``M, ci_low, ci_high, id_low, id_high`` (identified set
    with pre-period coefficients as known; NaN if the observed pre-trend violates Delta^SD(M)).
    ``original``: ``estimate, se, ci_low, ci_high`` of ``l'b_post`` (normal). ``breakdown``:
    smallest grid value whose robust CI contains 0 (None if none does)."""

    method: str
    table: pd.DataFrame
    original: dict
    l_vec: np.ndarray
    alpha: float
    breakdown: float | None
    provenance: str = "user"
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        out = self.table.copy()
        out.insert(0, "method", self.method)
        return out

    def plot(self, ax=None, lang: str = "de"):
        from ..outputs import plots

        return plots.honest_did_plot(self, ax=ax, lang=lang)


def honest_did(result: Any = None, *, method: str = "smoothness", grid: Iterable[float] | None = None,
               l_vec: Sequence[float] | str = "average", alpha: float = 0.05,
               betahat: Sequence[float] | None = None, sigma: np.ndarray | None = None,
               num_pre: int | None = None) -> HonestDiDResult:
    """Rambachan-Roth sensitivity of an event-study estimate (see the module docstring).

    Parameters
    ----------
    result : event-study result (or pass ``betahat``, ``sigma``, ``num_pre``).
    method : ``"smoothness"`` (grid of M, in outcome units per period^2; default grid 0 to 2x the
        largest pre-period second difference) or ``"relative_magnitude"`` (grid of Mbar; default
        0, 0.5, 1, 1.5, 2).
    l_vec : target ``theta = l' tau_post``: ``"average"`` (default: mean of the post effects),
        ``"first"`` (the on-impact effect, R HonestDiD's default) or a vector of post weights.
    alpha : 1 - confidence level.
    """
    from scipy import stats

    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    es = event_study_coefs(result, betahat=betahat, sigma=sigma, num_pre=num_pre)
    T, Tb = es.num_pre, es.num_post
    lv = _l_vec(l_vec, Tb)
    if grid is None:
        if method == "relative_magnitude":
            grid = [0.0, 0.5, 1.0, 1.5, 2.0]
        else:
            path = np.concatenate([es.beta[:T], [0.0]])
            sd2 = np.abs(np.diff(path, 2)).max() if T >= 2 else float(np.sqrt(np.diag(es.sigma)).mean())
            grid = list(np.linspace(0, 2 * sd2, 6))
    grid = [float(m) for m in grid]
    if any(m < 0 for m in grid):
        raise ValueError("grid values (M, Mbar) must be >= 0")
    rows = []
    for m in grid:
        if method == "smoothness":
            lo, hi, bias, s = _flci_sd(es.beta, es.sigma, T, lv, m, alpha)
            ilo, ihi = _idset_sd(es.beta, T, lv, m)
        else:
            lo, hi, ilo, ihi = _rm_bonferroni(es.beta, es.sigma, T, lv, m, alpha)
        rows.append({"M": m, "ci_low": lo, "ci_high": hi, "id_low": ilo, "id_high": ihi})
    tab = pd.DataFrame(rows)
    theta = float(lv @ es.beta[T:])
    se = math.sqrt(float(lv @ es.sigma[T:, T:] @ lv))
    z = stats.norm.ppf(1 - alpha / 2)
    original = {"estimate": theta, "se": se, "ci_low": theta - z * se, "ci_high": theta + z * se}
    covers = tab[(tab["ci_low"] <= 0) & (tab["ci_high"] >= 0)]
    breakdown = float(covers["M"].min()) if len(covers) else None
    notes = ("relative magnitudes: conservative Bonferroni interval, not R HonestDiD's ARP C-LF",) \
        if method == "relative_magnitude" else ("smoothness: optimal FLCI (RR 2023 sec. 4.1)",)
    return HonestDiDResult(method=method, table=tab, original=original, l_vec=lv, alpha=alpha,
                           breakdown=breakdown, provenance=es.provenance, notes=notes)


# =============================================================================================
# pre-trend power (Roth 2022)
# =============================================================================================
def _trend(es: EventStudyCoefs, slope: float) -> tuple[np.ndarray, np.ndarray]:
    rel = np.asarray(es.rel_times, dtype=float)
    d = slope * (rel + 1.0)  # zero at the reference period -1
    return d[:es.num_pre], d[es.num_pre:]


def _power(es: EventStudyCoefs, slope: float, test: str, alpha: float) -> float:
    from scipy import stats

    T = es.num_pre
    dpre, _ = _trend(es, slope)
    S = es.sigma[:T, :T]
    if test == "wald":
        crit = stats.chi2.ppf(1 - alpha, T)
        lam = float(dpre @ np.linalg.solve(S, dpre))
        return float(stats.ncx2.sf(crit, T, lam)) if lam > 0 else alpha
    sd = np.sqrt(np.diag(S))
    z = stats.norm.ppf(1 - alpha / 2)
    mu = dpre / sd
    R = S / np.outer(sd, sd)
    if T == 1:
        return float(stats.norm.sf(z - mu[0]) + stats.norm.cdf(-z - mu[0]))
    mvn = stats.multivariate_normal(mean=mu, cov=R, allow_singular=True)
    inside = mvn.cdf(np.full(T, z), lower_limit=np.full(T, -z), rng=np.random.default_rng(0))
    return float(min(1.0, max(0.0, 1.0 - inside)))


def pretrend_power(result: Any = None, *, slope: float | Sequence[float], test: str = "any",
                   alpha: float = 0.05, l_vec: Sequence[float] | str = "average",
                   betahat: Sequence[float] | None = None, sigma: np.ndarray | None = None,
                   num_pre: int | None = None) -> pd.DataFrame:
    """Power of the pre-test against a linear trend ``delta_r = slope * (r + 1)`` (Roth 2022).

    ``test="any"``: reject if any pre-period coefficient is significant at ``alpha`` (two-sided,
    its own SE) - Roth's default; computed with the multivariate normal CDF of the coefficients
    under the trend. ``test="wald"``: the joint chi-square test (the event study's pre-trend test),
    non-central chi-square power. Returns one row per slope: ``slope, power, bias_post`` where
    ``bias_post = l' delta_post`` is the bias the trend would add to ``theta = l' tau_post``
    (outcome units) if it continued after treatment.
    """
    if test not in ("any", "wald"):
        raise ValueError("test must be 'any' or 'wald'")
    es = event_study_coefs(result, betahat=betahat, sigma=sigma, num_pre=num_pre)
    lv = _l_vec(l_vec, es.num_post)
    slopes = [float(slope)] if np.isscalar(slope) else [float(s) for s in slope]
    rows = []
    for s in slopes:
        _, dpost = _trend(es, s)
        rows.append({"slope": s, "power": _power(es, s, test, alpha), "bias_post": float(lv @ dpost),
                     "test": test})
    return pd.DataFrame(rows)


def slope_for_power(result: Any = None, *, power: float = 0.8, test: str = "any", alpha: float = 0.05,
                    betahat: Sequence[float] | None = None, sigma: np.ndarray | None = None,
                    num_pre: int | None = None) -> float:
    """Smallest positive slope of a linear trend that the pre-test detects with probability
    ``power`` (Roth 2022 ``slope_for_power``); outcome units per period."""
    from scipy.optimize import brentq

    if not alpha < power < 1:
        raise ValueError(f"power must be between alpha ({alpha}) and 1, got {power}")
    es = event_study_coefs(result, betahat=betahat, sigma=sigma, num_pre=num_pre)
    hi = float(np.sqrt(np.diag(es.sigma[:es.num_pre, :es.num_pre])).max())
    while _power(es, hi, test, alpha) < power:
        hi *= 2
    return float(brentq(lambda s: _power(es, s, test, alpha) - power, 0.0, hi, xtol=1e-10 * hi))
