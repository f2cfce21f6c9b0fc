"""Tests of llq_analysis.impact.inference: wild cluster bootstrap, multiplier bootstrap, RI.

References: tests/reference/did/references.json["wild_bootstrap"] (package wildboottest 0.3.2 on
tests/reference/did/wild_panel.csv; see the README there), closed forms, and simulations with a
known effect. The live cross-check against wildboottest runs when that package is importable.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import llq_analysis as llq
from llq_analysis.errors import DataValidationError
from llq_analysis.impact._prep import FewClustersWarning
from llq_analysis.impact.inference import (
    bootstrap_weights,
    demean,
    wild_bootstrap_influence,
)

REF = Path(__file__).parent / "reference" / "did"
WB = json.loads((REF / "references.json").read_text())["wild_bootstrap"]


@pytest.fixture(scope="module")
def wild_panel() -> pd.DataFrame:
    return pd.read_csv(REF / "wild_panel.csv")


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def _wcb(df, **kw):
    base = dict(outcome="y", unit="unit", time="year", treatment="d")
    base.update(kw)
    return _quiet(llq.wild_cluster_bootstrap, df, **base)


# -- wild cluster bootstrap against wildboottest -------------------------------------------------
def test_wcr_full_enumeration_matches_wildboottest(wild_panel):
    r = _wcb(wild_panel, weights_type="rademacher", reps=9999, impose_null=True)
    assert r.extras["full_enumeration"] and r.extras["reps"] == 1024
    assert r.estimate == pytest.approx(WB["coef"], abs=1e-10)
    assert r.se == pytest.approx(WB["se_cr1"], abs=1e-10)
    assert r.extras["t_stat"] == pytest.approx(WB["wcr_t_stat"], abs=1e-8)
    # wildboottest counts |t*| > |t| strictly, we count ties (>=). Under the null the draws v = +-1
    # reproduce |t| exactly up to rounding, so the two differ by 0 or 2/1024 (the rounding decides)
    diff = r.pvalue - WB["wcr_rademacher_full_enum_pvalue"]
    assert min(abs(diff), abs(diff - 2 / 1024)) < 1e-12


def test_wcu_full_enumeration_matches_wildboottest(wild_panel):
    r = _wcb(wild_panel, weights_type="rademacher", reps=9999, impose_null=False)
    assert r.pvalue == pytest.approx(WB["wcu_rademacher_full_enum_pvalue"], abs=1e-12)
    assert r.extras["ci_method"].startswith("percentile-t")


@pytest.mark.parametrize("impose_null", [True, False])
def test_webb_matches_wildboottest_within_monte_carlo_error(wild_panel, impose_null):
    r = _wcb(wild_panel, reps=99_999, impose_null=impose_null, seed=7)
    assert r.extras["weights_type"] == "webb"  # default below 12 clusters
    ref = WB["wcr_webb_B99999_pvalue" if impose_null else "wcu_webb_B99999_pvalue"]
    mc = 4 * np.sqrt(2 * ref * (1 - ref) / 99_999)  # two independent Monte-Carlo errors
    assert abs(r.pvalue - ref) < mc


def test_live_wildboottest_with_covariate():
    wbt = pytest.importorskip("wildboottest.wildboottest")
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(11)
    df = _panel(rng, n_units=9, n_periods=7, effect=0.4)
    df["x"] = rng.normal(size=len(df))
    m = smf.ols("y ~ d + x + C(unit) + C(year)", data=df)
    for imp in (True, False):
        ref = _quiet(wbt.wildboottest, m, param="d", cluster=df.unit.to_numpy(), B=9999,
                     weights_type="rademacher", impose_null=imp, seed=1, show=False)
        r = _wcb(df, covariates=["x"], weights_type="rademacher", impose_null=imp)
        diff = r.pvalue - float(ref["p-value"].iloc[0])
        assert min(abs(diff), abs(diff - (2 / 512 if imp else 0.0))) < 1e-12


# -- internal consistency ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def twfe_warm(wild_panel):
    """One pyfixest fit per module (its first feols in a process is slow)."""
    return _quiet(llq.twfe, wild_panel, outcome="y", unit="unit", time="year", treatment="d")


def test_wcb_se_equals_twfe_cr1_and_ci_inverts_the_test(wild_panel, twfe_warm):
    tw = twfe_warm
    r = _wcb(wild_panel, reps=1999, seed=3)
    assert r.se == pytest.approx(tw.se, rel=1e-10) and r.estimate == pytest.approx(tw.estimate, rel=1e-12)
    lo, hi = r.ci
    assert lo < r.estimate < hi
    # at the CI bounds the WCR p-value (same seed -> same draws) crosses alpha = 0.05
    inside = [_wcb(wild_panel, reps=1999, seed=3, null=b).pvalue for b in (lo + 1e-4 * r.se, hi - 1e-4 * r.se)]
    outside = [_wcb(wild_panel, reps=1999, seed=3, null=b).pvalue for b in (lo - 1e-3 * r.se, hi + 1e-3 * r.se)]
    assert min(inside) > 0.05 >= max(outside)


def test_wcb_default_weights_and_few_cluster_warning():
    rng = np.random.default_rng(2)
    df = _panel(rng, n_units=30, n_periods=8, effect=0.0, n_treated=5)
    with pytest.warns(FewClustersWarning, match="only 5 of 30"):
        r = llq.wild_cluster_bootstrap(df, outcome="y", unit="unit", time="year", treatment="d", reps=999)
    assert r.extras["weights_type"] == "rademacher" and r.n_clusters == 30
    assert any("treated" in w for w in r.warnings)
    V, full = bootstrap_weights("webb", 5, 200_000, np.random.default_rng(0))
    assert not full and set(np.round(np.unique(V) ** 2, 12)) == {0.5, 1.0, 1.5}
    assert abs(V.mean()) < 0.01 and abs((V ** 2).mean() - 1) < 0.01


def test_wcb_bad_input(wild_panel):
    with pytest.raises(DataValidationError, match="'cl'"):
        llq.wild_cluster_bootstrap(wild_panel, outcome="y", unit="unit", time="year", treatment="d", cluster="cl")
    df = wild_panel.copy()
    df.loc[[0, 5], "y"] = np.nan
    r = _wcb(df, reps=199)
    assert r.n_obs == len(df) - 2 and sorted(r.dropped["row"]) == [0, 5]
    with pytest.raises(ValueError, match="weights_type"):
        _wcb(wild_panel, weights_type="mammen")


def test_demean_matches_dummy_regression():
    rng = np.random.default_rng(4)
    n = 300
    a, b = rng.integers(0, 17, n), rng.integers(0, 9, n)  # unbalanced, crossed
    X = rng.normal(size=(n, 2))
    w = rng.uniform(0.5, 2.0, n)
    D = np.column_stack([np.ones(n), pd.get_dummies(a, drop_first=True, dtype=float),
                         pd.get_dummies(b, drop_first=True, dtype=float)])
    sw = np.sqrt(w)[:, None]
    coef = np.linalg.lstsq(D * sw, X * sw, rcond=None)[0]
    assert np.allclose(demean(X, (a, b), weights=w), X - D @ coef, atol=1e-8)


# -- multiplier bootstrap for influence functions ------------------------------------------------
def test_wild_bootstrap_influence_se_of_a_mean():
    rng = np.random.default_rng(8)
    n = 2000
    x = rng.normal(size=(n, 3)) * np.array([1.0, 2.0, 0.5])
    psi = x - x.mean(axis=0)  # influence function of the sample mean
    mb = wild_bootstrap_influence(psi, estimates=x.mean(axis=0), reps=4999, seed=1)
    analytic = psi.std(axis=0) / np.sqrt(n)
    assert np.allclose(mb.se, analytic, rtol=0.05)
    assert 1.96 < mb.crit < 2.6  # simultaneous over 3 estimates: above the pointwise 1.96
    assert np.all(mb.ci_uniform[:, 0] < mb.ci_pointwise[:, 0])
    # clustered: one weight per cluster, SE = sqrt(sum_g (sum_i psi)^2)/n
    cl = np.repeat(np.arange(100), 20)
    psi_c = psi[:, :1] + np.repeat(rng.normal(size=100), 20)[:, None]
    psi_c -= psi_c.mean()
    mbc = wild_bootstrap_influence(psi_c, cluster=cl, reps=4999, seed=2)
    sums = pd.Series(psi_c[:, 0]).groupby(cl).sum().to_numpy()
    assert mbc.se[0] == pytest.approx(np.sqrt((sums ** 2).sum()) / n, rel=0.06)
    assert mbc.weights_type == "rademacher" and mbc.n_clusters == 100


# -- randomization inference ---------------------------------------------------------------------
def _ri_panel(rng, effect=0.0):
    df = _panel(rng, n_units=24, n_periods=8, effect=effect)
    df["city"] = np.where(df.unit < 16, "Bremen", "Bremerhaven")
    df["eligible"] = df.unit % 6 != 5  # a few units can never be funded
    df.loc[~df.eligible, ["cohort", "d"]] = 0
    df.loc[~df.eligible, "y"] = df.loc[~df.eligible, "y"]  # unchanged outcome
    return df


def test_ri_permutes_within_strata_and_eligible_only():
    df = _ri_panel(np.random.default_rng(5))
    seen = []

    def record(d):
        by_unit = d.groupby("unit").first()
        seen.append(by_unit)
        return 0.0

    r = _quiet(llq.randomization_inference, df, outcome="y", unit="unit", time="year", cohort="cohort",
               strata="city", eligible="eligible", reps=30, estimator=record)
    orig = df.groupby("unit").first()
    moved = 0
    for by_unit in seen[1:]:
        for city in ("Bremen", "Bremerhaven"):
            m = (orig.city == city) & orig.eligible
            assert sorted(by_unit.loc[m, "cohort"]) == sorted(orig.loc[m, "cohort"])
        assert (by_unit.loc[~orig.eligible, "cohort"] == 0).all()
        moved += (by_unit.cohort != orig.cohort).any()
    assert moved >= 25
    assert len(r.extras["distribution"]) == 30


def test_ri_vectorized_twfe_equals_loop_and_twfe(twfe_warm):
    df = _ri_panel(np.random.default_rng(6), effect=0.5)
    fast = _quiet(llq.randomization_inference, df, outcome="y", unit="unit", time="year", cohort="cohort",
                  strata="city", eligible="eligible", reps=40, seed=9)

    def coef(d):
        dd = d.assign(dd=((d.cohort > 0) & (d.year >= d.cohort)).astype(float))
        return llq.twfe(dd, outcome="y", unit="unit", time="year", treatment="dd", engine="numpy").estimate

    slow = _quiet(llq.randomization_inference, df, outcome="y", unit="unit", time="year", cohort="cohort",
                  strata="city", eligible="eligible", reps=40, seed=9, estimator=coef)
    assert np.allclose(fast.extras["distribution"], slow.extras["distribution"], atol=1e-10)
    assert fast.pvalue == slow.pvalue
    tw = _quiet(llq.twfe, df, outcome="y", unit="unit", time="year", treatment="d")
    assert fast.estimate == pytest.approx(tw.estimate, rel=1e-10) and fast.se == pytest.approx(tw.se, rel=1e-10)


def test_ri_pvalue_ci_and_granularity():
    df = _ri_panel(np.random.default_rng(7), effect=3.0)
    r = _quiet(llq.randomization_inference, df, outcome="y", unit="unit", time="year", cohort="cohort",
               strata="city", eligible="eligible", reps=199)
    assert r.pvalue == pytest.approx(1 / 200)  # a large effect is never matched by a permutation
    lo, hi = r.ci
    assert lo < r.estimate < hi and lo < 3.0 < hi
    # a tiny design: 2 of 4 eligible units treated in one stratum -> 6 assignments only
    tiny = _panel(np.random.default_rng(1), n_units=4, n_periods=6, effect=0.0, n_treated=2)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        rt = llq.randomization_inference(tiny, outcome="y", unit="unit", time="year", cohort="cohort", reps=99)
    assert any("distinct assignments" in str(w.message) for w in rec)
    assert rt.extras["n_assignments"] <= 12
    assert any("smallest attainable" in w for w in rt.warnings)


def test_ri_t_statistic_and_bad_input():
    df = _ri_panel(np.random.default_rng(8))
    r = _quiet(llq.randomization_inference, df, outcome="y", unit="unit", time="year", cohort="cohort",
               strata="city", statistic="t", reps=99)
    assert r.extras["statistic"] == "t" and 0 < r.pvalue <= 1 and np.isnan(r.ci[0])
    bad = df.copy()
    bad.loc[bad.index[0], "city"] = "Bremerhaven"  # stratum varies within a unit
    with pytest.raises(DataValidationError, match="one value per unit"):
        llq.randomization_inference(bad, outcome="y", unit="unit", time="year", cohort="cohort", strata="city")
    with pytest.raises(DataValidationError, match="'stadt'"):
        llq.randomization_inference(df, outcome="y", unit="unit", time="year", cohort="cohort", strata="stadt")


# -- simulations with a known effect -------------------------------------------------------------
def _panel(rng, n_units=20, n_periods=8, effect=1.0, rho=0.7, n_treated=None):
    """SIMULATED staggered panel, homogeneous effect, AR(1) errors; cohort 0 = never treated."""
    cohorts = np.array([2019, 2020, 2021])
    g = np.zeros(n_units, dtype=int)
    k = n_units // 2 if n_treated is None else n_treated
    g[:k] = rng.choice(cohorts, size=k)
    years = 2015 + np.arange(n_periods)
    e = np.zeros((n_units, n_periods))
    e[:, 0] = rng.normal(size=n_units) / np.sqrt(1 - rho ** 2)
    for t in range(1, n_periods):
        e[:, t] = rho * e[:, t - 1] + rng.normal(size=n_units)
    unit = np.repeat(np.arange(n_units), n_periods)
    year = np.tile(years, n_units)
    d = ((g[unit] > 0) & (year >= g[unit])).astype(int)
    y = rng.normal(size=n_units)[unit] + 0.2 * (year - 2015) + effect * d + e.ravel()
    return pd.DataFrame({"unit": unit, "year": year, "cohort": g[unit], "d": d, "y": y})


def test_wcr_coverage_and_size_small_panels():
    rng = np.random.default_rng(99)
    reps, effect = 100, 1.0
    cover, reject0 = 0, 0
    for _ in range(reps):
        df = _panel(rng, n_units=16, effect=effect)  # 16 clusters, 8 treated
        r = _wcb(df, reps=399, seed=int(rng.integers(1 << 30)))
        cover += r.ci[0] <= effect <= r.ci[1]
        reject0 += r.extras["t_stat"] is not None and _wcb(df, reps=399, null=effect, seed=1).pvalue <= 0.05
    assert 0.88 <= cover / reps <= 1.0
    assert reject0 / reps <= 0.12


def test_ri_size_under_null():
    rng = np.random.default_rng(123)
    reps = 60
    pv = []
    for _ in range(reps):
        df = _ri_panel(rng, effect=0.0)
        pv.append(_quiet(llq.randomization_inference, df, outcome="y", unit="unit", time="year",
                         cohort="cohort", strata="city", eligible="eligible", reps=99,
                         seed=int(rng.integers(1 << 30))).pvalue)
    pv = np.array(pv)
    assert np.mean(pv <= 0.10) <= 0.22  # nominal 10 %; binomial sd ~4 %
    assert 0.3 < pv.mean() < 0.7  # roughly uniform
