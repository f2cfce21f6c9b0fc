"""The panel precondition check shared by every estimator (issue 14; llq_analysis.impact._prep.check_panel).

Table-driven: each malformed input x estimator must raise a DataValidationError whose message names
the column, the unit (and time) concerned and what was expected; a constant outcome gives a
ConstantOutcomeWarning that is German in German summaries. The panel is simulated here (seeded),
its ids are generated, never real quartier ids.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import llq_analysis as llq
from llq_analysis.errors import DataValidationError
from llq_analysis.impact._prep import ConstantOutcomeWarning, Message, check_panel

YEARS = list(range(2010, 2022))
COHORTS = [2015] * 6 + [2017] * 6 + [0] * 12  # 24 units: two funded cohorts, 12 never funded


def _panel(seed: int = 3) -> pd.DataFrame:
    """Simulated panel (marked simulated): unit/time effects, effect -1 from the first funded year."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, g in enumerate(COHORTS):
        a = rng.normal(10, 2)
        for t in YEARS:
            on = g > 0 and t >= g
            rows.append({"unit_id": f"u{i:02d}", "city": "A" if i % 2 else "B", "year": t,
                         "y": a + 0.2 * (t - 2010) - 1.0 * on + rng.normal(0, 0.5),
                         "llq_first_year": g, "llq_funded": g > 0,
                         "llq_eur_per_capita": 12.5 if on else 0.0, "d": int(on),
                         "y_provenance": "simulated"})
    return pd.DataFrame(rows)


KW = {"outcome": "y", "unit": "unit_id", "time": "year"}
ESTIMATORS = {
    "twfe": lambda df: llq.twfe(df, **KW, treatment="d"),
    "event_study": lambda df: llq.event_study(df, **KW, cohort="llq_first_year"),
    "event_study_treatment": lambda df: llq.event_study(df, **KW, cohort="llq_first_year", treatment="d"),
    "staggered_did": lambda df: llq.staggered_did(df, **KW, cohort="llq_first_year"),
    "sun_abraham": lambda df: llq.sun_abraham(df, **KW, cohort="llq_first_year"),
    "imputation_did": lambda df: llq.imputation_did(df, **KW, cohort="llq_first_year"),
    "bacon": lambda df: llq.bacon_decomposition(df, **KW, treatment="d"),
    "dose_response": lambda df: llq.dose_response(df, **KW, dose="llq_eur_per_capita"),
    "synthetic_control": lambda df: llq.synthetic_control(df, **KW, treated_unit="u00", treatment_time=2015,
                                                          placebo=False),
    "synthetic_did": lambda df: llq.synthetic_did(df, **KW, treatment="d", replications=20),
    "wild_cluster_bootstrap": lambda df: llq.wild_cluster_bootstrap(df, **KW, treatment="d", reps=99),
    "randomization_inference": lambda df: llq.randomization_inference(df, **KW, cohort="llq_first_year",
                                                                      reps=20),
    "compare_before_after": lambda df: llq.compare_before_after(
        df, indicator="y", unit="unit_id", time="year", pre=(2011, 2013), post=(2018, 2020), comparison="all",
        interval="t", city="city"),
    "did": lambda df: llq.did(df.assign(g=df["llq_first_year"].gt(0).astype(int),
                                        p=df["year"].ge(2015).astype(int)), outcome="y", group="g", post="p"),
}


def _duplicate(df):
    return pd.concat([df, df.iloc[[14]]], ignore_index=True)  # u01, 2012 twice


def _cohort_changes(df):
    out = df.copy()
    out.loc[(out["unit_id"] == "u03") & (out["year"] == 2020), "llq_first_year"] = 2016
    return out


def _cohort_missing(df):
    out = df.copy()
    out["llq_first_year"] = out["llq_first_year"].astype("Float64")
    out.loc[out["unit_id"] == "u07", "llq_first_year"] = pd.NA
    return out


def _cohort_zero(df):
    out = df.copy()
    out.loc[out["unit_id"] == "u08", "llq_first_year"] = 0
    return out


# defect -> (builder, regex that names column, unit (and time) and what was expected, estimators)
CASES = {
    "duplicate unit-time row": (
        _duplicate, r"unit_id, year.*one row per unit_id and year.*'u01' has 2 rows for year 2012 \(rows \[14, 288\]\)",
        ["twfe", "event_study", "staggered_did", "sun_abraham", "imputation_did", "bacon", "dose_response",
         "synthetic_control", "synthetic_did", "wild_cluster_bootstrap", "randomization_inference",
         "compare_before_after"]),
    "cohort changes within unit": (
        _cohort_changes, r"row u03, column 'llq_first_year'.*one value per unit_id.*'u03' has llq_first_year "
        r"2015 and 2016",
        ["event_study", "staggered_did", "sun_abraham", "imputation_did", "randomization_inference",
         "compare_before_after"]),
    "funded unit with missing first year": (
        _cohort_missing, r"row u07, column 'llq_first_year'.*first funded year for unit_id 'u07'.*"
        r"'llq_funded' = True.*'llq_eur_per_capita' = 12.5 in year 2017.*is missing.*never-treated control",
        ["event_study", "staggered_did", "sun_abraham", "imputation_did", "randomization_inference",
         "compare_before_after"]),
    "funded unit with first year 0": (
        _cohort_zero, r"row u08, column 'llq_first_year'.*first funded year for unit_id 'u08'.*"
        r"is 0 \(never funded\)",
        ["event_study", "event_study_treatment", "staggered_did", "sun_abraham", "imputation_did",
         "randomization_inference"]),
}
TABLE = [(defect, est) for defect, (_, _, ests) in CASES.items() for est in ests]


