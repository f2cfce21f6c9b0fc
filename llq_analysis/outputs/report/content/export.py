"""How a table or figure leaves the report: header hyphenation, number checks, the rounded
export frame, the disclosure note, inlined SVG, and byte-deterministic XLSX files."""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....i18n import t
from ...disclosure import MARK

FIXED_ZIP_DATE = (2000, 1, 1, 0, 0, 0)


_SOFT = {  # break points of long German words in table headers (soft hyphens, shown only if used)
    "Regelaltersgrenze": "Regel\u00adalters\u00adgrenze",
    "Bedarfsgemeinschaften": "Bedarfs\u00adgemein\u00adschaften",
    "Konzentrationsindex": "Konzentrations\u00adindex",
    "Wahrscheinlichkeit": "Wahrschein\u00adlichkeit",
    "Beobachtungen": "Beobach\u00adtungen",
    "Basisszenario": "Basis\u00adszenario",
    "Veränderung": "Verän\u00adderung",
    "Förderschiene": "Förder\u00adschiene",
}


def _hyphenate(text: str) -> str:
    """Soft hyphens in long header words so narrow columns can break them (HTML only)."""
    for word, soft in _SOFT.items():
        text = text.replace(word, soft)

    def split(m: re.Match) -> str:
        w = m.group(0)
        return "\u00ad".join(w[i:i + 7] for i in range(0, len(w), 7))
    return re.sub(r"[^\s\u00ad()/&;-]{15,}", split, text)


def _wbr(text: str) -> str:
    """Allow line breaks after '_' and '/' in cell text (scenario names, file names)."""
    return text.replace("_", "_<wbr>").replace("/", "/<wbr>")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
        and not (isinstance(v, float) and math.isnan(v))


def _default_decimals(col: pd.Series) -> int:
    vals = [v for v in col if _is_number(v)]
    if vals and all(float(v).is_integer() for v in vals):
        return 0
    return 1


def _strip_tags(s: str) -> str:
    return re.sub(r"<[^>]+>", "", s).strip()


def _export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Copy for CSV/XLSX: floats rounded to 6 decimals (stable across runs), marks kept."""
    out = df.copy()
    for c in out.columns:
        out[c] = [round(float(v), 6) if isinstance(v, (float, np.floating)) and not math.isnan(v)
                  else (int(v) if isinstance(v, (np.integer,)) else v) for v in out[c]]
    return out


def _disclosure_note(info: Mapping[str, Any], lang: str) -> str:
    n = info["n_primary"] + info["n_secondary"] + info["n_rate"]
    if lang == "de":
        s = (f"{MARK} = aus Gründen der statistischen Geheimhaltung nicht ausgewiesen (weniger als "
             f"{info['min_count']} Personen, Quote mit Zähler unter {info['min_count']} Personen oder "
             "aus Summen rechnerisch erschließbar; Regeln der Statistik der BA).")
        if n:
            s += f" Hier {n} Zelle(n) gesperrt."
    else:
        s = (f"{MARK} = withheld for statistical confidentiality (fewer than {info['min_count']} "
             f"persons, a rate whose numerator is below {info['min_count']} persons, or derivable "
             "from totals; rules of the Federal Employment Agency's statistics).")
        if n:
            s += f" {n} cell(s) withheld here."
    return s


def _clean_svg(svg: str) -> str:
    """Drop the XML prolog and comments so the SVG can be inlined; ids stay deterministic."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)
    return svg.strip()


def _write_xlsx(df: pd.DataFrame, path: Path, *, sheet: str, title: str, simulated: bool,
                lang: str) -> None:
    """One-sheet workbook (title row, optional simulated mark, the table), byte-deterministic."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([title])
    ws["A1"].font = Font(bold=True)
    if simulated:
        ws.append([t("simulated_warning", lang)])
        ws["A2"].font = Font(bold=True, color="B00020")
    ws.append([])
    ws.append([str(c) for c in df.columns])
    for row in df.itertuples(index=False):
        ws.append([None if (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)))
                   else v for v in row])
    import datetime as _dt

    fixed = _dt.datetime(*FIXED_ZIP_DATE)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "llq_analysis"
    buf = io.BytesIO()
    wb.save(buf)
    _normalise_zip(buf.getvalue(), path)


def _normalise_zip(data: bytes, path: Path) -> None:
    """Rewrite a ZIP (XLSX) with fixed entry dates and core-property timestamps."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                                 rb"\g<1>2000-01-01T00:00:00Z\g<3>", content)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, content)
    path.write_bytes(out.getvalue())
