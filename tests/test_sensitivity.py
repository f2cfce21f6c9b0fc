"""Sensitivity: HonestDiD (R HonestDiD README reference), pre-trend power, placebo in time,
leave-one-out. Reference data and how it was produced: tests/reference/synth/README.md."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llq_analysis.impact.sensitivity import (
    event_study_coefs,
    honest_did,
    leave_one_out,
    placebo_in_time,
    pretrend_power,
    slope_for_power,
)
from llq_analysis.impact.synth import synthetic_control, synthetic_did

REF = Path(__file__).parent / "reference" / "synth"


@pytest.fixture(scope="module")
def medicaid():
    ref = json.loads((REF / "honestdid_medicaid.json").read_text())
    return ref, np.array(ref["betahat"]), np.array(ref["sigma"])


def _printed_tol(x: float) -> float:
    """Half a unit in the last of the 3 significant digits R printed, plus R's simulation noise."""
    return 0.5 * 10 ** (math.floor(math.log10(abs(x))) - 2) + 5e-5


# -- HonestDiD -----------------------------------------------------------------------------------
def test_smoothness_flci_reproduces_r_honestdid(medicaid):
    ref, b, S = medicaid
    r_sd = ref["r_honestdid_readme"]["sd_flci"]
    res = honest_did(betahat=b, sigma=S, num_pre=5, method="smoothness", grid=r_sd["M"], l_vec="first")
    for i, _m in enumerate(r_sd["M"]):
        assert res.table.loc[i, "ci_low"] == pytest.approx(r_sd["lb"][i], abs=_printed_tol(r_sd["lb"][i]))
        assert res.table.loc[i, "ci_high"] == pytest.approx(r_sd["ub"][i], abs=_printed_tol(r_sd["ub"][i]))
    # identified set: the same LP as diff-diff's _solve_bounds_lp (NaN: observed pre-trend violates M)
    for i, (lo, hi) in enumerate(ref["diff_diff_idset"]["sd"]):
        got = res.table.loc[i, ["id_low", "id_high"]].to_numpy(dtype=float)
        np.testing.assert_allclose(got, [lo, hi], atol=1e-9, equal_nan=True)
    # original CI as in the Stata honestdid README: (0.029, 0.064)
    assert res.original["ci_low"] == pytest.approx(0.029, abs=5e-4)
    assert res.original["ci_high"] == pytest.approx(0.064, abs=5e-4)
    assert res.breakdown == pytest.approx(0.03)  # README: "breakdown value M ~ 0.03"


def test_relative_magnitude_is_conservative_and_idset_exact(medicaid):
    ref, b, S = medicaid
    r_rm = ref["r_honestdid_readme"]["rm_clf"]
    res = honest_did(betahat=b, sigma=S, num_pre=5, method="relative_magnitude", grid=r_rm["Mbar"], l_vec="first")
    for i, _mb in enumerate(r_rm["Mbar"]):
        lo, hi = res.table.loc[i, "ci_low"], res.table.loc[i, "ci_high"]
        assert lo <= r_rm["lb"][i] and hi >= r_rm["ub"][i]  # contains R's C-LF interval
        assert (hi - lo) < 2.0 * (r_rm["ub"][i] - r_rm["lb"][i])  # but not absurdly wide
        np.testing.assert_allclose(res.table.loc[i, ["id_low", "id_high"]].to_numpy(dtype=float),
                                   ref["diff_diff_idset"]["rm"][i], atol=1e-9)
    assert "conservative" in res.notes[0]


def test_flci_m0_equals_gls_extrapolation_and_widens_with_m(medicaid):
    _, b, S = medicaid
    res = honest_did(betahat=b, sigma=S, num_pre=5, grid=[0, 0.01, 0.03], l_vec="average")
    widths = (res.table["ci_high"] - res.table["ci_low"]).to_numpy()
    assert np.all(np.diff(widths) > 0)
    # M = 0: the interval is centred on l'b_post + w'b_pre with trend-cancelling minimum-variance w;
    # its width is 2 z sd >= the original CI's width (the trend costs precision)
    assert widths[0] >= res.original["ci_high"] - res.original["ci_low"] - 1e-12


