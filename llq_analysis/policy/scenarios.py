"""Scenarios as data and their allocation to quartiers, to the cent.

A :class:`Scenario` is a frozen, validated tree (read from YAML with ``yaml.safe_load`` only):

.. code-block:: yaml

    budget:
      total_eur: {value: 2000000, unit: EUR/Jahr, source: "..."}
      city_share: {Bremen: 0.8, Bremerhaven: 0.2}
    need_index: {indicators: {sgb2_rate: 1, ...}, standardise: all}
    cities:
      Bremen:
        strands:
          quartierszentren: {share: 0.525, rule: fixed, amounts: {HB-tenever: 60000, ...}}

Every number may be written plainly or as ``{value, unit, source, illustrative, note}`` (like a
PolicyEngine parameter). Another scenario lists only its *changes* by dotted path
(``budget.city_share.Bremen: 0.75``); :meth:`Scenario.with_changes` applies such a diff after
validating everything (no partial change is ever applied).

Allocating a scenario to quartiers (to the cent) is :mod:`llq_analysis.policy.allocation`.
"""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InfeasibleAllocationError, ScenarioError

__all__ = ["Scenario", "load_scenario", "largest_remainder", "CITIES", "RULES", "DEFAULT_NEED_INDICATORS", "UNATTRIBUTED"]

CITIES = ("Bremen", "Bremerhaven")
RULES = ("fixed", "equal", "population", "need", "hybrid", "citywide")
NEED_TRANSFORMS = ("positive", "shift", "rank")
BASE_RULES = ("equal", "population")
#: key in ``amounts`` for money not attributed to a quartier; such rows get ``quartier_id == ""``
UNATTRIBUTED = "stadtweit"
UNATTRIBUTED_ID = ""
#: indicators a need index may use (panel columns, %); negative weight = lower value, more need
NEED_INDICATORS = ("sgb2_rate", "sgb2_rate_u15", "unemployment_rate", "turnout_buergerschaft",
                   "turnout_bundestag")
DEFAULT_NEED_INDICATORS = {"sgb2_rate": 1.0, "sgb2_rate_u15": 1.0, "unemployment_rate": 1.0,
                           "turnout_buergerschaft": -1.0}

TOP_KEYS = ("name", "title", "description", "year", "budget", "need_index", "cities")
FILE_KEYS = ("name", "title", "description", "base", "changes")
BUDGET_KEYS = ("total_eur", "city_share")
CITY_KEYS = ("label", "strands")
STRAND_KEYS = ("label", "share", "rule", "amounts", "eligibility", "floor_eur", "cap_eur",
               "cap_eur_per_capita", "floors", "caps", "base_share", "base_rule",
               "need_transform", "per_capita", "note", "source")
ELIGIBILITY_KEYS = ("top_k", "min_index", "quartiers", "min_population")
NEED_KEYS = ("indicators", "year", "standardise")
PARAM_KEYS = ("value", "unit", "source", "illustrative", "note")
_FREE = "free"  # marker: keys at this level are names (strands, quartiers, indicators)
_SHARE_TOL = 1e-9


# ============================================================================ small helpers


def _is_param(node: Any) -> bool:
    """A parameter leaf: ``{value: ..., unit/source/illustrative/note}``."""
    return isinstance(node, Mapping) and "value" in node and set(node) <= set(PARAM_KEYS)


def _v(node: Any) -> Any:
    """The value of a (possibly annotated) leaf."""
    return node["value"] if _is_param(node) else node


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def _freeze(x: Any) -> Any:
    if isinstance(x, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in x.items()})
    if isinstance(x, (list, tuple)):
        return tuple(_freeze(v) for v in x)
    return x


