"""Plain-language text (German default, English) of the participation, poverty and
detectability findings (:mod:`llq_analysis.impact.findings`); their figures are in
:mod:`llq_analysis.outputs.plots.findings`. Nothing is estimated here."""

from __future__ import annotations

from typing import Any

from ..i18n import t
from .findings_base import Finding, ci_words, fmt_ci, fmt_num, fmt_p, tr

#: who publishes the missing Ortsteil values and what to ask for
REQUEST = {
    "de": ("Ortsteilwerte nach {last} sind nicht veröffentlicht. Anzufordern sind je Ortsteil und Jahr "
           "(Stichtag 31.12., 2019–2024): Leistungsberechtigte nach SGB II (Bürgergeld) insgesamt und unter "
           "15 Jahren sowie Arbeitslose nach SGB II und SGB III – bei der Statistik der Bundesagentur für "
           "Arbeit (Sonderauswertung nach kleinräumigen Gebieten) oder beim Statistischen Landesamt Bremen "
           "(Ortsteilatlas / Anfrage), als CSV oder XLSX. Dann vervollständigen "
           "<code>llq build-panel --mapping MAPPING.yaml DATEIEN --out panel.csv</code> und "
           "<code>llq report --data panel.csv</code> dieses Kapitel."),
    "en": ("Ortsteil values after {last} are not published. Request per Ortsteil and year (31 Dec, 2019-2024): "
           "persons entitled to SGB II benefits (Bürgergeld), total and under 15, and the unemployed (SGB II "
           "and SGB III) - from the Statistik der Bundesagentur für Arbeit (special evaluation by small areas) "
           "or the Statistisches Landesamt Bremen (Ortsteilatlas / request), as CSV or XLSX. Then "
           "<code>llq build-panel --mapping MAPPING.yaml FILES --out panel.csv</code> and "
           "<code>llq report --data panel.csv</code> complete this chapter."),
}


def _years(ys) -> str:
    ys = list(ys)
    return ", ".join(map(str, ys[:-1])) + (" und " if len(ys) > 1 else "") + str(ys[-1]) if ys else "–"


def text(f: Finding, lang: str) -> list[str]:
    return {"participation": _participation, "poverty": _poverty, "detectable": _detectable}[f.kind](f, lang)


