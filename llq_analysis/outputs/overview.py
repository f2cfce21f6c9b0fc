"""Data overview: what the panel covers, where its values come from, which quartiers need most.

Functions return tidy DataFrames (plots live in :mod:`llq_analysis.outputs.plots`);
:func:`write_overview` writes a self-contained HTML page with the tables and charts
(``llq overview``). Every figure built on simulated values is stamped "Simulierte Daten".
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import schema
from ..i18n import t

__all__ = [
    "INDICATORS",
    "coverage",
    "coverage_table",
    "provenance_table",
    "quartiers_by_need",
    "city_trend",
    "tile_grid",
    "source_counts",
    "write_overview",
]

#: indicator columns shown in the overview (rates in %, money in EUR per resident)
INDICATORS: tuple[str, ...] = ("sgb2_rate", "sgb2_rate_u15", "unemployment_rate", "turnout_buergerschaft",
                               "turnout_bundestag", "llq_eur_per_capita", "win_eur_per_capita")

# weight column of a city-level mean (the base population of each rate)
_RATE_BASE = {"sgb2_rate": "population_below_retirement_age", "sgb2_rate_u15": "population_u15",
              "unemployment_rate": "population_below_retirement_age",
              "turnout_buergerschaft": "electorate_buergerschaft", "turnout_bundestag": "electorate_bundestag"}


def _need(panel: pd.DataFrame, cols: Sequence[str]) -> None:
    if not isinstance(panel, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(panel).__name__}")
    missing = [c for c in cols if c not in panel.columns]
    if missing:
        raise ValueError(f"panel is missing column(s) {missing}")


def _indicators(panel: pd.DataFrame, indicators: Sequence[str] | None) -> list[str]:
    if indicators is None:
        return [c for c in INDICATORS if c in panel.columns]
    inds = [indicators] if isinstance(indicators, str) else list(indicators)
    _need(panel, inds)
    return inds


def coverage(panel: pd.DataFrame, *, indicators: Sequence[str] | None = None, unit: str = "quartier_id",
             time: str = "year", by: str | None = None) -> pd.DataFrame:
    """Quartiers with a value, per indicator and year (tidy).

    Columns: ``indicator, year, [by], n_quartiers`` (with a value), ``n_total`` (quartiers in the
    panel that year), ``share`` (0-1). Empty values (e.g. turnout outside election years) count
    as not covered; nothing is interpolated.
    """
    inds = _indicators(panel, indicators)
    keys = [time] + ([by] if by else [])
    _need(panel, [unit, *keys])
    total = panel.groupby(keys)[unit].nunique().rename("n_total")
    rows = []
    for ind in inds:
        has = panel[panel[ind].notna()]
        n = has.groupby(keys)[unit].nunique().reindex(total.index, fill_value=0).rename("n_quartiers")
        d = pd.concat([n, total], axis=1).reset_index()
        d.insert(0, "indicator", ind)
        rows.append(d)
    out = pd.concat(rows, ignore_index=True)
    out["share"] = out["n_quartiers"] / out["n_total"]
    return out.rename(columns={time: "year"})


def coverage_table(panel: pd.DataFrame, *, indicators: Sequence[str] | None = None,
                   unit: str = "quartier_id", time: str = "year") -> pd.DataFrame:
    """Coverage as a wide table: indicators (rows) x years (columns), number of quartiers with a value."""
    c = coverage(panel, indicators=indicators, unit=unit, time=time)
    wide = c.pivot(index="indicator", columns="year", values="n_quartiers")
    return wide.reindex([i for i in dict.fromkeys(c["indicator"])])


def provenance_table(panel: pd.DataFrame, *, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Number of values by provenance kind (published / simulated / ... / missing) per column.

    Wide table: one row per value column, one column per provenance kind, plus ``total``.
    """
    from ..data.loaders import provenance_counts

    cols = list(columns) if columns is not None else [c for c in schema.panel_value_columns()
                                                      if schema.provenance_column(c) in panel.columns]
    long = provenance_counts(panel, cols)
    if long.empty:
        raise ValueError("no '<column>_provenance' columns found in the panel")
    wide = long.pivot_table(index="column", columns="provenance", values="n_values", aggfunc="sum",
                            fill_value=0)
    order = [k for k in schema.PROVENANCE_KINDS if k in wide.columns]
    wide = wide[order].reindex([c for c in cols if c in wide.index])
    wide["total"] = wide.sum(axis=1)
    wide.columns.name = None
    return wide


