"""Property-based tests of the export reader (issue 14): random German tables written, read back.

Hypothesis draws tables with German number formats (``1.234,5``, ``12 345`` with space, no-break
or narrow no-break space, ``-3,0``, ``1,5%``), official marks (``- . x ... / * k.A.`` and the
aliases ``–`` ``…``), flags (``p r s``, ``(..)``, ``1)``, ``¹``), title and footnote lines, the
encodings utf-8, utf-8-sig, cp1252, latin-1 and utf-16 and the separators ``;`` and tab. Each
table is written as an export and read with :func:`read_official_table`; the values, marks and
flags, the text cells, title and footnotes must come back as written.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llq_analysis.data.official import MARK_SUFFIX, MARKS, parse_german_number, read_official_table

ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]
NAMES = ["Gröpelingen", "Walle", "Findorff", "Östliche Vorstadt", "Neustädter Hafen", "Blockdiek",
         "St. Magnus", "Oslebshausen", "Bürgerpark", "Schwachhausen"]
MARK_TEXTS = {"-": "-", ".": ".", "x": "x", "...": "...", "/": "/", "*": "*", "k.A.": "k.A.",
              "–": "-", "…": "...", "X": "x"}
LATIN1_SAFE_MARKS = ["-", ".", "x", "...", "/", "*", "k.A.", "X"]
TITLES = ["Statistisches Landesamt Bremen", "Bevölkerung nach Ortsteilen (Stand 31.12.)",
          "Tabelle 12411-03-03: Bevölkerung"]
FOOTNOTES = ["Quelle: Statistisches Landesamt Bremen", "1) vorläufige Zahl", "- = nichts vorhanden",
             "Stand: 31.12.2023", "© Statistisches Landesamt Bremen"]


@st.composite
def german_number(draw, *, unicode_spaces: bool):
    """(text, value, has_fraction): a number as a German official table writes it."""
    whole = draw(st.integers(0, 9_999_999))
    ndec = draw(st.integers(0, 3))
    frac = draw(st.integers(0, 10 ** ndec - 1)) if ndec else 0
    neg = draw(st.booleans())
    spaces = [" ", "\u00a0"] + (["\u202f"] if unicode_spaces else [])
    style = draw(st.sampled_from(["plain", "dot", "space"]))
    digits = f"{whole:,}"  # 1,234,567
    if style == "plain":
        int_text = str(whole)
    elif style == "dot":
        int_text = digits.replace(",", ".")
    else:
        int_text = digits.replace(",", draw(st.sampled_from(spaces)))
    text = int_text + (f",{frac:0{ndec}d}" if ndec else "")
    value = float(f"{whole}.{frac:0{ndec}d}") if ndec else float(whole)
    if neg and value != 0:
        text, value = "-" + text, -value
    if draw(st.booleans()):
        text += draw(st.sampled_from(["%", " %"]))
    return text, value, ndec > 0


@st.composite
def cell(draw, *, unicode_spaces: bool, cp: bool):
    """(text, value or NaN, mark/flag or None) of one numeric cell."""
    kind = draw(st.sampled_from(["number", "number", "number", "mark", "flag", "empty"]))
    if kind == "empty":
        return "", math.nan, None
    if kind == "mark":
        marks = list(MARK_TEXTS) if cp else LATIN1_SAFE_MARKS
        m = draw(st.sampled_from(marks))
        return m, math.nan, MARK_TEXTS[m]
    text, value, _ = draw(german_number(unicode_spaces=unicode_spaces))
    if kind == "flag":
        text = text.rstrip("% ")  # a flag follows the digits
        value = parse_german_number(text)
        flag = draw(st.sampled_from(["p", "r", "s", "()", "1)", "2)", "¹"]))
        if flag == "()":
            return f"({text})", value, "()"
        if flag == "¹":
            return f"{text}¹", value, "1)"
        sep = draw(st.sampled_from([" ", ""])) if flag in "prs" else " "
        return f"{text}{sep}{flag}", value, flag
    return text, value, None


@st.composite
def export(draw):
    encoding = draw(st.sampled_from(ENCODINGS))
    utf = encoding.startswith("utf")
    cp = encoding != "latin-1"  # en dash and ellipsis exist in cp1252 and Unicode, not in latin-1
    sep = draw(st.sampled_from([";", "\t"]))
    n_rows = draw(st.integers(2, 12))
    n_cols = draw(st.integers(1, 3))
    names = [draw(st.sampled_from(NAMES)) for _ in range(n_rows)]
    cols = []
    for _ in range(n_cols):
        cells = [draw(cell(unicode_spaces=utf, cp=cp)) for _ in range(n_rows)]
        if all(math.isnan(v) for _, v, _ in cells):  # keep a number in each column
            cells[0] = ("12,5", 12.5, None)
        cols.append(cells)
    titles = draw(st.lists(st.sampled_from(TITLES), max_size=3))
    notes = draw(st.lists(st.sampled_from(FOOTNOTES), max_size=3))
    return encoding, sep, names, cols, titles, notes


def _write(path: Path, encoding, sep, names, cols, titles, notes) -> None:
    header = sep.join(["Ortsteil", "Jahr", *(f"Merkmal {j + 1}" for j in range(len(cols)))])
    lines = [*titles, header]
    for i, name in enumerate(names):
        lines.append(sep.join([name, "2021", *(c[i][0] for c in cols)]))
    lines += notes
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(export())
def test_round_trip_values_marks_flags_text(table):
    encoding, sep, names, cols, titles, notes = table
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "export.csv"
        _write(p, *table)
        df = read_official_table(p)
    assert len(df) == len(names)
    assert df["Ortsteil"].tolist() == names
    assert df["Jahr"].tolist() == [2021] * len(names)
    assert df.attrs["sep"] == sep
    assert df.attrs["header_lines"] == (len(titles) + 1,)
    assert df.attrs["source_lines"] == tuple(range(len(titles) + 2, len(titles) + 2 + len(names)))
    assert df.attrs["title"] == " | ".join(titles)
    assert [t for _, t in df.attrs["footnotes"]] == notes
    n_marked = 0
    for j, cells in enumerate(cols):
        name = f"Merkmal {j + 1}"
        got = df[name].astype("float64").tolist()
        want = [v for _, v, _ in cells]
        for g, w, (text, _, _) in zip(got, want, cells, strict=True):
            assert (math.isnan(g) and math.isnan(w)) or g == w, (text, g, w)
        marks = [None if pd.isna(m) else m for m in df[name + MARK_SUFFIX]] \
            if name + MARK_SUFFIX in df.columns else [None] * len(names)
        assert marks == [m for _, _, m in cells]
        n_marked += sum(m in MARKS for _, _, m in cells)
    assert df.attrs["n_marked_cells"] == n_marked


@settings(max_examples=200, deadline=None)
@given(german_number(unicode_spaces=True))
def test_parse_german_number_any_format(num):
    text, value, _ = num
    assert parse_german_number(text) == value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(export())
def test_xlsx_round_trip(table):
    """The same table as an XLSX sheet (numbers as text cells, as many exports write them)."""
    import openpyxl

    _, _, names, cols, titles, notes = table
    wb = openpyxl.Workbook()
    ws = wb.active
    for t in titles:
        ws.append([t])
    ws.append(["Ortsteil", "Jahr", *(f"Merkmal {j + 1}" for j in range(len(cols)))])
    for i, name in enumerate(names):
        ws.append([name, 2021, *((c[i][0] or None) for c in cols)])
    for n in notes:
        ws.append([n])
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "export.xlsx"
        wb.save(p)
        df = read_official_table(p)
    assert df["Ortsteil"].tolist() == names
    assert df.attrs["source_lines"] == tuple(range(len(titles) + 2, len(titles) + 2 + len(names)))
    for j, cells in enumerate(cols):
        got = df[f"Merkmal {j + 1}"].astype("float64").tolist()
        for g, (text, w, _) in zip(got, cells, strict=True):
            assert (math.isnan(g) and math.isnan(w)) or g == w, (text, g, w)
