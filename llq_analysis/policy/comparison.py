"""Comparing scenarios: EUR per resident, targeting (share to the neediest, concentration index)
and projected effects with paired intervals (the same effect draws for every scenario)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .effects import OUTCOMES, TOTAL, _panel_base, parse_effects

__all__ = ["compare_scenarios", "ScenarioComparison", "concentration_index", "share_to_neediest"]


# ============================================================================ targeting


def concentration_index(amount: np.ndarray, need: np.ndarray, population: np.ndarray) -> float:
    """Concentration index of money against need (population-weighted; in [-1, 1]).

    Quartiers are ranked from least to most needy; ``C = 2/mu * sum_i w_i y_i R_i - 1`` with
    ``w_i`` population shares, ``y_i`` EUR per resident, ``mu = sum w_i y_i`` and ``R_i`` the
    fractional rank (midpoint of the cumulative population share) - the grouped-data formula of
    Kakwani, Wagstaff & van Doorslaer (1997, J. Econometrics 77: 87-103); O'Donnell et al. (2008),
    *Analyzing Health Equity Using Household Survey Data*, ch. 8. **C > 0: money is concentrated
    in needier quartiers**; 0: proportional to population; C < 0: in less needy ones. Equals
    1 - 2 x the area under the concentration curve (tested).
    """
    a = np.asarray(amount, float)
    nd = np.asarray(need, float)
    p = np.asarray(population, float)
    ok = ~np.isnan(nd) & (p > 0)
    a, nd, p = a[ok], nd[ok], p[ok]
    if a.sum() <= 0:
        return float("nan")
    order = np.argsort(nd, kind="stable")
    a, p = a[order], p[order]
    w = p / p.sum()
    y = a / p
    mu = (w * y).sum()
    rk = np.cumsum(w) - w / 2
    return float(2 / mu * (w * y * rk).sum() - 1)


def share_to_neediest(amount: np.ndarray, need: np.ndarray, population: np.ndarray,
                      fraction: float = 0.2) -> float:
    """Share of the (attributed) money going to the neediest ``fraction`` of quartiers (by count).

    Quartiers without residents or need index are left out; the top ``ceil(fraction x n)`` by
    need index form the group.
    """
    a = np.asarray(amount, float)
    nd = np.asarray(need, float)
    p = np.asarray(population, float)
    ok = ~np.isnan(nd) & (p > 0)
    if a[ok].sum() <= 0:
        return float("nan")
    k = max(1, math.ceil(fraction * ok.sum()))
    top = np.argsort(-nd[ok], kind="stable")[:k]
    return float(a[ok][top].sum() / a[ok].sum())


# ============================================================================ comparison


@dataclass(frozen=True)
class ScenarioComparison:
    """Side-by-side comparison of scenarios (frozen): money, targeting, projected effects.

    Frames: ``money`` (scenario x city), ``quartiers`` (scenario x quartier), ``targeting``
    (scenario x area: share to the neediest fifth, concentration index), ``effects``
    (scenario x city x outcome, with intervals) and ``differences`` (each scenario minus the
    reference, from paired draws: the same effect draws for every scenario).
    """

    money: pd.DataFrame
    quartiers: pd.DataFrame
    targeting: pd.DataFrame
    effects: pd.DataFrame
    differences: pd.DataFrame
    scenarios: tuple[str, ...]
    spec: Mapping[str, Any] = field(default_factory=dict)
    provenance: str = "user"
    warnings: tuple[str, ...] = ()

    def to_frame(self, what: str = "summary") -> pd.DataFrame:
        """``summary`` (one row per scenario: money per city, targeting, main effect) or a frame name."""
        if what != "summary":
            return getattr(self, what).copy()
        rows = []
        o = self.spec.get("main_outcome")
        for s in self.scenarios:
            row = {"scenario": s}
            m = self.money[self.money["scenario"] == s].set_index("city")
            for c in m.index:
                row[f"eur_{c}"] = m.loc[c, "amount_eur"]
                row[f"eur_per_capita_{c}"] = m.loc[c, "eur_per_capita"]
            t = self.targeting[(self.targeting["scenario"] == s) & (self.targeting["area"] == TOTAL)]
            if len(t):
                row["share_neediest_fifth"] = t["share_neediest_fifth"].iloc[0]
                row["concentration_index"] = t["concentration_index"].iloc[0]
            if o is not None and len(self.effects):
                e = self.effects[(self.effects["scenario"] == s) & (self.effects["city"] == TOTAL)
                                 & (self.effects["outcome"] == o)]
                if len(e):
                    for k in ("change_pp", "change_pp_low", "change_pp_high", "persons", "persons_low",
                              "persons_high"):
                        row[f"{o}_{k}"] = e[k].iloc[0]
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self, lang: str = "de") -> str:
        """Text table of the summary frame (German by default)."""
        from .projection import _TXT

        head = "Szenarienvergleich" if lang == "de" else "Scenario comparison"
        lines = [head, self.to_frame().to_string(index=False)]
        if self.provenance == "simulated":
            lines.append(_TXT[lang]["sim"])
        ep = self.spec.get("effect_provenance", {})
        if any(v == "assumed" for v in ep.values()):
            lines.append("Wirkung: Annahme, keine Schätzung." if lang == "de" else "Effect: assumed, not estimated.")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)

    def plot(self, kind: str = "money", *, outcome: str | None = None, lang: str = "de"):
        """``kind``: ``money`` (EUR per resident by city), ``targeting`` (EUR per resident vs need),
        ``effects`` (projected change with intervals)."""
        from ..outputs import plots

        if kind == "money":
            return plots.scenario_money_plot(self, lang=lang)
        if kind == "targeting":
            return plots.scenario_targeting_plot(self, lang=lang)
        if kind == "effects":
            return plots.scenario_effects_plot(self, outcome=outcome, lang=lang)
        raise ValueError("kind must be 'money', 'targeting' or 'effects'")


def compare_scenarios(scenarios: Sequence[Any] | Mapping[str, Any], quartiers: pd.DataFrame, *,
                      panel: pd.DataFrame, effect: Any = None, draws: int = 2000, seed: int | None = 0,
                      year: int | None = None, reference: int | str = 0, fraction: float = 0.2,
                      **project_kwargs: Any) -> ScenarioComparison:
    """Compare scenarios: EUR per resident, targeting and projected effects with intervals.

    ``scenarios``: Scenarios (or paths to YAML files), a list or name -> scenario. The need index
    used for targeting is the *reference* scenario's (so all are judged by the same yardstick).
    With ``effect`` (see :func:`project`) every scenario is projected with the **same** effect
    draws, so ``differences`` (scenario minus reference) have paired, honest intervals.
    """
    from .allocation import allocate
    from .need import _need_array
    from .prepared import prepare_panel
    from .projection import project
    from .scenarios import Scenario, load_scenario

    panel = prepare_panel(panel)  # one snapshot for every allocate/project below
    if isinstance(scenarios, Mapping):
        items = [(str(k), v) for k, v in scenarios.items()]
    else:
        items = [(None, v) for v in scenarios]
    if not items:
        raise ValueError("compare_scenarios: no scenarios given")
    loaded: list[tuple[str, Scenario]] = []
    for name, s in items:
        sc = s if isinstance(s, Scenario) else load_scenario(s)
        loaded.append((name or sc.name, sc))
    names = [n for n, _ in loaded]
    if len(set(names)) != len(names):
        raise ValueError(f"compare_scenarios: scenario names must be unique, got {names}")
    ref_i = names.index(reference) if isinstance(reference, str) else int(reference)
    ref = loaded[ref_i][1]
    allocs = [(n, allocate(s, quartiers, panel=panel, year=year)) for n, s in loaded]
    yr = allocs[ref_i][1].attrs.get("year")
    ids = quartiers["quartier_id"].astype(str).to_numpy()
    cityq = quartiers["city"].astype(str).to_numpy()
    ni = ref.tree.get("need_index") or {}
    from .scenario_tree import DEFAULT_NEED_INDICATORS, _v

    ind = {k: float(_v(w)) for k, w in (ni.get("indicators") or DEFAULT_NEED_INDICATORS).items()}
    from .need import _shrink_of

    need, _ = _need_array(panel, ids, cityq, year=int(ni.get("year") or yr), indicators=ind,
                          standardise=ni.get("standardise", "all"), shrink=_shrink_of(ni))
    base = _panel_base(panel, yr, [])
    pop = pd.Series(base.pop, index=base.ids).reindex(ids).to_numpy()
    money, qrows, targ = [], [], []
    for n, a in allocs:
        qid = a["quartier_id"].to_numpy()
        amt = a["amount_cents"].to_numpy() / 100
        pos = pd.Index(ids).get_indexer(qid)
        xq = np.bincount(pos[pos >= 0], weights=amt[pos >= 0], minlength=len(ids))
        for c in [*pd.unique(cityq), TOTAL]:
            m = np.ones(len(ids), bool) if c == TOTAL else cityq == c
            am = a["amount_cents"].to_numpy()[(a["city"].to_numpy() == c) | (c == TOTAL)].sum() / 100
            unat = amt[(qid == "") & ((a["city"].to_numpy() == c) | (c == TOTAL))].sum()
            money.append({"scenario": n, "city": c, "amount_eur": am, "unattributed_eur": unat,
                          "population": pop[m].sum(), "eur_per_capita": am / pop[m].sum()})
            targ.append({"scenario": n, "area": c,
                         "share_neediest_fifth": share_to_neediest(xq[m], need[m], pop[m], fraction),
                         "concentration_index": concentration_index(xq[m], need[m], pop[m]),
                         "unattributed_share": unat / am if am > 0 else np.nan})
        with np.errstate(divide="ignore", invalid="ignore"):
            qrows.append(pd.DataFrame({"scenario": n, "quartier_id": ids, "city": cityq, "amount_eur": xq,
                                       "population": pop, "eur_per_capita": np.where(pop > 0, xq / pop, np.nan),
                                       "need_index": need}))
    effects = pd.DataFrame()
    diffs = pd.DataFrame()
    warn: list[str] = []
    eprov: dict[str, str] = {}
    main = None
    if effect is not None:
        effs = parse_effects(effect)
        main = effs[0].outcome
        outs = [e.outcome for e in effs]
        pbase = _panel_base(panel, yr, outs, project_kwargs.get("dose_column", "llq_eur_per_capita"))
        rng = np.random.default_rng(seed)
        beta = {e.outcome: (rng.normal(e.estimate, e.se, draws) if e.se > 0 else np.full(draws, e.estimate))
                for e in effs}
        projs = {}
        for n, a in allocs:
            with warnings.catch_warnings(record=True) as rec:
                warnings.simplefilter("always")
                projs[n] = project(a, effect=effect, panel=panel, draws=draws, seed=seed, year=yr,
                                   _base=pbase, _beta=beta, **project_kwargs)
            warn += [f"{n}: {w.message}" for w in rec]
        effects = pd.concat([p.cities.assign(scenario=n) for n, p in projs.items()], ignore_index=True)
        effects = effects[["scenario", *[c for c in effects.columns if c != "scenario"]]]
        eprov = dict(projs[names[ref_i]].effect_provenance)
        level = project_kwargs.get("level", 0.95)
        qs = [(1 - level) / 2, 1 - (1 - level) / 2]
        rows = []
        for n in names:
            for o in outs:
                for c, dr in projs[n].draws[o].items():
                    dd = dr - projs[names[ref_i]].draws[o][c]
                    rows.append({"scenario": n, "reference": names[ref_i], "city": c, "outcome": o,
                                 "difference": float(np.mean(dd)), "difference_low": float(np.quantile(dd, qs[0])),
                                 "difference_high": float(np.quantile(dd, qs[1])),
                                 "unit": "persons" if OUTCOMES[o][0] else "pp",
                                 "p_better": float(np.mean(OUTCOMES[o][1] * dd > 0))})
        diffs = pd.DataFrame(rows)
        prov = "simulated" if any(p.provenance == "simulated" for p in projs.values()) else \
            next(iter(projs.values())).provenance
    else:
        prov = base.provenance
    return ScenarioComparison(
        money=pd.DataFrame(money), quartiers=pd.concat(qrows, ignore_index=True), targeting=pd.DataFrame(targ),
        effects=effects, differences=diffs, scenarios=tuple(names),
        spec={"year": yr, "reference": names[ref_i], "fraction": fraction, "main_outcome": main,
              "draws": draws, "seed": seed, "effect_provenance": eprov, "need_weights": ind,
              **{k: v for k, v in project_kwargs.items() if k not in ("_base", "_beta")}},
        provenance=prov, warnings=tuple(dict.fromkeys(warn)))
