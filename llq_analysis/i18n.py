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
    # indicators
    "sgb2_rate": {"de": "SGB-II-Quote (%)", "en": "SGB II rate (%)"},
    "sgb2_rate_u15": {"de": "SGB-II-Quote Kinder unter 15 (%)", "en": "SGB II rate, children under 15 (%)"},
    "unemployment_rate": {"de": "Arbeitslosenquote (%)", "en": "Unemployment rate (%)"},
    "turnout_buergerschaft": {"de": "Wahlbeteiligung Bürgerschaftswahl (%)",
                              "en": "Turnout, Bürgerschaft election (%)"},
    "turnout_bundestag": {"de": "Wahlbeteiligung Bundestagswahl (%)", "en": "Turnout, Bundestag election (%)"},
    "population": {"de": "Einwohner", "en": "Residents"},
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
}


def t(key: str, lang: str = "de") -> str:
    """Label for ``key`` in ``lang`` ("de" default, "en"); unknown keys come back unchanged."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    entry = LABELS.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry["de"]
