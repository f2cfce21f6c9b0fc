"""The explorer's control model (no widgets): :class:`Controls`, the scenario diff it stands for,
linked shares, and the YAML export that :func:`load_scenario` reads back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...i18n import t

RULE_CHOICES = ("fixed", "equal", "population", "need", "hybrid")
RETURNS_CHOICES = ("linear", "log", "saturation")
NEED_KEYS = ("sgb2_rate", "sgb2_rate_u15", "unemployment_rate", "turnout_buergerschaft")
NEED_SIGN = {"turnout_buergerschaft": -1.0}  # low turnout = need: the slider shows the magnitude
#: outcomes the explorer projects (the first one drives the summary sentence and the chart)
EFFECT_OUTCOMES = ("sgb2_rate", "sgb2_rate_u15", "turnout_buergerschaft")
DOSE_COLUMN = "llq_eur_per_capita"
CITIES = ("Bremen", "Bremerhaven")
TOTAL = "Land Bremen"  # projection.TOTAL
_UNATTRIBUTED = "stadtweit"



@dataclass(frozen=True)
class Controls:
    """Everything the explorer's controls say (units: shares 0-1, money in EUR per year)."""

    bremen_share: float
    total_eur: float
    strand_shares: Mapping[str, Mapping[str, float]]  # city -> strand -> share of the city budget
    rule: str = "fixed"  # "fixed" = each strand keeps the base scenario's rule
    base_share: float = 0.5  # hybrid: share split equally, the rest by need
    need_weights: Mapping[str, float] = field(default_factory=dict)  # signed, as in the scenario
    floor_eur: float = 0.0
    cap_eur: float = 0.0  # 0 = no cap
    effect_mode: str = "estimated"  # or "assumed"
    assumed: Mapping[str, float] = field(default_factory=dict)  # outcome -> pp per EUR/resident
    assumed_rel_se: float = 0.5  # SE of an assumed effect as a share of its value
    returns: str = "linear"
    lag: int = 0
    horizon: int = 4


def _val(node: Any) -> Any:
    return node.get("value") if isinstance(node, Mapping) and "value" in node else node


def _strands(tree: Mapping, city: str) -> Mapping[str, Any]:
    return ((tree.get("cities") or {}).get(city) or {}).get("strands") or {}


def _attributed(node: Mapping) -> bool:
    """True when a strand gives money to quartiers (not a pure city-wide pot)."""
    if node.get("rule") == "citywide":
        return False
    if node.get("rule") == "fixed":
        return set(node.get("amounts") or {}) != {_UNATTRIBUTED}
    return True


def controls_from_scenario(scenario, *, effects: Mapping[str, Mapping] | None = None) -> Controls:
    """The control values that reproduce ``scenario`` exactly (no changes)."""
    tree = scenario.tree
    shares = {c: {s: float(_val(n["share"])) for s, n in _strands(tree, c).items()} for c in CITIES}
    ind = ((tree.get("need_index") or {}).get("indicators")) or {}
    from ...policy.scenarios import DEFAULT_NEED_INDICATORS

    weights = {k: float(_val(ind[k])) if k in ind else (float(DEFAULT_NEED_INDICATORS.get(k, 0.0))
                                                         if not ind else 0.0) for k in NEED_KEYS}
    assumed = {o: float(effects[o]["estimate"]) if effects and o in effects else 0.0 for o in EFFECT_OUTCOMES}
    return Controls(bremen_share=float(scenario.get("budget.city_share.Bremen")),
                    total_eur=float(scenario.get("budget.total_eur")), strand_shares=shares,
                    need_weights=weights, assumed=assumed,
                    effect_mode="estimated" if effects else "assumed")


def _exact_shares(shares: Mapping[str, float]) -> dict[str, float]:
    """Shares rounded to 1e-9 that sum to 1. The rounding goes to the largest share that is not a
    round number already (a value the user set, such as 0.7, stays exact)."""
    vals = {k: max(0.0, float(v)) for k, v in shares.items()}
    tot = sum(vals.values())
    if tot <= 0:
        vals = dict.fromkeys(vals, 1.0)
        tot = float(len(vals))
    out = {k: round(v / tot, 9) for k, v in vals.items()}
    free = [k for k, v in out.items() if v != round(v, 4)] or list(out)
    big = max(free, key=lambda k: out[k])
    out[big] = round(1.0 - sum(v for k, v in out.items() if k != big), 12)
    return out


def link_shares(shares: Mapping[str, float], key: str, value: float) -> dict[str, float]:
    """Set ``shares[key] = value`` and rescale the others proportionally so all sum to 1.

    If the others are all 0 (below 1e-12) the remainder is split equally among them. ``value`` is clipped to
    [0, 1]. Returns a new dict (the input is not changed).
    """
    v = min(1.0, max(0.0, float(value)))
    others = {k: max(0.0, float(s)) for k, s in shares.items() if k != key}
    rest = 1.0 - v
    tot = sum(others.values())
    if not others:
        return {key: 1.0}
    scaled = ({k: rest * (s / tot) for k, s in others.items()} if tot > 1e-12
              else {k: rest / len(others) for k in others})  # all others (practically) 0: equal split
    return {k: (v if k == key else scaled[k]) for k in shares}


