"""Optimiser: the point solution against scipy (linprog for linear returns, SLSQP for concave
returns), money to the cent, constraints, infeasibility, uncertainty outputs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from llq_analysis.errors import InfeasibleAllocationError
from llq_analysis.policy.optimiser import optimise_allocation
from llq_analysis.policy.projection import response
from llq_analysis.policy.scenarios import Scenario
from llq_analysis.policy.solvers import _greedy, _water_fill


def world(n_hb: int = 8, n_bhv: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    n = n_hb + n_bhv
    ids = [f"HB-q{i}" for i in range(n_hb)] + [f"BHV-q{i}" for i in range(n_bhv)]
    city = ["Bremen"] * n_hb + ["Bremerhaven"] * n_bhv
    pop = rng.integers(500, 15000, n)
    base = np.round(pop * rng.uniform(0.6, 0.9, n))
    rows = []
    for y in (2023, 2024):
        rows.append(pd.DataFrame({
            "quartier_id": ids, "city": city, "year": y, "population": pop,
            "population_below_retirement_age": base, "population_u15": np.round(pop * rng.uniform(0.1, 0.2, n)),
            "sgb2_rate": rng.uniform(3, 40, n), "sgb2_rate_u15": rng.uniform(5, 60, n),
            "unemployment_rate": rng.uniform(2, 25, n),
            "turnout_buergerschaft": rng.uniform(35, 75, n) if y == 2023 else np.nan,
            "electorate_buergerschaft": np.round(pop * 0.7) if y == 2023 else np.nan,
            "llq_eur_per_capita": np.where(rng.random(n) < 0.5, rng.uniform(1, 30, n), 0.0),
            "provenance": "user: test"}))
    p = pd.concat(rows, ignore_index=True)
    q = p[p["year"] == 2024][["quartier_id", "city", "population"]].reset_index(drop=True)
    t = {"name": "welt", "year": 2024, "budget": {"total_eur": 200000, "city_share": {"Bremen": 0.7, "Bremerhaven": 0.3}},
         "need_index": {"indicators": {"sgb2_rate": 1, "sgb2_rate_u15": 1}},
         "cities": {c: {"strands": {"a": {"share": 1.0, "rule": "population"}}} for c in ("Bremen", "Bremerhaven")}}
    return q, p, Scenario.from_dict(t, quartiers=q)


def run(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return optimise_allocation(**kw)


def test_greedy_equals_linprog():
    from scipy.optimize import linprog

    rng = np.random.default_rng(1)
    for _ in range(20):
        n = rng.integers(2, 15)
        g = rng.normal(1, 1, n)
        lo = rng.uniform(0, 10, n)
        hi = lo + rng.uniform(0, 50, n)
        budget = rng.uniform(lo.sum(), hi.sum())
        x = _greedy(g, lo, hi, budget)[0]
        ref = linprog(-g, A_eq=np.ones((1, n)), b_eq=[budget], bounds=list(zip(lo, hi, strict=True)), method="highs")
        assert ref.success
        assert g @ x == pytest.approx(-ref.fun, rel=1e-9, abs=1e-9)
        assert x.sum() == pytest.approx(budget) and np.all(x >= lo - 1e-9) and np.all(x <= hi + 1e-9)


@pytest.mark.parametrize("shape", ["log", "saturation"])
def test_water_filling_matches_scipy_trust_constr(shape):
    """Concave KKT water filling against scipy's trust-constr (SLSQP stops early on this scale)."""
    from scipy.optimize import Bounds, LinearConstraint, minimize

    rng = np.random.default_rng(2)
    for _ in range(8):
        n = int(rng.integers(3, 10))
        a = rng.uniform(0.5, 5, n)
        p = rng.uniform(100, 2000, n)
        lo = np.zeros(n)
        hi = p * rng.uniform(5, 40, n)
        budget = float(rng.uniform(0.2, 0.8) * hi.sum())
        ref_dose, k = 10.0, 6.0
        x = _water_fill(a, p, lo, hi, budget, shape, ref_dose, k)[0][0]

        def obj(v, a=a, budget=budget, p=p, ref_dose=ref_dose, k=k):  # v = share of the budget (scaled)
            return -(a * response(v * budget / p, shape, ref=ref_dose, k=k)).sum()

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = minimize(obj, hi / hi.sum(), method="trust-constr", bounds=Bounds(lo / budget, hi / budget),
                           constraints=[LinearConstraint(np.ones((1, n)), 1, 1)],
                           options={"gtol": 1e-12, "xtol": 1e-14, "maxiter": 5000})
        assert res.status in (1, 2)
        assert x.sum() == pytest.approx(budget, rel=1e-9)
        assert -obj(x / budget) >= -res.fun - 1e-9 * abs(res.fun)  # at least as good as scipy
        np.testing.assert_allclose(x, res.x * budget, atol=1e-5 * budget)


