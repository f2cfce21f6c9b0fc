"""Tests of llq_analysis.impact.spillover: DiD with spillovers to neighbours (issue 11, item 2).

Simulated panels (marked simulated) on a rook-adjacency grid with a known direct effect and a
known spillover effect on untreated neighbours; the point estimate and CR1 SE are checked against
an independent statsmodels OLS with unit and time dummies, the exposure against a plain loop;
bias, CI coverage and rejection rates come from a Monte Carlo (fast version by default, the
full one behind ``@pytest.mark.study``; its figures are in docs/methods_spillover.md).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import llq_analysis as llq
from llq_analysis.errors import DataValidationError
from llq_analysis.impact.spillover import exposure, spillover_did

TAU, GAMMA = -2.0, -0.8  # true direct effect and spillover effect (share 1) in outcome units


def grid_neighbours(rows: int, cols: int) -> pd.DataFrame:
    """Rook adjacency of a rows x cols grid, both directions (ids 'g000'...)."""
    pairs = []
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c
            for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                if 0 <= rr < rows and 0 <= cc < cols:
                    pairs.append((f"g{i:03d}", f"g{rr * cols + cc:03d}"))
    return pd.DataFrame(pairs, columns=["quartier_id", "neighbour_id"])


def grid_panel(seed: int, *, rows: int = 8, cols: int = 14, years: int = 20, n_treated: int = 28,
               tau: float = TAU, gamma: float = GAMMA, rho: float = 0.5, sd: float = 1.0,
               starts: tuple[int, ...] = (2008, 2010, 2012), dose: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulated panel (112 units x 20 years by default) on a rook grid; see :func:`adjacency_panel`.

    ``n_treated`` random units start in one of ``starts`` (absorbing). Returns (panel, neighbours)."""
    rng = np.random.default_rng(seed)
    nb = grid_neighbours(rows, cols)
    n = rows * cols
    start = np.zeros(n, dtype=int)
    start[rng.choice(n, size=n_treated, replace=False)] = rng.choice(starts, size=n_treated)
    ids = np.array([f"g{i:03d}" for i in range(n)])
    panel = adjacency_panel(rng, ids, nb, start, np.arange(2000, 2000 + years), tau=tau, gamma=gamma, rho=rho,
                            sd=sd, dose=dose)
    return panel, nb


def adjacency_panel(rng: np.random.Generator, ids: np.ndarray, nb: pd.DataFrame, start: np.ndarray,
                    yrs: np.ndarray, *, tau: float = TAU, gamma: float = GAMMA, rho: float = 0.5, sd: float = 1.0,
                    dose: bool = False) -> pd.DataFrame:
    """y = a_i + l_t + tau D + gamma S + AR(1) noise on any adjacency (marked simulated).

    ``start``: first treated year per unit (0 = never); S = share of treated neighbours for untreated
    unit-periods (0 without neighbours). ``dose=True``: D is a dose in EUR per resident (1..3)."""
    n, years = len(ids), len(yrs)
    level = rng.uniform(1, 3, n) if dose else np.ones(n)
    on = (start[:, None] > 0) & (yrs[None, :] >= start[:, None])  # units x years
    A = np.zeros((n, n))
    A[pd.Index(ids).get_indexer(nb["quartier_id"]), pd.Index(ids).get_indexer(nb["neighbour_id"])] = 1.0
    deg = A.sum(axis=1, keepdims=True)
    share = np.divide(A @ on, deg, out=np.zeros((n, years)), where=deg > 0)
    s = np.where(on, 0.0, share)
    e = np.empty((n, years))
    e[:, 0] = rng.normal(0, sd, n)
    for k in range(1, years):
        e[:, k] = rho * e[:, k - 1] + math.sqrt(1 - rho ** 2) * rng.normal(0, sd, n)
    d = np.where(on, level[:, None], 0.0)
    y = rng.normal(20, 3, n)[:, None] + np.cumsum(rng.normal(0, 0.5, years))[None, :] + tau * d + gamma * s + e
    return pd.DataFrame({"quartier_id": np.repeat(ids, years), "year": np.tile(yrs, n), "y": y.ravel(),
                         "treat": d.ravel(), "true_exposure": s.ravel(), "y_provenance": "simulated"})


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


KW = {"outcome": "y", "unit": "quartier_id", "time": "year", "treatment": "treat"}


@pytest.fixture(scope="module")
def sim():
    return grid_panel(11)


