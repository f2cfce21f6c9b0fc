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
    Column("quartier_id", "str", "-", "Schlüssel des Quartiers (Ortsteil) in diesem Paket",
           "identifier of the quartier (Ortsteil) in this package"),
    Column("city", "str", "-", "Stadtgemeinde", "city", allowed=CITIES),
    Column("stadtbezirk", "str", "-", "Stadtbezirk", "borough (Stadtbezirk)", nullable=True),
    Column("stadtteil", "str", "-", "Stadtteil", "district (Stadtteil)"),
    Column("ortsteil", "str", "-", "Ortsteil", "neighbourhood (Ortsteil)"),
    Column("official_code", "str", "-", "amtlicher Ortsteilschlüssel, wo bekannt",
           "official Ortsteil code where known", nullable=True),
    Column("verified", "bool", "-", "Name und Schlüssel aus amtlicher Quelle bestätigt",
           "name and code confirmed by an official source"),
    Column("population", "int", "persons", "Einwohner 31.12.2022 (simuliert, siehe Provenienz)",
           "residents on 31 Dec 2022 (simulated, see provenance)", min=0),
    Column("provenance", "str", "-", "Herkunft der Zeile (Namen, Schlüssel, Einwohner)",
           "origin of the row (names, codes, population)"),
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
           "Anteil der Personen in SGB-II-Bedarfsgemeinschaften an den Einwohnern unter der Regelaltersgrenze",
           "share of residents below retirement age living in SGB II households", min=0, max=100,
           nullable=True, has_provenance=True),
    Column("sgb2_rate_u15", "float", "%", "SGB-II-Quote der Kinder unter 15 Jahren",
           "SGB II rate of children under 15", min=0, max=100, nullable=True, has_provenance=True),
    Column("unemployment_rate", "float", "%", "Arbeitslosenquote", "unemployment rate",
           min=0, max=100, nullable=True, has_provenance=True),
    Column("turnout_buergerschaft", "float", "%", "Wahlbeteiligung Bürgerschaftswahl (nur Wahljahre)",
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
