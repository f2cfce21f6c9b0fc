"""The original official files and the published panel built from them (issue: real official data).

The checks run on the very files evaluators download (data/sources/official/), through the same
reader a user calls: the Ortsteile add up to the published city totals, the two sources of the
2019 turnout agree, every published value of data/panel.csv is found again at its recorded place.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

import llq_analysis as llq
from llq_analysis import paths
from llq_analysis.data import geography as geo
from llq_analysis.data.official import list_blocks, read_official_table

CODE = "Ortsteil / Stadtteil / Stadtbezirk"
SGB2 = ("Anteil der Leistungsberechtigten (Grundsicherung für Arbeitsuchende, SGB II) an der "
        "Bevölkerung unter 65 Jahren (%)")
TURNOUT = "Anteil der Wähler/-innen an den Wahlberechtigten (%)"


@pytest.fixture(scope="module")
def atlas_population():
    return read_official_table(geo.ATLAS_XLSX, sheet="Bevölkerung (Absolute Werte)",
                               block="Bevölkerungszahl insgesamt")


@pytest.fixture(scope="module")
def published():
    return llq.load_panel()


@pytest.fixture(scope="module")
def wahlatlas():
    return read_official_table(geo.WAHLATLAS_JS, sheet="Ortsteile")


def test_checksums_match_the_readme():
    text = (paths.OFFICIAL_SOURCES_DIR / "README.md").read_text(encoding="utf-8")
    listed = dict((f, h) for h, f in re.findall(r"^\s+([0-9a-f]{64})\s+(\S+)$", text, re.M))
    assert len(listed) == 8
    for rel, digest in listed.items():
        assert hashlib.sha256((paths.OFFICIAL_SOURCES_DIR / rel).read_bytes()).hexdigest() == digest, rel


def test_ortsteilatlas_has_179_indicator_blocks_on_23_sheets():
    blocks = list_blocks(geo.ATLAS_XLSX)
    assert len(blocks) == 179 and blocks["sheet"].nunique() == 23
    assert ((blocks["sheet"] == "Sozialleistungen") & (blocks["block"] == SGB2)).sum() == 1
    row = blocks[blocks["block"] == SGB2].iloc[0]
    assert (row["first_year"], row["last_year"]) == (2005, 2018)
    # the same indicator name heads blocks on two sheets: the sheet tells them apart
    assert set(blocks.loc[blocks["block"] == TURNOUT, "sheet"]) == {"Bundestagswahlen", "Bürgerschaftswahlen"}


def test_ortsteilatlas_ortsteile_sum_to_the_city_row(atlas_population):
    df = atlas_population
    years = [c for c in df.columns if re.fullmatch(r"\d{4}", c)]
    codes = pd.to_numeric(df[CODE], errors="coerce")
    ortsteile = df[codes >= 100]
    city = df[df["Spalte_2"] == "Stadt Bremen"]
    assert len(ortsteile) == 88 and len(city) == 1 and len(years) == 20
    short = {y: int(city[y].iloc[0]) - int(ortsteile[y].sum()) for y in years}
    assert short["2018"] == 0 and int(city["2018"].iloc[0]) == 569_352  # exact in 2018
    # earlier, the city row also counts residents of the two harbour keys the atlas leaves out
    # (121 Handelshäfen, 123 Überseehafengebiet): 172 in 1980 falling to 5 in 2010
    assert all(0 <= v <= 172 for v in short.values()) and short["1980"] == 172
    g = read_official_table(str(geo.POP_CSV).format(year=2010))
    g = g[g["Alter von ... bis unter ... Jahren"] == "Insgesamt"].set_index("Gebietsschlüssel")
    harbours = g.loc[["04011121", "04011123"], "Bevölkerung insgesamt"].fillna(0).sum()
    assert short["2010"] == int(harbours)


@pytest.mark.parametrize("year", [2010, 2020, 2021, 2022, 2023])
def test_12411_ortsteile_sum_exactly_to_the_city_of_bremen(year):
    df = read_official_table(str(geo.POP_CSV).format(year=year))
    df = df[df["Alter von ... bis unter ... Jahren"] == "Insgesamt"]
    key = df["Gebietsschlüssel"].astype(str)
    ortsteile = df[(key.str.len() == 8) & key.str.startswith("04011")]
    total = df.loc[key == "04011", "Bevölkerung insgesamt"].iloc[0]
    assert len(ortsteile) == 90
    assert int(ortsteile["Bevölkerung insgesamt"].sum()) == int(total)  # suppressed 'x' cells count as 0
    if year in (2020, 2023):
        assert int(total) == {2020: 566_573, 2023: 577_026}[year]


def test_the_two_population_sources_agree_exactly_in_2010(atlas_population, published):
    a = atlas_population[pd.to_numeric(atlas_population[CODE], errors="coerce") >= 100]
    atlas_2010 = dict(zip(a[CODE].map(lambda c: f"04011{int(c):03d}"), a["2010"], strict=True))
    g = read_official_table(str(geo.POP_CSV).format(year=2010))
    g = g[(g["Alter von ... bis unter ... Jahren"] == "Insgesamt") & (g["Gebietsschlüssel"].str.len() == 8)]
    genesis = dict(zip(g["Gebietsschlüssel"], g["Bevölkerung insgesamt"], strict=True))
    assert {k: genesis[k] for k in atlas_2010} == atlas_2010  # all 88 Ortsteile, exactly
    p2010 = published[published["year"] == 2010]
    assert p2010["population_provenance"].str.contains("Ortsteilatlas").sum() == 88


def test_turnout_2019_of_the_two_sources_agrees(published, wahlatlas, atlas_population):
    atlas = read_official_table(geo.ATLAS_XLSX, sheet="Bürgerschaftswahlen", block=TURNOUT)
    atlas = atlas[pd.to_numeric(atlas[CODE], errors="coerce") >= 100]
    a = dict(zip(atlas[CODE].map(lambda c: f"X{int(c)}"), atlas["2019"], strict=True))
    w = dict(zip(wahlatlas["id"], wahlatlas["Wahlbeteiligung 2019 (%)"], strict=True))
    both = [k for k in a if pd.notna(a[k]) and pd.notna(w.get(k))]
    diff = np.array([abs(a[k] - w[k]) for k in both])
    # 82 Ortsteile have a value in both (6 of the atlas's 88 have none in one of them); largest
    # difference 0.0498 pp: the election atlas rounds to 0.1
    assert len(both) == 82
    assert 0.04 < diff.max() <= 0.05
    # the panel takes 2019 and 2023 from the election atlas only (one source per year)
    prov = published.loc[published["year"].isin([2019, 2023]) & published["turnout_buergerschaft"].notna(),
                         "turnout_buergerschaft_provenance"]
    assert prov.str.contains("Wahlatlas").all() and len(prov) > 150


def test_election_atlas_totals_are_the_official_results(wahlatlas):
    land = wahlatlas[wahlatlas["name"] == "Land Bremen"].iloc[0]
    assert land["Wahlbeteiligung 2023 (%)"] == 56.9 and land["Wahlbeteiligung 2019 (%)"] == 64.1


def test_published_panel_holds_only_published_or_missing_values(published, quartiers):
    assert len(published) == len(quartiers) * 20 and set(published["year"]) == set(range(2005, 2025))
    assert (published["provenance"] == "published").all()
    for c in llq.data.schema.panel_value_columns():
        kind = published[llq.data.schema.provenance_column(c)].astype(str).str.split(":").str[0]
        has = published[c].notna()
        if c.startswith("llq_"):  # programme data from funding.csv, never called published
            assert set(kind[has]) <= {"derived", "illustrative"}, c
        else:
            assert set(kind[has]) <= {"published"}, c
        assert set(kind[~has]) <= {"missing"}, c
    # nothing after the last published year: no carried-forward or interpolated values
    assert published.loc[published["year"] > 2018, "sgb2_rate"].isna().all()
    assert published.loc[published["year"] > 2017, "unemployment_rate"].isna().all()
    assert published.loc[~published["year"].isin([2007, 2011, 2015, 2019, 2023]),
                         "turnout_buergerschaft"].isna().all()


def test_every_published_value_is_found_at_its_recorded_place(published):
    trace = pd.read_csv(paths.PANEL_SOURCES_CSV, dtype={"quartier_id": str})
    value = published.set_index(["quartier_id", "year"])
    # every value has a trace row (marked cells such as 'x' are traced too, as missing)
    keys = set(zip(trace["quartier_id"], trace["year"], trace["column"], strict=True))
    for c in llq.data.schema.panel_value_columns():
        if c.startswith("llq_"):
            continue
        have = published.loc[published[c].notna(), ["quartier_id", "year"]]
        assert all((q, int(y), c) in keys for q, y in have.itertuples(index=False)), c
    wb = openpyxl.load_workbook(geo.ATLAS_XLSX, read_only=True, data_only=True)
    sheets = {name: {i: row for i, row in enumerate(wb[name].iter_rows(values_only=True), start=1)}
              for name in trace.loc[trace["file"].str.endswith(".xlsx"), "sheet"].unique()}
    wb.close()
    tables = {}
    checked = 0
    for r in trace.itertuples():
        got = value.loc[(r.quartier_id, r.year), r.column]
        if pd.isna(got):
            assert value.loc[(r.quartier_id, r.year), f"{r.column}_provenance"].startswith("missing")
            checked += 1
            continue
        if r.file.endswith(".xlsx"):  # straight from the cell with openpyxl, not our reader
            col = openpyxl.utils.column_index_from_string(re.match(r"[A-Z]+", r.cell).group(0)) - 1
            raw = sheets[r.sheet][r.line][col]
        else:
            key = (r.file, r.sheet if isinstance(r.sheet, str) else None)
            if key not in tables:
                src = next(paths.OFFICIAL_SOURCES_DIR.rglob(r.file))
                df = read_official_table(src, sheet=key[1])
                tables[key] = dict(zip(df.attrs["source_lines"], df.to_dict("records"), strict=True))
            raw = tables[key][r.line][r.source_column]
        assert float(raw) == pytest.approx(float(got), abs=1e-9), r
        checked += 1
    assert checked == len(trace)


def test_gap_years_are_reported_not_filled(published):
    bhv = published[published["city"] == "Bremerhaven"]
    assert bhv["sgb2_rate"].isna().all() and bhv["population"].isna().all()
    assert bhv.loc[bhv["year"].isin([2019, 2023]), "turnout_buergerschaft"].notna().sum() >= 44