def scenario_changes(c: Controls, base) -> dict[str, Any]:
    """Dotted-path changes (as :meth:`Scenario.with_changes` takes them) from ``base`` to ``c``.

    Only what differs is listed, so unchanged controls give ``{}`` (exactly the base scenario).
    """
    tree = base.tree
    ch: dict[str, Any] = {}
    if abs(c.total_eur - float(base.get("budget.total_eur"))) > 0.005:
        ch["budget.total_eur"] = round(float(c.total_eur), 2)
    hb = round(min(1.0, max(0.0, c.bremen_share)), 6)
    if abs(hb - float(base.get("budget.city_share.Bremen"))) > 1e-9:
        ch["budget.city_share.Bremen"] = hb
        ch["budget.city_share.Bremerhaven"] = round(1.0 - hb, 6)
    for city in CITIES:
        strands = _strands(tree, city)
        want = c.strand_shares.get(city) or {}
        if not strands or not want:
            continue
        old = {s: float(_val(n["share"])) for s, n in strands.items()}
        if any(abs(float(want.get(s, old[s])) - old[s]) > 1e-9 for s in strands):
            new = _exact_shares({s: want.get(s, old[s]) for s in strands})
            ch.update({f"cities.{city}.strands.{s}.share": v for s, v in new.items()})
    for city in CITIES:
        for s, node in _strands(tree, city).items():
            if not _attributed(node):
                continue
            p = f"cities.{city}.strands.{s}"
            if c.rule != "fixed" and node.get("rule") != c.rule:
                ch[f"{p}.rule"] = c.rule
            if c.rule == "hybrid" and abs(float(_val(node.get("base_share", 0.5))) - c.base_share) > 1e-9:
                ch[f"{p}.base_share"] = round(float(c.base_share), 6)
            if abs(float(_val(node.get("floor_eur", 0.0))) - c.floor_eur) > 0.005:
                ch[f"{p}.floor_eur"] = round(float(c.floor_eur), 2)
            cap = _val(node.get("cap_eur"))
            if c.cap_eur > 0 and (cap is None or abs(float(cap) - c.cap_eur) > 0.005):
                ch[f"{p}.cap_eur"] = round(float(c.cap_eur), 2)
            elif c.cap_eur <= 0 and cap is not None:
                ch[f"{p}.cap_eur"] = None
    ind = ((tree.get("need_index") or {}).get("indicators")) or {}
    for k in NEED_KEYS:
        old = float(_val(ind[k])) if k in ind else 0.0
        new = float(c.need_weights.get(k, old))
        if abs(new - old) > 1e-9:
            ch[f"need_index.indicators.{k}"] = round(new, 6)
    return ch


def export_yaml(scenario, *, controls: Controls | None = None, lang: str = "de") -> str:
    """The scenario as a YAML diff against the baseline, readable by :func:`load_scenario`.

    Projection settings (effect, shape, lag, horizon) are not part of a scenario; they are
    written as comments so the file documents what the explorer showed.
    """
    import yaml

    changes = {k: v for k, v in scenario.changes.items()}
    head = ["# LLQ-Szenario aus dem Szenario-Explorer: Änderungen gegenüber dem Basisszenario"
            if lang == "de" else "# LLQ scenario from the scenario explorer: changes against the baseline",
            "# llq.load_scenario('<this file>') reads it (base: the bundled scenarios/baseline.yaml)."]
    if controls is not None:
        eff = ("estimated (cached dose-response)" if controls.effect_mode == "estimated"
               else "assumed " + ", ".join(f"{k}={v:g}" for k, v in controls.assumed.items())
               + f" (SE {controls.assumed_rel_se:.0%} of the value)")
        head.append(f"# projection settings: effect {eff}; shape {controls.returns}; lag {controls.lag} "
                    f"years; horizon {controls.horizon} years")
    doc = {"name": "explorer", "title": "Szenario aus dem Explorer" if lang == "de" else "Explorer scenario",
           "description": scenario.describe(lang) if changes else t("dash.no_changes", lang),
           "changes": changes}
    body = yaml.safe_dump(json.loads(json.dumps(doc, default=_plain)), allow_unicode=True, sort_keys=False,
                          width=100)
    return "\n".join(head) + "\n" + body


def _plain(x: Any) -> Any:
    if isinstance(x, Mapping):
        return dict(x)
    if isinstance(x, tuple):
        return list(x)
    raise TypeError(f"cannot write {type(x).__name__} to YAML")
