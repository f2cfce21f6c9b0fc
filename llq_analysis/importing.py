"""Read official German statistics exports (CSV/XLSX) and build a validated panel from them.

:func:`read_official_table` reads the exports of the Statistisches Landesamt Bremen (GENESIS
tables), the Bremer Ortsteilatlas and Bremerhaven's tables: ``;`` or ``,`` separated CSV (or tab),
UTF-8 with or without BOM, cp1252 / latin-1, title lines above and footnotes below the table,
decimal comma, thousands separators ``.`` / space / narrow no-break space, and the official marks
for missing or secret values. Marks follow the "Zeichenerklärung" shared by the statistical
offices of the Federation and the Länder (Destatis, Statistisches Landesamt Bremen):
``-`` nichts vorhanden, ``.`` unbekannt oder geheim, ``x`` Tabellenfach gesperrt, ``...`` Angabe
fällt später an, ``/`` nicht sicher genug; ``*`` is the anonymisation mark of the Statistik der
Bundesagentur für Arbeit (SGB II, unemployment). A marked cell becomes NaN and its mark is kept in a
companion column ``<column>__mark`` (see :data:`MARKS`); flags written next to a kept number
(``p`` vorläufig, ``r`` berichtigt, ``s`` geschätzt, ``(...)`` eingeschränkt, footnote references
like ``1)``) go into the same companion column.

:func:`build_panel` turns such tables plus a mapping (YAML or dict: which column is the quartier,
the year and which indicator) into a panel with the columns of :data:`llq_analysis.schema.PANEL`,
a provenance for every value (``user: <file>``, ``missing``, ``derived: ...``) and validates it;
every problem (file, line, column, value, expected) comes in one
:class:`~llq_analysis.errors.DataValidationError`. See docs/importing.md.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from . import schema
from .errors import DataValidationError, Problem

__all__ = ["read_official_table", "build_panel", "load_mapping", "check_panel", "read_panel",
           "parse_german_number", "mark_reason", "MARKS", "FLAGS", "MARK_SUFFIX"]

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


# ============================================================================ mapping


_INDICATORS = tuple(schema.panel_value_columns())
_FILE_KEYS = ("city", "quartier_column", "quartier_code_column", "year_column", "year",
              "years_in_columns", "year_columns", "indicator", "indicators", "quartiers",
              "exclude_rows", "exclude_rows_regex", "sheet", "encoding", "sep", "decimal",
              "header_line", "description", "source")
_TOP_KEYS = (*_FILE_KEYS, "files")
_EXCLUSIVE = (("year_column", "year", "years_in_columns"),
              ("quartier_column", "quartier_code_column"), ("indicator", "indicators"))


def _suggest(word: str, options: Iterable[str]) -> str:
    best = difflib.get_close_matches(str(word), list(options), n=2, cutoff=0.5)
    return f"; did you mean {' or '.join(map(repr, best))}?" if best else ""


def load_mapping(mapping: str | os.PathLike | Mapping) -> dict:
    """Read a mapping YAML (``yaml.safe_load`` only) or copy a dict, and check its keys and types.

    Raises FileNotFoundError for a missing file and one DataValidationError listing every problem
    (unknown key or indicator, wrong type, YAML syntax or an unsafe tag such as ``!!python/object``).
    """
    import copy

    import yaml

    src = None
    if isinstance(mapping, Mapping):
        cfg = copy.deepcopy(dict(mapping))
    elif isinstance(mapping, (str, os.PathLike)):
        src = Path(mapping)
        if not src.exists():
            raise FileNotFoundError(f"{src}: mapping file not found")
        try:
            cfg = yaml.safe_load(src.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise _err(src, f"a UTF-8 text file ({exc})", what=f"the mapping {src}") from None
        except yaml.constructor.ConstructorError as exc:
            ln = exc.problem_mark.line + 1 if exc.problem_mark else None
            raise _err(src, "plain YAML without Python tags such as !!python/object (the mapping "
                       "is read with yaml.safe_load)", exc.problem, line=ln,
                       what=f"the mapping {src}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise _err(src, f"valid YAML ({getattr(exc, 'problem', None) or exc})", None,
                       line=mark.line + 1 if mark else None, what=f"the mapping {src}") from None
    else:
        raise TypeError(f"mapping must be a YAML path or a dict, got {type(mapping).__name__}")
    file = None if src is None else str(src)
    if not isinstance(cfg, dict):
        raise _err(file, "a YAML mapping (key: value lines such as 'indicators:') at the top level",
                   type(cfg).__name__ if cfg is not None else "an empty document",
                   what=f"the mapping {file or ''}".strip())
    problems = _check_mapping_section(cfg, _TOP_KEYS, "", file)
    files = cfg.get("files")
    if files is not None:
        if not isinstance(files, dict):
            problems.append(Problem("files", "a mapping of file name -> settings", type(files).__name__,
                                    file=file))
        else:
            for name, sub in files.items():
                if not isinstance(sub, dict):
                    problems.append(Problem(f"files.{name}", "a mapping of settings", sub, file=file))
                else:
                    problems += _check_mapping_section(sub, _FILE_KEYS, f"files.{name}.", file)
    if problems:
        raise DataValidationError(problems, what=f"the mapping {file or '(dict)'}")
    cfg["_source"] = file
    return cfg


def _check_mapping_section(cfg: dict, allowed, prefix: str, file) -> list[Problem]:
    out = []

    def bad(key, expected, value):
        out.append(Problem(prefix + key, expected, value, file=file))

    for k in cfg:
        if k not in allowed and k not in ("_source", "_mapping_file"):
            bad(str(k), f"a known key ({', '.join(allowed)}){_suggest(k, allowed)}", k)
    ind = cfg.get("indicators")
    if ind is not None:
        if not isinstance(ind, dict) or not ind:
            bad("indicators", "a mapping of panel indicator -> file column", ind)
        else:
            for k, v in ind.items():
                if k not in _INDICATORS:
                    bad(f"indicators.{k}", f"a panel indicator ({', '.join(_INDICATORS)})"
                        f"{_suggest(k, _INDICATORS)}", k)
                if not isinstance(v, str) or not v.strip():
                    bad(f"indicators.{k}", "the name of a column in the file (text)", v)
    if "indicator" in cfg and cfg["indicator"] not in _INDICATORS:
        bad("indicator", f"a panel indicator ({', '.join(_INDICATORS)})"
            f"{_suggest(cfg['indicator'], _INDICATORS)}", cfg["indicator"])
    if "city" in cfg and cfg["city"] not in schema.CITIES:
        bad("city", f"one of {list(schema.CITIES)}", cfg["city"])
    for k in ("quartier_column", "quartier_code_column", "year_column"):
        if k in cfg and (not isinstance(cfg[k], str) or not cfg[k].strip()):
            bad(k, "the name of a column in the file (text)", cfg[k])
    if "year" in cfg and (isinstance(cfg["year"], bool) or not isinstance(cfg["year"], int)):
        bad("year", "a whole year such as 2022", cfg["year"])
    if "years_in_columns" in cfg and not isinstance(cfg["years_in_columns"], bool):
        bad("years_in_columns", "true or false", cfg["years_in_columns"])
    yc = cfg.get("year_columns")
    if yc is not None and not (isinstance(yc, list) or (isinstance(yc, dict) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in yc.values()))):
        bad("year_columns", "a list of column names or a mapping column -> year", yc)
    qm = cfg.get("quartiers")
    if qm is not None and not (isinstance(qm, dict) and all(isinstance(v, str) for v in qm.values())):
        bad("quartiers", "a mapping of name or code in the file -> quartier_id", qm)
    for k in ("exclude_rows", "exclude_rows_regex"):
        v = cfg.get(k)
        if v is not None and not (isinstance(v, list) and all(isinstance(x, (str, int)) for x in v)):
            bad(k, "a list of names", v)
    for rx in cfg.get("exclude_rows_regex") or []:
        try:
            re.compile(str(rx))
        except re.error as exc:
            bad("exclude_rows_regex", f"a valid regular expression ({exc})", rx)
    if "decimal" in cfg and cfg["decimal"] not in (",", "."):
        bad("decimal", "',' or '.'", cfg["decimal"])
    return out


def _file_config(cfg: dict, path: Path) -> tuple[dict, str | None]:
    """Top-level settings overlaid with the ``files:`` entry matching ``path`` (name or glob)."""
    import fnmatch

    merged = {k: v for k, v in cfg.items() if k not in ("files", "_source")}
    merged["_mapping_file"] = cfg.get("_source")
    for key, sub in (cfg.get("files") or {}).items():
        if key in (path.name, str(path)) or fnmatch.fnmatch(path.name, str(key)):
            for group in _EXCLUSIVE:  # a per-file year / quartier / indicator spec replaces the top one
                if any(k in sub for k in group):
                    for k in group:
                        merged.pop(k, None)
            for k, v in sub.items():
                if k == "quartiers":
                    merged["quartiers"] = {**(merged.get("quartiers") or {}), **v}
                else:
                    merged[k] = v
            return merged, key
    return merged, None


# ============================================================================ quartier names


def _key(name) -> str:
    """Case/umlaut/punctuation-insensitive key of a place name ('Gröpelingen 1)' -> 'groepelingen')."""
    from .geography import slug

    s = re.sub(r"\s*(\d{1,2}\)|[¹²³⁴⁵⁶⁷⁸⁹⁰]+|\*+)$", "", _text(name))
    return slug(s)


def _code_key(code) -> str:
    s = _text(code)
    s = re.sub(r"\.0+$", "", s)
    return s.lstrip("0") or s


class _QuartierIndex:
    """Resolve names or codes in an export to ``quartier_id`` (explicit mapping first)."""

    def __init__(self, quartiers: pd.DataFrame):
        need = [c for c in ("quartier_id", "city", "ortsteil") if c not in quartiers.columns]
        if need:
            raise ValueError(f"quartiers table lacks column(s) {need}; expected the columns of "
                             "data/quartiers.csv (quartier_id, city, ortsteil, ...)")
        q = quartiers
        self.city_of = dict(zip(q["quartier_id"].astype(str), q["city"].astype(str), strict=True))
        self.names: dict[str, list[tuple[str, str]]] = {}
        for qid, city, o in zip(q["quartier_id"].astype(str), q["city"].astype(str),
                                q["ortsteil"].astype(str), strict=True):
            self.names.setdefault(_key(o), []).append((qid, city))
        self.ids = {_key(qid): qid for qid in self.city_of}
        self.codes: dict[str, list[tuple[str, str]]] = {}
        if "official_code" in q.columns:
            for qid, city, c in zip(q["quartier_id"].astype(str), q["city"].astype(str),
                                    q["official_code"], strict=True):
                if not _is_empty(c) and not pd.isna(c):
                    self.codes.setdefault(_code_key(c), []).append((qid, city))
        self.stadtteile = set()
        if "stadtteil" in q.columns:
            self.stadtteile = {(_key(s), c) for s, c in zip(q["stadtteil"].astype(str),
                                                            q["city"].astype(str), strict=True)}
        self.display = {(city, o) for city, o in zip(q["city"].astype(str), q["ortsteil"].astype(str),
                                                     strict=True)}

    def resolve(self, value, *, city, by_code, explicit) -> tuple[str | None, str | None]:
        """``(quartier_id, None)`` or ``(None, what was expected)``."""
        raw = _text(value)
        if explicit:
            hit = explicit.get(_code_key(raw) if by_code else _key(raw))
            if hit is not None:
                return hit, None
        if by_code:
            cands = self.codes.get(_code_key(raw), [])
        else:
            k = _key(raw)
            cands = self.names.get(k, [])
            if not cands and k in self.ids:
                cands = [(self.ids[k], self.city_of[self.ids[k]])]
            if not cands:
                k2 = _key(re.sub(r"^\d+\s+", "", raw))
                cands = self.names.get(k2, [])
        if city is not None:
            cands = [c for c in cands if c[1] == city]
        if len(cands) == 1:
            return cands[0][0], None
        where = city or "Bremen/Bremerhaven"
        if len(cands) > 1:
            return None, ("an unambiguous quartier: matches " + ", ".join(f"{q} ({c})" for q, c in cands)
                          + "; set `city:` in the mapping or map the name under `quartiers:`")
        if by_code:
            return None, (f"a known official_code of {where} (data/quartiers.csv) or an entry under "
                          "`quartiers:` in the mapping")
        names = sorted(o for c, o in self.display if city is None or c == city)
        best = difflib.get_close_matches(raw, names, n=1, cutoff=0.6)
        if not best:
            keyed = {_key(o): o for o in names}
            kb = difflib.get_close_matches(_key(raw), list(keyed), n=1, cutoff=0.6)
            best = [keyed[kb[0]]] if kb else []
        hint = f"; nearest known name: {best[0]!r}" if best else ""
        if any(k == _key(raw) and (city is None or c == city) for k, c in self.stadtteile):
            hint += "; this is a Stadtteil name - if the row is a Stadtteil total, list it under `exclude_rows:`"
        return None, (f"a known Ortsteil of {where} (data/quartiers.csv, column ortsteil) or an entry "
                      f"under `quartiers:` / `exclude_rows:` in the mapping{hint}")


def _year_of(v) -> int | None:
    if _is_empty(v):
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return int(v) if float(v).is_integer() else None
    s = _text(v)
    for rx in (r"(\d{4})", r"\d{1,2}\.\d{1,2}\.(\d{4})", r"(\d{4})-\d{2}-\d{2}(?:T.*)?",
               r"(?:dez|dezember|jun|juni)\.?\s*(\d{4})", r"(\d{4})\s*\d{1,2}\)"):
        m = re.fullmatch(rx, s, re.IGNORECASE)
        if m:
            return int(m.group(1))
    return None


# ============================================================================ building the panel


def _value(df: pd.DataFrame, i: int, col: str) -> tuple[float, str | None, str | None]:
    """``(value, mark_or_flag, bad_text)`` of cell (i, col); bad_text is set when not a number."""
    s = df[col]
    mark = df[col + MARK_SUFFIX].iat[i] if col + MARK_SUFFIX in df.columns else None
    mark = None if mark is None or pd.isna(mark) else str(mark)
    v = s.iat[i]
    if pd.api.types.is_numeric_dtype(s.dtype):
        return (float("nan") if pd.isna(v) else float(v)), mark, None
    if v is None or pd.isna(v) or not str(v).strip():
        return float("nan"), None, None
    t = re.sub(r"\s+", " ", str(v).translate(_SPACES)).strip()
    m = _MARK_ALIASES.get(t, t)
    if m in MARKS:
        return float("nan"), m, None
    core, flag = _split_flag(t)
    got = _number(core, ",") or _number(core, ".")
    if got is None:
        return float("nan"), None, t
    return got[0], flag, None


def _user_prov(file: Path, mark: str | None) -> str:
    return f"user: {file.name}" + (f" ({mark}: {mark_reason(mark)})" if mark else "")


def _missing_prov(file: Path, mark: str | None) -> str:
    return "missing" if mark is None else f"missing: '{mark}' {mark_reason(mark)} ({file.name})"


def _records(df: pd.DataFrame, path: Path, cfg: dict, index: _QuartierIndex, excluded: list) -> tuple[
        list[dict], list[Problem]]:
    """One record per (source row, year): quartier_id, year, {indicator: (value, prov, line, col)}."""
    file = str(path)
    problems: list[Problem] = []
    cols = [c for c in df.columns if not c.endswith(MARK_SUFFIX)]

    def need_col(key) -> str | None:
        c = cfg.get(key)
        if c is not None and c not in df.columns:
            problems.append(Problem(key, f"a column of the file (columns: {cols}){_suggest(c, cols)}",
                                    c, file=file))
            return None
        return c

    qcol, ccol = need_col("quartier_column"), need_col("quartier_code_column")
    if ("quartier_column" in cfg) == ("quartier_code_column" in cfg):
        problems.append(Problem("quartier_column", "exactly one of `quartier_column` (names) or "
                                "`quartier_code_column` (codes) in the mapping", None, file=file))
    wide = bool(cfg.get("years_in_columns"))
    n_year = sum(k in cfg for k in ("year_column", "year")) + wide
    if n_year != 1:
        problems.append(Problem("year", "exactly one of `year_column`, `year` or `years_in_columns: true` "
                                "in the mapping", None, file=file))
    ycol = need_col("year_column")
    # indicator -> [(file column, fixed year or None)]
    targets: list[tuple[str, str, int | None]] = []
    if wide:
        if "indicator" not in cfg or "indicators" in cfg:
            problems.append(Problem("indicator", "with `years_in_columns: true`, one `indicator:` "
                                    "(the panel column the year columns hold) and no `indicators:`",
                                    cfg.get("indicators"), file=file))
        yc = cfg.get("year_columns")
        if yc is None:
            found = [(c, _year_of(_YEAR_LABEL_RX.fullmatch(c).group(1))) for c in cols
                     if _YEAR_LABEL_RX.fullmatch(c)]
            if not found:
                problems.append(Problem("year_columns", f"columns named by a year (found columns {cols})",
                                        None, file=file))
        else:
            items = yc.items() if isinstance(yc, dict) else [(c, None) for c in yc]
            found = []
            for c, y in items:
                if c not in df.columns:
                    problems.append(Problem("year_columns", f"a column of the file (columns: {cols})"
                                            f"{_suggest(c, cols)}", c, file=file))
                    continue
                y = y if y is not None else _year_of(_YEAR_LABEL_RX.fullmatch(str(c)).group(1)) \
                    if _YEAR_LABEL_RX.fullmatch(str(c)) else None
                if y is None:
                    problems.append(Problem("year_columns", "a column label holding a year, or a mapping "
                                            "column -> year", c, file=file))
                    continue
                found.append((c, y))
        targets = [(cfg.get("indicator"), c, y) for c, y in found]
    else:
        for ind, c in (cfg.get("indicators") or {}).items():
            if c not in df.columns:
                problems.append(Problem(f"indicators.{ind}", f"a column of the file (columns: {cols})"
                                        f"{_suggest(c, cols)}", c, file=file))
            else:
                targets.append((ind, c, cfg.get("year")))
        if not cfg.get("indicators"):
            problems.append(Problem("indicators", "at least one `indicators:` entry (panel indicator: "
                                    "file column)", None, file=file))
    if problems:
        return [], problems

    lines = df.attrs.get("source_lines") or tuple(range(2, len(df) + 2))
    city = cfg.get("city")
    explicit_raw = cfg.get("quartiers") or {}
    explicit = {(_code_key(k) if ccol else _key(k)): str(v) for k, v in explicit_raw.items()}
    for k, v in explicit_raw.items():
        if str(v) not in index.city_of:
            problems.append(Problem(f"quartiers.{k}", f"a known quartier_id{_suggest(v, index.city_of)}",
                                    v, file=str(cfg.get("_mapping_file") or file)))
    excl = {_key(x) for x in cfg.get("exclude_rows") or []}
    excl_rx = [re.compile(str(x), re.IGNORECASE) for x in cfg.get("exclude_rows_regex") or []]
    name_col = ccol or qcol
    unknown_seen: set[str] = set()
    # with codes, exclude_rows also looks at the text columns (the name next to the code)
    text_cols = [c for c in cols if c != name_col and not pd.api.types.is_numeric_dtype(df[c].dtype)]
    out = []
    for i in range(len(df)):
        line = int(lines[i])
        name = df[name_col].iat[i]
        if name is None or pd.isna(name) or not str(name).strip():
            problems.append(Problem(name_col, "a quartier name or code (the cell is empty)", None,
                                    line=line, file=file))
            continue
        name_t = _text(name)
        labels = [name_t] + ([_text(df[c].iat[i]) for c in text_cols if not pd.isna(df[c].iat[i])]
                             if ccol else [])
        hit = next((t for t in labels if _key(t) in excl or any(rx.search(t) for rx in excl_rx)), None)
        if hit is not None:
            excluded.append({"file": file, "line": line, "name": hit})
            continue
        qid, expected = index.resolve(name_t, city=city, by_code=bool(ccol), explicit=explicit)
        if qid is None:
            if name_t not in unknown_seen:
                unknown_seen.add(name_t)
                problems.append(Problem(name_col, expected, name_t, line=line, file=file))
            continue
        row_year = None
        if ycol:
            row_year = _year_of(df[ycol].iat[i])
            if row_year is None:
                problems.append(Problem(ycol, "a year such as 2022 or 31.12.2022",
                                        None if pd.isna(df[ycol].iat[i]) else _text(df[ycol].iat[i]),
                                        line=line, file=file))
                continue
        by_year: dict[int, dict] = {}
        for ind, c, y in targets:
            year = y if y is not None else row_year
            val, mark, bad = _value(df, i, c)
            if bad is not None:
                problems.append(Problem(c, _EXPECTED_NUMBER, bad, line=line, file=file))
                continue
            prov = _missing_prov(path, mark) if val != val else _user_prov(path, mark)
            by_year.setdefault(year, {})[ind] = (val, prov, line, c)
        for year, vals in by_year.items():
            out.append({"quartier_id": qid, "year": int(year), "file": file, "line": line, "values": vals})
    return out, problems


_RELAXABLE = tuple(c.name for c in schema.PANEL if c.has_provenance) + ("llq_first_year", "llq_funded")


def _tolerated_empty(df: pd.DataFrame, p: Problem) -> bool:
    """An empty value that the provenance marks as missing (allowed in imported panels)."""
    if p.column not in _RELAXABLE or p.row is None or "empty" not in p.expected:
        return False
    try:
        if not pd.isna(df.at[p.row, p.column]):
            return False
    except KeyError:
        return False
    pc = schema.provenance_column(p.column)
    if pc not in df.columns:
        return True
    prov = df.at[p.row, pc]
    return isinstance(prov, str) and prov.split(":", 1)[0].strip() == "missing"


def _panel_problems(df: pd.DataFrame, quartiers: pd.DataFrame | None) -> list[Problem]:
    """validate_panel's problems, except empty values whose provenance says `missing`; then pandera."""
    from .data import validate_panel

    try:
        validate_panel(df, quartiers=quartiers, use_pandera=False)
        problems: list[Problem] = []
    except DataValidationError as exc:
        problems = [p for p in exc.problems if not _tolerated_empty(df, p)]
    if problems:
        return problems
    import pandera.errors as pae

    relaxed = schema.pandera_schema("panel").update_columns(
        {c: {"nullable": True} for c in _RELAXABLE if c in df.columns})
    try:
        relaxed.validate(df, lazy=True)
    except pae.SchemaErrors as exc:
        out = []
        for rec in exc.failure_cases.to_dict("records"):
            idx = rec.get("index")
            out.append(Problem(rec.get("column"), str(rec.get("check")), rec.get("failure_case"),
                               row=None if pd.isna(idx) else idx, file=df.attrs.get("source_file")))
        return out
    return []


