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


# labels of the staggered estimators and the dose-response (impact/staggered.py, impact/dose.py)
LABELS.update({
    "agg.simple": {"de": "Gesamteffekt (einfach)", "en": "overall (simple)"},
    "agg.dynamic": {"de": "nach Jahren seit Förderbeginn", "en": "by years since funding start"},
    "agg.group": {"de": "nach Startjahr (Kohorte)", "en": "by start year (cohort)"},
    "agg.calendar": {"de": "nach Kalenderjahr", "en": "by calendar year"},
    "cohort": {"de": "Startjahr der Förderung (Kohorte)", "en": "First funded year (cohort)"},
    "method.cs": {"de": "Callaway & Sant'Anna (gestaffelt)", "en": "Callaway & Sant'Anna (staggered)"},
    "method.bacon": {"de": "Goodman-Bacon-Zerlegung der TWFE-Schätzung",
                     "en": "Goodman-Bacon decomposition of TWFE"},
    "bacon.treated_vs_never": {"de": "gefördert vs. nie gefördert", "en": "treated vs never treated"},
    "bacon.earlier_vs_later": {"de": "früher vs. später gefördert", "en": "earlier vs later treated"},
    "bacon.later_vs_earlier": {"de": "später vs. bereits gefördert (problematisch)",
                               "en": "later vs already treated (forbidden)"},
    "bacon.weight": {"de": "Gewicht", "en": "Weight"},
    "bacon.estimate": {"de": "2x2-Schätzwert", "en": "2x2 estimate"},
    "bacon.twfe": {"de": "TWFE-Schätzwert", "en": "TWFE estimate"},
    "dose.linear": {"de": "linear (TWFE-Steigung)", "en": "linear (TWFE slope)"},
    "dose.bins": {"de": "Dosisklassen vs. keine Förderung", "en": "dose bins vs no funding"},
    "dose.spline": {"de": "Spline", "en": "spline"},
    "dose.effect": {"de": "Wirkung", "en": "Effect"},
})

