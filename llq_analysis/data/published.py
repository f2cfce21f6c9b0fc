"""The published panel: built from the original official files with the package's own importer.

``make data`` calls :func:`build_published_panel`, which runs :func:`~llq_analysis.build_panel` on
the files in ``data/sources/official/`` with the mapping ``data/sources/official/panel_mapping.yaml``
- exactly what ``llq build-panel`` does with a user's exports. Every value in the result is
published (``published: <publisher>, <table>, <sheet / indicator>``) or empty with provenance
``missing``; nothing is simulated, interpolated or carried forward.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .geography import ATLAS_XLSX, POP_CSV, SOURCES, WAHLATLAS_JS

#: the panel window: SGB II exists since 2005; the latest year a user may add is 2024
PANEL_YEARS = tuple(range(2005, 2025))
MAPPING_YAML = SOURCES / "panel_mapping.yaml"
POPULATION_YEARS = (2010, 2020, 2021, 2022, 2023)  # copies of 12411-03-03 in data/sources/official


def source_files() -> list[Path]:
    """The original official files the published panel is built from."""
    return [ATLAS_XLSX, *(Path(str(POP_CSV).format(year=y)) for y in POPULATION_YEARS), WAHLATLAS_JS]


def build_published_panel(*, quartiers: pd.DataFrame, funding: pd.DataFrame | None = None) -> pd.DataFrame:
    """The published quartier x year panel (2005-2024) of the Ortsteile in ``quartiers``.

    ``funding`` (the bundled funding table) derives ``llq_first_year`` / ``llq_funded`` and, where
    a population is published, ``llq_eur_per_capita`` (provenance ``derived`` or
    ``illustrative``, never ``published``). ``attrs["trace"]`` says for every value which file,
    sheet, indicator block, line and column it was read from.
    """
    from .importing import build_panel

    panel = build_panel(source_files(), mapping=MAPPING_YAML, quartiers=quartiers,
                        funding=False if funding is None else funding, years=PANEL_YEARS)
    panel.attrs["provenance"] = "published"
    return panel
