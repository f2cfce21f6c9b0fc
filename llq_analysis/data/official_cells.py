"""Cells of official German statistics exports: numbers, official marks and flags.

The marks follow the "Zeichenerklärung" shared by the statistical offices of the Federation and the
Länder (Destatis, Statistisches Landesamt Bremen); ``*`` is the anonymisation mark of the Statistik
der Bundesagentur für Arbeit. :mod:`.official` reads whole files with these helpers.
"""

from __future__ import annotations

import functools
import re

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