def check_panel(df: pd.DataFrame, *, quartiers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Validate an imported panel: :func:`llq_analysis.validate_panel`, except that a value may be
    empty where its ``<column>_provenance`` says ``missing`` (real exports lack some indicators) and
    ``llq_first_year`` / ``llq_funded`` may be empty. Raises one DataValidationError, else returns df.
    """
    problems = _panel_problems(df, quartiers)
    if problems:
        src = df.attrs.get("source_file")
        raise DataValidationError(problems, what="the panel" + (f" ({src})" if src else ""))
    return df


def _funding_for(funding, quartiers_given: bool, warn: list[str]) -> pd.DataFrame | None:
    if funding is False:
        return None
    if funding is None:
        if quartiers_given:
            warn.append("llq_* columns not derived: pass funding= when using your own quartiers table")
            return None
        from .data import load_funding

        try:
            return load_funding()
        except (FileNotFoundError, DataValidationError) as exc:
            warn.append(f"llq_* columns not derived: bundled funding table unavailable ({exc})")
            return None
    return funding


def _derive_llq(panel: pd.DataFrame, funding: pd.DataFrame, supplied: set[str]) -> None:
    """llq_first_year / llq_funded from the LLQ rows of ``funding``; llq_eur_per_capita where the
    population is supplied and the files did not give it (in place, on the new panel only)."""
    f = funding[(funding["programme"] == "LLQ") & funding["quartier_id"].notna()
                & (pd.to_numeric(funding["amount_eur"]) > 0)]
    first = f.groupby("quartier_id")["year"].min()
    panel["llq_first_year"] = panel["quartier_id"].map(first).fillna(0).astype("Int64")
    panel["llq_funded"] = (panel["llq_first_year"] > 0).astype("boolean")
    if "llq_eur_per_capita" in supplied:
        return
    amt = f.groupby(["quartier_id", "year"])["amount_eur"].sum()
    illus = f.assign(il=f["provenance"].astype(str).str.startswith("illustrative")).groupby(
        ["quartier_id", "year"])["il"].any()
    key = pd.MultiIndex.from_arrays([panel["quartier_id"], panel["year"].astype("int64")])
    a = pd.Series(amt.reindex(key).fillna(0.0).to_numpy(), index=panel.index)
    il = pd.Series(illus.reindex(key).fillna(False).to_numpy(dtype=bool), index=panel.index)
    pop = pd.to_numeric(panel["population"])
    ok = pop.notna() & (pop > 0)
    per = (a / pop).where(ok)
    pc = schema.provenance_column("llq_eur_per_capita")
    panel["llq_eur_per_capita"] = per.round(4)
    popsrc = panel[schema.provenance_column("population")].astype(str).str.removeprefix("user: ")
    panel[pc] = ("derived: LLQ amounts of data/funding.csv / population (" + popsrc + ")").where(ok, "missing")
    panel.loc[ok & il, pc] = ("illustrative: LLQ amount in data/funding.csv is illustrative / population ("
                              + popsrc[ok & il] + ")")


def build_panel(files: str | os.PathLike | Iterable[str | os.PathLike], *,
                mapping: str | os.PathLike | Mapping, quartiers: pd.DataFrame | None = None,
                funding: pd.DataFrame | bool | None = None) -> pd.DataFrame:
    """Build a validated quartier x year panel from official exports and a mapping.

    Parameters
    ----------
    files : one or more CSV/XLSX exports (read with :func:`read_official_table`).
    mapping : YAML path (read with ``yaml.safe_load``) or dict; see docs/importing.md. Keys:
        ``quartier_column`` (names) or ``quartier_code_column`` (official codes); ``year_column``,
        a fixed ``year`` or ``years_in_columns: true`` (+ ``indicator`` and optional
        ``year_columns``); ``indicators`` (panel column -> file column); optional ``city``,
        ``quartiers`` (name/code -> quartier_id), ``exclude_rows`` / ``exclude_rows_regex``
        (totals), ``sheet``, ``encoding``, ``sep``, ``decimal``, ``header_line`` and per-file
        overrides under ``files: {<file name or glob>: {...}}``.
    quartiers : quartier table (``quartier_id``, ``city``, ``ortsteil``, optional
        ``official_code``, ``stadtteil``); default the bundled data/quartiers.csv.
    funding : funding table used to derive ``llq_first_year``, ``llq_funded`` and (where
        ``population`` is supplied) ``llq_eur_per_capita`` [EUR per resident]; default the bundled
        data/funding.csv when ``quartiers`` is the bundled table; ``False`` = do not derive.

    Returns
    -------
    DataFrame with the columns of the panel schema (one row per quartier_id x year found in the
    files). Supplied values have provenance ``user: <file name>``; empty or marked cells
    ``missing`` (with the mark's reason); columns the files do not supply stay empty with
    provenance ``missing``. ``attrs``: ``source_files``, ``excluded_rows`` (file, line, name),
    ``footnotes``, ``skipped_lines``, ``n_marked_cells``, ``warnings``.

    Raises
    ------
    DataValidationError listing every problem at once: mapping errors, unreadable files, unknown
    quartier names (with the nearest known name), unparseable years or numbers, conflicting values
    from two files, and the panel rules of :func:`check_panel` (rates in [0, 100] %, counts >= 0,
    unique quartier_id x year, turnout only in election years), each with file, line and column.
    """
    cfg = load_mapping(mapping)
    if isinstance(files, (str, os.PathLike)):
        files = [files]
    paths_ = [Path(f) for f in files]
    if not paths_:
        raise ValueError("build_panel needs at least one file")
    absent = [str(p) for p in paths_ if not p.exists()]
    if absent:
        raise FileNotFoundError(f"file(s) not found: {', '.join(absent)}")
    quartiers_given = quartiers is not None
    if quartiers is None:
        from .data import load_quartiers

        quartiers = load_quartiers()
    index = _QuartierIndex(quartiers)

    problems: list[Problem] = []
    records: list[dict] = []
    excluded: list[dict] = []
    warn: list[str] = []
    footnotes, skipped, n_marked, used_keys = {}, {}, 0, set()
    for p in paths_:
        fcfg, key = _file_config(cfg, p)
        used_keys.add(key)
        try:
            df = read_official_table(p, sheet=fcfg.get("sheet"), encoding=fcfg.get("encoding"),
                                     sep=fcfg.get("sep"), decimal=fcfg.get("decimal"),
                                     header_line=fcfg.get("header_line"))
        except DataValidationError as exc:
            problems += exc.problems
            continue
        footnotes[p.name] = df.attrs.get("footnotes", ())
        skipped[p.name] = df.attrs.get("skipped_lines", ())
        n_marked += int(df.attrs.get("n_marked_cells", 0))
        recs, probs = _records(df, p, fcfg, index, excluded)
        records += recs
        problems += probs
    for key in set(cfg.get("files") or {}) - used_keys:
        warn.append(f"mapping entry files.{key} matches none of the given files")

    # merge records into panel rows: one row per quartier_id x year; a second row from the same
    # file for the same key is kept apart so that validation reports the duplicate
    rows: list[dict] = []
    origin: list[dict] = []
    by_key: dict[tuple, list[int]] = {}
    for rec in records:
        key = (rec["quartier_id"], rec["year"])
        target = next((r for r in by_key.get(key, []) if rec["file"] not in origin[r]["_files"]), None)
        if target is None:
            target = len(rows)
            rows.append({"quartier_id": key[0], "year": key[1]})
            origin.append({"_files": set(), "_row": (rec["file"], rec["line"])})
            by_key.setdefault(key, []).append(target)
        row, org = rows[target], origin[target]
        org["_files"].add(rec["file"])
        for ind, (val, prov, line, col) in rec["values"].items():
            if ind in row:
                old_val, _ = row[ind]
                ofile, oline, ocol = org[ind]
                if old_val == old_val and val == val and old_val != val:
                    problems.append(Problem(col, f"one value per quartier and year for {ind}; "
                                            f"{ofile} line {oline} ({ocol!r}) gives {old_val:g}",
                                            val, line=line, file=rec["file"]))
                    continue
                if not (old_val != old_val and val == val):
                    continue
            row[ind] = (val, prov)
            org[ind] = (rec["file"], line, col)

    cols = schema.all_columns("panel")
    supplied = {ind for r in rows for ind in r if ind not in ("quartier_id", "year")}
    data: dict[str, list] = {c: [] for c in cols}
    for r in rows:
        for c in cols:
            if c == "quartier_id":
                data[c].append(r["quartier_id"])
            elif c == "city":
                data[c].append(index.city_of[r["quartier_id"]])
            elif c == "year":
                data[c].append(r["year"])
            elif c == "provenance":
                data[c].append("user")
            elif c.endswith("_provenance"):
                base = c.removesuffix("_provenance")
                data[c].append(r[base][1] if base in r else "missing")
            elif c in r:
                data[c].append(r[c][0])
            else:
                data[c].append(None)
    panel = pd.DataFrame(data, columns=cols)
    for c in schema.PANEL:
        if c.dtype in ("int", "float"):
            panel[c.name] = pd.to_numeric(panel[c.name]).astype("float64")
        elif c.dtype == "bool":
            panel[c.name] = panel[c.name].astype("boolean")
        else:
            panel[c.name] = panel[c.name].astype("string")
        if c.has_provenance:
            pc = schema.provenance_column(c.name)
            panel[pc] = panel[pc].astype("string")
    panel["year"] = panel["year"].astype("Int64")
    fund = _funding_for(funding, quartiers_given, warn) if len(panel) else None
    if fund is not None:
        _derive_llq(panel, fund, supplied)
    order = panel.sort_values(["city", "quartier_id", "year"], kind="stable").index
    panel = panel.loc[order].reset_index(drop=True)
    origin = [origin[i] for i in order]

    for p in _panel_problems(panel, quartiers):
        org = origin[int(p.row)] if pd.api.types.is_integer(p.row) and 0 <= p.row < len(origin) else None
        if org is None:
            problems.append(p)
            continue
        base = (p.column or "").removesuffix("_provenance")
        file, line, col = org.get(base, (*org["_row"], None))
        column = p.column if col is None else f"{p.column} (file column {col!r})"
        value = p.value.item() if hasattr(p.value, "item") and not isinstance(p.value, str) else p.value
        problems.append(replace(p, file=file, line=line, column=column, value=value))
    if problems:
        unique = list({str(p): p for p in problems}.values())  # e.g. one mapping error seen per file
        raise DataValidationError(unique, what=f"the import of {len(paths_)} file(s)")

    for c in schema.PANEL:
        if c.dtype == "int":
            panel[c.name] = panel[c.name].astype("Int64")
        if c.has_provenance:
            pc = schema.provenance_column(c.name)
            panel[pc] = panel[pc].astype("string")
    panel.attrs.update({
        "source_files": tuple(str(p) for p in paths_),
        "excluded_rows": tuple(excluded),
        "footnotes": footnotes,
        "skipped_lines": skipped,
        "n_marked_cells": n_marked,
        "warnings": tuple(warn),
        "provenance": "user",
    })
    return panel


def read_panel(path: str | os.PathLike) -> pd.DataFrame:
    """Read a panel CSV (as written by ``llq build-panel``) with the schema's dtypes.

    Cells that are not numbers / booleans where the schema wants them are reported with their line
    in one DataValidationError (never a bare pandas error). Validate with :func:`check_panel`.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if not p.read_bytes().strip():
        raise _err(p, "a panel CSV (the file is empty)", what=f"the panel {p}")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise _err(p, f"a comma-separated UTF-8 panel CSV ({exc})", what=f"the panel {p}") from None
    problems = []
    bools = {"true": True, "false": False, "1": True, "0": False}
    for c in schema.PANEL:
        if c.name not in df.columns:
            continue
        s = df[c.name]
        if c.dtype in ("int", "float"):
            num = pd.to_numeric(s, errors="coerce")
            bad = num.isna() & s.notna()
            whole = num.dropna().mod(1).eq(0).all()
            df[c.name] = num.astype("Int64") if c.dtype == "int" and whole else num.astype("float64")
        elif c.dtype == "bool":
            low = s.str.strip().str.lower()
            bad = s.notna() & ~low.isin(list(bools))
            df[c.name] = low.map(bools).astype("boolean")
        else:
            bad = pd.Series(False, index=s.index)
            df[c.name] = s.astype("string")
        for i in s.index[bad]:
            problems.append(Problem(c.name, f"a {c.dtype} value ({c.unit})", s[i], line=int(i) + 2,
                                    file=str(p)))
        if c.has_provenance and schema.provenance_column(c.name) in df.columns:
            pc = schema.provenance_column(c.name)
            df[pc] = df[pc].astype("string")
    if problems:
        raise DataValidationError(problems, what=f"the panel {p}")
    df.attrs["source_file"] = str(p)
    return df
