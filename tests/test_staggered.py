"""Staggered estimators: checks against independent computations, known effects and bad input.

References used here (besides R ``did`` in test_reference_mpdta.py):
* closed-form ATT(g,t) = difference of mean changes and its influence-function SE (no covariates),
  also on unbalanced panels and irregular time grids;
* Sun & Abraham = pyfixest saturated regression (cohort x event-time dummies, never-treated
  controls, unit + year FE, CRV1 by unit) + cohort-share weights (fixest ``sunab`` recipe);
* imputation = direct least squares on the untreated observations (BJS 2024 eq. 4-6) and the
  Theorem 3 conservative variance written out with dense matrices;
* Goodman-Bacon = pyfixest TWFE coefficient (identity) and the weight formula of Goodman-Bacon
  (2021, eq. 10e-g) with each 2x2 estimated by pyfixest on its subsample.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llq_analysis.errors import DataValidationError
from llq_analysis.impact import _prep
from llq_analysis.impact.bacon import bacon_decomposition
from llq_analysis.impact.event_time import imputation_did, sun_abraham
from llq_analysis.impact.staggered import staggered_did

REF = Path(__file__).parent / "reference" / "mpdta"
KW = {"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat"}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(REF / "mpdta.csv")


def small_panel(seed: int = 0, n: int = 60, years=range(2012, 2025), cohorts=(2021, 2022, 2023, 2024),
                share_never: float = 0.5, effect: float = -1.0, dynamic: float = 0.0) -> pd.DataFrame:
    """Tiny staggered panel with a known effect ``effect + dynamic * event_time`` after the start."""
    rng = np.random.default_rng(seed)
    years = list(years)
    g = np.where(rng.random(n) < share_never, 0, rng.choice(cohorts, n))
    a = rng.normal(0, 2, n)
    lam = rng.normal(0, 1, len(years))
    rows = []
    for i in range(n):
        for j, y in enumerate(years):
            treated = g[i] > 0 and y >= g[i]
            eff = (effect + dynamic * (y - g[i])) if treated else 0.0
            rows.append((f"q{i:03d}", y, g[i], a[i] + lam[j] + eff + rng.normal(0, 0.3)))
    return pd.DataFrame(rows, columns=["q", "year", "first", "y"])


def closed_form_attgt(df, *, unit, time, cohort, outcome, g, t, base, control="never"):
    """ATT(g,t) = mean change of cohort g minus mean change of controls between base and t, and
    its influence-function SE (units observed in both periods)."""
    w = df.pivot(index=unit, columns=time, values=outcome)
    coh = df.groupby(unit)[cohort].first().reindex(w.index)
    dy = (w[t] - w[base]).dropna()
    c = coh.reindex(dy.index)
    tr = dy[c == g]
    ctrl = dy[(c == 0)] if control == "never" else dy[(c == 0) | (c > max(t, base))]
    att = tr.mean() - ctrl.mean()
    n = w.shape[0]
    psi = np.concatenate([(tr - tr.mean()) / len(tr), -(ctrl - ctrl.mean()) / len(ctrl)]) * n
    return att, np.sqrt(np.sum(psi**2)) / n


# ---------------------------------------------------------------------------------------------
# Callaway & Sant'Anna
# ---------------------------------------------------------------------------------------------
def test_cs_unbalanced_panel_matches_closed_form(mpdta):
    d = mpdta.drop(mpdta.sample(150, random_state=3).index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = staggered_did(d, **KW)
    assert any("unbalanced" in w for w in r.warnings)
    for g, t in [(2004, 2005), (2006, 2007), (2007, 2005), (2006, 2004)]:
        base = g - 1 if t >= g else t - 1
        att, se = closed_form_attgt(d, unit="countyreal", time="year", cohort="first.treat", outcome="lemp",
                                    g=g, t=t, base=base)
        row = r.att_gt[(r.att_gt.group == g) & (r.att_gt.time == t)].iloc[0]
        assert row.att == pytest.approx(att, abs=1e-12)
        assert row.se == pytest.approx(se, rel=1e-9)


def test_cs_irregular_grid_uses_observed_periods_and_index_steps(mpdta):
    d = mpdta[mpdta.year.isin([2003, 2005, 2007])]
    r = staggered_did(d, **KW)
    a = r.att_gt.set_index(["group", "time"])
    # cohort 2004 is first observed treated in 2005 (event time 0), base = 2003
    att, se = closed_form_attgt(d, unit="countyreal", time="year", cohort="first.treat", outcome="lemp",
                                g=2004, t=2005, base=2003)
    assert a.loc[(2004, 2005), "att"] == pytest.approx(att, abs=1e-12)
    assert a.loc[(2004, 2005), "se"] == pytest.approx(se, rel=1e-9)
    assert a.loc[(2004, 2005), "event_time"] == 0
    assert a.loc[(2004, 2007), "event_time"] == 1
    assert a.loc[(2007, 2005), "event_time"] == -1  # 2005 is one observed period before 2007
    dyn = r.aggregate("dynamic").table
    assert set(dyn["term"]) == {"-1", "0", "1", "overall"}  # 2003 serves only as a base period


def test_cs_election_years_with_missing_outcome_rows_reported():
    df = small_panel(seed=4, n=80, effect=2.0)
    df.loc[~df["year"].isin([2015, 2019, 2023]), "y"] = np.nan  # turnout: only election years
    with pytest.warns(_prep.DroppedRowsWarning):
        r = staggered_did(df, outcome="y", unit="q", time="year", cohort="first")
    assert len(r.dropped) == 80 * 10
    assert set(r.dropped.columns) >= {"row", "q", "year", "reason"}
    assert set(r.att_gt["time"]) == {2019, 2023}
    # cohort 2024 lies after the last observed period (2023): treated as never treated, said so
    assert any("after the last period" in w for w in r.warnings)
    assert set(r.att_gt["group"]) <= {2021, 2022, 2023}
    assert abs(r.estimate - 2.0) < 4 * r.se


def test_cs_recovers_known_effect_and_pretrends_null():
    df = small_panel(seed=1, n=120, effect=-1.0)
    r = staggered_did(df, outcome="y", unit="q", time="year", cohort="first")
    assert abs(r.estimate + 1.0) < 4 * r.se
    assert r.se < 0.1
    pre = r.aggregate("dynamic").table
    pre = pre[pre["element"].apply(lambda e: e is not None and e < 0)]
    assert (pre["estimate"].abs() < 4 * pre["se"]).all()
    assert r.pretest()["df"] == len(r.att_gt.query("event_time < 0"))


def test_cs_not_yet_treated_without_never_treated_equals_r_rule(mpdta):
    d = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(DataValidationError, match="not_yet_treated"):
        staggered_did(d, **KW)
    r = staggered_did(d, **KW, control="not_yet_treated")
    assert any("last cohort (2007)" in w for w in r.warnings)
    assert (r.dropped["year"] == 2007).all() and len(r.dropped) == d["year"].eq(2007).sum()
    # R did: drop periods >= last cohort, the last cohort becomes the comparison group
    manual = d[d.year < 2007].copy()
    manual.loc[manual["first.treat"] == 2007, "first.treat"] = 0
    m = staggered_did(manual, **KW, control="not_yet_treated")
    pd.testing.assert_frame_equal(r.att_gt, m.att_gt)


def test_cs_all_units_start_together_is_an_error(mpdta):
    d = mpdta[mpdta["first.treat"] == 2006]
    with pytest.raises(DataValidationError, match="no comparison group"):
        staggered_did(d, **KW, control="not_yet_treated")


def test_cs_bad_input_errors(mpdta):
    with pytest.raises(DataValidationError, match="lempx"):
        staggered_did(mpdta, **{**KW, "outcome": "lempx"})
    bad = mpdta.assign(lemp=mpdta["lemp"].astype(str).str.replace(".", ",", regex=False))
    with pytest.raises(DataValidationError, match="numeric"):
        staggered_did(bad, **KW)
    switch = mpdta.copy()
    switch.loc[(switch.countyreal == 8001) & (switch.year == 2005), "first.treat"] = 0
    with pytest.raises(DataValidationError, match="one value per"):
        staggered_did(switch, **KW)
    dup = pd.concat([mpdta, mpdta.head(1)])
    with pytest.raises(DataValidationError, match="one row per"):
        staggered_did(dup, **KW)
    with pytest.raises(ValueError, match="control"):
        staggered_did(mpdta, **KW, control="never")
    with pytest.raises(DataValidationError, match="treated unit"):
        staggered_did(mpdta.assign(**{"first.treat": 0}), **KW)


def test_cs_single_unit_cohort_and_always_treated_reported(mpdta):
    d = mpdta.copy()
    one = d.loc[d["first.treat"] == 2004, "countyreal"].unique()[0]
    d = d[(d["first.treat"] != 2004) | (d.countyreal == one)]
    always = d.loc[d["first.treat"] == 0, "countyreal"].unique()[:3]
    d.loc[d.countyreal.isin(always), "first.treat"] = 2003
    with pytest.warns(_prep.SmallCohortWarning):
        r = staggered_did(d, **KW)
    assert any("single unit" in w for w in r.warnings)
    assert any("first period" in w for w in r.warnings)
    assert set(r.dropped["countyreal"]) == set(always)
    assert r.dropped["reason"].str.contains("no pre-treatment period").all()
    assert r.att_gt.loc[r.att_gt.group == 2004, "n_treated"].eq(1).all()


def test_cs_nan_outcome_dropped_and_listed(mpdta):
    d = mpdta.copy()
    d.loc[d.index[[3, 10, 200]], "lemp"] = np.nan
    before = d.copy()
    with pytest.warns(_prep.DroppedRowsWarning):
        r = staggered_did(d, **KW)
    pd.testing.assert_frame_equal(d, before)  # input not mutated
    assert sorted(r.dropped["row"]) == sorted(d.index[[3, 10, 200]])
    assert r.n_obs == len(d) - 3


def test_cs_string_time_labels_equal_numeric(mpdta):
    lab = {y: f"Y{y}" for y in range(2003, 2008)}
    d = mpdta.assign(year=mpdta.year.map(lab), **{"first.treat": mpdta["first.treat"].map(lambda g: lab.get(g, 0))})
    r = staggered_did(d, **KW)
    base = staggered_did(mpdta, **KW)
    assert r.estimate == pytest.approx(base.estimate, abs=1e-12)
    assert set(r.att_gt["group"]) == {"Y2004", "Y2006", "Y2007"}
    assert r.att_gt["att"].to_numpy() == pytest.approx(base.att_gt["att"].to_numpy(), abs=1e-12)


def test_cs_bootstrap_reproducible_and_bands(mpdta):
    r1 = staggered_did(mpdta, **KW, bootstrap=999, seed=7)
    r2 = staggered_did(mpdta, **KW, bootstrap=999, seed=7)
    a = staggered_did(mpdta, **KW)
    assert r1.se == r2.se
    assert r1.se == pytest.approx(a.se, rel=0.15)
    dyn = r1.aggregate("dynamic")
    crit = dyn.extras["crit_value"]
    k = len(dyn.table) - 1
    from scipy.stats import norm

    assert 1.96 < crit < norm.ppf(1 - 0.05 / (2 * k)) + 0.2  # between pointwise and Bonferroni
    el = dyn.table[dyn.table.term != "overall"]
    assert ((el.cband_high - el.cband_low) > (el.ci_high - el.ci_low)).all()
    assert dyn.table["se"].to_numpy() == pytest.approx(a.aggregate("dynamic").table["se"].to_numpy(), rel=0.25)
    assert "cband_low" in r1.att_gt and r1.spec["bootstrap"] == 999
    assert a.aggregate("dynamic", bootstrap=0).extras == {}


def test_cs_result_api(mpdta):
    import matplotlib

    matplotlib.use("Agg")
    r = staggered_did(mpdta, **KW)
    assert list(r.att_gt.columns[:10]) == ["group", "time", "event_time", "att", "se", "ci_low", "ci_high",
                                            "pvalue", "n_treated", "n_control"]
    assert r.to_frame()["term"].iloc[0] == "ATT(2004,2004)"
    assert "Callaway" in r.summary("de") and "Callaway" in r.summary("en")
    assert r.n_clusters == 500 and r.n_obs == 2500
    fig = r.plot()
    assert fig.axes
    g = r.aggregate("group")
    assert list(g.table["term"]) == ["2004", "2006", "2007", "overall"]
    assert r.aggregate("dynamic", min_e=-1, max_e=2).table["term"].tolist() == ["-1", "0", "1", "2", "overall"]
    with pytest.raises(ValueError, match="kind"):
        r.aggregate("cohort")
    assert r.aggregate("calendar").plot().axes


def test_cs_covariate_methods_recover_effect_with_covariate_trends():
    """Conditional parallel trends only: the trend depends on x; reg, dr, ipw recover the effect,
    the unconditional estimate does not."""
    rng = np.random.default_rng(11)
    n, years = 600, list(range(2015, 2025))
    x = rng.normal(0, 1, n)
    p_treat = 1 / (1 + np.exp(-1.2 * x))
    g = np.where(rng.random(n) < p_treat, rng.choice([2020, 2022], n), 0)
    rows = []
    for i in range(n):
        for y in years:
            eff = 1.0 if (g[i] and y >= g[i]) else 0.0
            rows.append((i, y, g[i], x[i], 0.5 * x[i] * (y - 2015) + eff + rng.normal(0, 0.5)))
    df = pd.DataFrame(rows, columns=["i", "year", "g", "x", "y"])
    kw = {"outcome": "y", "unit": "i", "time": "year", "cohort": "g"}
    naive = staggered_did(df, **kw)
    assert abs(naive.estimate - 1.0) > 5 * naive.se
    for m in ("reg", "dr", "ipw"):
        r = staggered_did(df, **kw, covariates=["x"], est_method=m)
        assert abs(r.estimate - 1.0) < 4 * r.se, m


# ---------------------------------------------------------------------------------------------
# Sun & Abraham
# ---------------------------------------------------------------------------------------------
def test_sun_abraham_equals_pyfixest_saturated_regression(mpdta):
    import pyfixest as pf

    df = mpdta.copy()
    g = df["first.treat"]
    e = df.year - g
    cols = []
    for gg in sorted(g[g > 0].unique()):
        for ee in sorted(e[g == gg].unique()):
            if ee != -1:
                nm = f"c{gg}_{ee + 10}"
                df[nm] = ((g == gg) & (e == ee)).astype(float)
                cols.append((nm, gg, ee))
    fit = pf.feols("lemp ~ " + "+".join(c[0] for c in cols) + " | countyreal + year", df,
                   vcov={"CRV1": "countyreal"})
    b, V = fit.coef(), np.asarray(fit._vcov)
    names = list(b.index)
    size = df[g > 0].groupby("first.treat").countyreal.nunique()
    r = sun_abraham(mpdta, **KW)
    tab = r.table.set_index("term")
    for ee in sorted({c[2] for c in cols}):
        cs = [c for c in cols if c[2] == ee]
        w = np.array([size[c[1]] for c in cs], float)
        w /= w.sum()
        idx = [names.index(c[0]) for c in cs]
        assert tab.loc[str(ee), "estimate"] == pytest.approx(w @ b.to_numpy()[idx], abs=1e-10)
        assert tab.loc[str(ee), "se"] == pytest.approx(np.sqrt(w @ V[np.ix_(idx, idx)] @ w), rel=1e-6)
    # headline: post cells weighted by treated observations = CS simple ATT on a balanced panel
    assert r.estimate == pytest.approx(staggered_did(mpdta, **KW).estimate, abs=1e-10)
    assert "-1" not in tab.index
    assert r.plot().axes


# ---------------------------------------------------------------------------------------------
# imputation (BJS)
# ---------------------------------------------------------------------------------------------
def _bjs_direct(df, loo=False):
    df = df.sort_values(["countyreal", "year"]).reset_index(drop=True)
    g, t, y = df["first.treat"].to_numpy(), df.year.to_numpy(), df.lemp.to_numpy()
    D = (g > 0) & (t >= g)
    u = pd.factorize(df.countyreal)[0]
    tt = pd.factorize(df.year, sort=True)[0]
    nu, nt = u.max() + 1, tt.max() + 1
    Z = np.zeros((len(df), nu + nt - 1))
    Z[np.arange(len(df)), u] = 1
    m = tt > 0
    Z[np.where(m)[0], nu + tt[m] - 1] = 1
    Z0, Z1 = Z[~D], Z[D]
    theta = np.linalg.lstsq(Z0, y[~D], rcond=None)[0]
    tau = y[D] - Z1 @ theta
    e = (t - g)[D]
    # Theorem 3: v for untreated obs, residuals; auxiliary means by cohort x event time
    w1 = np.full(D.sum(), 1 / D.sum())
    v0 = -Z0 @ (np.linalg.pinv(Z0.T @ Z0) @ (Z1.T @ w1))
    eps0 = y[~D] - Z0 @ theta
    key = pd.Series([f"{a}_{b}" for a, b in zip(g[D], e, strict=True)])
    eps1 = tau - pd.Series(tau).groupby(key.to_numpy()).transform("mean").to_numpy()
    if loo:  # BJS App. A.9: leave the unit out of its auxiliary mean -> residual x n_g / (n_g - 1)
        n_g = pd.Series(tau).groupby(key.to_numpy()).transform("size").to_numpy()
        eps1 = eps1 * n_g / (n_g - 1)
    contrib = np.zeros(len(df))
    contrib[~D] = v0 * eps0
    contrib[D] = w1 * eps1
    se = np.sqrt((pd.Series(contrib).groupby(u).sum() ** 2).sum())
    by_e = pd.Series(tau).groupby(e).mean()
    return tau.mean(), se, by_e


def test_imputation_equals_direct_bjs(mpdta):
    att, se, by_e = _bjs_direct(mpdta)
    r = imputation_did(mpdta, **KW, leave_one_out=False)  # R didimputation convention
    assert r.estimate == pytest.approx(att, abs=1e-10)
    assert r.se == pytest.approx(se, rel=1e-8)
    tab = r.table.set_index("term")
    for e, v in by_e.items():
        assert tab.loc[str(int(e)), "estimate"] == pytest.approx(v, abs=1e-10)
    gard = imputation_did(mpdta, **KW, variance="gardner")
    assert gard.estimate == pytest.approx(att, abs=1e-10)
    assert gard.se == pytest.approx(se, rel=0.1) and gard.se != se
    _, se_loo, _ = _bjs_direct(mpdta, loo=True)
    loo = imputation_did(mpdta, **KW)  # default: leave-one-out
    assert loo.se == pytest.approx(se_loo, rel=1e-8) and loo.se >= r.se
    pre = imputation_did(mpdta, **KW, pretrends=True)
    assert {"-2", "-3"} <= set(pre.table["term"])


def test_imputation_recovers_known_dynamic_effect():
    df = small_panel(seed=5, n=150, effect=-1.0, dynamic=-0.5)
    r = imputation_did(df, outcome="y", unit="q", time="year", cohort="first")
    tab = r.table.set_index("term")
    for e in range(0, 3):
        assert abs(tab.loc[str(e), "estimate"] - (-1.0 - 0.5 * e)) < 4 * tab.loc[str(e), "se"]


# ---------------------------------------------------------------------------------------------
# Goodman-Bacon
# ---------------------------------------------------------------------------------------------
def _twfe_coef(df, y, unit, time, d):
    import pyfixest as pf

    return float(pf.feols(f"{y} ~ {d} | {unit} + {time}", df, vcov="iid").coef()[d])


def _bacon_reference(df, y, unit, time, g):
    """Goodman-Bacon (2021) eq. 10e-g weights and each 2x2 by pyfixest on its subsample."""
    T = df[time].nunique()
    years = sorted(df[time].unique())
    coh = df.groupby(unit)[g].first()
    N = len(coh)
    n = {k: (coh == k).sum() / N for k in coh.unique()}
    Dbar = {k: sum(y_ >= k for y_ in years) / T for k in n if k != 0}
    df = df.assign(_D=((df[g] > 0) & (df[time] >= df[g])).astype(float))
    out = {}
    treated = sorted(k for k in n if k != 0)
    for k in treated:
        if 0 in n:
            nkU = n[k] / (n[k] + n[0])
            w = (n[k] + n[0]) ** 2 * nkU * (1 - nkU) * Dbar[k] * (1 - Dbar[k])
            sub = df[df[g].isin([k, 0])]
            out[(k, "never")] = (w, _twfe_coef(sub, y, unit, time, "_D"))
        for l_ in treated:
            if l_ <= k:
                continue
            nkl = n[k] / (n[k] + n[l_])
            dk, dl = Dbar[k], Dbar[l_]
            w_k = ((n[k] + n[l_]) * (1 - dl)) ** 2 * nkl * (1 - nkl) * (dk - dl) / (1 - dl) * (1 - dk) / (1 - dl)
            w_l = ((n[k] + n[l_]) * dk) ** 2 * nkl * (1 - nkl) * (dl / dk) * (dk - dl) / dk
            sub = df[df[g].isin([k, l_])]
            out[(k, l_)] = (w_k, _twfe_coef(sub[sub[time] < l_], y, unit, time, "_D"))
            out[(l_, k)] = (w_l, _twfe_coef(sub[sub[time] >= k], y, unit, time, "_D"))
    tot = sum(w for w, _ in out.values())
    return {key: (w / tot, est) for key, (w, est) in out.items()}


@pytest.mark.parametrize("which", ["mpdta", "simulated"])
def test_bacon_identity_and_weights(mpdta, which):
    if which == "mpdta":
        df, y, unit, time, g = mpdta.copy(), "lemp", "countyreal", "year", "first.treat"
    else:
        df, y, unit, time, g = small_panel(seed=9, n=90, dynamic=-0.4), "y", "q", "year", "first"
    df["D"] = ((df[g] > 0) & (df[time] >= df[g])).astype(int)
    b = bacon_decomposition(df, outcome=y, unit=unit, time=time, treatment="D")
    tw = _twfe_coef(df, y, unit, time, "D")
    assert b.estimate == pytest.approx(tw, abs=1e-10)
    assert b.table["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (b.table["weight"] * b.table["estimate"]).sum() == pytest.approx(tw, abs=1e-10)
    assert set(b.table["type"]) <= {"treated_vs_never", "earlier_vs_later", "later_vs_earlier"}
    ref = _bacon_reference(df, y, unit, time, g)
    for row in b.table.itertuples():
        k = row.treated
        c = "never" if row.control == "never" else row.control
        w, est = ref[(k, c)]
        assert row.weight == pytest.approx(w, rel=1e-8), (k, c)
        assert row.estimate == pytest.approx(est, abs=1e-10), (k, c)
        if row.type == "later_vs_earlier":
            assert k > c
    assert b.by_type["weight"].sum() == pytest.approx(1.0)
    assert b.plot().axes


def test_bacon_bad_input(mpdta):
    df = mpdta.copy()
    df["D"] = ((df["first.treat"] > 0) & (df.year >= df["first.treat"])).astype(int)
    off = df.copy()
    off.loc[(off["first.treat"] == 2004) & (off.year == 2007), "D"] = 0
    with pytest.raises(DataValidationError, match="absorbing"):
        bacon_decomposition(off, outcome="lemp", unit="countyreal", time="year", treatment="D")
    with pytest.raises(DataValidationError, match="0/1"):
        bacon_decomposition(df.assign(D=df.D * 2.5), outcome="lemp", unit="countyreal", time="year", treatment="D")
    unbal = df.drop(df.index[[0, 7]])
    with pytest.warns(_prep.DroppedRowsWarning):
        b = bacon_decomposition(unbal, outcome="lemp", unit="countyreal", time="year", treatment="D")
    assert b.dropped["countyreal"].nunique() == 2
    kept = unbal[~unbal.countyreal.isin(b.dropped["countyreal"])]
    assert b.estimate == pytest.approx(_twfe_coef(kept, "lemp", "countyreal", "year", "D"), abs=1e-10)


def test_cs_anticipation_and_universal_base(mpdta):
    # anticipation = 1: post cells compare with g - 2; cohort 2004 has no such period -> dropped
    a = staggered_did(mpdta, **KW, anticipation=1)
    assert 2004 not in set(a.att_gt["group"]) and set(a.dropped["reason"]) == {
        "treated from the first observed period: no pre-treatment period"}
    att, se = closed_form_attgt(mpdta, unit="countyreal", time="year", cohort="first.treat", outcome="lemp",
                                g=2007, t=2007, base=2005)
    row = a.att_gt[(a.att_gt.group == 2007) & (a.att_gt.time == 2007)].iloc[0]
    assert row.att == pytest.approx(att, abs=1e-12) and row.se == pytest.approx(se, rel=1e-9)
    # universal base period: post cells unchanged, pre cells against g - 1, reference cell 0;
    # with never-treated controls its pre-period event study equals Sun & Abraham's
    u = staggered_did(mpdta, **KW, base_period="universal")
    v = staggered_did(mpdta, **KW)
    post_u = u.att_gt[u.att_gt.event_time >= 0].reset_index(drop=True)
    post_v = v.att_gt[v.att_gt.event_time >= 0].reset_index(drop=True)
    assert post_u["att"].to_numpy() == pytest.approx(post_v["att"].to_numpy(), abs=1e-12)
    assert (u.att_gt.loc[u.att_gt.event_time == -1, "att"] == 0).all()
    sa = sun_abraham(mpdta, **KW).table.set_index("term")
    dyn = u.aggregate("dynamic").table.set_index("term")
    for e in ("-4", "-3", "-2"):
        assert dyn.loc[e, "estimate"] == pytest.approx(sa.loc[e, "estimate"], abs=1e-10)
    assert u.pretest()["stat"] == pytest.approx(v.pretest()["stat"], rel=1e-9)


def test_cs_treatment_column_checked(mpdta):
    d = mpdta.assign(D=((mpdta["first.treat"] > 0) & (mpdta.year >= mpdta["first.treat"])).astype(int))
    r = staggered_did(d, **KW, treatment="D")
    assert r.estimate == pytest.approx(staggered_did(mpdta, **KW).estimate)
    off = d.copy()
    off.loc[(off["first.treat"] == 2004) & (off.year == 2006), "D"] = 0
    with pytest.raises(DataValidationError, match="absorbing"):
        staggered_did(off, **KW, treatment="D")
    wrong = d.copy()
    wrong.loc[(wrong["first.treat"] == 2007) & (wrong.year == 2006), "D"] = 1
    with pytest.raises(DataValidationError, match="first.treat"):
        staggered_did(wrong, **KW, treatment="D")


def test_pretest_is_a_valid_wald_test_on_the_bundled_panel(panel):
    """Many pre-periods and few treated quartiers per cohort make V singular: the statistic must
    still be a proper (non-negative, finite) chi-square test with df = rank of V."""
    import llq_analysis as llq

    st = llq.staggered_did(panel, outcome="sgb2_rate", unit="quartier_id", time="year",
                           cohort="llq_first_year", control="never_treated")
    pt = st.pretest()
    assert np.isfinite(pt["stat"]) and pt["stat"] >= 0
    assert 0 < pt["df"] <= len(pt["cells"]) and 0 <= pt["pvalue"] <= 1
    assert {g for g, _ in pt["cells"]} == {2021}  # cohorts of 1-2 quartiers are left out, and said so
    assert "fewer than 5 units" in pt["note"]
    assert pt["pvalue"] > 0.01  # parallel trends hold by construction in the simulated panel
    every = st.pretest(min_cohort_size=1)  # R did behaviour: all cohorts (still a valid quadratic form)
    assert every["stat"] >= 0 and len(every["cells"]) > len(pt["cells"])
