"""Report Part A - "Befunde aus veröffentlichten Daten": targeting, participation, poverty, what
the evaluation can detect (findings from :mod:`llq_analysis.impact.findings` and
:mod:`llq_analysis.impact.targeting`, computed once and cached on the context).

The panel is ``ctx.published_panel`` if the context has one, else ``ctx.panel`` when it is not
simulated (the bundled published panel or a user's ``--data`` panel), else the bundled published
panel (``llq.load_panel()``): Part A never runs on simulated values. A chapter whose data are
missing says what is missing instead of failing; nothing is filled.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ....errors import DataValidationError
from ....i18n import t
from .core import ReportContext, _reps
from .markup import Html, _tr, bullets, callout, esc, para

__all__ = ["published_panel", "findings", "targeting", "participation", "poverty", "detectability", "part_a",
           "key_findings"]


def published_panel(ctx: ReportContext) -> pd.DataFrame:
    """The non-simulated panel Part A is computed on (see the module docstring)."""
    p = getattr(ctx, "published_panel", None)
    if p is not None:
        return p
    if not ctx.simulated:
        return ctx.panel
    from ....data.loaders import load_panel

    return ctx.cached("A.panel", load_panel)


def findings(ctx: ReportContext) -> dict[str, Any]:
    """All Part A findings (a failed one is the DataValidationError saying what is missing)."""
    from ....impact.findings import detectable_effects, participation_findings, poverty_findings
    from ....impact.targeting import targeting_findings

    p = published_panel(ctx)
    nd = 200 if ctx.fast else 1000

    def safe(fn):
        try:
            return fn()
        except DataValidationError as e:
            return e

    out = {"targeting": ctx.cached("A.targeting", lambda: safe(lambda: targeting_findings(p, funding=ctx.funding))),
           "participation": ctx.cached("A.participation", lambda: safe(lambda: participation_findings(
               p, funding=ctx.funding, reps=_reps(ctx, 9999), seed=ctx.seed % 2**31, n_designs=nd))),
           "poverty": ctx.cached("A.poverty", lambda: safe(lambda: poverty_findings(p)))}
    part = out["participation"] if not isinstance(out["participation"], Exception) else None
    out["detectable"] = ctx.cached("A.detectable", lambda: safe(lambda: detectable_effects(
        p, participation=part, n_designs=nd)))
    return out


def _missing(ctx: ReportContext, what_de: str, what_en: str, err: Exception) -> str:
    return callout(_tr(f"<strong>{what_de}: mit diesen Daten nicht möglich.</strong> Es fehlt: {esc(err)}. "
                       "Fehlende Werte werden nicht ergänzt.",
                       f"<strong>{what_en}: not possible with these data.</strong> Missing: {esc(err)}. "
                       "Missing values are never filled in.", ctx.lang), "pending")


def _text(f, lang: str) -> str:
    lines = f.summary(lang).split("\n")
    return para(esc(lines[0])) + bullets([esc(x) for x in lines[1:-1]])


def _lab(de: str, en: str, lang: str) -> str:
    return _tr(de, en, lang)


# ----------------------------------------------------------------------------- targeting
def targeting(ctx: ReportContext) -> Html:
    """Were the funded Ortsteile the neediest before the programme? Index, map, money share."""
    lang = ctx.lang
    f = findings(ctx)["targeting"]
    head = f"<h2>{_tr('Zielgenauigkeit', 'Targeting', lang)}</h2>"
    if isinstance(f, Exception):
        return Html([head, _missing(ctx, "Bedarfsindex", "Need index", f)])
    sh = f.to_frame("shares")
    tab = pd.DataFrame({
        _lab("Jahr", "Year", lang): sh["year"].astype(str),
        _lab("LLQ-Mittel Bremen (EUR)", "LLQ money Bremen (EUR)", lang): sh["eur_total"],
        _lab("davon bedürftigstes Fünftel (EUR)", "of which neediest fifth (EUR)", lang): sh["eur_neediest_fifth"],
        _lab("Anteil an allen Mitteln (%)", "share of all money (%)", lang): sh["share_of_all_pct"],
        _lab("Anteil an zugeordneten Mitteln (%)", "share of attributed money (%)", lang): sh["share_of_attributed_pct"],
        _lab("davon illustrativ (%)", "illustrative (%)", lang): sh["illustrative_pct"]})
    need = f.to_frame("need")
    names = ctx.quartiers.set_index("quartier_id")["ortsteil"]
    top = need[need["neediest_fifth"]].sort_values("need_rank")
    top_tab = pd.DataFrame({
        _lab("Rang", "Rank", lang): top["need_rank"].astype(int),
        _lab("Ortsteil", "Ortsteil", lang): names.reindex(top["quartier_id"]).fillna(top["quartier_id"]).to_numpy(),
        _lab("Bedarfsindex", "Need index", lang): top["need_index"],
        t("sgb2_rate", lang): top["sgb2_rate"], t("sgb2_rate_u15", lang): top["sgb2_rate_u15"],
        t("unemployment_rate", lang): top["unemployment_rate"],
        _lab("LLQ-gefördert", "LLQ-funded", lang): top["llq_funded"].map(
            {True: _tr("ja", "yes", lang), False: _tr("nein", "no", lang)})})
    src = f.source_text(lang)
    return Html([head, _text(f, lang),
                 ctx.figure(f.plot(lang), name="A_need_map", title=_tr(
                     "Bedarfsindex vor dem Programm, LLQ-geförderte Ortsteile umrandet",
                     "Need index before the programme, LLQ-funded Ortsteile outlined", lang), note=src),
                 ctx.table(top_tab, name="A_neediest_fifth", title=_tr(
                     "Das bedürftigste Fünftel der Ortsteile (Stadt Bremen)", "The neediest fifth of Ortsteile "
                     "(city of Bremen)", lang), note=src, decimals={top_tab.columns[2]: 2, top_tab.columns[3]: 1, top_tab.columns[4]: 1,
                                                  top_tab.columns[5]: 1}),
                 ctx.table(tab, name="A_money_fifth", title=_tr(
                     "LLQ-Mittel, die das bedürftigste Fünftel erreichen", "LLQ money reaching the neediest fifth",
                     lang), note=src, decimals={c: 0 for c in tab.columns})])


# ----------------------------------------------------------------------------- participation
_KEYS = {"twfe": ("DiD (TWFE), cluster-robust", "DiD (TWFE), cluster-robust"),
         "wild": ("DiD, Wild-Cluster-Bootstrap", "DiD, wild cluster bootstrap"),
         "es_post": ("Ereignisstudie: 2023 gegen 2019", "event study: 2023 vs 2019"),
         "matched": ("Vorher-nachher, ähnliche Ortsteile (Matching, Bootstrap)",
                     "before/after, matched Ortsteile (bootstrap)"),
         "win_cotreat": ("DiD mit WiN als zweitem Programm", "DiD with WiN as co-treatment"),
         "no_win": ("DiD nur Ortsteile ohne WiN", "DiD, Ortsteile without WiN only"),
         "spill_direct": ("Nachbarmodell: direkter Effekt", "neighbour model: direct effect"),
         "spill_spillover": ("Nachbarmodell: Übertragung auf Nachbarn", "neighbour model: spillover")}


def participation(ctx: ReportContext) -> Html:
    """Bürgerschaft turnout: before/after, DiD (CR1 + wild bootstrap), event study, WiN,
    neighbours, HonestDiD, MDE; Bremerhaven apart."""
    lang = ctx.lang
    f = findings(ctx)["participation"]
    head = f"<h2>{_tr('Beteiligung: Wahlbeteiligung', 'Participation: turnout', lang)}</h2>"
    if isinstance(f, Exception):
        return Html([head, _missing(ctx, "Wahlbeteiligung", "Turnout", f)])
    src = f.source_text(lang)
    el = f.to_frame("by_election")
    el_tab = pd.DataFrame({_lab("Wahl", "Election", lang): el["year"].astype(str),
                           _lab("LLQ-gefördert (%)", "LLQ-funded (%)", lang): el["mean_funded"],
                           _lab("nicht gefördert (%)", "not funded (%)", lang): el["mean_comparison"],
                           _lab("Abstand (Pp.)", "gap (pp)", lang): el["difference"],
                           _lab("Ortsteile gefördert", "Ortsteile funded", lang): el["n_funded"],
                           _lab("Ortsteile Vergleich", "Ortsteile comparison", lang): el["n_comparison"]})
    est = f.to_frame("estimates")
    est_tab = pd.DataFrame({_lab("Schätzung", "Estimate", lang): [_KEYS[k][0 if lang == "de" else 1] for k in est["key"]],
                            _lab("Pp.", "pp", lang): est["estimate"],
                            _lab("95 %-KI unten", "95 % CI low", lang): est["ci_low"],
                            _lab("95 %-KI oben", "95 % CI high", lang): est["ci_high"],
                            _lab("p-Wert", "p-value", lang): est["pvalue"],
                            _lab("Beobachtungen", "Observations", lang): est["n_obs"],
                            _lab("Ortsteile", "Ortsteile", lang): est["n_units"]})
    parts = [head, _text(f, lang),
             ctx.figure(f.plot(lang), name="A_turnout", title=_tr(
                 "Wahlbeteiligung Bürgerschaftswahl: LLQ-geförderte und übrige Ortsteile (Stadt Bremen)",
                 "Bürgerschaft turnout: LLQ-funded and other Ortsteile (city of Bremen)", lang), note=src, size="half"),
             ctx.table(el_tab, name="A_turnout_elections", title=_tr(
                 "Wahlbeteiligung je Wahl (Mittel der Ortsteile)", "Turnout per election (mean of Ortsteile)", lang),
                 note=src, decimals={c: 1 for c in el_tab.columns[1:4]}),
             ctx.table(est_tab, name="A_turnout_estimates", title=_tr(
                 "Wahlbeteiligung: Schätzungen (Prozentpunkte)", "Turnout: estimates (percentage points)", lang),
                 note=src, decimals={est_tab.columns[4]: 3}),
             ctx.figure(f.plot(lang, kind="event_study"), name="A_turnout_event_study", title=_tr(
                 "Ereignisstudie über die Wahlen (Referenz: letzte Wahl vor dem Programm)",
                 "Event study over the elections (reference: last election before the programme)", lang),
                 note=src, size="half")]
    if "bremerhaven" in f.tables:
        b = f.to_frame("bremerhaven")
        parts.append(ctx.table(pd.DataFrame({
            _lab("Wahl", "Election", lang): b["year"].astype(str), _lab("LLQ-gefördert (%)", "LLQ-funded (%)", lang): b["mean_funded"],
            _lab("nicht gefördert (%)", "not funded (%)", lang): b["mean_comparison"],
            _lab("Abstand (Pp.)", "gap (pp)", lang): b["difference"]}), name="A_turnout_bremerhaven",
            title=_tr("Bremerhaven: Wahlbeteiligung 2019 und 2023", "Bremerhaven: turnout 2019 and 2023", lang),
            note=src, decimals={c: 1 for c in (_lab("LLQ-gefördert (%)", "LLQ-funded (%)", lang),
                                               _lab("nicht gefördert (%)", "not funded (%)", lang),
                                               _lab("Abstand (Pp.)", "gap (pp)", lang))}))
    return Html(parts)


# ----------------------------------------------------------------------------- poverty
def poverty(ctx: ReportContext) -> Html:
    """Published pre-programme poverty trends and what must be requested to complete the chapter."""
    from ....impact.findings_text import REQUEST

    lang = ctx.lang
    f = findings(ctx)["poverty"]
    head = f"<h2>{_tr('Armut: was veröffentlicht ist', 'Poverty: what is published', lang)}</h2>"
    if isinstance(f, Exception):
        return Html([head, _missing(ctx, "Armutsindikatoren", "Poverty indicators", f)])
    src = f.source_text(lang)
    sl, st = f.to_frame("slopes"), f.to_frame("status")
    tab = pd.DataFrame({_lab("Indikator", "Indicator", lang): [t(c, lang) for c in sl["outcome"]],
                        _lab("Jahre", "Years", lang): sl["years"],
                        _lab("Trendunterschied (Pp./Jahr)", "trend difference (pp/year)", lang): sl["slope_diff"],
                        _lab("95 %-KI unten", "95 % CI low", lang): sl["ci_low"],
                        _lab("95 %-KI oben", "95 % CI high", lang): sl["ci_high"],
                        _lab("p-Wert", "p-value", lang): sl["pvalue"]})
    lines = f.summary(lang).split("\n")
    parts = [head, para(esc(lines[0])), bullets([esc(x) for x in lines[1:-1] if "llq build-panel" not in x])]
    parts.append(ctx.figure(f.plot(lang), name="A_poverty_trends", title=_tr(
        "SGB II und Arbeitslosigkeit vor dem Programm: LLQ-geförderte und übrige Ortsteile",
        "SGB II and unemployment before the programme: LLQ-funded and other Ortsteile", lang), note=src))
    parts.append(ctx.table(tab, name="A_poverty_trends", title=_tr(
        "Trendunterschied geförderte minus übrige Ortsteile vor dem Programm",
        "Trend difference funded minus other Ortsteile before the programme", lang), note=src,
        decimals={tab.columns[2]: 2, tab.columns[3]: 2, tab.columns[4]: 2, tab.columns[5]: 3}))
    if not st["post_published"].any():
        last = int(st["last_year"].dropna().max()) if st["last_year"].notna().any() else "–"
        parts.append(callout(REQUEST[lang].format(last=last), "info"))
    return Html(parts)


# ----------------------------------------------------------------------------- detectability
def detectability(ctx: ReportContext) -> Html:
    """The minimum detectable effect per outcome, in pp and persons, in plain words."""
    from ....impact.findings_text import base_label

    lang = ctx.lang
    f = findings(ctx)["detectable"]
    head = f"<h2>{_tr('Was die Evaluation erkennen kann', 'What the evaluation can detect', lang)}</h2>"
    if isinstance(f, Exception):
        return Html([head, _missing(ctx, "Mindestens erkennbarer Effekt", "Minimum detectable effect", f)])
    src = f.source_text(lang)
    m = f.to_frame()
    tab = pd.DataFrame({_lab("Indikator", "Indicator", lang): [t(c, lang) for c in m["outcome"]],
                        _lab("Daten", "Data", lang): [_tr("veröffentlicht", "published", lang) if d == "actual"
                                                      else _tr(f"angenommen: {p}", f"assumed: {p}", lang)
                                                      for d, p in zip(m["design"], m["planned"], strict=True)],
                        _lab("erkennbar ab (Pp.)", "detectable from (pp)", lang): m["mde_pp"],
                        _lab("in Personen (gerundet)", "in persons (rounded)", lang): m["persons"].round(-1),
                        _lab("Bezugsgröße", "Base", lang): [base_label(b, lang) for b in m["base"]]})
    return Html([head, _text(f, lang),
                 ctx.table(tab, name="A_mde", title=_tr("Mindestens erkennbarer Effekt je Indikator",
                                                        "Minimum detectable effect per indicator", lang),
                           note=src, decimals={tab.columns[2]: 1, tab.columns[3]: 0}),
                 ctx.figure(f.plot(lang), name="A_mde", title=_tr(
                     "Mindestens erkennbarer Effekt (80 % Trefferwahrscheinlichkeit)",
                     "Minimum detectable effect (80 % power)", lang), note=src, size="half")])


def part_a(ctx: ReportContext) -> Html:
    """Part A in order: targeting, participation, poverty, detectability."""
    head = f"<h1>{_tr('Teil A – Befunde aus veröffentlichten Daten', 'Part A – Findings from published data', ctx.lang)}</h1>"
    return Html([head, targeting(ctx), participation(ctx), poverty(ctx), detectability(ctx)])


def key_findings(ctx: ReportContext) -> Html:
    """Four plain sentences for the summary page: only what the published data support."""
    from ....impact.findings_base import ci_words, fmt_ci, fmt_num

    lang = ctx.lang
    F = findings(ctx)
    items = []
    tg, pa, de = F["targeting"], F["participation"], F["detectable"]
    if not isinstance(tg, Exception):
        n = tg.numbers
        items.append(_tr(f"<strong>Zielgenauigkeit:</strong> {n['n_fifth_funded']} der {n['n_fifth']} bedürftigsten "
                         f"Ortsteile Bremens werden gefördert; {fmt_num(n['share_mean'], 0, lang)} % der LLQ-Mittel "
                         f"Bremens fließen in dieses Fünftel.",
                         f"<strong>Targeting:</strong> {n['n_fifth_funded']} of Bremen's {n['n_fifth']} neediest "
                         f"Ortsteile are funded; {fmt_num(n['share_mean'], 0, lang)} % of Bremen's LLQ money goes to "
                         f"this fifth.", lang))
    if not isinstance(pa, Exception):
        n = pa.numbers
        head = _tr(f"<strong>Wahlbeteiligung:</strong> Gegenüber den übrigen Ortsteilen veränderte sie sich in den "
                   f"geförderten {n['post'][0]} um {fmt_num(n['did'], 1, lang, True)} Prozentpunkte (Intervall "
                   f"{fmt_ci(n['ci'], 1, lang)})",
                   f"<strong>Turnout:</strong> relative to the other Ortsteile it changed by "
                   f"{fmt_num(n['did'], 1, lang, True)} percentage points in the funded ones in {n['post'][0]} "
                   f"(interval {fmt_ci(n['ci'], 1, lang)})", lang)
        if n.get("pretrend_p") is not None and n["pretrend_p"] < 0.05:
            tail = _tr(f", aber der Abstand hatte sich schon vor dem Programm verändert. Rechnet man diesen Trend "
                       f"heraus: {ci_words(n['honest_sd_ci0'], lang)}.",
                       f", but the gap was already changing before the programme. Allowing for that trend: "
                       f"{ci_words(n['honest_sd_ci0'], lang)}.", lang)
        else:
            tail = _tr(f" – {ci_words(n['ci'], lang)}; vor dem Programm ist kein Trendunterschied nachweisbar.",
                       f" - {ci_words(n['ci'], lang)}; no trend difference before the programme is detectable.", lang)
        items.append(head + tail)
    pv = F["poverty"]
    if not isinstance(pv, Exception):
        st = pv.to_frame("status")
        if st["post_published"].any():
            items.append(_tr("<strong>Armut:</strong> Werte nach dem Programmstart liegen vor; die Wirkungsschätzung "
                             "steht im Teil B.", "<strong>Poverty:</strong> values after the programme start exist; "
                             "the impact estimate is in Part B.", lang))
        elif st["last_year"].notna().any():
            last = int(st["last_year"].max())
            items.append(_tr(f"<strong>Armut:</strong> SGB-II- und Arbeitslosenwerte je Ortsteil sind nur bis {last} "
                             "veröffentlicht – über eine Wirkung lässt sich noch nichts sagen.",
                             f"<strong>Poverty:</strong> SGB II and unemployment values by Ortsteil are published only "
                             f"up to {last} - nothing can be said about an effect yet.", lang))
    if not isinstance(de, Exception):
        m = de.to_frame().set_index("outcome")
        if "turnout_buergerschaft" in m.index and "sgb2_rate" in m.index:
            items.append(_tr(f"<strong>Erkennbar</strong> wären Wirkungen ab etwa "
                             f"{fmt_num(m.loc['turnout_buergerschaft', 'mde_pp'], 1, lang)} Prozentpunkten "
                             f"Wahlbeteiligung und – sobald Daten für {m.loc['sgb2_rate', 'planned'] or '–'} vorliegen – ab "
                             f"{fmt_num(m.loc['sgb2_rate', 'mde_pp'], 1, lang)} Prozentpunkten SGB-II-Quote.",
                             f"<strong>Detectable</strong> would be effects from about "
                             f"{fmt_num(m.loc['turnout_buergerschaft', 'mde_pp'], 1, lang)} percentage points of turnout "
                             f"and - once data for {m.loc['sgb2_rate', 'planned'] or '-'} exist - "
                             f"{fmt_num(m.loc['sgb2_rate', 'mde_pp'], 1, lang)} "
                             f"points of the SGB II rate.", lang))
    return Html([bullets(items)])
