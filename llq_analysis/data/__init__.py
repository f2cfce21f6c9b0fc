"""Stage 1, data: schema, bundled tables, official-export readers, import mapping, geography,
funding table, simulation and the reference-data build. Knows no estimator.

``from llq_analysis.data import load_panel`` keeps working (names come from :mod:`.loaders`)."""

from __future__ import annotations

from .._lazy import reexport

__getattr__ = reexport(__name__, ("loaders",))
