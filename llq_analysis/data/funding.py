"""The funding table (``data/funding.csv``) built from the published facts, with illustrative fill-ins.

Every row says whether its amount is ``published`` (with source), ``derived`` (computed from
published figures, the rule stated) or ``illustrative`` (no amount published; a plausible value
flagged as such). For every year 2021-2024 the ``LLQ`` rows of Bremen sum to exactly
1,600,000 EUR and those of Bremerhaven to 400,000 EUR (the published city budgets).
Amounts for an area that spans several Ortsteile are split equally across them (``derived``).
"""

from __future__ import annotations

import pandas as pd

from .geography import AREA_TO_ORTSTEILE, WIN_AREAS_2020, quartier_id

LLQ_YEARS = (2021, 2022, 2023, 2024)
CITY_BUDGET_EUR = {"Bremen": 1_600_000, "Bremerhaven": 400_000}

SRC_BUDGET = ("https://www.spd-fraktion-bremen.de/politische-arbeit/llq-umsetzungsstand/ ; "
              "https://www.weser-kurier.de/bremen/bremen-stadt_artikel,-zwei-millionen-euro-fuer-lebendige-quartiere-_arid,1931275.html")
SRC_QZ = ("https://senatspressestelle.bremen.de/pressemitteilungen/"
          "bremen-sichert-quartierszentren-finanziell-ab-352741")
SRC_5Q = "https://www.hans-wendt-stiftung.de/2021/06/23/konzepte-fuer-soziale-stadtentwicklung/"
SRC_QEK = "https://www.hans-wendt-stiftung.de/2024/03/12/qek-quartiersentwicklung-in-kleinst-und-sondergebieten/"
SRC_UEST = "https://sozialestadt.bremen.de/sixcms/detail.php?gsid=bremen222.c.21508.de"
SRC_WIN = "https://gruene-bremen.de/win-programm-wird-fortgefuehrt-und-finanziell-aufgestockt/"
SRC_BHV = ("https://www.bremerhaven.de/de/aktuelles/erste-foerderrunde-2022-im-landesprogramm-lebendige-quartiere.125431.html ; "
           "https://www.bremerhaven.de/de/aktuelles/erste-foerderrunde-2023-im-landesprogramm-lebendige-quartiere.136374.html")
SRC_INNO = "https://www.weser-kurier.de/bremen/bremen-stadt_artikel,-zwei-millionen-euro-fuer-lebendige-quartiere-_arid,1931275.html"
SRC_EFRE = "https://docslib.org/doc/5673255/19-528-l-vorlage-quartiersmeisterei-lehe"

QZ_PER_CENTRE_EUR = 60_000  # published (per Quartierszentrum, from 2021)
QZ_TOTAL_2021_EUR = 850_000  # published (Sockelfinanzierung 2021, all 14 WiN areas)
WIN_2020_EUR = {  # published 2020 allocation (150 % / 100 % / 50 %); Blockdiek 25 % derived
    "Gröpelingen": 225_000, "Neue Vahr": 150_000, "Tenever": 150_000, "Kattenturm": 150_000,
    "Huchting": 150_000, "Lüssum-Bockhorn": 150_000, "Hemelingen": 150_000,
    "Schweizer Viertel": 150_000, "Huckelriede": 75_000, "Oslebshausen": 75_000, "Grohn": 75_000,
    "Marßel": 75_000, "Blumenthal": 75_000,
}
BLOCKDIEK_WIN_EUR = 37_500  # derived: 25 % of the 100 % level (150,000 EUR)

