"""Ortsteil boundaries of both cities: build the bundled GeoJSON and the neighbour table; read them.

Build time (``build_boundaries``, needs the ``geo`` extra: geopandas, shapely >= 2.1, pyogrio, pyproj)
reads the official shapefiles of the Landesamt GeoInformation Bremen in
``data/sources/official/boundaries/`` (ATKIS Basis-DLM, AX_KommunalesGebiet, EPSG:25832):

* the 87 Ortsteile of ``hb_ortsteile_BRE.shp`` (2023; ``sch_ot`` = 8-digit Gebietsschlüssel,
  ``bez_ot`` = name);
* Ortsteil 361 Oberneuland, which that file lacks, from the 2023 Stadtteil file
  ``hb_stadtteile_BRE.shp`` (Stadtteil 04011360 Oberneuland consists of this one Ortsteil; city minus
  the 87 Ortsteile is exactly this polygon). It is snapped (1 cm) onto its neighbours' vertices so the
  Ortsteile form a clean coverage. The older, complete 2012 file ``hb_ortsteile.shp`` is kept as a
  cross-check (symmetric difference 0.007 km², at most 10.4 m apart, see the README there);
* the 24 Ortsteile of Bremerhaven and ``04011123`` Stadtbremisches Überseehafengebiet (city of
  Bremen, an enclave inside Bremerhaven) from ``hb_ortsteile_BHV.shp`` (2023).

Multi-part keys are dissolved into one (Multi)Polygon per key. Shared borders are measured on the
full-resolution coverage (``neighbours.csv``), then the coverage is simplified edge by edge
(GEOS coverage simplification, so neighbours keep identical shared edges and no slivers or gaps
appear), reprojected to WGS84 (EPSG:4326, RFC 7946 GeoJSON) and rounded to 6 decimals (~0.1 m).

Run time: ``load_boundaries`` reads the GeoJSON with :mod:`json` only and ``neighbours`` reads the
CSV with pandas only - no geo library is needed to draw maps (``outputs/maps.py``) or use neighbours.

Geodata: © GeoBasis-DE / Landesamt GeoInformation Bremen (open data, attribution required).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import paths

SOURCE_DIR = paths.DATA_DIR / "sources" / "official" / "boundaries"
BOUNDARIES_GEOJSON = paths.DATA_DIR / "boundaries.geojson"
NEIGHBOURS_CSV = paths.DATA_DIR / "neighbours.csv"
ATTRIBUTION = "© GeoBasis-DE / Landesamt GeoInformation Bremen"

BRE_ORTSTEILE = "bremen_2023/hb_ortsteile_BRE.shp"
BRE_STADTTEILE = "bremen_2023/hb_stadtteile_BRE.shp"
BHV_ORTSTEILE = "bremerhaven_2023/hb_ortsteile_BHV.shp"
BRE_2012 = "bremen_2012/hb_ortsteile.shp"

SOURCE_CRS = "EPSG:25832"
SIMPLIFY_TOLERANCE_M = 20.0  # GEOS coverage simplification (Visvalingam-Whyatt, ~ sqrt of area removed)
COORD_DECIMALS = 6  # WGS84 degrees: 1e-6 deg ~ 0.07 m east-west, 0.11 m north-south here
OBERNEULAND_SNAP_M = 0.01  # snap the Stadtteil polygon onto its neighbours' vertices
# Neighbours (see _adjacency): the official Ortsteile form a clean coverage (identical shared edges,
# checked at build), so touching pairs are measured exactly; pairs closer than 0.5 m without
# touching would count too (none in the 2023 files; 0.5-5 m add no pair, 10 m adds one spurious
# 6 m pair across a street strip). Borders shorter than 1 m (16 pairs meet in one corner point)
# are not neighbours; the shortest real border is 10.7 m.
ADJACENCY_TOLERANCE_M = 0.5
MIN_SHARED_BORDER_M = 1.0

_GEOJSON_NAME = "llq_ortsteile"
_PROPERTIES = ("quartier_id", "city", "name", "geometry_source", "label_point")
NEIGHBOUR_COLUMNS = ("quartier_id", "neighbour_id", "shared_border_m")

_SRC_BRE = ("Landesamt GeoInformation Bremen, hb_ortsteile_BRE.shp (Ortsteile Stadt Bremen, "
            "ATKIS Basis-DLM, Stand 29.08.2023)")
_SRC_OBERNEULAND = ("Landesamt GeoInformation Bremen, hb_stadtteile_BRE.shp (Stand 29.08.2023): "
                    "Stadtteil 04011360 Oberneuland = Ortsteil 361; fehlt in hb_ortsteile_BRE.shp")
_SRC_BHV = ("Landesamt GeoInformation Bremen, hb_ortsteile_BHV.shp (Ortsteile Bremerhaven, "
            "ATKIS Basis-DLM, 2023)")


# --------------------------------------------------------------------------- run time (no geo libs)
@dataclass(frozen=True)
class Area:
    """One Ortsteil as drawn: ``polygons`` = list of polygons, each a list of rings of (lon, lat)."""

    quartier_id: str
    city: str
    name: str
    geometry_source: str
    label_point: tuple[float, float]
    polygons: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]


def load_boundaries(path: str | os.PathLike | None = None) -> dict[str, Area]:
    """Read the bundled Ortsteil boundaries (GeoJSON, WGS84) with :mod:`json` only.

    Returns ``{quartier_id: Area}`` sorted by key. ``path`` defaults to ``data/boundaries.geojson``.
    """
    path = Path(path) if path is not None else BOUNDARIES_GEOJSON
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    out: dict[str, Area] = {}
    for feat in doc["features"]:
        props, geom = feat["properties"], feat["geometry"]
        if geom["type"] == "Polygon":
            parts = [geom["coordinates"]]
        elif geom["type"] == "MultiPolygon":
            parts = geom["coordinates"]
        else:
            raise ValueError(f"{path}: feature {props.get('quartier_id')!r} has geometry type "
                             f"{geom['type']!r}; expected Polygon or MultiPolygon")
        polygons = tuple(tuple(tuple((float(x), float(y)) for x, y in ring) for ring in poly)
                         for poly in parts)
        qid = str(props["quartier_id"])
        out[qid] = Area(qid, props["city"], props["name"], props["geometry_source"],
                        tuple(props["label_point"]), polygons)
    return dict(sorted(out.items()))


def neighbours(*, boundaries: str | os.PathLike | None = None):
    """Ortsteile that share a border: columns quartier_id, neighbour_id, shared_border_m (metres).

    Both directions, sorted, no self pairs; computed at build time from the full-resolution official
    polygons (see :data:`ADJACENCY_TOLERANCE_M`) and read here from ``neighbours.csv`` (pandas only).
    ``boundaries``: a GeoJSON written by :func:`build_boundaries`; its ``neighbours.csv`` beside it is
    read (default: the bundled one). Borders in the Weser count (the river belongs to the
    Ortsteile); the only pairs across the two cities are the Überseehafengebiet (city of Bremen,
    ``04011123``) and its Bremerhaven neighbours.
    """
    import pandas as pd

    csv = NEIGHBOURS_CSV if boundaries is None else _neighbours_path(Path(boundaries))
    table = pd.read_csv(csv, dtype={"quartier_id": str, "neighbour_id": str})
    if tuple(table.columns) != NEIGHBOUR_COLUMNS:
        raise ValueError(f"{csv}: columns {list(table.columns)}, expected {list(NEIGHBOUR_COLUMNS)}")
    return table


def _neighbours_path(geojson: Path) -> Path:
    return geojson.with_name("neighbours.csv")


# --------------------------------------------------------------------------- build time (geo extra)
def build_boundaries(out: str | os.PathLike = BOUNDARIES_GEOJSON, *,
                     source_dir: str | os.PathLike = SOURCE_DIR) -> dict:
    """Build ``boundaries.geojson`` and ``neighbours.csv`` (beside it) from the official shapefiles.

    Deterministic: features sorted by key, fixed property order, no timestamps (a rebuild is
    byte-identical). Returns a summary (counts, file sizes, simplification error, checks).
    Needs geopandas, shapely >= 2.1 (GEOS >= 3.12), pyogrio and pyproj (imported here only).
    """
    try:
        import geopandas  # noqa: F401  (pyogrio.read_dataframe returns GeoDataFrames)
        import numpy as np
        import pyogrio  # noqa: F401
        import pyproj  # noqa: F401
        import shapely
    except ImportError as err:
        raise ImportError("build_boundaries needs the geo extra (geopandas, shapely >= 2.1, "
                          f"pyogrio, pyproj): {err}") from err
    if tuple(int(p) for p in shapely.__version__.split(".")[:2]) < (2, 1):
        raise ImportError(f"build_boundaries needs shapely >= 2.1 (coverage functions), found "
                          f"{shapely.__version__}")

    out = Path(out)
    source_dir = Path(source_dir)
    keys, cities, names, sources, geoms = _read_official(source_dir)

    for city in ("Bremen", "Bremerhaven"):
        sel = np.array([c == city for c in cities])
        bad = shapely.coverage_invalid_edges(np.array(geoms, dtype=object)[sel])
        if not shapely.coverage_is_valid(np.array(geoms, dtype=object)[sel]):
            raise ValueError(f"Ortsteile of {city} are not a clean coverage: "
                             f"{shapely.length(bad).sum():.1f} m of mismatching edges")

    pairs = _adjacency(keys, geoms)
    simplified = shapely.coverage_simplify(np.array(geoms, dtype=object), SIMPLIFY_TOLERANCE_M)
    simplified = shapely.make_valid(simplified)
    error_m = [float(shapely.hausdorff_distance(a, b)) for a, b in zip(geoms, simplified, strict=True)]
    labels = [_label_point(g) for g in simplified]

    features = _to_wgs84_features(keys, cities, names, sources, simplified, labels)
    text = _geojson_text(features)
    _write_atomic(out, text)
    ncsv = _neighbours_path(out)
    _write_atomic(ncsv, _neighbours_text(pairs))

    cross = [(a, b) for a, b, _ in pairs if a < b and cities[keys.index(a)] != cities[keys.index(b)]]
    return {
        "geojson": str(out), "geojson_bytes": len(text.encode("utf-8")),
        "neighbours_csv": str(ncsv), "n_features": len(keys),
        "n_bremen": cities.count("Bremen"), "n_bremerhaven": cities.count("Bremerhaven"),
        "n_pairs": sum(1 for a, b, _ in pairs if a < b), "cross_city_pairs": cross,
        "max_simplification_error_m": round(max(error_m), 1),
        "n_vertices": int(sum(shapely.get_num_coordinates(np.array(simplified, dtype=object)))),
    }


def _read_official(source_dir: Path):
    """Keys, cities, names, geometry sources and EPSG:25832 geometries, one per key, sorted by key."""
    import pyogrio
    import shapely

    def read(rel: str, encoding: str):
        frame = pyogrio.read_dataframe(source_dir / rel, encoding=encoding)
        if frame.crs is None or frame.crs.to_epsg() != 25832:
            raise ValueError(f"{rel}: CRS {frame.crs}, expected {SOURCE_CRS}")
        return frame

    bre = read(BRE_ORTSTEILE, "UTF-8")  # .cpg says UTF-8
    bhv = read(BHV_ORTSTEILE, "cp1252")  # no .cpg; dBase language id 0x03 = Windows ANSI
    rows: dict[str, list] = {}  # key -> [city, name, source, [geometries]]
    for key, name, geom in zip(bre["sch_ot"], bre["bez_ot"], bre.geometry, strict=True):
        _check_key(key, "04011", BRE_ORTSTEILE)
        rows.setdefault(key, ["Bremen", name, _SRC_BRE, []])[3].append(geom)

    if "04011361" not in rows:  # Oberneuland: from the Stadtteil polygon, snapped onto its neighbours
        st = read(BRE_STADTTEILE, "UTF-8")
        ob = st[st["sch"] == "04011360"]
        if len(ob) != 1:
            raise ValueError(f"{BRE_STADTTEILE}: expected one Stadtteil 04011360 Oberneuland, "
                             f"found {len(ob)}")
        geom = ob.geometry.iloc[0]
        near = [g for gs in (r[3] for r in rows.values()) for g in gs
                if shapely.distance(g, geom) < 1.0]
        geom = shapely.make_valid(shapely.snap(geom, shapely.GeometryCollection(near),
                                               OBERNEULAND_SNAP_M))
        rows["04011361"] = ["Bremen", ob["bez_st"].iloc[0], _SRC_OBERNEULAND, [geom]]

    for key, name, geom in zip(bhv["SCH_OT"], bhv["BEZ_OT"], bhv.geometry, strict=True):
        if key.startswith("04011"):  # Stadtbremisches Überseehafengebiet: city of Bremen
            _check_key(key, "04011", BHV_ORTSTEILE)
            if key in rows:
                continue  # already in the Bremen file: do not duplicate
            rows[key] = ["Bremen", name, _SRC_BHV, [geom]]
        else:
            _check_key(key, "04012", BHV_ORTSTEILE)
            rows.setdefault(key, ["Bremerhaven", name, _SRC_BHV, []])[3].append(geom)

    keys = sorted(rows)
    geoms = [shapely.normalize(shapely.coverage_union_all(rows[k][3])) if len(rows[k][3]) > 1
             else shapely.normalize(rows[k][3][0]) for k in keys]
    return (keys, [rows[k][0] for k in keys], [rows[k][1] for k in keys],
            [rows[k][2] for k in keys], geoms)


def _check_key(key, prefix: str, file: str) -> None:
    if not (isinstance(key, str) and len(key) == 8 and key.isdigit() and key.startswith(prefix)):
        raise ValueError(f"{file}: Ortsteil key {key!r} is not an 8-digit Gebietsschlüssel "
                         f"starting with {prefix}")


def _adjacency(keys: list[str], geoms: list) -> list[tuple[str, str, int]]:
    """(a, b, shared border in whole metres) for both directions, sorted.

    Touching pairs: length of the common boundary lines (exact; the coverage is checked clean).
    Pairs apart by less than ADJACENCY_TOLERANCE_M without touching (slivers in other inputs):
    mean length of each boundary within the tolerance of the other. Kept when the border is at
    least MIN_SHARED_BORDER_M long (pairs meeting only in a corner point are not neighbours).
    """
    import numpy as np
    import shapely

    arr = np.array(geoms, dtype=object)
    left, right = shapely.STRtree(arr).query(arr, predicate="dwithin",
                                             distance=ADJACENCY_TOLERANCE_M)
    out = []
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        a, b = arr[i], arr[j]
        if shapely.intersects(a, b):
            shared = shapely.length(shapely.intersection(shapely.boundary(a), shapely.boundary(b)))
        else:
            tol = ADJACENCY_TOLERANCE_M
            shared = 0.5 * (
                shapely.length(shapely.intersection(shapely.boundary(a), shapely.buffer(b, tol)))
                + shapely.length(shapely.intersection(shapely.boundary(b), shapely.buffer(a, tol))))
        if shared >= MIN_SHARED_BORDER_M:
            metres = int(math.floor(shared + 0.5))
            out += [(keys[i], keys[j], metres), (keys[j], keys[i], metres)]
    return sorted(out)


def _label_point(geom):
    """A point well inside the largest part (pole of inaccessibility, 10 m precision)."""
    from shapely.ops import polylabel

    parts = list(getattr(geom, "geoms", [geom]))
    return polylabel(max(parts, key=lambda p: p.area), tolerance=10.0)


def _to_wgs84_features(keys, cities, names, sources, geoms, labels) -> list[dict]:
    import pyproj
    import shapely

    tf = pyproj.Transformer.from_crs(SOURCE_CRS, "EPSG:4326", always_xy=True)

    def project(coords):
        x, y = tf.transform(coords[:, 0], coords[:, 1])
        import numpy as np

        return np.round(np.column_stack([x, y]), COORD_DECIMALS)

    feats = []
    for key, city, name, src, geom, lab in zip(keys, cities, names, sources, geoms, labels, strict=True):
        g = shapely.orient_polygons(shapely.transform(geom, project))  # RFC 7946: exterior CCW
        if not shapely.is_valid(g):
            raise ValueError(f"Ortsteil {key}: geometry invalid after rounding "
                             f"({shapely.is_valid_reason(g)})")
        lp = shapely.get_coordinates(shapely.transform(lab, project))[0]
        gj = json.loads(shapely.to_geojson(g))
        feats.append({"type": "Feature", "id": key,
                      "properties": dict(zip(_PROPERTIES, (key, city, name, src,
                                                           [float(lp[0]), float(lp[1])]), strict=True)),
                      "geometry": {"type": gj["type"], "coordinates": _round(gj["coordinates"])}})
    return feats


def _round(coords):
    if isinstance(coords[0], (int, float)):
        return [round(float(c), COORD_DECIMALS) for c in coords]
    return [_round(c) for c in coords]


def _geojson_text(features: list[dict]) -> str:
    """One feature per line; compact separators; no timestamps (byte-identical rebuilds)."""
    def dumps(obj):
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    head = ('{"type":"FeatureCollection","name":' + dumps(_GEOJSON_NAME)
            + ',"attribution":' + dumps(ATTRIBUTION + "; vereinfacht (Toleranz "
                                        f"{SIMPLIFY_TOLERANCE_M:g} m), WGS84")
            + ',"features":[\n')
    return head + ",\n".join(dumps(f) for f in features) + "\n]}\n"


def _neighbours_text(pairs) -> str:
    lines = [",".join(NEIGHBOUR_COLUMNS)] + [f"{a},{b},{m}" for a, b, m in pairs]
    return "\n".join(lines) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
