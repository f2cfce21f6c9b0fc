"""Boundaries, neighbours and maps: checked against the official shapefile attribute tables.

The attribute tables (.dbf) are read with a small dBase reader written here, independent of the
geo libraries the build uses; geometry checks that need shapely/pyogrio skip without the geo extra.
"""

from __future__ import annotations

import json
import math
import struct

import pandas as pd
import pytest

from llq_analysis.data import boundaries as bnd
from llq_analysis.errors import DataValidationError


def read_dbf(path, encoding):
    """Records of a dBase III table as dicts of stripped strings (enough for these files)."""
    data = path.read_bytes()
    n, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields, pos = [], 32
    while data[pos] != 0x0D:
        name = data[pos:pos + 11].split(b"\0")[0].decode("ascii")
        fields.append((name, data[pos + 16]))
        pos += 32
    rows = []
    for i in range(n):
        rec = data[header_len + i * record_len: header_len + (i + 1) * record_len]
        if rec[:1] == b"*":  # deleted record
            continue
        out, off = {}, 1
        for name, length in fields:
            out[name] = rec[off:off + length].decode(encoding).strip()
            off += length
        rows.append(out)
    return rows


SRC = bnd.SOURCE_DIR
BRE = read_dbf(SRC / "bremen_2023/hb_ortsteile_BRE.dbf", "utf-8")
BRE_ST = read_dbf(SRC / "bremen_2023/hb_stadtteile_BRE.dbf", "utf-8")
BHV = read_dbf(SRC / "bremerhaven_2023/hb_ortsteile_BHV.dbf", "cp1252")
B2012 = read_dbf(SRC / "bremen_2012/hb_ortsteile.dbf", "cp1252")


@pytest.fixture(scope="module")
def areas():
    return bnd.load_boundaries()


@pytest.fixture(scope="module")
def nb():
    return bnd.neighbours()


def id_of(areas, name):
    (key,) = [k for k, a in areas.items() if a.name == name]
    return key


# --------------------------------------------------------------------------- keys and properties
def test_keys_match_the_official_attribute_tables(areas):
    bremen = {r["sch_ot"] for r in BRE} | {r["SCH"] for r in B2012} | {
        r["SCH_OT"] for r in BHV if r["BEZ_KRS"] == "Bremen"}
    bremerhaven = {r["SCH_OT"] for r in BHV if r["BEZ_KRS"] == "Bremerhaven"}
    assert len({r["SCH"] for r in B2012}) == 88  # the complete 2012 key = the Ortsteilatlas' 88
    assert len(bremerhaven) == 24
    got_hb = {k for k, a in areas.items() if a.city == "Bremen"}
    got_bhv = {k for k, a in areas.items() if a.city == "Bremerhaven"}
    assert sorted(bremen - got_hb) == [] and sorted(got_hb - bremen) == []
    assert sorted(bremerhaven - got_bhv) == [] and sorted(got_bhv - bremerhaven) == []
    assert len(got_hb) == 89  # 88 Ortsteile + 04011123 Überseehafengebiet (from the BHV file)
    assert list(areas) == sorted(areas)


def test_every_key_is_an_8_digit_gebietsschluessel_of_its_city(areas):
    for key, area in areas.items():
        assert len(key) == 8 and key.isdigit(), key
        assert key.startswith({"Bremen": "04011", "Bremerhaven": "04012"}[area.city]), key


def test_names_are_as_published(areas):
    published = {r["sch_ot"]: r["bez_ot"] for r in BRE}
    published |= {r["SCH_OT"]: r["BEZ_OT"] for r in BHV}
    published |= {"04011361": next(r["bez_st"] for r in BRE_ST if r["sch"] == "04011360")}
    assert {k: a.name for k, a in areas.items()} == published
    assert areas["04011361"].name == "Oberneuland"
    assert "hb_stadtteile_BRE" in areas["04011361"].geometry_source
    assert "fehlt in hb_ortsteile_BRE" in areas["04011361"].geometry_source
    uebersee = [r["SCH_OT"] for r in BHV if "Überseehafen" in r["BEZ_OT"]]
    assert uebersee and all(areas[k].city == "Bremen" for k in uebersee)


def test_geojson_layout_and_size():
    text = bnd.BOUNDARIES_GEOJSON.read_text(encoding="utf-8")
    assert 100_000 < len(text.encode()) < 300_000
    doc = json.loads(text)
    assert "GeoBasis-DE / Landesamt GeoInformation Bremen" in doc["attribution"]
    for feat in doc["features"]:
        assert list(feat["properties"]) == list(bnd._PROPERTIES)
        assert feat["geometry"]["type"] in ("Polygon", "MultiPolygon")
    coords = [c for line in text.splitlines()[1:-1]
              for c in json.loads(line.rstrip(","))["geometry"]["coordinates"]]
    assert coords  # WGS84 within the Land Bremen, at most 6 decimals
    flat = json.dumps(coords)
    assert all(len(tok.split(".")[-1]) <= 6 for tok in flat.replace("[", ",").replace("]", ",")
               .split(",") if "." in tok)
    for area in bnd.load_boundaries().values():
        for poly in area.polygons:
            for x, y in poly[0]:
                assert 8.4 < x < 9.0 and 53.0 < y < 53.65