# ----------------------------------------------------------------------------- participation
def _participation(f: Finding, lang: str) -> list[str]:
    n, R = f.numbers, f.results
    pre, post = n["pre"], n["post"]
    yrs = _years(pre) if lang == "de" else _years(pre).replace(" und ", " and ")
    out = [tr(f"Wahlbeteiligung bei der Bürgerschaftswahl in {n['n_funded']} LLQ-geförderten und "
              f"{n['n_comparison']} nicht geförderten Ortsteilen der Stadt Bremen; Wahlen {yrs} vor, "
              f"{_years(post)} nach dem Programmstart {n['start']} (Ortsteile ungewichtet).",
              f"Bürgerschaft election turnout in {n['n_funded']} LLQ-funded and {n['n_comparison']} unfunded "
              f"Ortsteile of the city of Bremen; elections {yrs} before, {_years(post)} after the programme "
              f"start {n['start']} (Ortsteile unweighted).", lang),
           tr(f"Abstand geförderte minus Vergleichs-Ortsteile: vorher im Mittel {fmt_num(n['diff_pre'], 1, lang, True)} "
              f"Prozentpunkte ({pre[-1]}: {fmt_num(n['diff_last_pre'], 1, lang, True)}), nachher "
              f"{fmt_num(n['diff_post'], 1, lang, True)}.",
              f"Gap funded minus comparison Ortsteile: before {fmt_num(n['diff_pre'], 1, lang, True)} percentage "
              f"points on average ({pre[-1]}: {fmt_num(n['diff_last_pre'], 1, lang, True)}), after "
              f"{fmt_num(n['diff_post'], 1, lang, True)}.", lang),
           tr(f"Differenz-von-Differenzen (alle Wahlen, Ortsteil- und Wahljahr-Effekte): "
              f"{fmt_num(n['did'], 1, lang, True)} Prozentpunkte (95-%-Intervall {fmt_ci(n['ci'], 1, lang)}; "
              f"p {fmt_p(n['p'], lang)}; Wild-Cluster-Bootstrap: p {fmt_p(n['wild_p'], lang)}, Intervall "
              f"{fmt_ci(n['wild_ci'], 1, lang)}).",
              f"Difference-in-differences (all elections, Ortsteil and election fixed effects): "
              f"{fmt_num(n['did'], 1, lang, True)} percentage points (95 % interval {fmt_ci(n['ci'], 1, lang)}; "
              f"p {fmt_p(n['p'], lang)}; wild cluster bootstrap: p {fmt_p(n['wild_p'], lang)}, interval "
              f"{fmt_ci(n['wild_ci'], 1, lang)}).", lang)]
    if "matched" in n:
        out.append(tr(f"Vorher-nachher gegenüber ähnlichen nicht geförderten Ortsteilen (Matching auf Niveau und "
                      f"Trend vor dem Programm; beschreibend): {fmt_num(n['matched'], 1, lang, True)} Prozentpunkte "
                      f"({fmt_ci(n['matched_ci'], 1, lang)}) – {ci_words(n['matched_ci'], lang)}"
                      + ("; die Vergleichsgruppe ist im Ausgangsniveau nicht ausgeglichen (zu wenige ähnlich "
                         "niedrige Ortsteile)." if _unbalanced(n) else "."),
                      f"Before/after against similar unfunded Ortsteile (matched on pre-programme level and trend; "
                      f"descriptive): {fmt_num(n['matched'], 1, lang, True)} percentage points "
                      f"({fmt_ci(n['matched_ci'], 1, lang)}) - {ci_words(n['matched_ci'], lang)}"
                      + ("; the comparison group is not balanced in the starting level (too few similarly low "
                         "Ortsteile)." if _unbalanced(n) else "."), lang))
    ptp = n.get("pretrend_p")
    violated = ptp is not None and ptp < 0.05
    out.append(tr(f"Vortrend-Test (Ereignisstudie; Wahlen vor {pre[-1]} gegen {pre[-1]}): p {fmt_p(ptp, lang)}. "
                  + ("Die Beteiligung in den geförderten Ortsteilen sank schon vor dem Programm stärker als in "
                     "den übrigen. Die DiD-Zahl setzt gleiche Trends voraus und ist deshalb nicht als Wirkung "
                     "des Programms zu lesen." if violated else
                     "Vor dem Programm ist kein Trendunterschied nachweisbar."),
                  f"Pre-trend test (event study; elections before {pre[-1]} against {pre[-1]}): p = "
                  f"p {fmt_p(ptp, lang)}. "
                  + ("Turnout in the funded Ortsteile was already falling faster before the programme. The DiD "
                     "number assumes equal trends and must therefore not be read as an effect of the programme."
                     if violated else "No trend difference before the programme is detectable."), lang))
    out.append(tr(f"Ereignisstudie, {post[0]} gegen {pre[-1]}: {fmt_num(n['es_post'], 1, lang, True)} Prozentpunkte "
                  f"({fmt_ci(n['es_post_ci'], 1, lang)}).",
                  f"Event study, {post[0]} against {pre[-1]}: {fmt_num(n['es_post'], 1, lang, True)} percentage "
                  f"points ({fmt_ci(n['es_post_ci'], 1, lang)}).", lang))
    sd0 = n["honest_sd_ci0"]
    out.append(tr(f"Robustheit (HonestDiD, Rambachan & Roth 2023): läuft der frühere Trendunterschied linear weiter "
                  f"(M = 0), liegt der Effekt {post[0]} im Bereich {fmt_ci(sd0, 1, lang)} Prozentpunkte – "
                  f"{ci_words(sd0, lang)}.",
                  f"Robustness (HonestDiD, Rambachan & Roth 2023): if the earlier trend difference continues "
                  f"linearly (M = 0), the effect in {post[0]} lies between {fmt_ci(sd0, 1, lang)} percentage points "
                  f"- {ci_words(sd0, lang)}.", lang))
    if "win_cotreat" in R or "no_win" in R:
        bits = []
        if "win_cotreat" in R:
            r = R["win_cotreat"]
            bits.append(tr(f"mit WiN als zweitem Programm {fmt_num(r.estimate, 1, lang, True)} ({fmt_ci(r.ci, 1, lang)})",
                           f"with WiN as a second programme {fmt_num(r.estimate, 1, lang, True)} "
                           f"({fmt_ci(r.ci, 1, lang)})", lang))
        if "no_win" in R:
            r = R["no_win"]
            k = n["n_funded"] - n["n_win_funded"]
            bits.append(tr(f"nur Ortsteile ohne WiN ({k} gefördert) {fmt_num(r.estimate, 1, lang, True)} "
                           f"({fmt_ci(r.ci, 1, lang)})",
                           f"Ortsteile without WiN only ({k} funded) {fmt_num(r.estimate, 1, lang, True)} "
                           f"({fmt_ci(r.ci, 1, lang)})", lang))
        out.append(tr(f"WiN: {n['n_win_funded']} der {n['n_funded']} geförderten Ortsteile sind WiN-Gebiete; "
                      f"{'; '.join(bits)}. LLQ und WiN lassen sich mit diesen Daten kaum trennen.",
                      f"WiN: {n['n_win_funded']} of the {n['n_funded']} funded Ortsteile are WiN areas; "
                      f"{'; '.join(bits)}. LLQ and WiN can hardly be separated with these data.", lang))
    if "spill" in R:
        s = R["spill"]
        d, sp = s.term("direct"), s.term("spillover")
        out.append(tr(f"Nachbarschaft: direkter Effekt {fmt_num(d.estimate, 1, lang, True)} "
                      f"({fmt_ci((d.ci_low, d.ci_high), 1, lang)}), Übertragung auf nicht geförderte Nachbar-"
                      f"Ortsteile {fmt_num(sp.estimate, 1, lang, True)} ({fmt_ci((sp.ci_low, sp.ci_high), 1, lang)}; "
                      f"je Anteil geförderter Nachbarn) – mit demselben Vortrend-Vorbehalt.",
                      f"Neighbours: direct effect {fmt_num(d.estimate, 1, lang, True)} "
                      f"({fmt_ci((d.ci_low, d.ci_high), 1, lang)}), spillover to unfunded neighbouring Ortsteile "
                      f"{fmt_num(sp.estimate, 1, lang, True)} ({fmt_ci((sp.ci_low, sp.ci_high), 1, lang)}; per share "
                      f"of funded neighbours) - with the same pre-trend caveat.", lang))
    out.append(_mde_sentence(n["mde"], n.get("mde_persons"), lang, turnout=True))
    b = n.get("bremerhaven")
    if b:
        out.append(tr(f"Bremerhaven (nur {_years(b['elections'])} veröffentlicht, LLQ-Mittel dort projektbezogen): "
                      f"{b['n_funded']} geförderte, {b['n_comparison']} übrige Ortsteile; Veränderung des Abstands "
                      f"{fmt_num(b['did'], 1, lang, True)} Prozentpunkte ({fmt_ci(b['ci'], 1, lang)}) – "
                      f"{ci_words(b['ci'], lang)}; ein Vortrend lässt sich mit einer Vorwahl nicht prüfen.",
                      f"Bremerhaven (only {_years(b['elections']).replace(' und ', ' and ')} published, LLQ money "
                      f"there is project-based): {b['n_funded']} funded, {b['n_comparison']} other Ortsteile; change "
                      f"of the gap {fmt_num(b['did'], 1, lang, True)} percentage points ({fmt_ci(b['ci'], 1, lang)}) - "
                      f"{ci_words(b['ci'], lang)}; with one earlier election a pre-trend cannot be checked.", lang))
    if n.get("excluded"):
        out.append(tr(f"Nicht enthalten: {len(n['excluded'])} Ortsteil(e), erst nach der letzten Wahl gefördert "
                      f"oder ohne bekanntes Startjahr.",
                      f"Left out: {len(n['excluded'])} Ortsteil(e) funded only after the last election or with an "
                      f"unknown start year.", lang))
    return out


