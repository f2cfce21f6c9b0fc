"""Read official German statistics exports (CSV/XLSX/InstantAtlas JSON) into tidy DataFrames.

Cells (numbers, marks, flags) are :mod:`.official_cells`; indicator blocks side by side on one
sheet (Ortsteilatlas) are found by name with ``block=``; see :mod:`.importing` for turning such
tables into a panel, and docs/importing.md.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from dataclasses import replace
from itertools import compress
from operator import itemgetter
from pathlib import Path

import pandas as pd

from ..errors import DataValidationError, Problem
from .instantatlas import read_json_table
from .official_blocks import _col_letter, _year_label, blocks_of, select_block
from .official_cells import (  # noqa: F401  (re-exported: documented names of this module)
    _CODE_RX,
    _EXPECTED_NUMBER,
    _FOOTNOTE_RX,
    _MARK_ALIASES,
    _SPACES,
    _YEAR_LABEL_RX,
    FLAGS,
    MARK_SUFFIX,
    MARKS,
    _err,
    _is_empty,
    _is_mark,
    _is_number_like,
    _is_year_like,
    _number,
    _pick_sheet,
    _split_flag,
    _suggest,
    _text,
    _typed_columns,
    mark_reason,
    parse_german_number,
)
from .official_files import (
    _file_version,
    _Lines,
    _no_gc,
    _read_csv_rows,
    _read_xlsx_rows,
    _sheet_names,
)

__all__ = ["read_official_table", "list_blocks", "parse_german_number", "mark_reason", "MARKS",
           "FLAGS", "MARK_SUFFIX"]

_HEADER_REF_RX = re.compile(r"(.*\S)\s+(\d{1,2}\)|[¹²³⁴⁵⁶⁷⁸⁹]+)")

_YEAR_RANGE_RX = re.compile(r"(?:19|20)\d{2}\s*[-–/]\s*(?:19|20)\d{2}")

_FILE_KINDS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
               ".js": "json", ".json": "json"}


# ============================================================================ indicator blocks


def list_blocks(path: str | os.PathLike, *, sheet: str | int | None = None) -> pd.DataFrame:
    """The indicator blocks of an export (XLSX: every sheet unless ``sheet`` is given).

    Returns a DataFrame with ``sheet``, ``block`` (the indicator name to pass as ``block=``),
    ``first_column``, ``last_column`` (spreadsheet letters), ``first_year``, ``last_year`` and
    ``n_columns``. A sheet without blocks (a plain table) gives no rows.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    kind = _FILE_KINDS.get(p.suffix.lower())
    if kind == "xlsx":
        sheet_names = _sheet_names(*_file_version(p))
        todo = sheet_names if sheet is None else [_pick_sheet(p, sheet_names, sheet)]
    else:
        todo = [None]
    out = []
    for sh in todo:
        rows, info = _read_rows(p, kind, sheet=sh, encoding=None, sep=None)
        try:
            _, _, notes = _structure(rows, file=p, header_line=None, sep=info.get("sep"))
        except DataValidationError:
            continue  # e.g. a notes sheet without a table
        header_rows = notes["_header_rows"]
        lower = header_rows[-1][1]
        for name, first, last in blocks_of(header_rows)[1]:
            years = [y for y in (_year_label(lower[j]) for j in range(first, last + 1)) if y]
            out.append({"sheet": info.get("sheet"), "block": name, "first_column": _col_letter(first),
                        "last_column": _col_letter(last), "first_year": min(years, default=None),
                        "last_year": max(years, default=None), "n_columns": last - first + 1})
    cols = ["sheet", "block", "first_column", "last_column", "first_year", "last_year", "n_columns"]
    df = pd.DataFrame(out, columns=cols)
    for c in ("first_year", "last_year"):
        df[c] = df[c].astype("Int64")
    return df


def _read_rows(p: Path, kind: str, *, sheet, encoding, sep):
    if kind == "csv":
        return _read_csv_rows(p, encoding=encoding, sep=sep)
    if kind == "json":
        return read_json_table(p, sheet=sheet)
    return _read_xlsx_rows(p, sheet=sheet)


# ============================================================================ table structure


def _nonempty(cells) -> list[int]:
    return [i for i, c in enumerate(cells) if not _is_empty(c)]


def _row_filled(cells) -> bool:
    """Does the row hold a filled cell? (one C-level join for rows of text, as CSV rows are)"""
    try:
        return bool("".join(cells).strip())
    except TypeError:  # numbers or None (XLSX)
        return any(not _is_empty(c) for c in cells)