def _thaw(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {k: _thaw(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_thaw(v) for v in x]
    return x


def _nearest(key: str, options: Iterable[str]) -> str | None:
    m = difflib.get_close_matches(str(key), [str(o) for o in options], n=1, cutoff=0.4)
    return m[0] if m else None


def _hint(key: str, options: Iterable[str], prefix: str = "") -> str:
    near = _nearest(key, options)
    if near is None:
        return f"valid keys: {', '.join(map(str, options)) or '(none)'}"
    return f"nearest valid key: {prefix + near!r}"


def _allowed(prefix: tuple[str, ...]) -> tuple[str, ...] | str | None:
    """Valid keys below ``prefix`` in a scenario tree (``_FREE``: names; None: not a mapping)."""
    n = len(prefix)
    if n == 0:
        return TOP_KEYS
    if prefix == ("budget",):
        return BUDGET_KEYS
    if prefix == ("budget", "city_share"):
        return CITIES
    if prefix == ("need_index",):
        return NEED_KEYS
    if prefix == ("need_index", "indicators"):
        return NEED_INDICATORS
    if prefix == ("cities",):
        return CITIES
    if n == 2 and prefix[0] == "cities":
        return CITY_KEYS
    if n == 3 and prefix[0] == "cities" and prefix[2] == "strands":
        return _FREE
    if n == 4 and prefix[0] == "cities" and prefix[2] == "strands":
        return STRAND_KEYS
    if n == 5 and prefix[0] == "cities" and prefix[4] in ("amounts", "floors", "caps"):
        return _FREE
    if n == 5 and prefix[0] == "cities" and prefix[4] == "eligibility":
        return ELIGIBILITY_KEYS
    return None


def _strand_path(city: str, strand: str) -> str:
    return f"cities.{city}.strands.{strand}"


def _fmt_eur(x: float, lang: str = "de") -> str:
    s = f"{x:,.2f}" if abs(x - round(x)) > 1e-9 else f"{x:,.0f}"
    if lang == "de":
        s = s.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{s} EUR"


def _fmt_share(x: float, lang: str = "de") -> str:
    s = f"{100 * x:.4g}"
    return (s.replace(".", ",") if lang == "de" else s) + " %"


def _cents(eur: float) -> int:
    return int(round(float(eur) * 100))


# ============================================================================ validation


def _unknown_key_problems(node: Any, prefix: tuple[str, ...], out: list[str]) -> None:
    """Recursively report keys that are not valid at their place (with the nearest valid key)."""
    if not isinstance(node, Mapping) or _is_param(node):
        if _is_param(node):
            for k in node:
                if k not in PARAM_KEYS:
                    out.append(f"{'.'.join(prefix + (k,))}: unknown key; {_hint(k, PARAM_KEYS)}")
        return
    allowed = _allowed(prefix)
    for k, v in node.items():
        path = ".".join(prefix + (str(k),))
        if allowed is None:
            out.append(f"{'.'.join(prefix)}: expected a single value, found a mapping")
            return
        if allowed != _FREE and k not in allowed:
            out.append(f"{path}: unknown key; {_hint(k, allowed, '.'.join(prefix) + '.' if prefix else '')}")
            continue
        if allowed == _FREE and not isinstance(k, str):
            out.append(f"{path}: keys here must be text (strand or quartier ids), found {k!r}")
            continue
        if allowed == _FREE and "." in k:
            out.append(f"{path}: names may not contain '.'")
            continue
        _unknown_key_problems(v, prefix + (str(k),), out)


def _check_money(x: Any, path: str, out: list[str]) -> float | None:
    v = _v(x)
    if not _is_number(v) or not math.isfinite(float(v)):
        out.append(f"{path}: expected an amount in EUR (a finite number), found {v!r}")
        return None
    v = float(v)
    if v < 0:
        out.append(f"{path}: negative money ({v!r} EUR); amounts must be >= 0")
        return None
    if abs(v * 100 - round(v * 100)) > 1e-6:
        out.append(f"{path}: amounts must be whole cents, found {v!r} EUR")
        return None
    return v


def _check_share(x: Any, path: str, out: list[str]) -> float | None:
    v = _v(x)
    if not _is_number(v) or not math.isfinite(float(v)):
        out.append(f"{path}: expected a share in [0, 1], found {v!r}")
        return None
    if not 0.0 <= float(v) <= 1.0:
        out.append(f"{path}: share {v!r} outside [0, 1]")
        return None
    return float(v)


def _check_ids(ids: Iterable[str], path: str, city: str, known: Mapping[str, str] | None,
               out: list[str], allow_unattributed: bool = False) -> None:
    if known is None:
        return
    for q in ids:
        if allow_unattributed and q == UNATTRIBUTED:
            continue
        if q not in known:
            opts = [k for k, c in known.items() if c == city] or list(known)
            out.append(f"{path}.{q}: unknown quartier {q!r}; {_hint(q, opts)}")
        elif known[q] != city:
            out.append(f"{path}.{q}: quartier {q!r} lies in {known[q]}, not in {city}")


def _validate_tree(tree: Mapping, known: Mapping[str, str] | None) -> list[str]:
    """Every problem of a full scenario tree (keys, values, shares, money, quartiers, floors/caps)."""
    out: list[str] = []
    if not isinstance(tree, Mapping):
        return [f"scenario: expected a mapping, found {type(tree).__name__}"]
    _unknown_key_problems(tree, (), out)
    if "year" in tree and tree["year"] is not None and (
            not isinstance(_v(tree["year"]), int) or isinstance(_v(tree["year"]), bool)):
        out.append(f"year: expected a whole year such as 2024, found {_v(tree['year'])!r}")
    budget = tree.get("budget")
    if not isinstance(budget, Mapping):
        out.append("budget: missing (expected total_eur and city_share)")
        return out
    if "total_eur" in budget:
        _check_money(budget["total_eur"], "budget.total_eur", out)
    else:
        out.append("budget.total_eur: missing")
    shares = budget.get("city_share")
    city_share: dict[str, float] = {}
    if not isinstance(shares, Mapping):
        out.append("budget.city_share: missing (expected a share per city, e.g. {Bremen: 0.8, Bremerhaven: 0.2})")
    else:
        for c in CITIES:
            if c not in shares:
                out.append(f"budget.city_share.{c}: missing (every city needs a share, 0 allowed)")
                continue
            s = _check_share(shares[c], f"budget.city_share.{c}", out)
            if s is not None:
                city_share[c] = s
        if len(city_share) == len(CITIES) and abs(sum(city_share.values()) - 1) > _SHARE_TOL:
            out.append(f"budget.city_share: shares sum to {sum(city_share.values())!r}, expected 1")
    ni = tree.get("need_index")
    if ni is not None:
        if not isinstance(ni, Mapping):
            out.append("need_index: expected a mapping (indicators, year, standardise)")
        else:
            ind = ni.get("indicators", DEFAULT_NEED_INDICATORS)
            if not isinstance(ind, Mapping) or not ind:
                out.append("need_index.indicators: expected indicator -> weight, e.g. {sgb2_rate: 1}")
            else:
                ws = []
                for k, w in ind.items():
                    w = _v(w)
                    if not _is_number(w) or not math.isfinite(float(w)):
                        out.append(f"need_index.indicators.{k}: expected a weight (number), found {w!r}")
                    else:
                        ws.append(float(w))
                if ws and all(w == 0 for w in ws):
                    out.append("need_index.indicators: all weights are 0")
            if ni.get("standardise", "all") not in ("all", "city"):
                out.append(f"need_index.standardise: expected 'all' or 'city', found {ni.get('standardise')!r}")
    cities = tree.get("cities")
    if not isinstance(cities, Mapping):
        out.append("cities: missing (expected the strands of Bremen and Bremerhaven)")
        return out
    for c in CITIES:
        cnode = cities.get(c)
        strands = cnode.get("strands") if isinstance(cnode, Mapping) else None
        if not strands:
            if city_share.get(c, 0) > 0:
                out.append(f"cities.{c}.strands: missing; {c} has a budget share > 0 but no strand")
            continue
        if not isinstance(strands, Mapping):
            out.append(f"cities.{c}.strands: expected strand -> settings")
            continue
        ssum = 0.0
        ok = True
        for s, node in strands.items():
            _validate_strand(node, c, str(s), known, out)
            sh = _check_share(node.get("share") if isinstance(node, Mapping) else None,
                              f"{_strand_path(c, s)}.share", out) \
                if isinstance(node, Mapping) and "share" in node else None
            if sh is None:
                ok = False
                if isinstance(node, Mapping) and "share" not in node:
                    out.append(f"{_strand_path(c, s)}.share: missing (share of the {c} budget)")
            else:
                ssum += sh
        if ok and abs(ssum - 1) > _SHARE_TOL:
            out.append(f"cities.{c}.strands: strand shares sum to {ssum!r}, expected 1")
    return out


def _validate_strand(node: Any, city: str, strand: str, known: Mapping[str, str] | None,
                     out: list[str]) -> None:
    path = _strand_path(city, strand)
    if not isinstance(node, Mapping):
        out.append(f"{path}: expected the strand's settings (share, rule, ...), found {node!r}")
        return
    rule = node.get("rule")
    if rule not in RULES:
        if rule is None:
            out.append(f"{path}.rule: missing; one of {list(RULES)}")
        else:
            out.append(f"{path}.rule: unknown rule {rule!r}; {_hint(str(rule), RULES)}")
    if rule == "fixed":
        amounts = node.get("amounts")
        if not isinstance(amounts, Mapping) or not amounts:
            out.append(f"{path}.amounts: rule 'fixed' needs amounts (quartier -> EUR)")
        else:
            tot = 0.0
            for q, a in amounts.items():
                v = _check_money(a, f"{path}.amounts.{q}", out)
                tot += v or 0.0
            _check_ids(amounts, f"{path}.amounts", city, known, out, allow_unattributed=True)
            if tot <= 0:
                out.append(f"{path}.amounts: all fixed amounts are 0; nothing to scale")
    if "base_share" in node:
        _check_share(node["base_share"], f"{path}.base_share", out)
    if node.get("base_rule", "equal") not in BASE_RULES:
        out.append(f"{path}.base_rule: {node.get('base_rule')!r}; {_hint(str(node.get('base_rule')), BASE_RULES)}")
    if node.get("need_transform", "positive") not in NEED_TRANSFORMS:
        out.append(f"{path}.need_transform: {node.get('need_transform')!r}; "
                   f"{_hint(str(node.get('need_transform')), NEED_TRANSFORMS)}")
    if not isinstance(node.get("per_capita", True), bool):
        out.append(f"{path}.per_capita: expected true or false")
    floor_eur = _check_money(node["floor_eur"], f"{path}.floor_eur", out) if "floor_eur" in node else 0.0
    cap_eur = _check_money(node["cap_eur"], f"{path}.cap_eur", out) if "cap_eur" in node and \
        node["cap_eur"] is not None else None
    if "cap_eur_per_capita" in node and node["cap_eur_per_capita"] is not None:
        v = _v(node["cap_eur_per_capita"])
        if not _is_number(v) or v < 0:
            out.append(f"{path}.cap_eur_per_capita: expected EUR per resident >= 0, found {v!r}")
    if floor_eur is not None and cap_eur is not None and cap_eur < floor_eur:
        out.append(f"{path}.cap_eur: cap {cap_eur!r} EUR below floor_eur {floor_eur!r} EUR")
    floors: dict[str, float] = {}
    caps: dict[str, float] = {}
    for kind, store in (("floors", floors), ("caps", caps)):
        m = node.get(kind)
        if m is None:
            continue
        if not isinstance(m, Mapping):
            out.append(f"{path}.{kind}: expected quartier -> EUR")
            continue
        _check_ids(m, f"{path}.{kind}", city, known, out)
        for q, a in m.items():
            v = _check_money(a, f"{path}.{kind}.{q}", out)
            if v is not None:
                store[q] = v
    for q, f in floors.items():
        c = caps.get(q, cap_eur)
        if c is not None and c < f:
            where = f"caps.{q}" if q in caps else "cap_eur"
            out.append(f"{path}.floors.{q}: floor {f!r} EUR above the cap ({where} = {c!r} EUR)")
    for q, c in caps.items():
        if q not in floors and floor_eur is not None and c < floor_eur:
            out.append(f"{path}.caps.{q}: cap {c!r} EUR below floor_eur {floor_eur!r} EUR")
    el = node.get("eligibility")
    if el is not None:
        if not isinstance(el, Mapping):
            out.append(f"{path}.eligibility: expected a mapping ({', '.join(ELIGIBILITY_KEYS)})")
        else:
            k = el.get("top_k")
            if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 1):
                out.append(f"{path}.eligibility.top_k: expected a whole number >= 1, found {k!r}")
            mi = el.get("min_index")
            if mi is not None and (not _is_number(mi) or not math.isfinite(float(mi))):
                out.append(f"{path}.eligibility.min_index: expected a number, found {mi!r}")
            mp = el.get("min_population")
            if mp is not None and (not _is_number(mp) or mp < 0):
                out.append(f"{path}.eligibility.min_population: expected residents >= 0, found {mp!r}")
            qs = el.get("quartiers")
            if qs is not None:
                if isinstance(qs, str) or not isinstance(qs, (list, tuple)):
                    out.append(f"{path}.eligibility.quartiers: expected a list of quartier ids")
                else:
                    _check_ids(qs, f"{path}.eligibility.quartiers", city, known, out)


def _check_change_path(tree: Mapping, path: str, value: Any, changes: Mapping[str, Any],
                       known: Mapping[str, str] | None) -> list[str]:
    """Problems of one dotted change path against the current tree and the key schema."""
    if not isinstance(path, str) or not path or any(p == "" for p in path.split(".")):
        return [f"{path!r}: expected a dotted path such as 'budget.city_share.Bremen'"]
    parts = path.split(".")
    node: Any = tree
    prefix: tuple[str, ...] = ()
    for i, key in enumerate(parts):
        if _is_param(node):
            if key not in PARAM_KEYS or i != len(parts) - 1:
                return [f"{path}: unknown key {key!r} below the value {'.'.join(prefix)}; "
                        f"{_hint(key, PARAM_KEYS, '.'.join(prefix) + '.')}"]
            return []
        allowed = _allowed(prefix)
        here = ".".join(prefix)
        if allowed is None:
            return [f"{path}: {here} is a single value; it has no key {key!r}"]
        exists = isinstance(node, Mapping) and key in node
        if allowed != _FREE and key not in allowed:
            return [f"{path}: unknown key {key!r}; {_hint(key, allowed, here + '.' if here else '')}"]
        if allowed == _FREE and not exists and value is not None:
            if len(prefix) == 3:  # a strand name: new strands must come with a rule
                whole = f"{here}.{key}"
                adds = f"{whole}.rule" in changes or (
                    isinstance(changes.get(whole), Mapping) and "rule" in changes[whole])
                if not adds:
                    have = list(node) if isinstance(node, Mapping) else []
                    return [f"{path}: unknown strand {key!r} in {here}; {_hint(key, have, here + '.')} "
                            f"(to add a new strand also set {here}.{key}.rule and .share)"]
            elif len(prefix) == 5 and known is not None and key not in known and key != UNATTRIBUTED:
                city = prefix[1]
                opts = [k for k, c in known.items() if c == city] or list(known)
                return [f"{path}: unknown quartier {key!r}; {_hint(key, opts)}"]
        if value is None and i == len(parts) - 1 and not exists:
            return [f"{path}: cannot delete {key!r}, it does not exist; "
                    f"{_hint(key, list(node) if isinstance(node, Mapping) else [], here + '.')}"]
        node = node.get(key) if isinstance(node, Mapping) else None
        prefix = prefix + (key,)
    return []


def _apply_changes(tree: dict, changes: Mapping[str, Any], scenario_name: str) -> dict:
    """A new tree with ``changes`` applied (shortest paths first; ``None`` deletes a key)."""
    new = copy.deepcopy(tree)
    for path in sorted(changes, key=lambda p: p.count(".")):
        value = _thaw(changes[path])
        parts = path.split(".")
        node = new
        for key in parts[:-1]:
            if _is_param(node):
                break
            if key not in node or not isinstance(node[key], dict):
                node[key] = {}
            node = node[key]
        last = parts[-1]
        if _is_param(node):  # path ends in .value/.unit/.source of a parameter
            node[last] = value
            continue
        if value is None:
            node.pop(last, None)
        elif last in node and _is_param(node[last]) and not isinstance(value, Mapping):
            node[last] = {**{k: v for k, v in node[last].items() if k not in ("illustrative", "note")},
                          "value": value, "source": f"Szenarioannahme ({scenario_name})"}
        else:
            node[last] = value
    return new


# ============================================================================ Scenario


@dataclass(frozen=True)
class Scenario:
    """A validated, immutable funding scenario (a tree of values, each optionally with unit/source).

    Build with :func:`load_scenario`, :meth:`from_dict` or :meth:`with_changes`; never edited in
    place. ``changes`` records the dotted-path diff against ``base_tree`` (the baseline).
    """

    name: str
    title: str
    description: str
    tree: Mapping[str, Any]
    changes: Mapping[str, Any] = field(default_factory=dict)
    base_tree: Mapping[str, Any] | None = None
    base_title: str | None = None
    source_file: str | None = None
    known_quartiers: Mapping[str, str] | None = None

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, base: Scenario | str | Path | None = None,
                  quartiers: pd.DataFrame | Mapping[str, str] | Iterable[str] | None = None,
                  source_file: str | None = None) -> Scenario:
        """A scenario from a full tree, or from a diff ``{name, description, changes: {...}}``.

        A diff is applied to ``base`` (a Scenario or a YAML path; default: the bundled baseline).
        ``quartiers`` (table, id -> city mapping or ids) is used to check quartier ids; default:
        the bundled ``data/quartiers.csv`` when it exists.
        """
        if not isinstance(d, Mapping):
            raise ScenarioError(f"scenario: expected a mapping, found {type(d).__name__}")
        known = _known_quartiers(quartiers)
        if "changes" in d:
            bad = [k for k in d if k not in FILE_KEYS]
            if bad:
                raise ScenarioError("\n".join(f"{k}: unknown key in a scenario diff; {_hint(k, FILE_KEYS)}"
                                              for k in bad))
            changes = d.get("changes") or {}
            if not isinstance(changes, Mapping):
                raise ScenarioError("changes: expected dotted path -> value")
            if isinstance(base, Scenario):
                base_s = base
            else:
                bpath = base if base is not None else d.get("base")
                if bpath is None:
                    from .. import paths
                    bpath = paths.BASELINE_SCENARIO
                elif source_file is not None and not Path(bpath).is_absolute():
                    bpath = Path(source_file).parent / bpath
                base_s = load_scenario(bpath, quartiers=quartiers)
            if known is not None:
                base_s = _replace(base_s, known_quartiers=MappingProxyType(dict(known)))
            out = base_s.with_changes(changes, name=d.get("name"), title=d.get("title"),
                                      description=d.get("description"))
            return _replace(out, source_file=source_file)
        problems = _validate_tree(d, known)
        if problems:
            raise ScenarioError(_problems_text(problems, d.get("name")))
        tree = _freeze(_thaw(d))
        name = str(d.get("name", "scenario"))
        base_tree = tree if base is None else (base.tree if isinstance(base, Scenario)
                                               else load_scenario(base).tree)
        return cls(name=name, title=str(d.get("title", name)), description=str(d.get("description", "")),
                   tree=tree, changes=MappingProxyType({}), base_tree=base_tree,
                   base_title=str(d.get("title", name)) if base is None else None,
                   source_file=source_file,
                   known_quartiers=None if known is None else MappingProxyType(dict(known)))

    def with_changes(self, changes: Mapping[str, Any], *, name: str | None = None,
                     title: str | None = None, description: str | None = None) -> Scenario:
        """A new scenario with ``changes`` (dotted path -> value; ``None`` deletes) applied.

        Every path and the resulting tree are validated first; on any problem a
        :class:`ScenarioError` lists all of them and nothing is applied.
        """
        if not isinstance(changes, Mapping):
            raise ScenarioError(f"changes: expected a mapping of dotted path -> value, found {type(changes).__name__}")
        problems: list[str] = []
        for p, v in changes.items():
            problems += _check_change_path(self.tree, p, v, changes, self.known_quartiers)
        new_name = name or (self.name if not changes else f"{self.name}*")
        if problems:
            raise ScenarioError(_problems_text(problems, new_name))
        if not changes:
            return _replace(self, name=new_name, title=title or self.title,
                            description=description if description is not None else self.description)
        new_tree = _apply_changes(_thaw(self.tree), changes, new_name)
        problems = _validate_tree(new_tree, self.known_quartiers)
        if problems:
            raise ScenarioError(_problems_text(problems, new_name))
        merged = {k: v for k, v in self.changes.items()
                  if not any(k == p or k.startswith(p + ".") for p in changes)}
        merged.update({k: _freeze(_thaw(v)) for k, v in changes.items()})
        return Scenario(name=new_name, title=title or new_name,
                        description=description if description is not None else self.description,
                        tree=_freeze(new_tree), changes=MappingProxyType(merged),
                        base_tree=self.base_tree if self.base_tree is not None else self.tree,
                        base_title=self.base_title or self.title, source_file=None,
                        known_quartiers=self.known_quartiers)

    # -- access ---------------------------------------------------------------------------------
    def get(self, path: str, default: Any = None) -> Any:
        """The value at a dotted path (parameter leaves give their ``value``)."""
        node: Any = self.tree
        for key in path.split("."):
            if not isinstance(node, Mapping) or key not in node:
                return default
            node = node[key]
        return _thaw(_v(node))

    def to_dict(self) -> dict[str, Any]:
        """The full tree as plain (mutable) Python objects; a copy."""
        return _thaw(self.tree)

    @property
    def total_eur(self) -> float:
        """Total budget (EUR per year)."""
        return float(self.get("budget.total_eur"))

    def city_budgets(self) -> dict[str, float]:
        """EUR per city after largest-remainder rounding to whole cents."""
        cents = _city_cents(self.tree)
        return {c: v / 100 for c, v in cents.items()}

    def strand_budgets(self) -> pd.DataFrame:
        """One row per city and strand: label, rule, share and budget in EUR (whole cents)."""
        rows = []
        cc = _city_cents(self.tree)
        for c in CITIES:
            for s, node, cents in _strand_cents(self.tree, c, cc[c]):
                rows.append({"city": c, "strand": s, "label": node.get("label", s), "rule": node["rule"],
                             "share": float(_v(node["share"])), "budget_eur": cents / 100})
        return pd.DataFrame(rows, columns=["city", "strand", "label", "rule", "share", "budget_eur"])

    # -- text -----------------------------------------------------------------------------------
    def describe(self, lang: str = "de") -> str:
        """In words: what differs from the baseline (German by default, ``lang="en"``)."""
        return _describe(self, lang)

    def __repr__(self) -> str:
        return f"Scenario(name={self.name!r}, changes={len(self.changes)})"

    def _repr_html_(self) -> str:
        txt = self.describe("de").replace("\n", "<br>")
        return f"<div><b>{self.title}</b><br>{txt}</div>{self.strand_budgets().to_html(index=False)}"


