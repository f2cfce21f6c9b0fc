"""The scenario dashboard (ipywidgets ``ScenarioExplorer``, served by Voila via ``llq app``).

Modules: :mod:`.controls` (the control model, scenario diff, YAML export; no widgets),
:mod:`.effects` (effect cache), :mod:`.view` (widget layout, labels, CSS), :mod:`.display` (outputs
and chart), :mod:`.explorer` (``ScenarioExplorer``: state and callbacks), :mod:`.launch` (Voila
command line, free port). Every public name is available here (resolved lazily).
"""

from __future__ import annotations

from ..._lazy import reexport

__getattr__ = reexport(__name__, ("explorer", "controls", "effects", "display", "view", "launch"))
