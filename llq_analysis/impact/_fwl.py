"""Building blocks of the resampling methods (:mod:`.inference`, :mod:`.multiplier`,
:mod:`.randomization`) and of the numpy TWFE engine: fixed-effect demeaning, the
Frisch-Waugh-Lovell residualized problem, cluster sums, bootstrap weights (Rademacher, Webb) and
the inversion of a p-value function into a confidence limit.

Weights: Rademacher (+-1) and Webb's six-point distribution (+-sqrt(1/2), +-1, +-sqrt(3/2)); Webb
is the default below 12 clusters (Webb 2023). With Rademacher weights and 2^G <= reps all 2^G sign
vectors are enumerated (deterministic).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _prep

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


def _cluster_sums(A: np.ndarray, codes: np.ndarray, G: int) -> np.ndarray:
    """Column sums of ``A`` within clusters: returns ``(G, A.shape[1])``."""
    out = np.zeros((G, A.shape[1]))
    np.add.at(out, codes, A)
    return out


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