def _replace(s: Scenario, **kw) -> Scenario:
    from dataclasses import replace

    return replace(s, **kw)


def _problems_text(problems: list[str], name: Any) -> str:
    head = f"{len(problems)} problem(s) in scenario {name!r}:" if name else f"{len(problems)} problem(s) in scenario:"
    return "\n".join([head, *(f"  - {p}" for p in problems)])


def _known_quartiers(quartiers: Any) -> Mapping[str, str] | None:
    """id -> city from a table / mapping / ids; default: the bundled quartiers (if present)."""
    if quartiers is None:
        return _bundled_known()
    if isinstance(quartiers, pd.DataFrame):
        for c in ("quartier_id", "city"):
            if c not in quartiers.columns:
                raise ScenarioError(f"quartiers: column {c!r} missing (expected quartier_id, city)")
        return dict(zip(quartiers["quartier_id"].astype(str), quartiers["city"].astype(str), strict=True))
    if isinstance(quartiers, Mapping):
        return dict(quartiers)
    ids = list(quartiers)
    return {q: ("Bremerhaven" if str(q).startswith("BHV-") else "Bremen") for q in ids}


_BUNDLED_KNOWN: dict[str, str] | None = None


def _bundled_known() -> Mapping[str, str] | None:
    global _BUNDLED_KNOWN
    if _BUNDLED_KNOWN is None:
        import csv

        from .. import paths

        if not paths.QUARTIERS_CSV.exists():
            return None
        with open(paths.QUARTIERS_CSV, encoding="utf-8", newline="") as fh:
            _BUNDLED_KNOWN = {r["quartier_id"]: r["city"] for r in csv.DictReader(fh)}
    return _BUNDLED_KNOWN


