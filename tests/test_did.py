"""Tests of llq_analysis.impact.did: 2x2 DiD, TWFE, event study.

Reference values: tests/reference/mpdta/expected.json (R: lm + sandwich::vcovCL; did package) and
tests/reference/did/references.json (statsmodels OLS with explicit dummies, plain numpy; produced by
tests/reference/did/make_references.py, see the README there). Simulation tests use a known effect.
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
from llq_analysis.impact._prep import DroppedRowsWarning, FewClustersWarning, SmallCohortWarning

REF = Path(__file__).parent / "reference"
EXPECTED = json.loads((REF / "mpdta" / "expected.json").read_text())["numbers"]
OURS = json.loads((REF / "did" / "references.json").read_text())


def _mpdta() -> pd.DataFrame:
    """mpdta with the derived columns defined exactly as in tests/reference/did/make_references.py."""
    df = pd.read_csv(REF / "mpdta" / "mpdta.csv")
    df["D"] = ((df["first.treat"] > 0) & (df.year >= df["first.treat"])).astype(int)
    df["dose"] = df.D * (1.0 + (df.countyreal % 7) * 2.5 + (df.year - 2003) * 0.5)
    df["xcov"] = df.lpop * (df.year - 2005)
    df["popw"] = np.exp(df.lpop)
    return df


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    df = _mpdta()
    # warm pyfixest once for the module (its first feols compiles with numba: ~5 s)
    llq.twfe(df, outcome="lemp", unit="countyreal", time="year", treatment="D")
    return df


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


# -- TWFE against published / independent references ---------------------------------------------
@pytest.mark.parametrize("vcov,key", [("CR1", "twfe_lemp_on_D_se_cluster_cr1_stata"),
                                      ("cr1_stata", "twfe_lemp_on_D_se_cluster_cr1_stata"),
                                      ("cr1_g_only", "twfe_lemp_on_D_se_cluster_cr1_g_only"),
                                      ("CR0", "twfe_lemp_on_D_se_cluster_cr0"),
                                      ("iid", "twfe_lemp_on_D_se_iid")])
@pytest.mark.parametrize("engine", ["pyfixest", "numpy"])
def test_twfe_mpdta_matches_expected(mpdta, vcov, key, engine):
    r = llq.twfe(mpdta, outcome="lemp", unit="countyreal", time="year", treatment="D", vcov=vcov, engine=engine)
    coef = EXPECTED["twfe_lemp_on_D_coef"]
    assert abs(r.estimate - coef["value"]) <= coef["tol"]
    assert abs(r.se - EXPECTED[key]["value"]) <= EXPECTED[key]["tol"]
    assert r.n_obs == EXPECTED["twfe_lemp_on_D_nobs"]["value"]
    if vcov != "iid":
        assert r.n_clusters == 500
        assert r.spec["df"] == 499  # t with G-1 df for clustered SEs


def test_twfe_default_is_cr1_stata_and_clusters_by_unit(mpdta):
    r = llq.twfe(mpdta, outcome="lemp", unit="countyreal", time="year", treatment="D")
    assert r.spec["vcov"] == "CR1" and r.spec["cluster"] == "countyreal"
    assert abs(r.se - EXPECTED["twfe_lemp_on_D_se_cluster_cr1_stata"]["value"]) < 1e-9
    # the fixest rule does not count the nested unit dummies: smaller than CR1, larger than G/(G-1) only
    rf = llq.twfe(mpdta, outcome="lemp", unit="countyreal", time="year", treatment="D", vcov="cr1_fixest")
    assert EXPECTED["twfe_lemp_on_D_se_cluster_cr1_g_only"]["value"] < rf.se < r.se
    n, g, k_fixest = 2500, 500, 1 + 4  # fixest: slope + non-nested year dummies (+ intercept) counted
    ratio = (rf.se / EXPECTED["twfe_lemp_on_D_se_cluster_cr1_g_only"]["value"]) ** 2
    assert ratio == pytest.approx((n - 1) / (n - k_fixest - 1), rel=1e-6) or ratio == pytest.approx(
        (n - 1) / (n - k_fixest), rel=1e-6)
    assert g / (g - 1) > 1


@pytest.mark.parametrize("spec", ["dose", "dose_xcov", "dose_weighted"])
@pytest.mark.parametrize("engine", ["pyfixest", "numpy"])
def test_twfe_continuous_treatment_matches_statsmodels(mpdta, spec, engine):
    ref = OURS["twfe_continuous"][spec]
    kw = {"covariates": ["xcov"]} if spec == "dose_xcov" else {}
    if spec == "dose_weighted":
        kw["weights"] = "popw"
    for vcov, key, tol in [("CR1", "se_cr1", 1e-9), ("iid", "se_iid", 1e-9), ("HC1", "se_hc1", 1e-9)]:
        r = llq.twfe(mpdta, outcome="lemp", unit="countyreal", time="year", treatment="dose", vcov=vcov,
                     engine=engine, **kw)
        assert r.estimate == pytest.approx(ref["coef"], abs=1e-9)
        assert r.se == pytest.approx(ref[key], abs=tol), vcov
    assert r.spec["treatment_type"] == "continuous"


def test_twfe_string_time_labels_and_unbalanced(mpdta):
    base = llq.twfe(mpdta, outcome="lemp", unit="countyreal", time="year", treatment="D")
    q = mpdta.assign(period=mpdta.year.astype(str) + "Q1", unit=("c" + mpdta.countyreal.astype(str)))
    r = llq.twfe(q, outcome="lemp", unit="unit", time="period", treatment="D")
    assert r.estimate == pytest.approx(base.estimate, abs=1e-12)
    assert r.se == pytest.approx(base.se, abs=1e-12)
    # unbalanced: remove 7 % of rows at random; compare with explicit dummies by numpy lstsq
    rng = np.random.default_rng(5)
    sub = mpdta[rng.random(len(mpdta)) > 0.07].reset_index(drop=True)
    r = llq.twfe(sub, outcome="lemp", unit="countyreal", time="year", treatment="D", vcov="iid")
    Z = np.column_stack([sub.D, np.ones(len(sub)),
                         pd.get_dummies(sub.countyreal, drop_first=True, dtype=float),
                         pd.get_dummies(sub.year, drop_first=True, dtype=float)])
    b = np.linalg.solve(Z.T @ Z, Z.T @ sub.lemp.to_numpy())
    assert r.estimate == pytest.approx(b[0], abs=1e-9)
    assert r.n_obs == len(sub)
    rn = llq.twfe(sub, outcome="lemp", unit="countyreal", time="year", treatment="D", vcov="iid", engine="numpy")
    assert (rn.estimate, rn.se) == pytest.approx((r.estimate, r.se), rel=1e-8)


def test_twfe_nan_rows_reported_not_silently_dropped(mpdta):
    df = mpdta.copy()
    df.loc[[3, 10, 11], "lemp"] = np.nan
    df.loc[20, "D"] = np.nan
    before = df.copy()
    with pytest.warns(DroppedRowsWarning, match="4 of 2500 rows"):
        r = llq.twfe(df, outcome="lemp", unit="countyreal", time="year", treatment="D")
    pd.testing.assert_frame_equal(df, before)  # input not mutated
    assert r.n_obs == 2496
    assert sorted(r.dropped["row"]) == [3, 10, 11, 20]
    assert set(r.dropped.columns) >= {"row", "countyreal", "year", "missing", "reason"}
    assert r.dropped.set_index("row").loc[20, "missing"] == "D"
    assert any("dropped" in w for w in r.warnings)
    clean = llq.twfe(df.dropna(subset=["lemp", "D"]), outcome="lemp", unit="countyreal", time="year",
                     treatment="D")
    assert r.estimate == clean.estimate


def test_twfe_allows_switching_off_and_reports_it():
    df = _sim_panel(np.random.default_rng(0), n_units=30, n_periods=6)
    df.loc[(df.unit == 0) & (df.t == 5), "d"] = 0  # unit 0 (cohort 3) stops
    df.loc[df.unit == 0, "cohort"] = 3
    df.loc[(df.unit == 0) & (df.t >= 3) & (df.t < 5), "d"] = 1
    r = _quiet(llq.twfe, df, outcome="y", unit="unit", time="t", treatment="d")
    assert np.isfinite(r.estimate)
    sw = r.extras["switching_off_units"]
    assert sw is not None and list(sw["unit"]) == [0]
    with pytest.raises(DataValidationError, match="absorbing"):
        llq.event_study(df, outcome="y", unit="unit", time="t", cohort="cohort", treatment="d")


# -- event study ---------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["pyfixest", "numpy"])
def test_event_study_matches_statsmodels_dummies(mpdta, engine):
    ref = OURS["event_study"]
    es = llq.event_study(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                         engine=engine)
    tab = es.table.set_index("rel_time")
    for r, v in ref["coef"].items():
        assert tab.loc[float(r), "estimate"] == pytest.approx(v, abs=1e-9)
        assert tab.loc[float(r), "se"] == pytest.approx(ref["se_cr1"][r], abs=1e-9)
    assert tab.loc[-1.0, "estimate"] == 0 and bool(tab.loc[-1.0, "reference"])
    pt = es.extras["pretrend"]
    assert pt["df"] == ref["pretrend_df"] == 3
    assert pt["stat"] == pytest.approx(ref["pretrend_wald_chi2"], rel=1e-7)
    assert pt["pvalue"] == pytest.approx(ref["pretrend_pvalue_chi2"], abs=1e-8)
    assert pt["f_pvalue"] == pytest.approx(ref["pretrend_pvalue_f"], abs=1e-8)
    assert es.estimate == pytest.approx(ref["post_mean"], abs=1e-9)
    assert es.se == pytest.approx(ref["post_mean_se"], abs=1e-9)


def test_event_study_string_periods_and_nan_cohort(mpdta):
    base = llq.event_study(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat")
    lab = {y: f"{y}Q3" for y in range(2003, 2008)}
    q = mpdta.assign(per=mpdta.year.map(lab),
                     coh=mpdta["first.treat"].map(lambda g: lab.get(g, np.nan)))  # never treated -> NaN
    es = llq.event_study(q, outcome="lemp", unit="countyreal", time="per", cohort="coh")
    assert np.allclose(es.table["estimate"], base.table["estimate"], atol=1e-12)
    assert list(es.table["rel_time"]) == list(base.table["rel_time"])


def test_event_study_binning_and_plot(mpdta):
    es = llq.event_study(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                         bin_endpoints=(-3, 2))
    assert list(es.table["rel_time"]) == [-3, -2, -1, 0, 1, 2]
    assert es.table.set_index("rel_time").loc[-3, "n_obs"] == 131 + 171  # -4 pooled into -3
    fig = es.plot(lang="en")
    ax = fig.axes[0]
    xs = np.concatenate([np.asarray(line.get_xdata(), dtype=float) for line in ax.lines])
    ys = np.concatenate([np.asarray(line.get_ydata(), dtype=float) for line in ax.lines])
    assert np.any((xs == -1) & (ys == 0))  # reference period drawn at 0
    assert ax.get_xlabel() == "Years relative to funding start"
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_event_study_bad_input(mpdta):
    df = mpdta.copy()
    # no never-treated units: one reference period is not enough
    only_treated = df[df["first.treat"] > 0]
    with pytest.raises(DataValidationError, match="never-treated"):
        llq.event_study(only_treated, outcome="lemp", unit="countyreal", time="year", cohort="first.treat")
    es = _quiet(llq.event_study, only_treated, outcome="lemp", unit="countyreal", time="year",
                cohort="first.treat", ref=(-1, -4))
    assert np.isfinite(es.table.query("not reference")["estimate"]).all()
    # reference period not present
    with pytest.raises(DataValidationError, match="relative periods present"):
        llq.event_study(df, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", ref=-7)
    # cohort not constant within unit
    bad = df.copy()
    bad.loc[0, "first.treat"] = 2005
    with pytest.raises(DataValidationError, match="one value per countyreal"):
        llq.event_study(bad, outcome="lemp", unit="countyreal", time="year", cohort="first.treat")
    # treatment inconsistent with cohort
    bad = df.copy()
    bad.loc[bad.index[bad.D == 1][0], "D"] = 0
    with pytest.raises(DataValidationError):
        llq.event_study(bad, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", treatment="D")
    # a cohort of one unit: warning
    one = df[(df["first.treat"] != 2004) | (df.countyreal == df.loc[df["first.treat"] == 2004, "countyreal"].iloc[0])]
    with pytest.warns(SmallCohortWarning, match="2004"):
        llq.event_study(one, outcome="lemp", unit="countyreal", time="year", cohort="first.treat")


# -- bad input (shared checks) -------------------------------------------------------------------
def test_bad_input_errors(mpdta):
    df = mpdta.copy()
    with pytest.raises(DataValidationError) as e:
        llq.twfe(df, outcome="nope", unit="countyreal", time="yr", treatment="D")
    assert "'nope'" in str(e.value) and "'yr'" in str(e.value) and len(e.value.problems) == 2
    with pytest.raises(DataValidationError, match="cluster"):
        llq.twfe(df, outcome="lemp", unit="countyreal", time="year", treatment="D", cluster="city")
    txt = df.assign(lemp=df.lemp.map(lambda v: f"{v:.3f}".replace(".", ",")))
    with pytest.raises(DataValidationError, match="decimal comma") as e:
        llq.twfe(txt, outcome="lemp", unit="countyreal", time="year", treatment="D")
    assert e.value.problems[0].column == "lemp" and e.value.problems[0].row == 0
    with pytest.raises(DataValidationError, match="every unit is treated in every period"):
        llq.twfe(df.assign(D=1), outcome="lemp", unit="countyreal", time="year", treatment="D")
    with pytest.raises(DataValidationError, match="zero everywhere"):
        llq.twfe(df.assign(D=0), outcome="lemp", unit="countyreal", time="year", treatment="D")
    with pytest.raises(DataValidationError, match="collinear"):  # unit-constant treatment
        llq.twfe(df, outcome="lemp", unit="countyreal", time="year", treatment="treat")
    with pytest.raises(ValueError, match="vcov"):
        llq.twfe(df, outcome="lemp", unit="countyreal", time="year", treatment="D", vcov="HC3")
    # all units treated at some point: allowed, with a message
    r = _quiet(llq.twfe, df[df["first.treat"] > 0], outcome="lemp", unit="countyreal", time="year", treatment="D")
    assert any("no never-treated" in w for w in r.warnings)
    pd.testing.assert_frame_equal(df, mpdta)


def test_few_treated_clusters_warning():
    df = _sim_panel(np.random.default_rng(1), n_units=30, n_periods=8, n_treated=5)
    with pytest.warns(FewClustersWarning, match="only 5 of 30 clusters"):
        r = llq.twfe(df, outcome="y", unit="unit", time="t", treatment="d")
    assert r.extras["n_treated_clusters"] == 5
    with pytest.warns(FewClustersWarning):
        llq.twfe(df, outcome="y", unit="unit", time="t", treatment="d", few_treated_threshold=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewClustersWarning)
        llq.twfe(df, outcome="y", unit="unit", time="t", treatment="d", few_treated_threshold=5)


# -- 2x2 -----------------------------------------------------------------------------------------
def _two_by_two(df):
    d = df[df.year.isin([2003, 2004]) & df["first.treat"].isin([0, 2004])].copy()
    d["g"] = (d["first.treat"] > 0).astype(int)
    d["p"] = (d.year == 2004).astype(bool)
    return d


def test_did_2x2_references(mpdta):
    d = _two_by_two(mpdta)
    ref = OURS["did_2x2"]
    r = llq.did(d, outcome="lemp", group="g", post="p")
    assert r.estimate == pytest.approx(ref["coef"], abs=1e-12)
    assert r.se == pytest.approx(ref["se_hc1"], rel=1e-10)
    assert r.n_obs == ref["nobs"]
    # published: the 2x2 DiD here is Callaway & Sant'Anna's ATT(2004, 2004) (R did)
    a = EXPECTED["nev_attgt_2004_2004"]
    assert abs(r.estimate - a["value"]) <= a["tol"]
    # closed form: saturated model, HC0 variance of a cell mean = sum (y - mean)^2 / n_c^2; HC1 * n/(n-4)
    v = sum(((c - c.mean()) ** 2).sum() / len(c) ** 2 for _, c in d.groupby(["g", "p"])["lemp"])
    assert r.se == pytest.approx(np.sqrt(v * len(d) / (len(d) - 4)), rel=1e-10)
    m = r.extras["means"].set_index("group")
    assert m.loc["difference (1 - 0)", "change"] == pytest.approx(r.estimate, abs=1e-12)
    assert m.loc["treated (1)", "n_pre"] == 20 and m.loc["control (0)", "n_post"] == 309
    rc = _quiet(llq.did, d, outcome="lemp", group="g", post="p", cluster="countyreal")
    assert rc.se == pytest.approx(ref["se_cr1"], rel=1e-10)
    assert rc.n_clusters == 329


def test_did_2x2_bad_input(mpdta):
    d = _two_by_two(mpdta)
    with pytest.raises(DataValidationError, match="0/1"):
        llq.did(d.assign(g=d.g * 2), outcome="lemp", group="g", post="p")
    with pytest.raises(DataValidationError, match="observations with g=1"):
        llq.did(d[d.g == 0], outcome="lemp", group="g", post="p")
    with pytest.raises(DataValidationError, match="'cl'"):
        llq.did(d, outcome="lemp", group="g", post="p", cluster="cl")


# -- simulation: known effect --------------------------------------------------------------------
def _sim_panel(rng, n_units=40, n_periods=8, effect=1.0, rho=0.8, n_treated=None):
    """SIMULATED staggered panel with a homogeneous effect and AR(1) errors (serial correlation)."""
    cohorts = np.array([0, 4, 5, 6])
    if n_treated is None:
        g = rng.choice(cohorts, size=n_units, p=[0.4, 0.2, 0.2, 0.2])
    else:
        g = np.zeros(n_units, dtype=int)
        g[:n_treated] = rng.choice(cohorts[1:], size=n_treated)
    e = np.zeros((n_units, n_periods))
    e[:, 0] = rng.normal(size=n_units) / np.sqrt(1 - rho ** 2)
    for t in range(1, n_periods):
        e[:, t] = rho * e[:, t - 1] + rng.normal(size=n_units)
    unit = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(n_periods), n_units)
    d = ((g[unit] > 0) & (t >= g[unit])).astype(int)
    y = rng.normal(size=n_units)[unit] + 0.3 * t + effect * d + e.ravel()
    return pd.DataFrame({"unit": unit, "t": t, "cohort": g[unit], "d": d, "y": y})


def test_twfe_simulation_bias_and_coverage(mpdta):
    rng = np.random.default_rng(2024)
    reps, effect = 100, 1.0
    est, cover, cover_iid = [], 0, 0
    for i in range(reps):
        df = _sim_panel(rng, effect=effect)
        # the fast engine (tested equal to pyfixest on the references above); spot-check equality here too
        r = llq.twfe(df, outcome="y", unit="unit", time="t", treatment="d", engine="numpy")
        ri = llq.twfe(df, outcome="y", unit="unit", time="t", treatment="d", vcov="iid", engine="numpy")
        if i < 3:
            rp = llq.twfe(df, outcome="y", unit="unit", time="t", treatment="d")
            assert (rp.estimate, rp.se) == pytest.approx((r.estimate, r.se), rel=1e-9)
        est.append(r.estimate)
        cover += r.ci[0] <= effect <= r.ci[1]
        cover_iid += ri.ci[0] <= effect <= ri.ci[1]
    est = np.array(est)
    assert abs(est.mean() - effect) < 3 * est.std() / np.sqrt(reps)  # unbiased
    assert abs(est.mean() - effect) < 0.05 * effect
    assert 0.88 <= cover / reps <= 1.0  # CR1: ~95 %
    assert cover_iid / reps < 0.86  # negative control: iid SEs ignore serial correlation and under-cover


# -- bundled panel: irregular election years, unbalanced outcome -------------------------------
def test_bundled_panel_turnout_irregular_years(panel, mpdta):
    df = panel.assign(D=((panel.llq_first_year > 0) & (panel.year >= panel.llq_first_year)).astype(int))
    n_missing = int(df.turnout_buergerschaft.isna().sum())
    assert n_missing > 0
    with pytest.warns(DroppedRowsWarning, match=f"{n_missing} of {len(df)} rows"):
        r = llq.twfe(df, outcome="turnout_buergerschaft", unit="quartier_id", time="year", treatment="D")
    assert r.n_obs + len(r.dropped) == len(df)
    assert set(r.dropped["missing"]) == {"turnout_buergerschaft"}
    assert r.provenance == "simulated" and "Simulierte Daten" in r.summary()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        es = llq.event_study(df, outcome="turnout_buergerschaft", unit="quartier_id", time="year",
                             cohort="llq_first_year", ref=-2)
    # election years every 4 years: relative periods only estimable where the data allow;
    # the others are reported (NaN + warning), never silently dropped; no internal names leak
    msgs = [str(w.message) for w in rec]
    assert not any("x1__" in m or "__" in m for m in msgs)
    nan_periods = es.table.loc[~es.table.reference & es.table.estimate.isna(), "rel_time"].tolist()
    if nan_periods:
        assert any("collinear" in w for w in es.warnings)
    with pytest.raises(DataValidationError, match="relative periods present"):
        _quiet(llq.event_study, df, outcome="turnout_buergerschaft", unit="quartier_id", time="year",
               cohort="llq_first_year", ref=-10)