def test_exposure_equals_a_plain_loop(sim):
    panel, nb = sim
    ex = exposure(panel, unit="quartier_id", time="year", treatment="treat", neighbours=nb)
    adj = nb.groupby("quartier_id")["neighbour_id"].apply(list).to_dict()
    treated = {(r.quartier_id, r.year): r.treat > 0 for r in panel.itertuples()}
    loop = [sum(treated[(v, r.year)] for v in adj[r.quartier_id]) / len(adj[r.quartier_id])
            for r in panel.itertuples()]
    np.testing.assert_allclose(ex["exposure"].to_numpy(), loop, atol=1e-15)
    s = ex["exposure"].to_numpy() * (1 - ex["treated"].to_numpy())
    np.testing.assert_allclose(s, panel["true_exposure"].to_numpy(), atol=1e-15)
    cnt = exposure(panel, unit="quartier_id", time="year", treatment="treat", neighbours=adj, kind="count")
    np.testing.assert_allclose(cnt["exposure"], ex["exposure"] * ex["n_neighbours"], atol=1e-12)


def test_point_estimate_and_cr1_se_equal_statsmodels_dummies(sim):
    import statsmodels.formula.api as smf

    panel, nb = sim
    res = _quiet(spillover_did, panel, **KW, neighbours=nb)
    d = panel.assign(S=panel["true_exposure"])
    ols = smf.ols("y ~ treat + S + C(quartier_id) + C(year)", data=d).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d["quartier_id"])[0]})
    assert res.estimate == pytest.approx(ols.params["treat"], abs=1e-10)
    assert res.spillover == pytest.approx(ols.params["S"], abs=1e-10)
    # statsmodels' cluster correction G/(G-1) (N-1)/(N-K) with all dummies in K = our CR1
    assert res.se == pytest.approx(ols.bse["treat"], rel=1e-8)
    assert float(res.term("spillover")["se"]) == pytest.approx(ols.bse["S"], rel=1e-8)
    assert res.n_clusters == 112 and res.n_obs == len(panel)


def test_result_interface_german_and_english(sim):
    panel, nb = sim
    res = _quiet(spillover_did, panel, **KW, neighbours=nb, spill_on_treated=True)
    assert list(res.to_frame()["term"]) == ["direct", "spillover", "spillover_treated"]
    de, en = res.summary(), res.summary("en")
    assert "Direkte Wirkung der Förderung" in de and "Übertragung auf ungeförderte Nachbarn" in de
    assert "Nicht getrennt" in de and "Simulierte Daten" in de
    assert "Direct effect of funding" in en and "Not separated" in en
    fig = res.plot()
    assert len(fig.axes[0].get_xticklabels()) == 3
    import matplotlib.pyplot as plt

    plt.close(fig)
    assert res.extras["n_pure_control_units"] > 0
    assert set(res.extras["exposure"].columns) >= {"quartier_id", "year", "treated", "exposure"}


def test_naive_twfe_is_biased_and_spillover_did_is_not():
    """The reason for the estimator: untreated neighbours that benefit make TWFE understate the effect."""
    naive, spill = [], []
    for seed in range(30):
        panel, nb = grid_panel(seed, gamma=-1.5)
        naive.append(_quiet(llq.twfe, panel, **KW).estimate)
        spill.append(_quiet(spillover_did, panel, **KW, neighbours=nb).estimate)
    se_mc = np.std(spill, ddof=1) / math.sqrt(len(spill))
    assert abs(np.mean(spill) - TAU) < 4 * se_mc
    assert np.mean(naive) - TAU > 6 * np.std(naive, ddof=1) / math.sqrt(len(naive))  # towards zero


def _monte_carlo(reps: int, *, tau: float, gamma: float, inference: str = "cr1", seed0: int = 1000, **kw):
    out = []
    for r in range(reps):
        panel, nb = grid_panel(seed0 + r, tau=tau, gamma=gamma, **kw)
        res = _quiet(spillover_did, panel, **KW, neighbours=nb, inference=inference, reps=999)
        for term, truth in (("direct", tau), ("spillover", gamma)):
            row = res.term(term)
            out.append({"rep": r, "term": term, "truth": truth, "estimate": row.estimate, "se": row.se,
                        "covered": row.ci_low <= truth <= row.ci_high, "reject0": row.pvalue < 0.05})
    return pd.DataFrame(out)


def mc_summary(mc: pd.DataFrame) -> pd.DataFrame:
    g = mc.groupby("term")
    return pd.DataFrame({
        "truth": g["truth"].first(), "mean": g["estimate"].mean(),
        "bias": g["estimate"].mean() - g["truth"].first(),
        "mc_se_bias": g["estimate"].std(ddof=1) / np.sqrt(g.size()),
        "sd_estimate": g["estimate"].std(ddof=1), "mean_se": g["se"].mean(),
        "coverage": g["covered"].mean(), "reject0": g["reject0"].mean(), "reps": g.size()})


