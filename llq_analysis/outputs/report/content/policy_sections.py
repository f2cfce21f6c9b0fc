"""Report sections for decisions: before/after comparison, scenario comparison and the one-page
summary for decision makers."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ....i18n import t
from .core import MAIN_OUTCOME, ReportContext, _pending, _reps
from .data_sections import _llq_funding
from .estimates import COHORT, DOSE, TIME, UNIT, impact_panel, results
from .markup import Html, _tr, bullets, esc, fmt, fmt_ci, para


def _pp(value: float, digits: int, lang: str) -> str:
    """A signed value in percentage points: "−0,25 Pp" (de) / "-0.25 pp" (en)."""
    return f"{fmt(value, digits, lang, sign=True)} {'Pp' if lang == 'de' else 'pp'}"


# ============================================================================= before / after
def ba_windows(ctx: ReportContext) -> tuple[tuple[int, int], tuple[int, int]]:
    """Three years before the first funding year (leaving out the year just before) and the last
    three years: (2017, 2019) and (2022, 2024) on the bundled panel."""
    p = ctx.panel
    g = pd.to_numeric(p[COHORT]).fillna(0)
    first = int(g[g > 0].min()) if (g > 0).any() else int(p[TIME].max())
    last = int(p[TIME].max())
    return (first - 4, first - 2), (max(first + 1, last - 2), last)


def before_after_result(ctx: ReportContext):
    from ....impact.before_after import compare_before_after

    pre, post = ba_windows(ctx)
    return ctx.cached("ba", lambda: compare_before_after(
        ctx.panel, indicator=MAIN_OUTCOME, funded="llq_funded", pre=pre, post=post,
        comparison="matched", reps=_reps(ctx, 1999), seed=ctx.seed, lang=ctx.lang))


def before_after(ctx: ReportContext) -> Html:
    """Funded vs matched comparison quartiers before and after (``llq.compare_before_after``)."""
    lang = ctx.lang
    ba = before_after_result(ctx)
    sim = ctx.simulated
    tab = ba.table
    lab = {"funded": _tr("geförderte Quartiere", "funded quartiers", lang),
           "comparison": _tr("Vergleichsquartiere", "comparison quartiers", lang),
           "difference": _tr("Differenz", "difference", lang)}
    yb = "–".join(str(y) for y in (min(ba.years["before"]), max(ba.years["before"])))
    ya = "–".join(str(y) for y in (min(ba.years["after"]), max(ba.years["after"])))
    rows = []
    for g in ("funded", "comparison", "difference"):
        def val(period, col="value", g=g):
            r = tab[(tab["group"] == g) & (tab["period"] == period)]
            return float(r[col].iloc[0]) if len(r) else float("nan")
        rows.append({
            _tr("Gruppe", "Group", lang): lab[g],
            _tr(f"vorher {yb} (%)", f"before {yb} (%)", lang): val("before"),
            _tr(f"nachher {ya} (%)", f"after {ya} (%)", lang): val("after"),
            _tr("Veränderung (Pp)", "change (pp)", lang): val("change"),
            _tr("95 %-KI unten", "95 % CI low", lang): val("change", "ci_low"),
            _tr("95 %-KI oben", "95 % CI high", lang): val("change", "ci_high"),
            _tr("Anzahl Quartiere", "number of quartiers", lang): int(val("change", "n_quartiers")),
        })
    bt = pd.DataFrame(rows)
    out = [para(esc(ba.summary(lang)).replace("\n", "<br>").replace("-&gt;", "→"))]
    out.append(ctx.table(bt, name="before_after", simulated=sim, title=_tr(
        "SGB-II-Quote vorher und nachher: geförderte und ähnliche nicht geförderte Quartiere",
        "SGB II rate before and after: funded and similar unfunded quartiers", lang),
        decimals={c: 2 for c in bt.columns[1:6]}, bold_rows=[False, False, True],
        note=_tr("Mittel über Quartiere (jedes Quartier zählt gleich). Intervall: Bootstrap über die "
                 "Paare aus gefördertem Quartier und Vergleichsquartier.",
                 "Means over quartiers (each quartier counts once). Interval: bootstrap over the pairs "
                 "of funded and comparison quartier.", lang)).html)
    out.append(ctx.figure(ctx.draw(ba.plot, lang=lang), name="before_after", simulated=sim, title=_tr(
        "Verlauf, Niveau und Veränderung der SGB-II-Quote: geförderte und Vergleichsquartiere",
        "Trend, level and change of the SGB II rate: funded and comparison quartiers", lang)).html)
    if ba.matches is not None and len(ba.matches):
        names = dict(zip(ctx.quartiers["quartier_id"], ctx.quartiers["ortsteil"], strict=True))
        m = ba.matches
        fcol = next(c for c in m.columns if c.startswith("funded") or c == "quartier_id")
        ccol = next(c for c in m.columns if c.startswith("comparison") or c.startswith("match"))
        mt = pd.DataFrame({
            _tr("gefördertes Quartier", "funded quartier", lang): [names.get(q, q) for q in m[fcol]],
            _tr("Vergleichsquartier", "comparison quartier", lang): [names.get(q, q) for q in m[ccol]],
            _tr("gleiche Stadt", "same city", lang): [_tr("ja", "yes", lang) if s else _tr("nein", "no", lang)
                                                      for s in m.get("same_city", [True] * len(m))],
        })
        out.append(ctx.table(mt, name="matches", compact=True, title=_tr(
            "Welche Vergleichsquartiere? (ähnlichstes Ausgangsniveau und ähnlichster Trend vor der Förderung)",
            "Which comparison quartiers? (most similar starting level and trend before funding)", lang)).html)
    return Html(out)


# ============================================================================= scenarios
def scenario_comparison(ctx: ReportContext):
    """``llq.compare_scenarios`` for baseline + the given scenarios with the estimated effects."""
    from ....policy.projection import compare_scenarios
    from ....policy.scenarios import load_scenario

    R = results(ctx)

    def run():
        scen = {}
        for pth in ctx.scenario_paths:
            s = load_scenario(pth)
            scen[s.name] = s
        effect = {MAIN_OUTCOME: R["dose"]}
        if "dose.sgb2_rate_u15" in R:
            effect["sgb2_rate_u15"] = R["dose.sgb2_rate_u15"]
        return compare_scenarios(scen, ctx.quartiers, panel=ctx.panel, effect=effect,
                                 draws=_reps(ctx, 2000), seed=ctx.seed)
    return ctx.cached("scenarios", run)


def scenarios(ctx: ReportContext) -> Html:
    """Money, targeting and projected effects (with intervals) of every scenario."""
    from ....policy.scenarios import load_scenario
    from ... import plots

    lang = ctx.lang
    sim = ctx.simulated
    comp = scenario_comparison(ctx)
    loaded = [load_scenario(pth) for pth in ctx.scenario_paths]
    out = []
    desc = []
    for s in loaded:
        d = s.describe(lang)
        desc.append(f"<strong>{esc(s.title)}</strong> (<code>{esc(s.name)}</code>): "
                    + esc(d).replace("\n", "<br>"))
    out.append(bullets(desc, cls="scenario-list"))

    money = comp.money
    targ = comp.targeting
    rows = []
    for s in comp.scenarios:
        row = {_tr("Szenario", "Scenario", lang): s}
        cities = list(money["city"].unique())
        for c in cities:  # money per city (the state total is the budget: shown per resident only)
            m = money[(money["scenario"] == s) & (money["city"] == c)].iloc[0]
            if c != cities[-1] or len(cities) == 1:
                row[f"{c} (EUR)"] = float(m["amount_eur"])
        for c in cities:
            m = money[(money["scenario"] == s) & (money["city"] == c)].iloc[0]
            row[f"{c} ({_tr('EUR je Einw.', 'EUR per res.', lang)})"] = float(m["eur_per_capita"])
        tt = targ[(targ["scenario"] == s) & (targ["area"] == targ["area"].iloc[-1])]
        if len(tt):
            row[_tr("Anteil an bedürftigstes Fünftel (%)", "share to neediest fifth (%)", lang)] = \
                100 * float(tt["share_neediest_fifth"].iloc[0])
            row[_tr("Konzentrationsindex", "concentration index", lang)] = float(tt["concentration_index"].iloc[0])
        rows.append(row)
    mt = pd.DataFrame(rows)
    dec = {c: (0 if c.endswith("(EUR)") else 2) for c in mt.columns[1:]}
    out.append(ctx.table(mt, name="scenario_money", title=_tr(
        "Geld je Stadt und Zielgenauigkeit der Szenarien", "Money per city and targeting of the scenarios",
        lang), decimals=dec, compact=True, note=_tr(
        "Zielgenauigkeit gemessen am Bedarfsindex des Basisszenarios (z-standardisierte Indikatoren). "
        "Konzentrationsindex > 0: Geld fließt eher in bedürftigere Quartiere.",
        "Targeting measured by the baseline's need index (z-standardised indicators). Concentration "
        "index > 0: money goes rather to needier quartiers.", lang), simulated=sim).html)

    eff = comp.effects
    if len(eff):
        rows = []
        for _, e in eff.iterrows():
            rows.append({
                _tr("Szenario", "Scenario", lang): e["scenario"],
                t("city", lang): e["city"],
                t("outcome", lang): _short(e["outcome"], lang),
                _tr("Veränderung (Pp)", "change (pp)", lang): float(e["change_pp"]),
                _tr("Pp: 95 %-Intervall unten", "pp: 95 % interval low", lang): float(e["change_pp_low"]),
                _tr("Pp: 95 %-Intervall oben", "pp: 95 % interval high", lang): float(e["change_pp_high"]),
                _tr("Veränderung, Personen (Projektion, gerundet auf 10)",
                    "change, persons (projection, rounded to 10)", lang): _round10(e.get("persons")),
                _tr("Personen: Intervall unten", "persons: interval low", lang): _round10(e.get("persons_low")),
                _tr("Personen: Intervall oben", "persons: interval high", lang): _round10(e.get("persons_high")),
            })
        et = pd.DataFrame(rows)
        out.append(ctx.table(et, name="scenario_effects", simulated=sim, compact=True, title=_tr(
            "Projizierte Veränderung je Szenario und Stadt (mit 95-%-Intervallen)",
            "Projected change per scenario and city (with 95 % intervals)", lang),
            decimals={c: 2 for c in et.columns[3:6]}, note=_tr(
            "Projektion aus der geschätzten Wirkung je EUR/Einwohner; die Intervalle zeigen nur die "
            "Unsicherheit dieser Schätzung, nicht die der Daten oder des Modells. Personen: "
            "modellierte Veränderung, keine Zählung. u15 = Kinder unter 15 Jahren.",
            "Projection from the estimated effect per EUR/resident; intervals show only the "
            "uncertainty of that estimate, not of the data or the model. Persons: modelled change, "
            "not a count. u15 = children under 15.", lang)).html)
    diff = comp.differences
    if len(diff):
        d = diff[diff["scenario"] != diff["reference"]]
        if len(d):
            rows = [{
                _tr("Szenario", "Scenario", lang): r["scenario"],
                t("city", lang): r["city"],
                t("outcome", lang): _short(r["outcome"], lang),
                _tr("Differenz zum Basisszenario", "difference to baseline", lang): float(r["difference"]),
                _tr("95 %-Intervall unten", "95 % interval low", lang): float(r["difference_low"]),
                _tr("95 %-Intervall oben", "95 % interval high", lang): float(r["difference_high"]),
                _tr("Einheit", "unit", lang): (_tr("Personen", "persons", lang) if r["unit"] == "persons"
                                               else _tr("Pp", "pp", lang)),
                _tr("Wahrscheinlichkeit besser (%)", "probability better (%)", lang): 100 * float(r["p_better"]),
            } for _, r in d.iterrows()]
            dt = pd.DataFrame(rows)
            out.append(ctx.table(dt, name="scenario_differences", simulated=sim, compact=True, title=_tr(
                "Unterschied jedes Szenarios zum Basisszenario (gepaarte Ziehungen)",
                "Difference of each scenario to the baseline (paired draws)", lang),
                decimals={c: 1 for c in dt.columns[3:6]}).html)
    for kind, title in (("money", _tr("Mittel je Einwohner nach Stadt und Szenario",
                                      "Money per resident by city and scenario", lang)),
                        ("effects", _tr("Projizierte Veränderung der SGB-II-Quote mit 95-%-Intervallen",
                                        "Projected change in the SGB II rate with 95 % intervals", lang))):
        fname = {"money": "scenario_money_plot", "effects": "scenario_effects_plot"}[kind]
        if hasattr(plots, fname):
            out.append(ctx.figure(ctx.draw(comp.plot, kind, lang=lang), name=f"scenario_{kind}", title=title,
                                  simulated=sim, size="half").html)
        else:
            out.append(_pending(ctx, f"scenario_plot_{kind}", title, title, f"llq_analysis.outputs.plots.{fname}"))
    if comp.warnings:
        out.append(para(_tr("Hinweise der Projektion:", "Notes from the projection:", lang)))
        out.append(bullets([esc(w) for w in comp.warnings[:8]], cls="estimator-notes"))
    return Html(out)


_SHORT = {"sgb2_rate": ("SGB-II-Quote", "SGB II rate"),
          "sgb2_rate_u15": ("SGB-II-Quote u15", "SGB II rate u15")}


def _short(outcome: str, lang: str) -> str:
    """Short outcome label for narrow scenario tables (u15 = children under 15)."""
    de, en = _SHORT.get(outcome, (t(outcome, lang), t(outcome, lang)))
    return _tr(de, en, lang)


def _round10(x: Any) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return float(10 * round(float(x) / 10))


# ============================================================================= summary
def summary(ctx: ReportContext) -> Html:
    """One page for decision makers: key figures and plain-language messages."""
    lang = ctx.lang
    R = results(ctx)
    ba = before_after_result(ctx)
    dose, cs, wild = R["dose"], R["cs"], R["wild"]
    llq = _llq_funding(ctx)
    last = int(llq["year"].max())
    by_city = llq[llq["year"] == last].groupby("city")["amount_eur"].sum()
    total = float(by_city.sum())
    p = ctx.panel
    funded = p.groupby(UNIT)["llq_funded"].first().astype(bool)
    mean_dose = float(impact_panel(ctx).loc[lambda d: d[DOSE] > 0, DOSE].mean())

    def box(value, label, detail=""):
        return (f'<div class="key-figure"><span class="value">{value}</span><span class="label">{label}'
                f'</span><span class="detail">{detail}</span></div>')

    boxes = [
        box(f"{fmt(total / 1e6, 1, lang)} Mio. EUR" if lang == "de" else f"EUR {fmt(total / 1e6, 1, lang)} m",
            _tr(f"LLQ-Budget {last} je Jahr", f"LLQ budget {last} per year", lang),
            " · ".join(f"{c} {fmt(v / 1e6, 1, lang)}" for c, v in by_city.items())
            + _tr(" Mio. (veröffentlicht)", " m (published)", lang)),
        box(f"{int(funded.sum())} / {len(funded)}",
            _tr("geförderte Quartiere (Ortsteile)", "funded quartiers (Ortsteile)", lang),
            _tr(f"im Mittel {fmt(mean_dose, 1, lang)} EUR je Einwohner und Jahr",
                f"on average {fmt(mean_dose, 1, lang)} EUR per resident and year", lang)),
        box(_pp(dose.estimate, 2, lang),
            _tr("SGB-II-Quote je EUR/Einwohner", "SGB II rate per EUR/resident", lang),
            _tr(f"95 %: {fmt_ci(wild.ci[0], wild.ci[1], 2, lang)} (Wild-Bootstrap)",
                f"95 %: {fmt_ci(wild.ci[0], wild.ci[1], 2, lang)} (wild bootstrap)", lang)),
        box(_pp(cs.estimate, 1, lang),
            _tr("geförderte vs. nicht geförderte Quartiere", "funded vs unfunded quartiers", lang),
            _tr(f"Callaway & Sant'Anna, 95 %: {fmt_ci(cs.ci[0], cs.ci[1], 1, lang)}",
                f"Callaway & Sant'Anna, 95 %: {fmt_ci(cs.ci[0], cs.ci[1], 1, lang)}", lang)),
        box(_pp(ba.estimate, 1, lang),
            _tr("Vorher-Nachher gegenüber Vergleichsquartieren", "before/after against comparison quartiers", lang),
            _tr(f"95 %: {fmt_ci(ba.ci[0], ba.ci[1], 1, lang)} (beschreibend)",
                f"95 %: {fmt_ci(ba.ci[0], ba.ci[1], 1, lang)} (descriptive)", lang)),
    ]
    msgs = []
    comp = None
    try:
        comp = scenario_comparison(ctx)
    except Exception as exc:  # noqa: BLE001 - the scenario section reports the error itself
        msgs.append(esc(f"Szenarien: {exc}" if lang == "de" else f"Scenarios: {exc}"))
    best = None
    titles = {}
    if comp is not None:
        from ....policy.scenarios import load_scenario

        titles = {sc.name: sc.title for sc in (load_scenario(pth) for pth in ctx.scenario_paths)}
    if comp is not None and len(comp.differences):
        d = comp.differences
        d = d[(d["scenario"] != d["reference"]) & (d["outcome"] == MAIN_OUTCOME) & (d["city"] == d["city"].iloc[-1])]
        if len(d):
            best = d.sort_values("difference").iloc[0].copy()
            best["scenario"] = titles.get(best["scenario"], best["scenario"])
            boxes.append(box(
                f"{fmt(_round10(best['difference']), 0, lang, sign=True)}",
                _tr(f"Personen in SGB II: „{esc(best['scenario'])}“ gegenüber Basis",
                    f"persons in SGB II: “{esc(best['scenario'])}” vs baseline", lang),
                _tr(f"95 %: {fmt_ci(_round10(best['difference_low']), _round10(best['difference_high']), 0, lang)} "
                    f"(Projektion)", f"95 %: {fmt_ci(_round10(best['difference_low']), _round10(best['difference_high']), 0, lang)} "
                    f"(projection)", lang)))
    pt = R["es"].extras.get("pretrend") or {}
    msgs = [
        _tr(f"<strong>Wirkung:</strong> Mehr LLQ-Geld je Einwohner geht mit einer niedrigeren SGB-II-Quote "
            f"einher: {fmt(-dose.estimate, 2, lang)} Prozentpunkte weniger je Euro und Einwohner, bei der "
            f"üblichen Förderung von {fmt(mean_dose, 0, lang)} EUR also etwa {fmt(-dose.estimate * mean_dose, 1, lang)} "
            f"Prozentpunkte. Alle Verfahren (Tabelle im Kapitel 4) zeigen in dieselbe Richtung.",
            f"<strong>Effect:</strong> more LLQ money per resident goes with a lower SGB II rate: "
            f"{fmt(-dose.estimate, 2, lang)} percentage points less per euro and resident, so about "
            f"{fmt(-dose.estimate * mean_dose, 1, lang)} percentage points at the usual {fmt(mean_dose, 0, lang)} EUR. "
            f"All methods (table in chapter 4) point the same way.", lang),
        _tr(f"<strong>Belastbarkeit:</strong> Vor Förderbeginn verliefen geförderte und nicht geförderte "
            f"Quartiere {'ähnlich' if pt.get('pvalue', 0) >= 0.05 else 'nicht ganz parallel'} (Test: p = "
            f"{fmt(pt.get('pvalue'), 2, lang)}). Mit wenigen geförderten Quartieren, vor allem in Bremerhaven, "
            f"bleiben die Intervalle breit; andere Programme (WiN) wirken in denselben Quartieren.",
            f"<strong>Robustness:</strong> before funding, funded and unfunded quartiers developed "
            f"{'similarly' if pt.get('pvalue', 0) >= 0.05 else 'not quite in parallel'} (test: p = "
            f"{fmt(pt.get('pvalue'), 2, lang)}). With few funded quartiers, especially in Bremerhaven, "
            f"intervals stay wide; other programmes (WiN) act in the same quartiers.", lang),
    ]
    if best is not None:
        msgs.append(_tr(
            f"<strong>Szenarien:</strong> Von den geprüften Aufteilungen verringert „{esc(best['scenario'])}“ "
            f"die Zahl der Personen in SGB-II-Bedarfsgemeinschaften am stärksten gegenüber der heutigen "
            f"Aufteilung (Wahrscheinlichkeit, besser zu sein: {fmt(100 * best['p_better'], 0, lang)} %). "
            f"Das ist eine Projektion aus der geschätzten Wirkung, keine Prognose.",
            f"<strong>Scenarios:</strong> of the splits examined, “{esc(best['scenario'])}” reduces the number of "
            f"persons in SGB II households most against today's split (probability of being better: "
            f"{fmt(100 * best['p_better'], 0, lang)} %). This is a projection from the estimated effect, not a "
            f"forecast.", lang))
    if ctx.simulated:
        msgs.append(_tr(
            "<strong>Wichtig:</strong> Die Quartierswerte sind simuliert (mit bekannter eingebauter Wirkung). "
            "Der Bericht zeigt, wie die Evaluation mit echten Daten aussehen wird, und belegt, dass die "
            "Verfahren eine bekannte Wirkung wiederfinden. Für die Entscheidung über die Fortsetzung sind "
            "die echten kleinräumigen Daten (Statistik der BA, Statistisches Landesamt) nötig.",
            "<strong>Important:</strong> the quartier values are simulated (with a known built-in effect). "
            "The report shows what the evaluation will look like with real data and demonstrates that the "
            "methods recover a known effect. The decision on continuation needs the real small-area data "
            "(Federal Employment Agency statistics, State Statistical Office).", lang))
    parts = [f'<div class="key-figures">{"".join(boxes)}</div>',
             bullets(msgs, cls="summary-list")]
    if ctx.simulated:
        parts.insert(0, f'<p class="summary-sim"><span class="sim-badge">{t("simulated_mark", lang)}</span> '
                     + _tr("Alle Wirkungszahlen dieser Seite beruhen auf simulierten Daten.",
                           "All effect figures on this page rest on simulated data.", lang) + "</p>")
    return Html(parts)


