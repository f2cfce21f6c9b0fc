"""Plots of the data overview and the programme: coverage, provenance, city trends, tile grid,
funding."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...i18n import t
from ._base import _plt, mark_simulated


# --------------------------------------------------------------------------- data overview
def coverage_heatmap(coverage: pd.DataFrame, *, lang: str = "de", provenance: str = "user"):
    """Heatmap indicators x years of the number of quartiers with a value (from ``overview.coverage``)."""
    plt, sns = _plt()
    wide = coverage.pivot(index="indicator", columns="year", values="n_quartiers")
    wide = wide.reindex(list(dict.fromkeys(coverage["indicator"])))
    wide.index = [t(i, lang) for i in wide.index]
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(wide) + 1.6))
    sns.heatmap(wide, annot=True, fmt=".0f", cmap="Blues", vmin=0, cbar_kws={"label": t("ov.n_quartiers", lang)},
                linewidths=0.5, ax=ax)
    ax.set_xlabel(t("year", lang))
    ax.set_ylabel("")
    ax.set_title(t("ov.coverage", lang))
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return mark_simulated(fig, provenance, lang)


def provenance_bar(table: pd.DataFrame, *, lang: str = "de"):
    """Stacked bars: values per column by provenance kind (from ``overview.provenance_table``)."""
    plt, _ = _plt()
    d = table.drop(columns=["total"], errors="ignore")
    d.index = [t(i, lang) for i in d.index]
    colours = {"published": "#2e7d32", "simulated": "#b00020", "derived": "#f9a825",
               "illustrative": "#8e24aa", "user": "#1f4e79", "missing": "#bdbdbd"}
    fig, ax = plt.subplots(figsize=(10, 0.4 * len(d) + 1.5))
    d.plot.barh(stacked=True, ax=ax, color=[colours.get(c, "#777777") for c in d.columns], width=0.75)
    ax.invert_yaxis()
    ax.set_xlabel(t("ov.n_values", lang))
    ax.set_title(t("ov.provenance", lang))
    ax.legend(title=t("provenance", lang), fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def city_trend_plot(series: pd.DataFrame, *, indicator: str, lang: str = "de", provenance: str = "user"):
    """Line per city of an indicator over the years (from ``overview.city_trend``); election
    indicators are drawn as points joined by dotted lines (no values between elections)."""
    plt, _ = _plt()
    fig, ax = plt.subplots(figsize=(8, 4))
    sparse = series["year"].nunique() < series["year"].max() - series["year"].min() + 1
    for (cty, d), colour in zip(series.groupby("city"), ("#1f4e79", "#c0392b", "#2e7d32"), strict=False):
        d = d.sort_values("year")
        ax.plot(d["year"], d["value"], marker="o", ls=":" if sparse else "-", color=colour, label=cty)
    ax.set_xlabel(t("year", lang))
    ax.set_ylabel(t(indicator, lang))
    ax.set_title(f"{t(indicator, lang)} {t('ov.by_city', lang)}")
    ax.legend(title=t("city", lang))
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return mark_simulated(fig, provenance, lang)


def tile_grid_plot(grid: pd.DataFrame, *, indicator: str | None = None, lang: str = "de",
                   provenance: str = "user", cmap: str = "YlOrRd"):
    """Tile-grid "map" (from ``overview.tile_grid``): one tile per quartier, one row per Stadtteil,
    one panel per city; colour = indicator value; LLQ-funded quartiers framed in black."""
    plt, _ = _plt()
    import matplotlib as mpl
    from matplotlib.patches import Rectangle

    indicator = indicator or grid.attrs.get("indicator", "")
    cities = list(dict.fromkeys(grid["city"]))
    heights = [grid.loc[grid["city"] == c, "y"].max() + 1 for c in cities]
    width = int(grid["x"].max()) + 1
    fig, axes = plt.subplots(len(cities), 1, figsize=(min(2.0 + 1.25 * width, 16), 0.42 * sum(heights) + 2.2),
                             gridspec_kw={"height_ratios": heights}, squeeze=False, layout="constrained")
    vals = grid["value"].astype(float)
    norm = mpl.colors.Normalize(vmin=np.nanmin(vals) if vals.notna().any() else 0,
                                vmax=np.nanmax(vals) if vals.notna().any() else 1)
    cm = mpl.colormaps[cmap]
    for ax, cty in zip(axes[:, 0], cities, strict=True):
        g = grid[grid["city"] == cty]
        for _, r in g.iterrows():
            v = r["value"]
            face = "#eeeeee" if pd.isna(v) else cm(norm(v))
            ax.add_patch(Rectangle((r["x"] + 0.04, r["y"] + 0.06), 0.92, 0.88, facecolor=face,
                                   edgecolor="black" if r["funded"] else "white",
                                   linewidth=2.2 if r["funded"] else 0.8))
            label = str(r["ortsteil"])
            label = label if len(label) <= 14 else label[:13] + "."
            dark = not pd.isna(v) and norm(v) > 0.6
            ax.text(r["x"] + 0.5, r["y"] + 0.5, f"{label}\n{'' if pd.isna(v) else f'{v:.1f}'}",
                    ha="center", va="center", fontsize=6.2, color="white" if dark else "black")
        rows = g.drop_duplicates("y").sort_values("y")
        ax.set_yticks(rows["y"] + 0.5)
        ax.set_yticklabels(rows["stadtteil"], fontsize=8)
        ax.set_xlim(0, width)
        ax.set_ylim(heights[cities.index(cty)], 0)
        ax.set_xticks([])
        ax.grid(False)
        for s in ax.spines.values():
            s.set_visible(False)
        ax.set_title(cty, loc="left", fontsize=11, fontweight="bold")
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cm)
    fig.colorbar(sm, ax=axes[:, 0].tolist(), shrink=0.5, aspect=30, pad=0.01,
                 label=t(indicator, lang) if indicator else "")
    year = grid.attrs.get("year")
    fig.suptitle(f"{t('ov.tile_grid', lang)}: {t(indicator, lang)}" + (f" {year}" if year else "")
                 + f" ({t('ov.funded_frame', lang)})", fontsize=11)
    fig.get_layout_engine().set(h_pad=0.15)
    return mark_simulated(fig, provenance, lang)


# --------------------------------------------------------------------------- report (report_content.py)
def funding_plot(funding: pd.DataFrame, *, lang: str = "de"):
    """Money per year, one panel per city, stacked by strand (rows of ``data/funding.csv``)."""
    plt, sns = _plt()
    cities = [c for c in ("Bremen", "Bremerhaven") if c in set(funding["city"])]
    fig, axes = plt.subplots(1, len(cities), figsize=(10, 3.6), squeeze=False,
                             gridspec_kw={"width_ratios": [1.4] + [1] * (len(cities) - 1)})
    colours = sns.color_palette("deep", 8)
    for ax, city in zip(axes[0], cities, strict=True):
        d = funding[funding["city"] == city].pivot_table(index="year", columns="strand",
                                                         values="amount_eur", aggfunc="sum",
                                                         fill_value=0.0) / 1000.0
        bottom = None
        for i, strand in enumerate(d.columns):
            label = strand if len(strand) <= 34 else strand[:33] + "…"
            ax.bar(d.index.astype(str), d[strand], bottom=bottom, color=colours[i % len(colours)],
                   label=label, width=0.7)
            bottom = d[strand] if bottom is None else bottom + d[strand]
        ax.set_title(city, loc="left", fontweight="bold")
        ax.set_ylabel("1.000 EUR" if lang == "de" else "EUR 1,000")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1, frameon=False)
    fig.tight_layout()
    return fig
