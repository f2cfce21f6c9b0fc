"""Labels of the scenario explorer (outputs/dashboard/)."""

LABELS: dict[str, dict[str, str]] = {}  # merged into llq_analysis.i18n.LABELS

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
