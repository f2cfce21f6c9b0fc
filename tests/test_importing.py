"""Reading official German exports and building a panel from them (llq_analysis.data.importing).

Expected numbers are written here by hand from the fixture files (invented example exports in
tests/fixtures/official, see make_fixtures.py) or generated independently of the parser (round
trips), never taken from the parser's own output.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llq_analysis import paths, schema
from llq_analysis.data.importing import (
    MARK_SUFFIX,
    MARKS,
    build_panel,
    check_panel,
    load_mapping,
    parse_german_number,
    read_official_table,
    read_panel,
)
from llq_analysis.data.loaders import write_csv_atomic
from llq_analysis.errors import DataValidationError

FIX = Path(__file__).parent / "fixtures" / "official"
EXAMPLE_MAPPING = paths.PROJECT_DIR / "examples" / "mapping_example.yaml"
HAVE_BUNDLED = paths.QUARTIERS_CSV.exists() and paths.FUNDING_CSV.exists()

# a small quartier table (same ids and names as data/quartiers.csv) so tests need no bundled data
Q = pd.DataFrame(
    [
        ("04011442", "Bremen", "Gröpelingen", "Gröpelingen", None),
        ("04011441", "Bremen", "Gröpelingen", "Lindenhof", None),
        ("04011443", "Bremen", "Gröpelingen", "Ohlenhof", None),
        ("04011434", "Bremen", "Walle", "Walle", None),
        ("04011124", "Bremen", "Häfen", "Neustädter Hafen", None),
        ("04011383", "Bremen", "Hemelingen", "Hemelingen", None),
        ("04011373", "Bremen", "Osterholz", "Tenever", None),
        ("04011322", "Bremen", "Schwachhausen", "Bürgerpark", None),
        ("04012214", "Bremerhaven", "Geestemünde", "Bürgerpark", "214"),
        ("04012134", "Bremerhaven", "Lehe", "Goethestraße", "134"),
        ("04012135", "Bremerhaven", "Lehe", "Klushof", "135"),
        ("04012141", "Bremerhaven", "Mitte", "Mitte-Süd", "141"),
        ("04012215", "Bremerhaven", "Geestemünde", "Grünhöfe", "215"),
    ],
    columns=["quartier_id", "city", "stadtteil", "ortsteil", "official_code"],
)

HEAD = "Ortsteil;Jahr;Einwohner;SGB II-Quote in %;Wahlbeteiligung in %\n"
ROWS = "Gröpelingen;2021;9.123;32,9;55,3\nLindenhof;2021;6.250;30,1;58,0\n"
M = {
    "city": "Bremen",
    "quartier_column": "Ortsteil",
    "year_column": "Jahr",
    "indicators": {"population": "Einwohner", "sgb2_rate": "SGB II-Quote in %",
                   "turnout_bundestag": "Wahlbeteiligung in %"},
}


def write(tmp: Path, text: str | bytes, name: str = "t.csv", encoding: str = "utf-8") -> Path:
    p = tmp / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return p


def make_xlsx(path: Path, rows: list[list], sheet: str = "Tabelle1") -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def build(tmp: Path, text: str, mapping=None, **kw) -> pd.DataFrame:
    return build_panel([write(tmp, text)], mapping=M if mapping is None else mapping,
                       quartiers=kw.pop("quartiers", Q), funding=kw.pop("funding", False), **kw)


# ============================================================================ reading: fixtures


def test_ortsteilatlas_utf8_bom_values_marks_footnotes():
    df = read_official_table(FIX / "ortsteilatlas_sgb2.csv")
    a = df.attrs
    assert a["encoding"] == "utf-8-sig" and a["sep"] == ";" and a["header_lines"] == (4,)
    assert list(df["Ortsteil"][:3]) == ["Stadt Bremen", "Gröpelingen", "Lindenhof"]
    assert df["Einwohner"].tolist() == [563290, 9123, 6250, 12345, 61, 10456,
                                        566012, 9201, 6199, 12402, 58, 10511]
    assert df["Einwohner"].dtype == "Int64"
    q = df["SGB II-Quote in %"]
    assert q[1] == 32.9 and q[5] == 12.5 and math.isnan(q[3]) and math.isnan(q[4])
    assert df["Arbeitslosenquote in %"][5] == 7.4  # "(7,4)": kept, flagged
    marks = df["SGB II-Quote in %" + MARK_SUFFIX]
    assert marks[3] == "-" and marks[4] == "/" and marks[5] == "p" and pd.isna(marks[1])
    assert df["SGB II-Quote unter 15 in %" + MARK_SUFFIX][3] == "."
    assert df["SGB II-Quote unter 15 in %" + MARK_SUFFIX][4] == "..."
    assert df["Arbeitslosenquote in %" + MARK_SUFFIX].tolist()[3:6] == ["x", "*", "()"]
    # 3 marked cells per row in lines 8, 9 and 15: -, ., x / /, ..., * / /, ..., *
    assert a["n_marked_cells"] == 9 and a["n_flagged_cells"] == 2
    assert a["source_lines"] == tuple(range(5, 17))
    assert [ln for ln, _ in a["footnotes"]] == [18, 19, 20]
    assert a["footnotes"][0][1].startswith("Quelle:")
    assert "ERFUNDENE BEISPIELDATEN" in a["title"]
    assert MARKS["-"] == "nichts vorhanden"


def test_genesis_cp1252_multiline_header_space_thousands():
    df = read_official_table(FIX / "landesamt_genesis_cp1252.csv")
    assert df.attrs["encoding"] == "cp1252"
    assert df.attrs["header_lines"] == (4, 5, 6)
    assert list(df.columns[:4]) == ["Spalte_1", "Spalte_2", "Bevölkerung insgesamt Anzahl",
                                    "Bevölkerung unter 15 Jahren Anzahl"]
    assert df["Spalte_2"].tolist() == ["Gröpelingen", "Neustädter Hafen", "Hemelingen", "Tenever"]
    assert df["Spalte_1"].tolist() == ["31.12.2022"] * 4  # dates stay text
    assert df["Bevölkerung insgesamt Anzahl"].tolist() == [9201, 61, 14502, 10123]
    u15 = df["Bevölkerung unter 15 Jahren Anzahl"]
    assert u15[0] == 1880 and u15[2] == 2701 and pd.isna(u15[1])  # "1 880" with NBSP; "-"
    assert df.attrs["source_lines"] == (7, 8, 9, 10)
    assert [t for _, t in df.attrs["footnotes"]][1] == "Stand: 15.03.2024"


def test_bremerhaven_wide_narrow_nbsp_and_marks():
    df = read_official_table(FIX / "bremerhaven_wide.csv")
    assert df.attrs["encoding"] == "utf-8"
    assert df["2019"].tolist() == [10412, 9870, 3560, 8014, 48100]
    assert df["Nr."].tolist() == [134, 135, 141, 215, 2]
    assert df["2021__mark"][1] == "/" and pd.isna(df["2021"][1])
    assert df["2022__mark"].tolist() == ["...", "...", "x", "...", "..."]
    assert df["2022"].isna().all()


def test_comma_separated_with_quoted_decimal_commas():
    df = read_official_table(FIX / "wahl_bundestag_2021_komma.csv")
    assert df.attrs["sep"] == ","
    assert df["Wahlberechtigte"].tolist() == [5910, 4102, 7733, 7950]  # "5.910" = 5910, not 5.91
    assert df["Wahlbeteiligung in %"].tolist() == [55.3, 58.0, 51.2, 71.9]
    assert df.attrs["footnotes"][0][0] == 7


# ============================================================================ reading: formats


def test_decimal_point_column_in_semicolon_file_and_codes_stay_text(tmp_path):
    p = write(tmp_path, "Schlüssel;Name;Quote;Einwohner\n0111;A;12.5;1.234\n0112;B;7.25;2.000\n")
    df = read_official_table(p)
    assert df["Schlüssel"].tolist() == ["0111", "0112"]  # leading zeros: a code, not a number
    assert df["Quote"].tolist() == [12.5, 7.25]  # only a decimal point fits "12.5"
    assert df["Einwohner"].tolist() == [1.234, 2.0]  # file uses decimal points throughout
    assert df.attrs["number_format"]["Quote"] == "1,234.5"


def test_semicolon_file_thousands_dot_is_thousands(tmp_path):
    p = write(tmp_path, "Name;Einwohner;Quote\nA;1.234;12,5\nB;12.345.678;-0,5\n")
    df = read_official_table(p)
    assert df["Einwohner"].tolist() == [1234, 12345678]
    assert df["Quote"].tolist() == [12.5, -0.5]


def test_tab_separated_utf16_excel_unicode_text(tmp_path):
    text = "Ortsteil\tEinwohner\nGröpelingen\t9.123\nWalle\t10.456\n"
    p = write(tmp_path, b"\xff\xfe" + text.encode("utf-16-le"), name="t.txt")
    df = read_official_table(p)
    assert df.attrs["encoding"] == "utf-16" and df.attrs["sep"] == "\t"
    assert df["Einwohner"].tolist() == [9123, 10456]


def test_latin1_fallback_and_quoted_multiline_header(tmp_path):
    raw = 'Titel\n"Orts-\nteil";"Quote\nin %"\n"Gr\xf6pelingen";"32,9"\n"Walle";"12,5"\n'
    p = write(tmp_path, raw.encode("latin-1") + b"\x81")  # 0x81 is undefined in cp1252
    df = read_official_table(p)
    assert df.attrs["encoding"] == "latin-1"
    assert list(df.columns) == ["Orts- teil", "Quote in %"]
    assert df["Orts- teil"][0] == "Gröpelingen"
    assert df.attrs["source_lines"] == (5, 6)  # the quoted header spans lines 2-4


def test_text_columns_stay_text_and_section_rows_are_reported(tmp_path):
    p = write(tmp_path, "Ortsteil;Stadtteil;Einwohner\nGröpelingen;Gröpelingen;9.123\n"
                        "Stadtbezirk West\nWalle;Walle;10.456\n")
    df = read_official_table(p)
    assert df["Stadtteil"].dtype == "string"
    assert df["Einwohner"].tolist() == [9123, 10456]
    assert df.attrs["skipped_lines"][0]["line"] == 3
    assert df.attrs["skipped_lines"][0]["text"] == "Stadtbezirk West"


def test_duplicate_header_names_are_made_unique(tmp_path):
    p = write(tmp_path, "Ortsteil;Anzahl;Anzahl\nWalle;1;2\nOhlenhof;3;4\n")
    df = read_official_table(p)
    assert list(df.columns) == ["Ortsteil", "Anzahl", "Anzahl (2)"]
    assert df["Anzahl (2)"].tolist() == [2, 4]
    assert df.attrs["renamed_columns"] == {"Anzahl (2)": "Anzahl"}


def test_xlsx_generated_with_openpyxl(tmp_path):
    p = make_xlsx(tmp_path / "t.xlsx", [
        ["Statistisches Landesamt Bremen - Beispiel (erfundene Werte)"],
        [],
        ["Ortsteil", "Jahr", "Einwohner", "SGB II-Quote in %"],
        ["Gröpelingen", 2021, 9123, 32.9],
        ["Lindenhof", 2021, "6.250", "30,1"],
        ["Ohlenhof", 2021, ".", "-"],
        [],
        ["Quelle: Beispiel"],
    ])
    df = read_official_table(p)
    assert df.attrs["sheet"] == "Tabelle1" and df.attrs["source_lines"] == (4, 5, 6)
    assert df["Einwohner"].tolist()[:2] == [9123, 6250]
    assert df["SGB II-Quote in %"].tolist()[:2] == [32.9, 30.1]
    assert df["Einwohner__mark"][2] == "." and df["SGB II-Quote in %__mark"][2] == "-"
    assert df.attrs["n_marked_cells"] == 2
    assert df.attrs["footnotes"] == ((8, "Quelle: Beispiel"),)


def test_small_counts_that_look_like_years_are_data_not_header(tmp_path):
    p = make_xlsx(tmp_path / "t.xlsx", [
        ["Ortsteil", "Einwohner 2019", "Einwohner 2020"],
        ["Weddewarden", 1950, 2010],
        ["Leherheide-West", 9234, 9301],
    ])
    df = read_official_table(p)
    assert list(df.columns) == ["Ortsteil", "Einwohner 2019", "Einwohner 2020"]
    assert df["Einwohner 2020"].tolist() == [2010, 9301]
    # a wide header of years is still a header
    p2 = write(tmp_path, "Titel\nOrtsteil;2019;2020\nWeddewarden;1.523;1.530\n")
    assert list(read_official_table(p2).columns) == ["Ortsteil", "2019", "2020"]


def test_xlsx_sheet_by_name_and_number(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Info"
    wb.active.append(["nur Text"])
    ws = wb.create_sheet("Daten")
    for r in (["Ortsteil", "Einwohner"], ["Walle", 10456], ["Lindenhof", 6250]):
        ws.append(r)
    wb.save(tmp_path / "t.xlsx")
    for sheet in ("Daten", 1):
        df = read_official_table(tmp_path / "t.xlsx", sheet=sheet)
        assert df["Einwohner"].tolist() == [10456, 6250]


# ============================================================================ round trips


def _fmt_de(n: int, d: int, thousands: str) -> str:
    """German text of n / 10**d with d decimals (built from digits, independent of the parser)."""
    sign, digits = ("-" if n < 0 else ""), str(abs(n)).rjust(d + 1, "0")
    ip, fp = digits[: len(digits) - d], digits[len(digits) - d:]
    groups = []
    while len(ip) > 3:
        groups.insert(0, ip[-3:])
        ip = ip[:-3]
    groups.insert(0, ip)
    return sign + thousands.join(groups) + ("," + fp if d else "")


@pytest.mark.parametrize("encoding, thousands", [
    ("utf-8-sig", "."), ("utf-8", "\u202f"), ("cp1252", "."), ("cp1252", " "), ("utf-8", "\u00a0"),
])
def test_official_csv_parses_back_to_known_numbers(tmp_path, encoding, thousands):
    rng = np.random.default_rng(7)
    names = ["Gröpelingen", "Neustädter Hafen", "Hemelingen", "Bürgerpark", "Walle", "Ohlenhof"]
    n = 60
    ints = rng.integers(-50_000, 5_000_000, n)
    dec = rng.integers(0, 4, n)
    raw = rng.integers(-10**7, 10**8, n)
    marks = rng.choice(list(MARKS) + [None] * 14, n)
    lines = ["Tabelle: Beispiel (erfundene Werte);;", "Stand: 31.12.2023;;", "",
             "Ortsteil;Anzahl;Quote"]
    exp_int, exp_float, exp_mark = [], [], []
    for i in range(n):
        q = _fmt_de(int(raw[i]), int(dec[i]), thousands)
        exp_float.append(float(f"{raw[i] / 10 ** dec[i]:.{dec[i]}f}") if dec[i] else float(raw[i]))
        if marks[i] is not None:
            q, exp_float[-1] = marks[i], math.nan
        exp_mark.append(marks[i])
        lines.append(f"{names[i % len(names)]};{_fmt_de(int(ints[i]), 0, thousands)};{q}")
        exp_int.append(int(ints[i]))
    lines += ["", "Quelle: Beispiel", "1) vorläufig", "- = nichts vorhanden"]
    p = write(tmp_path, "\r\n".join(lines) + "\r\n", encoding=encoding)
    df = read_official_table(p)
    assert df["Anzahl"].tolist() == exp_int
    got = df["Quote"].to_numpy(dtype=float)
    assert np.array_equal(got, np.array(exp_float), equal_nan=True)
    assert [None if pd.isna(m) else m for m in df["Quote__mark"]] == exp_mark
    assert df.attrs["n_marked_cells"] == sum(m is not None for m in exp_mark)
    assert df.attrs["source_lines"] == tuple(range(5, 5 + n))
    assert df["Ortsteil"][1] == "Neustädter Hafen"


@settings(max_examples=300, deadline=None)
@given(st.integers(-10**12, 10**12), st.integers(0, 5), st.sampled_from([".", " ", "\u202f", ""]))
def test_parse_german_number_property(n, d, thousands):
    text = _fmt_de(n, d, thousands)
    digits = str(abs(n)).rjust(d + 1, "0")
    expected = float(("-" if n < 0 else "") + digits[: len(digits) - d] + "." + (digits[len(digits) - d:] or "0"))
    assert parse_german_number(text) == expected


def test_parse_german_number_rejects_marks_and_english():
    for bad in (".", "-", "x", "1.5", "1,234.5", "12 34", "abc"):
        with pytest.raises(ValueError, match="not a number"):
            parse_german_number(bad)
    assert parse_german_number("1,234.5", decimal=".") == 1234.5
    assert parse_german_number("\u22123,2 %") == -3.2


def test_bundled_style_panel_round_trip(tmp_path):
    panel = build_panel([FIX / "ortsteilatlas_sgb2.csv", FIX / "wahl_bundestag_2021_komma.csv"],
                        mapping=EXAMPLE_MAPPING, quartiers=Q, funding=False)
    out = write_csv_atomic(panel, tmp_path / "panel.csv")
    back = read_panel(out)
    pd.testing.assert_frame_equal(back, panel)
    check_panel(back, quartiers=Q)


@pytest.mark.skipif(not paths.PANEL_CSV.exists(), reason="data/panel.csv not built yet")
def test_bundled_panel_round_trip(tmp_path):
    from llq_analysis.data.loaders import load_panel

    panel = load_panel()
    back = read_panel(write_csv_atomic(panel, tmp_path / "p.csv"))
    pd.testing.assert_frame_equal(back, panel)


# ============================================================================ build_panel


def test_build_long_table_values_provenance_and_exclusions():
    panel = build_panel(FIX / "ortsteilatlas_sgb2.csv", mapping=EXAMPLE_MAPPING, quartiers=Q,
                        funding=False)
    assert list(panel.columns) == schema.all_columns("panel")
    assert len(panel) == 10  # 5 Ortsteile x 2 years; 'Stadt Bremen' excluded (twice)
    assert [e["line"] for e in panel.attrs["excluded_rows"]] == [5, 11]
    g = panel.set_index(["quartier_id", "year"])
    assert g.loc[("04011442", 2021), "population"] == 9123
    assert g.loc[("04011442", 2022), "sgb2_rate"] == 33.4
    assert g.loc[("04011442", 2021), "sgb2_rate_provenance"] == "user: ortsteilatlas_sgb2.csv"
    assert g.loc[("04011434", 2021), "sgb2_rate_provenance"] == (
        "user: ortsteilatlas_sgb2.csv (p: vorläufige Zahl)")
    assert pd.isna(g.loc[("04011443", 2021), "sgb2_rate"])
    assert g.loc[("04011443", 2021), "sgb2_rate_provenance"].startswith(
        "missing: '-' nichts vorhanden")
    assert g.loc[("04011443", 2021), "sgb2_rate_u15_provenance"].startswith("missing: '.'")
    # not supplied by the file: empty with provenance 'missing'
    assert g["turnout_buergerschaft"].isna().all()
    assert (g["turnout_buergerschaft_provenance"] == "missing").all()
    assert g["llq_first_year"].isna().all()
    assert (panel["provenance"] == "user").all() and (panel["city"] == "Bremen").all()
    assert panel["population"].dtype == "Int64"


def test_build_wide_table_with_codes_and_regex_exclusion():
    panel = build_panel(FIX / "bremerhaven_wide.csv", mapping=EXAMPLE_MAPPING, quartiers=Q,
                        funding=False)
    assert len(panel) == 16  # 4 Ortsteile x 4 years
    assert panel.attrs["excluded_rows"][0]["name"] == "Stadtbezirk Süd"
    g = panel.set_index(["quartier_id", "year"])["population"]
    assert g[("04012134", 2019)] == 10412 and g[("04012215", 2021)] == 7990
    assert pd.isna(g[("04012135", 2021)])
    assert (panel["city"] == "Bremerhaven").all()


def test_build_merges_files_and_parses_dates_as_years():
    files = [FIX / "ortsteilatlas_sgb2.csv", FIX / "landesamt_genesis_cp1252.csv",
             FIX / "wahl_bundestag_2021_komma.csv"]
    panel = build_panel(files, mapping=EXAMPLE_MAPPING, quartiers=Q, funding=False)
    g = panel.set_index(["quartier_id", "year"])
    assert g.loc[("04011442", 2022), "population_u15"] == 1880  # GENESIS, 31.12.2022
    assert g.loc[("04011442", 2022), "population"] == 9201  # Ortsteilatlas
    assert g.loc[("04011442", 2022), "population_u15_provenance"] == (
        "user: landesamt_genesis_cp1252.csv")
    assert g.loc[("04011434", 2021), "turnout_bundestag"] == 71.9
    assert g.loc[("04011434", 2021), "electorate_bundestag"] == 7950
    assert ("04011373", 2022) in g.index and pd.isna(g.loc[("04011373", 2022), "population"])


def test_same_value_from_two_files_is_accepted(tmp_path):
    a = write(tmp_path, HEAD + ROWS, name="a.csv")
    b = write(tmp_path, "Ortsteil;Jahr;Einwohner\nGröpelingen;2021;9.123\n", name="b.csv")
    m = {**M, "files": {"b.csv": {"indicators": {"population": "Einwohner"}}}}
    panel = build_panel([a, b], mapping=m, quartiers=Q, funding=False)
    assert panel.loc[panel.quartier_id == "04011442", "population"].item() == 9123


def test_per_file_year_replaces_top_level_year_column(tmp_path):
    a = write(tmp_path, HEAD + ROWS, name="a.csv")
    b = write(tmp_path, "Ortsteil;Arbeitslose in %\nWalle;7,1\n", name="alq_2022.csv")
    m = {**M, "files": {"alq_*.csv": {"year": 2022, "indicators": {"unemployment_rate": "Arbeitslose in %"}}}}
    panel = build_panel([a, b], mapping=m, quartiers=Q, funding=False)
    g = panel.set_index(["quartier_id", "year"])
    assert g.loc[("04011434", 2022), "unemployment_rate"] == 7.1
    assert g.loc[("04011434", 2022), "unemployment_rate_provenance"] == "user: alq_2022.csv"
    assert len(panel) == 3


def test_derived_llq_from_funding_table(tmp_path):
    fund = pd.DataFrame({
        "programme": ["LLQ", "LLQ", "WiN", "LLQ"],
        "strand": ["a", "a", "w", "a"],
        "city": ["Bremen"] * 4,
        "quartier_id": ["04011442", "04011442", "04011441", "04011442"],
        "year": [2021, 2021, 2021, 2022],
        "amount_eur": [10000.0, 8246.0, 5000.0, 1000.0],
        "provenance": ["published: x", "illustrative: y", "published: z", "published: x"],
        "source": ["s"] * 4,
    })
    panel = build(tmp_path, HEAD + ROWS, funding=fund).set_index("quartier_id")
    assert panel.loc["04011442", "llq_eur_per_capita"] == 2.0  # 18,246 EUR / 9,123 residents
    assert panel.loc["04011442", "llq_eur_per_capita_provenance"].startswith("illustrative:")
    assert panel.loc["04011442", "llq_first_year"] == 2021
    assert bool(panel.loc["04011442", "llq_funded"]) is True
    assert panel.loc["04011441", "llq_eur_per_capita"] == 0.0  # WiN money is not LLQ
    assert panel.loc["04011441", "llq_eur_per_capita_provenance"].startswith("derived:")
    assert panel.loc["04011441", "llq_first_year"] == 0
    assert bool(panel.loc["04011441", "llq_funded"]) is False


def test_mapping_dict_is_not_mutated(tmp_path):
    import copy

    m = copy.deepcopy(M)
    build(tmp_path, HEAD + ROWS, mapping=m)
    assert m == M


def test_name_matching_is_case_umlaut_and_footnote_insensitive(tmp_path):
    text = HEAD + "GROEPELINGEN 1);2021;9.123;32,9;55,3\nlindenhof;2021;6.250;30,1;58,0\n"
    panel = build(tmp_path, text)
    assert sorted(panel["quartier_id"]) == ["04011441", "04011442"]


# ============================================================================ malformed inputs

def _reader(text, name="t.csv", encoding_arg=None, **kw):
    return lambda tmp: read_official_table(write(tmp, text, name), encoding=encoding_arg, **kw)


def _builder(text, mapping=None, **kw):
    return lambda tmp: build(tmp, text, mapping, **kw)


def _yaml(yaml_text, text=HEAD + ROWS):
    def run(tmp):
        m = tmp / "m.yaml"
        m.write_text(textwrap.dedent(yaml_text), encoding="utf-8")
        return build_panel([write(tmp, text)], mapping=m, quartiers=Q, funding=False)
    return run


def _xlsx(rows, **kw):
    return lambda tmp: read_official_table(make_xlsx(tmp / "t.xlsx", rows), **kw)


def _two_files(tmp):
    a = write(tmp, HEAD + ROWS, name="a.csv")
    b = write(tmp, "Ortsteil;Jahr;Einwohner\nGröpelingen;2021;9.200\n", name="b.csv")
    m = {**M, "files": {"b.csv": {"indicators": {"population": "Einwohner"}}}}
    return build_panel([a, b], mapping=m, quartiers=Q, funding=False)


def _unsafe(tmp):
    sentinel = tmp / "pwned"
    m = tmp / "m.yaml"
    m.write_text(f"indicators: !!python/object/apply:os.system ['touch {sentinel}']\n")
    try:
        build_panel([write(tmp, HEAD + ROWS)], mapping=m, quartiers=Q, funding=False)
    finally:
        assert not sentinel.exists(), "unsafe YAML tag was executed"


DVE, FNF = DataValidationError, FileNotFoundError
MALFORMED = [
    # --- reading files
    ("empty file", _reader(""), DVE, ["empty"]),
    ("only blank lines", _reader("\n \n;;\n"), DVE, ["empty"]),
    ("only title and footnotes", _reader("Tabelle 1\n\nQuelle: Landesamt\n1) vorläufig\n"), DVE,
     ["only title or footnote"]),
    ("missing header", _reader("Gröpelingen;2021;9.123\nWalle;2021;10.456\n"), DVE,
     ["header line", "line 1", "Gröpelingen"]),
    ("header with another separator", _reader("Ortsteil,Jahr,Einwohner\nWalle;2021;1\nOhlenhof;2021;2\n"),
     DVE, ["header line", "line 1 looks like a header written with another separator", "line 2"]),
    ("header without data", _reader("Titel\nOrtsteil;Jahr;Einwohner\n\nQuelle: x\n"), DVE,
     ["data lines below the header", "line 2"]),
    ("text in numeric column", _reader(HEAD + ROWS + "Walle;2021;zwölf;12,5;60,1\n"), DVE,
     ["line 4", "'Einwohner'", "zwölf", "a number"]),
    ("two bad cells at once", _reader(HEAD + ROWS + "Walle;2021;zwölf;1,2,3;60,1\n"), DVE,
     ["2 problem(s)", "zwölf", "1,2,3"]),
    ("separator mixture", _reader(HEAD + ROWS + "Walle,2021,10.456,12,5,60,1\nOhlenhof;2021;1;2;3\n"),
     DVE, ["mixes separators", "line 4"]),
    ("unquoted decimal comma in ','-file", _reader("Ortsteil,Jahr,Quote\nWalle,2021,12,5\nOhlenhof,2021,3\n"),
     DVE, ["at most 3 fields", "quoted", "line 2"]),
    ("more fields than header", _reader("Ortsteil;Quote\nWalle;12,5;99\nOhlenhof;3,0\n"), DVE,
     ["at most 2 fields", "line 2", "99"]),
    ("binary garbage", _reader(b"\x00\x01\x02garbage\x00\xff" * 50), DVE, ["binary"]),
    ("xlsx saved as .csv", _reader(b"PK\x03\x04" + b"\x00" * 100), DVE, ["rename it to .xlsx"]),
    ("pdf saved as .csv", _reader(b"%PDF-1.4 ..."), DVE, ["PDF"]),
    ("unknown extension", _reader("a;b\n1;2\n", name="t.json"), DVE, [".json", "CSV or XLSX"]),
    ("old binary xls", _reader(b"\xd0\xcf\x11\xe0", name="t.xls"), DVE, [".xls", "xlsx"]),
    ("file missing", lambda tmp: read_official_table(tmp / "nope.csv"), FNF, ["nope.csv"]),
    ("wrong encoding given", _reader("Ortsteil;E\nGröpelingen;1\nWalle;2\n", encoding_arg="ascii"), DVE,
     ["encoding 'ascii'"]),
    ("xlsx without data", _xlsx([]), DVE, ["empty", "no filled cells"]),
    ("xlsx with only a title", _xlsx([["Bevölkerung 2022"], [], ["Quelle: Landesamt"]]), DVE,
     ["only title or footnote"]),
    ("xlsx unknown sheet", _xlsx([["a", "b"], [1, 2]], sheet="Daten"), DVE,
     ["one of the sheets", "Tabelle1", "Daten"]),
    ("corrupt xlsx", lambda tmp: read_official_table(write(tmp, b"PK\x03\x04broken", "t.xlsx")), DVE,
     ["readable XLSX"]),
    # --- mapping
    ("mapping YAML is a list", _yaml("- Ortsteil\n- Jahr\n"), DVE, ["top level", "list"]),
    ("mapping YAML is empty", _yaml(""), DVE, ["top level", "empty document"]),
    ("unsafe YAML tag", _unsafe, DVE, ["safe_load", "python/object"]),
    ("YAML syntax error", _yaml("indicators: {population: Einwohner\ncity: Bremen\n"), DVE,
     ["valid YAML", "line"]),
    ("unknown indicator key", _builder(HEAD + ROWS, {**M, "indicators": {"sgb2_quote": "SGB II-Quote in %"}}),
     DVE, ["sgb2_quote", "did you mean 'sgb2_rate'"]),
    ("unknown top-level key", _builder(HEAD + ROWS, {**M, "indikatoren": {}}), DVE,
     ["indikatoren", "did you mean", "'indicators'"]),
    ("unknown city", _builder(HEAD + ROWS, {**M, "city": "Bremenn"}), DVE, ["Bremenn", "Bremerhaven"]),
    ("mapping column not in file",
     _builder(HEAD + ROWS, {**M, "indicators": {"unemployment_rate": "Arbeitslosenquote"}}), DVE,
     ["'Arbeitslosenquote'", "columns:", "Einwohner"]),
    ("quartier column not in file", _builder(HEAD + ROWS, {**M, "quartier_column": "Ortsteilname"}),
     DVE, ["Ortsteilname", "did you mean 'Ortsteil'"]),
    ("no year given", _builder(HEAD + ROWS, {k: v for k, v in M.items() if k != "year_column"}), DVE,
     ["exactly one of `year_column`"]),
    ("quartiers: maps to unknown id", _builder(HEAD + ROWS, {**M, "quartiers": {"Walle": "HB-wale"}}),
     DVE, ["HB-wale", "known quartier_id"]),
    ("wide table without year columns",
     _builder("Ortsteil;Einwohner\nWalle;1\nOhlenhof;2\n", {
         "quartier_column": "Ortsteil", "years_in_columns": True, "indicator": "population"}),
     DVE, ["columns named by a year"]),
    ("mapping file missing", lambda tmp: build_panel([write(tmp, HEAD + ROWS)], mapping=tmp / "m.yaml",
                                                     quartiers=Q), FNF, ["mapping file not found"]),
    ("data file missing", lambda tmp: build_panel([tmp / "x.csv"], mapping=M, quartiers=Q), FNF,
     ["x.csv"]),
    # --- quartiers and years
    ("unknown quartier name", _builder(HEAD + "Gröplingen;2021;9.123;32,9;55,3\n" + ROWS), DVE,
     ["'Gröplingen'", "nearest known name: 'Gröpelingen'", "line 2"]),
    ("ambiguous name without city",
     _builder(HEAD + "Bürgerpark;2021;9.123;32,9;55,3\n" + ROWS,
              {k: v for k, v in M.items() if k != "city"}), DVE,
     ["unambiguous", "04011322", "04012214", "set `city:`"]),
    ("Stadtteil total not excluded", _builder(HEAD + ROWS + "Häfen;2021;300;1,0;50,0\n"), DVE,
     ["'Häfen'", "Stadtteil", "exclude_rows"]),
    ("empty quartier cell", _builder(HEAD + ROWS + ";2021;300;1,0;50,0\n"), DVE,
     ["cell is empty", "line 4"]),
    ("year not a number", _builder(HEAD + ROWS + "Walle;20x1;300;1,0;50,0\n"), DVE,
     ["20x1", "'Jahr'", "line 4"]),
    ("year is a mark", _builder(HEAD + ROWS + "Walle;.;300;1,0;50,0\nOhlenhof;2021;1;1;1\n"), DVE,
     ["a year", "'Jahr'", "line 4"]),
    # --- panel rules
    ("turnout 122.8 %", _builder(HEAD + "Gröpelingen;2021;9.123;32,9;122,8\nLindenhof;2021;6.250;30,1;58,0\n"),
     DVE, ["122.8", "<= 100", "line 2", "turnout_bundestag", "Wahlbeteiligung in %"]),
    ("rate below zero", _builder(HEAD + "Gröpelingen;2021;9.123;-1,5;55,3\n"), DVE,
     ["-1.5", ">= 0", "sgb2_rate"]),
    ("negative population", _builder(HEAD + "Gröpelingen;2021;-5;32,9;55,3\nWalle;2021;1;1;1\n"), DVE,
     ["-5", ">= 0", "population", "line 2"]),
    ("population not whole", _builder(HEAD + "Gröpelingen;2021;9.123,5;32,9;55,3\nWalle;2021;1;1;1\n"),
     DVE, ["whole number", "9123.5"]),
    ("duplicate quartier-year", _builder(HEAD + ROWS + "Gröpelingen;2021;9.100;32,0;55,0\n"), DVE,
     ["unique (quartier_id, year)", "04011442", "line 2", "line 4"]),
    ("turnout in a non-election year",
     _builder(HEAD + "Gröpelingen;2018;9.123;32,9;55,3\nWalle;2021;1;1;1\n"), DVE,
     ["election years", "2018", "line 2"]),
    ("two files disagree", _two_files, DVE, ["one value per quartier and year", "9123", "9200"]),
]


def test_malformed_table_is_large_enough():
    assert len(MALFORMED) >= 20


@pytest.mark.parametrize("name, run, exc_type, needles", MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_input_gives_clear_error(tmp_path, name, run, exc_type, needles):
    with pytest.raises(Exception) as info:
        run(tmp_path)
    exc = info.value
    assert isinstance(exc, exc_type), f"{type(exc).__name__}: {exc}"
    assert type(exc).__module__.split(".")[0] in ("llq_analysis", "builtins"), repr(exc)
    if isinstance(exc, DataValidationError):
        assert exc.problems
    msg = str(exc)
    for needle in needles:
        assert needle in msg, f"{needle!r} not in message:\n{msg}"


def test_all_problems_come_at_once(tmp_path):
    text = (HEAD + "Gröpelingen;2021;-5;32,9;55,3\nGröplingen;2021;1;1;1\n"
            "Lindenhof;2021;6.250;30,1;122,8\n")
    with pytest.raises(DataValidationError) as info:
        build(tmp_path, text)
    frame = info.value.to_frame()
    assert sorted(frame["line"].tolist()) == [2, 3, 4]
    assert {Path(f).name for f in frame["file"]} == {"t.csv"}


def test_load_mapping_checks_types():
    with pytest.raises(DataValidationError) as info:
        load_mapping({"year": "2021", "years_in_columns": "ja", "exclude_rows": "Insgesamt",
                      "exclude_rows_regex": ["("], "indicators": {"population": 3}})
    msg = str(info.value)
    for needle in ("'year'", "'years_in_columns'", "'exclude_rows'", "regular expression",
                   "indicators.population"):
        assert needle in msg


# ============================================================================ bundled geography


@pytest.mark.skipif(not HAVE_BUNDLED, reason="data/quartiers.csv or data/funding.csv not built yet")
def test_example_mapping_with_bundled_quartiers_and_funding():
    files = sorted(FIX.glob("*.csv"))
    panel = build_panel(files, mapping=EXAMPLE_MAPPING)
    from llq_analysis.data.loaders import load_funding, load_quartiers

    assert set(panel["quartier_id"]) <= set(load_quartiers()["quartier_id"])
    assert len(panel) == 28
    # LLQ per resident derived from the bundled funding table, checked by hand-rolled arithmetic
    f = load_funding()
    f = f[(f["programme"] == "LLQ") & f["quartier_id"].notna()]
    g = panel.set_index(["quartier_id", "year"])
    amount = f.loc[(f["quartier_id"] == "04011442") & (f["year"] == 2021), "amount_eur"].sum()
    assert g.loc[("04011442", 2021), "llq_eur_per_capita"] == round(amount / 9123, 4)
    first = int(f.loc[f["quartier_id"] == "04011442", "year"].min())
    assert g.loc[("04011442", 2021), "llq_first_year"] == first
    kinds = g["llq_eur_per_capita_provenance"].str.split(":").str[0]
    assert set(kinds) <= {"derived", "illustrative", "missing"}
    assert (kinds[g["population"].isna()] == "missing").all()