# --- scenario explorer (dashboard.py) --------------------------------------------------------
LABELS.update({
    "dash.title": {"de": "Szenario-Explorer: Landesprogramm „Lebendige Quartiere“",
                   "en": "Scenario explorer: state programme “Lebendige Quartiere”"},
    "dash.intro": {"de": "Regler verschieben: Geld je Stadt und Quartier und die projizierte Wirkung "
                         "werden sofort neu berechnet.",
                   "en": "Move the sliders: money per city and quartier and the projected effect are "
                         "recomputed at once."},
    "dash.sim_note": {"de": "Simulierte Daten: reale Geografie, simulierte Indikatoren. Die Zahlen zeigen, "
                            "wie das Werkzeug rechnet, nicht die echte Wirkung.",
                      "en": "Simulated data: real geography, simulated indicators. The numbers show how "
                            "the tool works, not the real effect."},
    "dash.sec_money": {"de": "Budget", "en": "Budget"},
    "dash.city_split": {"de": "Aufteilung zwischen den Städten: Anteil Bremen",
                        "en": "Split between the cities: Bremen's share"},
    "dash.split_readout": {"de": "Bremen {hb} · Bremerhaven {bhv}", "en": "Bremen {hb} · Bremerhaven {bhv}"},
    "dash.total": {"de": "Gesamtbudget (EUR pro Jahr)", "en": "Total budget (EUR per year)"},
    "dash.strands": {"de": "Förderschienen: Anteile am Stadtbudget (die übrigen passen sich an)",
                     "en": "Strands: shares of the city budget (the others adjust)"},
    "dash.sec_rule": {"de": "Verteilung auf die Quartiere", "en": "Allocation to quartiers"},
    "dash.rule": {"de": "Verteilregel", "en": "Allocation rule"},
    "dash.rule_note": {"de": "Gilt für alle Förderschienen mit Quartierszuordnung; stadtweite Töpfe ohne "
                             "Quartier bleiben unverändert.",
                       "en": "Applies to every strand attributed to quartiers; city-wide pots without a "
                             "quartier stay as they are."},
    "rule.fixed": {"de": "feste Beträge (wie real)", "en": "fixed amounts (as in reality)"},
    "rule.equal": {"de": "gleich je Quartier", "en": "equal per quartier"},
    "rule.population": {"de": "nach Einwohnern", "en": "by residents"},
    "rule.need": {"de": "nach Bedarf (Bedarfsindex)", "en": "by need (need index)"},
    "rule.hybrid": {"de": "Sockel + Bedarf", "en": "base + need"},
    "dash.base_share": {"de": "Sockelanteil (gleich je Quartier)", "en": "Base share (equal per quartier)"},
    "dash.need_weights": {"de": "Gewichte im Bedarfsindex", "en": "Need index weights"},
    "need.sgb2_rate": {"de": "SGB-II-Quote", "en": "SGB II rate"},
    "need.sgb2_rate_u15": {"de": "SGB-II-Quote Kinder", "en": "child SGB II rate"},
    "need.unemployment_rate": {"de": "Arbeitslosenquote", "en": "unemployment rate"},
    "need.turnout_buergerschaft": {"de": "niedrige Wahlbeteiligung", "en": "low turnout"},
    "dash.floor": {"de": "Mindestbetrag je Quartier und Förderschiene (EUR)",
                   "en": "Minimum per quartier and strand (EUR)"},
    "dash.cap": {"de": "Höchstbetrag je Quartier und Förderschiene (EUR; 0 = keiner)",
                 "en": "Maximum per quartier and strand (EUR; 0 = none)"},
    "dash.sec_effect": {"de": "Wirkung und Zeithorizont", "en": "Effect and horizon"},
    "dash.effect": {"de": "Wirkung je EUR pro Einwohner", "en": "Effect per EUR per resident"},
    "dash.effect_estimated": {"de": "geschätzt", "en": "estimated"},
    "dash.effect_assumed": {"de": "angenommen", "en": "assumed"},
    "dash.effect_source": {"de": "Schätzung: {label} auf den gebündelten Daten ({prov}), "
                                 "zwischengespeichert.",
                           "en": "Estimate: {label} on the bundled data ({prov}), cached."},
    "dash.effect_missing": {"de": "Keine zwischengespeicherte Schätzung gefunden (sie entsteht einmalig mit "
                                  "„llq app“). Bis dahin gilt die Annahme unten.",
                            "en": "No cached estimate found (it is computed once by “llq app”). Until "
                                  "then the assumption below is used."},
    "dash.assumed_value": {"de": "Annahme: Prozentpunkte je EUR pro Einwohner",
                           "en": "Assumption: percentage points per EUR per resident"},
    "dash.assumed_se": {"de": "Unsicherheit der Annahme (1 SE, in % des Werts)",
                        "en": "Uncertainty of the assumption (1 SE, % of the value)"},
    "dash.returns": {"de": "Form der Wirkung", "en": "Shape of the effect"},
    "returns.linear": {"de": "linear", "en": "linear"},
    "returns.log": {"de": "abnehmend (logarithmisch)", "en": "diminishing (log)"},
    "returns.saturation": {"de": "Sättigung", "en": "saturation"},
    "dash.lag": {"de": "Wirkung setzt ein nach (Jahren)", "en": "Effect starts after (years)"},
    "dash.horizon": {"de": "Betrachtungszeitraum (Jahre)", "en": "Horizon (years)"},
    "dash.reset": {"de": "Zurück zum Basisszenario", "en": "Reset to baseline"},
    "dash.download": {"de": "Szenario als YAML herunterladen", "en": "Download scenario as YAML"},
    "dash.no_changes": {"de": "Keine Änderungen gegenüber dem Basisszenario.",
                        "en": "No changes against the baseline."},
    "dash.lang": {"de": "Sprache", "en": "Language"},
    "dash.per_resident": {"de": "je Einwohner", "en": "per resident"},
    "dash.both": {"de": "Land Bremen (zusammen)", "en": "State of Bremen (both cities)"},
    "dash.vs_base": {"de": "gegenüber Basis", "en": "vs. baseline"},
    "dash.table_title": {"de": "Geld je Quartier (EUR pro Jahr)", "en": "Money per quartier (EUR per year)"},
    "dash.projection_title": {"de": "Projizierte Veränderung nach {h} Jahren (Mittelwert und 95-%-Intervall)",
                              "en": "Projected change after {h} years (mean and 95 % interval)"},
    "dash.col.strands": {"de": "Förderschienen", "en": "Strands"},
    "dash.col.need": {"de": "Bedarfsindex", "en": "Need index"},
    "dash.col.change": {"de": "Δ SGB-II-Quote (Pp.)", "en": "Δ SGB II rate (pp)"},
    "dash.col.outcome": {"de": "Zielgröße", "en": "Outcome"},
    "dash.col.pp": {"de": "Prozentpunkte", "en": "Percentage points"},
    "dash.col.persons": {"de": "Personen", "en": "persons"},
    "dash.unattributed": {"de": "stadtweit (ohne Quartier)", "en": "city-wide (no quartier)"},
    "dash.more_rows": {"de": "… und {n} weitere Quartiere mit 0 EUR", "en": "… and {n} more quartiers with 0 EUR"},
    "dash.notes": {"de": "Hinweise", "en": "Notes"},
    "dash.only_effect_unc": {"de": "Die Intervalle zeigen nur die Unsicherheit der Wirkung je Euro, nicht die "
                                   "des Modells oder der Daten.",
                             "en": "Intervals show only the uncertainty of the effect per euro, not that of "
                                   "the model or the data."},
    "dash.invalid": {"de": "Diese Einstellung ergibt keine gültige Verteilung – es werden keine Zahlen "
                           "angezeigt.",
                     "en": "These settings give no valid allocation – no numbers are shown."},
    "dash.err.floors": {"de": "Die Mindestbeträge passen nicht ins Budget der Förderschiene „{strand}“ "
                              "({city}). Bitte den Mindestbetrag senken oder den Anteil der Förderschiene "
                              "erhöhen.",
                        "en": "The minimum amounts do not fit into the budget of strand “{strand}” "
                              "({city}). Lower the minimum or raise the strand's share."},
    "dash.err.caps": {"de": "Die Höchstbeträge sind zu niedrig: Förderschiene „{strand}“ ({city}) kann ihr "
                            "Budget nicht verteilen. Bitte den Höchstbetrag erhöhen.",
                      "en": "The maximum amounts are too low: strand “{strand}” ({city}) cannot spend its "
                            "budget. Raise the maximum."},
    "dash.err.cap_floor": {"de": "Der Höchstbetrag liegt unter dem Mindestbetrag.",
                           "en": "The maximum is below the minimum."},
    "dash.err.weights": {"de": "Alle Gewichte des Bedarfsindex sind 0. Bitte mindestens einem Indikator ein "
                               "Gewicht geben.",
                         "en": "All need index weights are 0. Give at least one indicator a weight."},
    "dash.err.no_eligible": {"de": "Förderschiene „{strand}“ ({city}): kein Quartier erfüllt die Regel "
                                   "(z. B. keines mit überdurchschnittlichem Bedarf).",
                             "en": "Strand “{strand}” ({city}): no quartier qualifies under the rule "
                                   "(e.g. none with above-average need)."},
    "dash.err.generic": {"de": "Die Einstellungen passen nicht zusammen.",
                         "en": "The settings do not fit together."},
    "dash.err.detail": {"de": "Technische Details", "en": "Technical details"},
    "dash.summary": {
        "de": "Bremen erhält {hb} ({hb_pc} je Einwohner), Bremerhaven {bhv} ({bhv_pc} je Einwohner); "
              "nach {h} Jahren {verb} die SGB-II-Quote im Land Bremen projiziert um {pp} Prozentpunkte "
              "(95-%-Intervall {lo} bis {hi}), das sind etwa {persons} Personen {fewer}.",
        "en": "Bremen receives {hb} ({hb_pc} per resident), Bremerhaven {bhv} ({bhv_pc} per resident); "
              "after {h} years the SGB II rate in the state of Bremen is projected to {verb} by {pp} "
              "percentage points (95 % interval {lo} to {hi}), about {persons} persons {fewer}."},
    "dash.verb_down": {"de": "sinkt", "en": "fall"},
    "dash.verb_up": {"de": "steigt", "en": "rise"},
    "dash.fewer": {"de": "weniger im SGB-II-Bezug", "en": "fewer on SGB II"},
    "dash.more": {"de": "mehr im SGB-II-Bezug", "en": "more on SGB II"},
    "dash.assumption_mark": {"de": "Wirkung angenommen, nicht geschätzt.", "en": "Effect assumed, not estimated."},
    "dash.chart_title": {"de": "EUR je Einwohner: die {n} Quartiere mit dem meisten Geld",
                         "en": "EUR per resident: the {n} quartiers with the most money"},
    "dash.note.above": {"de": "{n} Quartier(e) erhalten mehr EUR je Einwohner als in den Daten beobachtet "
                              "(höchstens {max} EUR): {which}. Dort wird die Wirkung extrapoliert.",
                        "en": "{n} quartier(s) get more EUR per resident than observed in the data (at most "
                              "{max} EUR): {which}. The effect is extrapolated there."},
    "dash.note.below": {"de": "{n} Quartier(e) erhalten weniger als die kleinste beobachtete Förderung "
                              "({min} EUR je Einwohner); dort wird extrapoliert.",
                        "en": "{n} quartier(s) get less than the smallest observed funding ({min} EUR per "
                              "resident); extrapolated there."},
    "dash.note.lag": {"de": "Der Betrachtungszeitraum endet, bevor die Wirkung einsetzt: alle Veränderungen "
                            "sind 0.",
                      "en": "The horizon ends before the effect starts: all changes are 0."},
    "dash.note.unattributed": {"de": "{eur} sind keinem Quartier zugeordnet (stadtweite Töpfe) und gehen nicht "
                                     "in die Projektion ein.",
                               "en": "{eur} are not attributed to any quartier (city-wide pots) and are not "
                                     "projected."},
    "dash.note.no_need": {"de": "Quartiere ohne Bedarfsindex (fehlender Indikator oder keine Einwohner) "
                                "erhalten nach Bedarfsregeln nichts: {which}.",
                          "en": "Quartiers without a need index (missing indicator or no residents) get "
                                "nothing under need rules: {which}."},
})