def _unbalanced(n: dict) -> bool:
    return any("nicht ausgeglichen" in w for w in n.get("matched_warnings", ()))


def _mde_sentence(mde: float, persons: Any, lang: str, *, turnout: bool) -> str:
    pers = ""
    if persons is not None and persons == persons:
        pers = tr(f"; das entspricht etwa {fmt_num(persons, 0, lang)} Personen in den geförderten Ortsteilen "
                  "(Näherung: Einwohner statt Wahlberechtigte, die je Ortsteil nicht veröffentlicht sind – die "
                  "Zahl ist daher zu hoch)" if turnout else "",
                  f"; about {fmt_num(persons, 0, lang)} persons in the funded Ortsteile (approximation: residents "
                  "instead of the electorate, which is not published by Ortsteil - so the number is too high)"
                  if turnout else "", lang)
    return tr(f"Mindestens erkennbarer Effekt (80 % Trefferwahrscheinlichkeit, Niveau 5 %): "
              f"{fmt_num(mde, 1, lang)} Prozentpunkte{pers}. Kleinere Wirkungen sind nicht ausgeschlossen, sie "
              f"wären nur nicht vom Zufall zu unterscheiden.",
              f"Minimum detectable effect (80 % power, level 5 %): {fmt_num(mde, 1, lang)} percentage points{pers}. "
              f"Smaller effects are not ruled out; they could just not be told apart from chance.", lang)