class _Candidates:
    """Positions of rows with two or more filled cells (header candidates), computed on demand:
    header detection looks only at the top of a file, so a 1.7 M-row body is not classified."""

    def __init__(self, filled):
        self._filled = filled
        self._memo: dict[int, bool] = {}

    def __contains__(self, k) -> bool:
        if not 0 <= k < len(self._filled):
            return False
        if k not in self._memo:
            self._memo[k] = len(_nonempty(self._filled[k][1])) >= 2
        return self._memo[k]

    def __iter__(self):
        return (k for k in range(len(self._filled)) if k in self)

    def upto(self, stop: int):
        return (k for k in range(stop) if k in self)

    def any(self) -> bool:
        return next(iter(self), None) is not None


def _is_footnote_row(cells) -> bool:
    ne = _nonempty(cells)
    if len(ne) <= 1:
        return True
    return bool(_FOOTNOTE_RX.match(_text(cells[ne[0]]))) and not _data_like(cells)


def _data_like(cells) -> bool:
    """A data row holds a number that is not a plain year, or an official mark."""
    ne = _nonempty(cells)
    return len(ne) >= 2 and any(
        _is_mark(cells[i]) or (_is_number_like(cells[i]) and not _is_year_like(cells[i])) for i in ne)


def _above_blank_rows(filled, cand, first_data: int, h: int) -> int:
    """Data rows whose values are all empty hold only text and the year of a year column (such
    as ``Walle;2021;;``): they are data, not the header, when an all-text line stands above them."""
    fd = filled[first_data][1]
    year_cols = {j for j in _nonempty(fd) if _is_year_like(fd[j])}
    if not year_cols:
        return h

    def blank_data(c) -> bool:
        ne = _nonempty(c)
        years = {j for j in ne if _is_year_like(c[j])}
        return bool(years) and years <= year_cols and not any(
            _is_number_like(c[j]) for j in ne if j not in years)

    q = first_data - 1
    while q in cand and blank_data(filled[q][1]):
        q -= 1
    if q < first_data - 1 and q in cand and not any(_is_number_like(x) for x in filled[q][1]
                                                    if not _is_empty(x)):
        return q
    return h


def _other_fields(text: str, sep: str | None) -> int:
    """Most fields ``text`` splits into with a separator other than ``sep``."""
    return max(len(next(csv.reader([text], delimiter=o), [])) for o in (";", ",", "\t") if o != sep)


def _mixed_sep(text: str, sep: str | None, width: int) -> bool:
    """A one-field line that splits into a full table row with another separator (mixed file)."""
    if sep is None or width < 2 or _FOOTNOTE_RX.match(text):
        return False
    for other in (";", ",", "\t"):
        if other != sep:
            fields = next(csv.reader([text], delimiter=other), [])
            if len(fields) >= width and any(_is_number_like(f) for f in fields if f.strip()):
                return True
    return False


