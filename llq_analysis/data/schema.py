"""The data dictionary: every column of the bundled tables with type, unit, range and meaning.

The specs below are plain data (cheap to import). :func:`pandera_schema` turns them into pandera
schemas for validation, and ``data/README.md`` is generated from them (``python -m llq_analysis.data.schema``),
so the dictionary, the validation and the docs can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Election years of the Bremische Bürgerschaft and of the Bundestag (turnout exists only then).
BUERGERSCHAFT_YEARS = (1999, 2003, 2007, 2011, 2015, 2019, 2023, 2027)
BUNDESTAG_YEARS = (1998, 2002, 2005, 2009, 2013, 2017, 2021, 2025)

PANEL_YEARS = tuple(range(2012, 2025))
CITIES = ("Bremen", "Bremerhaven")
PROVENANCE_KINDS = ("published", "simulated", "derived", "illustrative", "user", "missing")


@dataclass(frozen=True)
class Column:
    """One column of a table: its type, unit, allowed range and meaning (German and English)."""

    name: str
    dtype: str  # "str", "int", "float", "bool"
    unit: str
    de: str
    en: str
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple | None = None
    only_in_years: tuple[int, ...] | None = None  # value allowed only in these years (elections)
    has_provenance: bool = False  # a companion column "<name>_provenance" is required
    kinds: tuple[str, ...] | None = None  # value must read "<kind>" or "<kind>: <detail>"


def provenance_column(name: str) -> str:
    """Name of the column holding the provenance of ``name``'s values."""
    return f"{name}_provenance"


QUARTIERS: tuple[Column, ...] = (
    Column("quartier_id", "str", "-",
           "amtlicher Gebietsschlüssel des Ortsteils (8 Stellen: 04011 Bremen / 04012 Bremerhaven + Ortsteilnummer)",
           "official 8-digit area key of the Ortsteil (04011 Bremen / 04012 Bremerhaven + Ortsteil number)"),
    Column("city", "str", "-", "Stadtgemeinde", "city", allowed=CITIES),
    Column("stadtbezirk", "str", "-", "Stadtbezirk", "borough (Stadtbezirk)", nullable=True),
    Column("stadtteil", "str", "-", "Stadtteil", "district (Stadtteil)"),
    Column("ortsteil", "str", "-", "Ortsteil (Name wie veröffentlicht)", "neighbourhood (Ortsteil), name as published"),
    Column("official_code", "str", "-", "dreistellige Ortsteilnummer", "3-digit Ortsteil number"),
    Column("stadtteil_code", "str", "-", "Gebietsschlüssel des Stadtteils", "area key of the Stadtteil"),
    Column("harbour_area", "bool", "-", "Hafengebiet (kaum oder keine Einwohner)",
           "harbour area (few or no residents)"),
    Column("names_published", "str", "-", "andere veröffentlichte Schreibweisen (' | ')",
           "other published spellings (' | ')", nullable=True),
    Column("population", "int", "persons", "Einwohner 31.12.2023 (leer: nicht veröffentlicht)",
           "residents on 31 Dec 2023 (empty: not published)", min=0, nullable=True),
    Column("population_provenance", "str", "-", "Herkunft der Einwohnerzahl", "origin of the residents figure"),
    Column("provenance", "str", "-", "Herkunft der Zeile (Schlüssel, Namen)", "origin of the row (key, names)"),
    Column("source", "str", "-", "Quelle", "source"),
)

