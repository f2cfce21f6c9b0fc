"""llq_analysis: scenario and impact analysis for Bremen's programme "Lebendige Quartiere" (LLQ).

The public API is re-exported here lazily (PEP 562), so ``import llq_analysis`` stays cheap:
estimation backends, Jupyter, plotting and report tooling load only when a function needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module (relative to this package) that defines it
_API: dict[str, str] = {
    # data layer
    "load_quartiers": "data.loaders",
    "load_panel": "data.loaders",
    "load_demo_panel": "data.loaders",
    "list_blocks": "data.official",
    "load_funding": "data.loaders",
    "load_published_indicators": "data.loaders",
    "validate_panel": "data.loaders",
    "validate_quartiers": "data.loaders",
    "validate_funding": "data.loaders",
    "DataValidationError": "errors",
    "read_official_table": "data.official",
    "build_panel": "data.importing",
    "read_panel": "data.loaders",
    "check_panel": "data.importing",
    "simulate_panel": "data.simulate",
    "simulate_staggered_panel": "data.simulate",
    "build_boundaries": "data.boundaries",
    "load_boundaries": "data.boundaries",
    "neighbours": "data.boundaries",
    "plot_map": "outputs.maps",
    # impact
    "did": "impact.did",
    "twfe": "impact.did",
    "event_study": "impact.event_study",
    "staggered_did": "impact.staggered",
    "sun_abraham": "impact.event_time",
    "imputation_did": "impact.event_time",
    "bacon_decomposition": "impact.bacon",
    "dose_response": "impact.dose",
    "synthetic_control": "impact.synth",
    "synthetic_did": "impact.sdid",
    "honest_did": "impact.sensitivity",
    "pretrend_power": "impact.sensitivity",
    "slope_for_power": "impact.sensitivity",
    "placebo_in_time": "impact.placebo",
    "leave_one_out": "impact.placebo",
    "wild_cluster_bootstrap": "impact.inference",
    "randomization_inference": "impact.randomization",
    "spillover_did": "impact.spillover",
    "compare": "impact.results",
    "minimum_detectable_effect": "impact.power",
    "power_curve": "impact.power",
    "shrink_rates": "impact.shrinkage",
    "EffectResult": "impact.results",
    # findings on published data (report Part A)
    "targeting_findings": "impact.targeting",
    "participation_findings": "impact.findings",
    "poverty_findings": "impact.findings",
    "detectable_effects": "impact.findings",
    # before / after
    "compare_before_after": "impact.before_after",
    "write_overview": "outputs.overview",
    # scenarios and projection
    "Scenario": "policy.scenarios",
    "load_scenario": "policy.scenarios",
    "allocate": "policy.allocation",
    "need_index": "policy.need",
    "prepare_panel": "policy.prepared",
    "project": "policy.projection",
    "compare_scenarios": "policy.comparison",
    "optimise_allocation": "policy.optimiser",
    # report
    "render_report": "outputs.report.render",
    "disclose": "outputs.disclosure",
}

__all__ = sorted(_API) + ["__version__"]

# old top-level module paths (llq_analysis.scenarios, llq_analysis.dashboard ...) keep working
from . import _moved  # noqa: E402

_moved.install()


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'llq_analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # cache: the next access is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return __all__
