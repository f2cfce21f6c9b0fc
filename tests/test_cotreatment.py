"""Overlapping programmes (issue 11, item 1): co-treatments in TWFE / event study, a restricted
comparison group (comparison_mask) for the staggered and before/after designs, and the German
notes in the summaries. Simulated panels (marked simulated) with a known LLQ effect and a known
effect of a second programme (WiN) that rises in 2020 and reaches some units more than others.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import llq_analysis as llq
from llq_analysis.errors import DataValidationError
from llq_analysis.impact._cotreat import UnsupportedDesignError

TAU = -1.0  # LLQ effect (pp) from the first funded year
BETA_WIN = -0.06  # WiN effect per EUR per resident (pp)


def win_panel(seed: int, *, n: int = 100, n_win: int = 40, n_llq: int = 20, unequal_win: bool = True,
              win_trend: float = 0.0, years=range(2012, 2025)) -> pd.DataFrame:
    """LLQ-funded units all lie in WiN areas (as in Bremen); WiN EUR per resident jump in 2020 in
    every WiN area, and (``unequal_win``) more in the LLQ-funded ones - the confounding of issue 11;
    ``win_trend``: a trend (pp per year) shared by all WiN areas."""
    rng = np.random.default_rng(seed)
    yrs = np.array(list(years))
    ids = np.array([f"q{i:03d}" for i in range(n)])
    win = np.zeros(n, dtype=bool)
    win[:n_win] = True
    start = np.zeros(n, dtype=int)
    llq_units = rng.choice(n_win, n_llq, replace=False)
    start[llq_units] = rng.choice([2021, 2022], n_llq)
    base_w = np.where(win, 10.0, 0.0) + np.where((start > 0) & unequal_win, 15.0, 0.0)
    w = np.where(yrs[None, :] >= 2020, base_w[:, None], np.where(win, 3.0, 0.0)[:, None])
    on = (start[:, None] > 0) & (yrs[None, :] >= start[:, None])
    trend = np.where(win, win_trend, 0.0)[:, None] * (yrs[None, :] - 2012)  # shared by the WiN areas
    y = (rng.normal(15, 3, n)[:, None] + np.cumsum(rng.normal(0, 0.3, len(yrs)))[None, :] + trend
         + TAU * on + BETA_WIN * w + rng.normal(0, 0.5, (n, len(yrs))))
    return pd.DataFrame({
        "quartier_id": np.repeat(ids, len(yrs)), "city": "Bremen", "year": np.tile(yrs, n), "sgb2_rate": y.ravel(),
        "sgb2_rate_provenance": "simulated", "llq_first_year": np.repeat(start, len(yrs)),
        "llq_funded": np.repeat(start > 0, len(yrs)), "d": on.ravel().astype(int),
        "win_eur_per_capita": w.ravel(), "win_area": np.repeat(win, len(yrs))})


KW = {"outcome": "sgb2_rate", "unit": "quartier_id", "time": "year"}


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def test_twfe_with_the_co_treatment_removes_the_confounding():
    naive, adj = [], []
    for seed in range(30):
        p = win_panel(seed)
        naive.append(_quiet(llq.twfe, p, **KW, treatment="d").estimate)
        r = _quiet(llq.twfe, p, **KW, treatment="d", covariates=["win_eur_per_capita"])
        adj.append(r.estimate)
    mc = np.std(adj, ddof=1) / math.sqrt(len(adj))
    assert abs(np.mean(adj) - TAU) < 4 * mc
    assert abs(np.mean(naive) - TAU) > 8 * np.std(naive, ddof=1) / math.sqrt(len(naive))  # naive credits LLQ with WiN


def test_twfe_co_treatment_equals_statsmodels_and_says_what_is_separated():
    import statsmodels.formula.api as smf

    p = win_panel(1)
    p.loc[p["year"] < 2016, "win_eur_per_capita"] = np.nan  # like the real data: WiN not published early
    r = _quiet(llq.twfe, p, **KW, treatment="d", covariates=["win_eur_per_capita"])
    ok = p.dropna(subset=["win_eur_per_capita"])
    ols = smf.ols("sgb2_rate ~ d + win_eur_per_capita + C(quartier_id) + C(year)", data=ok).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(ok["quartier_id"])[0]})
    assert r.estimate == pytest.approx(ols.params["d"], abs=1e-10)
    assert r.se == pytest.approx(ols.bse["d"], rel=1e-8)
    assert r.spec["co_treatments"] == ["win_eur_per_capita"]
    de, en = r.summary(), r.summary("en")
    n_lost = int(p["win_eur_per_capita"].isna().sum())
    assert "Andere Programme (win_eur_per_capita) gehen als Ko-Behandlung" in de
    assert f"({n_lost} von {len(p)} Zeilen deshalb ausgelassen)" in de and "Nicht getrennt" in de
    assert "100 % der geförderten Beobachtungen" in de  # every funded unit-year also has WiN money
    assert "co-treatments" in en and f"{n_lost} of {len(p)} rows" in en
    # a covariate that is not a programme gets no note; co_treatments= names one explicitly
    plain = _quiet(llq.twfe, p.assign(x=p["year"] % 3), **KW, treatment="d", covariates=["x"])
    assert plain.spec["notes"] == () and "Ko-Behandlung" not in plain.summary()
    named = _quiet(llq.twfe, p.assign(win=p["win_eur_per_capita"]), **KW, treatment="d", co_treatments=["win"])
    assert named.spec["co_treatments"] == ["win"] and "Andere Programme (win)" in named.summary()


def test_event_study_accepts_the_co_treatment():
    p = win_panel(2)
    es = _quiet(llq.event_study, p, **KW, cohort="llq_first_year", covariates=["win_eur_per_capita"])
    post = es.table.query("rel_time >= 0 and not reference")["estimate"]
    assert abs(post.mean() - TAU) < 0.4
    assert "Ko-Behandlung" in es.summary()


def test_staggered_did_refuses_a_time_varying_co_treatment_and_names_alternatives():
    p = win_panel(3)
    with pytest.raises(UnsupportedDesignError, match=r"'win_eur_per_capita' varies over time.*twfe\(.*"
                       r"event_study\(.*comparison_mask"):
        llq.staggered_did(p, **KW, cohort="llq_first_year", covariates=["win_eur_per_capita"])
    with pytest.raises(NotImplementedError):
        llq.staggered_did(p.assign(w=p["win_eur_per_capita"]), **KW, cohort="llq_first_year", co_treatments=["w"])
    # a time-invariant programme indicator is an ordinary base-period covariate
    _quiet(llq.staggered_did, p.assign(win_eur_per_capita=p["win_area"] * 10.0), **KW, cohort="llq_first_year",
           covariates=["win_eur_per_capita"])


def test_comparison_mask_restricts_controls_and_removes_area_confounding():
    naive, masked = [], []
    for seed in range(15):
        p = win_panel(seed, unequal_win=False, win_trend=-0.15)
        naive.append(_quiet(llq.staggered_did, p, **KW, cohort="llq_first_year").estimate)
        masked.append(_quiet(llq.staggered_did, p, **KW, cohort="llq_first_year", comparison_mask="win_area").estimate)
    mc = np.std(masked, ddof=1) / math.sqrt(len(masked))
    assert abs(np.mean(masked) - TAU) < 4 * mc
    assert abs(np.mean(naive) - TAU) > 8 * np.std(naive, ddof=1) / math.sqrt(len(naive))


def test_comparison_mask_equals_dropping_the_units_and_reports_them():
    p = win_panel(4, unequal_win=False)
    r = _quiet(llq.staggered_did, p, **KW, cohort="llq_first_year", comparison_mask="win_area")
    manual = _quiet(llq.staggered_did, p[p["win_area"]], **KW, cohort="llq_first_year")
    assert r.estimate == pytest.approx(manual.estimate, abs=1e-12)
    out = p.loc[~p["win_area"], "quartier_id"].unique()
    assert set(r.dropped["quartier_id"]) == set(out)
    assert r.dropped["reason"].str.contains("outside the comparison group").all()
    de = r.summary()
    assert "Vergleichsgruppe eingeschränkt auf Einheiten mit win_area = wahr (20 ungeförderte Einheiten" in de
    assert f"{len(out)} ausgelassen" in de and "Nicht getrennt" in de
    assert "Comparison group restricted" in r.summary("en")
    agg = r.aggregate("dynamic")
    assert "Vergleichsgruppe eingeschränkt" in agg.summary()
    for fn in (llq.sun_abraham, llq.imputation_did):
        a = _quiet(fn, p, **KW, cohort="llq_first_year", comparison_mask="win_area")
        b = _quiet(fn, p[p["win_area"]], **KW, cohort="llq_first_year")
        assert a.estimate == pytest.approx(b.estimate, abs=1e-10)
        assert "Vergleichsgruppe eingeschränkt" in a.summary()


@pytest.mark.parametrize(("mutate", "match"), [
    (lambda p: p.assign(win_area=p["win_area"].astype(float).where(p["year"] != 2015)),
     r"row \d+, column 'win_area'.*True/False \(or 1/0\) for every row"),
    (lambda p: p.assign(win_area=np.where(p["year"] == 2013, 2, p["win_area"].astype(int))),
     r"column 'win_area'.*True/False"),
    (lambda p: p.assign(win_area=p["win_area"] & (p["year"] < 2020)),
     r"row q000, column 'win_area'.*one value per quartier_id"),
    (lambda p: p.drop(columns=["win_area"]), r"column 'win_area'.*\(comparison_mask\)"),
])
def test_comparison_mask_bad_input(mutate, match):
    with pytest.raises(DataValidationError, match=match):
        _quiet(llq.staggered_did, mutate(win_panel(5)), **KW, cohort="llq_first_year", comparison_mask="win_area")


def test_before_after_comparison_mask():
    p = win_panel(6, unequal_win=False)
    kw = {"indicator": "sgb2_rate", "pre": (2016, 2019), "post": (2022, 2024), "comparison": "all",
          "interval": "t", "city": "city"}
    r = llq.compare_before_after(p, **kw, comparison_mask="win_area")
    q = r.quartiers
    comp = set(q.loc[q["group"] == "comparison", "quartier_id"] if "quartier_id" in q else
               q.index[q["group"] == "comparison"])
    assert comp == set(p.loc[p["win_area"] & ~p["llq_funded"], "quartier_id"])
    # equals the comparison on the WiN areas only
    manual = llq.compare_before_after(p[p["win_area"]], **kw)
    assert r.estimate == pytest.approx(manual.estimate, abs=1e-12)
    assert "Vergleichsgruppe eingeschränkt auf Einheiten mit win_area" in r.summary()
    assert "Comparison group restricted" in r.summary("en")
    assert (r.dropped["reason"].str.contains("not an eligible comparison")).sum() == 60