def _latest_year(panel: pd.DataFrame, indicator: str, time: str) -> int:
    ys = panel.loc[panel[indicator].notna(), time]
    if ys.empty:
        raise ValueError(f"{indicator!r} has no values in the panel")
    return int(ys.max())


def quartiers_by_need(panel: pd.DataFrame, *, indicator: str = "sgb2_rate", year: int | None = None,
                      quartiers: pd.DataFrame | None = None, funded: str | None = "llq_funded",
                      unit: str = "quartier_id", time: str = "year", ascending: bool = False) -> pd.DataFrame:
    """Quartiers ranked by ``indicator`` in ``year`` (default: the latest year with values).

    Highest value first (``ascending=False``: for SGB II rates high = high need; for turnout pass
    ``ascending=True``). Columns: ``rank, quartier_id, [city, stadtteil, ortsteil], year, value,
    [funded], [population]``. Quartiers without a value that year are listed last with rank NaN.
    """
    _need(panel, [unit, time, indicator])
    yr = _latest_year(panel, indicator, time) if year is None else int(year)
    d = panel[panel[time] == yr]
    if d.empty:
        raise ValueError(f"year {yr} is not in the panel (years: {sorted(panel[time].unique())[:3]} ...)")
    keep = [unit, indicator] + [c for c in (funded, "population", "city") if c and c in d.columns]
    out = d[keep].rename(columns={indicator: "value"}).copy()
    out.insert(2, "year", yr)
    if funded and funded in out.columns:
        out = out.rename(columns={funded: "funded"})
    if quartiers is not None:
        geo = [c for c in ("city", "stadtteil", "ortsteil") if c in quartiers.columns]
        out = out.drop(columns=[c for c in geo if c in out.columns]).merge(
            quartiers[[unit, *geo]], on=unit, how="left")
    out = out.sort_values("value", ascending=ascending, na_position="last", kind="stable")
    out.insert(0, "rank", out["value"].rank(ascending=ascending, method="min"))
    out = out.reset_index(drop=True)
    front = [c for c in ("rank", unit, "city", "stadtteil", "ortsteil", "year", "value", "funded",
                         "population") if c in out.columns]
    return out[front]


def city_trend(panel: pd.DataFrame, *, indicator: str = "sgb2_rate", weight: str | None = "auto",
               city: str = "city", time: str = "year") -> pd.DataFrame:
    """City-level series of ``indicator`` by year: the mean over quartiers weighted by the rate's
    base population (``weight="auto"``: SGB II rate -> residents below retirement age, child rate
    -> children under 15, turnout -> electorate), so it equals the city's rate; ``weight=None``
    gives the unweighted mean. Years without values (elections) are left out, never interpolated.

    Columns: ``city, year, value, n_quartiers, weight``.
    """
    _need(panel, [city, time, indicator])
    w = _RATE_BASE.get(indicator) if weight == "auto" else weight
    if w is not None and w not in panel.columns:
        if weight == "auto":
            w = None
        else:
            raise ValueError(f"weight column {w!r} is not in the panel")
    d = panel[panel[indicator].notna()]
    v = d[indicator].astype(float)
    ww = d[w].astype(float) if w is not None else pd.Series(1.0, index=d.index)
    ok = ww.notna()
    g = pd.DataFrame({"city": d[city], "year": d[time], "vw": v * ww, "w": ww, "q": 1})[ok]
    agg = g.groupby(["city", "year"]).agg(vw=("vw", "sum"), w=("w", "sum"), n_quartiers=("q", "sum"))
    out = agg.assign(value=agg["vw"] / agg["w"]).reset_index()[["city", "year", "value", "n_quartiers"]]
    out["year"] = out["year"].astype(int)
    out["weight"] = w or "unweighted"
    return out


