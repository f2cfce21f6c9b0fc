"""Plot functions: each returns a matplotlib Figure (seaborn style). No drawing inside estimators.

Every chart built on simulated values carries a visible "Simulierte Daten" mark
(:func:`mark_simulated`). matplotlib/seaborn are imported inside the functions (lazy).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import t


def _plt():
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    return plt, sns


def mark_simulated(fig, provenance: str = "simulated", lang: str = "de"):
    """Stamp a visible "Simulierte Daten" mark on ``fig`` when the data are (partly) simulated."""
    if provenance in ("simulated", "mixed"):
        fig.text(0.99, 0.01, t("simulated_mark", lang), ha="right", va="bottom", fontsize=11,
                 color="#b00020", fontweight="bold", alpha=0.85,
                 bbox={"boxstyle": "round", "fc": "white", "ec": "#b00020", "alpha": 0.8})
    return fig


def coef_plot(frame: pd.DataFrame, *, x: str = "term", ax=None, lang: str = "de",
              provenance: str = "user", title: str | None = None, ref_line: float = 0.0):
    """Point estimates with 95 % intervals from a tidy table (``estimate, ci_low, ci_high``)."""
    plt, _ = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    else:
        fig = ax.figure
    d = frame.reset_index(drop=True)
    xs = range(len(d))
    ax.errorbar(list(xs), d["estimate"], yerr=[d["estimate"] - d["ci_low"], d["ci_high"] - d["estimate"]],
                fmt="o", capsize=3, color="#1f4e79")
    ax.axhline(ref_line, color="grey", lw=1, ls="--")
    ax.set_xticks(list(xs))
    ax.set_xticklabels([str(v) for v in d[x]], rotation=45 if len(d) > 8 else 0, ha="right" if len(d) > 8 else "center")
    ax.set_ylabel(t("estimate", lang))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return mark_simulated(fig, provenance, lang)


# --------------------------------------------------------------------------- before / after
_GROUP_COLOURS = {"funded": "#c0392b", "comparison": "#1f4e79"}


def before_after_plot(result, *, lang: str = "de"):
    """Trends of funded and comparison quartiers (windows shaded), their levels before and after
    and their changes, from a :class:`~llq_analysis.impact.before_after.BeforeAfterResult`."""
    plt, sns = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), gridspec_kw={"width_ratios": [1.5, 1, 0.8]})
    ind = result.indicator
    palette = {t(f"ba.{g}", lang): c for g, c in _GROUP_COLOURS.items()}

    ax = axes[0]
    pre, post = result.spec["pre"], result.spec["post"]
    ax.axvspan(pre[0] - 0.4, pre[1] + 0.4, color="#dddddd", alpha=0.6, label=t("ba.window_before", lang))
    ax.axvspan(post[0] - 0.4, post[1] + 0.4, color="#f3d9d5", alpha=0.6, label=t("ba.window_after", lang))
    tr = result.trend
    sparse = tr["year"].nunique() < (tr["year"].max() - tr["year"].min() + 1)
    for g, colour in _GROUP_COLOURS.items():
        d = tr[tr["group"] == g].sort_values("year")
        ax.plot(d["year"], d["mean"], marker="o", color=colour, ls=":" if sparse else "-",
                label=f"{t(f'ba.{g}', lang)} (n = {int(d['n_quartiers'].max()) if len(d) else 0})")
    ax.set_xlabel(t("year", lang))
    ax.set_ylabel(t(ind, lang))
    ax.set_title(t("ba.trend_title", lang))
    ax.legend(fontsize=8, loc="best")

    q = result.quartiers
    lv = q.melt(id_vars=["quartier_id", "group"], value_vars=["before", "after"], var_name="period",
                value_name="value")
    lv["period"] = [t(f"ba.{p}", lang) for p in lv["period"]]
    lv["group"] = [t(f"ba.{g}", lang) for g in lv["group"]]
    hue_order = [t("ba.funded", lang), t("ba.comparison", lang)]
    ax = axes[1]
    sns.boxplot(data=lv, x="period", y="value", hue="group", hue_order=hue_order, palette=palette, ax=ax,
                fliersize=0, boxprops={"alpha": 0.45})
    sns.stripplot(data=lv, x="period", y="value", hue="group", hue_order=hue_order, palette=palette,
                  dodge=True, ax=ax, size=3.5, legend=False)
    ax.set_xlabel("")
    ax.set_ylabel(t(ind, lang))
    ax.set_title(t("ba.dist_title", lang))
    ax.legend(fontsize=8)

    ch = q.assign(group=[t(f"ba.{g}", lang) for g in q["group"]])
    ax = axes[2]
    sns.boxplot(data=ch, x="group", y="change", hue="group", order=hue_order, hue_order=hue_order,
                palette=palette, ax=ax, fliersize=0, boxprops={"alpha": 0.45}, legend=False)
    sns.stripplot(data=ch, x="group", y="change", hue="group", order=hue_order, hue_order=hue_order,
                  palette=palette, ax=ax, size=3.5, legend=False)
    ax.axhline(0, color="grey", lw=1, ls="--")
    lo, hi = result.ci
    ax.set_title(f"{t('ba.change', lang)}: {t('ba.difference', lang)} {result.estimate:+.2f} "
                 f"[{lo:+.2f}, {hi:+.2f}]", fontsize=10)
    ax.set_xlabel("")
    ax.set_ylabel(t("ba.change", lang))
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return mark_simulated(fig, result.provenance, lang)


def event_study_plot(table: pd.DataFrame, *, ax=None, lang: str = "de", provenance: str = "user",
                     title: str | None = None):
    """Event-study coefficients with 95 % intervals by relative period (``rel_time``).

    The reference period(s) (``reference=True``, estimate 0) are drawn as open markers at 0; a
    dashed vertical line separates pre- from post-treatment periods.
    """
    plt, _ = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    else:
        fig = ax.figure
    d = table.sort_values("rel_time")
    isref = d["reference"].astype(bool) if "reference" in d else pd.Series(False, index=d.index)
    est = d[~isref]
    ax.errorbar(est["rel_time"], est["estimate"],
                yerr=[est["estimate"] - est["ci_low"], est["ci_high"] - est["estimate"]],
                fmt="o", capsize=3, color="#1f4e79")
    ax.plot(d.loc[isref, "rel_time"], d.loc[isref, "estimate"], "o", mfc="white", color="#1f4e79")
    ax.axhline(0.0, color="grey", lw=1, ls="--")
    ax.axvline(-0.5, color="#b00020", lw=1, ls=":")
    ax.set_xlabel(t("relative_period", lang))
    ax.set_ylabel(t("estimate", lang))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return mark_simulated(fig, provenance, lang)


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


# --------------------------------------------------------------------------- staggered / dose
def bacon_plot(frame: pd.DataFrame, *, ax=None, lang: str = "de", provenance: str = "user",
               twfe: float | None = None):
    """Goodman-Bacon decomposition: each 2x2 estimate against its weight, coloured by type
    (``frame``: ``estimate, weight, type``); dashed line = the TWFE coefficient."""
    plt, _ = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    else:
        fig = ax.figure
    colours = {"treated_vs_never": "#1f4e79", "earlier_vs_later": "#4c9a2a", "later_vs_earlier": "#b00020"}
    for typ, sub in frame.groupby("type", sort=False):
        ax.scatter(sub["weight"], sub["estimate"], s=40, color=colours.get(typ, "grey"),
                   label=t("bacon." + str(typ), lang), alpha=0.85)
    if twfe is not None:
        ax.axhline(twfe, color="black", lw=1, ls="--", label=t("bacon.twfe", lang))
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_xlabel(t("bacon.weight", lang))
    ax.set_ylabel(t("bacon.estimate", lang))
    ax.set_title(t("method.bacon", lang))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return mark_simulated(fig, provenance, lang)


def dose_curve_plot(curve: pd.DataFrame, *, ax=None, lang: str = "de", provenance: str = "user",
                    slope: float | None = None, outcome: str | None = None):
    """Dose curve (``dose, effect, ci_low, ci_high``, ``kind`` linear/bins/spline) with its 95 %
    band; dashed = the linear TWFE slope (effect = slope x dose)."""
    plt, _ = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    else:
        fig = ax.figure
    kind = str(curve["kind"].iloc[0]) if "kind" in curve else "linear"
    if kind == "bins":
        ax.errorbar(curve["dose"], curve["effect"], yerr=[curve["effect"] - curve["ci_low"],
                                                          curve["ci_high"] - curve["effect"]],
                    fmt="o", capsize=3, color="#1f4e79", label=t("dose.bins", lang))
    else:
        ax.plot(curve["dose"], curve["effect"], color="#1f4e79", label=t("dose." + kind, lang))
        ax.fill_between(curve["dose"], curve["ci_low"], curve["ci_high"], color="#1f4e79", alpha=0.2)
    if slope is not None and kind != "linear":
        xs = [0.0, float(curve["dose"].max())]
        ax.plot(xs, [0.0, slope * xs[1]], color="black", lw=1, ls="--", label=t("dose.linear", lang))
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_xlabel(t("eur_per_capita", lang))
    ax.set_ylabel(f"{t('dose.effect', lang)}" + (f" ({t(outcome, lang)})" if outcome else ""))
    ax.set_title(t("method.dose", lang))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return mark_simulated(fig, provenance, lang)


def explorer_plot(projection, *, outcome: str = "sgb2_rate", names: dict | None = None, top: int = 12,
                  lang: str = "de"):
    """Scenario explorer chart: EUR per resident of the ``top`` best-funded quartiers (left) and the
    projected change of ``outcome`` per city with its 95 % interval (right).

    ``projection``: a :class:`llq_analysis.policy.projection.Projection`; ``names``: quartier_id -> label.
    Built on a bare ``matplotlib.figure.Figure`` (no pyplot state, no seaborn import), so the
    dashboard can redraw it quickly; close nothing, just drop the reference.
    """
    from matplotlib.figure import Figure

    colours = {"Bremen": "#1f4e79", "Bremerhaven": "#c55a11"}
    q = projection.quartiers
    q = q[(q["outcome"] == outcome) & (q["amount_eur"] > 0)].nlargest(top, "amount_eur")[::-1]
    fig = Figure(figsize=(10, 3.8))
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    for ax in (ax1, ax2):
        ax.grid(True, color="#e5e5e5", lw=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    labels = [(names or {}).get(i, i) for i in q["quartier_id"]]
    ax1.barh(range(len(q)), q["eur_per_capita"], color=[colours.get(c, "grey") for c in q["city"]])
    ax1.set_yticks(range(len(q)))
    ax1.set_yticklabels(labels, fontsize=8)
    ax1.set_xlabel(t("eur_per_capita", lang))
    ax1.set_title(t("dash.chart_title", lang).format(n=len(q)), fontsize=10, loc="left")
    from matplotlib.patches import Patch

    ax1.legend(handles=[Patch(color=v, label=k) for k, v in colours.items()], fontsize=8, ncol=2,
               frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.06), borderaxespad=0)
    c = projection.cities[projection.cities["outcome"] == outcome].reset_index(drop=True)
    xs = range(len(c))
    ax2.errorbar(list(xs), c["change_pp"], yerr=[c["change_pp"] - c["change_pp_low"],
                                                 c["change_pp_high"] - c["change_pp"]],
                 fmt="o", capsize=4, color="#1f4e79")
    ax2.axhline(0.0, color="grey", lw=0.8, ls="--")
    ax2.set_xlim(-0.6, len(c) - 0.4)
    ax2.set_xticks(list(xs))
    ax2.set_xticklabels([t("dash.both", lang).split(" (")[0] if v == "Land Bremen" else v for v in c["city"]],
                        fontsize=8)
    ax2.set_ylabel(t("dash.col.pp", lang))
    ax2.set_title(t(outcome, lang), fontsize=10)
    fig.subplots_adjust(left=0.2, right=0.98, bottom=0.14, top=0.84, wspace=0.35)  # no tight_layout: one draw
    return mark_simulated(fig, projection.provenance, lang)


# -- synthetic control and sensitivity (impact/synth.py, impact/sensitivity.py) -----------------
def synth_plot(result, *, lang: str = "de"):
    """Synthetic control / SDID: (left) treated vs synthetic path, (right) gap of the treated unit
    and, if computed, the in-space placebo gaps (grey)."""
    plt, _ = _plt()
    ex = result.extras
    has_gap = ex.get("gap") is not None
    fig, axes = plt.subplots(1, 2 if has_gap else 1, figsize=(11 if has_gap else 6, 4), squeeze=False)
    ax = axes[0, 0]
    tt = ex.get("treatment_time")
    tr = ex["treated_path"]
    xs = list(range(len(tr)))
    ax.plot(xs, tr.to_numpy(), color="#1f4e79", lw=2, label=t("synth.treated", lang))
    if ex.get("synthetic") is not None:
        ax.plot(xs, ex["synthetic"].to_numpy(), color="#c0504d", lw=2, ls="--", label=t("synth.synthetic", lang))
    labels = [str(v) for v in tr.index]
    step = max(1, len(xs) // 10)
    for a in axes[0]:
        a.set_xticks(xs[::step])
        a.set_xticklabels(labels[::step], rotation=45, ha="right")
        if tt is not None and tt in list(tr.index):
            a.axvline(list(tr.index).index(tt) - 0.5, color="grey", ls=":", lw=1)
    ax.set_ylabel(t(result.spec.get("outcome", ""), lang))
    ax.set_title(t("method." + result.method, lang))
    ax.legend(loc="best", fontsize=9)
    if has_gap:
        ax2 = axes[0, 1]
        pg = ex.get("placebo_gaps")
        if pg is not None:
            for c in pg.columns:
                ax2.plot(xs, pg[c].to_numpy(), color="grey", alpha=0.3, lw=0.8)
        ax2.plot(xs, ex["gap"].to_numpy(), color="#1f4e79", lw=2, label=t("synth.gap", lang))
        ax2.axhline(0, color="black", lw=0.8)
        ax2.set_title(t("synth.gap_title", lang) if pg is not None else t("synth.gap", lang))
        ax2.legend(loc="best", fontsize=9)
    fig.tight_layout()
    return mark_simulated(fig, result.provenance, lang)


def honest_did_plot(result, *, ax=None, lang: str = "de"):
    """Robust confidence intervals over the sensitivity grid (M or Mbar), original CI first."""
    plt, _ = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    else:
        fig = ax.figure
    tab = result.table
    orig = result.original
    xs = [0] + list(range(1, len(tab) + 1))
    lo = [orig["ci_low"], *tab["ci_low"]]
    hi = [orig["ci_high"], *tab["ci_high"]]
    colors = ["#7f7f7f"] + ["#1f4e79"] * len(tab)
    for x, a, b, c in zip(xs, lo, hi, colors, strict=True):
        ax.plot([x, x], [a, b], color=c, lw=3)
    ax.axhline(0, color="grey", lw=1, ls="--")
    ax.set_xticks(xs)
    ax.set_xticklabels([t("honest.original", lang)] + [f"{v:g}" for v in tab["M"]], rotation=0)
    ax.set_xlabel(t("honest.mbar" if result.method == "relative_magnitude" else "honest.m", lang))
    ax.set_ylabel(t("honest.robust_ci", lang))
    fig.tight_layout()
    return mark_simulated(fig, result.provenance, lang)


def leave_one_out_plot(table: pd.DataFrame, *, full_estimate: float, ax=None, lang: str = "de",
                       provenance: str = "user"):
    """Estimate without each unit (rows of ``table``: ``dropped_unit, estimate, ci_low, ci_high``)
    against the full-sample estimate (dashed line)."""
    plt, _ = _plt()
    d = table.reset_index(drop=True)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, max(3.0, 0.3 * len(d) + 1)))
    else:
        fig = ax.figure
    ys = list(range(len(d)))
    lo = (d["estimate"] - d["ci_low"]).fillna(0).to_numpy()
    hi = (d["ci_high"] - d["estimate"]).fillna(0).to_numpy()
    ax.errorbar(d["estimate"], ys, xerr=[lo, hi], fmt="o", color="#1f4e79", capsize=3)
    ax.axvline(full_estimate, color="#c0504d", ls="--", lw=1.5, label=t("loo.full", lang))
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(ys)
    ax.set_yticklabels([str(v) for v in d["dropped_unit"]])
    ax.set_xlabel(t("estimate", lang))
    ax.set_title(t("loo.title", lang))
    ax.legend(loc="best", fontsize=9)
    fig.tight_layout()
    return mark_simulated(fig, provenance, lang)


# -- scenarios, projection, optimiser (scenarios.py, projection.py, optimiser.py) ---------------
_SC_TXT = {
    "de": {"need": "Bedarfsindex (z)", "change": "Projizierte Änderung (Prozentpunkte)", "draws": "Ziehungen",
           "improve": "Verbesserung (gewichtete Personen)", "optimal": "optimiert", "amount": "Betrag (EUR)",
           "neediest": "bedürftigstes Fünftel", "interval": "Spanne über Ziehungen (95 %)"},
    "en": {"need": "need index (z)", "change": "projected change (percentage points)", "draws": "draws",
           "improve": "improvement (weighted persons)", "optimal": "optimised", "amount": "amount (EUR)",
           "neediest": "neediest fifth", "interval": "range across draws (95 %)"},
}


def projection_plot(projection, *, outcome: str | None = None, level: str = "quartier", top: int = 30,
                    lang: str = "de"):
    """Projected change of ``outcome`` with 95 % intervals: the ``top`` funded quartiers
    (``level="quartier"``) or the cities and the state (``level="city"``)."""
    plt, _ = _plt()
    outcome = outcome or projection.spec["outcomes"][0]
    if level == "city":
        d = projection.cities[projection.cities["outcome"] == outcome].reset_index(drop=True)
        labels = list(d["city"])
    else:
        d = projection.quartiers[(projection.quartiers["outcome"] == outcome) & (projection.quartiers["amount_eur"] > 0)]
        d = d.reindex(d["change_pp"].abs().sort_values(ascending=False).index).head(top)[::-1].reset_index(drop=True)
        labels = list(d["quartier_id"])
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.28 * len(d) + 1)))
    ys = np.arange(len(d))
    ax.errorbar(d["change_pp"], ys, xerr=[d["change_pp"] - d["change_pp_low"], d["change_pp_high"] - d["change_pp"]],
                fmt="o", capsize=3, color="#1f4e79")
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlabel(_SC_TXT[lang]["change"])
    ax.set_title(t(outcome, lang))
    fig.tight_layout()
    return mark_simulated(fig, projection.provenance, lang)


def scenario_money_plot(comparison, *, lang: str = "de"):
    """EUR per resident by city (and the state) for each scenario of a ScenarioComparison."""
    plt, sns = _plt()
    d = comparison.money.copy()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    sns.barplot(data=d, x="city", y="eur_per_capita", hue="scenario", ax=ax)
    ax.set_xlabel(t("city", lang))
    ax.set_ylabel(t("eur_per_capita", lang))
    ax.legend(fontsize=8, title=None)
    fig.tight_layout()
    return mark_simulated(fig, comparison.provenance, lang)


def scenario_targeting_plot(comparison, *, lang: str = "de"):
    """EUR per resident against the need index, one panel per scenario; the neediest fifth shaded."""
    plt, _ = _plt()
    d = comparison.quartiers[comparison.quartiers["population"] > 0]
    names = list(comparison.scenarios)
    fig, axes = plt.subplots(1, len(names), figsize=(3.6 * len(names), 3.4), sharey=True, squeeze=False)
    colours = {"Bremen": "#1f4e79", "Bremerhaven": "#c55a11"}
    nd = d[d["scenario"] == names[0]]["need_index"].dropna()
    cut = nd.quantile(0.8) if len(nd) else np.nan
    for ax, n in zip(axes[0], names, strict=True):
        s = d[d["scenario"] == n]
        ax.scatter(s["need_index"], s["eur_per_capita"], s=12, c=[colours.get(c, "grey") for c in s["city"]])
        if np.isfinite(cut):
            ax.axvspan(cut, np.nanmax(s["need_index"]) + 0.1, color="#f4b183", alpha=0.25,
                       label=_SC_TXT[lang]["neediest"])
        tg = comparison.targeting[(comparison.targeting["scenario"] == n)
                                  & (comparison.targeting["area"] == "Land Bremen")]
        sub = "" if tg.empty else f"\n{tg['share_neediest_fifth'].iloc[0]:.0%} / C = {tg['concentration_index'].iloc[0]:.2f}"
        ax.set_title(n + sub, fontsize=9)
        ax.set_xlabel(_SC_TXT[lang]["need"])
    axes[0][0].set_ylabel(t("eur_per_capita", lang))
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return mark_simulated(fig, comparison.provenance, lang)


def scenario_effects_plot(comparison, *, outcome: str | None = None, lang: str = "de"):
    """Projected change (pp) with 95 % intervals per scenario and city."""
    plt, _ = _plt()
    outcome = outcome or comparison.spec.get("main_outcome")
    e = comparison.effects
    if e is None or e.empty:
        raise ValueError("no projected effects in this comparison (pass effect= to compare_scenarios)")
    e = e[e["outcome"] == outcome]
    cities = list(dict.fromkeys(e["city"]))
    names = list(comparison.scenarios)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    width = 0.8 / max(1, len(names))
    for k, n in enumerate(names):
        s = e[e["scenario"] == n].set_index("city").reindex(cities)
        xs = np.arange(len(cities)) + (k - (len(names) - 1) / 2) * width
        ax.errorbar(xs, s["change_pp"], yerr=[s["change_pp"] - s["change_pp_low"], s["change_pp_high"] - s["change_pp"]],
                    fmt="o", capsize=3, label=n)
    ax.axhline(0, color="grey", lw=0.8, ls="--")
    ax.set_xticks(np.arange(len(cities)))
    ax.set_xticklabels(cities)
    ax.set_ylabel(_SC_TXT[lang]["change"])
    ax.set_title(t(outcome, lang))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return mark_simulated(fig, comparison.provenance, lang)


def optimiser_plot(result, *, top: int = 25, lang: str = "de"):
    """Optimised amounts of the ``top`` quartiers with their 95 % range across re-solved draws
    (left) and the distribution of the improvement, optimised vs the scenario (right)."""
    plt, _ = _plt()
    T = _SC_TXT[lang]
    a = result.allocation.nlargest(top, "amount_eur")[::-1].reset_index(drop=True)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, max(3.5, 0.25 * len(a) + 1)),
                                   gridspec_kw={"width_ratios": [3, 2]})
    ys = np.arange(len(a))
    ax1.barh(ys, a["amount_eur"], color="#1f4e79", alpha=0.8)
    ax1.errorbar(a["amount_mean"], ys, xerr=[np.maximum(a["amount_mean"] - a["amount_low"], 0),
                                             np.maximum(a["amount_high"] - a["amount_mean"], 0)],
                 fmt="|", color="#c55a11", label=T["interval"])
    ax1.set_yticks(ys)
    ax1.set_yticklabels([f"{q} ({s:.0%})" for q, s in zip(a["quartier_id"], a["inclusion_share"], strict=True)],
                        fontsize=7)
    ax1.set_xlabel(T["amount"])
    ax1.legend(fontsize=7)
    ax2.hist(result.reference_draws, bins=40, alpha=0.5, label=result.spec.get("scenario", "scenario"))
    ax2.hist(result.objective_draws, bins=40, alpha=0.5, label=T["optimal"])
    ax2.set_xlabel(T["improve"])
    ax2.set_ylabel(T["draws"])
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return mark_simulated(fig, result.provenance, lang)