# --------------------------------------------------------------------------- neighbours
def test_neighbours_symmetric_sorted_no_self_pairs(nb, areas):
    assert list(nb.columns) == ["quartier_id", "neighbour_id", "shared_border_m"]
    assert not (nb.quartier_id == nb.neighbour_id).any()
    assert set(nb.quartier_id) <= set(areas) and set(nb.neighbour_id) <= set(areas)
    fwd = {(a, b): m for a, b, m in nb.itertuples(index=False)}
    assert fwd == {(b, a): m for (a, b), m in fwd.items()}
    assert list(nb.itertuples(index=False)) == sorted(nb.itertuples(index=False))
    assert (nb.shared_border_m >= 1).all()
    assert not nb.duplicated(["quartier_id", "neighbour_id"]).any()


def test_known_neighbour_pairs(nb, areas):
    pairs = set(zip(nb.quartier_id, nb.neighbour_id, strict=True))
    groepelingen = id_of(areas, "Gröpelingen")
    assert groepelingen == "04011442"
    for other in ("Lindenhof", "Ohlenhof", "In den Wischen"):
        assert (groepelingen, id_of(areas, other)) in pairs
    for other in ("Altstadt", "Tenever", "Vegesack"):
        assert (groepelingen, id_of(areas, other)) not in pairs
    # across the Weser: Altstadt and Alte Neustadt share the river border
    assert (id_of(areas, "Altstadt"), id_of(areas, "Alte Neustadt")) in pairs
    assert (id_of(areas, "Geestemünde-Nord"), id_of(areas, "Geestendorf")) in pairs


def test_no_pairs_across_the_cities_except_the_ueberseehafen_enclave(nb, areas):
    enclave = {k for k, a in areas.items() if a.city == "Bremen" and "Überseehafen" in a.name}
    cross = nb[[areas[a].city != areas[b].city for a, b in zip(nb.quartier_id, nb.neighbour_id,
                                                                  strict=True)]]
    assert len(cross) > 0
    assert all(a in enclave or b in enclave for a, b in zip(cross.quartier_id, cross.neighbour_id,
                                                            strict=True))


def test_neighbours_reads_csv_beside_a_given_geojson(tmp_path, nb):
    (tmp_path / "neighbours.csv").write_text(bnd.NEIGHBOURS_CSV.read_text())
    pd.testing.assert_frame_equal(bnd.neighbours(boundaries=tmp_path / "x.geojson"), nb)


# --------------------------------------------------------------------------- build (geo extra)
@pytest.mark.slow
def test_rebuild_is_byte_identical(tmp_path):
    pytest.importorskip("geopandas")
    pytest.importorskip("pyogrio")
    out = tmp_path / "boundaries.geojson"
    summary = bnd.build_boundaries(out)
    assert out.read_bytes() == bnd.BOUNDARIES_GEOJSON.read_bytes()
    assert (tmp_path / "neighbours.csv").read_bytes() == bnd.NEIGHBOURS_CSV.read_bytes()
    assert summary["n_bremen"] == 89 and summary["n_bremerhaven"] == 24