def _chunk_greedy(value, n: int, budget: float, lo: np.ndarray, hi: np.ndarray, steps: int = 4000) -> np.ndarray:
    """Independent reference: give the budget away in small chunks, each to the quartier whose
    objective rises most (exact for concave separable objectives up to the chunk size)."""
    x = lo.astype(float).copy()
    chunk = (budget - x.sum()) / steps
    for _ in range(steps):
        gains = np.full(n, -np.inf)
        for i in range(n):
            if x[i] + chunk <= hi[i] + 1e-9:
                y = x.copy()
                y[i] += chunk
                gains[i] = value(y) - value(x)
        x[int(np.argmax(gains))] += chunk
    return x


@pytest.mark.parametrize("returns", ["linear", "saturation"])
def test_expected_clipped_objective_matches_a_chunk_greedy(returns):
    """The rates' floor at 0 % makes the objective kinked; the optimiser maximises its mean over
    the draws. Compare with a brute-force chunk greedy on exactly that objective."""
    q, p, s = world(n_hb=5, n_bhv=2, seed=11)
    r = run(scenario=s, quartiers=q, panel=p, effect={"sgb2_rate": (-0.6, 0.3)}, returns=returns,
            cap_eur_per_capita=None, draws=40, seed=3, reference_unattributed="exclude")
    p24 = p[p["year"] == 2024].set_index("quartier_id")
    beta = np.random.default_rng(3).normal(-0.6, 0.3, 40)
    ref_dose = p.loc[p["llq_eur_per_capita"] > 0, "llq_eur_per_capita"].mean()
    for c, b in (("Bremen", 140000.0), ("Bremerhaven", 60000.0)):
        sub = p24[p24["city"] == c]
        pop, y, nb = (sub[k].to_numpy(dtype=float) for k in ("population", "sgb2_rate",
                                                             "population_below_retirement_age"))

        def value(x, pop=pop, y=y, nb=nb):
            f = response(x / pop, returns, ref=ref_dose)
            return -(np.clip(np.multiply.outer(beta, f), -y, 100 - y) @ nb / 100).mean()

        ref = _chunk_greedy(value, len(sub), b, np.zeros(len(sub)), np.full(len(sub), np.inf), steps=1500)
        got = r.allocation.set_index("quartier_id").loc[sub.index, "amount_eur"].to_numpy()
        assert value(got) >= value(ref) - 1e-6 * abs(value(ref)) - 1e-6
        np.testing.assert_allclose(got, ref, atol=0.01 * b)


@pytest.mark.parametrize("returns", ["linear", "log", "saturation"])
def test_budget_conserved_to_the_cent_and_constraints_hold(returns):
    q, p, s = world()
    r = run(scenario=s, quartiers=q, panel=p, effect={"sgb2_rate": (-0.2, 0.05)}, returns=returns,
            floor_eur=500, cap_eur_per_capita=20, draws=200, seed=1)
    a = r.allocation
    assert a.groupby("city")["amount_cents"].sum().to_dict() == {"Bremen": 14_000_000, "Bremerhaven": 6_000_000}
    assert (a["amount_cents"] >= 50_000).all()
    assert (a["amount_cents"] <= np.floor(20 * a["population"] * 100 + 1e-6)).all()
    assert ((a["inclusion_share"] >= 0) & (a["inclusion_share"] <= 1)).all()
    assert (a["amount_low"] <= a["amount_high"] + 1e-9).all()
    assert r.objective_draws.shape == (200,) and r.reference_draws.shape == (200,)
    assert r.objective["optimal_low"] <= r.objective["optimal"] <= r.objective["optimal_high"]


@pytest.mark.parametrize("returns", ["linear", "log"])
def test_point_optimum_is_not_beaten_by_the_scenario_or_by_random_feasible_allocations(returns):
    """With se = 0 the objective is deterministic: the optimum must be >= the scenario's own
    allocation (same money) and >= random feasible allocations."""
    q, p, s = world(seed=4)
    r = run(scenario=s, quartiers=q, panel=p, effect={"sgb2_rate": (-0.2, 0.0)}, returns=returns,
            cap_eur_per_capita=None, draws=5, seed=0, reference_unattributed="exclude")
    best = r.objective["optimal"]
    assert best >= r.objective["reference"] - 1e-6
    # random feasible allocations evaluated with the same formula
    p24 = p[p["year"] == 2024].set_index("quartier_id").loc[r.allocation["quartier_id"]]
    rng = np.random.default_rng(0)
    ref_dose = p.loc[p["llq_eur_per_capita"] > 0, "llq_eur_per_capita"].mean()
    for _ in range(200):
        x = np.zeros(len(p24))
        for c, b in (("Bremen", 140000.0), ("Bremerhaven", 60000.0)):
            m = (p24["city"] == c).to_numpy()
            w = rng.dirichlet(np.ones(m.sum()))
            x[m] = b * w
        d = x / p24["population"].to_numpy()
        f = response(d, returns, ref=ref_dose) if returns != "linear" else d
        delta = np.clip(-0.2 * f, -p24["sgb2_rate"].to_numpy(), 100 - p24["sgb2_rate"].to_numpy())
        value = -(delta * p24["population_below_retirement_age"].to_numpy() / 100).sum()
        assert best >= value - 1e-6 * abs(value)


