"""Build the bundled reference data in ``data/`` deterministically: ``python -m llq_analysis.data.reference_data``.

Writes quartiers.csv (real geography + simulated 2022 population), funding.csv (published facts
with illustrative fill-ins), programme_area_map.csv (area -> Ortsteil links with their basis),
panel.csv (simulated on the real geography, seed ``simulate.DEFAULT_SEED``) and data/README.md
(data dictionary generated from :mod:`llq_analysis.data.schema`). A test rebuilds everything in
memory and checks that the files are identical, so the bundled data are always reproducible.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths
from . import schema
from .funding import build_funding
from .geography import area_map, ortsteile
from .simulate import DEFAULT_EFFECTS, DEFAULT_SEED, simulate_panel

POPULATION_YEAR = 2022


def build_all() -> dict[str, pd.DataFrame]:
    """All bundled tables, in memory (nothing written)."""
    geo = ortsteile()
    funding = build_funding()
    panel = simulate_panel(DEFAULT_SEED, quartiers=geo, funding=funding)
    pop = panel.loc[panel["year"] == POPULATION_YEAR].set_index("quartier_id")["population"]
    quartiers = geo.assign(population=geo["quartier_id"].map(pop).astype("int64"))
    quartiers = quartiers[[c.name for c in schema.QUARTIERS]]
    return {"quartiers": quartiers, "funding": funding, "panel": panel,
            "programme_area_map": area_map()}


def csv_text(df: pd.DataFrame) -> str:
    """The exact CSV text written for ``df`` (UTF-8, ',' separator, '\\n' line ends)."""
    return df.to_csv(index=False, lineterminator="\n")


def readme_text(tables: dict[str, pd.DataFrame]) -> str:
    """data/README.md: provenance rules, sources, the true effect, counts and the dictionary."""
    from .loaders import provenance_counts

    panel, funding = tables["panel"], tables["funding"]
    counts = provenance_counts(panel)
    by_kind = counts.groupby("provenance")["n_values"].sum()
    fund_kind = funding["provenance"].str.split(":").str[0].value_counts()
    effects = "\n".join(f"| `{k}` | {v:+.2f} |" for k, v in DEFAULT_EFFECTS.items())
    template = (paths.DATA_DIR / "README.template.md").read_text(encoding="utf-8")
    return template.format(
        n_quartiers=len(tables["quartiers"]),
        n_bremen=int((tables["quartiers"]["city"] == "Bremen").sum()),
        n_bhv=int((tables["quartiers"]["city"] == "Bremerhaven").sum()),
        n_rows=len(panel),
        seed=DEFAULT_SEED,
        effects_table=effects,
        n_simulated=int(by_kind.get("simulated", 0)),
        n_published=int(by_kind.get("published", 0)),
        n_missing=int(by_kind.get("missing", 0)),
        funding_counts=", ".join(f"{k}: {v}" for k, v in fund_kind.items()),
        dictionary=schema.dictionary_markdown(),
    )


def write_all(data_dir: Path | None = None) -> list[Path]:
    """Write every bundled table (atomically) and data/README.md; return the paths written."""
    from .loaders import write_text_atomic

    data_dir = Path(data_dir) if data_dir is not None else paths.DATA_DIR
    tables = build_all()
    written = []
    for name, df in tables.items():
        written.append(write_text_atomic(csv_text(df), data_dir / f"{name}.csv"))
    written.append(write_text_atomic(readme_text(tables), data_dir / "README.md"))
    return written


if __name__ == "__main__":  # pragma: no cover
    for p in write_all():
        print(f"wrote {p}")