@pytest.mark.slow
def test_geometry_against_the_full_resolution_sources(nb, areas):
    """Independent checks with DE-9IM predicates and areas on the original polygons."""
    shapely = pytest.importorskip("shapely")
    pyogrio = pytest.importorskip("pyogrio")
    keys, _, _, _, geoms = bnd._read_official(SRC)
    full = dict(zip(keys, geoms, strict=True))
    simplified = {f["id"]: shapely.from_geojson(json.dumps(f["geometry"])) for f in
                  json.loads(bnd.BOUNDARIES_GEOJSON.read_text(encoding="utf-8"))["features"]}
    assert all(shapely.is_valid(g) for g in simplified.values())
    # rook contiguity by DE-9IM (boundaries share a line) = the neighbour table
    rook = {(a, b) for a in keys for b in keys if a != b
            and shapely.relate_pattern(full[a], full[b], "F***1****")}
    assert rook == set(zip(nb.quartier_id, nb.neighbour_id, strict=True))
    # Ortsteile away from the city border: their borders with neighbours add up to the perimeter
    outline = shapely.boundary(shapely.union_all(list(full.values())))
    inner = [k for k in keys if shapely.distance(shapely.boundary(full[k]), outline) > 1.0]
    assert len(inner) > 20
    for k in inner:
        shared = nb.loc[nb.quartier_id == k, "shared_border_m"]
        assert abs(shared.sum() - full[k].length) <= 0.5 * len(shared) + 1.0, k
    # Oberneuland from the 2023 Stadtteil file agrees with the 2012 Ortsteil polygon
    old = pyogrio.read_dataframe(SRC / bnd.BRE_2012, encoding="cp1252")
    ob2012 = shapely.union_all(old.loc[old["SCH"] == "04011361"].geometry.to_numpy())
    ob = full["04011361"]
    assert shapely.area(shapely.symmetric_difference(ob, ob2012)) < 0.001 * ob.area
    assert shapely.hausdorff_distance(ob, ob2012) < bnd.SIMPLIFY_TOLERANCE_M
    # the simplified WGS84 polygons, projected back, keep every area within 2 %
    import numpy as np

    proj = pytest.importorskip("pyproj").Transformer.from_crs("EPSG:4326", bnd.SOURCE_CRS,
                                                              always_xy=True)
    for k in keys:
        back = shapely.transform(simplified[k],
                                 lambda c: np.column_stack(proj.transform(c[:, 0], c[:, 1])))
        assert math.isclose(back.area, full[k].area, rel_tol=0.02), k


# --------------------------------------------------------------------------- plot_map
@pytest.fixture
def values(areas):
    ids = list(areas)
    return pd.DataFrame({"quartier_id": ids, "rate": [float(i % 17) for i in range(len(ids))]})


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _patches(fig, prefix="quartier:"):
    return {p.get_gid()[len(prefix):]: p for ax in fig.axes for p in ax.patches
            if (p.get_gid() or "").startswith(prefix)}


def _texts(fig):
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
        out += [ax.get_title(loc="left")]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
    return out


def test_plot_map_one_patch_per_key_and_colours(values, areas):
    from matplotlib.figure import Figure

    from llq_analysis.outputs.maps import plot_map

    before = values.copy()
    fig = plot_map(values, column="rate", label="Quote (%)")
    assert isinstance(fig, Figure)
    patches = _patches(fig)
    assert sorted(patches) == sorted(areas)
    assert sum(1 for ax in fig.axes for p in ax.patches
               if (p.get_gid() or "").startswith("quartier:")) == len(areas)
    pd.testing.assert_frame_equal(values, before)
    lo_id = values.loc[values.rate.idxmin(), "quartier_id"]
    hi_id = values.loc[values.rate.idxmax(), "quartier_id"]
    import matplotlib as mpl

    cmap = mpl.colormaps["YlOrRd"]
    assert patches[lo_id].get_facecolor() == pytest.approx(cmap(0.0))
    assert patches[hi_id].get_facecolor() == pytest.approx(cmap(1.0))
    texts = _texts(fig)
    assert "Stadt Bremen" in texts and any(t.startswith("Bremerhaven") for t in texts)
    assert "Quote (%)" in [ax.get_xlabel() for ax in fig.axes]
    assert not any("Simulierte Daten" in t for t in texts)
    assert any("GeoBasis-DE / Landesamt GeoInformation Bremen" in t for t in texts)


def test_missing_suppressed_and_highlighted(values, areas):
    from llq_analysis.outputs.maps import MISSING_COLOUR, plot_map

    ids = list(areas)
    v = values.iloc[3:].copy()  # the first three have no row -> keine Angabe
    v["rate"] = v["rate"].astype(object)
    v.iloc[0, 1] = "x"  # disclosure mark
    v["locked"] = False
    v.iloc[1, v.columns.get_loc("locked")] = True
    fig = plot_map(v, column="rate", suppressed="locked", highlight=[ids[10], ids[11]],
                   highlight_label="LLQ-gefördert")
    patches = _patches(fig)
    import matplotlib.colors as mc

    assert mc.to_hex(patches[ids[0]].get_facecolor()) == MISSING_COLOUR
    assert patches[ids[3]].get_hatch() and patches[ids[4]].get_hatch()
    assert not patches[ids[5]].get_hatch()
    assert sorted(_patches(fig, "highlight:")) == [ids[10], ids[11]]
    texts = _texts(fig)
    for label in ("keine Angabe", "gesperrt (Geheimhaltung)", "LLQ-gefördert"):
        assert label in texts
    fig = plot_map(values, column="rate", suppressed=[ids[7]], lang="en")
    assert _patches(fig)[ids[7]].get_hatch()
    assert "suppressed (confidentiality)" in _texts(fig) and "no data" not in _texts(fig)


