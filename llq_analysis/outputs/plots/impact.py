"""Plots of impact estimates: coefficients, before/after, event study, Goodman-Bacon, dose curve,
synthetic control, HonestDiD bounds, leave-one-out (called by ``impact/*`` results' ``plot()``)."""

from __future__ import annotations

import pandas as pd

from ...i18n import t
from ._base import _plt, mark_simulated


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
