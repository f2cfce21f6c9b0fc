"""Contents of the evaluation report: every table and figure, built from package calls.

The report notebook (``notebooks/06_bericht.ipynb``) only calls the section functions exported
here; :mod:`llq_analysis.outputs.report.render` runs it with papermill and exports HTML and PDF.

* :func:`start` loads and validates the inputs once and returns a :class:`ReportContext`.
* Every table goes through :meth:`ReportContext.table`: disclosure control
  (:func:`llq_analysis.outputs.disclosure.disclose`) first, then the CSV and XLSX export and the HTML shown
  in the report, so no table can leave the package unprotected. Tables built on simulated values
  carry a visible "Simulierte Daten" banner.
* Every figure goes through :meth:`ReportContext.figure` (SVG, stamped "Simulierte Daten" by
  :func:`llq_analysis.outputs.plots.mark_simulated` when the data are simulated).
* Output is deterministic: fixed SVG hash salt, no timestamps, fixed ZIP dates in the XLSX files,
  floats in the CSV files rounded to 6 decimals.

Modules: :mod:`.core` (context, tables, figures, start), :mod:`.markup` (HTML blocks, number
formats, labels), :mod:`.export` (CSV/XLSX/SVG writers, disclosure note), :mod:`.data_sections`
(front matter, programme and budget, data coverage, quartier annex, reproducibility),
:mod:`.estimates` (all impact estimates, cached), :mod:`.impact_sections` (estimates table,
event study, dose curve, diagnostics), :mod:`.robustness_sections` (sensitivity, synthetic
control), :mod:`.policy_sections` (before/after, scenarios, summary). Long estimation results are
computed once and cached on the context.
"""

from __future__ import annotations

from .core import DEFAULT_SEED, MAIN_OUTCOME, ReportContext, default_scenarios, start
from .data_sections import (
    data_coverage,
    front_matter,
    programme,
    quartier_annex,
    quartier_table,
    reproducibility,
)
from .estimates import impact_panel, results
from .impact_sections import diagnostics, impact, impact_table
from .markup import Html, fmt
from .policy_sections import (
    before_after,
    before_after_result,
    scenario_comparison,
    scenarios,
    summary,
)

__all__ = [
    "DEFAULT_SEED", "MAIN_OUTCOME", "Html", "ReportContext", "default_scenarios", "fmt", "start",
    "front_matter", "summary", "programme", "data_coverage", "before_after", "before_after_result",
    "impact", "impact_table", "impact_panel", "results", "diagnostics", "scenarios",
    "scenario_comparison", "quartier_table", "quartier_annex", "reproducibility",
]