def test_source_line_and_simulated_stamp(values):
    from llq_analysis.outputs.maps import plot_map

    src = "Statistisches Landesamt Bremen, Ortsteilatlas"
    fig = plot_map(values, column="rate", source=src, provenance="published: Ortsteilatlas")
    texts = _texts(fig)
    assert any(src in t for t in texts) and not any("Simulierte Daten" in t for t in texts)
    assert any("Simulierte Daten" in t for t in _texts(plot_map(values, column="rate",
                                                                provenance="simulated")))
    v = values.assign(rate_provenance="published: x")
    assert not any("Simulierte Daten" in t for t in _texts(plot_map(v, column="rate")))
    v.loc[5, "rate_provenance"] = "simulated"
    assert any("Simulierte Daten" in t for t in _texts(plot_map(v, column="rate")))


def test_labels_and_diverging_centre(values, areas):
    import matplotlib as mpl

    from llq_analysis.outputs.maps import plot_map

    v = values.assign(change=[float(i - 40) for i in range(len(values))])  # unique values
    fig = plot_map(v, column="change", center=0, highlight=[list(areas)[0]])
    labelled = {t.get_gid()[6:] for ax in fig.axes for t in ax.texts
                if (t.get_gid() or "").startswith("label:")}
    assert list(areas)[0] in labelled
    bremen = v[[areas[k].city == "Bremen" and "Überseehafen" not in areas[k].name
                for k in v.quartier_id]]
    assert bremen.loc[bremen.change.idxmax(), "quartier_id"] in labelled  # highest in the panel
    assert v.loc[v.change.idxmax(), "quartier_id"] in labelled  # highest in Bremerhaven
    zero = v.loc[v.change == 0, "quartier_id"].iloc[0]
    assert _patches(fig)[zero].get_facecolor() == pytest.approx(mpl.colormaps["RdBu_r"](0.5))
    fig = plot_map(v, column="change", labels=None)
    assert not any((t.get_gid() or "").startswith("label:") for ax in fig.axes for t in ax.texts)


def test_draws_into_a_given_axes(values):
    import matplotlib.pyplot as plt

    from llq_analysis.outputs.maps import plot_map

    fig, ax = plt.subplots(figsize=(10, 7))
    assert plot_map(values, column="rate", ax=ax) is fig
    assert not ax.axison


def test_clear_errors(values):
    from llq_analysis.outputs.maps import plot_map

    bad = pd.concat([values, pd.DataFrame({"quartier_id": ["04019999", "4011442"],
                                           "rate": [1.0, 2.0]})], ignore_index=True)
    with pytest.raises(DataValidationError, match="04019999") as err:
        plot_map(bad, column="rate")
    assert "'quartier_id'" in str(err.value) and "4011442" in str(err.value)
    text = values.assign(rate=values.rate.astype(object))
    text.loc[2, "rate"] = "viel"
    with pytest.raises(DataValidationError, match="rate") as err:
        plot_map(text, column="rate")
    assert "viel" in str(err.value) and values.quartier_id[2] in str(err.value)
    with pytest.raises(DataValidationError, match="finite"):
        plot_map(values.assign(rate=values.rate.replace(0.0, math.inf)), column="rate")
    with pytest.raises(DataValidationError, match="boolean"):
        plot_map(values.assign(flag=values.rate > 3), column="flag")
    with pytest.raises(DataValidationError, match="nope"):
        plot_map(values, column="nope")
    with pytest.raises(DataValidationError, match="one row per Ortsteil"):
        plot_map(pd.concat([values, values.iloc[:1]]), column="rate")
    with pytest.raises(DataValidationError, match="04010000"):
        plot_map(values, column="rate", highlight=["04010000"])


def test_unmapped_ids_are_named_under_the_map_when_asked(values):
    from llq_analysis.outputs.maps import plot_map

    extra = pd.concat([values, pd.DataFrame({"quartier_id": ["04019998"], "rate": [3.0]})],
                      ignore_index=True)
    with pytest.raises(DataValidationError, match="04019998"):
        plot_map(extra, column="rate")
    fig = plot_map(extra, column="rate", unmapped="note")
    assert any("nicht dargestellt: 04019998" in t for t in _texts(fig))
    assert len(_patches(fig)) == len(values)


@pytest.mark.slow
def test_run_time_needs_no_geo_library():
    import os
    import subprocess
    import sys

    code = ("import sys, pandas as pd, llq_analysis as llq; a = llq.load_boundaries(); "
            "llq.neighbours(); llq.plot_map(pd.DataFrame({'quartier_id': list(a), 'v': 1.0}), "
            "column='v'); print([m for m in ('shapely', 'geopandas', 'pyogrio', 'pyproj', "
            "'seaborn') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "MPLBACKEND": "Agg"})
    assert out.stdout.strip() == "[]", out.stdout