# Illustrative amounts (no per-strand money published beyond the Quartierszentren):
ILL_KLEINST_PER_AREA_EUR = 80_000
ILL_UEBERSEESTADT_EUR = 100_000
ILL_WERDEN_STUDY_EUR = 50_000
FIVE_Q_AREAS = ("Kaspar-Ohm-Straße", "Alwin-Lonke-Quartier", "Bahnhofsvorstadt", "Blockdiek", "Arsten-Nord")
QEK_AREAS = ("Alwin-Lonke-Quartier", "Bahnhofsvorstadt", "Blockdiek", "Hünertshagen")
# Bremerhaven: project-based, no area list published. Illustrative staggered quartiers:
ILL_BHV_START = {"Goethestraße": 2021, "Klushof": 2021, "Mitte-Nord": 2021,
                 "Leherheide-West": 2022, "Grünhöfe": 2022, "Geestendorf": 2023, "Twischkamp": 2024}
ILL_BHV_INNOVATIONSTOPF_EUR = 60_000

COLUMNS = ["programme", "strand", "city", "quartier_id", "year", "amount_eur", "provenance", "source"]


def _area_rows(programme, strand, area, year, amount, provenance, source) -> list[dict]:
    """Rows for ``area``; an area spanning k Ortsteile gets k rows of amount/k (derived), in cents."""
    city, ots, basis = AREA_TO_ORTSTEILE[area]
    k = len(ots)
    cents = round(amount * 100)
    shares = [cents // k + (1 if i < cents % k else 0) for i in range(k)]
    rows = []
    for o, c in zip(ots, shares, strict=True):
        prov = provenance
        if k > 1:
            prov = f"derived: {provenance.split(':')[0]} area amount split equally over {k} Ortsteile"
        rows.append({"programme": programme, "strand": strand, "city": city,
                     "quartier_id": quartier_id(city, o), "year": year, "amount_eur": c / 100,
                     "provenance": prov, "source": f"{source} | area '{area}' -> {o} ({basis})"})
    return rows


def build_funding() -> pd.DataFrame:
    """The funding table: LLQ (2021-2024), WiN (2020-2024), Innovationsfonds, EFRE Lehe."""
    rows: list[dict] = []
    for y in LLQ_YEARS:
        # Bremen - Quartierszentren: 60,000 EUR per centre in the 14 WiN areas
        for area in WIN_AREAS_2020:
            rows += _area_rows("LLQ", "Quartierszentren", area, y, QZ_PER_CENTRE_EUR,
                               "published: 60,000 EUR per Quartierszentrum (2021; 'currently' per source)",
                               SRC_QZ)
        qz = QZ_PER_CENTRE_EUR * len(WIN_AREAS_2020)
        if y == 2021:
            rows.append({"programme": "LLQ", "strand": "Quartierszentren", "city": "Bremen",
                         "quartier_id": None, "year": y, "amount_eur": QZ_TOTAL_2021_EUR - qz,
                         "provenance": "derived: 850,000 EUR published total minus 14 x 60,000 EUR",
                         "source": SRC_QZ})
            qz = QZ_TOTAL_2021_EUR
        # Kleinst-/Sondergebiete: 5Q 2021-2023, QEK from 2024 (areas published, money not)
        areas = FIVE_Q_AREAS if y <= 2023 else QEK_AREAS
        for area in areas:
            rows += _area_rows("LLQ", "Kleinst-/Sondergebiete", area, y, ILL_KLEINST_PER_AREA_EUR,
                               "illustrative: area and years published, amount not",
                               SRC_5Q if y <= 2023 else SRC_QEK)
        kleinst = ILL_KLEINST_PER_AREA_EUR * len(areas)
        # Quartiere im Werden: Überseestadt from 2021 + a study across new-build areas
        rows += _area_rows("LLQ", "Quartiere im Werden", "Überseestadt", y, ILL_UEBERSEESTADT_EUR,
                           "illustrative: measure published (since 2021), amount not", SRC_UEST)
        rows.append({"programme": "LLQ", "strand": "Quartiere im Werden", "city": "Bremen",
                     "quartier_id": None, "year": y, "amount_eur": ILL_WERDEN_STUDY_EUR,
                     "provenance": "illustrative: study across new-build areas published, amount not",
                     "source": SRC_UEST})
        rest = CITY_BUDGET_EUR["Bremen"] - qz - kleinst - ILL_UEBERSEESTADT_EUR - ILL_WERDEN_STUDY_EUR
        rows.append({"programme": "LLQ", "strand": "Ältere Menschen und weitere (nicht zugeordnet)",
                     "city": "Bremen", "quartier_id": None, "year": y, "amount_eur": rest,
                     "provenance": "illustrative: remainder of the published 1,600,000 EUR city budget; "
                                   "strand 'Ältere Menschen' named, money not published",
                     "source": SRC_BUDGET})
        # Bremerhaven: 400,000 EUR, project-based; quartiers illustrative
        rows.append({"programme": "LLQ", "strand": "Innovationstopf", "city": "Bremerhaven",
                     "quartier_id": None, "year": y, "amount_eur": ILL_BHV_INNOVATIONSTOPF_EUR,
                     "provenance": "illustrative: strand published (max 10,000 EUR per project), total not",
                     "source": SRC_BHV})
        active = [o for o, start in ILL_BHV_START.items() if start <= y]
        cents = (CITY_BUDGET_EUR["Bremerhaven"] - ILL_BHV_INNOVATIONSTOPF_EUR) * 100
        shares = [cents // len(active) + (1 if i < cents % len(active) else 0) for i in range(len(active))]
        for o, c in zip(active, shares, strict=True):
            rows.append({"programme": "LLQ", "strand": "Quartiersprojekte (Förderschienen 2-4, Namen nicht veröffentlicht)",
                         "city": "Bremerhaven", "quartier_id": quartier_id("Bremerhaven", o), "year": y,
                         "amount_eur": c / 100,
                         "provenance": "illustrative: 400,000 EUR/yr published; funded quartiers and "
                                       "amounts not published (project-based)",
                         "source": SRC_BHV})
    # WiN 2020-2024 (2020 allocation published; carried forward, later per-area split not published)
    for y in range(2020, 2025):
        for area, amount in WIN_2020_EUR.items():
            prov = ("published: WiN allocation 2020" if y == 2020 else
                    "derived: 2020 allocation carried forward (later per-area amounts not published)")
            rows += _area_rows("WiN", "WiN-Basisförderung", area, y, amount, prov, SRC_WIN)
        rows += _area_rows("WiN", "WiN-Basisförderung", "Blockdiek", y, BLOCKDIEK_WIN_EUR,
                           "derived: 25 % of the 150,000 EUR level (reduction published)", SRC_WIN)
    # Innovationsfonds of the Senatskanzlei (on top of the 2 M EUR), EFRE Quartiersmeisterei Lehe
    for y, amount in ((2020, 500_000), (2021, 700_000)):
        rows.append({"programme": "LLQ-Innovationsfonds", "strand": "Innovationsfonds (Senatskanzlei)",
                     "city": "Bremen", "quartier_id": None, "year": y, "amount_eur": amount,
                     "provenance": "published: on top of the 2 M EUR; Land level, booked under Bremen here",
                     "source": SRC_INNO})
    rows.append({"programme": "EFRE", "strand": "Quartiersmeisterei Lehe", "city": "Bremerhaven",
                 "quartier_id": quartier_id("Bremerhaven", "Goethestraße"), "year": 2014,
                 "amount_eur": 100_000, "provenance": "published: first EFRE phase 5.5.-31.12.2014 "
                 "(100,000 EUR incl. 50,000 EFRE)", "source": SRC_EFRE})
    df = pd.DataFrame(rows, columns=COLUMNS)
    # fix the derived-area provenance for multi-Ortsteil areas (keeps the kind word first)
    return df.sort_values(["programme", "city", "year", "strand", "quartier_id"],
                          na_position="first", kind="stable").reset_index(drop=True)


def llq_city_totals(funding: pd.DataFrame) -> pd.DataFrame:
    """Sum of LLQ rows by city and year (EUR) - must equal the published city budgets."""
    llq = funding[funding["programme"] == "LLQ"]
    return llq.groupby(["city", "year"], as_index=False)["amount_eur"].sum()
