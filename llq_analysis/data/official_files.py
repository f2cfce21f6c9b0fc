"""Raw rows of official exports: CSV text (encoding, separator) and XLSX sheets (read once, cached).

:mod:`.official` finds the table structure in these rows.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import io
import warnings
from collections import Counter
from pathlib import Path

from .official_cells import _err, _pick_sheet


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
    records = list(reader)
    if reader.line_num == len(records):  # no record spans lines: record k is on line k + 1
        return list(zip(range(1, len(records) + 1), records, strict=True))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"', strict=False)
    rows, prev = [], 0
    for cells in reader:
        rows.append((prev + 1, cells))
        prev = reader.line_num
    return rows


def _detect_sep(text: str) -> str:
    """';' (German exports) before tab before ',': the first giving a consistent table of >= 2 columns."""
    head = text[:1 << 17]  # not splitlines() of a whole 50 MB export
    lines = head.splitlines()
    if len(head) < len(text) and len(lines) > 1:
        lines = lines[:-1]  # the last line of the cut may be incomplete
    sample = "\n".join(lines[:300])
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


def _open_workbook(path: str):
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(path, data_only=True, read_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise _err(path, f"a readable XLSX workbook ({type(exc).__name__}: {exc})") from None


@functools.lru_cache(maxsize=8)
def _sheet_names(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    wb = _open_workbook(path)
    try:
        return tuple(wb.sheetnames)
    finally:
        wb.close()


@functools.lru_cache(maxsize=4)
def _all_sheet_rows(path: str, mtime_ns: int, size: int) -> dict[str, tuple]:
    """Every sheet as ((row number, cells), ...), read in one pass per file version (cached: an
    Ortsteilatlas export is read block by block, from many sheets of one 1.6 MB file)."""
    wb = _open_workbook(path)
    out = {}
    try:
        for ws in wb.worksheets:
            rows = []
            for i, vals in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = []
                for v in vals:
                    if hasattr(v, "isoformat"):  # datetime / date / time
                        v = v.isoformat().removesuffix("T00:00:00")
                    elif isinstance(v, bool):
                        v = str(v)
                    cells.append(v)
                rows.append((i, tuple(cells)))
            out[ws.title] = tuple(rows)
    finally:
        wb.close()
    return out


def _sheet_rows(path: str, mtime_ns: int, size: int, sheet: str) -> tuple:
    return _all_sheet_rows(path, mtime_ns, size)[sheet]


def _file_version(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_mtime_ns, st.st_size


def _read_xlsx_rows(path: Path, *, sheet):
    version = _file_version(path)
    names = _sheet_names(*version)
    name = _pick_sheet(path, names, sheet)
    return [(ln, list(c)) for ln, c in _sheet_rows(*version, name)], {"sheet": name, "sheets": names}


class _Lines(tuple):
    """``attrs["source_lines"]``: a tuple that deep-copies as itself. pandas 3 deep-copies
    ``DataFrame.attrs`` on every column access and derived frame; copying 1.7 M line numbers each
    time made big imports crawl. The tuple is immutable, so sharing it is safe."""

    __slots__ = ()

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return (_Lines, (tuple(self),))


@contextlib.contextmanager
def _no_gc():
    """Pause the cyclic garbage collector (it rescans every row list again and again while a big
    export is read; reference counting still frees everything)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