def tile_grid(panel: pd.DataFrame | None = None, *, quartiers: pd.DataFrame | None = None,
              indicator: str = "sgb2_rate", year: int | None = None, funded: str | None = "llq_funded",
              unit: str = "quartier_id", time: str = "year") -> pd.DataFrame:
    """Positions of a tile-grid "map": one tile per quartier, one row per Stadtteil.

    Within each city, Stadtteile are ordered by Stadtbezirk and name (one row each) and their
    Ortsteile sit side by side (alphabetically). This is a schematic, not a geographic map: no
    boundary files of the Ortsteile are bundled. Columns: ``quartier_id, city, stadtbezirk,
    stadtteil, ortsteil, x, y`` (y = row, 0 at the top), ``value`` (``indicator`` in ``year``,
    default latest), ``funded``.
    """
    if quartiers is None:
        from ..data.loaders import load_quartiers

        quartiers = load_quartiers()
    _need(quartiers, [unit, "city", "stadtteil", "ortsteil"])
    geo = quartiers[[unit, "city", "stadtteil", "ortsteil"]
                    + (["stadtbezirk"] if "stadtbezirk" in quartiers.columns else [])].copy()
    if "stadtbezirk" not in geo.columns:
        geo["stadtbezirk"] = ""
    geo["stadtbezirk"] = geo["stadtbezirk"].astype("string").fillna("")
    parts = []
    for _cty, g in geo.groupby("city", sort=True):
        rows = (g[["stadtbezirk", "stadtteil"]].drop_duplicates()
                .sort_values(["stadtbezirk", "stadtteil"], kind="stable").reset_index(drop=True))
        row_of = {st: i for i, st in enumerate(rows["stadtteil"])}
        g = g.sort_values(["stadtteil", "ortsteil"], kind="stable").copy()
        g["y"] = g["stadtteil"].map(row_of)
        g["x"] = g.groupby("stadtteil").cumcount()
        parts.append(g)
    out = pd.concat(parts, ignore_index=True)
    out["value"] = np.nan
    out["funded"] = False
    if panel is not None:
        _need(panel, [unit, time, indicator])
        yr = _latest_year(panel, indicator, time) if year is None else int(year)
        d = panel[panel[time] == yr].set_index(unit)
        out["value"] = out[unit].map(d[indicator]).astype(float)
        if funded and funded in d.columns:
            out["funded"] = out[unit].map(d[funded]).fillna(False).astype(bool)
        out.attrs.update(indicator=indicator, year=yr)
    cols = [unit, "city", "stadtbezirk", "stadtteil", "ortsteil", "x", "y", "value", "funded"]
    return out[cols]


# ----------------------------------------------------------------------------- HTML


