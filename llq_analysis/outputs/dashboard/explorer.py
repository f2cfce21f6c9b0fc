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

import contextlib
import os
import threading
import warnings
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ... import paths
from ...i18n import t
from .controls import (
    CITIES,
    EFFECT_OUTCOMES,
    NEED_SIGN,
    Controls,
    controls_from_scenario,
    export_yaml,
    link_shares,
    scenario_changes,
)
from .display import _DisplayMixin, _pct
from .effects import _bundled_tables, cached_effects, estimate_effects
from .launch import free_port, voila_argv
from .view import _ViewMixin

__all__ = ["ScenarioExplorer", "Controls", "controls_from_scenario", "scenario_changes", "link_shares",
           "export_yaml", "estimate_effects", "cached_effects", "voila_argv", "free_port", "EFFECT_OUTCOMES"]


# ============================================================================ the widget


class ScenarioExplorer(_ViewMixin, _DisplayMixin):
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
        chart is redrawn inside a running kernel (numbers and tables update at once);
        first_chart_delay : seconds before the first chart inside a kernel (default 2: the page and
        its sliders come first)
    """

    def __init__(self, scenario=None, *, quartiers=None, panel=None, effects: Mapping | None = None,
                 lang: str = "de", draws: int = 2000, seed: int = 1,
                 cache_dir: str | os.PathLike | None = None, chart: bool = True, chart_delay: float = 0.3,
                 first_chart_delay: float = 2.0):
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
        self.first_chart_delay = float(first_chart_delay)
        self._chart_drawn = False
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