# --- maps (outputs/maps.py) ------------------------------------------------------------------
LABELS.update({
    "map.no_data": {"de": "keine Angabe", "en": "no data"},
    "map.suppressed": {"de": "gesperrt (Geheimhaltung)", "en": "suppressed (confidentiality)"},
    "map.highlight": {"de": "hervorgehoben", "en": "highlighted"},
    "map.bremen": {"de": "Stadt Bremen", "en": "City of Bremen"},
    "map.bremerhaven": {"de": "Bremerhaven", "en": "Bremerhaven"},
    "map.enclave": {"de": "mit stadtbremischem Überseehafengebiet",
                    "en": "with the city of Bremen's overseas port area"},
    "map.source": {"de": "Quelle", "en": "Source"},
    "map.geodata": {"de": "Geodaten: © GeoBasis-DE / Landesamt GeoInformation Bremen (vereinfacht)",
                    "en": "Geodata: © GeoBasis-DE / Landesamt GeoInformation Bremen (simplified)"},
    "map.not_drawn": {"de": "Ohne Fläche in den Grenzdateien, nicht dargestellt: {ids}",
                      "en": "No polygon in the boundary files, not drawn: {ids}"},
})

# --- power / minimum detectable effect and small-area shrinkage (impact/power.py, impact/shrinkage.py)
LABELS.update({
    "method.power_simulation": {"de": "Mindestens erkennbarer Effekt (Placebo-Simulation)",
                                "en": "Minimum detectable effect (placebo simulation)"},
    "method.power_analytic": {"de": "Mindestens erkennbarer Effekt (Formel, AR(1)-Fehler)",
                              "en": "Minimum detectable effect (formula, AR(1) errors)"},
    "power.unit_pp": {"de": "Prozentpunkten", "en": "percentage points"},
    "power.unit_pp_nom": {"de": "Prozentpunkte", "en": "percentage points"},
    "power.headline": {"de": "Mit diesen Daten wäre ein Effekt ab {mde} {units} mit {power} % Wahrscheinlichkeit "
                             "erkennbar (zweiseitiger Test, Niveau {alpha} %); kleinere Effekte sind nicht "
                             "ausgeschlossen, sie wären nur meist nicht vom Zufall zu unterscheiden.",
                       "en": "With these data an effect of {mde} {units} or more would be detected with {power} % "
                             "probability (two-sided test at {alpha} %); smaller effects are not ruled out, they "
                             "would mostly be indistinguishable from chance."},
    "power.directions": {"de": "Anstieg: ab {up}, Rückgang: ab {down} {units}.",
                         "en": "Increase: from {up}, decrease: from {down} {units}."},
    "power.per_eur": {"de": "Je EUR pro Einwohner sind das {v} {units} (bei im Mittel {dose} EUR je Einwohner in "
                            "den geförderten Quartieren; lineare Wirkung angenommen).",
                      "en": "Per EUR per resident that is {v} {units} (at a mean of {dose} EUR per resident in "
                            "the funded quartiers; linear effect assumed)."},
    "power.persons": {"de": "In Personen: etwa {n} Personen in den geförderten Quartieren (Bezugsgröße zusammen "
                            "{base}).",
                      "en": "In persons: about {n} persons in the funded quartiers (base together {base})."},
    "power.design": {"de": "Design: {funded} geförderte von {units} Quartieren; Zeitpunkte: {years}.",
                     "en": "Design: {funded} funded of {units} quartiers; periods: {years}."},
    "power.sim": {"de": "Berechnet aus {n} Placebo-Designs im Vorzeitraum ({window}): das tatsächliche "
                        "Förder-Zeitmuster, zufälligen Quartieren zugewiesen. Ohne Effekt lehnen {size} % ab "
                        "(Soll {alpha} %; Monte-Carlo-SE {mc} Prozentpunkte); Monte-Carlo-Intervall der Schwelle {lo} bis {hi}.",
                  "en": "From {n} placebo designs in the pre-period ({window}): the actual funding timing "
                        "assigned to random quartiers. Without an effect {size} % reject (target {alpha} %; "
                        "Monte Carlo SE {mc} percentage points); Monte Carlo interval of the threshold {lo} to {hi}."},
    "power.sim_vs_analytic": {"de": "Formel (AR(1)-Fehler): {placebo} für dieses Placebo-Fenster, {actual} für "
                                    "den tatsächlichen Zeitraum mit allen Vorjahren; die Simulation mit diesem "
                                    "Verhältnis auf den tatsächlichen Zeitraum umgerechnet: {adj}.",
                              "en": "Formula (AR(1) errors): {placebo} for this placebo window, {actual} for the "
                                    "actual period with all pre-years; the simulation carried over to the actual "
                                    "period by that ratio: {adj}."},
    "power.analytic": {"de": "Formel: (t-Quantil des Tests + t-Quantil der Power) × SE; SE {se} aus "
                             "AR(1)-Fehlern (rho = {rho} je Zeiteinheit), geschätzt im Vorzeitraum.",
                       "en": "Formula: (t quantile of the test + t quantile of the power) x SE; SE {se} from "
                             "AR(1) errors (rho = {rho} per time unit) estimated in the pre-period."},
    "power.unobserved": {"de": "{n} Zeilen ohne Wert der Zielgröße nicht verwendet (z. B. Jahre ohne Wahl oder "
                               "noch nicht veröffentlicht; siehe .dropped).",
                         "en": "{n} rows without an outcome value not used (e.g. years without an election or "
                               "not yet published; see .dropped)."},
    "power.note_planned": {"de": "Vorausschauend: die Zeitpunkte {years} haben noch keine Werte und sind als "
                                 "beobachtet angenommen (alle Quartiere).",
                           "en": "Prospective: the periods {years} have no values yet and are assumed observed "
                                 "(all quartiers)."},
    "power.note_base_latest": {"de": "{n} geförderte(s) Quartier(e) ohne Bezugsgröße in den Förderjahren: der "
                                     "letzte vorhandene Wert wurde verwendet.",
                               "en": "{n} funded quartier(s) without a base in the funded years: the latest "
                                     "value was used."},
    "power.note_base_missing": {"de": "{n} geförderte(s) Quartier(e) ganz ohne Bezugsgröße ({ids}): die Zahl der "
                                      "Personen ist ohne sie gerechnet (Untergrenze).",
                                "en": "{n} funded quartier(s) without any base ({ids}): the number of persons "
                                      "leaves them out (a lower bound)."},
    "power.note_late": {"de": "{n} geförderte(s) Quartier(e) beginnen nach dem letzten Zeitpunkt mit Werten und "
                              "zählen hier als Vergleich.",
                        "en": "{n} funded quartier(s) start after the last period with values and count as "
                              "comparison here."},
    "power.note_rho": {"de": "Die serielle Korrelation ist mit nur einem Zeitabstand im Vorzeitraum nicht "
                             "schätzbar: ungünstigster Wert rho = {rho} angenommen (eher zu vorsichtig).",
                       "en": "Serial correlation cannot be estimated from a single time lag in the pre-period: "
                             "least favourable rho = {rho} assumed (rather conservative)."},
    "power.note_capped": {"de": "Der Vorzeitraum hat nur {m} Zeitpunkte: Placebo-Designs mit weniger "
                                "Nach-Zeitpunkten als das tatsächliche Design.",
                          "en": "The pre-period has only {m} periods: placebo designs have fewer post periods "
                                "than the actual design."},
    "power.note_no_pre": {"de": "{n} geförderte(s) Quartier(e) ohne Werte im Vorzeitraum fehlen in den "
                                "Placebo-Designs.",
                          "en": "{n} funded quartier(s) without pre-period values are missing from the "
                                "placebo designs."},
    "power.note_degenerate": {"de": "{n} Placebo-Designs ohne Variation der Förderung verworfen.",
                              "en": "{n} placebo designs without variation in funding discarded."},
    "power.note_size": {"de": "Ohne Effekt lehnen {size} % der Placebo-Designs ab (Soll {alpha} %): Vortrends "
                              "oder zu kleine Standardfehler; die Schwelle ist dann zu optimistisch.",
                        "en": "Without an effect {size} % of placebo designs reject (target {alpha} %): "
                              "pre-trends or too small SEs; the threshold is then too optimistic."},
    "power.curve_x": {"de": "angenommener Effekt", "en": "assumed effect"},
    "power.curve_y": {"de": "Wahrscheinlichkeit, ihn zu erkennen", "en": "probability of detecting it"},
    "power.mde": {"de": "Mindestens erkennbarer Effekt", "en": "minimum detectable effect"},
    "method.shrink_beta_binomial": {"de": "Empirischer Bayes (Beta-Binomial-Modell)",
                                    "en": "Empirical Bayes (beta-binomial model)"},
    "method.shrink_fay_herriot": {"de": "Empirischer Bayes (Fay-Herriot-Modell)",
                                  "en": "Empirical Bayes (Fay-Herriot model)"},
    "shrink.headline": {"de": "Die Raten von {n} Gebieten wurden mit {model} (empirischer Bayes) zum Mittel "
                              "{target} hin geschätzt: je kleiner die Bezugsgröße, desto stärker, weil kleine "
                              "Gebiete stärker zufällig schwanken.",
                        "en": "The rates of {n} areas were estimated with {model} (empirical Bayes) toward the "
                              "mean {target}: the smaller the base, the more, because small areas fluctuate "
                              "more by chance."},
    "shrink.model_beta_binomial": {"de": "einem Beta-Binomial-Modell", "en": "a beta-binomial model"},
    "shrink.model_fay_herriot": {"de": "einem Fay-Herriot-Modell", "en": "a Fay-Herriot model"},
    "shrink.target_group": {"de": "ihrer Gruppe ({group})", "en": "of their group ({group})"},
    "shrink.target_city": {"de": "aller Gebiete", "en": "of all areas"},
    "shrink.change": {"de": "Änderung in Prozentpunkten: Median {med}, höchstens {max} (Bezugsgröße {base}); "
                            "unter 1.000 Personen im Mittel {small}, ab 10.000 höchstens {large}.",
                      "en": "Change in percentage points: median {med}, at most {max} (base {base}); below "
                            "1,000 persons {small} on average, from 10,000 at most {large}."},
    "shrink.tau": {"de": "Geschätzte Streuung der wahren Raten zwischen Gebieten: SD {tau} Prozentpunkte.",
                   "en": "Estimated spread of the true rates between areas: SD {tau} percentage points."},
    "shrink.note_missing": {"de": "{n} Zeile(n) ohne Rate oder Bezugsgröße: nicht geschätzt, Ergebnis leer "
                                  "(siehe .dropped).",
                            "en": "{n} row(s) without rate or base: not estimated, result empty (see .dropped)."},
    "shrink.note_single": {"de": "{n} Gruppe(n) mit nur einem Gebiet ({groups}): zum Mittel aller Gebiete hin "
                                 "geschätzt.",
                           "en": "{n} group(s) with a single area ({groups}): estimated toward the mean of all "
                                 "areas."},
    "shrink.note_no_var": {"de": "Keine Streuung der wahren Raten über den Zufall hinaus geschätzt: die Gebiete "
                                 "erhalten ihr Gruppenmittel.",
                           "en": "No spread of the true rates beyond chance estimated: areas get their group "
                                 "mean."},
    "shrink.note_adjusted": {"de": "Die Momentenschätzung ergab keine Streuung zwischen den Gebieten; statt alle "
                                   "Gebiete auf das Gruppenmittel zu setzen, wurde die angepasste Likelihood "
                                   "(Li & Lahiri 2010) verwendet.",
                             "en": "The moment estimate found no spread between areas; instead of setting every "
                                   "area to its group mean the adjusted likelihood (Li & Lahiri 2010) was used."},
    "shrink.note_few": {"de": "{n} Gebiet(e) in einer Schätzzelle mit weniger als 3 Gebieten: unverändert.",
                        "en": "{n} area(s) in an estimation cell with fewer than 3 areas: unchanged."},
    "shrink.note_raw": {"de": "{n} Zeile(n) mit Rate, aber ohne Bezugsgröße: Rohwert beibehalten (siehe .dropped).",
                        "en": "{n} row(s) with a rate but no base: raw rate kept (see .dropped)."},
    "shrink.need_note": {"de": "Bedarfsindex aus geglätteten Raten: Quartiere mit wenigen Einwohnern wurden zum "
                               "Mittel {target} hin geschätzt (empirischer Bayes, {model}), damit Zufallsschwankungen "
                               "sie nicht an die Spitze bringen.",
                         "en": "Need index from smoothed rates: quartiers with few residents were estimated toward "
                               "the mean {target} (empirical Bayes, {model}), so that chance fluctuations do not put "
                               "them at the top."},
    "shrink.raw": {"de": "Rohwert", "en": "raw rate"},
    "shrink.shrunk": {"de": "geschätzt (geschrumpft)", "en": "shrunk estimate"},
})

