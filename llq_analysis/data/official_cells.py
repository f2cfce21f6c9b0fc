"""Cells of official German statistics exports: numbers, official marks and flags.

The marks follow the "Zeichenerklärung" shared by the statistical offices of the Federation and the
Länder (Destatis, Statistisches Landesamt Bremen); ``*`` is the anonymisation mark of the Statistik
der Bundesagentur für Arbeit. :mod:`.official` reads whole files with these helpers.
"""

from __future__ import annotations

import functools
import re
from operator import itemgetter

import pandas as pd

from ..errors import DataValidationError, Problem

__all__ = ["parse_german_number", "mark_reason", "MARKS", "FLAGS", "MARK_SUFFIX"]

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

_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\t": " "})
_SUPERSCRIPT = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")
_NUMBER_RX = {
    ",": (re.compile(r"\d+(?:,\d+)?"), re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?"),
          re.compile(r"\d{1,3}(?: \d{3})+(?:,\d+)?")),
    ".": (re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"), re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"),
          re.compile(r"\d{1,3}(?: \d{3})+(?:\.\d+)?")),
}
_FAST = {",": re.compile(r"-?\d+(?:,\d+)?"), ".": re.compile(r"-?\d+(?:\.\d+)?")}
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
    if _FAST[decimal].fullmatch(text):  # the common case: '-1234,5' / '1234.5' (same result below)
        return float(text.replace(",", ".")), decimal in text
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


