"""A scenario in words: what differs from the baseline (German by default, English option)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .budget import _cents, _city_cents, _strand_cents
from .scenario_tree import (
    CITIES,
    RULES,
    UNATTRIBUTED,
    _fmt_eur,
    _fmt_share,
    _is_number,
    _is_param,
    _thaw,
    _v,
)

if TYPE_CHECKING:
    from .scenarios import Scenario


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
        from .scenarios import load_scenario

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
