"""Malformed official exports, table-driven (issue 14): every case through the API and the CLI.

Each case writes a small bad input and names what the message must contain: the file, the
line (or spreadsheet row), the column where there is one, and what was expected. Reader cases run
through ``read_official_table`` and ``llq validate``; import cases through ``build_panel`` and
``llq build-panel`` (exit code 1, one message, no traceback). Quartier names and codes come from
the bundled data/quartiers.csv, never spelled out here. Ortsteilatlas- and 12411-03-03-style files
(issue 10, "Bad input") are built small with openpyxl / as Latin-1 text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from llq_analysis import paths
from llq_analysis.cli import main
from llq_analysis.data.importing import build_panel, read_official_table
from llq_analysis.errors import DataValidationError

pytestmark = pytest.mark.skipif(not paths.QUARTIERS_CSV.exists(), reason="data/quartiers.csv not built")


def _quartiers() -> pd.DataFrame:
    from llq_analysis.data.loaders import load_quartiers

    return load_quartiers()


Q = _quartiers() if paths.QUARTIERS_CSV.exists() else None
HB = Q[(Q["city"] == "Bremen") & Q["official_code"].notna()].reset_index(drop=True) if Q is not None else None


def ort(k: int) -> str:
    return str(HB["ortsteil"].iat[k])


def code(k: int) -> int:
    return int(HB["official_code"].iat[k])


def key8(k: int) -> str:
    return str(HB["quartier_id"].iat[k])


def stadtteil(k: int) -> str:
    return str(HB["stadtteil"].iat[k])


# ------------------------------------------------------------------------------------ builders
LONG = {"city": "Bremen", "quartier_column": "Ortsteil", "year_column": "Jahr",
        "indicators": {"population": "Einwohner", "sgb2_rate": "Quote"}}


def long_csv(*extra: str, head: str = "Ortsteil;Jahr;Einwohner;Quote") -> str:
    rows = [head, f"{ort(0)};2021;9.123;32,9", f"{ort(1)};2021;6.250;30,1", *extra]
    return "\n".join(rows) + "\n"


def csv_case(text: str | bytes, name: str = "export.csv", encoding: str = "utf-8"):
    def make(tmp: Path) -> list[Path]:
        p = tmp / name
        p.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return [p]
    return make


def xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def xlsx_case(sheets_fn, name: str = "export.xlsx"):
    def make(tmp: Path) -> list[Path]:
        return [xlsx(tmp / name, sheets_fn())]
    return make


SGB = "Anteil der Leistungsberechtigten SGB II an der Bevölkerung unter 65 Jahren (%)"
ALO = "Anteil der Arbeitslosen an den Beschäftigten zuzüglich Arbeitslose (%)"


def atlas_rows(*, blocks=((SGB, (2019, 2020, 2021)), (ALO, (2019, 2020, 2021))), cells=None,
               stadtteil_rows=True, total=True) -> list[list]:
    """An Ortsteilatlas-style sheet: theme row, indicator row above each block, header row
    ``Ortsteil / Stadtteil / Stadtbezirk`` + years, area rows (3-digit code, name), Stadtteil rows
    (2-digit code, "Stadtteil X"), the "Stadt Bremen" total without a code. Value of area k, block b,
    year y: 10*b + k + (y - 2019) / 10, unless ``cells`` overrides (k, b, y) -> cell."""
    cells = cells or {}
    width = 2 + sum(len(ys) for _, ys in blocks)
    theme = [None, None, "Sozialleistungen"] + [None] * (width - 3)
    names = [None, None]
    header = ["Ortsteil / Stadtteil / Stadtbezirk", None]
    for name, ys in blocks:
        names += [name] + [None] * (len(ys) - 1)
        header += list(ys)
    out = [theme, names, header]

    def values(k):
        vals = []
        for b, (_, ys) in enumerate(blocks):
            vals += [cells.get((k, b, y), 10 * b + k + (y - 2019) / 10) for y in ys]
        return vals
    for k in range(3):
        out.append([code(k), ort(k), *values(k)])
    if stadtteil_rows:
        out.append([code(0) // 10, f"Stadtteil {stadtteil(0)}", *values(7)])
    if total:
        out.append([None, "Stadt Bremen", *values(9)])
    return out


ATLAS_MAP = {"city": "Bremen", "quartier_code_column": "Ortsteil / Stadtteil / Stadtbezirk",
             "exclude_rows_regex": ["^Stadt Bremen$", "^Stadtteil ", "^Stadtbezirk "],
             "blocks": {"sgb2_rate": {"sheet": "Sozialleistungen", "block": SGB},
                        "unemployment_rate": {"sheet": "Sozialleistungen", "block": ALO}}}


def genesis_text(*, mark1: str = "1)", extra: tuple[str, ...] = ()) -> bytes:
    """A 12411-03-03-style export: Latin-1, ';', title line, three header lines with footnote
    marks, 8-digit keys (Ortsteile, a Stadtteil row, the city), age rows, `x` cells."""
    k0, k1 = key8(0), key8(1)
    lines = [
        "12411-03-03: Bevölkerung nach Geschlecht und Altersgruppen (Stand 31.12.)",
        "Gebietsschlüssel;Gebietseinheit;Zeit;Alter von ... bis unter ... Jahren"
        + f";Bevölkerung {mark1}" * 5,
        ";;;;insgesamt;männlich;weiblich;Deutsche;Ausländer 2)",
        ";;;;;;;zusammen;zusammen",
        "0401;Stadt Bremen;2022-12-31;Insgesamt;570000;280000;290000;480000;90000",
        f"{k0[:7]};{stadtteil(0)} (Stadtteil);2022-12-31;Insgesamt;20000;10000;10000;15000;5000",
        f"{k0};{ort(0)};2022-12-31;unter 3;100;50;50;80;20",
        f"{k0};{ort(0)};2022-12-31;Insgesamt;3892;1900;1992;3000;892",
        f"{k1};{ort(1)};2022-12-31;Insgesamt;5904;x;x;5000;904",
        *extra,
        "1) Bevölkerung am Ort der Hauptwohnung",
    ]
    return ("\n".join(lines) + "\n").encode("latin-1")


GENESIS_MAP = {"quartier_code_column": "Gebietsschlüssel", "year_column": "Zeit",
               "filter_rows": {"Alter von ... bis unter ... Jahren": "Insgesamt"},
               "exclude_rows_regex": [r"\((Stadtteil|Stadtbezirk)\)$", "^Stadt Bremen$"],
               "indicators": {"population": "Bevölkerung insgesamt"}}


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj\n"


# ------------------------------------------------------------------------------------ the cases
# (id, kind, make(tmp) -> files, mapping or read kwargs, needles). kind "read": read_official_table
# and `llq validate`; kind "build": build_panel and `llq build-panel`. "{file}" is the file name.
CASES = [
    # --- cells
    ("text in a numeric column", "read", csv_case(long_csv(f"{ort(2)};2021;zehn;12,5")), {},
     ["{file}", "line 4", "'Einwohner'", "a number", "zehn"]),
    ("unknown mark", "read", csv_case(long_csv(f"{ort(2)};2021;#;12,5")), {},
     ["{file}", "line 4", "'Einwohner'", "official mark", "'#'"]),
    ("mixed decimal separators", "read", csv_case(long_csv(f"{ort(2)};2021;1;14.5", f"{ort(3)};2021;1;15.5")),
     {}, ["{file}", "line 4", "'Quote'", "one decimal separator", "line 2 has a decimal comma", "'14.5'"]),
    ("mixed decimals, points dominate", "read",
     csv_case("Ortsteil;Jahr;Quote\n" + "".join(f"{ort(k)};2021;1{k}.5\n" for k in range(4)) + f"{ort(4)};2021;3,5\n"),
     {}, ["{file}", "line 6", "'Quote'", "one decimal separator", "decimal point"]),
    ("two dots in a number", "read", csv_case(long_csv(f"{ort(2)};2021;1.2.3;12,5")), {},
     ["{file}", "line 4", "'Einwohner'", "a number", "1.2.3"]),
    ("unknown flag letter", "read", csv_case(long_csv(f"{ort(2)};2021;5 q;12,5")), {},
     ["{file}", "line 4", "'Einwohner'", "a number", "5 q"]),
    ("double percent", "read", csv_case(long_csv(f"{ort(2)};2021;5;12,5 %%")), {},
     ["{file}", "line 4", "'Quote'", "a number", "12,5 %%"]),
    ("decimal point where comma given", "read-decimal", csv_case(long_csv(f"{ort(2)};2021;5;12.75")),
     {"decimal": ","}, ["{file}", "line 4", "'Quote'", "decimal comma", "12.75"]),
    # --- lines and structure
    ("too many fields", "read", csv_case(long_csv(f"{ort(2)};2021;5;1,0;99")), {},
     ["{file}", "line 4", "at most 4 fields", "header (line 1)", "99"]),
    ("line with another separator", "read", csv_case(long_csv(f"{ort(2)},2021,5,1")), {},
     ["{file}", "line 4", "fields separated by ';'", "mixes separators"]),
    ("unquoted decimal commas in a ',' file", "read",
     csv_case(f"Ortsteil,Jahr,Quote\n{ort(0)},2021,12,5\n{ort(1)},2021,13\n"), {},
     ["{file}", "line 2", "at most 3 fields", "must be quoted"]),
    ("header without data", "read", csv_case("Titel\nOrtsteil;Jahr;Einwohner\n"), {},
     ["{file}", "line 2", "data lines below the header"]),
    ("only title lines", "read", csv_case("Statistisches Landesamt Bremen\nTabelle 1\n"), {},
     ["{file}", "line 1", "a header line", "two or more filled cells"]),
    ("header in another separator", "read",
     csv_case(f"Ortsteil,Jahr,Einwohner\n{ort(0)};2021;5\n{ort(1)};2021;6\n"), {},
     ["{file}", "line 2", "a header line", "line 1 looks like a header written with another separator"]),
    ("empty file", "read", csv_case(""), {}, ["{file}", "a table", "empty"]),
    ("PDF named .csv", "read", csv_case(pdf_bytes()), {}, ["{file}", "this is a PDF"]),
    ("ZIP named .csv", "read", csv_case(b"PK\x03\x04rest"), {}, ["{file}", "ZIP/XLSX", "rename it to .xlsx"]),
    ("old .xls", "read", csv_case(b"\xd0\xcf\x11\xe0rest", name="export.xls"), {}, ["{file}", ".xls", ".xlsx"]),
    ("binary data", "read", csv_case(b"a;b\n" + bytes(range(1, 31)) * 40), {},
     ["{file}", "binary data"]),
    ("wrong encoding given", "read-encoding", csv_case(long_csv(head="Ortsteil;Jahr;Bevölkerung;Quote"), encoding="cp1252"),
     {"encoding": "utf-8"},
     ["{file}", "encoding 'utf-8'"]),
    # --- XLSX sheets
    ("notes sheet first", "read",
     xlsx_case(lambda: {"Hinweise": [["Hinweise zur Tabelle"], ["Quelle: Statistisches Landesamt"]],
                        "Daten": [["Ortsteil", "Jahr", "Einwohner"], [ort(0), 2021, 5], [ort(1), 2021, 6]]}),
     {}, ["{file}", "line 1", "first sheet 'Hinweise'", "['Hinweise', 'Daten']", "sheets with a table: ['Daten']",
          "sheet="]),
    ("XLSX text in a number column", "read",
     xlsx_case(lambda: {"T": [["Ortsteil", "Jahr", "Einwohner"], [ort(0), 2021, 5], [ort(1), 2021, "fünf"],
                              [ort(2), 2021, 7]]}),
     {}, ["{file}", "line 3", "'Einwohner'", "a number", "fünf"]),
    ("sheet number out of range", "read-sheet",
     xlsx_case(lambda: {"T": [["Ortsteil", "Einwohner"], [ort(0), 5], [ort(1), 6]]}), {"sheet": 3},
     ["{file}", "a sheet number between 0 and 0", "['T']", "found 3"]),
    ("unknown sheet name", "read-sheet",
     xlsx_case(lambda: {"Daten 2021": [["Ortsteil", "Einwohner"], [ort(0), 5], [ort(1), 6]]}),
     {"sheet": "Daten 2012"}, ["{file}", "one of the sheets", "did you mean 'Daten 2021'"]),
    # --- import: names, years, mapping
    ("unknown quartier", "build", csv_case(long_csv("Nirgendwo Süd;2021;5;1,0")), LONG,
     ["{file}", "line 4", "'Ortsteil'", "a known Ortsteil of Bremen", "Nirgendwo Süd"]),
    ("Stadtteil row not excluded", "build", csv_case(long_csv(f"Stadtteil {stadtteil(0)};2021;5;1,0")), LONG,
     ["{file}", "line 4", "'Ortsteil'", "a known Ortsteil", "exclude_rows"]),
    ("bad year", "build", csv_case(long_csv(f"{ort(2)};zwanzig;5;1,0")), LONG,
     ["{file}", "line 4", "'Jahr'", "a number", "zwanzig"]),
    ("date not a year", "build",
     csv_case(f"Ortsteil;Jahr;Einwohner\n{ort(0)};31.12.2021;5\n{ort(1)};31.12.2021;6\n{ort(2)};31.13.;7\n"),
     {**LONG, "indicators": {"population": "Einwohner"}},
     ["{file}", "line 4", "'Jahr'", "a year such as 2022", "31.13."]),
    ("empty quartier cell", "build", csv_case(long_csv(";2021;5;1,0")), LONG,
     ["{file}", "line 4", "'Ortsteil'", "cell is empty"]),
    ("mapping names a missing column", "build", csv_case(long_csv()),
     {**LONG, "indicators": {"population": "Einwohner insgesamt"}},
     ["{file}", "'indicators.population'", "a column of the file", "did you mean 'Einwohner'"]),
    ("rate above 100", "build", csv_case(long_csv(f"{ort(2)};2021;5;101,5")), LONG,
     ["{file}", "line 4", "sgb2_rate (file column 'Quote')", "<= 100", "101.5"]),
    ("negative count", "build", csv_case(long_csv(f"{ort(2)};2021;-5;1,0")), LONG,
     ["{file}", "line 4", "population (file column 'Einwohner')", ">= 0", "-5"]),
    ("duplicate quartier-year", "build", csv_case(long_csv(f"{ort(0)};2021;9.000;30,0")), LONG,
     ["{file}", "line 2", "line 4", "unique (quartier_id, year)"]),
    ("text in a text-dominated indicator column", "build",
     csv_case(f"Ortsteil;Jahr;Einwohner;Quote\n{ort(0)};2021;1;hoch\n{ort(1)};2021;2;mittel\n"), LONG,
     ["{file}", "line 2", "'Quote'", "a number", "hoch"]),
    ("code without the prefix", "build",
     csv_case(f"id;name;Jahr;Quote\nX{code(0)};{ort(0)};2021;1,0\nX{code(1)};{ort(1)};2021;2,0\n"
              f"{code(2)};{ort(2)};2021;2,0\n"),
     {"quartier_code_column": "id", "code_prefixes": {"X": "Bremen"}, "year_column": "Jahr",
      "indicators": {"sgb2_rate": "Quote"}},
     ["{file}", "line 4", "'id'", "a code starting with one of ['X']", str(code(2))]),
    ("unknown code", "build",
     csv_case(f"Nr;Jahr;Quote\n{code(0)};2021;1,0\n999;2021;2,0\n"),
     {"city": "Bremen", "quartier_code_column": "Nr", "year_column": "Jahr", "indicators": {"sgb2_rate": "Quote"}},
     ["{file}", "line 3", "'Nr'", "a known official_code of Bremen", "999"]),
    ("filter_rows names a missing column", "build", csv_case(long_csv()),
     {**LONG, "filter_rows": {"Geschlecht": "insgesamt"}},
     ["{file}", "'filter_rows'", "a column of the file", "Geschlecht"]),
    ("year_columns not a year", "build",
     csv_case(f"Ortsteil;Einwohner;2021\n{ort(0)};5;6\n{ort(1)};7;8\n"),
     {"city": "Bremen", "quartier_column": "Ortsteil", "years_in_columns": True, "indicator": "population",
      "year_columns": ["Einwohner", "2021"]},
     ["{file}", "'year_columns'", "a column label holding a year", "Einwohner"]),
    ("mixed decimals in build-panel", "build",
     csv_case(long_csv(f"{ort(2)};2021;1;14.5", f"{ort(3)};2021;1;15.5")), LONG,
     ["{file}", "line 4", "'Quote'", "one decimal separator"]),
    # --- Ortsteilatlas layout (issue 10)
    ("atlas: indicator missing", "build",
     xlsx_case(lambda: {"Sozialleistungen": atlas_rows(blocks=((SGB, (2019, 2020)),))}, name="atlas.xlsx"),
     ATLAS_MAP, ["{file}", "'block'", "an indicator block named exactly like this", "'Sozialleistungen'",
                 SGB]),
    ("atlas: indicator renamed", "build",
     xlsx_case(lambda: {"Sozialleistungen": atlas_rows(
         blocks=((SGB, (2019, 2020)), (ALO.replace("Arbeitslosen", "Erwerbslosen"), (2019, 2020))))},
         name="atlas.xlsx"),
     ATLAS_MAP, ["{file}", "'block'", "named exactly", "did you mean", "Erwerbslosen"]),
    ("atlas: Stadtteil rows without exclude_rows", "build",
     xlsx_case(lambda: {"Sozialleistungen": atlas_rows(total=False)}, name="atlas.xlsx"),
     {k: v for k, v in ATLAS_MAP.items() if k != "exclude_rows_regex"},
     ["{file}", "line 7", "'Ortsteil / Stadtteil / Stadtbezirk'", "a known official_code of Bremen",
      f"'Stadtteil {stadtteil(0)}'", "exclude_rows"]),
    ("atlas: city total without code", "build",
     xlsx_case(lambda: {"Sozialleistungen": atlas_rows(stadtteil_rows=False)}, name="atlas.xlsx"),
     {k: v for k, v in ATLAS_MAP.items() if k != "exclude_rows_regex"},
     ["{file}", "line 7", "'Ortsteil / Stadtteil / Stadtbezirk'", "cell is empty"]),
    ("atlas: text cell in a block", "build",
     xlsx_case(lambda: {"Sozialleistungen": atlas_rows(cells={(1, 1, 2020): "k.Ang."})}, name="atlas.xlsx"),
     ATLAS_MAP, ["{file}", "line 5", "'2020'", "a number", "k.Ang."]),
    ("atlas: rate above 100 in the second block", "build",
     xlsx_case(lambda: {"Sozialleistungen": atlas_rows(cells={(2, 1, 2021): 140.0})}, name="atlas.xlsx"),
     ATLAS_MAP, ["{file}", "line 6", "unemployment_rate (file column '2021')", "<= 100", "140"]),
    # --- 12411-03-03 layout (issue 10)
    ("12411: extra level row", "build",
     csv_case(genesis_text(extra=(f"{key8(0)[:6]};Bezirk (Verwaltungsbezirk);2022-12-31;Insgesamt;1;1;1;1;1",)),
              name="12411-03-03-2022.csv"),
     GENESIS_MAP, ["{file}", "line 10", "'Gebietsschlüssel'", "a known official_code", key8(0)[:6]]),
    ("12411: header changed under the mapping", "build",
     csv_case(genesis_text().replace(b"insgesamt;", b"zusammen;", 1), name="12411-03-03-2022.csv"),
     GENESIS_MAP, ["{file}", "'indicators.population'", "a column of the file", "Bevölkerung zusammen"]),
]


def test_case_table_is_large_enough():
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


def _needles(needles, files):
    return [n.replace("{file}", files[0].name) for n in needles]


def _api(kind, files, cfg):
    if kind.startswith("read"):
        return read_official_table(files[0], **cfg)
    return build_panel(files, mapping=cfg, funding=False)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_api_message(tmp_path, case):
    name, kind, make, cfg, needles = case
    files = make(tmp_path)
    with pytest.raises(DataValidationError) as info:
        _api(kind, files, cfg)
    msg = str(info.value)
    for n in _needles(needles, files):
        assert n in msg, f"{n!r} not in:\n{msg}"


CLI_CASES = [c for c in CASES if c[1] in ("read", "build")]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_message(tmp_path, capsys, case):
    name, kind, make, cfg, needles = case
    files = make(tmp_path)
    if kind == "read":
        rc = main(["validate", "--kind", "official", str(files[0])])
    else:
        mp = tmp_path / "mapping.yaml"
        mp.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
        rc = main(["build-panel", "--mapping", str(mp), *map(str, files), "--out", str(tmp_path / "out.csv")])
    out = capsys.readouterr()
    assert rc == 1, out
    assert "Traceback" not in out.err + out.out
    assert not (tmp_path / "out.csv").exists()
    for n in _needles(needles, files):
        if kind == "build" and n.startswith("did you mean"):
            continue
        assert n in out.err, f"{n!r} not in:\n{out.err}"


# ------------------------------------------------------------------ layouts read correctly (no error)
def _trace_values(panel, column):
    sub = panel[["quartier_id", "year", column]].dropna()
    return {(q, int(y)): float(v) for q, y, v in sub.itertuples(index=False)}


def _expected_atlas(blocks, b, ks=range(3), cells=None):
    cells = cells or {}
    out = {}
    for k in ks:
        for y in blocks[b][1]:
            v = cells.get((k, b, y), 10 * b + k + (y - 2019) / 10)
            if isinstance(v, (int, float)):
                out[(key8(k), y)] = float(v)
    return out


def test_atlas_extra_block_and_added_year_land_in_the_right_indicator(tmp_path):
    blocks = ((SGB, (2019, 2020, 2021, 2022)), ("Ein weiterer Indikator (%)", (2019, 2020)),
              (ALO, (2019, 2020, 2021)))
    p = xlsx(tmp_path / "atlas.xlsx", {"Sozialleistungen": atlas_rows(blocks=blocks)})
    panel = build_panel([p], mapping=ATLAS_MAP, funding=False)
    assert _trace_values(panel, "sgb2_rate") == _expected_atlas(blocks, 0)
    assert _trace_values(panel, "unemployment_rate") == _expected_atlas(blocks, 2)
    excluded = {e["name"] for e in panel.attrs["excluded_rows"]}
    assert excluded == {"Stadt Bremen", f"Stadtteil {stadtteil(0)}"}
    trace = getattr(panel.attrs["trace"], "frame", panel.attrs["trace"])
    assert set(trace["block"]) == {SGB, ALO}


def test_atlas_x_cells_are_missing_with_the_mark(tmp_path):
    cells = {(0, 0, 2020): "x", (1, 1, 2019): "x"}
    p = xlsx(tmp_path / "atlas.xlsx", {"Sozialleistungen": atlas_rows(cells=cells)})
    panel = build_panel([p], mapping=ATLAS_MAP, funding=False)
    blocks = ((SGB, (2019, 2020, 2021)), (ALO, (2019, 2020, 2021)))
    assert _trace_values(panel, "sgb2_rate") == _expected_atlas(blocks, 0, cells=cells)
    assert _trace_values(panel, "unemployment_rate") == _expected_atlas(blocks, 1, cells=cells)
    row = panel[(panel["quartier_id"] == key8(0)) & (panel["year"] == 2020)].iloc[0]
    assert pd.isna(row["sgb2_rate"]) and "'x'" in row["sgb2_rate_provenance"]


def test_two_sheets_with_tables_warn_and_read_the_first(tmp_path, capsys):
    sheets = {"A": [["Ortsteil", "Jahr", "Einwohner"], [ort(0), 2021, 5], [ort(1), 2021, 6]],
              "B": [["Ortsteil", "Jahr", "Einwohner"], [ort(0), 2022, 7], [ort(1), 2022, 8]],
              "Hinweise": [["Quelle: Statistisches Landesamt Bremen"]]}
    p = xlsx(tmp_path / "two.xlsx", sheets)
    df = read_official_table(p)
    assert df.attrs["sheet"] == "A" and df["Jahr"].tolist() == [2021, 2021]
    (w,) = df.attrs["warnings"]
    assert "two.xlsx" in w and "'A'" in w and "['B']" in w and "sheet=" in w
    assert read_official_table(p, sheet="B").attrs["warnings"] == ()
    m = {"city": "Bremen", "quartier_column": "Ortsteil", "year_column": "Jahr",
         "indicators": {"population": "Einwohner"}}
    panel = build_panel([p], mapping=m, funding=False)
    assert any("['B']" in x for x in panel.attrs["warnings"])
    mp = tmp_path / "m.yaml"
    mp.write_text(yaml.safe_dump(m, allow_unicode=True), encoding="utf-8")
    assert main(["build-panel", "--mapping", str(mp), str(p), "--out", str(tmp_path / "o.csv")]) == 0
    assert "['B'] hold tables too" in capsys.readouterr().out


def test_unused_files_entry_names_entry_and_given_files(tmp_path):
    p = tmp_path / "sgb2.csv"
    p.write_text(long_csv(), encoding="utf-8")
    m = {**LONG, "files": {"wahl_*.csv": {"year": 2021}}}
    panel = build_panel([p], mapping=m, funding=False)
    (w,) = [x for x in panel.attrs["warnings"] if "files." in x]
    assert "files.wahl_*.csv" in w and "sgb2.csv" in w


def test_12411_changed_footnote_mark_reads_the_same_values(tmp_path):
    a = tmp_path / "12411-03-03-2022.csv"
    a.write_bytes(genesis_text())
    b = tmp_path / "12411-03-03-2023.csv"
    b.write_bytes(genesis_text(mark1="3)").replace(b"2022-12-31", b"2023-12-31"))
    df = read_official_table(b)
    assert df.attrs["encoding"] in ("cp1252", "latin-1")
    assert df["Bevölkerung weiblich"].isna().sum() == 1  # the `x` cell
    assert df.attrs["header_footnotes"]["Bevölkerung insgesamt"] == ["3)"]
    panel = build_panel([a, b], mapping=GENESIS_MAP, funding=False)
    got = _trace_values(panel, "population")
    assert got == {(key8(0), 2022): 3892.0, (key8(0), 2023): 3892.0, (key8(1), 2022): 5904.0,
                   (key8(1), 2023): 5904.0}
