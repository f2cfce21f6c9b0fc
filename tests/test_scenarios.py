"""Scenarios: loading, validation, diffs, describe, allocation rules (hand-computed references)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from llq_analysis import paths
from llq_analysis.errors import InfeasibleAllocationError, ScenarioError
from llq_analysis.policy.allocation import allocate, capped_proportional, need_index
from llq_analysis.policy.scenarios import Scenario, largest_remainder, load_scenario

BASELINE = paths.SCENARIO_DIR / "baseline.yaml"
ALTERNATIVES = ["stadtanteil_nach_bevoelkerung.yaml", "bedarfsorientiert.yaml"]


# ----------------------------------------------------------------------------- helpers


def synth_quartiers(pops_hb=(1000, 2000, 3000), pops_bhv=(500, 1500)) -> pd.DataFrame:
    ids = [f"HB-q{i}" for i in range(len(pops_hb))] + [f"BHV-q{i}" for i in range(len(pops_bhv))]
    return pd.DataFrame({"quartier_id": ids,
                         "city": ["Bremen"] * len(pops_hb) + ["Bremerhaven"] * len(pops_bhv),
                         "population": list(pops_hb) + list(pops_bhv)})


def synth_panel(q: pd.DataFrame, rates: dict[str, list[float]], year: int = 2024) -> pd.DataFrame:
    df = q[["quartier_id", "city", "population"]].copy()
    df["year"] = year
    for k, v in rates.items():
        df[k] = v
    return df


def tree(total=100.0, share_hb=0.5, hb_strands=None, bhv_strands=None, need=None) -> dict:
    t = {"name": "t", "budget": {"total_eur": total, "city_share": {"Bremen": share_hb, "Bremerhaven": 1 - share_hb}},
         "cities": {"Bremen": {"strands": hb_strands or {"a": {"share": 1.0, "rule": "equal"}}},
                    "Bremerhaven": {"strands": bhv_strands or {"a": {"share": 1.0, "rule": "equal"}}}}}
    if need is not None:
        t["need_index"] = need
    return t


@pytest.fixture(scope="module")
def bundled():
    import llq_analysis as llq

    return llq.load_quartiers(), llq.load_demo_panel(), llq.load_funding()


# ----------------------------------------------------------------------------- baseline


def test_baseline_reproduces_programme_budget_to_the_cent(bundled):
    q, p, _ = bundled
    s = load_scenario(BASELINE)
    a = allocate(s, q, panel=p)
    assert a["amount_cents"].sum() == 2_000_000_00
    by_city = a.groupby("city")["amount_cents"].sum()
    assert by_city["Bremen"] == 1_600_000_00
    assert by_city["Bremerhaven"] == 400_000_00
    assert (a["amount_cents"] >= 0).all()
    assert math.isclose(a["amount_eur"].sum(), 2_000_000.0, abs_tol=1e-6)
    assert s.city_budgets() == {"Bremen": 1_600_000.0, "Bremerhaven": 400_000.0}


def test_baseline_reproduces_the_2024_funding_rows(bundled):
    """Every LLQ row of data/funding.csv for 2024 (independent reference) comes back exactly."""
    q, p, funding = bundled
    a = allocate(load_scenario(BASELINE), q, panel=p)
    f = funding[(funding["programme"] == "LLQ") & (funding["year"] == 2024)].copy()
    f["quartier_id"] = f["quartier_id"].fillna("")
    f["cents"] = (f["amount_eur"] * 100).round().astype(int)
    want = {(str(c), str(s), str(q)): int(v) for (c, s, q), v in
            f.groupby(["city", "strand", "quartier_id"])["cents"].sum().items()}
    got = {(str(c), str(s), str(q)): int(v) for (c, s, q), v in
           a.groupby(["city", "label", "quartier_id"])["amount_cents"].sum().items()}
    assert got == want and len(want) == 34


def test_baseline_values_carry_unit_and_source():
    import yaml

    doc = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    assert doc["budget"]["total_eur"]["unit"] and doc["budget"]["total_eur"]["source"]
    for c in ("Bremen", "Bremerhaven"):
        assert "source" in doc["budget"]["city_share"][c]
        for st in doc["cities"][c]["strands"].values():
            assert st["share"]["source"]
            for amt in st["amounts"].values():
                assert amt["unit"] == "EUR/Jahr" and amt["source"]
                kind = amt["note"].split(":")[0]
                assert kind in ("published", "derived", "illustrative")
                assert amt.get("illustrative", False) == (kind == "illustrative")


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_alternative_files_are_diffs_and_conserve_money(bundled, name):
    import yaml

    q, p, _ = bundled
    doc = yaml.safe_load((paths.SCENARIO_DIR / name).read_text(encoding="utf-8"))
    assert set(doc) <= {"name", "title", "description", "base", "changes"} and doc["changes"]
    s = load_scenario(paths.SCENARIO_DIR / name)
    assert s.changes and s.base_tree is not None
    a = allocate(s, q, panel=p)
    assert a["amount_cents"].sum() == 2_000_000_00
    cb = {c: round(v * 100) for c, v in s.city_budgets().items()}
    assert a.groupby("city")["amount_cents"].sum().to_dict() == cb
    assert (a["amount_cents"] >= 0).all()
    assert "Basisszenario" in s.describe()


def test_population_split_scenario_moves_money_by_its_shares(bundled):
    s = load_scenario(paths.SCENARIO_DIR / "stadtanteil_nach_bevoelkerung.yaml")
    assert s.city_budgets() == {"Bremen": 1_667_800.0, "Bremerhaven": 332_200.0}


# ----------------------------------------------------------------------------- loading & diffs


def test_yaml_is_read_with_the_safe_loader_only(tmp_path):
    f = tmp_path / "evil.yaml"
    f.write_text("name: !!python/object/apply:os.system ['echo hacked > %s']\n" % (tmp_path / "pwned"))
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(f)
    assert not (tmp_path / "pwned").exists()


def test_with_changes_returns_a_new_scenario_and_leaves_the_old_one_alone(bundled):
    q, p, _ = bundled
    s = load_scenario(BASELINE)
    before = s.to_dict()
    a0 = allocate(s, q, panel=p)
    s2 = s.with_changes({"budget.city_share.Bremen": 0.75, "budget.city_share.Bremerhaven": 0.25,
                         "budget.total_eur": 2_500_000})
    assert s.to_dict() == before
    pd.testing.assert_frame_equal(allocate(s, q, panel=p), a0)
    assert s2.city_budgets() == {"Bremen": 1_875_000.0, "Bremerhaven": 625_000.0}
    assert s2.get("budget.total_eur") == 2_500_000
    # the changed parameter keeps its unit and says it is a scenario assumption
    node = s2.tree["budget"]["total_eur"]
    assert node["unit"] == "EUR/Jahr" and "Szenario" in node["source"]
    with pytest.raises(TypeError):
        s2.tree["budget"] = {}  # frozen


def test_empty_diff_is_exactly_the_baseline(bundled):
    q, p, _ = bundled
    s = load_scenario(BASELINE)
    s0 = s.with_changes({})
    assert s0.to_dict() == s.to_dict()
    pd.testing.assert_frame_equal(allocate(s0, q, panel=p), allocate(s, q, panel=p))
    diff = Scenario.from_dict({"name": "leer", "changes": {}}, base=s)
    pd.testing.assert_frame_equal(allocate(diff, q, panel=p), allocate(s, q, panel=p))


def test_changes_accumulate_and_later_changes_win():
    s = load_scenario(BASELINE)
    s2 = s.with_changes({"budget.total_eur": 3_000_000}).with_changes({"budget.total_eur": 2_000_000})
    assert s2.get("budget.total_eur") == 2_000_000
    assert dict(s2.changes) == {"budget.total_eur": 2_000_000}


def test_null_deletes_and_a_new_strand_needs_a_rule():
    s = load_scenario(BASELINE)
    s2 = s.with_changes({"cities.Bremerhaven.strands.innovationstopf": None,
                         "cities.Bremerhaven.strands.quartiersprojekte.share": 1.0})
    assert "innovationstopf" not in s2.tree["cities"]["Bremerhaven"]["strands"]
    with pytest.raises(ScenarioError, match=r"unknown strand 'neu'.*\.rule"):
        s.with_changes({"cities.Bremen.strands.neu.share": 0.1})


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize("changes, key, words", [
    ({"budget.city_shar.Bremen": 0.7}, "budget.city_shar.Bremen", "nearest valid key: 'budget.city_share'"),
    ({"budget.totl_eur": 5}, "budget.totl_eur", "'budget.total_eur'"),
    ({"cities.Bremen.strands.quartierzentren.share": 0.5}, "quartierzentren",
     "'cities.Bremen.strands.quartierszentren'"),
    ({"cities.Bremen.strands.quartierszentren.rulle": "need"}, "rulle", "'cities.Bremen.strands.quartierszentren.rule'"),
    ({"budget.city_share.Bremen": 0.7}, "budget.city_share", "sum to"),
    ({"budget.city_share.Bremen": 1.2, "budget.city_share.Bremerhaven": -0.2}, "budget.city_share.Bremen",
     "outside [0, 1]"),
    ({"budget.total_eur": -1}, "budget.total_eur", "negative money"),
    ({"budget.total_eur": 10.001}, "budget.total_eur", "whole cents"),
    ({"cities.Bremen.strands.quartierszentren.amounts.04011373": -60000}, "amounts.04011373", "negative money"),
    ({"cities.Bremen.strands.quartierszentren.amounts.0401373": 1}, "0401373", "'04011373'"),  # a digit lost
    ({"cities.Bremen.strands.quartierszentren.amounts.04012134": 1}, "04012134",
     "lies in Bremerhaven"),
    ({"cities.Bremen.strands.quartierszentren.floor_eur": 100, "cities.Bremen.strands.quartierszentren.cap_eur": 50},
     "cap_eur", "below floor"),
    ({"cities.Bremen.strands.quartierszentren.floors": {"04011373": 70000},
      "cities.Bremen.strands.quartierszentren.caps": {"04011373": 60000}}, "floors.04011373", "above the cap"),
    ({"cities.Bremen.strands.quartierszentren.rule": "bedarf"}, "rule", "unknown rule"),
    ({"cities.Bremen.strands.quartierszentren.share": 1.5}, "quartierszentren.share", "outside [0, 1]"),
    ({"cities.Bremen.strands.quartierszentren.eligibility": {"top_k": 0}}, "top_k", ">= 1"),
    ({"need_index.indicators.sgb2_rat": 1}, "sgb2_rat", "'need_index.indicators.sgb2_rate'"),
    ({"cities.Bremen.strands.quartierszentren.eligibility": {"quartiers": ["HB-nirgendwo"]}}, "HB-nirgendwo",
     "unknown quartier"),
])
def test_invalid_changes_name_the_key(changes, key, words):
    s = load_scenario(BASELINE)
    with pytest.raises(ScenarioError) as exc:
        s.with_changes(changes)
    msg = str(exc.value)
    assert key in msg and words in msg, msg


def test_every_problem_is_reported_at_once_and_nothing_is_applied():
    s = load_scenario(BASELINE)
    before = s.to_dict()
    with pytest.raises(ScenarioError) as exc:
        s.with_changes({"budget.total_eur": -5, "budget.city_share.Bremen": 0.9,
                        "cities.Bremen.strands.quartierszentren.share": 2.0})
    msg = str(exc.value)
    assert "3 problem(s)" in msg or "4 problem(s)" in msg, msg
    assert "budget.total_eur" in msg and "budget.city_share" in msg and "quartierszentren.share" in msg
    assert s.to_dict() == before


def test_full_tree_validation_reports_unknown_keys_with_nearest():
    t = tree()
    t["budgte"] = {}
    t["cities"]["Bremen"]["strands"]["a"]["floor_euro"] = 5
    with pytest.raises(ScenarioError) as exc:
        Scenario.from_dict(t, quartiers=synth_quartiers())
    msg = str(exc.value)
    assert "budgte: unknown key; nearest valid key: 'budget'" in msg
    assert "floor_euro" in msg and "'cities.Bremen.strands.a.floor_eur'" in msg


def test_diff_file_with_unknown_top_level_key(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("name: x\nchange:\n  budget.total_eur: 1\n")
    with pytest.raises(ScenarioError):  # 'change' is not a key of a full scenario either
        load_scenario(f)
    f.write_text("name: x\nchanges: {budget.total_eur: 1}\nbasis: baseline.yaml\n")
    with pytest.raises(ScenarioError, match="basis.*nearest valid key: 'base'"):
        load_scenario(f)


# ----------------------------------------------------------------------------- describe


def test_describe_says_in_words_what_differs():
    s = load_scenario(BASELINE).with_changes({"budget.city_share.Bremen": 0.75,
                                              "budget.city_share.Bremerhaven": 0.25})
    de = s.describe()
    assert "Anteil Bremen am Gesamtbudget: 80 % → 75 %" in de
    assert "Budget Bremen: 1.600.000 EUR → 1.500.000 EUR" in de
    assert "anteilig skaliert" in de
    en = s.describe("en")
    assert "share of Bremen in the total budget: 80 % → 75 %" in en
    assert "1,500,000 EUR" in en
    assert "keine Abweichung" in load_scenario(BASELINE).describe()
    r = load_scenario(BASELINE).with_changes({"cities.Bremen.strands.quartierszentren.rule": "need"})
    assert "Verteilungsregel: feste Beträge → nach Bedarf (Bedarfsindex)" in r.describe()


# ----------------------------------------------------------------------------- money splitting


def test_largest_remainder_textbook_example():
    """Hamilton / largest remainder, the example of Wikipedia 'Largest remainder method' (Hare quota):
    47,000 / 16,000 / 15,800 / 12,000 / 6,100 / 3,100 votes, 10 seats -> 5, 2, 1, 1, 1, 0."""
    got = largest_remainder(10, np.array([47000, 16000, 15800, 12000, 6100, 3100]))
    assert got.tolist() == [5, 2, 1, 1, 1, 0]


def test_capped_proportional_hand_cases():
    # weights 1,1,1,7 and a cap of 40 on everyone: the big one is capped, the rest share 60
    assert capped_proportional(100, np.array([1, 1, 1, 7.0]), np.zeros(4), np.full(4, 40.0)).tolist() == \
        [20, 20, 20, 40]
    # a zero weight keeps its floor; the others share the rest in proportion
    assert capped_proportional(100, np.array([0, 1, 2.0]), np.full(3, 10.0), np.full(3, np.inf)).tolist() == \
        [10, 30, 60]
    # exact ties go to the first position (22.5 / 67.5 -> 23 / 67)
    assert capped_proportional(100, np.array([0, 1, 3.0]), np.full(3, 10.0), np.full(3, np.inf)).tolist() == \
        [10, 23, 67]
    with pytest.raises(InfeasibleAllocationError, match="floors"):
        capped_proportional(10, np.ones(3), np.full(3, 5.0), np.full(3, np.inf), what="X")
    with pytest.raises(InfeasibleAllocationError, match="caps"):
        capped_proportional(100, np.ones(3), np.zeros(3), np.full(3, 30.0), what="X")


def _alloc(t, q, panel=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return allocate(Scenario.from_dict(t, quartiers=q), q, panel=panel)


def _amounts(a, city="Bremen", strand="a"):
    x = a[(a["city"] == city) & (a["strand"] == strand)]
    return dict(zip(x["quartier_id"], x["amount_eur"], strict=True))


def test_rule_equal_population_fixed():
    q = synth_quartiers()
    a = _alloc(tree(total=200.0), q)
    assert _amounts(a) == {"HB-q0": 33.34, "HB-q1": 33.33, "HB-q2": 33.33}
    a = _alloc(tree(total=120.0, hb_strands={"a": {"share": 1.0, "rule": "population"}}), q)
    assert _amounts(a) == {"HB-q0": 10.0, "HB-q1": 20.0, "HB-q2": 30.0}
    fixed = {"a": {"share": 1.0, "rule": "fixed", "amounts": {"HB-q0": 60, "HB-q2": 40}}}
    assert _amounts(_alloc(tree(total=200.0, hb_strands=fixed), q)) == {"HB-q0": 60.0, "HB-q2": 40.0}
    assert _amounts(_alloc(tree(total=100.0, hb_strands=fixed), q)) == {"HB-q0": 30.0, "HB-q2": 20.0}


def test_rule_citywide_and_unattributed_fixed_amount():
    q = synth_quartiers()
    t = tree(total=400.0, hb_strands={"a": {"share": 0.5, "rule": "citywide"},
                                      "b": {"share": 0.5, "rule": "fixed",
                                            "amounts": {"HB-q1": 30, "stadtweit": 70}}})
    a = _alloc(t, q)
    assert _amounts(a, strand="a") == {"": 100.0}
    assert _amounts(a, strand="b") == {"HB-q1": 30.0, "": 70.0}
    assert a.loc[a["quartier_id"] == "", "eur_per_capita"].isna().all()


def test_need_index_matches_an_independent_z_score_computation(bundled):
    from scipy.stats import zscore

    _, p, _ = bundled
    ni = need_index(p, shrink=None)  # raw rates (the default shrinks them: tests/test_need_shrinkage.py)
    assert ni.attrs["indicator_years"] == {"sgb2_rate": 2024, "sgb2_rate_u15": 2024, "unemployment_rate": 2024,
                                           "turnout_buergerschaft": 2023}
    p24 = p[p["year"] == 2024].set_index("quartier_id")
    p23 = p[p["year"] == 2023].set_index("quartier_id").reindex(p24.index)
    want = (zscore(p24["sgb2_rate"], ddof=1) + zscore(p24["sgb2_rate_u15"], ddof=1)
            + zscore(p24["unemployment_rate"], ddof=1) - zscore(p23["turnout_buergerschaft"], ddof=1)) / 4
    np.testing.assert_allclose(ni.reindex(p24.index).to_numpy(), np.asarray(want), rtol=0, atol=1e-12)
    # within-city standardisation has mean 0 in each city
    nc = need_index(p, standardise="city", shrink=None)
    city = p24["city"].reindex(nc.index)
    assert abs(nc[city == "Bremerhaven"].mean()) < 1e-12 and abs(nc[city == "Bremen"].mean()) < 1e-12


def test_need_index_leaves_quartiers_without_residents_out():
    q = synth_quartiers(pops_hb=(1000, 0, 3000))
    p = synth_panel(q, {"sgb2_rate": [10, 20, 30, 5, 15]})
    ni = need_index(p, indicators={"sgb2_rate": 1})
    assert np.isnan(ni["HB-q1"]) and ni.attrs["missing"] == ["HB-q1"]


def test_rule_need_hand_computed():
    q = synth_quartiers(pops_hb=(1000, 1000, 1000, 1000), pops_bhv=(1000, 1000))
    p = synth_panel(q, {"sgb2_rate": [10.0, 20.0, 30.0, 40.0, 10.0, 30.0]})
    need = {"indicators": {"sgb2_rate": 1}, "shrink": "none"}  # raw rates, hand-computable
    # z-scores over all 6: mean 23.333, sd 12.1106; positive part only for 30 and 40
    x = np.array([10, 20, 30, 40, 10, 30.0])
    z = (x - x.mean()) / x.std(ddof=1)
    w = np.maximum(z[:4], 0)
    t = tree(total=200.0, hb_strands={"a": {"share": 1.0, "rule": "need"}}, need=need)
    got = _amounts(_alloc(t, q, panel=p))
    want = largest_remainder(10000, w) / 100
    assert [got[f"HB-q{i}"] for i in range(4)] == want.tolist()
    # eligibility: top 1 takes everything; min_index excludes below-threshold quartiers
    t["cities"]["Bremen"]["strands"]["a"]["eligibility"] = {"top_k": 1}
    assert _amounts(_alloc(t, q, panel=p)) == {"HB-q3": 100.0}
    t["cities"]["Bremen"]["strands"]["a"]["eligibility"] = {"min_index": 0.6}
    assert set(_amounts(_alloc(t, q, panel=p))) == {"HB-q3"}
    # hybrid: half equal, half need
    t["cities"]["Bremen"]["strands"]["a"] = {"share": 1.0, "rule": "hybrid", "base_share": 0.5}
    got = _amounts(_alloc(t, q, panel=p))
    want = largest_remainder(10000, 0.5 * np.full(4, 0.25) + 0.5 * w / w.sum()) / 100
    assert [got[f"HB-q{i}"] for i in range(4)] == want.tolist()


def test_floors_caps_per_capita_and_infeasibility_name_the_constraint():
    q = synth_quartiers(pops_hb=(100, 100, 1000))
    st = {"a": {"share": 1.0, "rule": "population", "cap_eur_per_capita": 0.05}}
    # caps: 5, 5, 50 EUR -> with 60 EUR everything is at its cap
    assert _amounts(_alloc(tree(total=120.0, hb_strands=st), q)) == {"HB-q0": 5.0, "HB-q1": 5.0, "HB-q2": 50.0}
    with pytest.raises(InfeasibleAllocationError, match=r"cities\.Bremen\.strands\.a: caps"):
        _alloc(tree(total=122.0, hb_strands=st), q)
    st = {"a": {"share": 1.0, "rule": "population", "floor_eur": 20}}
    assert _amounts(_alloc(tree(total=120.0, hb_strands=st), q)) == {"HB-q0": 20.0, "HB-q1": 20.0, "HB-q2": 20.0}
    with pytest.raises(InfeasibleAllocationError, match="floors sum to"):
        _alloc(tree(total=100.0, hb_strands=st), q)
    st = {"a": {"share": 1.0, "rule": "population", "eligibility": {"quartiers": ["HB-q0"]},
                "floors": {"HB-q1": 5}}}
    with pytest.raises(InfeasibleAllocationError, match="floors.HB-q1.*not eligible"):
        _alloc(tree(total=100.0, hb_strands=st), q)


def test_floors_above_the_strand_budget_are_infeasible(bundled):
    q, p, _ = bundled
    s = load_scenario(BASELINE).with_changes({"cities.Bremen.strands.quartierszentren.floors": {"04011373": 900000}})
    with pytest.raises(InfeasibleAllocationError, match=r"quartierszentren: floors sum to 900,000 EUR"):
        allocate(s, q, panel=p)


def test_need_rule_without_panel_is_a_clear_error():
    q = synth_quartiers()
    t = tree(hb_strands={"a": {"share": 1.0, "rule": "need"}})
    with pytest.raises(ScenarioError, match="pass panel="):
        _alloc(t, q)


def test_quartiers_table_must_know_the_scenarios_quartiers():
    q = synth_quartiers()
    t = tree(hb_strands={"a": {"share": 1.0, "rule": "fixed", "amounts": {"HB-q0": 1}}})
    s = Scenario.from_dict(t, quartiers=q)
    with pytest.raises(ScenarioError, match="HB-q0"):
        allocate(s, q[q["quartier_id"] != "HB-q0"])
