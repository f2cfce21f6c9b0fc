"""Read official German statistics exports (CSV/XLSX) and build a validated panel from them.

See :mod:`llq_analysis.data.importing` for turning such tables into a panel, and docs/importing.md.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

from ..errors import DataValidationError, Problem

__all__ = ["read_official_table", "parse_german_number", "mark_reason", "MARKS", "FLAGS", "MARK_SUFFIX"]

#: suffix of the companion column that keeps the publisher's mark or flag of each cell
MARK_SUFFIX = "__mark"

#: official marks that replace a value (the cell becomes NaN), with the reason
MARKS: dict[str, str] = {
    "-": "nichts vorhanden",
    ".": "Zahlenwert unbekannt oder geheim zu halten",
    "x": "Tabellenfach gesperrt, weil Aussage nicht sinnvoll",
    "...": "Angabe fällt später an",
    "/": "keine Angabe, da Zahlenwert nicht sicher genug",
    "*": "anonymisiert / geheim gehalten (Statistik der BA)",
    "k.A.": "keine Angabe",
}
_MARK_ALIASES = {"–": "-", "—": "-", "‒": "-", "X": "x", "…": "...", "k. A.": "k.A.",
                 "k.a.": "k.A.", "K.A.": "k.A.", "k. a.": "k.A."}

#: flags written next to a value that is kept (the value stays, the flag is kept in ``__mark``)
FLAGS: dict[str, str] = {
    "p": "vorläufige Zahl",
    "r": "berichtigte Zahl",
    "s": "geschätzte Zahl",
    "()": "Aussagewert eingeschränkt",
}

_FILE_KINDS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\t": " "})
_SUPERSCRIPT = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")
_NUMBER_RX = {
    ",": (re.compile(r"\d+(?:,\d+)?"), re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?"),
          re.compile(r"\d{1,3}(?: \d{3})+(?:,\d+)?")),
    ".": (re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"), re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"),
          re.compile(r"\d{1,3}(?: \d{3})+(?:\.\d+)?")),
}
_FOOTNOTE_RX = re.compile(
    r"^(quelle|source|anmerkung|hinweis|fu(ß|ss)note|erl(ä|ae)uterung|zeichenerkl|stand\b|"
    r"©|\(c\)|\*|\d{1,2}\)|[¹²³⁴⁵⁶⁷⁸⁹]|_{3,}|-{3,}|—|\S{1,3}\s*=\s)", re.IGNORECASE)
_YEAR_LABEL_RX = re.compile(r"(?:\d{1,2}\.\d{1,2}\.|(?:dez|dezember|jun|juni)\.?\s*)?((?:19|20)\d{2})"
                            r"(?:\s*\d{1,2}\))?", re.IGNORECASE)

_EXPECTED_NUMBER = ("a number (German format such as 1.234,5 or 12 345) or an official mark "
                    "(- . x ... / *)")


def _err(file, expected, value=None, *, line=None, column=None, what=None) -> DataValidationError:
    p = Problem(column=column, expected=expected, value=value, line=line,
                file=None if file is None else str(file))
    return DataValidationError([p], what=what or (f"the official table {file}" if file else "input"))


# ============================================================================ numbers and cells


def mark_reason(mark: str) -> str:
    """German reason of an official mark or flag (``'.'`` -> 'Zahlenwert unbekannt ...')."""
    if mark in MARKS:
        return MARKS[mark]
    if mark in FLAGS:
        return FLAGS[mark]
    if re.fullmatch(r"\d{1,2}\)", mark):
        return f"Fußnotenverweis {mark}"
    return "unbekanntes Zeichen"


@functools.lru_cache(maxsize=1 << 16)
def _number(text: str, decimal: str) -> tuple[float, bool] | None:
    """``(value, has_fraction)`` of ``text`` written with decimal separator ``decimal``, or None."""
    t = text.translate(_SPACES).strip().replace("\u2212", "-")
    sign = ""
    if t[:1] in ("+", "-"):
        sign, t = ("-" if t[0] == "-" else ""), t[1:].lstrip()
    if t.endswith("%"):
        t = t[:-1].rstrip()
    for rx in _NUMBER_RX[decimal]:
        if rx.fullmatch(t):
            thousands = "." if decimal == "," else ","
            core = t.replace(" ", "").replace(thousands, "")
            if decimal == ",":
                core = core.replace(",", ".")
            return float(sign + core), ("." in core or "e" in core.lower())
    return None


def parse_german_number(text: str | float | int, *, decimal: str = ",") -> float:
    """Parse one number as written in German official tables ('1.234,5', '12 345', '-3,2 %').

    Raises ``ValueError`` naming the text when it is not a number (marks such as '.' included).
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    got = _number(str(text), decimal)
    if got is None:
        raise ValueError(f"not a number in {'German' if decimal == ',' else 'English'} format: {text!r}")
    return got[0]


