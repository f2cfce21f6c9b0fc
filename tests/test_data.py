"""The bundled data: reproducible, validated; the official key; the demo panel calibrated to the
published anchors with its known effect (the published panel's checks are in test_official_data.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import llq_analysis as llq
from llq_analysis import paths, schema
from llq_analysis.data.loaders import provenance_counts
from llq_analysis.data.reference_data import TABLES, build_all, csv_text, readme_text
from llq_analysis.data.simulate import DEFAULT_EFFECTS, DEFAULT_SEED


@pytest.fixture(scope="module")
def rebuilt():
    return build_all()


@pytest.mark.parametrize("name", TABLES)
def test_bundled_files_are_reproducible(rebuilt, name):
    on_disk = (paths.DATA_DIR / f"{name}.csv").read_text(encoding="utf-8")
    assert csv_text(rebuilt[name]) == on_disk, f"data/{name}.csv is stale: run `make data`"


def test_data_readme_is_generated_from_schema(rebuilt):
    text = (paths.DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert text == readme_text(rebuilt), "data/README.md is stale: run `make data`"
    for c in schema.PANEL:
        assert f"`{c.name}`" in text


def test_quartiers_are_the_official_key(quartiers):
    counts = quartiers["city"].value_counts()
    # 90 keys of 12411-03-03 for the city of Bremen (88 Ortsteilatlas Ortsteile + 2 harbour
    # areas), 24 Ortsteile of Bremerhaven (election atlas 2023)
    assert counts["Bremen"] == 90 and counts["Bremerhaven"] == 24
    assert quartiers["quartier_id"].is_unique
    assert quartiers["quartier_id"].str.fullmatch(r"0401[12]\d{3}").all()
    assert (quartiers["quartier_id"].str[5:] == quartiers["official_code"]).all()
    city_prefix = quartiers["city"].map({"Bremen": "04011", "Bremerhaven": "04012"})
    assert (quartiers["quartier_id"].str[:5] == city_prefix).all()
    q = quartiers.set_index("quartier_id")
    assert q.loc["04011442", "ortsteil"] == "Gröpelingen" and q.loc["04012134", "ortsteil"] == "Goethestraße"
    assert q.loc["04011442", "stadtteil"] == "Gröpelingen" and q.loc["04011442", "stadtbezirk"] == "West"
    # residents: published for Bremen (sum = the city total of 12411-03-03, 31.12.2023), never
    # invented for Bremerhaven; the suppressed harbour cell stays empty with its mark
    bremen = quartiers[quartiers["city"] == "Bremen"]
    assert bremen["population"].sum() == 577_026
    assert quartiers.loc[quartiers["city"] == "Bremerhaven", "population"].isna().all()
    assert q.loc["04011121", "population_provenance"].startswith("missing: 'x'")
    assert set(quartiers.loc[quartiers["harbour_area"], "stadtteil"]) == {"Häfen", "Fischereihafen"}


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
    groep = win20[win20["quartier_id"].isin(["04011442", "04011441", "04011443"])]
    assert groep["amount_eur"].sum() == pytest.approx(225_000, abs=0.01)
    kinds = funding["provenance"].str.split(":").str[0]
    assert set(kinds) <= {"published", "derived", "illustrative"}
    # every amount that no source gives is flagged illustrative
    assert (kinds[funding["strand"] == "Kleinst-/Sondergebiete"] == "illustrative").all()


def test_demo_panel_shape_and_provenance(panel, quartiers):
    assert len(panel) == len(quartiers) * 13
    assert set(panel["year"]) == set(range(2012, 2025))
    counts = provenance_counts(panel).groupby("provenance")["n_values"].sum()
    # the demo panel holds no published value at all: real and simulated never mix
    assert "published" not in counts.index and counts["simulated"] > 10_000
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


def test_demo_calibrated_to_goethequartier_anchor_but_marked_simulated(panel):
    row = panel[(panel["quartier_id"] == "04012134") & (panel["year"] == 2019)].iloc[0]
    assert row["unemployment_rate"] == pytest.approx(29.0, abs=0.01)  # published anchor, "rund 29 %"
    assert row["unemployment_rate_provenance"] == "simulated"


def _twfe_slope(df: pd.DataFrame, y: str, x: str) -> float:
    """Two-way within estimator on a balanced panel (independent of the estimators under test)."""
    wide_y = df.pivot(index="quartier_id", columns="year", values=y).to_numpy()
    wide_x = df.pivot(index="quartier_id", columns="year", values=x).to_numpy()

    def dm(a):
        return a - a.mean(1, keepdims=True) - a.mean(0, keepdims=True) + a.mean()

    yy, xx = dm(wide_y), dm(wide_x)
    return float((xx * yy).sum() / (xx * xx).sum())


def test_known_effect_is_built_in(panel):
    # the same seed without an effect: the within-unit, within-year difference is exactly the
    # built-in effect x dose (calibration to the published anchors shifts whole units or years,
    # which the two-way demeaning removes; rates are rounded to 3 decimals)
    null = llq.simulate_panel(DEFAULT_SEED, effect={k: 0.0 for k in DEFAULT_EFFECTS})
    for outcome in ("sgb2_rate", "turnout_buergerschaft"):
        d = panel.assign(diff=panel[outcome] - null[outcome]).dropna(subset=["diff"])
        slope = _twfe_slope(d, "diff", "llq_eur_per_capita")
        assert slope == pytest.approx(DEFAULT_EFFECTS[outcome], abs=2e-3)
        assert abs(DEFAULT_EFFECTS[outcome]) >= 0.01  # an effect is built in


def test_simulate_panel_is_seeded_and_effect_is_recovered():
    a = llq.simulate_panel(seed=7, effect=-0.2)
    b = llq.simulate_panel(seed=7, effect=-0.2)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["true_effects"]["sgb2_rate"] == -0.2
    assert _twfe_slope(a, "sgb2_rate", "llq_eur_per_capita") == pytest.approx(-0.2, abs=0.03)
    c = llq.simulate_panel(seed=8, effect={"turnout_buergerschaft": 0.0})
    assert not a["sgb2_rate"].equals(c["sgb2_rate"])
    with pytest.raises(ValueError, match="unknown outcome"):
        llq.simulate_panel(effect={"nonsense": 1})
    with pytest.raises(ValueError, match="outside"):
        llq.simulate_panel(effect=-5.0)


def test_demo_panel_is_calibrated_on_the_published_levels(panel):
    real = llq.load_panel()
    m = panel.merge(real[["quartier_id", "year", "sgb2_rate"]], on=["quartier_id", "year"],
                    suffixes=("_demo", "_published")).dropna(subset=["sgb2_rate_published"])
    assert len(m) > 500  # Bremen 2012-2018
    assert np.corrcoef(m["sgb2_rate_demo"], m["sgb2_rate_published"])[0, 1] > 0.9
    assert abs((m["sgb2_rate_demo"] - m["sgb2_rate_published"]).mean()) < 1.5  # pp
    stylised = llq.simulate_panel(DEFAULT_SEED, calibrate_to=False)
    s = stylised.merge(m[["quartier_id", "year", "sgb2_rate_published"]], on=["quartier_id", "year"])
    assert np.corrcoef(s["sgb2_rate"], s["sgb2_rate_published"])[0, 1] < 0.9  # calibration did it


def test_loaders_return_validated_frames(panel, funding):
    llq.validate_panel(panel)
    llq.validate_funding(funding)