def _structure(rows, *, file, header_line, sep):
    """Find header block, body and footnotes; return names, body rows and notes for attrs."""
    try:  # rows of text (CSV): one pass in C
        filled = list(compress(rows, map(str.strip, map("".join, map(itemgetter(1), rows)))))
    except TypeError:  # numbers or None in the cells (XLSX, JSON)
        filled = [(ln, c) for ln, c in rows if _row_filled(c)]
    if not filled:
        raise _err(file, "a table (the file is empty: no filled cells)")
    cand = _Candidates(filled)  # rows with >= 2 filled cells, found lazily (big files)
    if not cand.any():
        raise _err(file, "a table with a header line (found only title or footnote lines, "
                         "no line with two or more filled cells"
                         + (f" when split at {sep!r})" if sep else ")"),
                   _text(filled[0][1][_nonempty(filled[0][1])[0]]), line=filled[0][0])
    if header_line is not None:
        hs = [k for k, (ln, _) in enumerate(filled) if ln == header_line]
        if not hs:
            raise _err(file, "a filled header line at the given header_line", header_line)
        head = [hs[0]]
    else:
        first_data = next((k for k in cand if _data_like(filled[k][1])), None)
        if first_data is None:  # only text and years: the first full-width row is the header
            cand = list(cand)
            widths = Counter(max(_nonempty(filled[k][1])) + 1 for k in cand)
            w = max(widths.items(), key=lambda kv: (kv[1], kv[0]))[0]
            h = next(k for k in cand if max(_nonempty(filled[k][1])) + 1 == w)
        else:
            before = [k for k in cand.upto(first_data)]
            if not before:
                ln, c = filled[first_data]
                hint = ""
                if first_data > 0 and len(filled[first_data - 1][1]) == 1:
                    prev_ln, prev = filled[first_data - 1]
                    if _other_fields(_text(prev[0]), sep) >= len(_nonempty(c)):
                        hint = (f"; line {prev_ln} looks like a header written with another "
                                f"separator than {sep!r}")
                raise _err(file, "a header line naming the columns above the first data line" + hint,
                           ";".join(_text(x) for x in c if not _is_empty(x)), line=ln)
            h = _above_blank_rows(filled, cand, first_data, before[-1])
            # a first data row whose numbers all look like years (small counts such as 1950)
            # is no header when an all-text line of the same width stands right above it
            prev = h - 1
            # (not when the year line names the stub and the text line above leaves it empty:
            # that text line names indicator blocks above the years, as in the Ortsteilatlas)
            if prev in cand and any(_is_year_like(x) for x in filled[h][1]) and not any(
                    _is_number_like(x) for x in filled[prev][1] if not _is_empty(x)) and (
                    max(_nonempty(filled[prev][1])) >= max(_nonempty(filled[h][1]))) and not (
                    not _is_empty(filled[h][1][0]) and _is_empty(filled[prev][1][0])):
                h = prev
        head = [h]
        # GENESIS-style multi-line headers: upper header lines leave the first (stub) cell empty
        while head[0] - 1 in cand:
            up = filled[head[0] - 1][1]
            if not _is_empty(up[0]) or _data_like(up):
                break
            head.insert(0, head[0] - 1)
        # a one-block indicator line (Ortsteilatlas sheet with a single indicator): text only,
        # stub empty, its name right above the first year of the header line
        if len(head) == 1 and head[0] > 0 and head[0] - 1 not in cand:
            up = filled[head[0] - 1][1]
            low = filled[head[0]][1]
            ne = _nonempty(up)
            first_year = next((j for j in _nonempty(low) if j > 0 and (
                _is_year_like(low[j]) or _YEAR_RANGE_RX.fullmatch(_text(low[j])))), None)
            if ne and first_year is not None and ne[0] == first_year and not any(
                    _is_number_like(up[j]) for j in ne) and not _is_empty(low[0]):
                head.insert(0, head[0] - 1)
        # ... and a line above them that names exactly the stub columns they leave empty
        # (12411-03-03: "Gebietsschlüssel;Gebietseinheit;Zeit;Alter ...;Bevölkerung 1);...")
        if len(head) > 1 and head[0] - 1 in cand:
            up = filled[head[0] - 1][1]
            rows_h = [filled[k][1] for k in head]
            stub = 0
            while all(stub >= len(c) or _is_empty(c[stub]) for c in rows_h) and stub < len(up):
                stub += 1
            if stub and not _data_like(up) and all(not _is_empty(up[j]) for j in range(stub)):
                head.insert(0, head[0] - 1)
    body = filled[head[-1] + 1:]
    # footnotes: trailing lines with a single filled cell, or a footnote-like first cell
    foot_start = len(body)
    while foot_start > 0 and _is_footnote_row(body[foot_start - 1][1]):
        foot_start -= 1
    body, foot = body[:foot_start], body[foot_start:]
    header_rows = [filled[k] for k in head]
    width = max(max(_nonempty(c), default=-1) + 1 for _, c in header_rows)
    if not body:
        raise _err(file, "data lines below the header", None, line=header_rows[-1][0])

    names = []
    header_notes: dict[str, list[str]] = {}
    lower = header_rows[-1][1]
    for j in range(width):
        parts = []
        for _, c in header_rows[:-1]:  # upper lines: a merged cell spans to the right
            left = [i for i in range(min(j, len(c) - 1), -1, -1) if not _is_empty(c[i])]
            if left and (left[0] == j or (j < len(lower) and not _is_empty(lower[j]))):
                parts.append(_text(c[left[0]]))
        if j < len(lower) and not _is_empty(lower[j]):
            parts.append(_text(lower[j]))
        refs = []
        if len(header_rows) > 1:  # footnote marks in joined headers ("Ausländer 2)") -> attrs
            for k, part in enumerate(parts):
                m = _HEADER_REF_RX.fullmatch(part)
                if m:
                    parts[k], refs = m.group(1), [*refs, m.group(2)]
        name = " ".join(parts) if parts else f"Spalte_{j + 1}"
        if refs:
            header_notes[name] = refs
        names.append(name)
    seen: Counter = Counter()
    renamed = {}
    for j, n in enumerate(names):
        seen[n] += 1
        if seen[n] > 1:
            renamed[f"{n} ({seen[n]})"] = n
            names[j] = f"{n} ({seen[n]})"

    problems, data, skipped = [], [], []
    if set(map(len, map(itemgetter(1), body))) == {width}:  # every line as wide as the header
        data, body = body, ()
    for ln, cells in body:
        n = len(cells)
        if n == width:  # the common case: exactly as wide as the header
            data.append((ln, cells))
            continue
        ne = _nonempty(cells) if n > width else ()
        if ne and max(ne) + 1 > width:
            extra = [_text(cells[i]) for i in ne if i >= width]
            hint = ("; numbers with a decimal comma must be quoted in a ','-separated file"
                    if sep == "," else "")
            problems.append(Problem(None, f"at most {width} fields like the header (line "
                                    f"{header_rows[-1][0]}){hint}", extra, line=ln, file=str(file)))
            continue
        if len(cells) == 1:
            t = _text(cells[0])
            if _mixed_sep(t, sep, width):
                problems.append(Problem(None, f"fields separated by {sep!r} like the header "
                                        f"({width} fields; the file mixes separators)", t,
                                        line=ln, file=str(file)))
            else:
                skipped.append({"line": ln, "text": t, "reason": "Zwischenzeile mit nur einem Eintrag"})
            continue
        data.append((ln, list(cells[:width]) + [None] * (width - min(len(cells), width))))
    for ln, cells in foot:
        if len(cells) == 1 and _mixed_sep(_text(cells[0]), sep, width):
            problems.append(Problem(None, f"fields separated by {sep!r} like the header ({width} fields; "
                                    "the file mixes separators)", _text(cells[0]), line=ln, file=str(file)))
    if problems:
        raise DataValidationError(problems, what=f"the official table {file}")
    notes = {
        "header_lines": tuple(ln for ln, _ in header_rows),
        "title": " | ".join(_text(c[i]) for ln, c in filled[:head[0]] for i in _nonempty(c)),
        "footnotes": tuple((ln, " ".join(_text(c[i]) for i in _nonempty(c))) for ln, c in foot),
        "skipped_lines": tuple(skipped),
        "renamed_columns": renamed,
        "header_footnotes": header_notes,
        "_header_rows": header_rows,
    }
    return names, data, notes