# ----------------------------------------------------------------------------- poverty
def _poverty(f: Finding, lang: str) -> list[str]:
    n = f.numbers
    tr_, sl, st = f.tables["trends"], f.tables["slopes"], f.tables["status"]
    out = [tr("Armutsindikatoren vor dem Programm (Stadt Bremen; Ortsteile ungewichtet), geförderte minus "
              "nicht geförderte Ortsteile:",
              "Poverty indicators before the programme (city of Bremen; Ortsteile unweighted), funded minus "
              "unfunded Ortsteile:", lang)]
    last_all = []
    for _, s in st.iterrows():
        c = s["outcome"]
        if not s["n_values"]:
            out.append(tr(f"{t(c, lang)}: keine veröffentlichten Werte.", f"{t(c, lang)}: no published values.", lang))
            continue
        g = tr_[tr_["outcome"] == c]
        r = sl[sl["outcome"] == c].iloc[0]
        a, b = g.iloc[0], g.iloc[-1]
        last_all.append(int(s["last_year"]))
        out.append(tr(f"{t(c, lang)}: Abstand {fmt_num(a['difference'], 1, lang, True)} Prozentpunkte ({int(a['year'])}) "
                      f"und {fmt_num(b['difference'], 1, lang, True)} ({int(b['year'])}); Trendunterschied "
                      f"{fmt_num(r['slope_diff'], 2, lang, True)} Prozentpunkte je Jahr ({fmt_ci((r['ci_low'], r['ci_high']), 2, lang)}"
                      f") – {ci_words((r['ci_low'], r['ci_high']), lang, more_de='steigend', less_de='sinkend')}.",
                      f"{t(c, lang)}: gap {fmt_num(a['difference'], 1, lang, True)} percentage points ({int(a['year'])}) "
                      f"and {fmt_num(b['difference'], 1, lang, True)} ({int(b['year'])}); trend difference "
                      f"{fmt_num(r['slope_diff'], 2, lang, True)} points per year ({fmt_ci((r['ci_low'], r['ci_high']), 2, lang)}"
                      f") - {ci_words((r['ci_low'], r['ci_high']), lang, more_en='rising', less_en='falling')}.", lang))
    if st["post_published"].any():
        out.append(tr(f"Für {', '.join(t(c, lang) for c in st.loc[st['post_published'], 'outcome'])} liegen Werte ab "
                      f"{n['start']} vor: die Wirkungsschätzung ist mit diesen Daten möglich.",
                      f"Values from {n['start']} on exist for "
                      f"{', '.join(t(c, lang) for c in st.loc[st['post_published'], 'outcome'])}: the impact can be "
                      f"estimated with these data.", lang))
    else:
        out.append(tr("Über eine Wirkung auf Armut lässt sich aus veröffentlichten Daten noch nichts sagen.",
                      "Nothing can be said yet from published data about an effect on poverty.", lang))
        out.append(REQUEST[lang].format(last=max(last_all) if last_all else "–")
                   .replace("<code>", "").replace("</code>", ""))
    return out


