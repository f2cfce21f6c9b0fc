"""Plots of scenarios and projections: the explorer chart, projection, scenario comparison,
optimiser."""

from __future__ import annotations

import numpy as np

from ...i18n import t
from ._base import _plt, mark_simulated


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
