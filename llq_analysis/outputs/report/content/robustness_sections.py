"""Report sections on robustness: sensitivity (HonestDiD bounds, pre-trend power, placebo in time,
leave-one-out) and the synthetic control of a flagship quartier."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ....i18n import t
from .core import MAIN_OUTCOME, ReportContext, _optional, _pending
from .estimates import COHORT, DOSE, FLAGSHIP, SMOOTHNESS_GRID, TIME, UNIT, impact_panel, results
from .markup import _tr, bullets, esc, fmt, para


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
