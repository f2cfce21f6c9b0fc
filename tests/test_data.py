"""The bundled reference data: reproducible, validated, calibrated to the published anchors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import llq_analysis as llq
from llq_analysis import paths, schema
from llq_analysis.data.loaders import provenance_counts
from llq_analysis.data.reference_data import build_all, csv_text, readme_text


@pytest.fixture(scope="module")
def rebuilt():
    return build_all()


@pytest.mark.parametrize("name", ["quartiers", "funding", "panel", "programme_area_map"])
def test_bundled_files_are_reproducible(rebuilt, name):
    on_disk = (paths.DATA_DIR / f"{name}.csv").read_text(encoding="utf-8")
    assert csv_text(rebuilt[name]) == on_disk, f"data/{name}.csv is stale: run `make data`"


def test_data_readme_is_generated_from_schema(rebuilt):
    text = (paths.DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert text == readme_text(rebuilt), "data/README.md is stale: run `make data`"
    for c in schema.PANEL:
        assert f"`{c.name}`" in text


def test_quartiers_cover_both_cities(quartiers):
    counts = quartiers["city"].value_counts()
    assert counts["Bremen"] == 93 and counts["Bremerhaven"] == 24
    bhv = quartiers[quartiers["city"] == "Bremerhaven"]
    assert bhv["official_code"].notna().all() and bhv["verified"].all()
    assert not quartiers.loc[quartiers["city"] == "Bremen", "verified"].any()
    assert quartiers["quartier_id"].is_unique
    assert quartiers["provenance"].str.contains("population: simulated").all()


@pytest.mark.parametrize("year", [2021, 2022, 2023, 2024])
def test_llq_city_budgets_sum_exactly(funding, year):
    llq_rows = funding[(funding["programme"] == "LLQ") & (funding["year"] == year)]
    cents = (llq_rows["amount_eur"] * 100).round().astype("int64").groupby(llq_rows["city"]).sum()
    assert cents["Bremen"] == 160_000_000
    assert cents["Bremerhaven"] == 40_000_000
    assert (llq_rows["amount_eur"] >= 0).all()


def test_funding_uses_published_facts(funding):
    qz = funding[(funding["strand"] == "Quartierszentren") & (funding["year"] == 2021)]
    assert qz["amount_eur"].sum() == 850_000  # published 2021 total
    win20 = funding[(funding["programme"] == "WiN") & (funding["year"] == 2020)]
    groep = win20[win20["quartier_id"].isin(["HB-groepelingen", "HB-lindenhof", "HB-ohlenhof"])]
    assert groep["amount_eur"].sum() == pytest.approx(225_000, abs=0.01)
    kinds = funding["provenance"].str.split(":").str[0]
    assert set(kinds) <= {"published", "derived", "illustrative"}
    # every amount that no source gives is flagged illustrative
    assert (kinds[funding["strand"] == "Kleinst-/Sondergebiete"] == "illustrative").all()


def test_panel_shape_and_provenance(panel, quartiers):
    assert len(panel) == len(quartiers) * 13
    assert set(panel["year"]) == set(range(2012, 2025))
    counts = provenance_counts(panel).groupby("provenance")["n_values"].sum()
    assert counts["published"] == 1 and counts["simulated"] > 10_000
    assert (panel["provenance"] == "simulated").all()


def test_turnout_only_in_election_years(panel):
    has_bs = panel.loc[panel["turnout_buergerschaft"].notna(), "year"].unique()
    has_bt = panel.loc[panel["turnout_bundestag"].notna(), "year"].unique()
    assert sorted(has_bs) == [2015, 2019, 2023]
    assert sorted(has_bt) == [2013, 2017, 2021]


def _weighted(df, col, w):
    return float(np.average(df[col], weights=df[w]))


def test_calibration_sgb2_2022(panel, quartiers):
    d = panel[(panel["year"] == 2022) & (panel["city"] == "Bremen")].merge(
        quartiers[["quartier_id", "stadtteil"]], on="quartier_id")
    by_st = d.groupby("stadtteil").apply(
        lambda g: _weighted(g, "sgb2_rate", "population_below_retirement_age"), include_groups=False)
    assert round(by_st["Oberneuland"], 1) == 4.2 and by_st.idxmin() == "Oberneuland"
    assert round(by_st["Gröpelingen"], 1) == 32.9 and by_st.idxmax() == "Gröpelingen"
    persons = (d["sgb2_rate"] / 100 * d["population_below_retirement_age"]).sum()
    assert persons == pytest.approx(78_870, abs=50)  # rates are stored with 3 decimals


def test_calibration_population(panel, quartiers):
    tot = panel.groupby(["city", "year"])["population"].sum()
    assert tot["Bremen", 2019] == 567_559
    assert tot["Bremerhaven", 2015] == 114_025 and tot["Bremerhaven", 2017] == 113_026
    m = panel.merge(quartiers[["quartier_id", "stadtteil", "stadtbezirk"]], on="quartier_id")
    st = m.groupby(["city", "stadtteil", "year"])["population"].sum()
    assert st["Bremen", "Mitte", 2016] == 18_246 and st["Bremen", "Mitte", 2021] == 17_557
    assert [st["Bremerhaven", "Geestemünde", y] for y in (2017, 2018, 2019)] == [33_681, 32_854, 32_806]
    bz = m.groupby(["city", "stadtbezirk", "year"])["population"].sum()
    assert bz["Bremerhaven", "Nord", 2013] == 65_294 and bz["Bremerhaven", "Süd", 2013] == 48_854


@pytest.mark.parametrize("year,published", [(2015, 50.2), (2019, 64.1), (2023, 56.9)])
def test_calibration_turnout_land(panel, year, published):
    d = panel[panel["year"] == year]
    assert round(_weighted(d, "turnout_buergerschaft", "electorate_buergerschaft"), 1) == published
    if year == 2023:
        assert d["electorate_buergerschaft"].sum() == 460_778
        voters = (d["turnout_buergerschaft"] / 100 * d["electorate_buergerschaft"]).sum()
        assert voters == pytest.approx(262_099, abs=50)


def test_published_value_kept_exactly(panel):
    row = panel[(panel["quartier_id"] == "BHV-goethestrasse") & (panel["year"] == 2019)].iloc[0]
    assert row["unemployment_rate"] == 29.0
    assert row["unemployment_rate_provenance"].startswith("published:")


def _twfe_slope(df: pd.DataFrame, y: str, x: str) -> float:
    """Two-way within estimator on a balanced panel (independent of the estimators under test)."""
    wide_y = df.pivot(index="quartier_id", columns="year", values=y).to_numpy()
    wide_x = df.pivot(index="quartier_id", columns="year", values=x).to_numpy()

    def dm(a):
        return a - a.mean(1, keepdims=True) - a.mean(0, keepdims=True) + a.mean()

    yy, xx = dm(wide_y), dm(wide_x)
    return float((xx * yy).sum() / (xx * xx).sum())


def test_known_effect_is_built_in(panel):
    slope = _twfe_slope(panel, "sgb2_rate", "llq_eur_per_capita")
    assert slope == pytest.approx(-0.25, abs=0.05)


def test_simulate_panel_is_seeded_and_effect_is_recovered():
    a = llq.simulate_panel(seed=7, effect=-0.5)
    b = llq.simulate_panel(seed=7, effect=-0.5)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["true_effects"]["sgb2_rate"] == -0.5
    assert _twfe_slope(a, "sgb2_rate", "llq_eur_per_capita") == pytest.approx(-0.5, abs=0.06)
    c = llq.simulate_panel(seed=8, effect={"turnout_buergerschaft": 0.0})
    assert not a["sgb2_rate"].equals(c["sgb2_rate"])
    with pytest.raises(ValueError, match="unknown outcome"):
        llq.simulate_panel(effect={"nonsense": 1})
    with pytest.raises(ValueError, match="outside"):
        llq.simulate_panel(effect=-5.0)


def test_loaders_return_validated_frames(panel, funding):
    llq.validate_panel(panel)
    llq.validate_funding(funding)
