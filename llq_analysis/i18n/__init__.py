"""German (default) and English labels for everything a user reads (tables, plots, summaries)."""

from __future__ import annotations

LANGS = ("de", "en")

LABELS: dict[str, dict[str, str]] = {
    # generic result labels
    "method": {"de": "Verfahren", "en": "Method"},
    "outcome": {"de": "Zielgröße", "en": "Outcome"},
    "estimate": {"de": "Schätzwert", "en": "Estimate"},
    "se": {"de": "SE", "en": "SE"},
    "ci": {"de": "Konfidenzintervall", "en": "confidence interval"},
    "n_obs": {"de": "Beobachtungen", "en": "Observations"},
    "n_clusters": {"de": "Cluster", "en": "Clusters"},
    "inference": {"de": "Inferenz", "en": "Inference"},
    "dropped_rows": {"de": "nicht verwendete Zeilen", "en": "rows not used"},
    "simulated_warning": {
        "de": "Achtung: Simulierte Daten – keine echten Quartierswerte.",
        "en": "Caution: simulated data - not real quartier values.",
    },
    "simulated_mark": {"de": "Simulierte Daten", "en": "Simulated data"},
    # methods
    "method.did_2x2": {"de": "Differenz-von-Differenzen (2x2)", "en": "Difference-in-differences (2x2)"},
    "method.twfe": {"de": "Zwei-Wege-Fixed-Effects-Regression", "en": "Two-way fixed effects regression"},
    "method.event_study": {"de": "Ereignisstudie", "en": "Event study"},
    "method.cs": {"de": "Callaway & Sant'Anna (gestaffelt)", "en": "Callaway & Sant'Anna (staggered)"},
    "method.sun_abraham": {"de": "Sun & Abraham", "en": "Sun & Abraham"},
    "method.imputation": {"de": "Imputationsschätzer (BJS)", "en": "Imputation estimator (BJS)"},
    "method.dose": {"de": "Dosis-Wirkung je EUR/Einwohner", "en": "Dose-response per EUR/resident"},
    "method.synth": {"de": "Synthetische Kontrolle", "en": "Synthetic control"},
    "method.sdid": {"de": "Synthetische DiD", "en": "Synthetic DiD"},
    "method.wild_bootstrap": {"de": "Wilder Cluster-Bootstrap (TWFE)", "en": "Wild cluster bootstrap (TWFE)"},
    "method.randomization_inference": {"de": "Randomisierungsinferenz (TWFE)",
                                       "en": "Randomization inference (TWFE)"},
    "pretrend_test": {"de": "Test auf parallele Vortrends (Wald)", "en": "Pre-trend test (Wald)"},
    # synthetic control and sensitivity (impact/synth.py, impact/sensitivity.py)
    "synth.treated": {"de": "gefördert (beobachtet)", "en": "treated (observed)"},
    "synth.synthetic": {"de": "synthetische Kontrolle", "en": "synthetic control"},
    "synth.gap": {"de": "Abstand gefördert - synthetisch", "en": "gap treated - synthetic"},
    "synth.gap_title": {"de": "Abstand und Placebo-Abstände (grau)", "en": "Gap and placebo gaps (grey)"},
    "honest.original": {"de": "Original", "en": "Original"},
    "honest.m": {"de": "M (Krümmung des Trendbruchs)", "en": "M (smoothness bound)"},
    "honest.mbar": {"de": "M̄ (relativ zum größten Vorperioden-Sprung)", "en": "Mbar (relative magnitude)"},
    "honest.robust_ci": {"de": "robustes 95 %-Konfidenzintervall", "en": "robust 95 % confidence interval"},
    "loo.full": {"de": "alle Quartiere", "en": "all quartiers"},
    "loo.title": {"de": "Schätzung ohne jeweils ein Quartier", "en": "Estimate leaving out one quartier"},
    # indicators
    "sgb2_rate": {"de": "SGB-II-Quote (%)", "en": "SGB II rate (%)"},
    "sgb2_rate_u15": {"de": "SGB-II-Quote Kinder unter 15 (%)", "en": "SGB II rate, children under 15 (%)"},
    "unemployment_rate": {"de": "Arbeitslosenquote (%)", "en": "Unemployment rate (%)"},
    "turnout_buergerschaft": {"de": "Wahlbeteiligung Bürgerschaftswahl (%)",
                              "en": "Turnout, Bürgerschaft election (%)"},
    "turnout_bundestag": {"de": "Wahlbeteiligung Bundestagswahl (%)", "en": "Turnout, Bundestag election (%)"},
    "population": {"de": "Einwohner", "en": "Residents"},
    "unemployment_rate_long_term": {"de": "Langzeitarbeitslosenquote (%)", "en": "Long-term unemployment rate (%)"},
    "income_per_taxpayer_keur": {"de": "Einkommen je Steuerpflichtigen (Tsd. EUR)",
                                 "en": "Income per taxpayer (1,000 EUR)"},
    "income_median_keur": {"de": "Mittleres Einkommen, Median (Tsd. EUR)", "en": "Median income (1,000 EUR)"},
    "abitur_rate": {"de": "Abiturquote (%)", "en": "Abitur rate (%)"},
    "basic_school_leaving_rate": {"de": "Abschluss höchstens Berufsbildungsreife (%)",
                                  "en": "Leaving school with at most the basic certificate (%)"},
    "migration_background_share": {"de": "Anteil mit Migrationshintergrund (%)",
                                   "en": "Share with a migration background (%)"},
    "foreign_share": {"de": "Anteil Ausländer/-innen (%)", "en": "Share of foreign nationals (%)"},
    "share_under_18": {"de": "Anteil unter 18 Jahren (%)", "en": "Share under 18 (%)"},
    "share_65_plus": {"de": "Anteil ab 65 Jahren (%)", "en": "Share aged 65+ (%)"},
    "population_below_retirement_age": {"de": "Einwohner unter der Regelaltersgrenze",
                                        "en": "Residents below retirement age"},
    "population_u15": {"de": "Kinder unter 15", "en": "Children under 15"},
    "electorate_buergerschaft": {"de": "Wahlberechtigte Bürgerschaftswahl", "en": "Electorate, Bürgerschaft"},
    "electorate_bundestag": {"de": "Wahlberechtigte Bundestagswahl", "en": "Electorate, Bundestag"},
    "llq_eur_per_capita": {"de": "LLQ-Mittel je Einwohner (EUR)", "en": "LLQ funding per resident (EUR)"},
    "win_eur_per_capita": {"de": "WiN-Mittel je Einwohner (EUR)", "en": "WiN funding per resident (EUR)"},
    "year": {"de": "Jahr", "en": "Year"},
    "city": {"de": "Stadt", "en": "City"},
    "quartier": {"de": "Quartier", "en": "Quartier"},
    "amount_eur": {"de": "Betrag (EUR)", "en": "Amount (EUR)"},
    "eur_per_capita": {"de": "EUR je Einwohner", "en": "EUR per resident"},
    "funded": {"de": "LLQ-gefördert", "en": "LLQ-funded"},
    "not_funded": {"de": "nicht gefördert", "en": "not funded"},
    "provenance": {"de": "Herkunft", "en": "Provenance"},
    "relative_period": {"de": "Jahre relativ zum Förderbeginn", "en": "Years relative to funding start"},
    # before / after comparison (before_after.py) and data overview (overview.py)
    "ba.funded": {"de": "gefördert", "en": "funded"},
    "ba.comparison": {"de": "Vergleich", "en": "comparison"},
    "ba.difference": {"de": "Differenz", "en": "difference"},
    "ba.before": {"de": "vorher", "en": "before"},
    "ba.after": {"de": "nachher", "en": "after"},
    "ba.change": {"de": "Veränderung", "en": "change"},
    "ba.comparison_matched": {"de": "ähnlich im Ausgangsniveau und Trend (Matching)",
                              "en": "similar in starting level and trend (matched)"},
    "ba.comparison_all": {"de": "alle nicht geförderten Quartiere", "en": "all unfunded quartiers"},
    "ba.interval_bootstrap": {"de": "Bootstrap über Quartiere", "en": "bootstrap over quartiers"},
    "ba.interval_t": {"de": "t-Verteilung (Welch bzw. gepaart)", "en": "t distribution (Welch or paired)"},
    "ba.warn_years": {"de": "Fenster {window}: nur die Jahre {used} haben Werte (ohne Werte: {gap}; "
                      "nichts interpoliert).",
                      "en": "{window} window: only the years {used} have values (none in {gap}; "
                      "nothing interpolated)."},
    "ba.warn_dropped": {"de": "{n} Quartier(e) ohne Wert in einem Fenster nicht verwendet: {ids} "
                        "(siehe .dropped).",
                        "en": "{n} quartier(s) without a value in a window not used: {ids} (see .dropped)."},
    "ba.warn_partial": {"de": "{n} Quartier(e) haben nicht in jedem Jahr eines Fensters einen Wert; "
                        "ihr Mittel nutzt die vorhandenen Jahre.",
                        "en": "{n} quartier(s) lack a value in some year of a window; their mean uses "
                        "the years present."},
    "ba.warn_late": {"de": "{n} geförderte(s) Quartier(e) beginnen erst nach {start}: {ids}; ihr "
                     "Nachher-Mittel enthält noch ungeförderte Jahre.",
                     "en": "{n} funded quartier(s) start after {start}: {ids}; their 'after' mean "
                     "includes unfunded years."},
    "ba.warn_early": {"de": "{n} geförderte(s) Quartier(e) wurden schon bis {end} gefördert: das "
                      "Vorher-Fenster ist nicht förderfrei.",
                      "en": "{n} funded quartier(s) were funded by {end}: the 'before' window is "
                      "not free of funding."},
    "ba.warn_level_only": {"de": "Zu wenige Jahre für einen Vorher-Trend ({years}): Matching nur "
                           "nach dem Ausgangsniveau.",
                           "en": "Too few years for a pre-period trend ({years}): matched on the "
                           "starting level only."},
    "ba.warn_cross_city": {"de": "{n} Vergleichsquartier(e) aus der anderen Stadt (zu wenige "
                           "Kandidaten in derselben Stadt).",
                           "en": "{n} comparison quartier(s) from the other city (too few "
                           "candidates in the same city)."},
    "ba.warn_balance": {"de": "Vergleichsgruppe im {feature} nicht ausgeglichen (standardisierte "
                        "Differenz {smd:+.2f}, Schwelle 0,25): es gibt zu wenige ungeförderte Quartiere "
                        "mit ähnlichem Ausgangsniveau; Ergebnis mit Vorsicht lesen.",
                        "en": "Comparison group not balanced in {feature} (standardised difference "
                        "{smd:+.2f}, threshold 0.25): too few unfunded quartiers start at a similar "
                        "level; read with care."},
    "ba.feature_level": {"de": "Ausgangsniveau", "en": "starting level"},
    "ba.feature_trend": {"de": "Vorher-Trend", "en": "pre-period trend"},
    "ba.trend_title": {"de": "Verlauf (Mittel über Quartiere)", "en": "Trend (mean over quartiers)"},
    "ba.dist_title": {"de": "Verteilung über Quartiere", "en": "Distribution over quartiers"},
    "ba.window_before": {"de": "Vorher-Fenster", "en": "before window"},
    "ba.window_after": {"de": "Nachher-Fenster", "en": "after window"},
    "ov.coverage": {"de": "Abdeckung: Quartiere mit Wert je Jahr", "en": "Coverage: quartiers with a value per year"},
    "ov.provenance": {"de": "Herkunft der Werte", "en": "Provenance of the values"},
    "ov.n_values": {"de": "Anzahl Werte", "en": "Number of values"},
    "ov.n_quartiers": {"de": "Anzahl Quartiere", "en": "Number of quartiers"},
    "ov.need": {"de": "Quartiere nach Bedarf", "en": "Quartiers by need"},
    "ov.tile_grid": {"de": "Quartiere nach Stadtteil", "en": "Quartiers by Stadtteil"},
    "ov.sources": {"de": "Veröffentlichte und simulierte Werte je Indikator (zwei getrennte Panels)",
                   "en": "Published and simulated values per indicator (two separate panels)"},
    "ov.map": {"de": "Karte", "en": "Map"},
    "ov.by_city": {"de": "nach Stadt", "en": "by city"},
    "ov.title": {"de": "Datenüberblick", "en": "Data overview"},
    "ov.indicator": {"de": "Indikator", "en": "Indicator"},
    "ov.stadtteil": {"de": "Stadtteil", "en": "Stadtteil"},
    "ov.rank": {"de": "Rang", "en": "Rank"},
    "ov.funded_frame": {"de": "schwarzer Rahmen = LLQ-gefördert", "en": "black frame = LLQ-funded"},
    "ov.no_value": {"de": "kein Wert", "en": "no value"},
}


def t(key: str, lang: str = "de") -> str:
    """Label for ``key`` in ``lang`` ("de" default, "en"); unknown keys come back unchanged."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    entry = LABELS.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry["de"]


def format_number(x, decimals: int = 0, lang: str = "de", sign: bool = False) -> str:
    """A number German style (1.234,5; minus sign −) or English style (1,234.5); "–" for missing;
    text (an official mark such as "x") passes through unchanged."""
    if isinstance(x, str):
        return x
    if x is None or type(x).__name__ in ("NAType", "NaTType"):  # pandas' missing markers
        return "–"
    v = float(x)
    if v != v:  # NaN
        return "–"
    s = f"{v:{'+' if sign else ''},.{decimals}f}"
    if lang == "de":
        s = s.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return s.replace("-", "\u2212")


# labels of the other parts live beside this module, one file per area of the package
from . import labels_dashboard, labels_methods  # noqa: E402

LABELS.update(labels_dashboard.LABELS)
LABELS.update(labels_methods.LABELS)
