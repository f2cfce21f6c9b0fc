"""Build the bundled data in ``data/`` deterministically: ``python -m llq_analysis.data.reference_data``.

From the original official files in ``data/sources/official/`` (read with the package's own
importer) and the domain tables in ``data/sources/``:

* ``quartiers.csv`` - the official Ortsteil key (8-digit Gebietsschlüssel) with residents 2023;
* ``panel.csv`` - the **published** panel 2005-2024 (:mod:`.published`), ``panel_sources.csv`` -
  where each published value was read (file, sheet, indicator block, row, column);
* ``demo_panel.csv`` - the **simulated** demo panel (seed ``simulate.DEFAULT_SEED``);
* ``funding.csv``, ``programme_area_map.csv`` and ``README.md`` (dictionary from the schema);
* ``boundaries.geojson`` and ``neighbours.csv`` (:mod:`.boundaries`, when the ``geo`` extra is there).

A test rebuilds everything in memory and checks that the files are identical.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths
from . import schema
from .funding import build_funding
from .geography import area_map, ortsteile
from .published import build_published_panel
from .simulate import DEFAULT_EFFECTS, DEFAULT_SEED, simulate_panel

TABLES = ("quartiers", "funding", "panel", "panel_sources", "demo_panel", "programme_area_map")


def build_all() -> dict[str, pd.DataFrame]:
    """All bundled tables, in memory (nothing written)."""
    quartiers = ortsteile().copy()[[c.name for c in schema.QUARTIERS]]
    funding = build_funding()
    panel = build_published_panel(quartiers=quartiers, funding=funding)
    trace = panel.attrs["trace"].frame.sort_values(["quartier_id", "year", "column"], kind="stable")
    # the indicator block is in each value's provenance; keep the file coordinates only
    trace = trace[["quartier_id", "year", "column", "file", "sheet", "line", "source_column", "cell"]]
    demo = simulate_panel(DEFAULT_SEED, quartiers=quartiers, funding=funding, calibrate_to=panel)
    return {"quartiers": quartiers, "funding": funding, "panel": panel,
            "panel_sources": trace.reset_index(drop=True), "demo_panel": demo,
            "programme_area_map": area_map()}


def csv_text(df: pd.DataFrame) -> str:
    """The exact CSV text written for ``df`` (UTF-8, ',' separator, '\\n' line ends)."""
    return df.to_csv(index=False, lineterminator="\n")


def indicator_counts(panel: pd.DataFrame) -> pd.DataFrame:
    """Per value column: published / simulated / derived / missing values and the published years."""
    rows = []
    for c in schema.panel_value_columns():
        prov = panel[schema.provenance_column(c)].astype(str).str.split(":").str[0]
        has = panel[c].notna()
        years = panel.loc[has & (prov == "published"), "year"]
        rows.append({"column": c, **{k: int(((prov == k) & (has if k != "missing" else ~has)).sum())
                                      for k in ("published", "simulated", "derived", "illustrative", "missing")},
                     "years": f"{int(years.min())}-{int(years.max())}" if len(years) else "-"})
    return pd.DataFrame(rows)


def readme_text(tables: dict[str, pd.DataFrame]) -> str:
    """data/README.md: sources, provenance rules, counts, the demo effect and the dictionary."""
    q, panel, demo, funding = (tables[k] for k in ("quartiers", "panel", "demo_panel", "funding"))
    counts = indicator_counts(panel)
    table = ["| column | published values | years | missing |", "|---|---|---|---|"]
    for r in counts.itertuples():
        if r.published or r.derived or r.illustrative:
            extra = f" (+{r.derived} derived, {r.illustrative} illustrative)" if (r.derived or r.illustrative) else ""
            table.append(f"| `{r.column}` | {r.published}{extra} | {r.years} | {r.missing} |")
    absent = [r.column for r in counts.itertuples() if not (r.published or r.derived or r.illustrative)]
    demo_counts = indicator_counts(demo)
    fund_kind = funding["provenance"].str.split(":").str[0].value_counts()
    effects = "\n".join(f"| `{k}` | {v:+.3f} | {_persons_per_eur(k, v)} |" for k, v in DEFAULT_EFFECTS.items())
    template = (paths.DATA_DIR / "README.template.md").read_text(encoding="utf-8")
    return template.format(
        n_quartiers=len(q), n_bremen=int((q["city"] == "Bremen").sum()),
        n_bhv=int((q["city"] == "Bremerhaven").sum()), n_rows=len(panel), n_demo_rows=len(demo),
        n_published=int(counts["published"].sum()), n_missing=int(counts["missing"].sum()),
        counts_table="\n".join(table), absent=", ".join(f"`{c}`" for c in absent),
        n_demo_simulated=int(demo_counts["simulated"].sum()), seed=DEFAULT_SEED,
        effects_table=effects, funding_counts=", ".join(f"{k}: {v}" for k, v in fund_kind.items()),
        n_trace=len(tables["panel_sources"]), dictionary=schema.dictionary_markdown(),
    )


def _persons_per_eur(outcome: str, pp_per_eur_pc: float) -> str:
    """The built-in effect as EUR per person (rates: pp of a base of ~80 % of residents, stated)."""
    if not outcome.startswith(("sgb2", "unemployment")) or pp_per_eur_pc == 0:
        return "-"
    # dose d EUR per resident changes the rate by e*d pp of a base of ~0.8 residents (under 65):
    # persons = e*d/100 * 0.8 * pop; money = d * pop  ->  EUR per person = 100 / (0.8 * |e|)
    return f"about {100 / (0.8 * abs(pp_per_eur_pc)):,.0f} EUR per person".replace(",", " ")


def write_all(data_dir: Path | None = None) -> list[Path]:
    """Write every bundled table (atomically) and data/README.md; return the paths written."""
    from .loaders import write_text_atomic

    data_dir = Path(data_dir) if data_dir is not None else paths.DATA_DIR
    tables = build_all()
    written = []
    for name in TABLES:
        written.append(write_text_atomic(csv_text(tables[name]), data_dir / f"{name}.csv"))
    written.append(write_text_atomic(readme_text(tables), data_dir / "README.md"))
    written += _boundaries(data_dir)
    return written


def _boundaries(data_dir: Path) -> list[Path]:
    """Rebuild boundaries.geojson and neighbours.csv when the ``geo`` extra is installed; the
    committed files are used otherwise (say so, do not fail: maps need matplotlib only)."""
    from .boundaries import build_boundaries

    try:
        build_boundaries(data_dir / "boundaries.geojson")
    except ImportError as exc:
        print(f"boundaries.geojson / neighbours.csv kept as committed ({exc}); "
              "`pip install -e '.[geo]'` to rebuild them")
        return []
    return [data_dir / "boundaries.geojson", data_dir / "neighbours.csv"]


if __name__ == "__main__":  # pragma: no cover
    for p in write_all():
        print(f"wrote {p}")
