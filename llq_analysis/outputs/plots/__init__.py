"""Plot functions: each returns a matplotlib Figure (seaborn style). No drawing inside estimators.

Every chart built on simulated values carries a visible "Simulierte Daten" mark
(:func:`mark_simulated`). matplotlib/seaborn are imported inside the functions (lazy).
Modules: :mod:`._base` (style, stamp), :mod:`.data` (data overview, programme), :mod:`.impact`
(estimates and diagnostics), :mod:`.policy` (scenarios, projection, optimiser). Every function is
available here as ``plots.<name>``.
"""

from __future__ import annotations

from ._base import mark_simulated
from .data import city_trend_plot, coverage_heatmap, funding_plot, provenance_bar, tile_grid_plot
from .impact import (
    bacon_plot,
    before_after_plot,
    coef_plot,
    dose_curve_plot,
    event_study_plot,
    honest_did_plot,
    leave_one_out_plot,
    synth_plot,
)
from .policy import (
    explorer_plot,
    optimiser_plot,
    projection_plot,
    scenario_effects_plot,
    scenario_money_plot,
    scenario_targeting_plot,
)

__all__ = [
    "mark_simulated", "coverage_heatmap", "provenance_bar", "city_trend_plot", "tile_grid_plot",
    "funding_plot", "coef_plot", "before_after_plot", "event_study_plot", "bacon_plot",
    "dose_curve_plot", "synth_plot", "honest_did_plot", "leave_one_out_plot", "explorer_plot",
    "projection_plot", "scenario_money_plot", "scenario_targeting_plot",
    "scenario_effects_plot", "optimiser_plot",
]
