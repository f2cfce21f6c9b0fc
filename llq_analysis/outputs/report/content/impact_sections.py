"""Report sections on the impact estimates: all estimators on the SGB II rate, diagnostics,
sensitivity and the synthetic control of a flagship quartier (results cached on the context)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ....i18n import t
from .core import (
    MAIN_OUTCOME,
    Html,
    ReportContext,
    _optional,
    _pending,
    _reps,
    _tr,
    bullets,
    callout,
    esc,
    fmt,
    fmt_ci,
    para,
)

# ============================================================================= estimation
UNIT, TIME, COHORT, DOSE = "quartier_id", "year", "llq_first_year", "llq_eur_per_capita"
POST = "_llq_post"  # 1{year >= first funded year} (intent to treat: absorbing)
OUTCOMES_EXTRA = ("sgb2_rate_u15", "unemployment_rate", "turnout_buergerschaft", "turnout_bundestag")
ES_BINS = (-9, 3)  # event-study endpoints: earlier/later relative years are pooled (few quartiers)
SMOOTHNESS_GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5)  # HonestDiD M, pp per year^2 (readable values)
FLAGSHIP = "BHV-goethestrasse"  # synthetic control: the Goethequartier (Lehe, Bremerhaven)

_METHOD = {
    "dose": ("Dosis-Wirkung (TWFE, EUR je Einwohner)", "Dose response (TWFE, EUR per resident)"),
    "wild": ("Dosis-Wirkung, Wild-Cluster-Bootstrap", "Dose response, wild cluster bootstrap"),
    "twfe": ("TWFE, gefördert ja/nein", "TWFE, funded yes/no"),
    "es": ("Ereignisstudie (Mittel nach Förderbeginn)", "Event study (mean after start)"),
    "cs": ("Callaway & Sant'Anna (gestaffelt)", "Callaway & Sant'Anna (staggered)"),
    "sa": ("Sun & Abraham", "Sun & Abraham"),
    "bjs": ("Imputation (Borusyak, Jaravel & Spiess)", "Imputation (Borusyak, Jaravel & Spiess)"),
    "ri": ("TWFE, Randomisierungsinferenz", "TWFE, randomization inference"),
    "sc": ("Synthetische Kontrolle", "Synthetic control"),
    "sdid": ("Synthetische DiD", "Synthetic DiD"),
}


def _m(key: str, lang: str) -> str:
    de, en = _METHOD[key]
    return de if lang == "de" else en


def impact_panel(ctx: ReportContext) -> pd.DataFrame:
    """The panel with the absorbing treatment indicator ``_llq_post`` (a copy; cached)."""
    def build():
        p = ctx.panel.copy()
        g = pd.to_numeric(p[COHORT]).fillna(0)
        p[POST] = ((g > 0) & (p[TIME] >= g)).astype(int)
        return p
    return ctx.cached("impact_panel", build)


def results(ctx: ReportContext) -> dict[str, Any]:
    """All impact estimates of the report (cached): main outcome ``sgb2_rate``.

    dose (TWFE slope per EUR per resident, CR1) with binned dose curve; wild cluster bootstrap of
    the slope; binary TWFE; event study (pooled endpoints ``ES_BINS``); Callaway & Sant'Anna
    (multiplier bootstrap); Sun & Abraham; imputation (BJS); randomization inference (adoption
    years permuted within cities); Goodman-Bacon decomposition; dose slopes of further outcomes.
    """
    from ....impact.bacon import bacon_decomposition
    from ....impact.did import event_study, twfe
    from ....impact.dose import dose_response
    from ....impact.event_time import imputation_did, sun_abraham
    from ....impact.inference import randomization_inference, wild_cluster_bootstrap
    from ....impact.staggered import staggered_did

    p = impact_panel(ctx)
    k = {"unit": UNIT, "time": TIME}
    y = MAIN_OUTCOME
    out: dict[str, Any] = {}
    out["dose"] = ctx.cached("r.dose", lambda: dose_response(p, outcome=y, dose=DOSE, bins=4, **k))
    out["wild"] = ctx.cached("r.wild", lambda: wild_cluster_bootstrap(
        p, outcome=y, treatment=DOSE, reps=_reps(ctx, 9999), seed=ctx.seed, **k))
    out["twfe"] = ctx.cached("r.twfe", lambda: twfe(p, outcome=y, treatment=POST, **k))
    out["es"] = ctx.cached("r.es", lambda: event_study(p, outcome=y, cohort=COHORT,
                                                       bin_endpoints=ES_BINS, **k))
    out["cs"] = ctx.cached("r.cs", lambda: staggered_did(p, outcome=y, cohort=COHORT,
                                                         bootstrap=_reps(ctx, 999), seed=ctx.seed, **k))
    out["sa"] = ctx.cached("r.sa", lambda: sun_abraham(p, outcome=y, cohort=COHORT, **k))
    out["bjs"] = ctx.cached("r.bjs", lambda: imputation_did(p, outcome=y, cohort=COHORT, **k))
    out["ri"] = ctx.cached("r.ri", lambda: randomization_inference(
        p, outcome=y, cohort=COHORT, strata="city", reps=_reps(ctx, 999), seed=ctx.seed, **k))
    out["bacon"] = ctx.cached("r.bacon", lambda: bacon_decomposition(p, outcome=y, treatment=POST, **k))
    for o in OUTCOMES_EXTRA:
        if o in p.columns and p[o].notna().sum() > 0:
            out[f"dose.{o}"] = ctx.cached(f"r.dose.{o}", lambda o=o: twfe(p, outcome=o, treatment=DOSE, **k))
    sc = _optional("impact.synth", "synthetic_control")
    if sc is not None and FLAGSHIP in set(p[UNIT]):
        def fit_sc():
            g = int(p.loc[p[UNIT] == FLAGSHIP, COHORT].iloc[0])
            donors = p[(p[COHORT].fillna(0) == 0) | (p[UNIT] == FLAGSHIP)]
            return sc(donors, outcome=y, unit=UNIT, time=TIME, treated_unit=FLAGSHIP,
                      treatment_time=g)
        out["sc"] = ctx.cached("r.sc", fit_sc)
    return out


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
    if not ctx.simulated or not ctx.data_label.endswith("data/panel.csv"):
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


def _sensitivity(ctx: ReportContext) -> str:
    """Sensitivity: HonestDiD bounds, placebo in time, leave-one-out (impact/sensitivity.py)."""
    funcs = {n: _optional("impact.sensitivity", n) for n in ("honest_did", "placebo_in_time",
                                                               "leave_one_out")}
    if not all(funcs.values()):
        missing = ", ".join(f"llq_analysis.impact.sensitivity.{n}" for n, f in funcs.items() if f is None)
        return _pending(ctx, "sensitivity", "Sensitivitätsanalysen (HonestDiD, Placebo, Auslassen "
                        "einzelner Quartiere)", "sensitivity analyses (HonestDiD, placebo, "
                        "leave-one-out)", missing)
    return _sensitivity_section(ctx, funcs)


def sensitivity_results(ctx: ReportContext) -> dict[str, Any]:
    """HonestDiD (smoothness and relative magnitudes), pre-trend power, placebo in time (event
    study refitted on the years before the first start) and leave-one-out of the dose slope."""
    from ....impact.did import twfe
    from ....impact.sensitivity import (
        honest_did,
        leave_one_out,
        placebo_in_time,
        pretrend_power,
        slope_for_power,
    )

    R = results(ctx)
    es, dose = R["es"], R["dose"]
    p = impact_panel(ctx)
    out: dict[str, Any] = {}
    out["sd"] = ctx.cached("s.sd", lambda: honest_did(es, method="smoothness", grid=SMOOTHNESS_GRID))
    out["rm"] = ctx.cached("s.rm", lambda: honest_did(es, method="relative_magnitude"))
    out["slope80"] = ctx.cached("s.slope80", lambda: slope_for_power(es, power=0.8))
    out["power"] = ctx.cached("s.power", lambda: pretrend_power(es, slope=out["slope80"]))
    out["placebo"] = ctx.cached("s.placebo", lambda: placebo_in_time(p, es, shifts=(1, 2, 3)))
    funded = sorted(p.loc[p[DOSE] > 0, UNIT].unique())

    def fit(d):
        return twfe(d, outcome=MAIN_OUTCOME, unit=UNIT, time=TIME, treatment=DOSE)
    out["loo"] = ctx.cached("s.loo", lambda: leave_one_out(p, fit, unit=UNIT, units=funded,
                                                           full_estimate=dose.estimate))
    return out


def _sensitivity_section(ctx: ReportContext, funcs: dict) -> str:
    import matplotlib.pyplot as plt

    from ... import plots

    lang = ctx.lang
    sim = ctx.simulated
    S = sensitivity_results(ctx)
    R = results(ctx)
    sd, rm, loo, plc = S["sd"], S["rm"], S["loo"], S["placebo"]
    q = ctx.quartiers.set_index("quartier_id")
    out = [f"<h3>{_tr('Sensitivität', 'Sensitivity', lang)}</h3>"]
    bd_sd = sd.breakdown
    bd_rm = rm.breakdown
    pw = S["power"].iloc[0]
    lt = loo.table.dropna(subset=["estimate"])
    worst = lt.loc[lt["change"].abs().idxmax()] if len(lt) else None
    items = [
        _tr(f"<strong>Verletzte parallele Trends (Rambachan & Roth 2023).</strong> Mittlere Wirkung nach "
            f"Förderbeginn {fmt(sd.original['estimate'], 2, lang, sign=True)} Pp. Darf sich der Trendunterschied "
            f"von Jahr zu Jahr um bis zu M Prozentpunkte ändern (Glättung), "
            + (f"schließt das robuste Intervall die Null ab M = {fmt(bd_sd, 3, lang)} ein."
               if bd_sd is not None else "bleibt das robuste Intervall im geprüften Bereich (bis M = "
               f"{fmt(sd.table['M'].max(), 3, lang)}) unter null.")
            + " Darf die Abweichung nach Förderbeginn bis zum M̄-fachen der größten Abweichung davor "
            "betragen (relative Größe), "
            + (f"gilt das ab M̄ = {fmt(bd_rm, 1, lang)}." if bd_rm is not None
               else f"bleibt das Intervall bis M̄ = {fmt(rm.table['M'].max(), 1, lang)} unter null."),
            f"<strong>Violated parallel trends (Rambachan & Roth 2023).</strong> Mean effect after the start "
            f"{fmt(sd.original['estimate'], 2, lang, sign=True)} pp. If the trend difference may change by up "
            f"to M percentage points from year to year (smoothness), "
            + (f"the robust interval includes zero from M = {fmt(bd_sd, 3, lang)}."
               if bd_sd is not None else "the robust interval stays below zero over the grid (up to M = "
               f"{fmt(sd.table['M'].max(), 3, lang)}).")
            + " If the deviation after the start may be up to M̄ times the largest deviation before "
            "(relative magnitudes), "
            + (f"that happens from M̄ = {fmt(bd_rm, 1, lang)}." if bd_rm is not None
               else f"the interval stays below zero up to M̄ = {fmt(rm.table['M'].max(), 1, lang)}."), lang),
        _tr(f"<strong>Aussagekraft des Vortests (Roth 2022).</strong> Ein linearer Trendunterschied von "
            f"{fmt(S['slope80'], 3, lang)} Pp je Jahr wäre mit 80 % Wahrscheinlichkeit aufgefallen; ein solcher "
            f"Trend hätte die mittlere Wirkung um {fmt(pw['bias_post'], 2, lang, sign=True)} Pp verzerrt.",
            f"<strong>Power of the pre-test (Roth 2022).</strong> A linear trend difference of "
            f"{fmt(S['slope80'], 3, lang)} pp per year would have been detected with 80 % probability; such "
            f"a trend would have biased the mean effect by {fmt(pw['bias_post'], 2, lang, sign=True)} pp.", lang),
    ]
    if worst is not None:
        wname = q.loc[worst["dropped_unit"], "ortsteil"] if worst["dropped_unit"] in q.index else worst["dropped_unit"]
        items.append(_tr(
            f"<strong>Einzelne Quartiere.</strong> Lässt man jedes der {len(lt)} geförderten Quartiere einmal "
            f"weg, liegt die Wirkung je EUR/Einwohner zwischen {fmt(lt['estimate'].min(), 3, lang, sign=True)} "
            f"und {fmt(lt['estimate'].max(), 3, lang, sign=True)} (alle Quartiere: "
            f"{fmt(R['dose'].estimate, 3, lang, sign=True)}); am meisten Einfluss hat {esc(wname)}.",
            f"<strong>Single quartiers.</strong> Leaving out each of the {len(lt)} funded quartiers once, the "
            f"effect per EUR/resident lies between {fmt(lt['estimate'].min(), 3, lang, sign=True)} and "
            f"{fmt(lt['estimate'].max(), 3, lang, sign=True)} (all quartiers: "
            f"{fmt(R['dose'].estimate, 3, lang, sign=True)}); {esc(wname)} has the most influence.", lang))
    out.append(bullets(items))

    hrows = []
    for res, kind in ((sd, _tr("Glättung (M, Pp je Jahr²)", "smoothness (M, pp per year²)", lang)),
                      (rm, _tr("relative Größe (M̄)", "relative magnitude (M̄)", lang))):
        for _, r in res.table.iterrows():
            hrows.append({_tr("Einschränkung", "restriction", lang): kind, "M": float(r["M"]),
                          _tr("robustes 95 %-KI unten", "robust 95 % CI low", lang): float(r["ci_low"]),
                          _tr("robustes 95 %-KI oben", "robust 95 % CI high", lang): float(r["ci_high"])})
    ht = pd.DataFrame(hrows)
    out.append(ctx.table(ht, name="honest_did", simulated=sim, compact=True, title=_tr(
        "Robuste Intervalle der mittleren Wirkung nach Förderbeginn, wenn parallele Trends verletzt sein "
        "dürfen (Rambachan & Roth 2023)",
        "Robust intervals of the mean effect after the start when parallel trends may be violated "
        "(Rambachan & Roth 2023)", lang), decimals={c: 3 for c in ht.columns[1:]},
        note=_tr("M = 0 (Glättung): Trendunterschied linear fortgeschrieben. Relative Größe: konservatives "
                 "Bonferroni-Intervall.", "M = 0 (smoothness): trend difference extrapolated linearly. "
                 "Relative magnitudes: conservative Bonferroni interval.", lang)).html)

    pt = plc.table
    prow = [{_tr("Verschiebung (Jahre)", "shift (years)", lang): str(int(r["shift"])),
             _tr("Placebo-Beginn", "placebo start", lang): str(r.get("placebo_start") or ""),
             t("estimate", lang): r["estimate"],
             _tr("95 %-KI unten", "95 % CI low", lang): r["ci_low"],
             _tr("95 %-KI oben", "95 % CI high", lang): r["ci_high"],
             _tr("p-Wert", "p-value", lang): r["pvalue"]} for _, r in pt.iterrows()]
    ptab = pd.DataFrame(prow)
    out.append(ctx.table(ptab, name="placebo_in_time", simulated=sim, compact=True, title=_tr(
        "Placebo-Test in der Zeit: vorgetäuschter früherer Förderbeginn (nur Jahre vor dem echten Beginn)",
        "Placebo test in time: pretended earlier start (years before the real start only)", lang),
        decimals={c: 3 for c in ptab.columns[2:]}, note=_tr(
        "Ereignisstudie wie oben, auf den Jahren vor dem ersten echten Förderbeginn; Schätzwerte nahe null "
        "sprechen gegen Vorab-Unterschiede.", "Event study as above, on the years before the first real "
        "start; estimates near zero speak against prior differences.", lang)).html)

    fig = ctx.draw(plots.honest_did_plot, sd, lang=lang)
    for lab in fig.axes[0].get_xticklabels():
        lab.set_rotation(30)
        lab.set_horizontalalignment("right")
    fig.tight_layout()
    out.append(ctx.figure(fig, name="honest_did", simulated=sim, size="half", title=_tr(
        "Robuste 95-%-Intervalle der mittleren Wirkung nach Förderbeginn je nach erlaubter Trendänderung M",
        "Robust 95 % intervals of the mean effect after the start by the allowed trend change M", lang)).html)
    lt_named = lt.assign(dropped_unit=[q.loc[u, "ortsteil"] if u in q.index else u for u in lt["dropped_unit"]])
    fig, ax = plt.subplots(figsize=(7, 0.19 * len(lt_named) + 1.4))
    ctx.draw(plots.leave_one_out_plot, lt_named, full_estimate=loo.full_estimate, ax=ax, lang=lang,
             provenance=loo.provenance)
    fig.tight_layout()
    out.append(ctx.figure(fig, name="leave_one_out", simulated=sim, size="half", title=_tr(
        "Wirkung je EUR/Einwohner, wenn jeweils ein gefördertes Quartier weggelassen wird",
        "Effect per EUR/resident when one funded quartier at a time is left out", lang)).html)
    return "\n".join(out)


def _synthetic_control(ctx: ReportContext) -> str:
    from ... import plots

    lang = ctx.lang
    R = results(ctx)
    if "sc" not in R:
        return _pending(ctx, "synthetic_control", f"Synthetische Kontrolle für {FLAGSHIP}",
                        f"synthetic control for {FLAGSHIP}", "llq_analysis.impact.synth.synthetic_control")
    sc = R["sc"]
    q = ctx.quartiers.set_index("quartier_id")
    name = f"{q.loc[FLAGSHIP, 'ortsteil']} ({q.loc[FLAGSHIP, 'city']})"
    g = int(impact_panel(ctx).loc[lambda d: d[UNIT] == FLAGSHIP, COHORT].iloc[0])
    n_placebo = len(sc.placebo) if sc.placebo is not None else 0
    out = [f"<h3>{_tr('Synthetische Kontrolle', 'Synthetic control', lang)}: {esc(name)}</h3>",
           para(_tr(
               f"Für ein einzelnes gefördertes Quartier bildet ein gewichteter Mix nie geförderter Quartiere "
               f"den Verlauf der SGB-II-Quote vor dem Förderbeginn {g} nach (mittlere Abweichung vor "
               f"Beginn, RMSPE: {fmt(sc.pre_rmspe, 2, lang)} Prozentpunkte). Danach liegt {esc(name)} im "
               f"Mittel {fmt(sc.estimate, 2, lang, sign=True)} Prozentpunkte unter dieser Synthese. "
               f"Placebo-Test: Jedes der {n_placebo} Vergleichsquartiere wird einmal als „gefördert“ "
               f"behandelt; der Permutations-p-Wert beträgt {fmt(sc.pvalue, 3, lang)} "
               f"(kleinstmöglich: {fmt(1 / (n_placebo + 1), 3, lang)}). Ein einzelnes Quartier ist "
               f"verrauscht: Das Ergebnis ergänzt die Schätzungen über alle Quartiere, ersetzt sie nicht.",
               f"For a single funded quartier, a weighted mix of never-funded quartiers reproduces the "
               f"path of the SGB II rate before funding starts in {g} (mean deviation before the start, "
               f"RMSPE: {fmt(sc.pre_rmspe, 2, lang)} percentage points). Afterwards {esc(name)} lies on "
               f"average {fmt(sc.estimate, 2, lang, sign=True)} percentage points below this synthesis. "
               f"Placebo test: each of the {n_placebo} comparison quartiers is treated as “funded” once; "
               f"the permutation p-value is {fmt(sc.pvalue, 3, lang)} (smallest possible: "
               f"{fmt(1 / (n_placebo + 1), 3, lang)}). A single quartier is noisy: the result "
               f"complements the estimates over all quartiers, it does not replace them.", lang))]
    w = sc.weights
    w = w[w >= 0.01].sort_values(ascending=False)
    wt = pd.DataFrame({
        _tr("Vergleichsquartier", "comparison quartier", lang):
            [f"{q.loc[u, 'ortsteil']} ({q.loc[u, 'stadtteil']})" if u in q.index else str(u) for u in w.index],
        t("city", lang): [q.loc[u, "city"] if u in q.index else "" for u in w.index],
        _tr("Gewicht", "weight", lang): w.to_numpy(dtype=float),
    })
    out.append(ctx.table(wt, name="synthetic_control_weights", simulated=ctx.simulated, compact=True,
                         title=_tr(f"Gewichte der synthetischen Kontrolle für {name} (ab 1 %)",
                                   f"Weights of the synthetic control for {name} (from 1 %)", lang),
                         decimals={_tr("Gewicht", "weight", lang): 3}).html)
    if hasattr(plots, "synth_plot"):
        out.append(ctx.figure(ctx.draw(sc.plot, lang=lang), name="synthetic_control", simulated=ctx.simulated,
                              title=_tr(f"{name}: tatsächlicher und synthetischer Verlauf, Lücken der Placebos",
                                        f"{name}: actual and synthetic path, gaps of the placebos", lang)).html)
    else:
        out.append(_pending(ctx, "synthetic_control_plot", "Abbildung der synthetischen Kontrolle",
                            "synthetic control chart", "llq_analysis.outputs.plots.synth_plot"))
    return "\n".join(out)


