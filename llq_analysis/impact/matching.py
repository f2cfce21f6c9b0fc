"""Optimal matching of comparison quartiers for :func:`~llq_analysis.impact.before_after.
compare_before_after`: standardised pre-period level and trend, Hungarian algorithm
(:func:`scipy.optimize.linear_sum_assignment`; Rosenbaum 1989, *JASA* 84:1024) within the city
where possible, or nearest neighbours with replacement; balance table.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

_CROSS_CITY_PENALTY = 1e6  # added to the distance of a cross-city pair (used only when needed)


def _slopes(long: pd.DataFrame, unit: str, time: str, value: str) -> pd.Series:
    """OLS slope of ``value`` on ``time`` per unit (NaN with fewer than two years)."""
    g = long.groupby(unit)
    n = g[value].count()
    tm = g[time].transform("mean")
    vm = g[value].transform("mean")
    d = long.assign(_xy=(long[time] - tm) * (long[value] - vm), _xx=(long[time] - tm) ** 2)
    gs = d.groupby(unit)[["_xy", "_xx"]].sum()
    out = gs["_xy"] / gs["_xx"].where(gs["_xx"] > 0)
    return out.where(n >= 2)


def _balance(feat: pd.DataFrame, funded: list, pool: list, weight: pd.Series) -> pd.DataFrame:
    """Standardised mean differences of the matching features before and after matching.

    SMD = (mean funded - mean comparison) / sqrt((var funded + var all comparison) / 2), with the
    variances of the unmatched groups in the denominator (Austin 2009, *Stat Med* 28:3083); the
    "used" comparison mean is weighted by how often a quartier is used. |SMD| > 0.25 is flagged.
    """
    rows = []
    for col in [c for c in ("level", "trend") if c in feat]:
        f, c = feat.loc[funded, col], feat.loc[pool, col]
        w = weight.reindex(pool).fillna(0.0)
        denom = math.sqrt((f.var(ddof=1) + c.var(ddof=1)) / 2) if len(f) > 1 and len(c) > 1 else float("nan")
        cu = float((c * w).sum() / w.sum()) if w.sum() > 0 else float("nan")
        rows.append({"feature": col, "funded_mean": float(f.mean()), "comparison_all_mean": float(c.mean()),
                     "comparison_used_mean": cu,
                     "smd_all": (float(f.mean()) - float(c.mean())) / denom if denom else float("nan"),
                     "smd_used": (float(f.mean()) - cu) / denom if denom else float("nan")})
    return pd.DataFrame(rows, columns=["feature", "funded_mean", "comparison_all_mean",
                                       "comparison_used_mean", "smd_all", "smd_used"])


def _match(feat: pd.DataFrame, funded: list, pool: list, *, n_matches: int, replace: bool,
           same_city: bool, columns: list[str]) -> pd.DataFrame:
    """Match each funded unit to ``n_matches`` pool units on standardised ``columns``."""
    from scipy.optimize import linear_sum_assignment

    both = feat.loc[funded + pool, columns]
    sd = both.std(ddof=1).replace(0.0, 1.0).fillna(1.0)
    z = (both - both.mean()) / sd
    zf, zp = z.loc[funded].to_numpy(), z.loc[pool].to_numpy()
    dist = np.sqrt(((zf[:, None, :] - zp[None, :, :]) ** 2).sum(axis=2))
    cf = feat.loc[funded, "city"].to_numpy()
    cp = feat.loc[pool, "city"].to_numpy()
    cross = cf[:, None] != cp[None, :]
    cost = dist + (_CROSS_CITY_PENALTY * cross if same_city else 0.0)
    pairs: list[tuple[int, int]] = []
    if replace:
        for i in range(len(funded)):
            for j in np.argsort(cost[i], kind="stable")[:n_matches]:
                pairs.append((i, int(j)))
    else:
        rows = np.repeat(np.arange(len(funded)), n_matches)
        r, c = linear_sum_assignment(cost[rows])
        pairs = [(int(rows[a]), int(b)) for a, b in zip(r, c, strict=True)]
    out = pd.DataFrame({
        "funded_quartier": [funded[i] for i, _ in pairs],
        "matched_quartier": [pool[j] for _, j in pairs],
        "distance": [float(dist[i, j]) for i, j in pairs],
        "same_city": [bool(not cross[i, j]) for i, j in pairs],
        "funded_city": [cf[i] for i, _ in pairs],
        "matched_city": [cp[j] for _, j in pairs],
    })
    for col in columns:
        out[f"funded_{col}"] = feat.loc[out["funded_quartier"], col].to_numpy()
        out[f"matched_{col}"] = feat.loc[out["matched_quartier"], col].to_numpy()
    out = out.sort_values(["funded_quartier", "distance"], kind="stable")
    out.insert(2, "rank", out.groupby("funded_quartier").cumcount() + 1)
    return out.reset_index(drop=True)
