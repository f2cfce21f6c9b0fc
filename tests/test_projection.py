"""Projection: hand-computed values, draws against explicit Monte Carlo / normal theory, shapes,
lag, dose-range warnings, comparison and targeting measures (independent formulas)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from llq_analysis.policy.allocation import allocate
from llq_analysis.policy.projection import (
    TOTAL,
    compare_scenarios,
    concentration_index,
    project,
    response,
    share_to_neediest,
)
from llq_analysis.policy.scenarios import Scenario


def panel3(year: int = 2024) -> pd.DataFrame:
    """Three quartiers (2 Bremen, 1 Bremerhaven), one base year plus an election year and a past year."""
    rows = []
    base = {"HB-a": ("Bremen", 1000, 800, 200, 20.0, 30.0, 10.0, 50.0, 700),
            "HB-b": ("Bremen", 4000, 3000, 500, 5.0, 8.0, 4.0, 70.0, 3000),
            "BHV-c": ("Bremerhaven", 2000, 1500, 400, 30.0, 45.0, 15.0, 40.0, 1400)}
    for y, dose in ((2023, {"HB-a": 2.0, "HB-b": 0.0, "BHV-c": 10.0}), (year, {"HB-a": 0.0, "HB-b": 0.0, "BHV-c": 0.0})):
        for q, (c, pop, pbr, pu15, s2, s2k, ue, to, el) in base.items():
            rows.append({"quartier_id": q, "city": c, "year": y, "population": pop,
                         "population_below_retirement_age": pbr, "population_u15": pu15,
                         "sgb2_rate": s2, "sgb2_rate_u15": s2k, "unemployment_rate": ue,
                         "turnout_buergerschaft": to if y == 2023 else np.nan,
                         "electorate_buergerschaft": el if y == 2023 else np.nan,
                         "llq_eur_per_capita": dose[q], "provenance": "user: test"})
    return pd.DataFrame(rows)


def alloc(amounts: dict[str, float], unattributed: dict[str, float] | None = None) -> pd.DataFrame:
    city = {"HB-a": "Bremen", "HB-b": "Bremen", "BHV-c": "Bremerhaven"}
    rows = [{"quartier_id": q, "city": city[q], "amount_eur": v} for q, v in amounts.items()]
    rows += [{"quartier_id": "", "city": c, "amount_eur": v} for c, v in (unattributed or {}).items()]
    a = pd.DataFrame(rows)
    a.attrs["year"] = 2024
    return a


def q_row(p, q, o="sgb2_rate"):
    d = p.quartiers
    return d[(d["quartier_id"] == q) & (d["outcome"] == o)].iloc[0]


def c_row(p, c, o="sgb2_rate"):
    d = p.cities
    return d[(d["city"] == c) & (d["outcome"] == o)].iloc[0]


def test_hand_computed_change_in_pp_and_persons():
    p = panel3()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = project(alloc({"HB-a": 5000.0, "BHV-c": 10000.0}), effect=-0.2, panel=p, draws=10, seed=1)
    # HB-a: 5 EUR/resident x -0.2 = -1 pp; persons = -1/100 x 800 = -8
    a = q_row(r, "HB-a")
    assert a["eur_per_capita"] == 5.0 and a["change_pp"] == pytest.approx(-1.0)
    assert a["persons"] == pytest.approx(-8.0) and a["change_pp_low"] == pytest.approx(-1.0)
    # BHV-c: 5 EUR/resident -> -1 pp x 1500 = -15 persons
    assert q_row(r, "BHV-c")["persons"] == pytest.approx(-15.0)
    # Bremen: -8 persons on a base of 800 + 3000 -> -8/3800 x 100 pp
    hb = c_row(r, "Bremen")
    assert hb["persons"] == pytest.approx(-8.0) and hb["change_pp"] == pytest.approx(-800 / 3800)
    tot = c_row(r, TOTAL)
    assert tot["persons"] == pytest.approx(-23.0) and tot["change_pp"] == pytest.approx(-2300 / 5300)
    assert tot["amount_eur"] == 15000.0
    assert r.spec["effects"]["sgb2_rate"]["provenance"] == "assumed"


def test_turnout_uses_the_last_election_and_the_electorate():
    p = panel3()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = project(alloc({"HB-a": 5000.0}), effect={"turnout_buergerschaft": 0.3}, panel=p, draws=5)
    a = q_row(r, "HB-a", "turnout_buergerschaft")
    assert a["base_value"] == 50.0 and a["change_pp"] == pytest.approx(1.5)
    assert a["persons"] == pytest.approx(1.5 / 100 * 700)
    assert r.spec["value_years"]["turnout_buergerschaft"] == 2023


def test_unemployment_has_no_person_base_but_a_population_weighted_rate():
    p = panel3()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = project(alloc({"HB-a": 5000.0}), effect={"unemployment_rate": -0.1}, panel=p, draws=5)
    hb = c_row(r, "Bremen", "unemployment_rate")
    assert np.isnan(hb["persons"])
    assert hb["change_pp"] == pytest.approx(-0.5 * 1000 / 5000)


def test_intervals_match_normal_theory_and_explicit_draws():
    p = panel3()
    est, se = -0.3, 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = project(alloc({"HB-a": 5000.0, "HB-b": 2000.0}), effect=(est, se), panel=p, draws=200_000, seed=3)
    a = q_row(r, "HB-a")
    lo, hi = norm.ppf([0.025, 0.975], loc=est * 5, scale=se * 5)
    assert a["change_pp_low"] == pytest.approx(lo, abs=0.01) and a["change_pp_high"] == pytest.approx(hi, abs=0.01)
    # city quantiles = quantiles of the explicit per-draw sums
    beta = r.beta_draws["sgb2_rate"]
    persons = beta[:, None] * np.array([5.0, 0.5]) * np.array([800, 3000]) / 100
    tot = persons.sum(axis=1)
    hb = c_row(r, "Bremen")
    assert hb["persons_low"] == pytest.approx(np.quantile(tot, 0.025), rel=1e-12)
    assert hb["persons_high"] == pytest.approx(np.quantile(tot, 0.975), rel=1e-12)
    np.testing.assert_allclose(r.draws["sgb2_rate"]["Bremen"], tot, rtol=1e-12)


def test_clipping_at_zero_percent_matches_an_explicit_matrix():
    """A large effect pushes rates below 0 in some draws; the clip must be applied draw by draw."""
    p = panel3()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = project(alloc({"HB-a": 20000.0, "HB-b": 20000.0}), effect=(-0.8, 0.6), panel=p, draws=5000, seed=5)
    beta = r.beta_draws["sgb2_rate"]
    d = np.array([20.0, 5.0])
    y = np.array([20.0, 5.0])
    delta = np.clip(beta[:, None] * d, -y, 100 - y)
    for j, qid in enumerate(["HB-a", "HB-b"]):
        row = q_row(r, qid)
        assert row["change_pp"] == pytest.approx(delta[:, j].mean(), rel=1e-12)
        assert row["change_pp_low"] == pytest.approx(np.quantile(delta[:, j], 0.025), rel=1e-12)
        assert row["change_pp_median"] == pytest.approx(np.quantile(delta[:, j], 0.5), rel=1e-12)
        assert row["change_pp_high"] == pytest.approx(np.quantile(delta[:, j], 0.975), rel=1e-12, abs=1e-12)
    tot = (delta * np.array([800, 3000]) / 100).sum(axis=1)
    hb = c_row(r, "Bremen")
    assert hb["persons"] == pytest.approx(tot.mean(), rel=1e-12)
    assert hb["persons_low"] == pytest.approx(np.quantile(tot, 0.025), rel=1e-12)
    assert (q_row(r, "HB-b")["change_pp_low"]) >= -5.0  # never below a rate of 0 %


def test_seed_reproducible_and_effect_results_accepted():
    from llq_analysis.impact.results import EffectResult

    p = panel3()
    res = EffectResult(method="dose", estimate=-0.2, se=0.05, ci=(-0.3, -0.1), pvalue=0.001, n_obs=100,
                       n_clusters=10, table=pd.DataFrame(), spec={"outcome": "sgb2_rate_u15"}, provenance="simulated")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r1 = project(alloc({"HB-a": 5000.0}), effect=res, panel=p, draws=100, seed=9)
        r2 = project(alloc({"HB-a": 5000.0}), effect=res, panel=p, draws=100, seed=9)
    assert r1.spec["outcomes"] == ["sgb2_rate_u15"] and r1.provenance == "simulated"
    pd.testing.assert_frame_equal(r1.cities, r2.cities)
    assert "Simulierte" in r1.summary() or "simuliert" in r1.summary()


@pytest.mark.parametrize("effect, match", [
    ({"sgb2_rat": -0.1}, "nearest: 'sgb2_rate'"),
    ((-0.1, -0.2), "se >= 0"),
    ("viel", "expected an impact result"),
])
def test_bad_effects_are_clear_errors(effect, match):
    with pytest.raises((ValueError, TypeError), match=match):
        project(alloc({"HB-a": 1.0}), effect=effect, panel=panel3())


def test_unknown_quartier_and_money_without_residents_are_errors():
    p = panel3()
    a = alloc({"HB-a": 1.0})
    a.loc[0, "quartier_id"] = "HB-x"
    with pytest.raises(ValueError, match="HB-x"):
        project(a, effect=-0.1, panel=p)
    p0 = p.copy()
    p0.loc[p0["quartier_id"] == "HB-a", "population"] = 0
    with pytest.raises(ValueError, match="without residents"):
        project(alloc({"HB-a": 1.0}), effect=-0.1, panel=p0)


def test_response_shapes_agree_at_the_reference_dose_and_diminish():
    d = np.array([0.0, 5.0, 10.0, 40.0, 1e6])
    for shape in ("log", "saturation"):
        f = response(d, shape, ref=10.0, k=5.0)
        assert f[0] == 0 and f[2] == pytest.approx(10.0)
        assert f[1] > 5.0 and f[3] < 40.0  # concave through (ref, ref)
        assert np.all(np.diff(f) > 0)
    assert response(np.array([1e9]), "saturation", ref=10.0, k=5.0)[0] == pytest.approx(15.0, rel=1e-6)
    np.testing.assert_array_equal(response(d, "linear"), d)
    with pytest.raises(ValueError):
        response(d, "quadratic")


def test_lag_horizon_and_shapes_in_project():
    p = panel3()
    a = alloc({"BHV-c": 20000.0})  # 10 EUR/resident = the mean observed dose of panel3 (2, 10 -> 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lin = project(a, effect=-0.1, panel=p, draws=3)
        log = project(a, effect=-0.1, panel=p, draws=3, returns="log", ref_dose=10.0)
        early = project(a, effect=-0.1, panel=p, draws=3, lag=2, horizon=1)
    assert q_row(log, "BHV-c")["change_pp"] == pytest.approx(q_row(lin, "BHV-c")["change_pp"])
    assert q_row(early, "BHV-c")["change_pp"] == 0.0
    assert any("horizon 1 < lag 2" in w for w in early.warnings)


def test_relative_scale_is_proportional_to_the_base_level():
    p = panel3()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = project(alloc({"HB-a": 1000.0, "HB-b": 4000.0}), effect=-0.1, panel=p, draws=3, scale="relative")
    ybar = (20 * 800 + 5 * 3000 + 30 * 1500) / (800 + 3000 + 1500)
    assert q_row(r, "HB-a")["change_pp"] == pytest.approx(-0.1 * 1 * 20 / ybar)
    assert q_row(r, "HB-b")["change_pp"] == pytest.approx(-0.1 * 1 * 5 / ybar)


def test_dose_range_warning_and_unattributed_money():
    p = panel3()  # observed positive doses: 2 and 10 EUR per resident
    with pytest.warns(UserWarning, match=r"more EUR per resident than observed.*HB-a \(50\.0\)"):
        project(alloc({"HB-a": 50000.0}), effect=-0.1, panel=p, draws=3)
    with pytest.warns(UserWarning, match="not attributed to quartiers"):
        r = project(alloc({"HB-a": 5000.0}, {"Bremen": 7000.0}), effect=-0.1, panel=p, draws=3)
    assert c_row(r, "Bremen")["unattributed_eur"] == 7000.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r2 = project(alloc({"HB-a": 5000.0}, {"Bremen": 5000.0}), effect=-0.1, panel=p, draws=3,
                     unattributed="population")
    # 5000 EUR over 5000 Bremen residents = 1 EUR each on top
    assert q_row(r2, "HB-a")["eur_per_capita"] == pytest.approx(6.0)
    assert q_row(r2, "HB-b")["eur_per_capita"] == pytest.approx(1.0)


def test_summary_frames_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    p = panel3()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = project(alloc({"HB-a": 5000.0}), effect={"sgb2_rate": (-0.2, 0.05), "turnout_buergerschaft": 0.3},
                    panel=p, draws=50, seed=1)
    assert "SGB-II-Quote" in r.summary() and "SGB II rate" in r.summary("en")
    assert set(r.to_frame("quartier")["outcome"]) == {"sgb2_rate", "turnout_buergerschaft"}
    assert "provenance" in r.to_frame().columns
    assert r.plot().axes and r.plot(level="city").axes


# ----------------------------------------------------------------------------- targeting


def test_concentration_index_equals_one_minus_twice_the_area_under_the_curve():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = rng.integers(2, 30)
        amount, need, pop = rng.uniform(0, 100, n), rng.normal(size=n), rng.integers(1, 1000, n).astype(float)
        order = np.argsort(need)
        cum_pop = np.concatenate([[0], np.cumsum(pop[order]) / pop.sum()])
        cum_money = np.concatenate([[0], np.cumsum(amount[order]) / amount.sum()])
        area = np.trapezoid(cum_money, cum_pop)
        assert concentration_index(amount, need, pop) == pytest.approx(1 - 2 * area, abs=1e-12)


def test_concentration_index_known_cases():
    pop = np.full(5, 100.0)
    need = np.arange(5.0)
    assert concentration_index(pop * 3, need, pop) == pytest.approx(0.0)  # proportional to residents
    assert concentration_index(np.array([0, 0, 0, 0, 10.0]), need, pop) == pytest.approx(1 - 1 / 5)
    assert concentration_index(np.array([10.0, 0, 0, 0, 0]), need, pop) == pytest.approx(-(1 - 1 / 5))


def test_share_to_neediest_fifth():
    need = np.arange(10.0)
    pop = np.ones(10)
    amount = np.arange(10.0)  # top fifth = quartiers 8 and 9
    assert share_to_neediest(amount, need, pop) == pytest.approx(17 / 45)
    need[3] = np.nan  # left out; 9 remaining -> ceil(1.8) = 2 quartiers
    assert share_to_neediest(amount, need, pop) == pytest.approx(17 / 42)


def test_compare_scenarios_paired_draws_and_targeting():
    p = panel3()
    q = p[p["year"] == 2024][["quartier_id", "city", "population"]].reset_index(drop=True)
    t = {"name": "gleich", "year": 2024,
         "budget": {"total_eur": 30000, "city_share": {"Bremen": 0.5, "Bremerhaven": 0.5}},
         "need_index": {"indicators": {"sgb2_rate": 1}},
         "cities": {c: {"strands": {"a": {"share": 1.0, "rule": "population"}}} for c in ("Bremen", "Bremerhaven")}}
    s1 = Scenario.from_dict(t, quartiers=q)
    s2 = s1.with_changes({"cities.Bremen.strands.a.rule": "need"}, name="bedarf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cmp = compare_scenarios([s1, s2, s1.with_changes({}, name="gleich2")], q, panel=p,
                                effect={"sgb2_rate": (-0.2, 0.05)}, draws=500, seed=2)
    # the same scenario under another name: difference exactly 0 in every draw
    d = cmp.differences
    same = d[(d["scenario"] == "gleich2")]
    assert (same["difference"] == 0).all() and (same["difference_low"] == 0).all()
    # population rule: concentration 0 in Bremen; need rule (positive part): all to HB-a -> C > 0
    tg = cmp.targeting.set_index(["scenario", "area"])
    assert tg.loc[("gleich", "Bremen"), "concentration_index"] == pytest.approx(0.0, abs=1e-12)
    assert tg.loc[("bedarf", "Bremen"), "concentration_index"] > 0.5
    m = cmp.money.set_index(["scenario", "city"])
    assert m.loc[("gleich", "Bremen"), "eur_per_capita"] == pytest.approx(15000 / 5000)
    allo = allocate(s2, q, panel=p)
    assert allo.set_index("quartier_id").loc["HB-a", "amount_eur"] == 15000.0
    summ = cmp.to_frame()
    assert list(summ["scenario"]) == ["gleich", "bedarf", "gleich2"]
    assert "sgb2_rate_change_pp_low" in summ.columns
    assert "Szenarienvergleich" in cmp.summary()


def test_compare_and_plots_on_the_shipped_scenarios():
    import matplotlib

    matplotlib.use("Agg")
    import llq_analysis as llq
    from llq_analysis import paths

    q, p = llq.load_quartiers(), llq.load_demo_panel()
    files = [paths.SCENARIO_DIR / f for f in ("baseline.yaml", "stadtanteil_nach_bevoelkerung.yaml",
                                              "bedarfsorientiert.yaml")]
    cmp = compare_scenarios(files, q, panel=p, effect={"sgb2_rate": (-0.25, 0.08)}, draws=300, seed=1)
    money = cmp.money.set_index(["scenario", "city"])["amount_eur"]
    assert money[("baseline", "Bremen")] == 1_600_000 and money[("baseline", "Bremerhaven")] == 400_000
    assert money[("stadtanteil_nach_bevoelkerung", "Bremen")] == pytest.approx(1_667_800)
    tg = cmp.targeting.set_index(["scenario", "area"])
    assert tg.loc[("bedarfsorientiert", TOTAL), "concentration_index"] > tg.loc[("baseline", TOTAL),
                                                                                "concentration_index"]
    for kind in ("money", "targeting", "effects"):
        assert cmp.plot(kind).axes
