"""The inputs of a projection: effects (per outcome, with SE and provenance), dose shapes and the
panel's base-year arrays, and an allocation's EUR per quartier aligned to them.

Units: effects in percentage points per EUR per resident per year; doses in EUR per resident per
year. The model is stated once in :mod:`llq_analysis.policy.projection`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .prepared import PreparedPanel, _column_at, _pcol, _year_rows

__all__ = ["OUTCOMES", "RETURNS", "TOTAL", "parse_effects", "response"]


#: outcome -> (person base column, direction: -1 = lower is better, +1 = higher is better)
OUTCOMES: dict[str, tuple[str | None, int]] = {
    "sgb2_rate": ("population_below_retirement_age", -1),
    "sgb2_rate_u15": ("population_u15", -1),
    "unemployment_rate": (None, -1),
    "turnout_buergerschaft": ("electorate_buergerschaft", +1),
    "turnout_bundestag": ("electorate_bundestag", +1),
}
ELECTION_OUTCOMES = ("turnout_buergerschaft", "turnout_bundestag")
RETURNS = ("linear", "log", "saturation")
TOTAL = "Land Bremen"  # label of the two cities together (the state)


# ============================================================================ pieces


def response(d: np.ndarray, returns: str = "linear", *, ref: float = 1.0, k: float | None = None) -> np.ndarray:
    """Dose shape f(d) (EUR per resident -> effective dose), equal to d at the reference dose."""
    d = np.asarray(d, dtype=float)
    if returns == "linear":
        return d
    k = ref if k is None else float(k)
    if not (ref > 0 and k > 0):
        raise ValueError(f"ref_dose and half_saturation must be > 0 (got {ref}, {k})")
    if returns == "log":
        return ref * np.log1p(d / k) / math.log1p(ref / k)
    if returns == "saturation":
        return d * (k + ref) / (k + d)
    raise ValueError(f"returns must be one of {RETURNS}, got {returns!r}")


@dataclass(frozen=True)
class _Effect:
    outcome: str
    estimate: float
    se: float
    provenance: str
    label: str
    dose_range: tuple[float, float] | None = None


def _one_effect(obj: Any, outcome: str | None) -> _Effect:
    if hasattr(obj, "estimate") and hasattr(obj, "se"):
        spec = getattr(obj, "spec", {}) or {}
        out = outcome or spec.get("outcome") or "sgb2_rate"
        dr = spec.get("dose_range") or (getattr(obj, "extras", {}) or {}).get("dose_range")
        return _Effect(out, float(obj.estimate), float(obj.se), str(getattr(obj, "provenance", "user")),
                       str(getattr(obj, "method", "result")), None if dr is None else (float(dr[0]), float(dr[1])))
    if isinstance(obj, Mapping):
        if "estimate" not in obj:
            raise ValueError(f"effect for {outcome}: expected {{'estimate': ..., 'se': ...}}, found {dict(obj)}")
        return _Effect(outcome or "sgb2_rate", float(obj["estimate"]), float(obj.get("se", 0.0)),
                       str(obj.get("provenance", "assumed")), str(obj.get("label", "assumed")))
    if isinstance(obj, (tuple, list)) and len(obj) == 2:
        return _Effect(outcome or "sgb2_rate", float(obj[0]), float(obj[1]), "assumed", "assumed")
    if isinstance(obj, (int, float, np.floating, np.integer)) and not isinstance(obj, bool):
        return _Effect(outcome or "sgb2_rate", float(obj), 0.0, "assumed", "assumed")
    raise TypeError(f"effect: expected an impact result (.estimate, .se), a number, (estimate, se), "
                    f"a dict with 'estimate'/'se', or outcome -> one of these; got {type(obj).__name__}")


def parse_effects(effect: Any) -> list[_Effect]:
    """Normalise ``effect`` to a list of per-outcome effects (units: pp per EUR per resident per year)."""
    if isinstance(effect, Mapping) and "estimate" not in effect:
        effs = [_one_effect(v, str(k)) for k, v in effect.items()]
    else:
        effs = [_one_effect(effect, None)]
    for e in effs:
        if e.outcome not in OUTCOMES:
            import difflib

            near = difflib.get_close_matches(e.outcome, list(OUTCOMES), n=1)
            raise ValueError(f"effect: unknown outcome {e.outcome!r}"
                             + (f"; nearest: {near[0]!r}" if near else f"; one of {list(OUTCOMES)}"))
        if not (math.isfinite(e.estimate) and math.isfinite(e.se) and e.se >= 0):
            raise ValueError(f"effect for {e.outcome}: estimate must be finite and se >= 0 "
                             f"(got {e.estimate}, {e.se})")
    if len({e.outcome for e in effs}) != len(effs):
        raise ValueError("effect: more than one effect for the same outcome")
    return effs


@dataclass
class _Base:
    """Base-year arrays of the panel, aligned to ``ids``."""

    ids: np.ndarray
    city: np.ndarray
    pop: np.ndarray
    year: int
    values: dict[str, np.ndarray]
    bases: dict[str, np.ndarray]
    value_years: dict[str, int]
    dose_obs: tuple[float, float, float]  # min, max, mean of positive observed doses
    provenance: str


def _panel_base(panel: Any, year: int | None, outcomes: Sequence[str],
                dose_column: str = "llq_eur_per_capita") -> _Base:
    if isinstance(panel, PreparedPanel):
        key = ("base", year, tuple(outcomes), dose_column)
        return panel.memo(key, lambda: _panel_base_impl(panel, year, outcomes, dose_column))
    return _panel_base_impl(panel, year, outcomes, dose_column)


def _panel_base_impl(panel: Any, year: int | None, outcomes: Sequence[str], dose_column: str) -> _Base:
    need = ["quartier_id", "city", "year", "population"]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise ValueError(f"panel: column(s) {missing} missing")
    ids = pd.unique(_pcol(panel, "quartier_id", text=True))
    years, tgt, _ = _year_rows(panel, ids)
    yr = int(years.max()) if year is None else int(year)
    if not (years == yr).any():
        raise ValueError(f"panel has no rows for year {yr}")
    n = len(ids)
    city = np.empty(n, dtype=object)
    rows = np.flatnonzero(years == yr)
    city[tgt[rows]] = _pcol(panel, "city", text=True)[rows]
    pop, _ = _column_at(panel, "population", years, tgt, n, yr)
    values, bases, vy = {}, {}, {}
    for o in outcomes:
        if o not in panel.columns:
            raise ValueError(f"panel: outcome column {o!r} missing")
        values[o], vy[o] = _column_at(panel, o, years, tgt, n, yr, latest=o in ELECTION_OUTCOMES)
        bcol = OUTCOMES[o][0]
        if bcol is not None and bcol in panel.columns:
            bases[o], _ = _column_at(panel, bcol, years, tgt, n, vy[o])
        else:
            bases[o] = np.full(n, np.nan)
    if dose_column in panel.columns:
        dv = _pcol(panel, dose_column)
        dv = dv[dv > 0]
        dose = (float(dv.min()), float(dv.max()), float(dv.mean())) if len(dv) else (np.nan, np.nan, np.nan)
    else:
        dose = (np.nan, np.nan, np.nan)
    prov = "user"
    if "provenance" in panel.columns:
        kinds = {str(k).split(":", 1)[0].strip() for k in pd.unique(_pcol(panel, "provenance", text=True))}
        prov = "simulated" if "simulated" in kinds else (kinds.pop() if len(kinds) == 1 else "mixed")
    return _Base(ids=ids, city=city, pop=pop, year=yr, values=values, bases=bases, value_years=vy,
                 dose_obs=dose, provenance=prov)


def _allocation_amounts(allocation: pd.DataFrame, base: _Base, unattributed: str) -> tuple[np.ndarray, dict[str, float]]:
    """EUR per quartier aligned to base.ids, and unattributed EUR per city."""
    for c in ("quartier_id", "city", "amount_eur"):
        if c not in allocation.columns:
            raise ValueError(f"allocation: column {c!r} missing (expected the output of allocate())")
    qid = allocation["quartier_id"].to_numpy(dtype=object, na_value="")
    if "amount_cents" in allocation.columns:
        amt = allocation["amount_cents"].to_numpy(dtype=float) / 100
    else:
        amt = allocation["amount_eur"].to_numpy(dtype=float)
    if np.isnan(amt).any() or (amt < 0).any():
        raise ValueError("allocation: amount_eur must be >= 0 and not empty")
    cities = allocation["city"].to_numpy(dtype=object)
    un = qid == ""
    pos = pd.Index(base.ids).get_indexer(qid)
    bad = ~un & (pos < 0)
    if bad.any():
        raise ValueError(f"allocation: quartier(s) {sorted(set(qid[bad]))[:5]} not in the panel")
    x = np.bincount(pos[~un], weights=amt[~un], minlength=len(base.ids))
    unattr = {c: float(amt[un & (cities == c)].sum()) for c in pd.unique(base.city)}
    if unattributed == "population":
        for c, v in unattr.items():
            m = (base.city == c) & (base.pop > 0)
            if v > 0 and m.any():
                x[m] += v * base.pop[m] / base.pop[m].sum()
    elif unattributed != "exclude":
        raise ValueError(f"unattributed must be 'exclude' or 'population', got {unattributed!r}")
    return x, unattr


def _quantile_pos(n: int, qs: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Lower order-statistic index and interpolation weight of numpy's 'linear' quantile."""
    h = (n - 1) * np.asarray(qs, dtype=float)
    lo = np.floor(h).astype(int)
    return lo, h - lo