def _es_panel(seed: int = 4, cohorts=(2016,), n_treated: int = 15) -> pd.DataFrame:
    """Simulated panel (40 units, 2010-2020, effect 1.0 from the cohort year on)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(40):
        g = cohorts[i % len(cohorts)] if i < n_treated else 0
        a = rng.normal()
        for t in range(2010, 2021):
            eff = 1.0 if g and t >= g else 0.0
            rows.append({"id": i, "year": t, "cohort": g, "y": a + 0.1 * t + eff + rng.normal(0, 0.3)})
    out = pd.DataFrame(rows)
    out.attrs["provenance"] = "simulated"
    return out


def test_honest_did_from_event_study_result():
    """Extraction from llq.event_study: same numbers as passing its table/vcov by hand."""
    from llq_analysis.impact.did import event_study

    df = _es_panel()
    es = event_study(df, outcome="y", unit="id", time="year", cohort="cohort")
    c = event_study_coefs(es)
    assert c.num_pre == 5 and c.num_post == 5
    tab = es.table[~es.table["reference"]].sort_values("rel_time")
    np.testing.assert_allclose(c.beta, tab["estimate"].to_numpy())
    a = honest_did(es, grid=[0.0, 0.05])
    b = honest_did(betahat=c.beta, sigma=c.sigma, num_pre=5, grid=[0.0, 0.05])
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.original["estimate"] == pytest.approx(es.estimate)  # both: mean of post coefficients
    fig = a.plot()
    assert len(fig.axes) == 1
    p = pretrend_power(es, slope=0.05)
    assert 0 < p.loc[0, "power"] < 1


def test_honest_did_bad_input(medicaid):
    _, b, S = medicaid
    with pytest.raises(ValueError, match="method"):
        honest_did(betahat=b, sigma=S, num_pre=5, method="rm")
    with pytest.raises(ValueError, match="2 entries"):
        honest_did(betahat=b, sigma=S, num_pre=5, l_vec=[1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=">= 0"):
        honest_did(betahat=b, sigma=S, num_pre=5, grid=[-0.1])
    with pytest.raises(ValueError, match="num_pre"):
        honest_did(betahat=b, sigma=S, num_pre=7)
    with pytest.raises(ValueError, match="sigma"):
        honest_did(betahat=b, sigma=S[:3, :3], num_pre=5)
    with pytest.raises(TypeError, match="event-study"):
        honest_did(object())

    class Fake:  # a gap in the relative periods
        table = pd.DataFrame({"term": ["a", "b", "c", "r"], "rel_time": [-4, -2, 0, -1],
                              "estimate": [0.1, 0.0, 1.0, 0.0], "reference": [False, False, False, True]})
        extras = {"vcov": pd.DataFrame(np.eye(3), index=["a", "b", "c"], columns=["a", "b", "c"])}

    with pytest.raises(ValueError, match="contiguous"):
        honest_did(Fake())


# -- pre-trend power (Roth 2022) ---------------------------------------------------------------------
def test_pretrend_power_single_coefficient_closed_form():
    from scipy import stats

    b, S = np.array([0.0, 1.0]), np.array([[0.04, 0.01], [0.01, 0.09]])
    p = pretrend_power(betahat=b, sigma=S, num_pre=1, slope=0.3).loc[0, "power"]
    mu = 0.3 * (-2 + 1) / 0.2  # rel time -2, trend zero at -1
    z = stats.norm.ppf(0.975)
    assert p == pytest.approx(stats.norm.sf(z - mu) + stats.norm.cdf(-z - mu), abs=1e-12)
    w = pretrend_power(betahat=b, sigma=S, num_pre=1, slope=0.3, test="wald").loc[0, "power"]
    assert w == pytest.approx(p, abs=1e-9)  # one coefficient: Wald = two-sided t test


def test_pretrend_power_against_monte_carlo(medicaid):
    _, b, S = medicaid
    rng = np.random.default_rng(7)
    rel = np.arange(-6, -1)
    se = np.sqrt(np.diag(S[:5, :5]))
    from scipy import stats

    crit = stats.chi2.ppf(0.95, 5)
    Sinv = np.linalg.inv(S[:5, :5])
    for slope in (0.002, 0.004):
        draws = rng.multivariate_normal(slope * (rel + 1), S[:5, :5], size=100_000)
        mc_any = (np.abs(draws / se) > stats.norm.ppf(0.975)).any(axis=1).mean()
        mc_wald = (np.einsum("ij,jk,ik->i", draws, Sinv, draws) > crit).mean()
        got = pretrend_power(betahat=b, sigma=S, num_pre=5, slope=slope)
        assert got.loc[0, "power"] == pytest.approx(mc_any, abs=0.006)
        assert got.loc[0, "bias_post"] == pytest.approx(slope * np.mean([1, 2]))  # rel 0, 1 -> t = 1, 2
        gw = pretrend_power(betahat=b, sigma=S, num_pre=5, slope=slope, test="wald")
        assert gw.loc[0, "power"] == pytest.approx(mc_wald, abs=0.006)
    s80 = slope_for_power(betahat=b, sigma=S, num_pre=5, power=0.8)
    assert pretrend_power(betahat=b, sigma=S, num_pre=5, slope=s80).loc[0, "power"] == pytest.approx(0.8, abs=1e-6)
    with pytest.raises(ValueError, match="power"):
        slope_for_power(betahat=b, sigma=S, num_pre=5, power=0.01)


# -- placebo in time and leave-one-out -------------------------------------------------------------
def _convex_panel(shift: float = 3.0):
    from test_synth import _convex_panel as make

    return make(shift=shift)


def test_placebo_in_time_synthetic_control_finds_nothing():
    df, _, t0 = _convex_panel()
    r = synthetic_control(df, outcome="y", unit="unit", time="year", treated_unit="T", treatment_time=t0)
    before = df.copy()
    pl = placebo_in_time(df, r, shifts=(1, 2, 3))
    pd.testing.assert_frame_equal(df, before)
    assert list(pl.table["placebo_start"]) == [t0 - 1, t0 - 2, t0 - 3]
    np.testing.assert_allclose(pl.table["estimate"].to_numpy(), 0.0, atol=1e-8)  # exact convex combination
    assert (pl.table["n_obs"] == 7 * (t0 - 2000)).all()  # only pre-period data used
    fig = pl.plot()
    assert fig is not None


def test_placebo_in_time_sdid_staggered_and_callable():
    from test_synth import _factor_panel

    df = _factor_panel(3, cohorts={6: 4, 9: 3})
    r = synthetic_did(df, outcome="y", unit="unit", time="t", treatment="d", se_method="jackknife")
    pl = placebo_in_time(df, r, shifts=(1, 2))
    # window t < 6; cohort 6 -> 5 and 4; cohort 9 -> 8, 7 lies outside the window (never treated there)
    assert list(pl.table["placebo_start"]) == ["5", "4"]
    assert (pl.table["estimate"].abs() < 3 * pl.table["se"]).all()
    # the same through a callable fit on a cohort column
    dfc = df.assign(first=df["unit"].map(df[df["d"] == 1].groupby("unit")["t"].min()).fillna(0))
    seen = []

    def fit(sub):
        seen.append(sub)
        return synthetic_did(sub, outcome="y", unit="unit", time="t", treatment="d", se_method="jackknife")

    pl2 = placebo_in_time(dfc, fit, time="t", cohort="first", treatment="d", shifts=(1,))
    assert pl2.table.loc[0, "estimate"] == pytest.approx(pl.table.loc[0, "estimate"])
    assert seen[0]["t"].max() == 5 and set(seen[0].loc[seen[0]["first"] != 0, "first"]) == {5}


def test_leave_one_out_synth_donors_and_callable():
    df, w, t0 = _convex_panel()
    r = synthetic_control(df, outcome="y", unit="unit", time="year", treated_unit="T", treatment_time=t0)
    lo = leave_one_out(df, r)
    assert list(lo.table["dropped_unit"]) == ["d0", "d1", "d2"]  # the donors with positive weight
    assert (lo.table["estimate"] != 3.0).all()  # the exact fit is lost without one of them
    np.testing.assert_allclose(lo.table["change"], lo.table["estimate"] - r.estimate)
    # callable: dropping a zero-weight donor changes nothing
    def fit(sub):
        return synthetic_control(sub, outcome="y", unit="unit", time="year", treated_unit="T",
                                 treatment_time=t0, placebo=False)

    lo2 = leave_one_out(df, fit, unit="unit", units=["d4", "d5"], full_estimate=r.estimate)
    np.testing.assert_allclose(lo2.table["estimate"], 3.0, atol=1e-8)
    fig = lo.plot(lang="en")
    assert fig is not None
    with pytest.raises(ValueError, match="not in column"):
        leave_one_out(df, fit, unit="unit", units=["zz"])


def test_leave_one_out_sdid_treated_units():
    from test_synth import _factor_panel

    df = _factor_panel(5, n_units=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = synthetic_did(df, outcome="y", unit="unit", time="t", treatment="d", se_method="jackknife")
        lo = leave_one_out(df, r)
    assert list(lo.table["dropped_unit"]) == ["u00", "u01", "u02", "u03", "u04"]
    assert (lo.table["estimate"] - 2.0).abs().max() < 0.6


def test_placebo_in_time_and_leave_one_out_refit_event_study():
    from llq_analysis.impact.did import event_study

    df = _es_panel(5, cohorts=(2016, 2018), n_treated=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = event_study(df, outcome="y", unit="id", time="year", cohort="cohort")
        pl = placebo_in_time(df, es, shifts=(2,))
        lo = leave_one_out(df, es, units=[0, 1])
    # window: years < 2016; cohort 2016 -> 2014; cohort 2018 -> 2016 is outside (never treated there)
    assert pl.table.loc[0, "placebo_start"] == "2014"
    assert abs(pl.table.loc[0, "estimate"]) < 3 * pl.table.loc[0, "se"]
    assert pl.full_estimate == es.estimate and pl.provenance == "simulated"
    assert list(lo.table["dropped_unit"]) == [0, 1] and lo.table["estimate"].notna().all()
    assert (lo.table["n_obs"] == es.n_obs - 11).all()


def test_relative_magnitude_interval_covers_at_the_worst_case(medicaid):
    """Monte Carlo: true trend difference in Delta^RM(Mbar) with post changes at the bound, true
    effect 0; the Bonferroni interval covers 0 in >= 95 % of 4,000 draws (simulated)."""
    from llq_analysis.impact.sensitivity import _rm_bonferroni

    _, _, S = medicaid
    rng = np.random.default_rng(11)
    K, Mbar = 0.006, 1.0
    delta_pre = np.array([-0.012, -0.006, -0.006, 0.0, 0.0])  # first differences <= K; delta_0 = 0
    for l_vec in (np.array([1.0, 0.0]), np.array([0.5, 0.5])):
        delta_post = np.array([Mbar * K, 2 * Mbar * K])  # worst case: the trend keeps breaking by Mbar K
        beta = np.concatenate([delta_pre, delta_post])  # tau_post = 0
        draws = rng.multivariate_normal(beta, S, size=4000)
        cover = np.mean([lo <= 0 <= hi for lo, hi, _, _ in
                         (_rm_bonferroni(d, S, 5, l_vec, Mbar, 0.05) for d in draws)])
        assert cover >= 0.95


def test_leave_one_out_synth_keeps_the_donor_pool():
    """Refits use the original donor pool minus the dropped unit, never the whole panel."""
    df, w, t0 = _convex_panel()
    pool = ["d0", "d1", "d3", "d4", "d5"]  # d2 (part of the true combination) left out on purpose
    r = synthetic_control(df, outcome="y", unit="unit", time="year", treated_unit="T",
                          treatment_time=t0, donors=pool, placebo=False)
    lo = leave_one_out(df, r)
    differs = []
    for u, est in zip(lo.table["dropped_unit"], lo.table["estimate"], strict=True):
        direct = synthetic_control(df, outcome="y", unit="unit", time="year", treated_unit="T",
                                   treatment_time=t0, donors=[d for d in pool if d != u], placebo=False)
        assert est == pytest.approx(direct.estimate, abs=1e-9)
        wide = synthetic_control(df[df["unit"] != u], outcome="y", unit="unit", time="year",
                                 treated_unit="T", treatment_time=t0, placebo=False)
        differs.append(abs(est - wide.estimate) > 1e-6)
    assert any(differs)  # with d2 back in the pool the refit would have been different
