"""The official geography: the Ortsteile of Bremen and Bremerhaven and the programme areas on them.

The key is built from the original official files in ``data/sources/official/`` (read with the
package's own :func:`~llq_analysis.data.official.read_official_table`):

* ``quartier_id`` is the official 8-digit Gebietsschlüssel (``04011442`` Gröpelingen, ``04012134``
  Goethestraße): ``04011`` (Stadt Bremen) or ``04012`` (Stadt Bremerhaven) + the 3-digit code.
* Bremen: the 90 Ortsteil keys of table 12411-03-03 (Statistisches Landesamt Bremen, 31.12.2023);
  88 of them are the Ortsteile of the Bremer Ortsteilatlas, the other two are harbour areas
  (121 Handelshäfen, 123 Stadtbremisches Überseehafengebiet Bremerhaven). Ortsteil names as in
  the Ortsteilatlas, Stadtteil and Stadtbezirk names as in 12411-03-03 (or, for a Stadtteil with a
  single Ortsteil, the election atlas), residents of 31.12.2023 from 12411-03-03.
* Bremerhaven: the 24 Ortsteile of the Landesamt's election atlas 2023 (ids ``Y`` + code), with
  its Stadtteil and Stadtbezirk. Residents by Ortsteil are not published in these sources: empty.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import pandas as pd

from .. import paths

SOURCES = paths.DATA_DIR / "sources" / "official"
ATLAS_XLSX = SOURCES / "ortsteilatlas" / "Bremen_Datentabelle_Ortsteilatlas.xlsx"
POP_CSV = SOURCES / "population_12411-03-03" / "12411-03-03-{year}.csv"
WAHLATLAS_JS = SOURCES / "wahlatlas_2023" / "HB_2023_Buergerschaftswahl_Wahlkreis_Ortsteile_data.js"
KEY_YEAR = 2023
PUBLISHER = "Statistisches Landesamt Bremen"
SRC_POP = f"{PUBLISHER}, Tabelle 12411-03-03 (Bevölkerung, Stand 31.12.{KEY_YEAR})"
SRC_ATLAS = f"{PUBLISHER}, Bremer Ortsteilatlas – Datentabelle"
SRC_WAHL = f"{PUBLISHER}, Wahlatlas Bürgerschaftswahl 2023 (data.js)"
CITY_PREFIX = {"Bremen": "04011", "Bremerhaven": "04012"}

#: names chosen over the Ortsteilatlas spelling, with the reason
NAME_OVERRIDES = {
    "04011437": ("Überseestadt", "the Ortsteilatlas writes 'Ueberseestadt'; 12411-03-03 'Überseestadt'"),
    "04011123": ("Stadtbremisches Überseehafengebiet Bremerhaven",
                 "not in the Ortsteilatlas; 12411-03-03 abbreviates it ('Stadtbr Überseehafengebiet "
                 "Bremerhaven'); full name of the official boundary file"),
}
#: Stadtteile whose Ortsteile are harbour areas (few or no residents), by their published names
HARBOUR_STADTTEILE = {"Bremen": ("Häfen",), "Bremerhaven": ("Fischereihafen",)}

# Programme areas (as named in the sources) -> Ortsteile, with the basis of each mapping.
AREA_TO_ORTSTEILE: dict[str, tuple[str, tuple[str, ...], str]] = {
    # area: (city, ortsteile, basis)
    "Gröpelingen": ("Bremen", ("Gröpelingen", "Lindenhof", "Ohlenhof"),
                    "documented: WiN area covers the Ortsteile Gröpelingen, Lindenhof, Ohlenhof"),
    "Neue Vahr": ("Bremen", ("Neue Vahr Nord", "Neue Vahr Südwest", "Neue Vahr Südost"),
                  "assumption: WiN area 'Neue Vahr' = the three Neue-Vahr Ortsteile"),
    "Tenever": ("Bremen", ("Tenever",), "name match"),
    "Kattenturm": ("Bremen", ("Kattenturm",), "name match"),
    "Huchting": ("Bremen", ("Sodenmatt", "Kirchhuchting"),
                 "assumption: WiN area Huchting = Ortsteile Sodenmatt and Kirchhuchting"),
    "Lüssum-Bockhorn": ("Bremen", ("Lüssum-Bockhorn",), "name match"),
    "Hemelingen": ("Bremen", ("Hemelingen",), "name match"),
    "Schweizer Viertel": ("Bremen", ("Osterholz",),
                          "assumption: Schweizer Viertel lies in Ortsteil Osterholz"),
    "Huckelriede": ("Bremen", ("Huckelriede",), "name match"),
    "Oslebshausen": ("Bremen", ("Oslebshausen",), "name match"),
    "Grohn": ("Bremen", ("Grohn",), "name match"),
    "Marßel": ("Bremen", ("Burgdamm",), "assumption: Marßel lies in Ortsteil Burgdamm"),
    "Blumenthal": ("Bremen", ("Blumenthal",), "name match (WiN area Altes Zentrum)"),
    "Blockdiek": ("Bremen", ("Blockdiek",), "name match"),
    "Arsten-Nord": ("Bremen", ("Arsten",), "assumption: Arsten-Nord lies in Ortsteil Arsten"),
    "Kaspar-Ohm-Straße": ("Bremen", ("Aumund-Hammersbeck",),
                          "documented: Kaspar-Ohm-Straße (Aumund-Hammersbeck)"),
    "Alwin-Lonke-Quartier": ("Bremen", ("Burg-Grambke",),
                             "documented: Alwin-Lonke-Straße (Burg-Grambke), statistical quarter Burg-Grambke Ost"),
    "Bahnhofsvorstadt": ("Bremen", ("Bahnhofsvorstadt",),
                         "documented: Daniel-von-Büren-Straße (Bahnhofsvorstadt); from 2024 the whole quarter"),
    "Hünertshagen": ("Bremen", ("Lesum",), "assumption: location of Hünertshagen not in the sources"),
    "Überseestadt": ("Bremen", ("Überseestadt",), "name match"),
}

WIN_AREAS_2020 = (
    "Gröpelingen", "Neue Vahr", "Tenever", "Kattenturm", "Huchting", "Lüssum-Bockhorn", "Hemelingen",
    "Schweizer Viertel", "Huckelriede", "Oslebshausen", "Grohn", "Marßel", "Blumenthal", "Blockdiek",
)

_TRANS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def slug(name: str) -> str:
    """ASCII slug of a German place name: 'Gröpelingen' -> 'groepelingen'."""
    s = name.translate(_TRANS).lower()
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


def _strip_level(name: str) -> str:
    return re.sub(r"\s*\((Ortsteil|Stadtteil|Stadtbezirk)\)$", "", " ".join(str(name).split()))


@functools.lru_cache(maxsize=1)
def ortsteile() -> pd.DataFrame:
    """The official Ortsteil key (one row per 8-digit ``quartier_id``), built from the official files.

    Columns: quartier_id, city, stadtbezirk, stadtteil, ortsteil, official_code (3 digits),
    stadtteil_code, harbour_area, names_published (other published spellings, ' | '),
    population [persons, 31.12.2023; empty where not published], population_provenance,
    provenance, source. Cached: the result is shared, copy before changing it.
    """
    from .official import read_official_table

    pop = read_official_table(str(POP_CSV).format(year=KEY_YEAR))
    pop = pop[pop["Alter von ... bis unter ... Jahren"].astype(str) == "Insgesamt"]
    key = pop["Gebietsschlüssel"].astype(str)
    names = dict(zip(key, pop["Gebietseinheit"].astype(str).map(_strip_level), strict=True))
    value = dict(zip(key, pop["Bevölkerung insgesamt"], strict=True))
    mark = dict(zip(key, pop.get("Bevölkerung insgesamt__mark", pd.Series(index=pop.index)), strict=True))
    atlas = read_official_table(ATLAS_XLSX, sheet="Bevölkerung (Absolute Werte)",
                                block="Bevölkerungszahl insgesamt")
    code_col = "Ortsteil / Stadtteil / Stadtbezirk"
    atlas_name = {f"04011{int(c):03d}": str(n) for c, n in zip(atlas[code_col], atlas["Spalte_2"], strict=True)
                  if pd.notna(c) and int(c) >= 100}
    wahl = read_official_table(WAHLATLAS_JS, sheet="Ortsteile")
    wahl = wahl[wahl["Vergleichsgebiet"].isna()]
    w = {str(i): r for i, r in zip(wahl["id"], wahl.to_dict("records"), strict=True)}
    rows = []
    for k in sorted(k for k in key if len(k) == 8 and k.startswith("04011")):
        code = k[5:]
        wr = w.get("X" + code, {})
        st_key, sb_key = k[:7], k[:6]
        stadtteil = names.get(st_key) or wr.get("Stadtteile Bremen")
        bezirk = names.get(sb_key) or str(wr.get("Stadtbezirke Bremen", "")).removesuffix(" (Bremen)")
        name = NAME_OVERRIDES.get(k, (atlas_name.get(k) or names[k],))[0]
        variants = sorted({_strip_level(v) for v in (atlas_name.get(k), names[k], wr.get("name")) if v}
                          - {name})
        v = value[k]
        m = mark[k]
        if pd.notna(v):
            pprov = f"published: {SRC_POP}"
        else:
            pprov = f"missing: '{m}' in {SRC_POP}" if isinstance(m, str) else f"missing: not in {SRC_POP}"
        src = [SRC_POP] + ([SRC_ATLAS] if k in atlas_name else []) + ([SRC_WAHL] if wr else [])
        rows.append({
            "quartier_id": k, "city": "Bremen", "stadtbezirk": bezirk, "stadtteil": stadtteil,
            "ortsteil": name, "official_code": code, "stadtteil_code": st_key,
            "harbour_area": stadtteil in HARBOUR_STADTTEILE["Bremen"],
            "names_published": " | ".join(variants) or None,
            "population": v, "population_provenance": pprov,
            "provenance": "published: official key and names" + (
                f" (name: {NAME_OVERRIDES[k][1]})" if k in NAME_OVERRIDES else ""),
            "source": " ; ".join(src),
        })
    for wid, wr in sorted(w.items()):
        if not wid.startswith("Y"):
            continue
        code = wid[1:]
        stadtteil = wr.get("Stadtteile Bremerhaven")
        rows.append({
            "quartier_id": CITY_PREFIX["Bremerhaven"] + code, "city": "Bremerhaven",
            "stadtbezirk": str(wr.get("Stadtbezirke Bremerhaven", "")).removesuffix(" (Bremerhaven)"),
            "stadtteil": stadtteil, "ortsteil": wr["name"], "official_code": code,
            "stadtteil_code": CITY_PREFIX["Bremerhaven"] + code[:2],
            "harbour_area": stadtteil in HARBOUR_STADTTEILE["Bremerhaven"],
            "names_published": None, "population": None,
            "population_provenance": "missing: residents of Bremerhaven's Ortsteile are not published "
                                     "in the official files found (see data/README.md)",
            "provenance": "published: official key and names (election atlas 2023)",
            "source": SRC_WAHL,
        })
    df = pd.DataFrame(rows)
    df["population"] = pd.to_numeric(df["population"]).astype("Int64")
    df["harbour_area"] = df["harbour_area"].astype(bool)
    if df["quartier_id"].duplicated().any():  # pragma: no cover - guards the key
        raise ValueError(f"duplicate quartier ids: {df.loc[df.quartier_id.duplicated(), 'quartier_id'].tolist()}")
    return df


@functools.lru_cache(maxsize=1)
def _name_index() -> dict[tuple[str, str], str]:
    idx: dict[tuple[str, str], str] = {}
    for r in ortsteile().itertuples():
        for n in [r.ortsteil, *(str(r.names_published).split(" | ") if r.names_published else [])]:
            idx.setdefault((r.city, slug(n)), r.quartier_id)
    return idx


def quartier_id(city: str, ortsteil: str) -> str:
    """Official 8-digit key of an Ortsteil from its name (published spellings; case, umlauts and
    hyphens ignored): ``quartier_id("Bremen", "Gröpelingen") == "04011442"``."""
    qid = _name_index().get((city, slug(ortsteil)))
    if qid is None:
        raise KeyError(f"{ortsteil!r} is not an Ortsteil of {city} in the official key "
                       "(data/quartiers.csv, column ortsteil)")
    return qid


def area_map() -> pd.DataFrame:
    """Programme area -> quartier_id table with the basis (documented / assumption) of each link."""
    rows = []
    for area, (city, ots, basis) in AREA_TO_ORTSTEILE.items():
        for o in ots:
            rows.append({"area": area, "city": city, "quartier_id": quartier_id(city, o),
                         "ortsteil": o, "basis": basis})
    return pd.DataFrame(rows)
