"""The budget split of a scenario tree to cities and strands, in whole cents (largest remainder).

Money flows top down in integer cents; each split uses Hamilton's largest-remainder method, so
every level sums to its parent exactly.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import InfeasibleAllocationError
from .scenario_tree import CITIES, _v

__all__ = ["largest_remainder"]


def _cents(eur: float) -> int:
    return int(round(float(eur) * 100))


def _round_capped(quota: np.ndarray, total: int, lo: np.ndarray, hi: np.ndarray,
                  priority: np.ndarray | None = None) -> np.ndarray:
    """Whole cents close to ``quota`` (largest remainder) with ``lo <= x <= hi`` and sum == total.

    Equal remainders are broken by ``priority`` (higher first; e.g. the need index, so that more
    need never gets a cent less), then by position.
    """
    fl = np.floor(quota + 1e-7)
    fl = np.minimum(np.maximum(fl, lo), hi)
    x = fl.astype(np.int64)
    r = int(total - x.sum())
    rem = np.round(quota - fl, 9)  # remainders equal up to float noise count as ties
    pr = np.zeros(len(x)) if priority is None else np.nan_to_num(np.asarray(priority, float), nan=-np.inf)
    guard = 0
    while r != 0:
        guard += 1
        if guard > 1000:  # pragma: no cover - only on inconsistent inputs
            raise InfeasibleAllocationError("rounding to cents could not meet the floors/caps")
        if r > 0:
            room = np.flatnonzero(x < hi)
            if len(room) == 0:
                raise InfeasibleAllocationError("rounding to cents: every quartier is at its cap")
            order = room[np.lexsort((room, -pr[room], -rem[room]))]
            take = order[:r]
            x[take] += 1
            rem[take] -= 1
        else:
            room = np.flatnonzero(x > lo)
            if len(room) == 0:
                raise InfeasibleAllocationError("rounding to cents: every quartier is at its floor")
            order = room[np.lexsort((-room, pr[room], rem[room]))]
            take = order[:-r]
            x[take] -= 1
            rem[take] += 1
        r = int(total - x.sum())
    return x


def largest_remainder(total_cents: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total_cents`` (int) in proportion to ``weights`` into whole cents summing exactly.

    Hamilton's largest-remainder method: floors of the exact quotas, the leftover cents to the
    largest remainders (ties: first position). Weights must be >= 0 with a positive sum.
    """
    w = np.asarray(weights, dtype=float)
    n = len(w)
    return _round_capped(total_cents * w / w.sum(), int(total_cents), np.zeros(n, np.int64),
                         np.full(n, np.inf))


def _city_cents(tree: Mapping) -> dict[str, int]:
    total = _cents(_v(tree["budget"]["total_eur"]))
    shares = np.array([float(_v(tree["budget"]["city_share"][c])) for c in CITIES])
    if shares.sum() <= 0:
        return dict.fromkeys(CITIES, 0)
    return dict(zip(CITIES, (int(x) for x in largest_remainder(total, shares)), strict=True))


def _strand_cents(tree: Mapping, city: str, city_cents: int) -> list[tuple[str, Mapping, int]]:
    strands = ((tree.get("cities") or {}).get(city) or {}).get("strands") or {}
    if not strands:
        return []
    names = list(strands)
    shares = np.array([float(_v(strands[s]["share"])) for s in names])
    cents = largest_remainder(city_cents, shares) if shares.sum() > 0 else np.zeros(len(names), np.int64)
    return [(s, strands[s], int(c)) for s, c in zip(names, cents, strict=True)]
