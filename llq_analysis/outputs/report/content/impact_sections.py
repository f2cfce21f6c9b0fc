"""Report sections on the impact estimates: the headline table of all estimators on the SGB II
rate, event study, dose curve, further outcomes and diagnostics (estimates from :mod:`.estimates`;
sensitivity and synthetic control in :mod:`.robustness_sections`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ....i18n import t
from .core import MAIN_OUTCOME, ReportContext
from .estimates import DOSE, ES_BINS, FLAGSHIP, OUTCOMES_EXTRA, _m, impact_panel, results
from .markup import Html, _tr, bullets, callout, esc, fmt, fmt_ci, para
from .robustness_sections import _sensitivity, _synthetic_control

__all__ = ["impact_table", "impact", "diagnostics", "impact_panel", "results"]




def _ci_row(ctx, key: str, r, measure: str, *, ci=None, pvalue=None, inference=None) -> dict:
    lang = ctx.lang
    lo, hi = ci if ci is not None else r.ci
    return {
        _tr("Verfahren", "Method", lang): _m(key, lang),
        _tr("Wirkung gemessen als", "Effect measured as", lang): measure,
        t("estimate", lang): float(r.estimate),
        _tr("95 %-KI unten", "95 % CI low", lang): float(lo),
        _tr("95 %-KI oben", "95 % CI high", lang): float(hi),
        _tr("p-Wert", "p-value", lang): float(r.pvalue if pvalue is None else pvalue),
        t("n_obs", lang): int(r.n_obs),
        _tr("Quartiere", "Quartiers", lang): int(r.n_clusters) if r.n_clusters else None,
        t("inference", lang): inference or _inference_label(r, lang),
    }


def _inference_label(r, lang: str) -> str:
    inf = str(r.spec.get("inference", "") or "")
    return inf[:60]


def impact_table(ctx: ReportContext) -> pd.DataFrame:
    """Headline numbers of every estimator, one row each (outcome: SGB II rate)."""
    lang = ctx.lang
    R = results(ctx)
    per_eur = _tr("Pp je EUR/Einwohner", "pp per EUR/resident", lang)
    pp = _tr("Pp, gefördert vs. nicht", "pp, funded vs not", lang)
    rows = [
        _ci_row(ctx, "dose", R["dose"], per_eur, inference=_tr("Cluster-robust (CR1)", "cluster-robust (CR1)", lang)),
        _ci_row(ctx, "wild", R["wild"], per_eur, inference=_tr(
            f"Wild-Cluster-Bootstrap ({R['wild'].extras.get('weights_type', '')}, "
            f"{R['wild'].extras.get('reps', '')} Ziehungen)",
            f"wild cluster bootstrap ({R['wild'].extras.get('weights_type', '')}, "
            f"{R['wild'].extras.get('reps', '')} draws)", lang)),
        _ci_row(ctx, "twfe", R["twfe"], pp, inference=_tr("Cluster-robust (CR1)", "cluster-robust (CR1)", lang)),
        _ci_row(ctx, "ri", R["ri"], pp, inference=_tr(
            "Permutation der Förderjahre innerhalb der Städte", "adoption years permuted within cities", lang)),
        _ci_row(ctx, "es", R["es"], pp, inference=_tr("Cluster-robust (CR1)", "cluster-robust (CR1)", lang)),
        _ci_row(ctx, "cs", R["cs"], pp, inference=_tr(
            "Multiplikator-Bootstrap", "multiplier bootstrap", lang)),
        _ci_row(ctx, "sa", R["sa"], pp, inference=_tr("Cluster-robust", "cluster-robust", lang)),
        _ci_row(ctx, "bjs", R["bjs"], pp, inference=_tr("BJS-Varianz (konservativ)", "BJS variance (conservative)", lang)),
    ]
    if "sc" in R:
        sc = R["sc"]
        q = ctx.quartiers.set_index("quartier_id")
        fl = str(q.loc[FLAGSHIP, "ortsteil"]) if FLAGSHIP in q.index else FLAGSHIP
        rows.append(_ci_row(ctx, "sc", sc, _tr(f"Pp, {fl} vs. Synthese", f"pp, {fl} vs synthetic", lang),
                            inference=_tr("Placebo-Permutation", "placebo permutation", lang)))
    return pd.DataFrame(rows)


def _truth(ctx: ReportContext) -> dict[str, float] | None:
    """The effect built into the bundled simulated panel (None for other data)."""
    if not ctx.simulated or not ctx.data_label.endswith("data/demo_panel.csv"):
        return None
    from ....data.simulate import DEFAULT_EFFECTS

    return dict(DEFAULT_EFFECTS)


def impact(ctx: ReportContext) -> Html:
    """Impact estimates with intervals, event study, dose curve and further outcomes."""
    import matplotlib.pyplot as plt

    lang = ctx.lang
    R = results(ctx)
    sim = ctx.simulated
    dose, cs, es, wild = R["dose"], R["cs"], R["es"], R["wild"]
    mean_dose = float(impact_panel(ctx).loc[lambda d: d[DOSE] > 0, DOSE].mean())
    out = [para(_tr(
        f"<strong>Kernergebnis:</strong> Je zusätzlichem Euro LLQ-Mittel je Einwohner und Jahr sinkt die "
        f"SGB-II-Quote um {fmt(-dose.estimate, 2, lang)} Prozentpunkte (95-%-Intervall "
        f"{fmt_ci(dose.ci[0], dose.ci[1], 2, lang)}; Wild-Cluster-Bootstrap "
        f"{fmt_ci(wild.ci[0], wild.ci[1], 2, lang)}). Bei der mittleren Förderung geförderter "
        f"Quartiere von {fmt(mean_dose, 1, lang)} EUR je Einwohner entspricht das "
        f"{fmt(dose.estimate * mean_dose, 1, lang, sign=True)} Prozentpunkten. Geförderte Quartiere "
        f"liegen nach Förderbeginn im Mittel {fmt(cs.estimate, 1, lang, sign=True)} Prozentpunkte "
        f"unter ihrem Verlauf ohne Förderung (Callaway & Sant'Anna, 95-%-Intervall "
        f"{fmt_ci(cs.ci[0], cs.ci[1], 1, lang)}).",
        f"<strong>Main result:</strong> each additional euro of LLQ money per resident and year lowers "
        f"the SGB II rate by {fmt(-dose.estimate, 2, lang)} percentage points (95 % interval "
        f"{fmt_ci(dose.ci[0], dose.ci[1], 2, lang)}; wild cluster bootstrap "
        f"{fmt_ci(wild.ci[0], wild.ci[1], 2, lang)}). At the mean funding of funded quartiers, "
        f"{fmt(mean_dose, 1, lang)} EUR per resident, that is {fmt(dose.estimate * mean_dose, 1, lang, sign=True)} "
        f"percentage points. After the start of funding, funded quartiers are on average "
        f"{fmt(cs.estimate, 1, lang, sign=True)} percentage points below their path without funding "
        f"(Callaway & Sant'Anna, 95 % interval {fmt_ci(cs.ci[0], cs.ci[1], 1, lang)}).", lang))]
    truth = _truth(ctx)
    if truth:
        out.append(callout(_tr(
            f"Prüfung der Methode: In die simulierten Daten ist eine Wirkung von "
            f"{fmt(truth[MAIN_OUTCOME], 2, lang, sign=True)} Prozentpunkten je EUR/Einwohner eingebaut. "
            f"Die Schätzung {fmt(dose.estimate, 3, lang, sign=True)} trifft sie "
            + ("(der wahre Wert liegt im 95-%-Intervall)." if dose.ci[0] <= truth[MAIN_OUTCOME] <= dose.ci[1]
               else "nicht genau (der wahre Wert liegt außerhalb des 95-%-Intervalls)."),
            f"Check of the method: the simulated data contain an effect of "
            f"{fmt(truth[MAIN_OUTCOME], 2, lang, sign=True)} percentage points per EUR/resident. "
            f"The estimate {fmt(dose.estimate, 3, lang, sign=True)} "
            + ("recovers it (the true value lies in the 95 % interval)." if dose.ci[0] <= truth[MAIN_OUTCOME] <= dose.ci[1]
               else "misses it (the true value lies outside the 95 % interval)."), lang)))
    tab = impact_table(ctx)
    est_cols = [t("estimate", lang), _tr("95 %-KI unten", "95 % CI low", lang),
                _tr("95 %-KI oben", "95 % CI high", lang)]
    out.append(ctx.table(tab, name="impact_estimates", simulated=sim, title=_tr(
        "Wirkung auf die SGB-II-Quote: alle Verfahren im Vergleich",
        "Effect on the SGB II rate: all methods compared", lang),
        decimals={**{c: 3 for c in est_cols}, _tr("p-Wert", "p-value", lang): 3},
        note=_tr("Pp = Prozentpunkte. Zeilen 1–2 messen die Wirkung je EUR je Einwohner und Jahr, die "
                 "übrigen den Unterschied geförderter zu nicht geförderten Quartieren nach Förderbeginn.",
                 "pp = percentage points. Rows 1–2 measure the effect per EUR per resident and year, the "
                 "others the difference between funded and unfunded quartiers after the start.", lang)).html)

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    ctx.draw(es.plot, ax=axes[0], lang=lang)
    axes[0].set_title(_m("es", lang), fontsize=10)
    ctx.draw(cs.aggregate("dynamic", min_e=ES_BINS[0], max_e=ES_BINS[1]).plot, ax=axes[1], lang=lang)
    axes[1].set_title(_tr("Callaway & Sant'Anna: nach Jahren seit Beginn",
                          "Callaway & Sant'Anna: by years since start", lang), fontsize=10)
    fig.tight_layout()
    out.append(ctx.figure(fig, name="event_study", simulated=sim, title=_tr(
        "Wirkung je Jahr vor und nach Förderbeginn (SGB-II-Quote, Prozentpunkte, 95-%-Intervalle)",
        "Effect per year before and after the start of funding (SGB II rate, percentage points, 95 % intervals)",
        lang), note=_tr(
        f"Links: TWFE-Ereignisstudie (Referenzjahr −1; Jahre vor {ES_BINS[0]} und nach {ES_BINS[1]} "
        "zusammengefasst, weil nur wenige Quartiere so weit beobachtet werden). Rechts: Callaway & "
        "Sant'Anna, Vergleich mit nie geförderten Quartieren. Werte vor 0 nahe null sprechen für "
        "parallele Trends.",
        f"Left: TWFE event study (reference year −1; years before {ES_BINS[0]} and after {ES_BINS[1]} "
        "pooled because few quartiers are observed that far). Right: Callaway & Sant'Anna, compared "
        "with never-funded quartiers. Values near zero before 0 support parallel trends.", lang)).html)

    out.append(ctx.figure(ctx.draw(dose.plot, lang=lang), name="dose_curve", simulated=sim, size="half", title=_tr(
        "Dosis-Wirkung: Veränderung der SGB-II-Quote nach Förderhöhe (EUR je Einwohner)",
        "Dose response: change in the SGB II rate by funding level (EUR per resident)", lang),
        note=_tr("Punkte: Wirkung in vier Förderstufen gegenüber keiner Förderung; gestrichelt: lineare "
                 "Steigung. Liegen die Punkte auf der Linie, ist die Annahme einer linearen Wirkung je "
                 "Euro (Grundlage der Szenarien) plausibel.",
                 "Points: effect in four funding bins against no funding; dashed: linear slope. Points "
                 "on the line support a linear effect per euro (the basis of the scenarios).", lang)).html)

    rows = []
    for o in (MAIN_OUTCOME, *OUTCOMES_EXTRA):
        r = R["dose"] if o == MAIN_OUTCOME else R.get(f"dose.{o}")
        if r is None:
            continue
        row = {t("outcome", lang): t(o, lang),
               _tr("Pp je EUR/Einwohner", "pp per EUR/resident", lang): float(r.estimate),
               _tr("95 %-KI unten", "95 % CI low", lang): float(r.ci[0]),
               _tr("95 %-KI oben", "95 % CI high", lang): float(r.ci[1]),
               _tr("p-Wert", "p-value", lang): float(r.pvalue), t("n_obs", lang): int(r.n_obs)}
        if truth:
            row[_tr("wahrer Wert (Simulation)", "true value (simulation)", lang)] = truth.get(o)
        rows.append(row)
    ot = pd.DataFrame(rows)
    out.append(ctx.table(ot, name="dose_by_outcome", simulated=sim, title=_tr(
        "Wirkung je EUR je Einwohner auf weitere Zielgrößen (TWFE, Cluster-robust)",
        "Effect per EUR per resident on further outcomes (TWFE, cluster-robust)", lang),
        decimals={c: 3 for c in ot.columns if c not in (t("outcome", lang), t("n_obs", lang))},
        note=_tr("Wahlbeteiligung nur in Wahljahren (Bürgerschaft 2015, 2019, 2023; Bundestag 2013, 2017, "
                 "2021): weniger Beobachtungen, breitere Intervalle.",
                 "Turnout only in election years (Bürgerschaft 2015, 2019, 2023; Bundestag 2013, 2017, "
                 "2021): fewer observations, wider intervals.", lang), compact=True).html)
    return Html(out)


def diagnostics(ctx: ReportContext) -> Html:
    """Pre-trend tests, Goodman-Bacon decomposition, few-cluster warnings, sensitivity, SC."""
    lang = ctx.lang
    R = results(ctx)
    sim = ctx.simulated
    out = []
    pt = R["es"].extras.get("pretrend") or {}
    items = []
    if pt:
        ok = pt.get("pvalue", 0) >= 0.05
        items.append(_tr(
            f"<strong>Parallele Trends vor Förderbeginn</strong> (gemeinsamer Wald-Test der "
            f"{pt.get('df')} Vorperioden der Ereignisstudie): χ² = {fmt(pt.get('stat'), 1, lang)}, "
            f"p = {fmt(pt.get('pvalue'), 3, lang)}. "
            + ("Kein Hinweis auf unterschiedliche Trends vor der Förderung."
               if ok else "Die Vorperioden weichen gemeinsam von null ab: Ergebnisse vorsichtig lesen."),
            f"<strong>Parallel trends before funding</strong> (joint Wald test of the {pt.get('df')} "
            f"pre-periods of the event study): χ² = {fmt(pt.get('stat'), 1, lang)}, "
            f"p = {fmt(pt.get('pvalue'), 3, lang)}. "
            + ("No sign of different trends before funding." if ok
               else "The pre-periods jointly differ from zero: read the results with care."), lang))
    cpt = R["cs"].pretest()
    stat = cpt.get("stat")
    if stat is not None and np.isfinite(stat) and stat >= 0:
        items.append(_tr(
            f"Callaway & Sant'Anna, Wald-Test aller Vorperioden-ATT(g,t): χ² = {fmt(stat, 1, lang)} "
            f"({cpt.get('df')} Freiheitsgrade), p = {fmt(cpt.get('pvalue'), 3, lang)}.",
            f"Callaway & Sant'Anna, Wald test of all pre-period ATT(g,t): χ² = {fmt(stat, 1, lang)} "
            f"({cpt.get('df')} degrees of freedom), p = {fmt(cpt.get('pvalue'), 3, lang)}.", lang))
    else:
        items.append(_tr(
            "Callaway & Sant'Anna: der Wald-Test aller Vorperioden ist hier nicht berechenbar "
            "(Kovarianz der Vorperioden singulär; einzelne Kohorten mit nur einem Quartier); maßgeblich "
            "ist der Test der Ereignisstudie.",
            "Callaway & Sant'Anna: the Wald test of all pre-periods cannot be computed here (singular "
            "covariance of the pre-periods; cohorts with a single quartier); the event-study test applies.",
            lang))
    wild, dose = R["wild"], R["dose"]
    items.append(_tr(
        f"<strong>Wenige Cluster:</strong> Der Wild-Cluster-Bootstrap ({wild.extras.get('weights_type')}-"
        f"Gewichte, {wild.extras.get('reps')} Ziehungen, {wild.extras.get('n_treated_clusters', '?')} "
        f"geförderte Quartiere) gibt das Intervall {fmt_ci(wild.ci[0], wild.ci[1], 3, lang)} gegenüber "
        f"{fmt_ci(dose.ci[0], dose.ci[1], 3, lang)} mit Cluster-robusten Standardfehlern.",
        f"<strong>Few clusters:</strong> the wild cluster bootstrap ({wild.extras.get('weights_type')} "
        f"weights, {wild.extras.get('reps')} draws, {wild.extras.get('n_treated_clusters', '?')} funded "
        f"quartiers) gives the interval {fmt_ci(wild.ci[0], wild.ci[1], 3, lang)} against "
        f"{fmt_ci(dose.ci[0], dose.ci[1], 3, lang)} with cluster-robust standard errors.", lang))
    out.append(bullets(items))

    bac = R["bacon"]
    bt = bac.by_type.copy()
    typ = {"treated_vs_never": _tr("gefördert vs. nie gefördert", "funded vs never funded", lang),
           "earlier_vs_later": _tr("früher vs. später geförderte (vor deren Beginn)",
                                   "earlier vs later funded (before their start)", lang),
           "later_vs_earlier": _tr("später vs. bereits geförderte (problematisch)",
                                   "later vs already funded (problematic)", lang)}
    bt = pd.DataFrame({_tr("Vergleich", "Comparison", lang): [typ.get(x, x) for x in bt["type"]],
                       _tr("Gewicht", "Weight", lang): bt["weight"].astype(float),
                       t("estimate", lang): bt["estimate"].astype(float)})
    bad = float(bac.by_type.loc[bac.by_type["type"] == "later_vs_earlier", "weight"].sum())
    out.append(para(_tr(
        f"<strong>Goodman-Bacon-Zerlegung.</strong> Der TWFE-Schätzwert {fmt(bac.estimate, 2, lang, sign=True)} "
        f"ist ein gewichtetes Mittel einfacher Vergleiche. Vergleiche mit bereits geförderten Quartieren als "
        f"Kontrolle können bei wachsenden Wirkungen verzerren; ihr Gewicht beträgt hier "
        f"{fmt(100 * bad, 1, lang)} %.",
        f"<strong>Goodman-Bacon decomposition.</strong> The TWFE estimate {fmt(bac.estimate, 2, lang, sign=True)} "
        f"is a weighted mean of simple comparisons. Comparisons using already funded quartiers as controls "
        f"can bias it when effects grow; their weight here is {fmt(100 * bad, 1, lang)} %.", lang)))
    out.append(ctx.table(bt, name="bacon", simulated=sim, compact=True, title=_tr(
        "Goodman-Bacon-Zerlegung des TWFE-Schätzers (gefördert ja/nein)",
        "Goodman-Bacon decomposition of the TWFE estimate (funded yes/no)", lang),
        decimals={_tr("Gewicht", "Weight", lang): 3, t("estimate", lang): 3}).html)

    warns = []
    for key in ("dose", "wild", "twfe", "es", "cs", "sa", "bjs", "ri", "sc"):
        r = R.get(key)
        if r is None:
            continue
        warns += list(getattr(r, "warnings", ())) + ctx.warnings_of(f"r.{key}")
    warns = list(dict.fromkeys(w for w in warns if w))
    if warns:
        out.append(para(_tr("<strong>Hinweise der Schätzverfahren</strong> (wörtlich):",
                            "<strong>Notes from the estimators</strong> (verbatim):", lang)))
        out.append(bullets([esc(w) for w in warns[:10]], cls="estimator-notes"))

    out.append(_sensitivity(ctx))
    out.append(_synthetic_control(ctx))
    return Html(out)
