"""The report's impact estimates, computed once and cached on the context: all estimators on the
SGB II rate (dose response, wild bootstrap, TWFE, event study, Callaway & Sant'Anna, Sun & Abraham,
imputation, randomization inference, Goodman-Bacon, synthetic control of a flagship quartier)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .core import MAIN_OUTCOME, ReportContext, _optional, _reps

# ============================================================================= estimation
UNIT, TIME, COHORT, DOSE = "quartier_id", "year", "llq_first_year", "llq_eur_per_capita"
POST = "_llq_post"  # 1{year >= first funded year} (intent to treat: absorbing)
OUTCOMES_EXTRA = ("sgb2_rate_u15", "unemployment_rate", "turnout_buergerschaft", "turnout_bundestag")
ES_BINS = (-9, 3)  # event-study endpoints: earlier/later relative years are pooled (few quartiers)
SMOOTHNESS_GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5)  # HonestDiD M, pp per year^2 (readable values)
FLAGSHIP = "04012134"  # synthetic control: the Goethequartier (Lehe, Bremerhaven)

_METHOD = {
    "dose": ("Dosis-Wirkung (TWFE, EUR je Einwohner)", "Dose response (TWFE, EUR per resident)"),
    "wild": ("Dosis-Wirkung, Wild-Cluster-Bootstrap", "Dose response, wild cluster bootstrap"),
    "twfe": ("TWFE, gefördert ja/nein", "TWFE, funded yes/no"),
    "es": ("Ereignisstudie (Mittel nach Förderbeginn)", "Event study (mean after start)"),
    "cs": ("Callaway & Sant'Anna (gestaffelt)", "Callaway & Sant'Anna (staggered)"),
    "sa": ("Sun & Abraham", "Sun & Abraham"),
    "bjs": ("Imputation (Borusyak, Jaravel & Spiess)", "Imputation (Borusyak, Jaravel & Spiess)"),
    "ri": ("TWFE, Randomisierungsinferenz", "TWFE, randomization inference"),
    "sc": ("Synthetische Kontrolle", "Synthetic control"),
    "sdid": ("Synthetische DiD", "Synthetic DiD"),
}


def _m(key: str, lang: str) -> str:
    de, en = _METHOD[key]
    return de if lang == "de" else en


def impact_panel(ctx: ReportContext) -> pd.DataFrame:
    """The panel with the absorbing treatment indicator ``_llq_post`` (a copy; cached)."""
    def build():
        p = ctx.panel.copy()
        g = pd.to_numeric(p[COHORT]).fillna(0)
        p[POST] = ((g > 0) & (p[TIME] >= g)).astype(int)
        return p
    return ctx.cached("impact_panel", build)


def results(ctx: ReportContext) -> dict[str, Any]:
    """All impact estimates of the report (cached): main outcome ``sgb2_rate``.

    dose (TWFE slope per EUR per resident, CR1) with binned dose curve; wild cluster bootstrap of
    the slope; binary TWFE; event study (pooled endpoints ``ES_BINS``); Callaway & Sant'Anna
    (multiplier bootstrap); Sun & Abraham; imputation (BJS); randomization inference (adoption
    years permuted within cities); Goodman-Bacon decomposition; dose slopes of further outcomes.
    """
    from ....impact.bacon import bacon_decomposition
    from ....impact.did import event_study, twfe
    from ....impact.dose import dose_response
    from ....impact.event_time import imputation_did, sun_abraham
    from ....impact.inference import randomization_inference, wild_cluster_bootstrap
    from ....impact.staggered import staggered_did

    p = impact_panel(ctx)
    k = {"unit": UNIT, "time": TIME}
    y = MAIN_OUTCOME
    out: dict[str, Any] = {}
    out["dose"] = ctx.cached("r.dose", lambda: dose_response(p, outcome=y, dose=DOSE, bins=4, **k))
    out["wild"] = ctx.cached("r.wild", lambda: wild_cluster_bootstrap(
        p, outcome=y, treatment=DOSE, reps=_reps(ctx, 9999), seed=ctx.seed, **k))
    out["twfe"] = ctx.cached("r.twfe", lambda: twfe(p, outcome=y, treatment=POST, **k))
    out["es"] = ctx.cached("r.es", lambda: event_study(p, outcome=y, cohort=COHORT,
                                                       bin_endpoints=ES_BINS, **k))
    out["cs"] = ctx.cached("r.cs", lambda: staggered_did(p, outcome=y, cohort=COHORT,
                                                         bootstrap=_reps(ctx, 999), seed=ctx.seed, **k))
    out["sa"] = ctx.cached("r.sa", lambda: sun_abraham(p, outcome=y, cohort=COHORT, **k))
    out["bjs"] = ctx.cached("r.bjs", lambda: imputation_did(p, outcome=y, cohort=COHORT, **k))
    out["ri"] = ctx.cached("r.ri", lambda: randomization_inference(
        p, outcome=y, cohort=COHORT, strata="city", reps=_reps(ctx, 999), seed=ctx.seed, **k))
    out["bacon"] = ctx.cached("r.bacon", lambda: bacon_decomposition(p, outcome=y, treatment=POST, **k))
    for o in OUTCOMES_EXTRA:
        if o in p.columns and p[o].notna().sum() > 0:
            out[f"dose.{o}"] = ctx.cached(f"r.dose.{o}", lambda o=o: twfe(p, outcome=o, treatment=DOSE, **k))
    sc = _optional("impact.synth", "synthetic_control")
    if sc is not None and FLAGSHIP in set(p[UNIT]):
        def fit_sc():
            g = int(p.loc[p[UNIT] == FLAGSHIP, COHORT].iloc[0])
            donors = p[(p[COHORT].fillna(0) == 0) | (p[UNIT] == FLAGSHIP)]
            return sc(donors, outcome=y, unit=UNIT, time=TIME, treated_unit=FLAGSHIP,
                      treatment_time=g)
        out["sc"] = ctx.cached("r.sc", fit_sc)
    return out
