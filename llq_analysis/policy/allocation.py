"""Allocation of a :class:`~llq_analysis.policy.scenarios.Scenario` to quartiers, to the cent.

Money flows top down in **integer cents**: total -> cities (``budget.city_share``) -> strands
(``share`` of the city budget) -> quartiers (the strand's ``rule``). Each split uses
largest-remainder rounding (Hamilton's method), so every level sums to its parent exactly.

Allocation rules of a strand (``rule``):

``fixed``
    the listed ``amounts`` (quartier -> EUR; the key ``stadtweit`` is money not attributed to a
    quartier). When the strand budget differs from their sum they are scaled proportionally.
``equal``
    the same amount to every eligible quartier.
``population``
    proportional to residents.
``need``
    proportional to a need weight from :func:`need_index` (``need_transform``: ``positive`` =
    only above-average need, in proportion to the excess; ``shift`` = index minus the lowest
    eligible index; ``rank``), times residents when ``per_capita: true`` (default).
``hybrid``
    ``base_share`` by ``base_rule`` (``equal`` or ``population``), the rest by need.
``citywide``
    one row with an empty ``quartier_id`` (money not attributed to any quartier, e.g. a
    project-based pot); the projection does not attribute it to residents.

Options of every strand: ``eligibility`` (``top_k`` neediest, ``min_index``, explicit
``quartiers``, ``min_population``, default 1 resident for the non-fixed rules), ``floor_eur`` /
``cap_eur`` / ``cap_eur_per_capita`` (per quartier) and per-quartier ``floors`` / ``caps``.
Floors and caps are met exactly (a capped proportional split, solved exactly on its breakpoints)
or :class:`~llq_analysis.errors.InfeasibleAllocationError` names the constraint.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InfeasibleAllocationError, ScenarioError
from .budget import _cents, _city_cents, _round_capped, _strand_cents, largest_remainder
from .need import _need_array, _shrink_of, need_index
from .prepared import PreparedPanel, _column_at, _pcol, _year_rows, prepare_panel
from .scenario_tree import (
    CITIES,
    DEFAULT_NEED_INDICATORS,
    UNATTRIBUTED,
    UNATTRIBUTED_ID,
    _fmt_eur,
    _strand_path,
    _v,
)
from .scenarios import Scenario

__all__ = ["allocate", "need_index", "largest_remainder", "capped_proportional", "prepare_panel",
           "PreparedPanel"]


# ============================================================================ money splitting


def capped_proportional(total: int, w: np.ndarray, lo: np.ndarray, hi: np.ndarray, *,
                        what: str = "allocation", priority: np.ndarray | None = None) -> np.ndarray:
    """Whole cents ``x = clip(lam * w, lo, hi)`` with ``sum(x) == total`` (exact breakpoint solve).

    ``lo``/``hi`` in cents (``hi`` may be ``inf``). Monotone: a larger weight never gets less
    (for equal floors/caps). Raises :class:`InfeasibleAllocationError` naming ``what``.
    """
    w = np.asarray(w, dtype=float)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    if lo.sum() > total:
        raise InfeasibleAllocationError(
            f"{what}: floors sum to {_fmt_eur(lo.sum() / 100, 'en')} but the budget is "
            f"{_fmt_eur(total / 100, 'en')}")
    pos = w > 0
    cap_total = lo[~pos].sum() + hi[pos].sum()
    if total > cap_total:
        why = "caps" if pos.any() else "weights (all zero)"
        raise InfeasibleAllocationError(
            f"{what}: {why} allow at most {_fmt_eur(cap_total / 100, 'en')} but the budget is "
            f"{_fmt_eur(total / 100, 'en')}")
    if total == lo.sum() or not pos.any():
        return lo.astype(np.int64)
    wp = w[pos]
    bps = np.unique(np.concatenate([lo[pos] / wp, hi[pos][np.isfinite(hi[pos])] / wp[np.isfinite(hi[pos])]]))

    def s_of(lam):
        q = np.clip(np.multiply.outer(np.atleast_1d(lam), w), lo, hi)
        q[:, ~pos] = lo[~pos]
        return q.sum(axis=1)

    sv = s_of(bps)
    k = int(np.searchsorted(sv, total, side="left"))
    if k < len(bps):
        if k == 0:
            lam = bps[0]
        else:
            a, b = bps[k - 1], bps[k]
            sa, sb = sv[k - 1], sv[k]
            lam = a + (total - sa) * (b - a) / (sb - sa) if sb > sa else b
    else:
        slope = wp[~np.isfinite(hi[pos])].sum()
        lam = bps[-1] + (total - sv[-1]) / slope
    quota = np.clip(lam * w, lo, hi)
    quota[~pos] = lo[~pos]
    return _round_capped(quota, int(total), lo, hi, priority)


# ============================================================================ allocation


@dataclass
class _Geo:
    ids: np.ndarray
    city: np.ndarray
    pop: np.ndarray
    need: np.ndarray
    year: int | None
    pos: dict[str, int]


def _geo(scenario: Scenario, quartiers: pd.DataFrame, panel: pd.DataFrame | None,
         year: int | None, needs_index: bool) -> _Geo:
    for c in ("quartier_id", "city"):
        if c not in quartiers.columns:
            raise ScenarioError(f"quartiers: column {c!r} missing (expected quartier_id, city, population)")
    ids = quartiers["quartier_id"].to_numpy().astype(str)
    pos = {q: i for i, q in enumerate(ids)}
    if len(pos) != len(ids):
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].tolist()
        raise ScenarioError(f"quartiers: duplicated quartier_id {dup[:5]}")
    city = quartiers["city"].to_numpy().astype(str)
    yr = year if year is not None else scenario.get("year")
    q_pop = (quartiers["population"].to_numpy(dtype=float, na_value=np.nan)
             if "population" in quartiers.columns else None)
    need = np.full(len(ids), np.nan)
    if panel is not None:
        if yr is None:
            yr = int(np.nanmax(_pcol(panel, "year")))
        rows = _year_rows(panel, ids)
        years, tgt, _ = rows
        if not (years == yr).any():
            raise ValueError(f"panel has no rows for year {yr}")
        pop, _ = _column_at(panel, "population", years, tgt, len(ids), int(yr))
        if np.isnan(pop).any():
            if q_pop is None:
                raise ScenarioError(f"panel has no population in {yr} for {list(ids[np.isnan(pop)][:5])}")
            pop = np.where(np.isnan(pop), q_pop, pop)
        ni = scenario.tree.get("need_index") or {}
        ind = {k: float(_v(w)) for k, w in (ni.get("indicators") or DEFAULT_NEED_INDICATORS).items()}
        need, _ = _need_array(panel, ids, city, year=int(yr if ni.get("year") is None else ni["year"]),
                              indicators=ind, standardise=ni.get("standardise", "all"), rows=rows,
                              shrink=_shrink_of(ni))
    else:
        if q_pop is None:
            raise ScenarioError("quartiers: column 'population' missing (or pass panel=)")
        if needs_index:
            raise ScenarioError("this scenario uses a need rule or need-based eligibility: pass panel= "
                                "(the need index is computed from the panel's indicators)")
        pop = q_pop
    if np.isnan(pop).any() or (pop < 0).any():
        bad = ids[np.isnan(pop) | (pop < 0)]
        raise ScenarioError(f"population missing or negative for {list(bad[:5])}")
    return _Geo(ids=ids, city=city, pop=pop, need=need, year=None if yr is None else int(yr), pos=pos)


def _uses_need(tree: Mapping) -> bool:
    for c in CITIES:
        for node in (((tree.get("cities") or {}).get(c) or {}).get("strands") or {}).values():
            el = node.get("eligibility") or {}
            if node["rule"] in ("need", "hybrid") or el.get("top_k") is not None \
                    or el.get("min_index") is not None:
                return True
    return False


def _need_weights(idx: np.ndarray, transform: str) -> np.ndarray:
    if transform == "positive":
        return np.maximum(idx, 0.0)
    if transform == "shift":
        return idx - idx.min() if len(idx) else idx
    return pd.Series(idx).rank(method="average").to_numpy()  # "rank"


def _allocate_strand(tree_node: Mapping, city: str, strand: str, cents: int, geo: _Geo,
                     warn: list[str]) -> tuple[list[int], np.ndarray, bool]:
    """Indices into geo (-1 = unattributed) and whole cents for one strand."""
    path = _strand_path(city, strand)
    rule = tree_node["rule"]
    if rule == "citywide":
        return [-1], np.array([cents], np.int64), False
    in_city = np.flatnonzero(geo.city == city)
    el = tree_node.get("eligibility") or {}
    unattributed_w = 0.0
    if rule == "fixed":
        amounts = tree_node["amounts"]
        unknown = [q for q in amounts if q != UNATTRIBUTED and q not in geo.pos]
        if unknown:
            raise ScenarioError(f"{path}.amounts: quartier(s) {unknown[:5]} not in the quartiers table")
        cand = np.array([geo.pos[q] for q in amounts if q != UNATTRIBUTED], dtype=int)
        wmap = {geo.pos[q]: _cents(_v(a)) for q, a in amounts.items() if q != UNATTRIBUTED}
        unattributed_w = float(_cents(_v(amounts[UNATTRIBUTED]))) if UNATTRIBUTED in amounts else 0.0
        wrong = [geo.ids[i] for i in cand if geo.city[i] != city]
        if wrong:
            raise ScenarioError(f"{path}.amounts: {wrong[:5]} do not lie in {city}")
    else:
        cand = in_city
    min_pop = el.get("min_population", 0 if rule == "fixed" else 1)
    keep = geo.pop[cand] >= float(min_pop)
    if el.get("quartiers") is not None:
        allowed = {geo.pos[q] for q in el["quartiers"] if q in geo.pos}
        keep &= np.isin(cand, list(allowed))
    uses_need = rule in ("need", "hybrid") or el.get("top_k") is not None or el.get("min_index") is not None
    if uses_need:
        nan = np.isnan(geo.need[cand]) & keep
        if nan.any():
            warn.append(f"{path}: no need index for {list(geo.ids[cand[nan]])} (missing indicator or no "
                        "residents); not eligible in this strand")
        keep &= ~np.isnan(geo.need[cand])
        if el.get("min_index") is not None:
            keep &= geo.need[cand] >= float(el["min_index"])
    cand = cand[keep]
    if el.get("top_k") is not None and len(cand) > int(el["top_k"]):
        order = np.argsort(-geo.need[cand], kind="stable")
        cand = np.sort(cand[order[: int(el["top_k"])]])
    n = len(cand)
    floors = np.full(n, float(_cents(_v(tree_node.get("floor_eur", 0)))))
    caps = np.full(n, np.inf if tree_node.get("cap_eur") is None else float(_cents(_v(tree_node["cap_eur"]))))
    cpc = tree_node.get("cap_eur_per_capita")
    if cpc is not None:
        caps = np.minimum(caps, np.floor(float(_v(cpc)) * geo.pop[cand] * 100 + 1e-6))
    pos_in = {int(i): j for j, i in enumerate(cand)}
    for q, a in (tree_node.get("floors") or {}).items():
        if geo.pos.get(q) not in pos_in:
            if _cents(_v(a)) > 0:
                raise InfeasibleAllocationError(
                    f"{path}.floors.{q}: floor {_fmt_eur(float(_v(a)), 'en')} for a quartier that is not "
                    "eligible in this strand (see its rule and eligibility)")
            continue
        floors[pos_in[geo.pos[q]]] = _cents(_v(a))
    for q, a in (tree_node.get("caps") or {}).items():
        if geo.pos.get(q) in pos_in:
            caps[pos_in[geo.pos[q]]] = _cents(_v(a))
    bad = np.flatnonzero(caps < floors)
    if len(bad):
        q = geo.ids[cand[bad[0]]]
        raise InfeasibleAllocationError(f"{path}: cap below floor for {q} "
                                        f"({caps[bad[0]] / 100:.2f} < {floors[bad[0]] / 100:.2f} EUR; "
                                        "cap_eur_per_capita x residents may be the binding cap)")
    if rule == "fixed":
        w = np.array([wmap[int(i)] for i in cand], dtype=float)
    elif rule == "equal":
        w = np.ones(n)
    elif rule == "population":
        w = geo.pop[cand].astype(float)
    else:
        nw = _need_weights(geo.need[cand], tree_node.get("need_transform", "positive"))
        if tree_node.get("per_capita", True):
            nw = nw * geo.pop[cand]
        if rule == "need":
            w = nw
        else:
            bs = float(_v(tree_node.get("base_share", 0.5)))
            bw = np.ones(n) if tree_node.get("base_rule", "equal") == "equal" else geo.pop[cand].astype(float)
            w = (bs * bw / bw.sum() if bw.sum() > 0 else 0.0) + \
                ((1 - bs) * nw / nw.sum() if nw.sum() > 0 else 0.0)
            w = np.asarray(w, dtype=float) * np.ones(n)
    idx = [int(i) for i in cand]
    if unattributed_w > 0:
        w = np.append(w, unattributed_w)
        floors = np.append(floors, 0.0)
        caps = np.append(caps, np.inf)
        idx.append(-1)
    if cents > 0 and len(idx) == 0:
        raise InfeasibleAllocationError(f"{path}: no eligible quartier (rule {rule!r}, eligibility {dict(el)})")
    if cents > 0 and not (w > 0).any() and floors.sum() < cents:
        raise InfeasibleAllocationError(
            f"{path}: all weights are zero among the {len(idx)} eligible quartiers (rule {rule!r}"
            + (", need_transform 'positive': no eligible quartier has above-average need" if rule in
               ("need", "hybrid") else "") + ")")
    prio = None
    if uses_need:
        prio = geo.need[[i for i in idx if i >= 0]]
        if len(prio) < len(idx):
            prio = np.append(prio, -np.inf)
    x = capped_proportional(cents, w, floors, caps, what=path, priority=prio)
    return idx, x, uses_need


def allocate(scenario: Scenario, quartiers: pd.DataFrame, *, panel: pd.DataFrame | None = None,
             year: int | None = None) -> pd.DataFrame:
    """Allocate a scenario's budget to quartiers, in whole cents, conserving money exactly.

    Parameters
    ----------
    scenario : a validated :class:`Scenario`
    quartiers : table with ``quartier_id``, ``city`` (and ``population`` when no panel is given)
    panel : quartier x year panel (or its :func:`prepare_panel` snapshot, for many fast calls);
        needed for need rules (need index) and used for population
    year : reference year for population and need (default: the scenario's ``year``, else the
        panel's latest year)

    Returns
    -------
    DataFrame with one row per strand and eligible quartier: ``quartier_id`` (``""`` = money not
    attributed to a quartier, e.g. a city-wide pot), ``city``, ``strand``, ``label``, ``rule``,
    ``amount_eur`` (EUR per year), ``amount_cents`` (int, exact), ``population``,
    ``eur_per_capita`` (EUR per resident per year; NaN for unattributed rows) and ``need_index``.
    Sum of ``amount_cents`` == budget in cents, per city and per strand. ``attrs`` hold the
    scenario name, year and warnings (quartiers without a need index).
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"expected a Scenario, got {type(scenario).__name__}")
    geo = _geo(scenario, quartiers, panel, year, _uses_need(scenario.tree))
    known_missing = [q for q in _scenario_ids(scenario.tree) if q not in geo.pos]
    if known_missing:
        raise ScenarioError(f"scenario names quartier(s) not in the quartiers table: {known_missing[:10]}")
    warn: list[str] = []
    rows_idx: list[int] = []
    rows_x: list[np.ndarray] = []
    rows_meta: list[tuple[str, str, str, str, int]] = []
    cc = _city_cents(scenario.tree)
    for c in CITIES:
        for s, node, cents in _strand_cents(scenario.tree, c, cc[c]):
            idx, x, _ = _allocate_strand(node, c, s, cents, geo, warn)
            rows_idx += idx
            rows_x.append(x)
            rows_meta.append((c, s, str(node.get("label", s)), node["rule"], len(idx)))
    idx = np.array(rows_idx, dtype=int)
    cents = np.concatenate(rows_x) if rows_x else np.zeros(0, np.int64)
    attributed = idx >= 0
    safe = np.where(attributed, idx, 0)
    pop = np.where(attributed, geo.pop[safe], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        epc = np.where(attributed & (pop > 0), cents / 100 / pop, np.nan)
    rep = [m[4] for m in rows_meta]
    out = pd.DataFrame({
        "quartier_id": np.where(attributed, geo.ids[safe], UNATTRIBUTED_ID),
        "city": np.repeat([m[0] for m in rows_meta], rep),
        "strand": np.repeat([m[1] for m in rows_meta], rep),
        "label": np.repeat([m[2] for m in rows_meta], rep),
        "rule": np.repeat([m[3] for m in rows_meta], rep),
        "amount_eur": cents / 100,
        "amount_cents": cents.astype(np.int64),
        "population": pop,
        "eur_per_capita": epc,
        "need_index": np.where(attributed, geo.need[safe], np.nan),
    })
    out.attrs = {"scenario": scenario.name, "year": geo.year, "warnings": tuple(warn),
                 "budget_cents": int(sum(cc.values()))}
    for w in warn:
        warnings.warn(w, UserWarning, stacklevel=2)
    return out


def _scenario_ids(tree: Mapping) -> list[str]:
    ids: list[str] = []
    for c in CITIES:
        for node in (((tree.get("cities") or {}).get(c) or {}).get("strands") or {}).values():
            for k in ("amounts", "floors", "caps"):
                ids += [q for q in (node.get(k) or {}) if q != UNATTRIBUTED]
            ids += list((node.get("eligibility") or {}).get("quartiers") or [])
    return list(dict.fromkeys(ids))
