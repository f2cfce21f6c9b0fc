"""Power and minimum detectable effect (impact/power.py): checked against llq.twfe, exact properties,
and independent simulations with fresh seeds on AR(1) panels with known truth."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import llq_analysis as llq
from llq_analysis.errors import DataValidationError
from llq_analysis.impact import _power_engine as eng

KW = {"outcome": "y", "unit": "unit", "time": "year", "first_year": "first"}


def ar1_arrays(seed: int, *, n_units: int = 120, years=range(2010, 2025), rho: float = 0.5,
               sigma: float = 1.0, cohorts=((2019, 20), (2021, 10)), effect: float = 0.0,
               hetero: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Simulated panel as arrays (unit code, year, y, first year per row): unit and year effects +
    stationary AR(1) errors with SD ``sigma`` (unit-specific scale if ``hetero``); known effect."""
    rng = np.random.default_rng(seed)
    years = np.asarray(list(years))
    T = len(years)
    first = np.zeros(n_units)
    pos = 0
    for g, k in cohorts:
        first[pos:pos + k] = g
        pos += k
    scale = rng.uniform(0.5, 1.5, n_units) if hetero else np.ones(n_units)
    e = np.empty((n_units, T))
    e[:, 0] = rng.normal(0, sigma, n_units)
    for j in range(1, T):
        e[:, j] = rho * e[:, j - 1] + rng.normal(0, sigma * math.sqrt(1 - rho ** 2), n_units)
    e *= scale[:, None]
    y = rng.normal(20, 3, n_units)[:, None] + rng.normal(0, 1, T)[None, :] + e
    D = (first[:, None] > 0) & (years[None, :] >= first[:, None])
    y = y + effect * D
    return np.repeat(np.arange(n_units), T), np.tile(years, n_units), y.ravel(), np.repeat(first, T)


def ar1_panel(seed: int, **kw) -> pd.DataFrame:
    """:func:`ar1_arrays` as a DataFrame (unit ids are strings), with population and EUR columns."""
    u, yr, y, first = ar1_arrays(seed, **kw)
    return pd.DataFrame({"unit": np.char.add("u", u.astype(str)), "year": yr, "y": y,
                         "first": first.astype(int), "pop": 2000.0,
                         "eur": np.where((first > 0) & (yr >= first), 8.0, 0.0)})


