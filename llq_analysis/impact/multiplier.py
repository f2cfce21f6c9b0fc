"""Multiplier (wild) bootstrap of estimates from their influence functions, as R ``did::mboot``
(Callaway & Sant'Anna 2021), with pointwise SEs and a simultaneous (sup-t) band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._fwl import _cluster_sums, bootstrap_weights, default_weights_type


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
