"""The scenario dashboard (ipywidgets ``ScenarioExplorer``, served by Voila via ``llq app``)."""

from __future__ import annotations

from ..._lazy import reexport

__getattr__ = reexport(__name__, ("explorer",))