def _text(v) -> str:
    """A cell as one line of text (whitespace, no-break spaces and line breaks -> one space)."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return " ".join(str(v).split())


def _pick_sheet(path, names, sheet, *, what="sheet") -> str:
    if sheet is None:
        return names[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise _err(path, f"a {what} number between 0 and {len(names) - 1} ({what}s: {list(names)})",
                       sheet)
        return names[sheet]
    if sheet in names:
        return sheet
    raise _err(path, f"one of the {what}s {list(names)}{_suggest(sheet, names)}", sheet)


def _suggest(word, options) -> str:
    import difflib

    best = difflib.get_close_matches(str(word), [str(o) for o in options], n=2, cutoff=0.5)
    return f"; did you mean {' or '.join(map(repr, best))}?" if best else ""


# ============================================================================ typed columns


_parse = _number.__wrapped__  # uncached: values are parsed once per distinct text already


EMPTY, NATIVE, MARK, TEXT = 0, 1, 2, 3  # kinds of distinct cell values


class _Column:
    """One column of the body, classified once per distinct cell value (pandas.factorize), so a
    1.7 M-row export costs one pass in C plus Python work per distinct value only; the results
    per distinct value are numpy arrays (the worst case: every cell differs)."""

    def __init__(self, raw):
        import numpy as np
        import pandas as pd

        arr = np.empty(len(raw), dtype=object)
        arr[:] = raw
        codes, uniq = pd.factorize(arr, use_na_sentinel=True)
        del arr
        n = len(uniq)
        self.codes = codes  # -1: None / NaN (empty)
        self.uniq = uniq
        self.count = np.bincount(codes[codes >= 0], minlength=n)
        kind, mark, native = [EMPTY] * n, [None] * (n + 1), [np.nan] * n  # slot n: where code -1 points
        parsed = {",": [None] * n, ".": [None] * n}
        self.code_like = False
        for u, v in enumerate(uniq):
            if _is_empty(v):
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                kind[u], native[u] = NATIVE, float(v)
                continue
            t = " ".join(v.split()) if isinstance(v, str) else _text(v)
            m = _MARK_ALIASES.get(t, t)
            if m in MARKS:
                kind[u], mark[u] = MARK, m
                continue
            core, flag = _split_flag(t)
            kind[u], mark[u] = TEXT, flag
            self.code_like |= core[:1] == "0" and bool(_CODE_RX.fullmatch(core))
            parsed[","][u], parsed["."][u] = _parse(core, ","), _parse(core, ".")
        self.kind = np.array(kind, dtype=np.int8)
        self.mark = np.array(mark, dtype=object)
        self.native = np.array(native, dtype=float)
        self.ok = {d: np.array([p is not None for p in ps], dtype=bool) for d, ps in parsed.items()}
        self.val = {d: np.array([np.nan if p is None else p[0] for p in ps], dtype=float)
                    for d, ps in parsed.items()}
        self.frac = {d: np.array([p is not None and p[1] for p in ps], dtype=bool) for d, ps in parsed.items()}

    def only(self) -> tuple[bool, bool]:
        """Does some text cell fit only the decimal comma / only the decimal point?"""
        text = self.kind == TEXT
        c, p = self.ok[","] & text, self.ok["."] & text
        return bool((c & ~p).any()), bool((p & ~c).any())

    def first_line(self, u: int, lines) -> int:
        import numpy as np

        return int(lines[int(np.argmax(self.codes == u))])


def _pick_decimal(only: tuple[bool, bool], default: str) -> str:
    """Decimal separator of a column (or file): the other style than ``default`` only when some
    cell fits only that one and none only the default (``only``: from :meth:`_Column.only`)."""
    only_c, only_p = only
    if default == ",":
        return "." if only_p and not only_c else ","
    return "," if only_c and not only_p else "."


def _typed_columns(names, data, *, file, default_decimal, decimal):
    """Typed columns plus mark companions; numbers that do not parse in numeric columns -> problems."""
    import numpy as np
    import pandas as pd

    lines = list(map(itemgetter(0), data))
    # transpose in C: every row holds len(names) cells (padded by the structure step)
    by_column = zip(*map(itemgetter(1), data), strict=True) if data else [() for _ in names]
    columns = [_Column(raw) for raw in by_column]
    # file-wide decimal style: the separator's convention unless the cells contradict it
    onlies = [col.only() for col in columns]
    default_decimal = _pick_decimal((any(o[0] for o in onlies), any(o[1] for o in onlies)), default_decimal)
    out: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    formats, n_marked, n_flagged = {}, 0, 0
    for j, (name, col, only) in enumerate(zip(names, columns, onlies, strict=True)):
        columns[j] = None  # free each column's arrays once it is done
        dec = decimal or _pick_decimal(only, default_decimal)
        kind, count, ok = col.kind, col.count, col.ok[dec]
        text = kind == TEXT
        num = (kind == NATIVE) | (text & ok)
        bad_mask = text & ~ok
        n_num, n_mark = int(count[num].sum()), int(count[kind == MARK].sum())
        n_text = int(count[bad_mask].sum())
        n_any = int(count[bad_mask & (col.ok[","] | col.ok["."])].sum())
        if decimal is None and not col.code_like and all(only) and n_num + n_mark + n_any >= n_text - n_any:
            # decimal commas and decimal points in one column: factorize numbers values by first appearance
            uc = int(np.flatnonzero(text & col.ok[","] & ~col.ok["."])[0])
            up = int(np.flatnonzero(text & col.ok["."] & ~col.ok[","])[0])
            lc, lp = col.first_line(uc, lines), col.first_line(up, lines)
            ln, u = max((lc, uc), (lp, up))
            problems.append(Problem(name, f"one decimal separator in the whole column: line {lc} has a "
                                    f"decimal comma ({col.uniq[uc]!r}), line {lp} a decimal point "
                                    f"({col.uniq[up]!r}); export the column in one style or pass "
                                    "decimal=',' / '.' (mapping key `decimal:`)",
                                    _text(col.uniq[u]), line=ln, file=str(file)))
            continue
        numeric = (n_num + n_mark) > 0 and (n_num + n_mark) >= n_text and not col.code_like
        codes = col.codes
        if not numeric:
            texts = np.array([None if k == EMPTY else _text(v) for k, v in zip(kind, col.uniq, strict=True)]
                             + [None], dtype=object)
            out[name] = pd.Series(texts[codes], dtype="string")
            continue
        vals = np.append(np.where(kind == NATIVE, col.native, np.where(num, col.val[dec], np.nan)), np.nan)
        comp = col.mark.copy()
        comp[:-1][bad_mask] = None
        whole = bool(np.all(np.mod(col.native[kind == NATIVE], 1) == 0)) and not bool(col.frac[dec][num].any())
        flagged = text & ok & (comp[:-1] != None)  # noqa: E711  (element-wise on an object array)
        n_flagged += int(count[flagged].sum())
        n_marked += n_mark
        if bad_mask.any():
            where = np.flatnonzero(np.isin(codes, np.flatnonzero(bad_mask)))
            note = f" (decimal {'comma' if dec == ',' else 'point'} in this column)"
            problems += [Problem(name, _EXPECTED_NUMBER + note, _text(col.uniq[codes[i]]),
                                 line=lines[i], file=str(file)) for i in where]
        s = pd.Series(vals[codes], dtype="float64")
        out[name] = s.astype("Int64") if whole and s.notna().any() else s
        formats[name] = "1.234,5" if dec == "," else "1,234.5"
        if (comp != None).any():  # noqa: E711
            out[name + MARK_SUFFIX] = pd.Series(comp[codes], dtype="string")
    if problems:
        raise DataValidationError(problems, what=f"the official table {file}")
    return out, formats, n_marked, n_flagged


# ============================================================================ cells of a read table


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


def _cells(s: pd.Series) -> list:
    """The cells of a column as Python objects, None for a missing one."""
    return s.astype(object).where(s.notna(), None).tolist()


def _filter_mask(df: pd.DataFrame, filters: dict):
    """Rows holding the wanted value in every ``filter_rows:`` column (numpy bool array)."""
    import numpy as np

    keep = np.ones(len(df), dtype=bool)
    for col, want in filters.items():
        wants = {_text(w) for w in (want if isinstance(want, list) else [want])}
        codes, uniq = pd.factorize(df[col])
        ok = np.array([_text(u) in wants for u in uniq] + [False], dtype=bool)
        keep &= ok[codes]  # code -1 (missing) points at the last slot: never kept
    return keep


def _column_values(df: pd.DataFrame, col: str) -> tuple[list, list, list]:
    """``(values, marks_or_flags, bad_texts)`` of a column, each a list by row (see :func:`_value`);
    text columns are parsed once per distinct cell."""
    s = df[col]
    mcol = col + MARK_SUFFIX
    marks = _cells(df[mcol]) if mcol in df.columns else [None] * len(df)
    marks = [None if m is None else str(m) for m in marks]
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("float64").tolist(), marks, [None] * len(df)
    one = pd.DataFrame({col: pd.Series(pd.unique(s), dtype=object)})
    parsed = {}
    for k, v in enumerate(one[col].tolist()):
        parsed[v] = _value(one, k, col)
    cells = _cells(s)
    trip = [parsed.get(v, (float("nan"), None, None)) if v is not None else (float("nan"), None, None)
            for v in cells]
    return [t[0] for t in trip], [t[1] for t in trip], [t[2] for t in trip]