def test_monte_carlo_small_bias_and_coverage():
    """100 panels: bias within 4 Monte Carlo SEs; coverage of the 95 % CR1 CI within 4 binomial SEs."""
    s = mc_summary(_monte_carlo(100, tau=TAU, gamma=GAMMA))
    for term in ("direct", "spillover"):
        r = s.loc[term]
        assert abs(r.bias) < 4 * r.mc_se_bias, s
        assert abs(r.coverage - 0.95) < 4 * math.sqrt(0.95 * 0.05 / r.reps), s
        assert r.mean_se == pytest.approx(r.sd_estimate, rel=0.3), s  # CR1 SE tracks the sampling SD


def test_dose_treatment_direct_effect_per_eur():
    mc = []
    for seed in range(40):
        panel, nb = grid_panel(seed, dose=True, tau=-0.7)
        mc.append(_quiet(spillover_did, panel, **KW, neighbours=nb).estimate)
    assert abs(np.mean(mc) + 0.7) < 4 * np.std(mc, ddof=1) / math.sqrt(len(mc))


def test_wild_bootstrap_inference_runs_and_agrees_with_cr1_on_many_clusters(sim):
    panel, nb = sim
    cr1 = _quiet(spillover_did, panel, **KW, neighbours=nb)
    wild = _quiet(spillover_did, panel, **KW, neighbours=nb, inference="wild", reps=999)
    assert wild.estimate == cr1.estimate and wild.se == cr1.se
    assert "wild cluster bootstrap" in wild.spec["inference"]
    for term in ("direct", "spillover"):
        a, b = cr1.term(term), wild.term(term)
        assert b.ci_low < b.estimate < b.ci_high
        assert (b.ci_high - b.ci_low) == pytest.approx(a.ci_high - a.ci_low, rel=0.25)


@pytest.mark.parametrize(("mutate", "match"), [
    (lambda p, nb: (p, nb.assign(neighbour_id=nb["quartier_id"])), r"its own neighbour"),
    (lambda p, nb: (p, pd.concat([nb, pd.DataFrame({"quartier_id": ["g000"], "neighbour_id": ["zz9"]})])),
     r"column 'neighbour_id'.*units of the panel's 'quartier_id'.*found 'zz9'"),
    (lambda p, nb: (p, nb.rename(columns={"neighbour_id": "nb"})), r"column 'neighbour_id'.*in neighbours"),
    (lambda p, nb: (p.assign(treat=0.0), nb), r"column 'treat'.*some treated unit-periods"),
    (lambda p, nb: (p, nb.iloc[:0]), r"no exposure: the spillover effect is not identified"),
    (lambda p, nb: (pd.concat([p, p.iloc[[3]]]), nb), r"'g000' has 2 rows for year 2003"),
    (lambda p, nb: (p.assign(treat=p["treat"] * -1), nb), r"column 'treat'.*treatment >= 0"),
    (lambda p, nb: (p[p["year"] == 2015], nb),
     r"column 'treat, exposure of untreated units \(neighbours\)'.*not collinear.*periods 2015\)"),
])
def test_bad_input_errors(sim, mutate, match):
    panel, nb = mutate(*sim)
    with pytest.raises(DataValidationError, match=match):
        _quiet(spillover_did, panel, **KW, neighbours=nb)


def test_unknown_neighbours_can_be_ignored_with_warning_and_inputs_not_mutated(sim):
    panel, nb = sim
    extra = pd.concat([nb, pd.DataFrame({"quartier_id": ["g000"], "neighbour_id": ["zz9"]})])
    before_p, before_nb = panel.copy(), extra.copy()
    with pytest.warns(UserWarning, match="zz9"):
        res = spillover_did(panel, **KW, neighbours=extra, unknown_neighbours="ignore")
    base = _quiet(spillover_did, panel, **KW, neighbours=nb)
    assert res.estimate == pytest.approx(base.estimate, abs=1e-12)
    pd.testing.assert_frame_equal(panel, before_p)
    pd.testing.assert_frame_equal(extra, before_nb)
    with pytest.raises(ValueError, match="inference must be one of"):
        spillover_did(panel, **KW, neighbours=nb, inference="bootstrap")


