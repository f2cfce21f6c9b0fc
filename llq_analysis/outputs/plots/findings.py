"""Figures of the findings on published data (report Part A): turnout by election, event study,
HonestDiD, poverty trends, detectable effects, need map and need by funding status.

The findings themselves are computed in :mod:`llq_analysis.impact.findings` and
:mod:`llq_analysis.impact.targeting`; ``Finding.plot()`` calls these functions.
"""

from __future__ import annotations

from ...i18n import t
from ...impact.findings_base import Finding, add_source, fmt_num, tr


def findings_plot(f: Finding, lang: str, kind: str | None = None, ax=None):
    """participation: ``kind="elections"`` (default), ``"event_study"``, ``"honest"``;
    poverty: the trends; detectable: the MDE per outcome."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if f.kind == "participation" and kind in ("event_study", "honest"):
        r = f.results["es" if kind == "event_study" else "honest_sd"]
        fig = r.plot(lang=lang)
        if kind == "event_study":
            es = f.tables["event_study"].dropna(subset=["election"])
            ax0 = fig.axes[0]
            ax0.set_xticks(list(es["rel_time"]), [str(int(y)) for y in es["election"]])
            ax0.set_xlabel(tr(f"Bürgerschaftswahl (Referenz: {f.numbers['pre'][-1]})",
                              f"Bürgerschaft election (reference: {f.numbers['pre'][-1]})", lang))
            ax0.set_ylabel(tr("Abstand zur Referenzwahl (Prozentpunkte)", "gap relative to the reference "
                              "election (percentage points)", lang))
        add_source(fig, f.source_text(lang))
        return fig
    if f.kind == "participation":
        g = f.tables["by_election"]
        fig, ax = plt.subplots(figsize=(7.5, 4.2)) if ax is None else (ax.figure, ax)
        ax.plot(g["year"], g["mean_funded"], "o-", color="#c0392b", label=tr("LLQ-gefördert", "LLQ-funded", lang))
        ax.plot(g["year"], g["mean_comparison"], "s--", color="#2c3e50",
                label=tr("nicht gefördert", "not funded", lang))
        ax.axvline(f.numbers["start"] - 0.5, color="grey", lw=1, ls=":")
        ax.text(f.numbers["start"] - 0.3, 0.98, tr("Programmstart", "programme start", lang),
                va="top", fontsize=8, color="grey", transform=ax.get_xaxis_transform())
        ax.set_xticks(list(g["year"]))
        ax.set_ylabel(t("turnout_buergerschaft", lang))
        ax.set_xlabel(tr("Bürgerschaftswahl", "Bürgerschaft election", lang))
        ax.legend(frameon=False)
    elif f.kind == "poverty":
        g = f.tables["trends"]
        outs = list(dict.fromkeys(g["outcome"]))
        fig, axes = plt.subplots(1, max(len(outs), 1), figsize=(4.0 * max(len(outs), 1), 3.6), squeeze=False)
        for a, c in zip(axes[0], outs, strict=False):
            h = g[g["outcome"] == c]
            a.plot(h["year"], h["mean_funded"], "-", color="#c0392b", label=tr("LLQ-gefördert", "LLQ-funded", lang))
            a.plot(h["year"], h["mean_comparison"], "--", color="#2c3e50",
                   label=tr("nicht gefördert", "not funded", lang))
            a.set_title(t(c, lang), fontsize=10)
            a.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        axes[0][0].legend(frameon=False, fontsize=8)
    else:
        g = f.tables["mde"]
        fig, ax = plt.subplots(figsize=(7.0, 3.2)) if ax is None else (ax.figure, ax)
        labels = [t(c, lang).replace(" (%)", "") for c in g["outcome"]]
        ax.barh(labels, g["mde_pp"], color=["#2c3e50" if d == "actual" else "#95a5a6" for d in g["design"]])
        for i, v in enumerate(g["mde_pp"]):
            ax.text(v, i, " " + fmt_num(v, 1, lang), va="center", fontsize=8)
        ax.set_xlabel(tr("mindestens erkennbarer Effekt (Prozentpunkte)", "minimum detectable effect (pp)", lang))
        ax.invert_yaxis()
    fig.tight_layout()
    add_source(fig, f.source_text(lang))
    return fig


def targeting_plot(f: Finding, lang: str, kind: str | None = None, ax=None):
    """``kind="map"`` (default): need index with the funded Ortsteile outlined;
    ``"groups"``: need index of funded vs unfunded Ortsteile."""
    import matplotlib.pyplot as plt

    need = f.tables["need"]
    if kind in (None, "map"):
        from ..maps import plot_map

        vals = need[["quartier_id", "need_index"]]
        funded = need.loc[need["llq_funded"].fillna(False).astype(bool), "quartier_id"].tolist()
        return plot_map(vals, column="need_index", highlight=funded,
                        highlight_label=tr("LLQ-gefördert", "LLQ-funded", lang),
                        label=tr("Bedarfsindex (z-Werte)", "need index (z-scores)", lang),
                        title=tr(f"Bedarf vor dem Programm (Stadt Bremen, Werte bis {max(f.numbers['years'].values())})",
                                 f"Need before the programme (city of Bremen, values up to "
                                 f"{max(f.numbers['years'].values())})", lang),
                        source=f.source_text(lang).split(":", 1)[1].strip(),
                        provenance="simulated" if f.simulated else "published", center=0.0, decimals=1,
                        unmapped="note", lang=lang, ax=ax)
    fig, ax = plt.subplots(figsize=(6.5, 3.6)) if ax is None else (ax.figure, ax)
    ok = need.dropna(subset=["need_index"])
    grp = ok["llq_funded"].fillna(False).astype(bool)
    for i, (flag, _lab) in enumerate([(False, tr("nicht gefördert", "not funded", lang)),
                                     (True, tr("LLQ-gefördert", "LLQ-funded", lang))]):
        v = ok.loc[grp == flag, "need_index"]
        ax.scatter(v, [i] * len(v), alpha=0.6, color="#c0392b" if flag else "#2c3e50")
        ax.plot([v.mean()] * 2, [i - 0.3, i + 0.3], color="black", lw=2)
    ax.set_yticks([0, 1], [tr("nicht gefördert", "not funded", lang), tr("LLQ-gefördert", "LLQ-funded", lang)])
    thr = ok.loc[ok["neediest_fifth"], "need_index"].min()
    ax.axvline(thr, color="grey", ls=":", lw=1)
    ax.set_xlabel(tr("Bedarfsindex (z-Werte; rechts der Linie: bedürftigstes Fünftel)",
                     "need index (z-scores; right of the line: neediest fifth)", lang))
    fig.tight_layout()
    add_source(fig, f.source_text(lang))
    return fig