def source_counts(published: pd.DataFrame, demo: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per indicator: published values (and their years) in ``published``, simulated values in
    ``demo`` - the two panels are counted apart, never added up. Tidy: one row per indicator."""
    rows = []
    for c in schema.panel_value_columns():
        if c not in published.columns:
            continue
        prov = published[schema.provenance_column(c)].astype(str).str.split(":").str[0]
        pub = published[c].notna() & (prov == "published")
        years = published.loc[pub, "year"]
        row = {"indicator": c, "published": int(pub.sum()),
               "published_years": f"{int(years.min())}-{int(years.max())}" if len(years) else "-"}
        if demo is not None and c in demo.columns:
            dprov = demo[schema.provenance_column(c)].astype(str).str.split(":").str[0]
            row["simulated"] = int((demo[c].notna() & (dprov == "simulated")).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def _latest_map(panel: pd.DataFrame, indicator: str, lang: str):
    """Map of ``indicator`` in its latest published year (None if nothing is published)."""
    from .maps import plot_map

    has = panel[panel[indicator].notna()]
    if has.empty:
        return None, None
    year = int(has["year"].max())
    d = has[has["year"] == year][["quartier_id", indicator, schema.provenance_column(indicator)]]
    src = d[schema.provenance_column(indicator)].iloc[0].split(":", 1)[-1].strip()
    fig = plot_map(d, column=indicator, label=f"{t(indicator, lang)} ({year})", unmapped="note",
                   source=src, lang=lang)
    return fig, year


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def write_overview(out_dir: str | os.PathLike = "reports", *, lang: str = "de",
                   panel: pd.DataFrame | None = None, quartiers: pd.DataFrame | None = None,
                   indicator: str = "sgb2_rate", demo_panel: pd.DataFrame | None = None) -> Path:
    """Write a self-contained HTML data overview into ``out_dir`` and return its path.

    Contents: coverage (quartiers x years x indicators), provenance counts, the city series of
    ``indicator`` (SGB II rate by default), the tile grid of quartiers coloured by ``indicator``
    and the 15 quartiers with the highest values; for the bundled published panel also the
    published vs simulated counts per indicator (against the demo panel) and a map of
    ``indicator`` in its latest published year. Charts are embedded PNGs; the file is written
    atomically. File name: ``daten_ueberblick.html`` (de) or ``data_overview.html`` (en).
    """
    from ..data.loaders import load_demo_panel, load_panel, load_quartiers, write_text_atomic
    from ..impact.results import data_provenance
    from . import plots

    t("year", lang)  # validates lang
    bundled = panel is None
    panel = load_panel() if panel is None else panel
    if demo_panel is None and bundled:
        demo_panel = load_demo_panel()
    quartiers = load_quartiers() if quartiers is None else quartiers
    prov = data_provenance(panel, [indicator])

    cov = coverage(panel)
    provt = provenance_table(panel)
    ct = city_trend(panel, indicator=indicator)
    grid = tile_grid(panel, quartiers=quartiers, indicator=indicator)
    need = quartiers_by_need(panel, indicator=indicator, quartiers=quartiers).head(15)

    figs = [
        (t("ov.coverage", lang), plots.coverage_heatmap(cov, lang=lang, provenance=prov)),
        (t("ov.provenance", lang), plots.provenance_bar(provt, lang=lang)),
        (f"{t(indicator, lang)} {t('ov.by_city', lang)}",
         plots.city_trend_plot(ct, indicator=indicator, lang=lang, provenance=prov)),
        (t("ov.tile_grid", lang), plots.tile_grid_plot(grid, indicator=indicator, lang=lang, provenance=prov)),
    ]
    title = t("ov.title", lang)
    esc = html.escape
    parts = [f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{esc(title)}</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 6px;"
             "text-align:right}.sim{background:#fde8ea;border:2px solid #b00020;padding:0.6em;"
             "color:#b00020;font-weight:bold}img{max-width:100%}</style></head><body>",
             f"<h1>{esc(title)}</h1>"]
    if prov in ("simulated", "mixed"):
        parts.append(f"<p class='sim'>{esc(t('simulated_warning', lang))}</p>")
    n_q, years = panel["quartier_id"].nunique(), sorted(panel["year"].unique())
    parts.append(f"<p>{n_q} {esc(t('ov.n_quartiers', lang))}; {esc(t('year', lang))} "
                 f"{years[0]}–{years[-1]}.</p>")
    for head, fig in figs:
        parts.append(f"<h2>{esc(head)}</h2><img alt='{esc(head)}' src='data:image/png;base64,{_png(fig)}'>")
    counts = source_counts(panel, demo_panel)
    parts.append(f"<h2>{esc(t('ov.sources', lang))}</h2>")
    parts.append(counts.assign(indicator=counts["indicator"].map(lambda i: t(i, lang))).to_html(index=False))
    map_fig, map_year = _latest_map(panel, indicator, lang)
    if map_fig is not None:
        head = f"{t('ov.map', lang)}: {t(indicator, lang)} {map_year}"
        parts.append(f"<h2>{esc(head)}</h2><img alt='{esc(head)}' src='data:image/png;base64,{_png(map_fig)}'>")
    parts.append(f"<h2>{esc(t('ov.coverage', lang))}</h2>")
    parts.append(coverage_table(panel).rename(index=lambda i: t(i, lang)).to_html())
    parts.append(f"<h2>{esc(t('ov.provenance', lang))}</h2>")
    parts.append(provt.to_html())
    parts.append(f"<h2>{esc(t('ov.need', lang))}: {esc(t(indicator, lang))}</h2>")
    parts.append(need.to_html(index=False, float_format=lambda v: f"{v:.1f}"))
    parts.append("</body></html>")
    out = Path(out_dir) / ("daten_ueberblick.html" if lang == "de" else "data_overview.html")
    return write_text_atomic("\n".join(parts), out)
