"""Empirical-Bayes shrinkage of small-area rates (impact/shrinkage.py): simulated areas with known
true rates (binomial counts), parameter recovery, large areas unchanged, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import llq_analysis as llq
from llq_analysis.errors import DataValidationError

METHODS = [("beta_binomial", "moments"), ("beta_binomial", "ml"), ("fay_herriot", "moments")]


def areas(rng, *, k: int = 90, n_groups: int = 20, rho: float = 0.01, lo: float = 200, hi: float = 30_000):
    """Areas in groups: true rate ~ Beta(mean = group mean, intra-class correlation rho), base
    log-uniform in [lo, hi], count ~ Binomial(base, true rate). Rates in %."""
    grp = rng.integers(0, n_groups, k)
    gm = rng.uniform(0.05, 0.30, n_groups)
    M = (1 - rho) / rho
    p = rng.beta(gm[grp] * M, (1 - gm[grp]) * M)
    n = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi), k))).astype(int)
    x = rng.binomial(n, p)
    return pd.DataFrame({"area": [f"a{i}" for i in range(k)], "grp": [f"g{g:02d}" for g in grp],
                         "rate": 100 * x / n, "n": n, "true": 100 * p})


def _mse_pair(method, estimator, group, *, reps, **kw):
    rng = np.random.default_rng(11)
    raw, shr = [], []
    for _ in range(reps):
        df = areas(rng, **kw)
        f = llq.shrink_rates(df, rate="rate", base="n", group=group, method=method, estimator=estimator).frame
        raw.append(np.mean((f["rate"] - f["true"]) ** 2))
        shr.append(np.mean((f["rate_shrunk"] - f["true"]) ** 2))
    return float(np.mean(raw)), float(np.mean(shr))


@pytest.mark.parametrize("method,estimator", METHODS)
@pytest.mark.parametrize("group", [None, "grp"])
def test_shrinkage_lowers_error_against_truth(method, estimator, group):
    """Small spread of true rates (SD ~ 2 pp) around the mean shrunk toward, bases 200 to 30,000:
    a clear MSE reduction (group=None: one common mean; group: 20 groups with different means)."""
    raw, shr = _mse_pair(method, estimator, group, reps=40, rho=0.002, n_groups=1 if group is None else 20)
    assert shr < 0.8 * raw, (raw, shr)


@pytest.mark.parametrize("method,estimator", METHODS)
def test_shrinkage_never_hurts_with_large_true_spread(method, estimator):
    """Large spread (SD ~ 4-5 pp) across Stadtteil-like groups: still lower MSE (smaller gain)."""
    raw, shr = _mse_pair(method, estimator, "grp", reps=40, rho=0.02)
    assert shr < 0.99 * raw, (raw, shr)


@pytest.mark.parametrize("method,estimator", METHODS)
def test_large_areas_almost_unchanged(method, estimator):
    rng = np.random.default_rng(5)
    for _ in range(20):
        df = areas(rng, rho=0.01)
        f = llq.shrink_rates(df, rate="rate", base="n", group="grp", method=method, estimator=estimator).frame
        big = f["n"] >= 10_000
        change = (f["rate_shrunk"] - f["rate"]).abs()
        assert change[big].max() < 0.25
        assert (change[big] <= 0.03 * (f["rate"] - f["rate_prior"]).abs()[big] + 1e-12).all()
        assert (f.loc[big, "rate_weight"] > 0.97).all()
        # smaller areas are shrunk more (weights increase with the base inside a group)
        assert np.corrcoef(np.log(f["n"]), f["rate_weight"])[0, 1] > 0.5


@pytest.mark.parametrize("method,estimator", METHODS)
def test_between_area_variance_recovered(method, estimator):
    """Many areas: the estimated spread of true rates is close to the simulated one."""
    rng = np.random.default_rng(2)
    df = areas(rng, k=4000, n_groups=1, rho=0.01)
    res = llq.shrink_rates(df, rate="rate", base="n", method=method, estimator=estimator)
    true_tau = df["true"].std()
    assert res.params["tau_pp"].iloc[0] == pytest.approx(true_tau, rel=0.06)


def test_beta_binomial_posterior_matches_conjugate_formula():
    """With the fitted prior, the shrunk rate is the Beta posterior mean (scipy.stats.beta)."""
    from scipy import stats

    df = areas(np.random.default_rng(3), k=60, n_groups=1, rho=0.01)
    res = llq.shrink_rates(df, rate="rate", base="n")
    rho = res.params["rho"].iloc[0]
    mu = res.frame["rate_prior"].to_numpy() / 100
    M = (1 - rho) / rho
    x = df["rate"].to_numpy() / 100 * df["n"].to_numpy()
    post = stats.beta(x + M * mu, df["n"].to_numpy() - x + M * (1 - mu))
    np.testing.assert_allclose(res.frame["rate_shrunk"] / 100, post.mean(), rtol=1e-10)
    np.testing.assert_allclose(res.frame["rate_se"] / 100, post.std(), rtol=1e-10)


def test_posterior_se_is_calibrated():
    """About 95 % of true rates lie within shrunk +- 1.96 posterior SE."""
    rng = np.random.default_rng(9)
    hits = []
    for _ in range(40):
        df = areas(rng, rho=0.005)
        f = llq.shrink_rates(df, rate="rate", base="n", group="grp").frame
        hits.append(((f["true"] - f["rate_shrunk"]).abs() <= 1.96 * f["rate_se"]).mean())
    assert 0.92 < np.mean(hits) < 0.98


def test_by_cell_equals_separate_fits():
    rng = np.random.default_rng(4)
    a, b = areas(rng).assign(year=2020), areas(rng).assign(year=2021)
    both = llq.shrink_rates(pd.concat([a, b], ignore_index=True), rate="rate", base="n", by="year").frame
    sep = pd.concat([llq.shrink_rates(a, rate="rate", base="n").frame,
                     llq.shrink_rates(b, rate="rate", base="n").frame], ignore_index=True)
    np.testing.assert_allclose(both["rate_shrunk"], sep["rate_shrunk"])


def test_single_area_groups_shrink_to_the_overall_mean():
    df = areas(np.random.default_rng(6), k=40, n_groups=5)
    df.loc[0, "grp"] = "alone"
    res = llq.shrink_rates(df, rate="rate", base="n", group="grp")
    pooled = (df["rate"] * df["n"]).sum() / df["n"].sum()
    assert res.frame.loc[0, "rate_prior"] == pytest.approx(pooled)
    city = llq.shrink_rates(df, rate="rate", base="n")   # the lone area is shrunk as with group=None
    assert res.frame.loc[0, "rate_shrunk"] == pytest.approx(city.frame.loc[0, "rate_shrunk"])
    assert any("nur einem Gebiet" in w for w in res.warnings)


def test_missing_values_are_reported_not_dropped():
    df = areas(np.random.default_rng(7), k=30)
    df.loc[[3, 8], "rate"] = np.nan
    df.loc[12, "n"] = np.nan
    before = df.copy()
    res = llq.shrink_rates(df, rate="rate", base="n")
    assert len(res.frame) == len(df)
    assert res.frame.loc[[3, 8, 12], "rate_shrunk"].isna().all()
    assert res.frame["rate_shrunk"].notna().sum() == 27
    assert sorted(res.dropped["row"]) == [3, 8, 12]
    assert "3 Zeile(n) ohne Rate oder Bezugsgröße" in res.summary()
    pd.testing.assert_frame_equal(df, before)   # input not mutated
    with pytest.raises(DataValidationError, match="missing='report'"):
        llq.shrink_rates(df, rate="rate", base="n", missing="error")
    raw = llq.shrink_rates(df, rate="rate", base="n", missing="raw")
    assert raw.frame.loc[12, "rate_shrunk"] == df.loc[12, "rate"] and raw.frame.loc[12, "rate_weight"] == 1
    assert raw.frame.loc[[3, 8], "rate_shrunk"].isna().all()
    assert "base missing: raw rate kept" in set(raw.dropped["reason"])


def test_bad_values_give_clear_errors():
    df = areas(np.random.default_rng(8), k=20)
    with pytest.raises(DataValidationError, match="between 0 and 100"):
        llq.shrink_rates(df.assign(rate=df["rate"].where(df.index != 2, 120.0)), rate="rate", base="n")
    with pytest.raises(DataValidationError, match="between 0 and 100"):
        llq.shrink_rates(df.assign(rate=df["rate"].where(df.index != 2, -1.0)), rate="rate", base="n")
    with pytest.raises(DataValidationError, match=r"base \(persons\) > 0"):
        llq.shrink_rates(df.assign(n=df["n"].where(df.index != 4, 0)), rate="rate", base="n")
    with pytest.raises(DataValidationError, match="group label"):
        llq.shrink_rates(df.assign(grp=df["grp"].where(df.index != 1, None)), rate="rate", base="n", group="grp")
    with pytest.raises(DataValidationError, match="'nope'"):
        llq.shrink_rates(df, rate="nope", base="n")
    with pytest.raises(DataValidationError, match="method one of"):
        llq.shrink_rates(df, rate="rate", base="n", method="magic")
    with pytest.raises(DataValidationError, match="base="):
        llq.shrink_rates(df, rate="rate")


def test_text_frame_plot():
    df = areas(np.random.default_rng(1), k=50, rho=0.005)
    res = llq.shrink_rates(df, rate="rate", base="n", group="grp", method="fay_herriot")
    assert "zum Mittel ihrer Gruppe (grp)" in res.summary()
    assert "toward the mean of their group (grp)" in res.summary("en")
    fr = res.to_frame()
    assert {"rate_shrunk", "rate_weight", "rate_se", "rate_prior"} <= set(fr.columns)
    fig = res.plot()
    assert fig.axes
    import matplotlib.pyplot as plt

    plt.close(fig)
