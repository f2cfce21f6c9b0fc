"""`llq validate` and `llq build-panel` end to end, through llq_analysis.cli.main([...])."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from llq_analysis import paths
from llq_analysis.cli import main
from llq_analysis.data.importing import build_panel, read_panel

FIX = Path(__file__).parent / "fixtures" / "official"
EXAMPLE_MAPPING = paths.PROJECT_DIR / "examples" / "mapping_example.yaml"
HAVE_BUNDLED = paths.QUARTIERS_CSV.exists() and paths.FUNDING_CSV.exists()
needs_bundled = pytest.mark.skipif(not HAVE_BUNDLED, reason="data/quartiers.csv not built yet")

GOOD = ("Ortsteil;Jahr;Einwohner;SGB II-Quote in %\n"
        "Gröpelingen;2021;9.123;32,9\nLindenhof;2021;6.250;30,1\n")
MAPPING = """\
city: Bremen
quartier_column: Ortsteil
year_column: Jahr
indicators:
  population: Einwohner
  sgb2_rate: "SGB II-Quote in %"
exclude_rows: ["Stadt Bremen"]
"""


def test_validate_official_export_ok(capsys):
    rc = main(["validate", str(FIX / "ortsteilatlas_sgb2.csv")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "OK - read 12 rows x 7 columns" in out
    assert "9 cells marked missing/secret" in out
    assert "footnote line 18: Quelle:" in out


def test_validate_official_export_with_bad_cell(tmp_path, capsys):
    p = tmp_path / "bad.csv"
    p.write_text(GOOD + "Walle;2021;zehn;12,5\n", encoding="utf-8")
    rc = main(["validate", str(p)])
    err = capsys.readouterr().err
    assert rc == 1
    assert "line 4" in err and "'Einwohner'" in err and "zehn" in err
    assert "Traceback" not in err


def test_validate_missing_file(tmp_path, capsys):
    rc = main(["validate", str(tmp_path / "nope.csv")])
    assert rc == 1
    assert "nope.csv" in capsys.readouterr().err


def test_validate_xlsx(tmp_path, capsys):
    import openpyxl

    wb = openpyxl.Workbook()
    for r in (["Titel"], ["Ortsteil", "Einwohner"], ["Walle", 10456], ["Ohlenhof", "."]):
        wb.active.append(r)
    wb.save(tmp_path / "t.xlsx")
    assert main(["validate", str(tmp_path / "t.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "read 2 rows x 2 columns" in out and "1 cells marked" in out


@needs_bundled
def test_build_panel_then_validate_it(tmp_path, capsys):
    src = tmp_path / "sgb2.csv"
    src.write_text(GOOD, encoding="utf-8")
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    out = tmp_path / "out" / "panel.csv"
    rc = main(["build-panel", "--mapping", str(tmp_path / "m.yaml"), str(src), "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    assert "wrote" in capsys.readouterr().out
    written = read_panel(out)
    expected = build_panel([src], mapping=tmp_path / "m.yaml")
    pd.testing.assert_frame_equal(written, expected)
    assert written.set_index("quartier_id")["population"].to_dict() == {"04011442": 9123, "04011441": 6250}
    assert main(["validate", str(out)]) == 0
    assert "OK - panel with 2 rows, 2 quartiers, years 2021-2021" in capsys.readouterr().out


@needs_bundled
def test_build_panel_example_mapping_reports_exclusions(tmp_path, capsys):
    files = [str(p) for p in sorted(FIX.glob("*.csv"))]
    out = tmp_path / "panel.csv"
    rc = main(["build-panel", "--mapping", str(EXAMPLE_MAPPING), *files, "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "28 rows, 11 quartiers, years 2019-2022" in text
    assert "ortsteilatlas_sgb2.csv line 5: Stadt Bremen" in text
    assert "bremerhaven_wide.csv line 8: Stadtbezirk Süd" in text


@needs_bundled
def test_build_panel_invalid_writes_nothing(tmp_path, capsys):
    src = tmp_path / "wahl.csv"
    src.write_text("Ortsteil;Jahr;Wahlbeteiligung\nWerderland;2021;122,8\nGröpelingen;2021;55,0\n",
                   encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text("city: Bremen\nquartier_column: Ortsteil\nyear_column: Jahr\n"
                 "indicators: {turnout_bundestag: Wahlbeteiligung}\n", encoding="utf-8")
    out = tmp_path / "out"
    rc = main(["build-panel", "--mapping", str(m), str(src), "--out", str(out / "panel.csv")])
    err = capsys.readouterr().err
    assert rc == 1
    assert "122.8" in err and "line 2" in err and "<= 100" in err
    assert not out.exists()  # no directory, no half-written or temporary file

    # an existing output stays untouched when the new input is invalid
    out.mkdir()
    (out / "panel.csv").write_text("old", encoding="utf-8")
    assert main(["build-panel", "--mapping", str(m), str(src), "--out", str(out / "panel.csv")]) == 1
    assert (out / "panel.csv").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in out.iterdir()) == ["panel.csv"]


@needs_bundled
def test_build_panel_interrupted_write_leaves_no_file(tmp_path, monkeypatch, capsys):
    src = tmp_path / "sgb2.csv"
    src.write_text(GOOD, encoding="utf-8")
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")

    def broken_to_csv(self, fh, **kw):
        fh.write("quartier_id,city,ye")  # half a line, then the disk "fills up"
        raise OSError("No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken_to_csv)
    out = tmp_path / "o"
    out.mkdir()
    rc = main(["build-panel", "--mapping", str(tmp_path / "m.yaml"), str(src), "--out", str(out / "p.csv")])
    assert rc == 1 and "No space left on device" in capsys.readouterr().err  # a message, no traceback
    assert list(out.iterdir()) == []


def test_build_panel_refuses_to_overwrite_input(tmp_path, capsys):
    src = tmp_path / "sgb2.csv"
    src.write_text(GOOD, encoding="utf-8")
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    rc = main(["build-panel", "--mapping", str(tmp_path / "m.yaml"), str(src), "--out", str(src)])
    assert rc == 1
    assert "overwrite an input file" in capsys.readouterr().err
    assert src.read_text(encoding="utf-8") == GOOD


def test_build_panel_bad_mapping_message(tmp_path, capsys):
    src = tmp_path / "sgb2.csv"
    src.write_text(GOOD, encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text("quartier_column: Ortsteil\nyear_column: Jahr\nindicators: {sgb2_quote: Einwohner}\n",
                 encoding="utf-8")
    rc = main(["build-panel", "--mapping", str(m), str(src), "--out", str(tmp_path / "p.csv")])
    err = capsys.readouterr().err
    assert rc == 1 and "sgb2_quote" in err and "sgb2_rate" in err
    assert not (tmp_path / "p.csv").exists()


def test_build_panel_usage_error():
    with pytest.raises(SystemExit) as info:
        main(["build-panel", "x.csv", "--out", "p.csv"])  # --mapping missing
    assert info.value.code == 2


def test_validate_panel_file_with_problems(tmp_path, capsys):
    if not paths.PANEL_CSV.exists():
        pytest.skip("data/panel.csv not built yet")
    import csv

    with open(paths.PANEL_CSV, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[3][rows[0].index("population")] = "-7"  # data row 3 = file line 4
    p = tmp_path / "panel.csv"
    with open(p, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    rc = main(["validate", str(p)])
    err = capsys.readouterr().err
    assert rc == 1 and "line 4" in err and "population" in err and "-7" in err