_CODE_RX = re.compile(r"0\d+")  # leading zero: a code such as 0111, kept as text
_FLAG_PAREN = re.compile(r"\((.+)\)")
_FLAG_REF = re.compile(r"(.*\d)\s*(\d{1,2}\))")
_FLAG_SUP = re.compile(r"(.*\d)\s*([¹²³⁴⁵⁶⁷⁸⁹⁰]+)")
_FLAG_PRS = re.compile(r"(.*\d)\s*([prs])")


def _split_flag(s: str) -> tuple[str, str | None]:
    """Split a value from a trailing flag: '12,5 p' -> ('12,5', 'p'); '(3,1)' -> ('3,1', '()')."""
    if not s or s[-1] in "0123456789%":  # the common case: no flag
        return s, None
    m = _FLAG_PAREN.fullmatch(s)
    if m:
        return m.group(1).strip(), "()"
    m = _FLAG_REF.fullmatch(s)
    if m:
        return m.group(1).strip(), m.group(2)
    m = _FLAG_SUP.fullmatch(s)
    if m:
        return m.group(1).strip(), m.group(2).translate(_SUPERSCRIPT) + ")"
    m = _FLAG_PRS.fullmatch(s)
    if m:
        return m.group(1).strip(), m.group(2)
    return s, None


def _is_empty(v) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()  # str.strip() also removes no-break and narrow no-break spaces
    return isinstance(v, float) and v != v


