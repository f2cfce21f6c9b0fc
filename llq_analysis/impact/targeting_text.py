"""Plain-language text (German default, English) of the targeting finding
(:func:`llq_analysis.impact.targeting.targeting_findings`). Nothing is estimated here."""

from __future__ import annotations

from ..i18n import t
from .findings_base import Finding, fmt_num, tr


def text(f: Finding, lang: str) -> list[str]:
    n = f.numbers
    yrs = ", ".join(f"{t(c, lang).replace(' (%)', '')} {y}" for c, y in n["years"].items())
    out = [tr(f"Bedarfsindex aus den letzten veröffentlichten Werten vor {n['before']} ({yrs}); Mittel der "
              f"z-Werte, höher = mehr Bedarf. Nur Stadt Bremen: diese Werte gibt es je Ortsteil nur für Bremen "
              f"({n['n_indexed']} von {n['n_city']} Ortsteilen mit allen Werten).",
              f"Need index from the latest published values before {n['before']} ({yrs}); mean of z-scores, "
              f"higher = more need. City of Bremen only: these values exist by Ortsteil for Bremen only "
              f"({n['n_indexed']} of {n['n_city']} Ortsteile with every value).", lang)]
    if n["shrink"]:
        out.append(tr("Quoten kleiner Ortsteile sind zum Stadtmittel hin geglättet (Empirical Bayes); die "
                      "Bezugsgrößen sind aus veröffentlichten Einwohnerzahlen und Altersanteilen abgeleitet "
                      "(Kinder unter 15 und Erwerbspersonen genähert).",
                      "Rates of small Ortsteile are shrunk toward the city mean (empirical Bayes); the bases are "
                      "derived from published residents and age shares (children under 15 and labour force "
                      "approximated).", lang))
    out.append(tr(f"Geförderte Ortsteile: mittlerer Index {fmt_num(n['mean_funded'], 2, lang, True)}, nicht "
                  f"geförderte {fmt_num(n['mean_unfunded'], 2, lang, True)}. Von den {n['n_fifth']} bedürftigsten "
                  f"Ortsteilen (oberstes Fünftel) sind {n['n_fifth_funded']} LLQ-gefördert.",
                  f"Funded Ortsteile: mean index {fmt_num(n['mean_funded'], 2, lang, True)}, unfunded "
                  f"{fmt_num(n['mean_unfunded'], 2, lang, True)}. Of the {n['n_fifth']} neediest Ortsteile (top "
                  f"fifth), {n['n_fifth_funded']} are LLQ-funded.", lang))
    sh = f.tables["shares"]
    if len(sh):
        y = int(sh["year"].max())
        out.append(tr(f"Anteil der LLQ-Mittel Bremens, der in das bedürftigste Fünftel fließt: "
                      f"{fmt_num(n['share_2024'], 0, lang)} % ({y}), {fmt_num(n['share_mean'], 0, lang)} % über "
                      f"{int(sh['year'].min())}–{y}. Ein Teil der Beträge ist nicht je Ortsteil veröffentlicht "
                      f"(im Mittel {fmt_num(n['illustrative_pct'], 0, lang)} % illustrativ angesetzt) oder keinem "
                      f"Ortsteil zugeordnet (zählt nicht zum Fünftel).",
                      f"Share of Bremen's LLQ money reaching the neediest fifth: {fmt_num(n['share_2024'], 0, lang)} % "
                      f"({y}), {fmt_num(n['share_mean'], 0, lang)} % over {int(sh['year'].min())}-{y}. Part of the "
                      f"amounts is not published by Ortsteil ({fmt_num(n['illustrative_pct'], 0, lang)} % illustrative "
                      f"on average) or not attributed to an Ortsteil (not counted in the fifth).", lang))
    return out