def _twfe(df, treatment="D", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return llq.twfe(df, outcome="y", unit="unit", time="year", treatment=treatment, **kw)


def _unbalanced(seed=3):
    df = ar1_panel(seed, n_units=40, years=range(2012, 2022), cohorts=((2016, 6), (2018, 5)))
    df["D"] = ((df["first"] > 0) & (df["year"] >= df["first"])).astype(float)
    rng = np.random.default_rng(seed)
    return df[rng.random(len(df)) > 0.15].reset_index(drop=True)


# -- the engine equals llq.twfe -------------------------------------------------------------------
@pytest.mark.parametrize("vcov", ["CR1", "cr1_g_only", "CR0"])
def test_batch_twfe_equals_twfe(vcov):
    df = _unbalanced()
    ref = _twfe(df, vcov=vcov)
    b, se, G = eng.batch_twfe(df["y"].to_numpy(), df["D"].to_numpy(), df["unit"].to_numpy(),
                              df["year"].to_numpy(), vcov=vcov)
    assert b[0] == pytest.approx(ref.estimate, abs=1e-9)
    assert se[0] == pytest.approx(ref.se, rel=1e-8)
    assert G == ref.n_clusters


def test_effect_shifts_estimate_exactly_and_leaves_se():
    """The shortcut the simulation relies on, checked with llq.twfe on an unbalanced staggered panel."""
    df = _unbalanced(5)
    base = _twfe(df)
    for d in (0.37, -2.0, 11.0):
        shifted = df.assign(y=df["y"] + d * df["D"])
        r = _twfe(shifted)
        assert r.estimate == pytest.approx(base.estimate + d, abs=1e-9)
        assert r.se == pytest.approx(base.se, rel=1e-9)


def test_smallest_effect_is_the_exact_threshold():
    rng = np.random.default_rng(0)
    b, se = rng.normal(0, 1, 500), rng.uniform(0.8, 1.2, 500)
    crit = 1.97
    m = eng.smallest_effect(b, se, crit, 0.8)
    assert eng.rejection_rate(b, se, crit, m + 1e-9)[0] >= 0.8
    assert eng.rejection_rate(b, se, crit, m - 1e-9)[0] < 0.8
    grid = np.linspace(0, m, 2000)[:-1]
    assert (eng.rejection_rate(b, se, crit, grid) < 0.8).all()


def test_draw_designs_keep_cohort_counts_within_strata():
    cohort = np.array([2019.0] * 4 + [2021.0] * 2 + [0.0] * 14)
    strata = np.array([0] * 10 + [1] * 10)
    C = eng.draw_designs(cohort, 200, np.random.default_rng(1), pool=np.arange(20), strata=strata)
    for s in (0, 1):
        sel = strata == s
        for g in (2019.0, 2021.0):
            assert ((C[sel] == g).sum(axis=0) == (cohort[sel] == g).sum()).all()
    assert len({tuple(C[:, j]) for j in range(200)}) > 150  # really random


# -- validation against independent simulations -------------------------------------------------
def _placebo_rejections(res, *, seeds, effects, alpha=0.05, **dgp):
    """Fresh panels (new seeds) in the placebo window of ``res``, random units, each effect placed
    into the data, TWFE with CR1 fitted: share rejecting H0 at ``alpha``, per effect."""
    pc = res.design["placebo_first_period"].to_numpy()
    rej = np.zeros(len(effects))
    for s in seeds:
        u, yr, y, first = ar1_arrays(s, **dgp)
        pre = yr < first[first > 0].min()
        u, yr, y = u[pre], yr[pre], y[pre]
        rng = np.random.default_rng(s)
        assign = np.zeros(u.max() + 1)
        assign[rng.choice(u.max() + 1, len(pc), replace=False)] = pc
        g = assign[u]
        D = ((g > 0) & (yr >= g)).astype(float)
        for j, eff in enumerate(effects):
            b, se, G = eng.batch_twfe(y + eff * D, D, u, yr)
            rej[j] += abs(b[0]) / se[0] > stats.t.ppf(1 - alpha / 2, G - 1)
    return rej / len(seeds)


def _check_mde_and_zero(rho: float, R: int) -> None:
    res = llq.minimum_detectable_effect(ar1_panel(1, rho=rho), **KW, n_designs=1000, seed=2)
    at_mde, at_zero = _placebo_rejections(res, seeds=range(10_000, 10_000 + R),
                                          effects=[res.mde_increase, 0.0], rho=rho)
    mc_pow, mc_zero = math.sqrt(0.8 * 0.2 / R), math.sqrt(0.05 * 0.95 / R)
    # 3 MC SE plus 0.03 for the MDE's own estimation error (one panel's pre-period)
    assert abs(at_mde - 0.8) < 3 * mc_pow + 0.03, at_mde
    assert abs(at_zero - 0.05) < 3 * mc_zero + 0.01, at_zero
    assert abs(res.size - 0.05) < 3 * res.size_mc_se + 0.01


def test_rejection_rate_at_mde_is_power_and_at_zero_alpha():
    """400 fresh panels: MC SE 0.020 at the MDE, 0.011 at zero."""
    _check_mde_and_zero(0.5, 400)


@pytest.mark.study
@pytest.mark.parametrize("rho", [0.0, 0.7])
def test_rejection_rates_study(rho):
    """1,000 fresh panels per rho (MC SE 0.0126 at the MDE, 0.0069 at zero); figures in docs/."""
    _check_mde_and_zero(rho, 1000)


def test_analytic_se_equals_monte_carlo_sd_on_actual_design():
    """The AR(1) formula (true rho, s2) against the SD of TWFE estimates over fresh panels."""
    rho, R = 0.6, 600
    ref = ar1_panel(0, rho=rho)
    d = ((ref["first"] > 0) & (ref["year"] >= ref["first"])).to_numpy(float)
    se_formula = eng.analytic_se(eng.design_moments(ref["unit"].to_numpy(), ref["year"].to_numpy(), d), 1.0, rho)
    est = [eng.batch_twfe(ar1_arrays(s, rho=rho)[2], d, ref["unit"].to_numpy(),
                          ref["year"].to_numpy())[0][0] for s in range(100, 100 + R)]
    sd = float(np.std(est, ddof=1))
    assert sd == pytest.approx(se_formula, rel=3 / math.sqrt(2 * R))   # SE of an SD: sd / sqrt(2R)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.8])
def test_analytic_agrees_with_simulation(rho):
    """Same placebo window: the formula and the placebo simulation agree within 10 %."""
    df = ar1_panel(7, rho=rho, n_units=150)
    sim = llq.minimum_detectable_effect(df, **KW, method="simulation", n_designs=1000)
    ana = llq.minimum_detectable_effect(df, **KW, method="analytic")
    assert sim.extras["mde_placebo_analytic"] == pytest.approx(sim.mde, rel=0.10)
    assert ana.mde == pytest.approx(sim.extras["mde_actual_analytic"])


def _actual_design_protocol(method: str, R: int, rho: float, n_designs: int = 1000) -> tuple[float, float]:
    """Per replication: MDE reported on panel A_r (seed r), then a fresh panel B_r with the actual
    design and that MDE placed into the data; TWFE (CR1) rejects or not. Also at effect 0.
    The rate averages over the MDE's own estimation error (one panel's variance and rho)."""
    rej, rej0 = [], []
    for r in range(R):
        res = llq.minimum_detectable_effect(ar1_panel(r, rho=rho), **KW, n_designs=n_designs, seed=r,
                                            method="analytic" if method == "analytic" else "simulation")
        eff = {"analytic": res.extras["mde_actual_analytic"], "simulation": res.mde_increase,
               "adjusted": res.extras.get("mde_actual_adjusted")}[method]
        u, yr, y, first = ar1_arrays(50_000 + r, rho=rho)
        D = ((first > 0) & (yr >= first)).astype(float)
        for e, out in ((eff, rej), (0.0, rej0)):
            b, se, G = eng.batch_twfe(y + e * D, D, u, yr)
            out.append(abs(b[0]) / se[0] > stats.t.ppf(0.975, G - 1))
    return float(np.mean(rej)), float(np.mean(rej0))


def test_analytic_mde_gives_power_on_actual_design():
    """200 replications (MC SE 0.028 at the MDE, 0.015 at zero); CR1 is slightly conservative."""
    R = 200
    at_mde, at_zero = _actual_design_protocol("analytic", R, 0.5)
    assert abs(at_mde - 0.8) < 3 * math.sqrt(0.16 / R), at_mde
    assert 0.01 < at_zero < 0.05 + 3 * math.sqrt(0.0475 / R), at_zero


@pytest.mark.study
@pytest.mark.parametrize("method", ["analytic", "adjusted"])
@pytest.mark.parametrize("rho", [0.0, 0.5, 0.8])
def test_actual_design_protocol_study(method, rho):
    """500 replications per cell (MC SE 0.018 at the MDE); figures in docs/methods_power_shrinkage.md.
    (The plain simulation MDE describes the placebo window; see test_rejection_rates_study.)"""
    R = 500
    at_mde, at_zero = _actual_design_protocol(method, R, rho)
    assert abs(at_mde - 0.8) < 3 * math.sqrt(0.16 / R), at_mde
    assert at_zero < 0.05 + 3 * math.sqrt(0.0475 / R), at_zero


def test_only_observed_rows_are_used_like_election_years():
    df = ar1_panel(4, years=range(2011, 2024), cohorts=((2021, 25),))
    df.loc[~df["year"].isin([2011, 2015, 2019, 2023]), "y"] = np.nan
    res = llq.minimum_detectable_effect(df, **KW, n_designs=300)
    assert res.n_obs == df.loc[df["year"].isin([2011, 2015, 2019]), "y"].notna().sum()
    assert len(res.dropped) == df["y"].isna().sum()
    assert set(res.dropped["reason"]) == {"outcome not observed (e.g. no election that year, not yet published)"}
    assert res.design["placebo_first_period"].unique().tolist() == [2019]
    ana = llq.minimum_detectable_effect(df, **KW, method="analytic")
    assert ana.extras["ar1"]["rho"] is not None and np.isfinite(ana.mde)


def test_planned_periods_equal_observed_ones():
    """A prospective design (post years not yet published) gives the MDE of the same panel with
    those years observed: the design needs no outcome values there."""
    full = ar1_panel(6, rho=0.6)
    part = full.assign(y=full["y"].where(full["year"] < 2019))
    with pytest.raises(DataValidationError, match="planned_periods"):
        llq.minimum_detectable_effect(part, **KW, method="analytic")
    for method in ("analytic", "simulation"):
        a = llq.minimum_detectable_effect(full, **KW, method=method, n_designs=300)
        b = llq.minimum_detectable_effect(part, **KW, method=method, n_designs=300,
                                          planned_periods=range(2019, 2025))
        assert b.mde == pytest.approx(a.mde, rel=1e-10)
        assert b.extras["mde_actual_analytic"] == pytest.approx(a.extras["mde_actual_analytic"], rel=1e-10)
    assert "Vorausschauend" in b.summary()


def test_single_lag_uses_least_favourable_rho():
    df = ar1_panel(4, years=range(2015, 2024), cohorts=((2023, 25),))
    df.loc[~df["year"].isin([2015, 2019, 2023]), "y"] = np.nan
    res = llq.minimum_detectable_effect(df, **KW, method="analytic")
    assert res.extras["ar1"]["worst_case_rho"]
    assert any("ungünstigster" in w for w in res.warnings)
    fixed = [llq.minimum_detectable_effect(df, **KW, method="analytic", rho=r).mde for r in (0.0, 0.5, 0.9)]
    assert res.mde >= max(fixed) - 1e-9


def test_dose_and_persons_conversions():
    df = ar1_panel(2)
    res = llq.minimum_detectable_effect(df, **KW, n_designs=200, dose="eur", base="pop")
    assert res.dose == pytest.approx(8.0)
    assert res.per_eur == pytest.approx(res.mde / 8.0)
    assert res.base_total == pytest.approx(30 * 2000.0)
    assert res.persons == pytest.approx(res.mde * 30 * 2000.0 / 100)
    assert llq.minimum_detectable_effect(df, **KW, n_designs=200, dose=4.0).per_eur == pytest.approx(res.mde / 4)
    gap = df.assign(pop=df["pop"].where(~((df["unit"] == "u0") & (df["year"] >= 2019))))
    gap.loc[(gap["unit"] == "u1"), "pop"] = np.nan
    r2 = llq.minimum_detectable_effect(gap, **KW, n_designs=200, base="pop")
    assert r2.base_total == pytest.approx(29 * 2000.0)   # u0: latest earlier value; u1: none (named)
    assert any("u1" in w and "Untergrenze" in w for w in r2.warnings)


def test_common_start_year_with_treated_column():
    df = ar1_panel(2, cohorts=((2019, 25),))
    df["funded"] = df["first"] > 0
    a = llq.minimum_detectable_effect(df, **KW, method="analytic")
    b = llq.minimum_detectable_effect(df, outcome="y", unit="unit", time="year", treated="funded",
                                      first_year=2019, method="analytic")
    assert a.mde == pytest.approx(b.mde)


def test_result_text_frame_plot():
    res = llq.power_curve(ar1_panel(2), **KW, n_designs=200, effects=[-1, 0, 0.5, 1])
    de, en = res.summary(), res.summary("en")
    assert "Mit diesen Daten wäre ein Effekt ab" in de and "80 % Wahrscheinlichkeit" in de
    assert "kleinere Effekte sind nicht ausgeschlossen" in de
    assert "With these data an effect of" in en
    assert res.curve["effect"].tolist() == [-1, 0, 0.5, 1]
    assert res.curve["power"].iloc[1] == pytest.approx(res.size)
    fr = res.to_frame()
    assert {"mde", "mde_increase", "mde_decrease", "rejection_rate_at_zero"} <= set(fr["term"])
    fig = res.plot()
    assert fig.axes
    import matplotlib.pyplot as plt

    plt.close(fig)


# -- bad input -----------------------------------------------------------------------------------
def test_bad_input_gives_clear_errors():
    df = ar1_panel(2)
    with pytest.raises(DataValidationError, match="no pre-period rows"):
        llq.minimum_detectable_effect(df[df["year"] >= 2019], **KW)
    with pytest.raises(DataValidationError, match="at least one funded unit"):
        llq.minimum_detectable_effect(df.assign(first=0), **KW)
    with pytest.raises(DataValidationError, match="missing in every row"):
        llq.minimum_detectable_effect(df.assign(y=np.nan), **KW)
    with pytest.raises(DataValidationError, match="one row per unit and time"):
        llq.minimum_detectable_effect(pd.concat([df, df.head(1)]), **KW)
    with pytest.raises(DataValidationError, match="'nope'"):
        llq.minimum_detectable_effect(df, **{**KW, "outcome": "nope"})
    with pytest.raises(DataValidationError, match="power between alpha and 1"):
        llq.minimum_detectable_effect(df, **KW, power=1.2)
    with pytest.raises(DataValidationError, match="method one of"):
        llq.minimum_detectable_effect(df, **KW, method="magic")
    with pytest.raises(DataValidationError, match="n_designs"):
        llq.minimum_detectable_effect(df, **KW, n_designs=5)
    with pytest.raises(DataValidationError, match="vcov one of"):
        llq.minimum_detectable_effect(df, **KW, vcov="HC7")
    with pytest.raises(DataValidationError, match="two observed periods before"):
        llq.minimum_detectable_effect(df[df["year"] >= 2018], **KW)
    varying = df.copy()
    varying.loc[varying.index[0], "first"] = 2015
    with pytest.raises(DataValidationError, match="one value per unit"):
        llq.minimum_detectable_effect(varying, **KW)
    bad = df.assign(funded=True)
    with pytest.raises(DataValidationError, match="treated exactly where"):
        llq.minimum_detectable_effect(bad, **KW, treated="funded")


def test_input_not_mutated_and_bundled_panel_runs(panel):
    before = panel.copy()
    for outcome in ("sgb2_rate", "turnout_buergerschaft"):
        for method in ("simulation", "analytic"):
            # funded years as planned periods: works whether or not post-funding values are published
            first = int(panel.loc[panel["llq_first_year"] > 0, "llq_first_year"].min())
            r = llq.minimum_detectable_effect(panel, outcome=outcome, unit="quartier_id", time="year",
                                              first_year="llq_first_year", method=method, n_designs=200,
                                              planned_periods=range(first, int(panel["year"].max()) + 1)
                                              if outcome == "sgb2_rate" else None)
            assert np.isfinite(r.mde) and r.mde > 0
    pd.testing.assert_frame_equal(panel, before)