def _is_number_like(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    s = _split_flag(str(v).translate(_SPACES).strip())[0]
    return _number(s, ",") is not None or _number(s, ".") is not None


def _is_year_like(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return float(v).is_integer() and 1900 <= v <= 2100
    s = str(v).strip()
    return bool(re.fullmatch(r"(19|20)\d{2}", s))


def _is_mark(v) -> bool:
    if not isinstance(v, str):
        return False
    s = v.translate(_SPACES).strip()
    return _MARK_ALIASES.get(s, s) in MARKS


# ============================================================================ reading files


def _decode(raw: bytes, encoding: str | None, file) -> tuple[str, str]:
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise _err(file, f"text in encoding {encoding!r} ({exc})") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw.decode("utf-8-sig", errors="strict"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    for enc in ("utf-8", "cp1252"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def _check_text(raw: bytes, file) -> None:
    if raw.startswith(b"PK\x03\x04"):
        raise _err(file, "a CSV text file; this is a ZIP/XLSX file - rename it to .xlsx")
    if raw.startswith(b"%PDF"):
        raise _err(file, "a CSV or XLSX table; this is a PDF - export the table as CSV or XLSX")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise _err(file, "a CSV or XLSX table; this is an old binary Excel file (.xls) - "
                         "save it as .xlsx or CSV")


def _looks_binary(text: str) -> bool:
    sample = text[:20000]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n\f") or ch == "\ufffd")
    return "\x00" in sample or bad > max(3, len(sample) // 100)


def _csv_rows(text: str, sep: str) -> list[tuple[int, list[str]]]:
    """Records of ``text`` as (1-based first line, cells), quoted fields with line breaks intact."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"', strict=False)
    rows, prev = [], 0
    for cells in reader:
        rows.append((prev + 1, cells))
        prev = reader.line_num
    return rows


def _detect_sep(text: str) -> str:
    """';' (German exports) before tab before ',': the first giving a consistent table of >= 2 columns."""
    sample = "\n".join(text.splitlines()[:300])
    for sep in (";", "\t", ","):
        widths = [len(c) for _, c in _csv_rows(sample, sep) if len(c) >= 2]
        if not widths:
            continue
        mode, n = Counter(widths).most_common(1)[0]
        if n >= 2 and n >= 0.5 * len(widths):
            return sep
    return ";"


def _read_csv_rows(path: Path, *, encoding, sep):
    raw = path.read_bytes()
    if not raw.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise _err(path, "a table (the file is empty)")
    _check_text(raw, path)
    text, enc = _decode(raw, encoding, path)
    if _looks_binary(text):
        raise _err(path, "a CSV text table (the file contains binary data; is it really a CSV export?)")
    if sep is None:
        sep = _detect_sep(text)
    return _csv_rows(text, sep), {"encoding": enc, "sep": sep}


def _read_xlsx_rows(path: Path, *, sheet):
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise _err(path, f"a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    names = wb.sheetnames
    if sheet is None:
        ws = wb.worksheets[0]
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise _err(path, f"a sheet number between 0 and {len(names) - 1} (sheets: {names})", sheet)
        ws = wb.worksheets[sheet]
    elif sheet in names:
        ws = wb[sheet]
    else:
        raise _err(path, f"one of the sheets {names}", sheet)
    rows = []
    for i, vals in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = []
        for v in vals:
            if hasattr(v, "isoformat"):  # datetime / date / time
                v = v.isoformat().removesuffix("T00:00:00")
            elif isinstance(v, bool):
                v = str(v)
            cells.append(v)
        rows.append((i, cells))
    return rows, {"sheet": ws.title, "sheets": tuple(names)}


# ============================================================================ table structure


def _nonempty(cells) -> list[int]:
    return [i for i, c in enumerate(cells) if not _is_empty(c)]


def _text(v) -> str:
    """A cell as one line of text (whitespace, no-break spaces and line breaks -> one space)."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return " ".join(str(v).split())


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
    filled = [(ln, c) for ln, c in rows if _nonempty(c)]
    if not filled:
        raise _err(file, "a table (the file is empty: no filled cells)")
    cand = [k for k, (_, c) in enumerate(filled) if len(_nonempty(c)) >= 2]
    if not cand:
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
            widths = Counter(max(_nonempty(filled[k][1])) + 1 for k in cand)
            w = max(widths.items(), key=lambda kv: (kv[1], kv[0]))[0]
            h = next(k for k in cand if max(_nonempty(filled[k][1])) + 1 == w)
        else:
            before = [k for k in cand if k < first_data]
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
            h = before[-1]
            # a first data row whose numbers all look like years (small counts such as 1950)
            # is no header when an all-text line of the same width stands right above it
            prev = h - 1
            if prev in cand and any(_is_year_like(x) for x in filled[h][1]) and not any(
                    _is_number_like(x) for x in filled[prev][1] if not _is_empty(x)) and (
                    max(_nonempty(filled[prev][1])) >= max(_nonempty(filled[h][1]))):
                h = prev
        head = [h]
        # GENESIS-style multi-line headers: upper header lines leave the first (stub) cell empty
        while head[0] - 1 in cand:
            up = filled[head[0] - 1][1]
            if not _is_empty(up[0]) or _data_like(up):
                break
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
    lower = header_rows[-1][1]
    for j in range(width):
        parts = []
        for _, c in header_rows[:-1]:  # upper lines: a merged cell spans to the right
            left = [i for i in range(min(j, len(c) - 1), -1, -1) if not _is_empty(c[i])]
            if left and (left[0] == j or (j < len(lower) and not _is_empty(lower[j]))):
                parts.append(_text(c[left[0]]))
        if j < len(lower) and not _is_empty(lower[j]):
            parts.append(_text(lower[j]))
        names.append(" ".join(parts) if parts else f"Spalte_{j + 1}")
    seen: Counter = Counter()
    renamed = {}
    for j, n in enumerate(names):
        seen[n] += 1
        if seen[n] > 1:
            renamed[f"{n} ({seen[n]})"] = n
            names[j] = f"{n} ({seen[n]})"

    problems, data, skipped = [], [], []
    for ln, cells in body:
        ne = _nonempty(cells)
        last = max(ne) + 1
        if last > width:
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
        "title": " | ".join(_text(c[i]) for ln, c in filled if ln < header_rows[0][0] for i in _nonempty(c)),
        "footnotes": tuple((ln, " ".join(_text(c[i]) for i in _nonempty(c))) for ln, c in foot),
        "skipped_lines": tuple(skipped),
        "renamed_columns": renamed,
    }
    return names, data, notes


def _column_decimal(strings: list[str], default: str) -> str:
    """Decimal separator of one column: the other style only when some cell fits only that one."""
    only = {",": 0, ".": 0}
    for s in strings:
        a, b = _number(s, ",") is not None, _number(s, ".") is not None
        if a and not b:
            only[","] += 1
        elif b and not a:
            only["."] += 1
    other = "." if default == "," else ","
    return other if only[other] and not only[default] else default


def _typed_columns(names, data, *, file, default_decimal, decimal):
    """Typed columns plus mark companions; numbers that do not parse in numeric columns -> problems."""
    lines = [ln for ln, _ in data]
    # file-wide decimal style: the separator's convention unless the cells contradict it
    default_decimal = _column_decimal(
        [_split_flag(" ".join(c.split()))[0] for _, cells in data for c in cells
         if isinstance(c, str) and c.strip()], default_decimal)
    out: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    formats, n_marked, n_flagged = {}, 0, 0
    for j, name in enumerate(names):
        raw = [cells[j] for _, cells in data]
        # classify every cell
        kinds, cores, marks = [], [], []
        for v in raw:
            if _is_empty(v):
                kinds.append("empty"); cores.append(None); marks.append(None)  # noqa: E702
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                kinds.append("native"); cores.append(v); marks.append(None)  # noqa: E702
            else:
                s = " ".join(v.split()) if isinstance(v, str) else _text(v)
                m = _MARK_ALIASES.get(s, s)
                if m in MARKS:
                    kinds.append("mark"); cores.append(None); marks.append(m)  # noqa: E702
                else:
                    core, flag = _split_flag(s)
                    kinds.append("str"); cores.append(core); marks.append(flag)  # noqa: E702
        strs = [c for k, c in zip(kinds, cores, strict=True) if k == "str"]
        dec = decimal or _column_decimal(strs, default_decimal)
        parsed = [None if k != "str" else _number(c, dec) for k, c in zip(kinds, cores, strict=True)]
        n_num = sum(k == "native" for k in kinds) + sum(p is not None for p in parsed)
        n_mark = kinds.count("mark")
        n_text = sum(k == "str" and p is None for k, p in zip(kinds, parsed, strict=True))
        code_like = any(k == "str" and c[:1] == "0" and _CODE_RX.fullmatch(c)
                        for k, c in zip(kinds, cores, strict=True))
        numeric = (n_num + n_mark) > 0 and (n_num + n_mark) >= n_text and not code_like
        if not numeric:
            vals = [None if k == "empty" else _text(v) for k, v in zip(kinds, raw, strict=True)]
            out[name] = pd.Series(vals, dtype="string")
            continue
        values, companion, whole = [], [], True
        for i, (k, c, p, m) in enumerate(zip(kinds, cores, parsed, marks, strict=True)):
            if k == "native":
                values.append(float(c)); companion.append(None)  # noqa: E702
                whole &= float(c).is_integer()
            elif k == "str" and p is not None:
                values.append(p[0]); companion.append(m)  # noqa: E702
                whole &= not p[1]
                n_flagged += m is not None
            elif k == "mark":
                values.append(float("nan")); companion.append(m)  # noqa: E702
                n_marked += 1
            elif k == "empty":
                values.append(float("nan")); companion.append(None)  # noqa: E702
            else:
                values.append(float("nan")); companion.append(None)  # noqa: E702
                problems.append(Problem(name, _EXPECTED_NUMBER + (
                    f" (decimal {'comma' if dec == ',' else 'point'} in this column)"),
                    _text(raw[i]), line=lines[i], file=str(file)))
        s = pd.Series(values, dtype="float64")
        out[name] = s.astype("Int64") if whole and s.notna().any() else s
        formats[name] = "1.234,5" if dec == "," else "1,234.5"
        if any(m is not None for m in companion):
            out[name + MARK_SUFFIX] = pd.Series(companion, dtype="string")
    if problems:
        raise DataValidationError(problems, what=f"the official table {file}")
    return out, formats, n_marked, n_flagged


def read_official_table(path: str | os.PathLike, *, sheet: str | int | None = None,
                        encoding: str | None = None, sep: str | None = None,
                        decimal: str | None = None, header_line: int | None = None) -> pd.DataFrame:
    """Read an official CSV/XLSX export (Landesamt Bremen / GENESIS, Ortsteilatlas, Bremerhaven).

    Parameters
    ----------
    path : CSV (``.csv``, ``.txt``, ``.tsv``) or XLSX (``.xlsx``, ``.xlsm``) file.
    sheet : XLSX sheet name or 0-based number (default: the first sheet).
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
    if kind == "csv":
        rows, info = _read_csv_rows(p, encoding=encoding, sep=sep)
        default_decimal = "." if info["sep"] == "," else ","
    else:
        rows, info = _read_xlsx_rows(p, sheet=sheet)
        default_decimal = ","
    names, data, notes = _structure(rows, file=p, header_line=header_line, sep=info.get("sep"))
    cols, formats, n_marked, n_flagged = _typed_columns(
        names, data, file=p, default_decimal=default_decimal, decimal=decimal)
    df = pd.DataFrame(cols)
    df = df.drop(columns=[n for n in names if n.startswith("Spalte_") and df[n].isna().all()])
    df.attrs.update({
        "source_file": str(p),
        "source_lines": tuple(ln for ln, _ in data),
        **info,
        **notes,
        "n_marked_cells": int(n_marked),
        "n_flagged_cells": int(n_flagged),
        "mark_columns": tuple(c[: -len(MARK_SUFFIX)] for c in df.columns if c.endswith(MARK_SUFFIX)),
        "number_format": formats,
    })
    return df