PANEL: tuple[Column, ...] = (
    Column("quartier_id", "str", "-", "Schlüssel des Quartiers", "quartier identifier"),
    Column("city", "str", "-", "Stadtgemeinde", "city", allowed=CITIES),
    Column("year", "int", "year", "Jahr (Stichtag 31.12.)", "year (reference date 31 Dec)",
           min=1990, max=2100),
    Column("population", "int", "persons", "Einwohner", "residents", min=0, has_provenance=True),
    Column("population_below_retirement_age", "int", "persons",
           "Einwohner unter der Regelaltersgrenze (Bezugsgröße der SGB-II-Quote)",
           "residents below the statutory retirement age (base of the SGB II rate)", min=0,
           has_provenance=True),
    Column("population_u15", "int", "persons", "Kinder unter 15 Jahren",
           "children under 15", min=0, has_provenance=True),
    Column("sgb2_rate", "float", "%",
           "Anteil der Leistungsberechtigten (Grundsicherung für Arbeitsuchende, SGB II) an der Bevölkerung "
           "unter 65 Jahren (Ortsteilatlas); im Demo-Panel: unter der Regelaltersgrenze",
           "persons entitled to SGB II benefits per residents under 65 (Ortsteilatlas; demo panel: below "
           "retirement age)", min=0, max=100,
           nullable=True, has_provenance=True),
    Column("sgb2_rate_u15", "float", "%",
           "Anteil der Leistungsberechtigten (SGB II) an der Bevölkerung unter 15 Jahren",
           "persons entitled to SGB II benefits per residents under 15", min=0, max=100, nullable=True, has_provenance=True),
    Column("unemployment_rate", "float", "%",
           "Anteil der Arbeitslosen an den sozialversicherungspflichtig Beschäftigten zuzüglich Arbeitslose",
           "unemployed per employees subject to social insurance plus unemployed",
           min=0, max=100, nullable=True, has_provenance=True),
    Column("turnout_buergerschaft", "float", "%",
           "Wahlbeteiligung Bürgerschaftswahl: Wähler/-innen je Wahlberechtigte (nur Wahljahre)",
           "turnout in the Bürgerschaft election (election years only)", min=0, max=100,
           nullable=True, only_in_years=BUERGERSCHAFT_YEARS, has_provenance=True),
    Column("turnout_bundestag", "float", "%", "Wahlbeteiligung Bundestagswahl (nur Wahljahre)",
           "turnout in the Bundestag election (election years only)", min=0, max=100,
           nullable=True, only_in_years=BUNDESTAG_YEARS, has_provenance=True),
    Column("electorate_buergerschaft", "int", "persons", "Wahlberechtigte Bürgerschaftswahl (nur Wahljahre)",
           "eligible voters, Bürgerschaft election (election years only)", min=0, nullable=True,
           only_in_years=BUERGERSCHAFT_YEARS, has_provenance=True),
    Column("electorate_bundestag", "int", "persons", "Wahlberechtigte Bundestagswahl (nur Wahljahre)",
           "eligible voters, Bundestag election (election years only)", min=0, nullable=True,
           only_in_years=BUNDESTAG_YEARS, has_provenance=True),
    Column("unemployment_rate_long_term", "float", "%",
           "Anteil der Langzeitarbeitslosen an den sozialversicherungspflichtig Beschäftigten zuzüglich Arbeitslose",
           "long-term unemployed per employees subject to social insurance plus unemployed", min=0, max=100,
           nullable=True, has_provenance=True),
    Column("income_per_taxpayer_keur", "float", "1000 EUR",
           "Durchschnittliches Einkommen der Lohn- und Einkommensteuerpflichtigen",
           "mean income of wage and income taxpayers", min=0, nullable=True, has_provenance=True),
    Column("income_median_keur", "float", "1000 EUR",
           "Mittleres Einkommen (Median) der Lohn- und Einkommensteuerpflichtigen",
           "median income of wage and income taxpayers", min=0, nullable=True, has_provenance=True),
    Column("abitur_rate", "float", "%",
           "Abiturienten/-innen allgemeinbildender Schulen je Durchschnittsjahrgang der 17- bis 21-Jährigen",
           "school leavers with Abitur per average age cohort 17-21", min=0, nullable=True,
           has_provenance=True),
    Column("basic_school_leaving_rate", "float", "%",
           "Absolventen ohne oder mit Berufsbildungsreife je Durchschnittsjahrgang der 15- bis 18-Jährigen",
           "school leavers without or with the lowest certificate per average age cohort 15-18", min=0,
           nullable=True, has_provenance=True),
    Column("migration_background_share", "float", "%",
           "Anteil der Bevölkerung mit Migrationshintergrund an der Gesamtbevölkerung",
           "share of residents with a migration background", min=0, max=100, nullable=True,
           has_provenance=True),
    Column("foreign_share", "float", "%", "Anteil der ausländischen Bevölkerung an der Gesamtbevölkerung",
           "share of foreign nationals among residents", min=0, max=100, nullable=True, has_provenance=True),
    Column("share_under_18", "float", "%", "Anteil der Bevölkerung unter 18 Jahren an der Gesamtbevölkerung",
           "share of residents under 18", min=0, max=100, nullable=True, has_provenance=True),
    Column("share_65_plus", "float", "%", "Anteil der Bevölkerung ab 65 Jahren an der Gesamtbevölkerung",
           "share of residents aged 65 or older", min=0, max=100, nullable=True, has_provenance=True),
    Column("llq_eur_per_capita", "float", "EUR per resident",
           "LLQ-Mittel je Einwohner im Jahr", "LLQ funding per resident and year", min=0,
           has_provenance=True),
    Column("win_eur_per_capita", "float", "EUR per resident",
           "WiN-Mittel je Einwohner im Jahr (vor 2020 nicht veröffentlicht)",
           "WiN funding per resident and year (not published before 2020)", min=0, nullable=True,
           has_provenance=True),
    Column("llq_first_year", "int", "year",
           "erstes Jahr mit LLQ-Förderung (0 = nie gefördert; leer = unbekannt)",
           "first year with LLQ funding (0 = never funded; empty = unknown)", min=0, max=2100,
           nullable=True),
    Column("llq_funded", "bool", "-", "jemals LLQ-gefördert (leer = unbekannt)",
           "ever funded by LLQ (empty = unknown)", nullable=True),
    Column("provenance", "str", "-",
           "Herkunft der Zeile: 'simulated', wenn ein Wert simuliert ist, sonst 'published'/'user'",
           "row provenance: 'simulated' if any value is simulated, else 'published'/'user'"),
)

