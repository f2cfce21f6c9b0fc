"""The real geography: Ortsteile of Bremen and Bremerhaven and the programme areas mapped onto them.

Sources are the tables copied from the project's domain research into ``data/sources/`` (see
data/README.md). Bremerhaven's 23 Ortsteile carry official codes (Magistrat Bremerhaven,
*Bremerhaven in Zahlen* Nr. 8, 2011). Bremen's 93 Ortsteil names come from third-party lists and
are **unverified** (``verified = False``); the Stadtbezirk of a Bremen Stadtteil other than Mitte
is common knowledge, not read in a source, and is marked as such.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from .. import paths

# Bremen: Stadtteil -> Stadtbezirk (general knowledge; only "Mitte" is in the domain table).
BREMEN_STADTBEZIRK = {
    "Mitte": "Mitte", "Häfen": "Mitte",
    "Neustadt": "Süd", "Obervieland": "Süd", "Huchting": "Süd", "Woltmershausen": "Süd",
    "Seehausen": "Süd", "Strom": "Süd",
    "Östliche Vorstadt": "Ost", "Schwachhausen": "Ost", "Vahr": "Ost", "Horn-Lehe": "Ost",
    "Borgfeld": "Ost", "Oberneuland": "Ost", "Osterholz": "Ost", "Hemelingen": "Ost",
    "Findorff": "West", "Walle": "West", "Gröpelingen": "West",
    "Burglesum": "Nord", "Vegesack": "Nord", "Blumenthal": "Nord", "Blockland": "Nord",
}

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


def quartier_id(city: str, ortsteil: str) -> str:
    """Package identifier of an Ortsteil: 'HB-<slug>' (Bremen) or 'BHV-<slug>' (Bremerhaven)."""
    return ("HB-" if city == "Bremen" else "BHV-") + slug(ortsteil)


def ortsteile() -> pd.DataFrame:
    """All Ortsteile (no population) from the copied domain table, one row per quartier_id."""
    src = pd.read_csv(paths.DATA_DIR / "sources" / "domain_quartiers.csv", dtype=str,
                      keep_default_na=False)
    rows = []
    for r in src.to_dict("records"):
        o = r["ortsteil"]
        if not o or o.startswith("(") or r["stadtbezirk"].startswith("("):
            continue  # totals and removed units are anchors, not Ortsteile
        if r["city"] == "Bremerhaven" and not r["code"]:
            continue  # Alt-Lehe: named in 2015, no code; overlaps the official 2011 key (see README)
        if "Burg-Grambke Ost" in o or r["population"]:
            continue  # population anchors (Altstadt 3,403; Burg-Grambke Ost ca. 1,800), not new units
        city = r["city"]
        if city == "Bremerhaven":
            verified = True
            bezirk = r["stadtbezirk"]
            prov = "published: official Ortsteil key (Bremerhaven in Zahlen Nr. 8, 2011)"
        else:
            verified = False
            bezirk = r["stadtbezirk"] or BREMEN_STADTBEZIRK.get(r["stadtteil"], "")
            prov = ("published: name from an unverified third-party list; Stadtbezirk "
                    + ("from the source" if r["stadtbezirk"] else "from general knowledge (unverified)"))
        rows.append({
            "quartier_id": quartier_id(city, o),
            "city": city,
            "stadtbezirk": bezirk or None,
            "stadtteil": r["stadtteil"],
            "ortsteil": o,
            "official_code": r["code"] or None,
            "verified": verified,
            "provenance": prov + "; population: simulated",
            "source": r["source"],
        })
    df = pd.DataFrame(rows)
    if df["quartier_id"].duplicated().any():  # pragma: no cover - guards the slug scheme
        raise ValueError(f"duplicate quartier ids: {df.loc[df.quartier_id.duplicated(), 'quartier_id'].tolist()}")
    return df


def area_map() -> pd.DataFrame:
    """Programme area -> quartier_id table with the basis (documented / assumption) of each link."""
    rows = []
    for area, (city, ots, basis) in AREA_TO_ORTSTEILE.items():
        for o in ots:
            rows.append({"area": area, "city": city, "quartier_id": quartier_id(city, o),
                         "ortsteil": o, "basis": basis})
    return pd.DataFrame(rows)