# panel preconditions of the impact estimators (impact/_prep.py check_panel)
LABELS.update({
    "warn.constant_outcome": {
        "de": "{what}: die Zielgröße {outcome!r} ist in allen Zeilen gleich ({value}); Schätzwert und "
              "Standardfehler (0) sagen dann nichts aus - bitte die Spalte prüfen",
        "en": "{what}: the outcome {outcome!r} is the same in every row ({value}); the estimate and its "
              "standard error (0) carry no information - check the column"},
    "warn.outcome_no_within": {
        "de": "{what}: die Zielgröße {outcome!r} ändert sich in keiner Einheit ({unit}) über die Zeit; die "
              "Einheiten-Effekte nehmen sie ganz auf, Schätzwert und Standardfehler (0) sagen nichts aus",
        "en": "{what}: the outcome {outcome!r} never changes over time within a unit ({unit}); the unit "
              "effects absorb it, so the estimate and its standard error (0) carry no information"},
})

# spillovers to neighbours (impact/spillover.py)
LABELS.update({
    "method.spillover": {"de": "DiD mit Übertragung auf Nachbarn (TWFE)", "en": "DiD with spillovers to neighbours (TWFE)"},
    "spill.term_direct": {"de": "direkte Wirkung", "en": "direct effect"},
    "spill.term_spillover": {"de": "Übertragung auf ungeförderte Nachbarn", "en": "spillover on untreated neighbours"},
    "spill.term_spillover_treated": {"de": "Übertragung unter Geförderten", "en": "spillover among treated"},
    "spill.exposure_share": {"de": "Anteil geförderter Nachbarn (0 bis 1)", "en": "share of treated neighbours (0 to 1)"},
    "spill.exposure_count": {"de": "Zahl geförderter Nachbarn", "en": "number of treated neighbours"},
    "spill.direct": {"de": "Direkte Wirkung der Förderung: {est} (95-%-KI [{lo}, {hi}]; p = {p})",
                     "en": "Direct effect of funding: {est} (95 % CI [{lo}, {hi}]; p = {p})"},
    "spill.spillover": {"de": "Übertragung auf ungeförderte Nachbarn je Einheit der Exposition ({exposure}): {est} "
                              "(95-%-KI [{lo}, {hi}]; p = {p})",
                        "en": "Spillover on untreated neighbours per unit of exposure ({exposure}): {est} "
                              "(95 % CI [{lo}, {hi}]; p = {p})"},
    "spill.spillover_treated": {"de": "Übertragung unter geförderten Einheiten: {est} (95-%-KI [{lo}, {hi}])",
                                "en": "Spillover among treated units: {est} (95 % CI [{lo}, {hi}])"},
    "spill.exposed": {"de": "{n} ungeförderte Einheit(en) haben geförderte Nachbarn; {pure} reine Vergleichseinheit(en) "
                            "(weder gefördert noch benachbart)",
                      "en": "{n} untreated unit(s) have treated neighbours; {pure} pure control unit(s) "
                            "(neither treated nor next to a treated unit)"},
    "spill.note": {"de": "Getrennt wird: die Wirkung in geförderten Einheiten (gegenüber reinen Vergleichseinheiten) "
                         "und die Wirkung auf ungeförderte Nachbarn. Nicht getrennt: Übertragungen über die "
                         "angegebenen Nachbarn hinaus oder nicht linear im Anteil, zeitlich wachsende Wirkungen bei "
                         "gestaffeltem Start (TWFE-Verzerrung) und Effekte anderer Programme im selben Zeitraum.",
                   "en": "Separated: the effect in funded units (against pure controls) and the effect on untreated "
                         "neighbours. Not separated: spillovers beyond the listed neighbours or not linear in the "
                         "share, effects growing over time under staggered starts (TWFE bias) and effects of other "
                         "programmes at the same time."},
})

