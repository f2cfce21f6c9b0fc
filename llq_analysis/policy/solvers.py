"""Exact solvers of the separable concave allocation problem of :mod:`.optimiser`.

Linear returns: fill (quartier, segment) pieces by their constant gain per EUR (fractional
knapsack, Dantzig 1957). Concave shapes (``log``, ``saturation``): water filling on the KKT
conditions with a closed-form inverse per segment and bisection on the multiplier (Patriksson
2008, EJOR 185: 1-46). Amounts in EUR (floats); rounding to cents happens in the caller.
"""

from __future__ import annotations

import math

import numpy as np


def _fprime_inv(m: np.ndarray, returns: str, ref: float, k: float) -> np.ndarray:
    """Dose d with f'(d) = m (m > 0), clipped at 0, for the concave shapes."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if returns == "log":
            c0 = ref / math.log1p(ref / k)
            d = c0 / m - k
        elif returns == "saturation":
            d = np.sqrt(k * (k + ref) / m) - k
        else:  # pragma: no cover
            raise ValueError(returns)
    return np.maximum(np.nan_to_num(d, nan=0.0, posinf=1e18), 0.0)


def _greedy(g: np.ndarray, lo: np.ndarray, hi: np.ndarray, budget: float) -> np.ndarray:
    """Linear optimum for each row of ``g`` (gain per EUR): floors, then fill by gain up to caps."""
    g = np.atleast_2d(g)
    room = np.where(np.isfinite(hi), hi - lo, budget)
    rest = budget - lo.sum()
    order = np.argsort(-g, axis=1, kind="stable")
    rs = room[order]
    cum = np.cumsum(rs, axis=1)
    give = np.clip(rest - (cum - rs), 0.0, rs)
    x = np.empty_like(give)
    np.put_along_axis(x, order, give, axis=1)
    return x + lo


def _fprime(d: np.ndarray, returns: str, ref: float, k: float) -> np.ndarray:
    """Derivative of the concave dose shapes."""
    if returns == "log":
        return ref / math.log1p(ref / k) / (k + d)
    return k * (k + ref) / (k + d) ** 2  # saturation


def _finv(F: np.ndarray, returns: str, ref: float, k: float) -> np.ndarray:
    """Dose d with f(d) = F (inverse of the dose shape; inf where f never reaches F)."""
    F = np.asarray(F, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if returns == "linear":
            return F
        if returns == "log":
            return k * np.expm1(F * math.log1p(ref / k) / ref)
        return np.where(F < k + ref, F * k / (k + ref - F), np.inf)  # saturation: f < k + ref


def _segments(c: np.ndarray, kink: np.ndarray, returns: str, ref: float, k: float):
    """Per quartier, the improvement is piecewise linear in the effective dose f: slope
    ``sum_o c_o`` until the first outcome hits its bound (rate 0 % or 100 %), then lower.

    ``c``, ``kink``: (D, O, n) slopes and kink positions in f-space (inf: none). Returns slopes
    ``S`` (D, n, J) and segment bounds in *dose* space ``Db`` (D, n, J + 1), J = O + 1.
    """
    D, n_out, n = c.shape
    order = np.argsort(kink, axis=1)
    ks = np.take_along_axis(kink, order, axis=1)  # (D, O, n)
    cs = np.take_along_axis(c, order, axis=1)
    s0 = c.sum(axis=1)  # (D, n)
    drops = np.where(np.isfinite(ks), cs, 0.0)
    S = np.concatenate([s0[:, None, :], s0[:, None, :] - np.cumsum(drops, axis=1)], axis=1)  # (D, J, n)
    F = np.concatenate([np.zeros((D, 1, n)), ks, np.full((D, 1, n), np.inf)], axis=1)  # (D, J+1, n)
    Db = _finv(F, returns, ref, k)
    return np.moveaxis(S, 1, 2), np.moveaxis(Db, 1, 2)


def _greedy_pieces(S: np.ndarray, Db: np.ndarray, p: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                   budget: float) -> np.ndarray:
    """Linear returns with kinks: every (quartier, segment) is a piece with a constant gain per EUR
    ``S_j / P``; filling pieces by gain is optimal (gains fall within a quartier)."""
    D, n, J = S.shape
    hi_f = np.where(np.isfinite(hi), hi, budget + lo)
    mb = np.clip(Db * p[None, :, None], lo[None, :, None], hi_f[None, :, None])  # money bounds
    cap = np.diff(mb, axis=2).reshape(D, n * J)
    g = (S / p[None, :, None]).reshape(D, n * J)
    rest = budget - lo.sum()
    order = np.argsort(-g, axis=1, kind="stable")
    cs = np.take_along_axis(cap, order, axis=1)
    give = np.clip(rest - (np.cumsum(cs, axis=1) - cs), 0.0, cs)
    out = np.empty_like(give)
    np.put_along_axis(out, order, give, axis=1)
    return lo[None, :] + out.reshape(D, n, J).sum(axis=2)


def _water_fill_kinked(S: np.ndarray, Db: np.ndarray, p: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                       budget: float, returns: str, ref: float, k: float, iters: int = 55) -> np.ndarray:
    """Concave returns with kinks: bisection on lambda of the KKT conditions.

    For a multiplier lambda the dose of quartier i is the largest d with marginal improvement per
    EUR ``S(d) f'(d) / P >= lambda``; per segment j that is ``min(D_{j+1}, f'^{-1}(lambda P / S_j))``
    when it is >= D_j. With f'(d) = c0 / (k + d) (log) the inverse is ``c0 S / (lambda P) - k``,
    with f'(d) = k (k + r) / (k + d)^2 (saturation) ``sqrt(k (k + r) S / (lambda P)) - k``: both
    are ``A_ij * t(lambda) - k`` with A precomputed, so a bisection step is a few array passes.
    Money of no use anywhere (all gains spent) is spread over the remaining room.
    """
    hi_f = np.where(np.isfinite(hi), hi, budget + lo)
    dcap = hi_f / p
    # prune segments that no quartier can use (no positive slope, or starting beyond every cap)
    use = ((S > 0) & (Db[:, :, :-1] < dcap[None, :, None])).any(axis=(0, 1))
    use[0] = True
    S, d_lo, d_hi = S[:, :, use], Db[:, :, :-1][:, :, use], Db[:, :, 1:][:, :, use]
    Spos = S > 0
    ratio = np.where(Spos, S, 0.0) / p[None, :, None]  # S / P >= 0
    if returns == "log":
        A, power = ref / math.log1p(ref / k) * ratio, 1.0
    else:
        A, power = np.sqrt(k * (k + ref) * ratio), 0.5
    d_lo = np.where(Spos, d_lo, np.inf)  # invalid segments can never be chosen

    def x_of(log_lam):
        t = np.exp(-power * log_lam)[:, None, None]
        cand = np.minimum(A * t - k, d_hi)
        d = np.where(cand >= d_lo, cand, 0.0).max(axis=2)
        return np.clip(p * np.maximum(d, 0.0), lo, hi_f)

    with np.errstate(divide="ignore", invalid="ignore"):
        top = np.where(S[:, :, 0] > 0, S[:, :, 0] * _fprime(lo / p, returns, ref, k) / p, 0.0).max(axis=1)
    log_hi = np.log(np.maximum(top, 1e-300)) + 1e-9
    log_lo = log_hi - 80.0
    for _ in range(iters):
        mid = (log_lo + log_hi) / 2
        too_much = x_of(mid).sum(axis=1) > budget
        log_lo = np.where(too_much, mid, log_lo)
        log_hi = np.where(too_much, log_hi, mid)
    x = x_of(log_hi)
    short = budget - x.sum(axis=1)
    if np.any(short > 0):
        room = np.maximum(hi_f[None, :] - x, 0.0)
        rs = room.sum(axis=1)
        x = x + np.where(rs[:, None] > 0, room * (np.maximum(short, 0) / np.where(rs > 0, rs, 1))[:, None], 0.0)
    return x


def _water_fill(a: np.ndarray, p: np.ndarray, lo: np.ndarray, hi: np.ndarray, budget: float,
                returns: str, ref: float, k: float) -> tuple[np.ndarray, np.ndarray]:
    """Concave optimum without kinks (one segment per quartier, gain ``a`` per unit f)."""
    a = np.atleast_2d(a)
    S = a[:, :, None]
    Db = np.concatenate([np.zeros_like(S), np.full_like(S, np.inf)], axis=2)
    x = _water_fill_kinked(S, Db, p, lo, hi, budget, returns, ref, k)
    return x, ~(a > 0).any(axis=1)