@pytest.fixture(scope="module")
def base():
    return _panel()


@pytest.mark.parametrize(("defect", "estimator"), TABLE, ids=[f"{e}-{d}" for d, e in TABLE])
def test_malformed_panel_gives_a_clear_error(base, defect, estimator):
    build, pattern, _ = CASES[defect]
    bad = build(base)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataValidationError) as exc:
            ESTIMATORS[estimator](bad)
    assert re.search(pattern, str(exc.value), flags=re.S), str(exc.value)


def test_the_same_panel_without_the_defect_runs(base):
    """The table above cannot pass by accident: each estimator runs on the clean panel."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in ESTIMATORS.items():
            res = fn(base)
            assert np.isfinite(res.estimate), name


def test_missing_cohort_no_longer_turns_funded_units_into_controls(base):
    """Issue 14: blanking the first year of funded units silently changed the estimate; now an error
    lists every such unit (one problem per unit, not per column)."""
    bad = base.copy()
    bad["llq_first_year"] = bad["llq_first_year"].astype("Float64")
    gone = ["u00", "u01", "u06"]
    bad.loc[bad["unit_id"].isin(gone), "llq_first_year"] = pd.NA
    with pytest.raises(DataValidationError) as exc:
        llq.staggered_did(bad, **KW, cohort="llq_first_year")
    assert [p.row for p in exc.value.problems] == gone
    # units that are never funded by every column may keep a missing cohort (= never funded)
    ok = base.copy()
    ok["llq_first_year"] = ok["llq_first_year"].astype("Float64")
    ok.loc[ok["unit_id"] == "u20", "llq_first_year"] = pd.NA
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = llq.staggered_did(ok, **KW, cohort="llq_first_year")
        b = llq.staggered_did(base, **KW, cohort="llq_first_year")
    assert a.estimate == pytest.approx(b.estimate, abs=1e-12)


def test_explicit_treatment_column_is_funding_evidence_for_any_cohort_name(base):
    bad = base.rename(columns={"llq_first_year": "start"}).drop(columns=["llq_funded", "llq_eur_per_capita"])
    bad.loc[bad["unit_id"] == "u02", "start"] = 0
    with pytest.raises(DataValidationError, match=r"row u02, column 'start'.*'d' = 1 in year 2015.*is 0"):
        llq.staggered_did(bad, **KW, cohort="start", treatment="d")
    # without funding evidence a 0 cohort is a never-funded unit (the convention), no error
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        llq.staggered_did(bad.drop(columns=["d"]), **KW, cohort="start")


CONSTANT = ["twfe", "did", "event_study", "staggered_did", "bacon", "dose_response", "synthetic_control",
            "synthetic_did", "wild_cluster_bootstrap", "compare_before_after"]


@pytest.mark.parametrize("estimator", CONSTANT)
def test_constant_outcome_warns_in_german_and_english(base, estimator):
    flat = base.assign(y=4.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = ESTIMATORS[estimator](flat)
        except DataValidationError:  # some estimators cannot run at all on a flat outcome: still warned first
            res = None
    msgs = [str(w.message) for w in caught if issubclass(w.category, ConstantOutcomeWarning)]
    if estimator != "compare_before_after":  # before/after lists its warnings instead of emitting them
        assert any("'y' is the same in every row (4)" in m for m in msgs), msgs
    if res is not None:
        de, en = res.summary("de"), res.summary(lang="en")
        assert "die Zielgröße 'y' ist in allen Zeilen gleich (4)" in de
        assert "the outcome 'y' is the same in every row (4)" in en


def test_outcome_without_within_unit_variation_warns(base):
    flat = base.assign(y=base["unit_id"].str[1:].astype(float))
    with pytest.warns(ConstantOutcomeWarning, match="never changes over time within a unit"):
        res = llq.twfe(flat, **KW, treatment="d")
    assert res.se == pytest.approx(0.0, abs=1e-8)  # the silent SE 0 the warning is about
    assert "ändert sich in keiner Einheit" in res.summary("de")


def test_check_panel_direct_and_message_roundtrip(base):
    assert check_panel(base, unit="unit_id", time="year", outcome="y", cohort="llq_first_year") == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (msg,) = check_panel(base.assign(y=1), unit="unit_id", time="year", outcome="y", what="x")
    assert isinstance(msg, Message) and msg.text("de").startswith("x: die Zielgröße")
    import pickle

    again = pickle.loads(pickle.dumps(msg))
    assert again == msg and again.text("de") == msg.text("de")
    # rows with a missing unit/time are not duplicates (the missing-value handling reports them)
    holes = pd.concat([base, base.iloc[[0, 0]].assign(year=np.nan)], ignore_index=True)
    check_panel(holes, unit="unit_id", time="year")
    # 0 and missing both mean "never funded" and may mix within a unit
    mix = base.copy()
    mix["llq_first_year"] = mix["llq_first_year"].astype("Float64")
    mix.loc[(mix["unit_id"] == "u20") & (mix["year"] < 2014), "llq_first_year"] = pd.NA
    check_panel(mix, unit="unit_id", time="year", cohort="llq_first_year")
    # the input is not modified
    before = base.copy()
    check_panel(base, unit="unit_id", time="year", outcome="y", cohort="llq_first_year", funded=["d"])
    pd.testing.assert_frame_equal(base, before)