def load_scenario(path: str | Path, *, quartiers: pd.DataFrame | Mapping[str, str] | None = None) -> Scenario:
    """Read a scenario YAML file (``yaml.safe_load`` only) and validate it.

    A file with a ``changes`` key is a diff applied to ``base`` (a path relative to the file;
    default: ``baseline.yaml`` next to it, else the bundled baseline).
    """
    import yaml

    p = Path(path)
    if not p.exists():
        from .. import paths

        alt = paths.SCENARIO_DIR / p
        if not p.is_absolute() and alt.exists():
            p = alt
        else:
            raise FileNotFoundError(f"scenario file {path} not found")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{p}: not valid YAML ({exc})") from exc
    if not isinstance(doc, Mapping):
        raise ScenarioError(f"{p}: expected a YAML mapping at the top level")
    if "changes" in doc and "base" not in doc and (p.parent / "baseline.yaml").exists():
        doc = {**doc, "base": "baseline.yaml"}
    s = Scenario.from_dict(doc, quartiers=quartiers, source_file=str(p))
    return s


# ============================================================================ describe


_RULE_WORDS = {
    "de": {"fixed": "feste Beträge", "equal": "gleiche Beträge je Quartier", "population": "nach Einwohnern",
           "need": "nach Bedarf (Bedarfsindex)", "hybrid": "Sockel plus Bedarf",
           "citywide": "stadtweit, ohne Quartierszuordnung"},
    "en": {"fixed": "fixed amounts", "equal": "equal amounts per quartier", "population": "by residents",
           "need": "by need (need index)", "hybrid": "base plus need",
           "citywide": "city-wide, not attributed to quartiers"},
}
_MONEY_KEYS = {"total_eur", "floor_eur", "cap_eur"}


