"""Labels of the estimators, power, shrinkage, maps, preconditions, spillovers, co-treatments."""

LABELS: dict[str, dict[str, str]] = {}  # merged into llq_analysis.i18n.LABELS

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