def test_missing_outcome_rows_are_reported_but_keep_their_funding_for_exposure(sim):
    panel, nb = sim
    holes = panel.copy()
    treated_row = holes.index[holes["treat"] > 0][0]
    holes.loc[treated_row, "y"] = np.nan
    res = _quiet(spillover_did, holes, **KW, neighbours=nb)
    assert list(res.dropped["row"]) == [treated_row]
    full = exposure(panel, unit="quartier_id", time="year", treatment="treat", neighbours=nb)
    kept = res.extras["exposure"]
    np.testing.assert_allclose(kept["exposure"], full.loc[kept.index, "exposure"])


def real_adjacency():
    """The real Ortsteil adjacency (llq.neighbours()) and the real LLQ start years of the bundled
    panel; only the outcomes are simulated. Ids come from the loaded tables."""
    try:
        nb = llq.neighbours()
        panel = llq.load_panel()
    except Exception as exc:  # the data layer is optional here
        pytest.skip(f"real adjacency not available: {exc}")
    start_by = pd.to_numeric(panel.groupby("quartier_id")["llq_first_year"].max(), errors="coerce").fillna(0)
    ids = np.array(sorted(set(start_by.index) | set(nb["quartier_id"]) | set(nb["neighbour_id"])), dtype=object)
    start = start_by.reindex(ids).fillna(0).astype(int).to_numpy()
    return ids, nb[["quartier_id", "neighbour_id"]].astype(object), start


def real_adjacency_mc(reps: int, *, tau: float = TAU, gamma: float = GAMMA, seed0: int = 5000) -> pd.DataFrame:
    ids, nb, start = real_adjacency()
    out = []
    for r in range(reps):
        panel = adjacency_panel(np.random.default_rng(seed0 + r), ids, nb, start, np.arange(2005, 2025),
                                tau=tau, gamma=gamma)
        res = _quiet(spillover_did, panel, **KW, neighbours=nb)
        for term, truth in (("direct", tau), ("spillover", gamma)):
            row = res.term(term)
            out.append({"rep": r, "term": term, "truth": truth, "estimate": row.estimate, "se": row.se,
                        "covered": row.ci_low <= truth <= row.ci_high, "reject0": row.pvalue < 0.05})
    return pd.DataFrame(out)


def test_monte_carlo_on_the_real_adjacency():
    """Issue 11: known direct and spillover effects on the real Ortsteil adjacency and the real
    funded Ortsteile / start years (simulated outcomes), 60 panels."""
    ids, nb, start = real_adjacency()
    assert (start > 0).sum() >= 5
    s = mc_summary(real_adjacency_mc(60))
    for term in ("direct", "spillover"):
        r = s.loc[term]
        assert abs(r.bias) < 4 * r.mc_se_bias, s
        assert abs(r.coverage - 0.95) < 4 * math.sqrt(0.95 * 0.05 / r.reps), s


@pytest.mark.study
def test_monte_carlo_study_prints_figures():
    """The figures of docs/methods_spillover.md: grid 1,000 panels (CR1), 1,000 under the null, 200 wild;
    real adjacency 500 + 500."""
    rows = []
    for label, kw in (("effects, CR1", {"tau": TAU, "gamma": GAMMA}),
                      ("null, CR1", {"tau": 0.0, "gamma": 0.0}),
                      ("null, wild", {"tau": 0.0, "gamma": 0.0, "inference": "wild"}),
                      ("effects, wild", {"tau": TAU, "gamma": GAMMA, "inference": "wild"})):
        reps = 200 if "wild" in label else 1000
        s = mc_summary(_monte_carlo(reps, **kw)).assign(design=label)
        rows.append(s)
        for term in ("direct", "spillover"):
            r = s.loc[term]
            assert abs(r.bias) < 4 * r.mc_se_bias
            assert abs(r.coverage - 0.95) < 4 * math.sqrt(0.95 * 0.05 / r.reps)
            if r.truth == 0:
                assert abs(r.reject0 - 0.05) < 4 * math.sqrt(0.05 * 0.95 / r.reps)
    for label, kw in (("real adjacency, effects, CR1", {"tau": TAU, "gamma": GAMMA}),
                      ("real adjacency, null, CR1", {"tau": 0.0, "gamma": 0.0})):
        s = mc_summary(real_adjacency_mc(500, **kw)).assign(design=label)
        rows.append(s)
        for term in ("direct", "spillover"):
            r = s.loc[term]
            assert abs(r.bias) < 4 * r.mc_se_bias
            assert abs(r.coverage - 0.95) < 4 * math.sqrt(0.95 * 0.05 / r.reps)
    out = pd.concat(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(out.round(4))
