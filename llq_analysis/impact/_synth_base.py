"""What synthetic control (:mod:`.synth`) and synthetic DiD (:mod:`.sdid`) share: the exact
simplex-constrained least-squares solver, the result type :class:`SynthResult`, and the panel checks
and time-label helpers.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _prep
from .results import EffectResult

MIN_PRE_PERIODS = 2  # fewer pre-treatment periods than this is an error

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
                 numeric: Sequence[str], what: str) -> list[str]:
    """Columns, numeric values, ids in every row, then :func:`._prep.check_panel` (duplicates,
    constant outcome); returns the warning messages."""
    _prep.require_columns(df, {"outcome": outcome, "unit": unit, "time": time, **extra}, what=what)
    _prep.require_numeric(df, [outcome, *numeric], what=what)
    bad_id = df[unit].isna() | df[time].isna()
    if bad_id.any():
        rows = df.index[bad_id.to_numpy()][:20]
        raise DataValidationError([Problem(column=unit if pd.isna(df.at[r, unit]) else time, row=r,
                                           expected="a unit and a time label in every row") for r in rows],
                                  what=what)
    return _prep.check_panel(df, unit=unit, time=time, outcome=outcome, what=what)


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
