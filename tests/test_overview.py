"""Data overview: coverage, provenance, need ranking, city series, tile grid, HTML page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llq_analysis import overview as ov


def _tiny() -> pd.DataFrame:
    # 3 quartiers x 3 years; turnout only in 2019; one missing rate value
    rows = []
    for q, city, base in (("a", "X", 10.0), ("b", "X", 20.0), ("c", "Y", 30.0)):
        for y in (2018, 2019, 2020):
            rows.append({"quartier_id": q, "city": city, "year": y, "sgb2_rate": base + y - 2018,
                         "turnout_buergerschaft": 50.0 if y == 2019 else np.nan,
                         "population_below_retirement_age": {"a": 100, "b": 300, "c": 50}[q],
                         "llq_funded": q == "b"})
    df = pd.DataFrame(rows)
    df.loc[(df["quartier_id"] == "c") & (df["year"] == 2020), "sgb2_rate"] = np.nan
    return df


def test_coverage_counts_by_hand():
    c = ov.coverage(_tiny(), indicators=["sgb2_rate", "turnout_buergerschaft"])
    got = c.set_index(["indicator", "year"])["n_quartiers"].to_dict()
    assert got == {("sgb2_rate", 2018): 3, ("sgb2_rate", 2019): 3, ("sgb2_rate", 2020): 2,
                   ("turnout_buergerschaft", 2018): 0, ("turnout_buergerschaft", 2019): 3,
                   ("turnout_buergerschaft", 2020): 0}
    assert (c["n_total"] == 3).all()
    assert c.loc[(c["indicator"] == "sgb2_rate") & (c["year"] == 2020), "share"].item() == pytest.approx(2 / 3)
    wide = ov.coverage_table(_tiny(), indicators=["sgb2_rate", "turnout_buergerschaft"])
    assert list(wide.index) == ["sgb2_rate", "turnout_buergerschaft"]
    assert wide.loc["turnout_buergerschaft"].tolist() == [0, 3, 0]
    by_city = ov.coverage(_tiny(), indicators=["sgb2_rate"], by="city")
    assert by_city.set_index(["year", "city"]).loc[(2020, "Y"), "n_quartiers"] == 0


def test_coverage_bundled(panel, quartiers):
    wide = ov.coverage_table(panel)
    assert (wide.loc["sgb2_rate"] == len(quartiers)).all()  # the demo panel simulates every Ortsteil
    # turnout exists only in election years (never interpolated)
    assert set(wide.columns[wide.loc["turnout_buergerschaft"] > 0]) == {2015, 2019, 2023}
    assert set(wide.columns[wide.loc["turnout_bundestag"] > 0]) == {2013, 2017, 2021}


def test_provenance_table_matches_readme_counts(panel):
    from llq_analysis import paths, schema

    p = ov.provenance_table(panel)
    n_sim = sum(int((panel[c].notna() & panel[schema.provenance_column(c)].str.startswith("simulated")).sum())
                for c in schema.panel_value_columns())
    assert int(p["simulated"].sum()) == n_sim
    assert "published" not in p.columns or int(p["published"].sum()) == 0  # none in the demo panel
    readme = " ".join((paths.DATA_DIR / "README.md").read_text(encoding="utf-8").split())
    assert f"({n_sim} simulated values)" in readme
    assert (p["total"] == len(panel)).all()


def test_quartiers_by_need_ranking():
    r = ov.quartiers_by_need(_tiny(), indicator="sgb2_rate", year=2020)
    # 2020: a = 12, b = 22, c missing -> b first, a second, c last without rank
    assert r["quartier_id"].tolist() == ["b", "a", "c"]
    assert r["rank"].tolist()[:2] == [1.0, 2.0]
    assert np.isnan(r["rank"].iloc[2])
    assert r["funded"].tolist() == [True, False, False]
    latest = ov.quartiers_by_need(_tiny(), indicator="turnout_buergerschaft", ascending=True)
    assert (latest["year"] == 2019).all()
    with pytest.raises(ValueError, match="missing column"):
        ov.quartiers_by_need(_tiny(), indicator="nope")


def test_city_trend_weighted_by_base_population():
    ct = ov.city_trend(_tiny(), indicator="sgb2_rate")
    x2018 = ct[(ct["city"] == "X") & (ct["year"] == 2018)]["value"].item()
    assert x2018 == pytest.approx((10 * 100 + 20 * 300) / 400)  # = 17.5, not the unweighted 15
    unweighted = ov.city_trend(_tiny(), indicator="sgb2_rate", weight=None)
    assert unweighted[(unweighted["city"] == "X") & (unweighted["year"] == 2018)]["value"].item() == 15.0
    assert not ((ct["city"] == "Y") & (ct["year"] == 2020)).any()  # no value, no row
    t = ov.city_trend(_tiny(), indicator="turnout_buergerschaft")  # no electorate column -> unweighted
    assert set(t["year"]) == {2019}


def test_tile_grid_layout(quartiers, panel):
    g = ov.tile_grid(panel, quartiers=quartiers, indicator="sgb2_rate")
    assert len(g) == len(quartiers) and g["quartier_id"].is_unique
    # one row per Stadtteil within a city; tiles of one Stadtteil share the row
    for _city, d in g.groupby("city"):
        assert d.groupby("stadtteil")["y"].nunique().max() == 1
        assert d["y"].nunique() == d["stadtteil"].nunique()
        assert not d.duplicated(["x", "y"]).any()
    latest = panel[panel["year"] == panel["year"].max()].set_index("quartier_id")
    row = g.set_index("quartier_id").loc["04011373"]
    assert row["value"] == pytest.approx(latest.loc["04011373", "sgb2_rate"])
    assert bool(row["funded"]) is True
    assert g.attrs["year"] == int(panel["year"].max())
    geo_only = ov.tile_grid(None, quartiers=quartiers)
    assert geo_only["value"].isna().all()


def test_plots_mark_simulated(panel, quartiers):
    import matplotlib.pyplot as plt

    from llq_analysis import plots

    g = ov.tile_grid(panel, quartiers=quartiers)
    fig = plots.tile_grid_plot(g, provenance="simulated")
    assert "Simulierte Daten" in [t.get_text() for t in fig.texts]
    plt.close(fig)
    fig = plots.coverage_heatmap(ov.coverage(panel), provenance="simulated", lang="en")
    assert "Simulated data" in [t.get_text() for t in fig.texts]
    plt.close(fig)


def test_write_overview(tmp_path, panel, quartiers):
    path = ov.write_overview(tmp_path / "out", lang="de", panel=panel, quartiers=quartiers)
    assert path.name == "daten_ueberblick.html" and path.exists()
    text = path.read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") == 5  # four charts and the map
    assert "Karte: SGB-II-Quote (%) 2024" in text
    assert "Simulierte Daten" in text  # the warning banner
    top = ov.quartiers_by_need(panel, indicator="sgb2_rate", quartiers=quartiers)["quartier_id"].iloc[0]
    assert f"<td>{top}</td>" in text  # need table
    en = ov.write_overview(tmp_path / "out", lang="en", panel=panel, quartiers=quartiers)
    assert en.name == "data_overview.html"
    assert "simulated data" in en.read_text(encoding="utf-8").lower()
    assert not list((tmp_path / "out").glob("*.tmp"))  # atomic write left nothing behind
    with pytest.raises(ValueError, match="lang"):
        ov.write_overview(tmp_path, lang="fr", panel=panel, quartiers=quartiers)


def test_cli_overview(tmp_path):
    from llq_analysis.cli import main

    assert main(["overview", "--out", str(tmp_path), "--lang", "en"]) == 0
    assert (tmp_path / "data_overview.html").exists()


def test_write_overview_of_the_bundled_data_shows_both_panels_apart(tmp_path):
    path = ov.write_overview(tmp_path, lang="de")
    text = path.read_text(encoding="utf-8")
    assert "Veröffentlichte und simulierte Werte je Indikator" in text
    assert "Karte: SGB-II-Quote (%) 2018" in text  # the latest published year
    assert "Simulierte Daten" not in text  # the published panel is shown, nothing simulated mixed in
    counts = ov.source_counts(__import__("llq_analysis").load_panel(), __import__("llq_analysis").load_demo_panel())
    row = counts.set_index("indicator").loc["sgb2_rate"]
    assert row["published"] == 1180 and row["published_years"] == "2005-2018" and row["simulated"] > 1000