# overlapping programmes (co-treatments, restricted comparison groups; impact/_cotreat.py)
LABELS.update({
    "cotreat.note": {
        "de": "Andere Programme ({cols}) gehen als Ko-Behandlung in die Regression ein: die Wirkung ist um "
              "deren linearen Einfluss je EUR und Einwohner bereinigt ({overlap} % der geförderten "
              "Beobachtungen erhalten auch diese Mittel). Nicht getrennt: Wechselwirkungen (die Förderung wirkt "
              "anders, wo auch das andere Programm fördert), nichtlineare oder verzögerte Wirkungen des anderen "
              "Programms, und Jahre ohne Werte der Ko-Behandlung ({lost} von {total} Zeilen deshalb ausgelassen).",
        "en": "Other programmes ({cols}) enter the regression as co-treatments: the effect is net of their linear "
              "effect per EUR per resident ({overlap} % of the funded observations also receive this funding). "
              "Not separated: interactions (funding works differently where the other programme also funds), "
              "non-linear or lagged effects of the other programme, and years without values of the "
              "co-treatment ({lost} of {total} rows left out for that reason)."},
    "cotreat.mask": {
        "de": "Vergleichsgruppe eingeschränkt auf Einheiten mit {col} = wahr ({kept} ungeförderte Einheiten "
              "verwendet, {out} ausgelassen; {tr_out} geförderte Einheit(en) außerhalb). Getrennt wird damit, was "
              "geförderte und Vergleichseinheiten mit {col} gemeinsam haben (z. B. die Lage in einem WiN-Gebiet "
              "und dessen gemeinsame Trends). Nicht getrennt: Unterschiede in Höhe oder Zeitpunkt des anderen "
              "Programms zwischen geförderten und Vergleichseinheiten (z. B. ein WiN-Aufwuchs, der geförderte "
              "Gebiete stärker erreicht).",
        "en": "Comparison group restricted to units with {col} = true ({kept} untreated units used, {out} left "
              "out; {tr_out} treated unit(s) outside). This separates what treated and comparison units with {col} "
              "share (e.g. being a WiN area and its common trends). Not separated: differences in the amount or "
              "timing of the other programme between treated and comparison units (e.g. a WiN increase that "
              "reaches the funded areas more)."},
})