def test_free_city_split_is_at_least_as_good_as_fixed():
    q, p, s = world(seed=5)
    kw = {"scenario": s, "quartiers": q, "panel": p, "effect": {"sgb2_rate": (-0.2, 0.0)}, "returns": "log",
          "draws": 5}
    fixed, free = run(city_split="fixed", **kw), run(city_split="free", **kw)
    assert free.objective["optimal"] >= fixed.objective["optimal"] - 1e-6
    assert free.allocation["amount_cents"].sum() == 20_000_000


def test_eligibility_top_k_and_weighted_objective():
    q, p, s = world(seed=6)
    r = run(scenario=s, quartiers=q, panel=p, effect={"sgb2_rate": (-0.2, 0.05), "turnout_buergerschaft": (0.3, 0.1)},
            objective={"sgb2_rate": 1, "turnout_buergerschaft": 0.5}, eligibility={"top_k": 3},
            cap_eur_per_capita=None, draws=100)
    a = r.allocation
    assert a.groupby("city").size().to_dict() == {"Bremen": 3, "Bremerhaven": 3}
    from llq_analysis.policy.allocation import need_index

    ni = need_index(p, indicators={"sgb2_rate": 1, "sgb2_rate_u15": 1})
    for c in ("Bremen", "Bremerhaven"):
        ids = q.loc[q["city"] == c, "quartier_id"]
        top = ni.reindex(ids).nlargest(3).index
        assert set(a.loc[a["city"] == c, "quartier_id"]) == set(top)


def test_linear_single_outcome_is_need_blind_and_says_so():
    q, p, s = world(seed=7)
    r = run(scenario=s, quartiers=q, panel=p, effect={"sgb2_rate": (-0.2, 0.05)}, cap_eur_per_capita=10, draws=100)
    assert r.spec["need_blind"]
    assert "hängt die Rangfolge kaum vom Bedarf ab" in r.summary()
    # the ranking is by the share of residents below retirement age (gain per EUR = beta N / (100 P))
    p24 = p[p["year"] == 2024].set_index("quartier_id")
    share = p24["population_below_retirement_age"] / p24["population"]
    a = r.allocation.set_index("quartier_id")
    for c in ("Bremen", "Bremerhaven"):
        ids = a.index[a["city"] == c]
        full = a.loc[ids, "amount_cents"] >= a.loc[ids, "cap_eur"] * 100 - 1
        if full.any() and (~full).any():
            assert share[ids[full]].min() >= share[ids[~full]].max() - 1e-12


def test_infeasible_constraints_name_the_constraint():
    q, p, s = world()
    with pytest.raises(InfeasibleAllocationError, match="caps in Bremen allow at most"):
        run(scenario=s, quartiers=q, panel=p, effect=-0.1, cap_eur_per_capita=0.001)
    with pytest.raises(InfeasibleAllocationError, match="floors"):
        run(scenario=s, quartiers=q, panel=p, effect=-0.1, floor_eur=100000, cap_eur_per_capita=None)
    with pytest.raises(InfeasibleAllocationError, match="cap below floor for"):
        run(scenario=s, quartiers=q, panel=p, effect=-0.1, floor_eur=100000)
    with pytest.raises(ValueError, match="no effect given"):
        run(scenario=s, quartiers=q, panel=p, effect=-0.1, objective="sgb2_rate_u15")
    with pytest.raises(ValueError, match="person base"):
        run(scenario=s, quartiers=q, panel=p, effect={"unemployment_rate": -0.1}, objective="unemployment_rate")


def test_plot_and_summary():
    import matplotlib

    matplotlib.use("Agg")
    q, p, s = world()
    r = run(scenario=s, quartiers=q, panel=p, effect={"sgb2_rate": (-0.2, 0.05)}, returns="saturation", draws=50)
    assert "Optimierte Verteilung" in r.summary() and "Optimised allocation" in r.summary("en")
    assert r.plot().axes
    assert "provenance" in r.to_frame().columns