FUNDING: tuple[Column, ...] = (
    Column("programme", "str", "-", "Programm (LLQ = Landesprogramm, 2 Mio EUR/Jahr; WiN; ...)",
           "programme (LLQ = the 2 M EUR state programme; WiN; ...)"),
    Column("strand", "str", "-", "Förderschiene", "funding strand"),
    Column("city", "str", "-", "Stadtgemeinde", "city", allowed=CITIES),
    Column("quartier_id", "str", "-", "Quartier (leer: nicht einem Quartier zugeordnet)",
           "quartier (empty: not attributed to one quartier)", nullable=True),
    Column("year", "int", "year", "Förderjahr", "funding year", min=1990, max=2100),
    Column("amount_eur", "float", "EUR", "Betrag", "amount", min=0),
    Column("provenance", "str", "-", "published / derived / illustrative (+ ': Begründung')",
           "published / derived / illustrative (+ ': reasoning')",
           kinds=("published", "derived", "illustrative", "user")),
    Column("source", "str", "-", "Quelle bzw. Begründung", "source or reasoning"),
)

TABLES = {"quartiers": QUARTIERS, "panel": PANEL, "funding": FUNDING}


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = field(default_factory=tuple)


SPECS = {
    "quartiers": TableSpec("quartiers", QUARTIERS, ("quartier_id",)),
    "panel": TableSpec("panel", PANEL, ("quartier_id", "year")),
    "funding": TableSpec("funding", FUNDING, ()),
}


def panel_value_columns() -> list[str]:
    """Panel columns that carry a provenance companion."""
    return [c.name for c in PANEL if c.has_provenance]


def all_columns(table: str) -> list[str]:
    """Every column name of a table, provenance companions included, in file order."""
    names: list[str] = []
    for c in SPECS[table].columns:
        names.append(c.name)
        if c.has_provenance:
            names.append(provenance_column(c.name))
    return names


def pandera_schema(table: str):
    """Build the pandera DataFrameSchema of ``table`` (pandera is imported here, lazily)."""
    import pandera.pandas as pa

    spec = SPECS[table]
    cols = {}
    for c in spec.columns:
        checks = []
        if c.min is not None:
            checks.append(pa.Check.ge(c.min, error=f">= {c.min} {c.unit}".strip()))
        if c.max is not None:
            checks.append(pa.Check.le(c.max, error=f"<= {c.max} {c.unit}".strip()))
        if c.allowed is not None:
            checks.append(pa.Check.isin(list(c.allowed), error=f"one of {list(c.allowed)}"))
        if c.kinds is not None:
            checks.append(pa.Check.str_matches(r"^(" + "|".join(c.kinds) + r")(:|$)",
                                               error=f"starts with one of {list(c.kinds)}"))
        # a value may be empty where its provenance says 'missing' (checked in data.py)
        cols[c.name] = pa.Column(None, checks=checks, nullable=c.nullable or c.has_provenance,
                                 required=c.required,
                                 description=f"{c.en} [{c.unit}]")
        if c.has_provenance:
            cols[provenance_column(c.name)] = pa.Column(
                str, nullable=False, required=c.required,
                checks=pa.Check.str_matches(
                    r"^(" + "|".join(PROVENANCE_KINDS) + r")\b",
                    error=f"a provenance starting with one of {list(PROVENANCE_KINDS)}"),
                description=f"provenance of {c.name}")
    return pa.DataFrameSchema(cols, unique=list(spec.unique) or None, strict=False,
                              coerce=False, name=table)


def dictionary_markdown(lang: str = "en") -> str:
    """The data dictionary of all bundled tables as Markdown (used in data/README.md)."""
    out = []
    for name, spec in SPECS.items():
        out.append(f"### `{name}.csv`\n")
        if spec.unique:
            out.append(f"One row per {' x '.join(f'`{u}`' for u in spec.unique)}.\n")
        out.append("| column | type | unit | range | meaning | Bedeutung |")
        out.append("|---|---|---|---|---|---|")
        for c in spec.columns:
            rng = []
            if c.min is not None or c.max is not None:
                rng.append(f"[{'' if c.min is None else c.min}, {'' if c.max is None else c.max}]")
            if c.allowed:
                rng.append(" / ".join(map(str, c.allowed)))
            if c.kinds:
                rng.append(" / ".join(c.kinds) + " (+ ': detail')")
            if c.only_in_years:
                rng.append("only in " + ", ".join(map(str, c.only_in_years)))
            if c.nullable:
                rng.append("may be empty")
            out.append(f"| `{c.name}` | {c.dtype} | {c.unit} | {'; '.join(rng)} | {c.en} | {c.de} |")
            if c.has_provenance:
                out.append(f"| `{provenance_column(c.name)}` | str | - | {' / '.join(PROVENANCE_KINDS)} "
                           f"(+ ': source') | provenance of `{c.name}` | Herkunft von `{c.name}` |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(dictionary_markdown())
