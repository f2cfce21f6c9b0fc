"""The scenario explorer: ipywidgets controls -> ``allocate`` -> ``project`` -> numbers, table, chart.

``ScenarioExplorer`` shows a policymaker what another split of the LLQ money would do. Its first
control is the split between Bremen and Bremerhaven; then the total budget, the strands' shares,
the allocation rule with the need-index weights, floors and caps, the effect per EUR per
resident (estimated, from a cache, or assumed) and the horizon. Every change rebuilds the
scenario as a dotted-path diff against the baseline (:meth:`Scenario.with_changes`), allocates it
to the cent and projects it; callbacks call only ``allocate``, ``project`` and ``plots``.

No estimator runs on the start path: the "estimated" effect is read from a small JSON cache
(:func:`cached_effects`) that :func:`estimate_effects` writes once (``llq app`` does that before
Voila starts). Controls are linked so shares always sum to 1; settings that cannot be met
(floors above the budget, caps too low, all need weights 0) show a German message in place of
the numbers. The current scenario downloads as a YAML diff that :func:`load_scenario` reads back.

Voila serves ``notebooks/app.ipynb`` (:func:`voila_argv`); see docs/dashboard.md.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import math
import os
import re
import socket
import sys
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ... import paths
from ...i18n import t

__all__ = ["ScenarioExplorer", "Controls", "controls_from_scenario", "scenario_changes", "link_shares",
           "export_yaml", "estimate_effects", "cached_effects", "voila_argv", "EFFECT_OUTCOMES"]

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


# ============================================================================ state (no widgets)


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


# ============================================================================ effect cache


def _cache_dir(cache_dir: str | os.PathLike | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get("LLQ_CACHE_DIR"):
        return Path(os.environ["LLQ_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "llq_analysis"


def _cache_file(panel, cache_dir) -> Path:
    from ...impact.results import data_fingerprint

    cols = ["quartier_id", "year", DOSE_COLUMN, *[o for o in EFFECT_OUTCOMES if o in panel.columns]]
    return _cache_dir(cache_dir) / f"dose_effects_{data_fingerprint(panel, cols)}.json"


def cached_effects(panel, *, cache_dir: str | os.PathLike | None = None) -> dict[str, dict] | None:
    """Dose-response effects cached for exactly this panel (by data fingerprint), or ``None``.

    Never estimates anything (cheap: a hash of a few columns and a small JSON read).
    """
    f = _cache_file(panel, cache_dir)
    if not f.exists():
        return None
    try:
        eff = json.loads(f.read_text(encoding="utf-8"))["effects"]
    except (ValueError, KeyError, OSError):
        return None
    return eff if all(o in eff for o in EFFECT_OUTCOMES) else None


def estimate_effects(panel=None, *, cache_dir: str | os.PathLike | None = None,
                     refresh: bool = False) -> dict[str, dict]:
    """Effect per EUR per resident for each explorer outcome, from the cache or estimated once.

    Estimator: :func:`llq_analysis.dose_response` (TWFE slope of the outcome on the dose
    ``llq_eur_per_capita`` with quartier and year fixed effects, CR1 cluster-robust SEs by
    quartier). Units: percentage points per 1 EUR per resident per year. The result is written
    atomically to a JSON file in ``cache_dir`` (default ``$LLQ_CACHE_DIR`` or
    ``~/.cache/llq_analysis``) keyed by the panel's fingerprint. Slow on a cold process (the
    first pyfixest fit compiles; seconds), so the explorer never calls it on its start path.
    """
    from ...data import loaders as data
    from ...impact.dose import dose_response

    panel = data.load_panel() if panel is None else panel
    if not refresh:
        hit = cached_effects(panel, cache_dir=cache_dir)
        if hit is not None:
            return hit
    eff: dict[str, dict] = {}
    for o in EFFECT_OUTCOMES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # turnout exists only in election years (rows reported)
            r = dose_response(panel, outcome=o, unit="quartier_id", time="year", dose=DOSE_COLUMN)
        eff[o] = {"estimate": float(r.estimate), "se": float(r.se), "ci": [float(r.ci[0]), float(r.ci[1])],
                  "n_obs": int(r.n_obs), "n_clusters": None if r.n_clusters is None else int(r.n_clusters),
                  "provenance": str(r.provenance), "label": "dose_response (TWFE)",
                  "unit": "percentage points per EUR per resident per year"}
    f = _cache_file(panel, cache_dir)
    f.parent.mkdir(parents=True, exist_ok=True)
    tmp = f.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"effects": eff, "panel_fingerprint": f.stem.split("_")[-1]}, indent=1),
                   encoding="utf-8")
    os.replace(tmp, f)
    return eff


def _bundled_tables():
    """The bundled quartiers and panel, checked with the data layer's own rules.

    The pandera cross-check is skipped here (its import alone costs seconds on the app's start
    path); the same tables pass it in the test suite, and every domain rule still applies.
    """
    from ...data.loaders import load_panel, load_quartiers

    return load_quartiers(use_pandera=False), load_panel(use_pandera=False)


# ============================================================================ formatting


def _num(x: float, lang: str, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    s = f"{x:,.{digits}f}"
    if lang == "de":
        s = s.replace(",", "_").replace(".", ",").replace("_", ".")
    return s.replace("-", "−")


def _eur(x: float, lang: str, digits: int = 0) -> str:
    return f"{_num(x, lang, digits)} €"


def _pct(x: float, lang: str) -> str:
    return f"{_num(100 * x, lang, 0)} %"


def _sig(x: float, lang: str) -> str:
    """Small changes (pp) with two significant decimals."""
    if x is None or math.isnan(x):
        return "–"
    d = 2 if abs(x) >= 0.1 or x == 0 else min(6, 1 - int(math.floor(math.log10(abs(x)))))
    return _num(x, lang, d)


# ============================================================================ the widget


class ScenarioExplorer:
    """Interactive scenario explorer (ipywidgets 8). Display it (last expression of a cell).

    Parameters
    ----------
    scenario : the base scenario (a :class:`Scenario` or a YAML path; default: the bundled baseline)
    quartiers, panel : default: the bundled tables
    effects : outcome -> ``{"estimate", "se", ...}`` (pp per EUR per resident per year) for the
        "estimated" effect; default: :func:`cached_effects` (no estimation on start)
    lang : "de" (default) or "en"; switchable in the app
    draws, seed : effect draws for the intervals (default 2000, seed 1)
    chart : draw the chart (matplotlib); chart_delay : seconds without a further change before the
        chart is redrawn inside a running kernel (numbers and tables update at once)
    """

    def __init__(self, scenario=None, *, quartiers=None, panel=None, effects: Mapping | None = None,
                 lang: str = "de", draws: int = 2000, seed: int = 1,
                 cache_dir: str | os.PathLike | None = None, chart: bool = True, chart_delay: float = 0.3):
        from ...policy.scenarios import Scenario, load_scenario

        if quartiers is None or panel is None:
            q0, p0 = _bundled_tables()
            quartiers = q0 if quartiers is None else quartiers
            panel = p0 if panel is None else panel
        self.base = scenario if isinstance(scenario, Scenario) else load_scenario(
            scenario if scenario is not None else paths.BASELINE_SCENARIO, quartiers=quartiers)
        self.quartiers, self.panel = quartiers, panel
        self.effects = dict(effects) if effects is not None else cached_effects(self.panel, cache_dir=cache_dir)
        self.lang = lang
        self.draws, self.seed, self._chart_on = int(draws), seed, chart
        self.chart_delay = float(chart_delay)
        self._chart_handle = self._chart_proj = None
        self._chart_lock = threading.Lock()
        self.names = dict(zip(self.quartiers["quartier_id"].astype(str),
                              self.quartiers["ortsteil"].astype(str), strict=True)) \
            if "ortsteil" in self.quartiers.columns else {}
        yr = self.base.get("year") or int(self.panel["year"].max())
        py = self.panel[self.panel["year"] == yr]
        self.city_pop = {c: float(py.loc[py["city"] == c, "population"].sum()) for c in CITIES}
        from ...impact.results import data_provenance

        self.provenance = data_provenance(self.panel, ["sgb2_rate"])
        self.base_money = self.base.city_budgets()
        self.baseline_controls = controls_from_scenario(self.base, effects=self.effects)
        self.scenario = self.allocation = self.projection = None
        self.error: str | None = None
        self._hold = 0
        self._gen = 0
        self._build()
        self._set_controls(self.baseline_controls)
        self.refresh()

    # -------------------------------------------------------------------------------- layout
    def _build(self) -> None:
        import ipywidgets as w

        L = w.Layout
        self._texts: list[tuple[Any, str, str]] = []  # (widget, attribute, label key)

        def label(key: str, cls: str = "llq-label") -> w.HTML:
            h = w.HTML(t(key, self.lang))
            h.add_class(cls)
            self._texts.append((h, "value", key))
            return h

        def slider(kind, cls, **kw):
            s = kind(continuous_update=False, layout=L(width="95%"), **kw)
            s.add_class(cls)
            s.observe(self._on_change, names="value")
            return s

        # 1. city split (the first control)
        self.w_split = slider(w.FloatSlider, "llq-city-split", min=0.0, max=1.0, step=0.01,
                              readout_format=".0%")
        self.w_split_txt = w.HTML()
        self.w_split_txt.add_class("llq-split-readout")
        # 2. total budget
        self.w_total = w.BoundedIntText(min=0, max=50_000_000, step=50_000, continuous_update=False,
                                        layout=L(width="95%"))
        self.w_total.add_class("llq-total")
        self.w_total.observe(self._on_change, names="value")
        # 3. strands
        self.w_strands: dict[str, dict[str, Any]] = {}
        strand_rows = []
        for city in CITIES:
            self.w_strands[city] = {}
            strand_rows.append(w.HTML(f"<b>{city}</b>"))
            for s, node in _strands(self.base.tree, city).items():
                sl = w.FloatSlider(min=0.0, max=1.0, step=0.01, readout_format=".1%", continuous_update=False,
                                   description=str(node.get("label", s))[:40], tooltip=str(node.get("label", s)),
                                   style={"description_width": "190px"}, layout=L(width="95%"))
                sl.add_class("llq-strand-share")
                sl.observe(lambda ch, c=city, k=s: self._on_strand(ch, c, k), names="value")
                self.w_strands[city][s] = sl
                strand_rows.append(sl)
        # 4. rule and need weights
        self.w_rule = w.Dropdown(layout=L(width="95%"))
        self.w_rule.add_class("llq-rule")
        self.w_rule.observe(self._on_change, names="value")
        self.w_base_share = slider(w.FloatSlider, "llq-base-share", min=0.0, max=1.0, step=0.05,
                                   readout_format=".0%")
        self.w_need = {}
        for k in NEED_KEYS:
            self.w_need[k] = slider(w.FloatSlider, "llq-need-weight", min=0.0, max=3.0, step=0.25,
                                    readout_format=".2f", style={"description_width": "190px"})
        # 5. floors and caps
        self.w_floor = slider(w.IntSlider, "llq-floor", min=0, max=100_000, step=1_000)
        self.w_cap = slider(w.IntSlider, "llq-cap", min=0, max=500_000, step=5_000)
        # 6. effect and horizon
        self.w_effect = w.ToggleButtons(layout=L(width="95%"))
        self.w_effect.add_class("llq-effect-mode")
        self.w_effect.observe(self._on_change, names="value")
        self.w_effect_src = w.HTML()
        self.w_assumed = {o: slider(w.FloatSlider, "llq-assumed", min=-1.0, max=1.0, step=0.01,
                                    readout_format=".2f", style={"description_width": "190px"})
                          for o in EFFECT_OUTCOMES}
        self.w_assumed_se = slider(w.IntSlider, "llq-assumed-se", min=0, max=200, step=5)
        self.w_returns = w.Dropdown(layout=L(width="95%"))
        self.w_returns.observe(self._on_change, names="value")
        self.w_lag = slider(w.IntSlider, "llq-lag", min=0, max=5, step=1)
        self.w_horizon = slider(w.IntSlider, "llq-horizon", min=0, max=10, step=1)
        self.assumed_box = w.VBox([label("dash.assumed_value"), *self.w_assumed.values(),
                                   label("dash.assumed_se"), self.w_assumed_se])
        # actions
        self.w_reset = w.Button(icon="undo", layout=L(width="auto"))
        self.w_reset.add_class("llq-reset")
        self.w_reset.on_click(lambda _b: self.reset())
        self.w_download = w.HTML()
        self.w_download.add_class("llq-download")
        self.w_lang = w.ToggleButtons(options=[("Deutsch", "de"), ("English", "en")], value=self.lang,
                                      style={"button_width": "80px"})
        self.w_lang.add_class("llq-lang")
        self.w_lang.observe(lambda ch: self.set_lang(ch.new), names="value")
        self.hybrid_box = w.VBox([label("dash.base_share"), self.w_base_share])

        controls = w.VBox([
            label("dash.city_split", "llq-label llq-first"), self.w_split, self.w_split_txt,
            label("dash.total"), self.w_total,
            label("dash.strands"), *strand_rows,
            label("dash.sec_rule", "llq-section"), label("dash.rule"), self.w_rule, label("dash.rule_note", "llq-note"),
            self.hybrid_box, label("dash.need_weights"), *self.w_need.values(),
            label("dash.floor"), self.w_floor, label("dash.cap"), self.w_cap,
            label("dash.sec_effect", "llq-section"), label("dash.effect"), self.w_effect, self.w_effect_src,
            self.assumed_box, label("dash.returns"), self.w_returns, label("dash.lag"), self.w_lag,
            label("dash.horizon"), self.w_horizon,
            w.HBox([self.w_reset, self.w_lang]), self.w_download,
        ], layout=L(width="420px", min_width="340px"))
        controls.add_class("llq-controls")

        # outputs
        self.o_title = w.HTML()
        self.o_sim = w.HTML()
        self.o_sim.add_class("llq-simulated")
        self.o_message = w.HTML(layout=L(display="none"))
        self.o_message.add_class("llq-message")
        self.o_city = {c: w.HTML() for c in (*CITIES, TOTAL)}
        for c, cls in zip((*CITIES, TOTAL), ("llq-bremen-amount", "llq-bremerhaven-amount", "llq-total-amount"),
                          strict=True):
            self.o_city[c].add_class(cls)
            self.o_city[c].add_class("llq-city-card")
        self.o_summary = w.HTML()
        self.o_summary.add_class("llq-summary")
        self.o_projection = w.HTML()
        self.o_projection.add_class("llq-projection-table")
        self.o_chart = w.Image(format="png", layout=L(width="100%", max_width="900px"))
        self.o_chart.add_class("llq-chart")
        self.o_table = w.HTML()
        self.o_table.add_class("llq-quartier-table")
        self.o_notes = w.HTML()
        self.o_notes.add_class("llq-notes")
        outputs = w.VBox([self.o_message, w.HBox(list(self.o_city.values())), self.o_summary,
                          self.o_projection, self.o_chart, self.o_table, self.o_notes],
                         layout=L(flex="1 1 520px", min_width="0", padding="0 0 0 16px"))
        outputs.add_class("llq-outputs")
        style = w.HTML(_CSS)
        self.widget = w.VBox([style, w.HBox([self.o_title, self.o_sim]),
                              w.HBox([controls, outputs], layout=L(flex_flow="row wrap"))])
        self.widget.add_class("llq-explorer")
        self._relabel()

    def _relabel(self) -> None:
        """(Re)write every label in the current language."""
        lang = self.lang
        for wdg, attr, key in self._texts:
            setattr(wdg, attr, t(key, lang))
        self.o_title.value = f"<h2 class='llq-title'>{html.escape(t('dash.title', lang))}</h2>"
        self.o_sim.value = ("<span class='llq-sim-badge' title='{}'>{}</span>".format(
            html.escape(t("dash.sim_note", lang)), html.escape(t("simulated_mark", lang)))
            if self.provenance in ("simulated", "mixed") else "")
        with self._holding():  # new option labels, same values
            for wdg, opts in ((self.w_rule, [(t(f"rule.{r}", lang), r) for r in RULE_CHOICES]),
                              (self.w_returns, [(t(f"returns.{r}", lang), r) for r in RETURNS_CHOICES]),
                              (self.w_effect, [(t("dash.effect_estimated", lang), "estimated"),
                                               (t("dash.effect_assumed", lang), "assumed")])):
                keep = wdg.value
                wdg.options = opts
                if keep is not None:
                    wdg.value = keep
        for k, s in self.w_need.items():
            s.description = t(f"need.{k}", lang)
        for o, s in self.w_assumed.items():
            s.description = t(o, lang).split(" (")[0]
        self.w_reset.description = t("dash.reset", lang)
        self.w_effect_src.value = "<span class='llq-note'>{}</span>".format(html.escape(
            t("dash.effect_source", lang).format(label=self.effects[EFFECT_OUTCOMES[0]].get("label", "?"),
                                                 prov=t("simulated_mark", lang) if self.provenance == "simulated"
                                                 else self.provenance)
            if self.effects else t("dash.effect_missing", lang)))

    # -------------------------------------------------------------------------------- state
    @contextlib.contextmanager
    def _holding(self):
        """Programmatic widget updates inside this block do not trigger a recompute."""
        self._hold += 1
        try:
            yield
        finally:
            self._hold -= 1

    def controls(self) -> Controls:
        """The current control values."""
        return Controls(
            bremen_share=float(self.w_split.value), total_eur=float(self.w_total.value),
            strand_shares={c: {s: float(sl.value) for s, sl in d.items()} for c, d in self.w_strands.items()},
            rule=self.w_rule.value, base_share=float(self.w_base_share.value),
            need_weights={k: NEED_SIGN.get(k, 1.0) * float(s.value) for k, s in self.w_need.items()},
            floor_eur=float(self.w_floor.value), cap_eur=float(self.w_cap.value),
            effect_mode=self.w_effect.value if self.effects else "assumed",
            assumed={o: float(s.value) for o, s in self.w_assumed.items()},
            assumed_rel_se=self.w_assumed_se.value / 100, returns=self.w_returns.value,
            lag=int(self.w_lag.value), horizon=int(self.w_horizon.value))

    def _set_controls(self, c: Controls) -> None:
        with self._holding():
            self.w_split.value = c.bremen_share
            self.w_total.value = int(round(c.total_eur))
            for city, d in self.w_strands.items():
                for s, sl in d.items():
                    sl.value = float(c.strand_shares.get(city, {}).get(s, 0.0))
            self.w_rule.value = c.rule
            self.w_base_share.value = c.base_share
            for k, s in self.w_need.items():
                s.value = abs(float(c.need_weights.get(k, 0.0)))
            self.w_floor.value = int(c.floor_eur)
            self.w_cap.value = int(c.cap_eur)
            self.w_effect.value = c.effect_mode if self.effects else "assumed"
            for o, s in self.w_assumed.items():
                s.value = float(c.assumed.get(o, 0.0))
            self.w_assumed_se.value = int(round(100 * c.assumed_rel_se))
            self.w_returns.value = c.returns
            self.w_lag.value = c.lag
            self.w_horizon.value = c.horizon
        self.w_effect.disabled = not self.effects

    def _on_change(self, _change=None) -> None:
        if not self._hold:
            self.refresh()

    def _on_strand(self, change, city: str, strand: str) -> None:
        if self._hold:
            return
        cur = {s: float(sl.value) for s, sl in self.w_strands[city].items()}
        cur[strand] = float(change.old)
        new = link_shares(cur, strand, float(change.new))
        with self._holding():
            for s, sl in self.w_strands[city].items():
                if s != strand:
                    sl.value = new[s]
        self.refresh()

    def reset(self) -> None:
        """Back to the base scenario (all controls) and recompute."""
        self._set_controls(self.baseline_controls)
        self.refresh()

    def set_lang(self, lang: str) -> None:
        """Switch all labels and outputs to "de" or "en"."""
        t("dash.title", lang)  # validates lang
        self.lang = lang
        if self.w_lang.value != lang:
            with self._holding():
                self.w_lang.value = lang
        self._relabel()
        self.refresh()

    # -------------------------------------------------------------------------------- compute
    def _effect_arg(self, c: Controls) -> dict[str, dict]:
        if c.effect_mode == "estimated" and self.effects:
            return {o: dict(self.effects[o]) for o in EFFECT_OUTCOMES}
        return {o: {"estimate": v, "se": abs(v) * c.assumed_rel_se, "provenance": "assumed",
                    "label": "assumed"} for o, v in c.assumed.items()}

    def refresh(self) -> None:
        """Rebuild scenario, allocation and projection from the controls and update all outputs."""
        from ...errors import InfeasibleAllocationError, ScenarioError
        from ...policy.allocation import allocate
        from ...policy.projection import project

        c = self.controls()
        lang = self.lang
        self._gen += 1  # generation of the outputs: data-gen on each output (browser test waits on it)
        hb = min(1.0, max(0.0, c.bremen_share))
        self.w_split_txt.value = t("dash.split_readout", lang).format(hb=_pct(hb, lang), bhv=_pct(1 - hb, lang))
        self.hybrid_box.layout.display = "" if c.rule == "hybrid" else "none"
        self.assumed_box.layout.display = "" if c.effect_mode == "assumed" else "none"
        try:
            if c.rule in ("need", "hybrid") and all(abs(v) == 0 for v in c.need_weights.values()):
                raise _ExplorerError(t("dash.err.weights", lang), "")
            if c.cap_eur > 0 and c.cap_eur < c.floor_eur:
                raise _ExplorerError(t("dash.err.cap_floor", lang), "")
            changes = scenario_changes(c, self.base)
            scen = self.base.with_changes(changes, name="explorer") if changes else self.base
            with warnings.catch_warnings(record=True) as rec:
                warnings.simplefilter("always")
                alloc = allocate(scen, self.quartiers, panel=self.panel)
                proj = project(alloc, effect=self._effect_arg(c), panel=self.panel, draws=self.draws,
                               seed=self.seed, lag=c.lag, horizon=c.horizon, returns=c.returns)
        except _ExplorerError as exc:
            return self._show_error(exc.args[0], exc.args[1])
        except (ScenarioError, InfeasibleAllocationError, ValueError) as exc:
            return self._show_error(self._german(str(exc)), str(exc))
        self.scenario, self.allocation, self.projection, self.error = scen, alloc, proj, None
        notes = list(dict.fromkeys(self._note(str(r.message)) for r in rec))
        self._show(c, scen, alloc, proj, notes)

    def _german(self, msg: str) -> str:
        """A German (or English) explanation of an engine error, naming the strand."""
        m = re.search(r"cities\.(\w+)\.strands\.(\w+)", msg)
        city, strand = (m.group(1), m.group(2)) if m else ("", "")
        node = _strands(self.base.tree, city).get(strand, {}) if m else {}
        fmt = {"city": city, "strand": node.get("label", strand)}
        if "floors sum" in msg:
            return t("dash.err.floors", self.lang).format(**fmt)
        if "caps allow" in msg or "every quartier is at its cap" in msg:
            return t("dash.err.caps", self.lang).format(**fmt)
        if "cap below floor" in msg or "below floor" in msg:
            return t("dash.err.cap_floor", self.lang)
        if "no eligible quartier" in msg or "all weights are zero" in msg or "weights (all zero)" in msg:
            return t("dash.err.no_eligible", self.lang).format(**fmt)
        if "all weights are 0" in msg:
            return t("dash.err.weights", self.lang)
        return t("dash.err.generic", self.lang)

    def _note(self, msg: str) -> str:
        """An engine warning in the user's language (known ones translated, others as they are)."""
        lang = self.lang
        name = self.names.get
        if m := re.match(r"(\d+) quartier\(s\) get more EUR per resident than observed in the data "
                         r"\(max ([\d.]+)\): (.*?) - the projection", msg):
            which = re.sub(r"([A-Z]+-[\w-]+)", lambda q: name(q.group(1), q.group(1)), m.group(3))
            which = re.sub(r"\(([\d.]+)\)", lambda v: f"({_num(float(v.group(1)), lang, 1)} €)", which)
            return t("dash.note.above", lang).format(n=m.group(1), max=_num(float(m.group(2)), lang, 2),
                                                     which=which)
        if m := re.match(r"(\d+) quartier\(s\) get less than the smallest observed positive dose \(([\d.]+)",
                         msg):
            return t("dash.note.below", lang).format(n=m.group(1), min=_num(float(m.group(2)), lang, 2))
        if re.match(r"horizon \d+ < lag \d+", msg):
            return t("dash.note.lag", lang)
        if m := re.match(r"([\d,]+\.\d+) EUR are not attributed to quartiers", msg):
            return t("dash.note.unattributed", lang).format(eur=_eur(float(m.group(1).replace(",", "")), lang))
        if m := re.search(r"no need index for \[(.*?)\]", msg):
            ids = re.findall(r"'([^']+)'", m.group(1))
            return t("dash.note.no_need", lang).format(which=", ".join(name(q, q) for q in ids))
        return msg

    def _show_error(self, text: str, detail: str) -> None:
        self.scenario = self.allocation = self.projection = None
        self.error = text
        lang = self.lang
        det = (f"<details><summary>{t('dash.err.detail', lang)}</summary><pre>{html.escape(detail)}</pre>"
               "</details>") if detail else ""
        self.o_message.value = f"<div class='llq-error'><b>{html.escape(t('dash.invalid', lang))}</b><br>" \
                               f"{html.escape(text)}{det}</div>"
        self.o_message.layout.display = ""
        for c, o in self.o_city.items():
            name = t("dash.both", lang) if c == TOTAL else c
            o.value = (f"<div class='llq-city-name' data-gen='{self._gen}'>{html.escape(name)}</div>"
                       "<div class='llq-eur' data-eur=''>–</div>")
        for o in (self.o_summary, self.o_projection, self.o_table):  # empty, but marked with the generation
            o.value = f"<div data-gen='{self._gen}'></div>"
        self.o_notes.value = ""
        self.o_chart.layout.display = "none"
        self.w_download.value = ""

    def _show(self, c: Controls, scen, alloc, proj, notes: list[str]) -> None:
        lang = self.lang
        self.o_message.layout.display = "none"
        self.o_message.value = ""
        cents = alloc.groupby("city")["amount_cents"].sum()
        money = {city: int(cents.get(city, 0)) / 100 for city in CITIES}
        money[TOTAL] = sum(money.values())
        pop = {**self.city_pop, TOTAL: sum(self.city_pop.values())}
        base = {**self.base_money, TOTAL: sum(self.base_money.values())}
        for city, o in self.o_city.items():  # the numbers first: the browser sees them at once
            pc = money[city] / pop[city] if pop[city] > 0 else float("nan")
            delta = money[city] - base[city]
            name = t("dash.both", lang) if city == TOTAL else city
            o.value = (f"<div class='llq-city-name' data-gen='{self._gen}'>{html.escape(name)}</div>"
                       f"<div class='llq-eur' data-eur='{money[city]:.2f}'>{_eur(money[city], lang)}</div>"
                       f"<div class='llq-pc' data-eur-pc='{pc:.4f}'>{_eur(pc, lang, 2)} "
                       f"{t('dash.per_resident', lang)}</div>"
                       f"<div class='llq-delta'>{'+' if delta > 0 else ''}{_eur(delta, lang)} "
                       f"{t('dash.vs_base', lang)}</div>")
        self.o_summary.value = f"<p data-gen='{self._gen}'>{html.escape(self._sentence(money, pop, proj, c))}</p>"
        self.o_projection.value = self._projection_html(proj, c)
        self.o_table.value = self._table_html(alloc, proj)
        extra = [t("dash.only_effect_unc", lang)]
        if c.effect_mode == "assumed" or not self.effects:
            extra.insert(0, t("dash.assumption_mark", lang))
        if self.provenance in ("simulated", "mixed"):
            extra.append(t("dash.sim_note", lang))
        self.o_notes.value = ("<div class='llq-note'><b>{}</b><ul>{}</ul></div>".format(
            t("dash.notes", lang), "".join(f"<li>{html.escape(n)}</li>" for n in [*extra, *notes])))
        yml = export_yaml(scen, controls=c, lang=lang)
        uri = "data:text/yaml;charset=utf-8;base64," + base64.b64encode(yml.encode()).decode()
        self.w_download.value = (f"<a class='llq-download-link' download='llq_szenario.yaml' href='{uri}'>"
                                 f"⬇ {html.escape(t('dash.download', lang))}</a>")
        if self._chart_on:
            self._schedule_chart(proj)

    def _schedule_chart(self, proj) -> None:
        """Redraw the chart ``chart_delay`` s after the last change, in a background thread.

        Inside a kernel (a running event loop) the numbers reach the page at once and the chart
        follows: a quick series of key presses draws once, and a redraw never blocks the next
        recompute. Without a running loop (scripts, tests) the chart is drawn at once.
        """
        import asyncio

        self._chart_proj = proj
        if self._chart_handle is not None:
            self._chart_handle.cancel()
            self._chart_handle = None
        try:
            asyncio.get_running_loop()
            in_kernel = True
        except RuntimeError:
            in_kernel = False
        if not in_kernel or self.chart_delay <= 0:
            self._draw_chart(proj)
            return
        timer = threading.Timer(self.chart_delay, self._flush_chart)
        timer.daemon = True
        self._chart_handle = timer
        timer.start()

    def _flush_chart(self) -> None:
        with self._chart_lock:  # one drawing at a time (matplotlib figures are not shared)
            proj = self._chart_proj
            if proj is not None and proj is self.projection:
                self._draw_chart(proj)

    def _draw_chart(self, proj) -> None:
        import io

        from ..plots import explorer_plot

        fig = explorer_plot(proj, outcome=EFFECT_OUTCOMES[0], names=self.names, lang=self.lang)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=72)  # a bare Figure (no pyplot): nothing to close
        if proj is self.projection:  # still current (not replaced or invalid meanwhile)
            self.o_chart.value = buf.getvalue()
            self.o_chart.layout.display = ""

    def _sentence(self, money, pop, proj, c: Controls) -> str:
        lang = self.lang
        r = proj.cities[(proj.cities["outcome"] == EFFECT_OUTCOMES[0]) & (proj.cities["city"] == TOTAL)].iloc[0]
        down = r["change_pp"] <= 0
        return t("dash.summary", lang).format(
            hb=_eur(money["Bremen"], lang), hb_pc=_eur(money["Bremen"] / pop["Bremen"], lang, 2),
            bhv=_eur(money["Bremerhaven"], lang), bhv_pc=_eur(money["Bremerhaven"] / pop["Bremerhaven"], lang, 2),
            h=c.horizon, verb=t("dash.verb_down" if down else "dash.verb_up", lang),
            pp=_sig(abs(r["change_pp"]), lang), lo=_sig(r["change_pp_low"], lang), hi=_sig(r["change_pp_high"], lang),
            persons=_num(abs(r["persons"]), lang), fewer=t("dash.fewer" if down else "dash.more", lang))

    def _projection_html(self, proj, c: Controls) -> str:
        lang = self.lang
        cols = [t("dash.col.outcome", lang), *[t("dash.both", lang).split(" (")[0] if x == TOTAL else x
                                               for x in (*CITIES, TOTAL)]]
        rows = []
        for o in EFFECT_OUTCOMES:
            cells = []
            for city in (*CITIES, TOTAL):
                r = proj.cities[(proj.cities["outcome"] == o) & (proj.cities["city"] == city)]
                if not len(r):
                    cells.append("<td>–</td>")
                    continue
                r = r.iloc[0]
                pers = "" if math.isnan(r["persons"]) else \
                    f"<br><small>{_num(r['persons'], lang)} {t('dash.col.persons', lang)} " \
                    f"[{_num(r['persons_low'], lang)}; {_num(r['persons_high'], lang)}]</small>"
                cells.append(f"<td>{_sig(r['change_pp'], lang)} [{_sig(r['change_pp_low'], lang)}; "
                             f"{_sig(r['change_pp_high'], lang)}]{pers}</td>")
            rows.append(f"<tr><th>{html.escape(t(o, lang))}</th>{''.join(cells)}</tr>")
        head = "".join(f"<th>{html.escape(x)}</th>" for x in cols)
        title = t("dash.projection_title", lang).format(h=c.horizon)
        return (f"<div class='llq-sub' data-gen='{self._gen}'>{html.escape(title)}</div><table class='llq-table'>"
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")

    def _table_html(self, alloc, proj) -> str:
        lang = self.lang
        q = alloc.groupby(["city", "quartier_id"], sort=False).agg(
            amount=("amount_cents", "sum"), pop=("population", "first"), need=("need_index", "first"),
            strands=("label", lambda s: ", ".join(dict.fromkeys(s)))).reset_index()
        q["amount"] = q["amount"] / 100
        pq = proj.quartiers[proj.quartiers["outcome"] == EFFECT_OUTCOMES[0]].set_index("quartier_id")
        funded = q[(q["amount"] > 0) & (q["quartier_id"] != "")].sort_values("amount", ascending=False)
        unat = q[(q["quartier_id"] == "") & (q["amount"] > 0)]
        head = [t("quartier", lang), t("city", lang), t("amount_eur", lang), t("eur_per_capita", lang),
                t("dash.col.need", lang), t("dash.col.change", lang), t("dash.col.strands", lang)]
        rows = []
        for r in funded.itertuples():
            ch = pq.loc[r.quartier_id] if r.quartier_id in pq.index else None
            chs = "–" if ch is None else (f"{_sig(ch['change_pp'], lang)} [{_sig(ch['change_pp_low'], lang)}; "
                                          f"{_sig(ch['change_pp_high'], lang)}]")
            rows.append(f"<tr data-qid='{html.escape(r.quartier_id)}' data-eur='{r.amount:.2f}'>"
                        f"<td>{html.escape(self.names.get(r.quartier_id, r.quartier_id))}</td><td>{r.city}</td>"
                        f"<td class='num'>{_eur(r.amount, lang)}</td>"
                        f"<td class='num'>{_num(r.amount / r.pop, lang, 2) if r.pop > 0 else '–'}</td>"
                        f"<td class='num'>{_num(r.need, lang, 2)}</td><td class='num'>{chs}</td>"
                        f"<td><small>{html.escape(r.strands)}</small></td></tr>")
        for r in unat.itertuples():
            rows.append(f"<tr class='llq-unattributed' data-qid='' data-eur='{r.amount:.2f}'>"
                        f"<td>{t('dash.unattributed', lang)}</td><td>{r.city}</td>"
                        f"<td class='num'>{_eur(r.amount, lang)}</td><td></td><td></td><td></td>"
                        f"<td><small>{html.escape(r.strands)}</small></td></tr>")
        n_zero = int(len(self.quartiers)) - len(funded)
        foot = f"<div class='llq-note'>{t('dash.more_rows', lang).format(n=n_zero)}</div>" if n_zero > 0 else ""
        return (f"<div class='llq-sub'>{html.escape(t('dash.table_title', lang))}</div>"
                f"<div class='llq-table-wrap' data-gen='{self._gen}'><table class='llq-table'><thead><tr>"
                + "".join(f"<th>{html.escape(h)}</th>" for h in head)
                + f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{foot}")

    # -------------------------------------------------------------------------------- API
    def city_amounts(self) -> dict[str, float] | None:
        """EUR per city of the current allocation (``None`` while the settings are invalid)."""
        if self.allocation is None:
            return None
        s = self.allocation.groupby("city")["amount_cents"].sum()
        return {c: int(s.get(c, 0)) / 100 for c in CITIES}

    def export_yaml(self) -> str | None:
        """The current scenario as a YAML diff (``None`` while the settings are invalid)."""
        return None if self.scenario is None else export_yaml(self.scenario, controls=self.controls(),
                                                             lang=self.lang)

    def set(self, **values: Any) -> None:
        """Set controls by name (tests, notebooks): ``bremen_share``, ``total_eur``, ``rule``, ...

        Equivalent to moving the widgets; every change triggers the same callbacks.
        """
        c = replace(self.controls(), **values)
        self._set_controls(c)
        self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


class _ExplorerError(Exception):
    """Settings rejected before calling the engine: (message, technical detail)."""


_CSS = """<style>
.llq-explorer { font-family: system-ui, sans-serif; }
.llq-title { margin: 4px 0 8px 0; }
.llq-sim-badge { display:inline-block; margin:10px 0 0 16px; padding:2px 10px; border:2px solid #b00020;
  color:#b00020; font-weight:bold; border-radius:6px; }
.llq-label { font-weight:600; margin-top:6px; }
.llq-section { font-size:1.1em; font-weight:700; margin-top:14px; border-top:1px solid #ccc; padding-top:6px; }
.llq-note { color:#555; font-size:0.9em; }
.llq-city-card { border:1px solid #ccd; border-radius:8px; padding:6px 12px; margin:0 8px 8px 0; min-width:170px; }
.llq-city-name { font-weight:600; }
.llq-eur { font-size:1.4em; font-weight:700; color:#1f4e79; }
.llq-error { border:2px solid #b00020; background:#fff0f0; padding:8px 12px; border-radius:8px; }
.llq-table { border-collapse:collapse; font-size:0.9em; }
.llq-table th, .llq-table td { border-bottom:1px solid #ddd; padding:2px 8px; text-align:left; }
.llq-table td.num { text-align:right; white-space:nowrap; }
.llq-table-wrap { max-height:420px; overflow:auto; }
.llq-sub { font-weight:700; margin:10px 0 4px 0; }
.llq-download-link { display:inline-block; margin-top:8px; padding:4px 10px; border:1px solid #1f4e79;
  border-radius:4px; text-decoration:none; color:#1f4e79; }
</style>"""


# ============================================================================ Voila


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for tests and ``llq app --port 0``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def voila_argv(*, port: int = 8866, open_browser: bool = False, base_url: str = "/", ip: str = "127.0.0.1",
               preheat: int = 0, notebook: str | os.PathLike | None = None) -> list[str]:
    """The command that serves ``notebooks/app.ipynb`` with Voila (standalone: no token)."""
    nb = Path(notebook) if notebook is not None else paths.NOTEBOOK_DIR / "app.ipynb"
    if not nb.exists():
        raise FileNotFoundError(f"{nb}: the app notebook is missing")
    port = free_port() if port == 0 else int(port)
    if not base_url.startswith("/"):
        base_url = "/" + base_url
    if not base_url.endswith("/"):
        base_url += "/"
    argv = [sys.executable, "-m", "voila", str(nb), f"--port={port}", f"--Voila.ip={ip}",
            f"--base_url={base_url}", "--Voila.port_retries=0", "--theme=light",
            "--VoilaConfiguration.show_tracebacks=False"]
    argv.append("--Voila.open_browser=" + ("True" if open_browser else "False"))
    if preheat > 0:
        argv += ["--preheat_kernel=True", f"--pool_size={int(preheat)}"]
    return argv