# ----------------------------------------------------------------------------- MDE
_BASE = {"residents": ("Einwohner als Näherung der Wahlberechtigten (zu hoch)",
                       "residents approximating the electorate (too high)"),
         "under65": ("Einwohner unter 65 (aus Einwohnern und Anteil ab 65)",
                     "residents under 65 (from residents and share 65+)"),
         "u15": ("Kinder unter 15 (genähert: Anteil unter 18 × 15/18)",
                 "children under 15 (approximated: share under 18 x 15/18)")}


def base_label(key: Any, lang: str) -> str:
    if key in _BASE:
        return _BASE[key][0 if lang == "de" else 1]
    return tr("nicht veröffentlicht", "not published", lang)


def _detectable(f: Finding, lang: str) -> list[str]:
    tab = f.tables["mde"]
    out = [tr("Welche Wirkung könnte die Evaluation überhaupt erkennen? (80 % Trefferwahrscheinlichkeit, "
              "zweiseitiger Test, Niveau 5 %)",
              "Which effect could the evaluation detect at all? (80 % power, two-sided test, level 5 %)", lang)]
    for _, r in tab.iterrows():
        pers = (tr(f", etwa {fmt_num(r['persons'], 0, lang)} Personen ({base_label(r['base'], lang)})",
                   f", about {fmt_num(r['persons'], 0, lang)} persons ({base_label(r['base'], lang)})", lang)
                if r["persons"] == r["persons"] else tr(" (in Personen nicht angebbar: Bezugsgröße nicht "
                                                        "veröffentlicht)", " (not in persons: base not published)",
                                                        lang))
        when = (tr("mit den veröffentlichten Wahlen", "with the published elections", lang) if r["design"] == "actual"
                else tr(f"sobald Werte für {r['planned']} vorliegen", f"once values for {r['planned']} exist", lang))
        out.append(f"{t(r['outcome'], lang).replace(' (%)', '')}: "
                   + tr(f"ab {fmt_num(r['mde_pp'], 1, lang)} Prozentpunkten {when}{pers}.",
                        f"from {fmt_num(r['mde_pp'], 1, lang)} percentage points {when}{pers}.", lang))
    out.append(tr("Kleinere Wirkungen sind damit nicht ausgeschlossen; sie wären nur nicht vom Zufall zu "
                  "unterscheiden. „Kein nachweisbarer Unterschied“ heißt deshalb: keine Wirkung dieser Größe.",
                  "Smaller effects are not ruled out; they could just not be told apart from chance. \"No detectable "
                  "difference\" therefore means: no effect of this size.", lang))
    return out