def read_official_table(path: str | os.PathLike, *, sheet: str | int | None = None,
                        encoding: str | None = None, sep: str | None = None,
                        decimal: str | None = None, header_line: int | None = None,
                        block: str | None = None) -> pd.DataFrame:
    """Read an official export (Landesamt Bremen / GENESIS, Ortsteilatlas, election atlas, Bremerhaven).

    Parameters
    ----------
    path : CSV (``.csv``, ``.txt``, ``.tsv``), XLSX (``.xlsx``, ``.xlsm``) or InstantAtlas JSON
        (``.js``, ``.json``: the ``data.js`` behind the Landesamt's online atlases) file.
    sheet : XLSX sheet name or 0-based number (default: the first sheet); for InstantAtlas JSON
        the geography (``"Ortsteile"``, ``"Stadtteile"``, ...; default the first).
    block : the indicator whose block to read, for sheets that hold several indicator blocks side
        by side (Bremer Ortsteilatlas: a line with each indicator's name above its first column,
        then a header line with the years). The whole name must match (spaces collapsed; case
        ignored only if no exact match). The result keeps the leading (stub) columns and the
        block's columns, named by their year labels; ``attrs["block_columns"]`` and
        ``attrs["source_columns"]`` give the spreadsheet columns. :func:`list_blocks` lists them.
    encoding : text encoding of a CSV; default: detected (UTF-8 with BOM, UTF-8, cp1252, latin-1).
    sep : field separator of a CSV; default: detected (``;``, tab, then ``,``).
    decimal : ``","`` or ``"."``; default: per column, decimal comma unless the file is
        ``,``-separated or a column's cells only fit a decimal point (``"12.5"``).
    header_line : 1-based line (XLSX: row) of the header; default: the line just above the first
        line holding numbers (plus GENESIS-style upper header lines whose first cell is empty).

    Returns
    -------
    DataFrame with one row per data line. Numeric columns are ``float64`` (``Int64`` when every
    value is whole), text columns ``string``. Cells with an official mark are NaN and the mark is
    in ``<column>__mark`` (reasons in :data:`MARKS` / :data:`FLAGS`). ``df.attrs`` holds
    ``source_file``, ``source_lines`` (tuple: 1-based file line of row ``i`` at position ``i``;
    valid while the RangeIndex is kept), ``encoding``, ``sep`` or ``sheet``, ``header_lines``,
    ``title``, ``footnotes`` ((line, text), ...), ``skipped_lines``, ``n_marked_cells`` (cells made
    NaN by a mark), ``n_flagged_cells`` (kept values with a flag), ``mark_columns``,
    ``number_format`` (per numeric column).

    Raises
    ------
    FileNotFoundError if the file is missing; DataValidationError (a ValueError) for an unknown
    extension, an empty or binary file, no header, rows that do not fit the header, and every
    cell of a numeric column that is neither a number nor an official mark (file, line, column,
    value).
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if p.is_dir():
        raise _err(p, "a file, not a directory")
    kind = _FILE_KINDS.get(p.suffix.lower())
    if kind is None:
        hint = " (old .xls: save it as .xlsx)" if p.suffix.lower() == ".xls" else ""
        raise _err(p, f"a CSV or XLSX file ({', '.join(_FILE_KINDS)}){hint}", p.suffix or "(no extension)")
    if decimal not in (None, ",", "."):
        raise ValueError(f"decimal must be ',' or '.', got {decimal!r}")
    with _no_gc():  # millions of row lists, no reference cycles: the cyclic GC only costs time
        rows, info = _read_rows(p, kind, sheet=sheet, encoding=encoding, sep=sep)
        default_decimal = "." if info.get("sep") == "," or kind == "json" else ","
        try:
            names, data, notes = _structure(rows, file=p, header_line=header_line, sep=info.get("sep"))
        except DataValidationError as exc:
            if kind != "xlsx":
                raise
            raise _sheet_hint(exc, p, info, sheet) from None
        del rows
        warn = _other_tables(p, info) if kind == "xlsx" and sheet is None else ()
        if block is not None:
            names, data = select_block(block, names, data, notes, file=p, sheet=info.get("sheet"))
        notes.pop("_header_rows", None)
        cols, formats, n_marked, n_flagged = _typed_columns(
            names, data, file=p, default_decimal=default_decimal, decimal=decimal)
    df = pd.DataFrame(cols)
    df = df.drop(columns=[n for n in names if n.startswith("Spalte_") and df[n].isna().all()])
    df.attrs.update({
        "source_file": str(p),
        "source_lines": _Lines(map(itemgetter(0), data)),
        **info,
        **notes,
        "n_marked_cells": int(n_marked),
        "n_flagged_cells": int(n_flagged),
        "mark_columns": tuple(c[: -len(MARK_SUFFIX)] for c in df.columns if c.endswith(MARK_SUFFIX)),
        "number_format": formats,
        "warnings": warn,
    })
    return df


def _tables_on(p: Path, names) -> list[str]:
    """The sheets among ``names`` that hold a table (a header and data lines)."""
    out = []
    for name in names:
        try:
            _structure(_read_xlsx_rows(p, sheet=name)[0], file=p, header_line=None, sep=None)
        except DataValidationError:
            continue
        out.append(name)
    return out


def _sheet_hint(exc: DataValidationError, p: Path, info: dict, sheet) -> DataValidationError:
    """The error of a sheet without a table, naming the workbook's sheets and the ``sheet`` option."""
    names = list(info.get("sheets") or ())
    others = _tables_on(p, [n for n in names if n != info.get("sheet")])
    which = "the first sheet" if sheet is None else "sheet"
    hint = (f"; this is {which} {info.get('sheet')!r} of the sheets {names}"
            + (f"; sheets with a table: {others}" if others else "; no sheet holds a table")
            + " - choose one with sheet= (mapping key `sheet:`)")
    probs = [replace(q, expected=f"{q.expected}{hint}")
             for q in exc.problems]
    return DataValidationError(probs, what=f"the official table {p}")


def _other_tables(p: Path, info: dict) -> tuple[str, ...]:
    """A warning when sheets after the one read (the first) hold tables too."""
    names = list(info.get("sheets") or ())
    others = _tables_on(p, [n for n in names if n != info.get("sheet")])
    if not others:
        return ()
    return (f"{p.name}: read the first sheet {info.get('sheet')!r}; the sheets {others} hold tables "
            "too and were not read - choose one with sheet= (mapping key `sheet:`)",)
