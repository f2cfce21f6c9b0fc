"""Validation of scenario trees and dotted-path change sets (every problem at once).

Each check appends ``"<dotted.path>: <what is wrong>; <what was expected / nearest key>"`` to a
list, so :class:`~llq_analysis.policy.scenarios.Scenario` can report all problems in one
:class:`~llq_analysis.errors.ScenarioError` and apply nothing (no partial change).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from .scenario_tree import (
    _FREE,
    _SHARE_TOL,
    BASE_RULES,
    CITIES,
    DEFAULT_NEED_INDICATORS,
    ELIGIBILITY_KEYS,
    MAX_EUR,
    NEED_TRANSFORMS,
    PARAM_KEYS,
    RULES,
    UNATTRIBUTED,
    _allowed,
    _as_float,
    _fmt_eur,
    _found,
    _hint,
    _is_param,
    _strand_path,
    _thaw,
    _v,
)


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


def _whole_cents(v: float) -> bool:
    """True if ``v`` EUR is a whole number of cents (exact decimal test, float noise tolerated)."""
    c = v * 100
    if abs(c - round(c)) <= 1e-6:
        return True
    return (Decimal(repr(v)) * 100) % 1 == 0


def _check_money(x: Any, path: str, out: list[str]) -> float | None:
    """The amount in EUR (0 <= v <= MAX_EUR, whole cents) or None with a problem appended."""
    v = _v(x)
    f = _as_float(v)
    if f is None or not math.isfinite(f):
        if f is not None and f > 0:
            out.append(f"{path}: {_found(v, 40)} EUR is above the maximum of {_fmt_eur(MAX_EUR, 'en')} "
                       "per amount")
        else:
            out.append(f"{path}: expected an amount in EUR (a finite number), found {_found(v)}")
        return None
    if f < 0:
        out.append(f"{path}: negative money ({v!r} EUR); amounts must be >= 0")
        return None
    if f > MAX_EUR:
        out.append(f"{path}: {v!r} EUR is above the maximum of {_fmt_eur(MAX_EUR, 'en')} per amount "
                   "(amounts are kept exact in whole cents)")
        return None
    if not _whole_cents(f):
        out.append(f"{path}: amounts must be whole cents, found {v!r} EUR")
        return None
    return f


def _check_share(x: Any, path: str, out: list[str]) -> float | None:
    v = _v(x)
    f = _as_float(v)
    if f is None or not math.isfinite(f):
        out.append(f"{path}: expected a share in [0, 1], found {_found(v)}")
        return None
    if not 0.0 <= f <= 1.0:
        out.append(f"{path}: share {v!r} outside [0, 1]")
        return None
    return f


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
            not isinstance(_v(tree["year"]), int) or isinstance(_v(tree["year"]), bool)
            or not 1900 <= _v(tree["year"]) <= 2100):
        out.append(f"year: expected a whole year such as 2024, found {_found(_v(tree['year']))}")
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
                    w = _as_float(_v(w))
                    if w is None or not math.isfinite(w):
                        out.append(f"need_index.indicators.{k}: expected a weight (number), found "
                                   f"{_found(_v(ind[k]))}")
                    else:
                        ws.append(w)
                if ws and all(w == 0 for w in ws):
                    out.append("need_index.indicators: all weights are 0")
            if ni.get("standardise", "all") not in ("all", "city"):
                out.append(f"need_index.standardise: expected 'all' or 'city', found {ni.get('standardise')!r}")
            if ni.get("shrink", "beta_binomial") not in ("beta_binomial", None, "none"):
                out.append("need_index.shrink: expected 'beta_binomial' (default: small-area rates shrunk "
                           f"toward the city mean) or 'none', found {ni.get('shrink')!r}")
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
        out.append(f"{path}: expected the strand's settings (share, rule, ...), found {_found(node)}")
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
        v = _as_float(_v(node["cap_eur_per_capita"]))
        if v is None or not 0 <= v <= MAX_EUR:
            out.append(f"{path}.cap_eur_per_capita: expected EUR per resident >= 0 (at most "
                       f"{_fmt_eur(MAX_EUR, 'en')}), found {_found(_v(node['cap_eur_per_capita']))}")
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
                out.append(f"{path}.eligibility.top_k: expected a whole number >= 1, found {_found(k)}")
            mi = el.get("min_index")
            if mi is not None and (_as_float(mi) is None or not math.isfinite(_as_float(mi))):
                out.append(f"{path}.eligibility.min_index: expected a number, found {_found(mi)}")
            mp = el.get("min_population")
            if mp is not None and (_as_float(mp) is None or not 0 <= _as_float(mp) < math.inf):
                out.append(f"{path}.eligibility.min_population: expected residents >= 0, found {_found(mp)}")
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