def _flat(node: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if _is_param(node):
        return {prefix: _thaw(node["value"])}
    if isinstance(node, Mapping):
        out: dict[tuple[str, ...], Any] = {}
        for k, v in node.items():
            if prefix == () and k in ("name", "title", "description"):
                continue
            out.update(_flat(v, prefix + (str(k),)))
        return out
    return {prefix: _thaw(node)}


def _fmt_value(path: tuple[str, ...], v: Any, lang: str) -> str:
    if v is None:
        return "–"
    last = path[-1]
    if last == "rule" and v in RULES:
        return _RULE_WORDS[lang][v]
    if _is_number(v) and (last in _MONEY_KEYS or (len(path) >= 2 and path[-2] in ("amounts", "floors", "caps"))):
        return _fmt_eur(float(v), lang)
    if _is_number(v) and (last in ("share", "base_share") or (len(path) >= 2 and path[-2] == "city_share")):
        return _fmt_share(float(v), lang)
    if isinstance(v, bool):
        return ("ja" if v else "nein") if lang == "de" else ("yes" if v else "no")
    if isinstance(v, list):
        return ", ".join(map(str, v))
    return str(v)


def _path_label(path: tuple[str, ...], tree: Mapping, lang: str) -> str:
    de = lang == "de"
    if path == ("budget", "total_eur"):
        return "Gesamtbudget" if de else "total budget"
    if path[:2] == ("budget", "city_share") and len(path) == 3:
        return f"Anteil {path[2]} am Gesamtbudget" if de else f"share of {path[2]} in the total budget"
    if path[:2] == ("need_index", "indicators") and len(path) == 3:
        return f"Gewicht von {path[2]} im Bedarfsindex" if de else f"weight of {path[2]} in the need index"
    if path[0] == "need_index":
        return ("Bedarfsindex: " if de else "need index: ") + ".".join(path[1:])
    if path[0] == "cities" and len(path) >= 5 and path[2] == "strands":
        c, s = path[1], path[3]
        node = (tree.get("cities", {}).get(c, {}).get("strands", {}) or {}).get(s, {})
        label = node.get("label", s) if isinstance(node, Mapping) else s
        what = {
            "share": ("Anteil am Stadtbudget", "share of the city budget"),
            "rule": ("Verteilungsregel", "allocation rule"),
            "floor_eur": ("Mindestbetrag je Quartier", "floor per quartier"),
            "cap_eur": ("Höchstbetrag je Quartier", "cap per quartier"),
            "cap_eur_per_capita": ("Höchstbetrag je Einwohner (EUR)", "cap per resident (EUR)"),
            "base_share": ("Sockelanteil", "base share"),
            "base_rule": ("Sockelregel", "base rule"),
            "need_transform": ("Bedarfsgewichtung", "need weighting"),
            "per_capita": ("je Einwohner gewichtet", "weighted per resident"),
            "label": ("Bezeichnung", "label"),
        }
        k = path[4]
        if k in ("amounts", "floors", "caps") and len(path) == 6:
            q = "nicht zugeordnet" if path[5] == UNATTRIBUTED and de else path[5]
            w = {"amounts": ("fester Betrag", "fixed amount"), "floors": ("Mindestbetrag", "floor"),
                 "caps": ("Höchstbetrag", "cap")}[k]
            txt = f"{w[0 if de else 1]} {q}"
        elif k == "eligibility" and len(path) == 6:
            e = {"top_k": ("nur die k bedürftigsten Quartiere, k", "only the k neediest quartiers, k"),
                 "min_index": ("Mindest-Bedarfsindex", "minimum need index"),
                 "quartiers": ("förderfähige Quartiere", "eligible quartiers"),
                 "min_population": ("Mindest-Einwohnerzahl", "minimum residents")}
            txt = e.get(path[5], (path[5], path[5]))[0 if de else 1]
        elif k in what:
            txt = what[k][0 if de else 1]
        else:
            txt = ".".join(path[4:])
        return (f"Förderschiene „{label}“ ({c}): {txt}" if de else f"strand '{label}' ({c}): {txt}")
    return ".".join(path)


def _describe(s: Scenario, lang: str) -> str:
    if lang not in ("de", "en"):
        raise ValueError(f"lang must be 'de' or 'en', got {lang!r}")
    de = lang == "de"
    base_tree = s.base_tree
    base_title = s.base_title
    if base_tree is None:
        from .. import paths

        if paths.BASELINE_SCENARIO.exists():
            b = load_scenario(paths.BASELINE_SCENARIO)
            base_tree, base_title = b.tree, b.title
        else:
            return "Kein Basisszenario zum Vergleich vorhanden." if de else "No baseline to compare with."
    if s.tree is base_tree or _thaw(s.tree) == _thaw(base_tree):
        return (f"Szenario „{s.title}“: keine Abweichung vom Basisszenario „{base_title}“." if de
                else f"Scenario '{s.title}': no difference from the baseline '{base_title}'.")
    head = (f"Szenario „{s.title}“ im Vergleich zum Basisszenario „{base_title}“:" if de
            else f"Scenario '{s.title}' compared with the baseline '{base_title}':")
    old, new = _flat(base_tree), _flat(s.tree)
    lines: list[str] = []
    # strands added / removed as a whole
    def strands(tree):
        out = {}
        for c in CITIES:
            st = (tree.get("cities", {}).get(c, {}) or {}).get("strands", {}) or {}
            for k, v in st.items():
                out[(c, k)] = v.get("label", k) if isinstance(v, Mapping) else k
        return out
    so, sn = strands(base_tree), strands(s.tree)
    gone = [k for k in so if k not in sn]
    added = [k for k in sn if k not in so]
    for c, k in gone:
        lines.append(f"Förderschiene „{so[(c, k)]}“ ({c}) entfällt." if de
                     else f"strand '{so[(c, k)]}' ({c}) is removed.")
    for c, k in added:
        node = s.tree["cities"][c]["strands"][k]
        rule = _RULE_WORDS[lang][node["rule"]]
        lines.append(f"Neue Förderschiene „{sn[(c, k)]}“ ({c}): {_fmt_share(float(_v(node['share'])), lang)} "
                     f"des Stadtbudgets, Verteilung {rule}." if de else
                     f"new strand '{sn[(c, k)]}' ({c}): {_fmt_share(float(_v(node['share'])), lang)} of the "
                     f"city budget, allocated {rule}.")
    skip = {("cities", c, "strands", k) for c, k in gone + added}
    n_amounts = 0
    for p in sorted(set(old) | set(new)):
        if p[:4] in skip:
            continue
        a, b = old.get(p), new.get(p)
        if a == b:
            continue
        if len(p) == 6 and p[4] == "amounts":
            n_amounts += 1
            if n_amounts > 8:
                continue
        lines.append(f"{_path_label(p, s.tree if p in new else base_tree, lang)}: "
                     f"{_fmt_value(p, a, lang)} → {_fmt_value(p, b, lang)}")
    if n_amounts > 8:
        lines.append(f"… und {n_amounts - 8} weitere feste Beträge." if de
                     else f"… and {n_amounts - 8} more fixed amounts.")
    if not lines:
        return head + "\n" + ("Keine Abweichung vom Basisszenario." if de else "No difference from the baseline.")
    # consequences in money
    try:
        cb_old, cb_new = _city_cents(base_tree), _city_cents(s.tree)
        for c in CITIES:
            if cb_old[c] != cb_new[c]:
                lines.append(f"Budget {c}: {_fmt_eur(cb_old[c] / 100, lang)} → {_fmt_eur(cb_new[c] / 100, lang)}"
                             if de else f"budget {c}: {_fmt_eur(cb_old[c] / 100, lang)} → "
                             f"{_fmt_eur(cb_new[c] / 100, lang)}")
        scaled = []
        for c in CITIES:
            for k, node, cents in _strand_cents(s.tree, c, cb_new[c]):
                if node["rule"] == "fixed":
                    tot = sum(_cents(_v(a)) for a in node["amounts"].values())
                    if tot != cents:
                        scaled.append(f"„{node.get('label', k)}“ ({c}) ×{cents / tot:.4f}".replace(
                            ".", "," if de else "."))
        if scaled:
            lines.append(("Feste Beträge werden anteilig skaliert, weil ihr Budget sich ändert: " if de
                          else "Fixed amounts are scaled proportionally because their budget changes: ")
                         + "; ".join(scaled))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):  # pragma: no cover - describe never fails
        pass
    return head + "\n" + "\n".join(f"- {ln}" for ln in lines)


# ============================================================================ budget split to the cent


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
