"""Build a validated panel from official exports plus a mapping (YAML or dict).

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

Reading the exports themselves is :mod:`llq_analysis.data.official`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..errors import DataValidationError, Problem
from . import schema
from .loaders import read_panel, table_problems, validate_panel
from .official import (
    FLAGS,
    MARK_SUFFIX,
    MARKS,
    mark_reason,
    parse_german_number,
    read_official_table,
)

__all__ = ["build_panel", "load_mapping", "check_panel", "read_panel", "read_official_table",
           "parse_german_number", "mark_reason", "MARKS", "FLAGS", "MARK_SUFFIX"]

from .mapping import (  # noqa: E402,F401  (_records and friends: applying one file's mapping)
    _file_config,
    _missing_prov,
    _records,
    _suggest,
    _user_prov,
    load_mapping,
    parse_years,
    year_kept,
)
from .official_cells import _value  # noqa: E402,F401
from .programme_columns import _derive_llq, _funding_for  # noqa: E402
from .quartier_index import _QuartierIndex  # noqa: E402

# ============================================================================ building the panel


def check_panel(df: pd.DataFrame, *, quartiers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Validate an imported panel (same rules as :func:`llq_analysis.validate_panel`, which accepts
    an empty value wherever its ``<column>_provenance`` says ``missing``). Kept for the public API."""
    return validate_panel(df, quartiers=quartiers)


def build_panel(files: str | os.PathLike | Iterable[str | os.PathLike], *,
                mapping: str | os.PathLike | Mapping, quartiers: pd.DataFrame | None = None,
                funding: pd.DataFrame | bool | None = None,
                years: Iterable[int] | None = None) -> pd.DataFrame:
    """Build a validated quartier x year panel from official exports and a mapping.

    Parameters
    ----------
    files : one or more CSV/XLSX exports (read with :func:`read_official_table`).
    mapping : YAML path (read with the package's safe YAML loader) or dict; see docs/importing.md. Keys:
        ``quartier_column`` (names) or ``quartier_code_column`` (official codes); ``year_column``,
        a fixed ``year`` or ``years_in_columns: true`` (+ ``indicator`` and optional
        ``year_columns``); ``indicators`` (panel column -> file column); optional ``city``,
        ``quartiers`` (name/code -> quartier_id), ``exclude_rows`` / ``exclude_rows_regex``
        (totals), ``sheet``, ``encoding``, ``sep``, ``decimal``, ``header_line`` and per-file
        overrides under ``files: {<file name or glob>: {...}}``.
    quartiers : quartier table (``quartier_id``, ``city``, ``ortsteil``, optional
        ``official_code``, ``stadtteil``); default the bundled data/quartiers.csv.
    years : complete the panel to one row per quartier of ``quartiers`` and each of these years;
        cells nothing was published for stay empty with provenance ``missing`` (never filled).
    funding : funding table used to derive ``llq_first_year``, ``llq_funded`` and (where
        ``population`` is supplied) ``llq_eur_per_capita`` [EUR per resident]; default the bundled
        data/funding.csv when ``quartiers`` is the bundled table; ``False`` = do not derive.

    Returns
    -------
    DataFrame with the columns of the panel schema (one row per quartier_id x year found in the
    files, or the full grid with ``years``). Supplied values have provenance ``user: <file name>``,
    or ``published: <publisher>, <table>, <sheet / indicator>`` when the mapping names
    ``publisher:`` and ``table:``; empty or marked cells ``missing`` (with the mark's reason);
    columns the files do not supply stay empty with provenance ``missing``. ``attrs``:
    ``source_files``, ``excluded_rows`` (file, line, name), ``footnotes``, ``skipped_lines``,
    ``n_marked_cells``, ``warnings``, ``trace`` (DataFrame: quartier_id, year, column, file,
    sheet, block, line, source_column, cell of every imported value).

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
        from .loaders import load_quartiers

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
        for part_cfg, block in _parts(fcfg):
            try:
                df = read_official_table(p, sheet=part_cfg.get("sheet"), encoding=part_cfg.get("encoding"),
                                         sep=part_cfg.get("sep"), decimal=part_cfg.get("decimal"),
                                         header_line=part_cfg.get("header_line"), block=block)
            except DataValidationError as exc:
                problems += exc.problems
                continue
            warn += [w for w in df.attrs.get("warnings", ()) if w not in warn]
            footnotes[p.name] = df.attrs.get("footnotes", ())
            skipped[p.name] = df.attrs.get("skipped_lines", ())
            n_marked += int(df.attrs.get("n_marked_cells", 0))
            recs, probs = _records(df, p, part_cfg, index, excluded)
            records += recs
            problems += probs
    for key in set(cfg.get("files") or {}) - used_keys:
        warn.append(f"mapping entry files.{key} matches none of the given files "
                    f"({', '.join(p.name for p in paths_)}); its settings were not used")

    # merge records into panel rows: one row per quartier_id x year; a second row from the same
    # file for the same key is kept apart so that validation reports the duplicate
    rows: list[dict] = []
    origin: list[dict] = []
    by_key: dict[tuple, list[int]] = {}
    for rec in records:
        key = (rec["quartier_id"], rec["year"])
        target = next((r for r in by_key.get(key, []) if rec["part"] not in origin[r]["_files"]), None)
        if target is None:
            target = len(rows)
            rows.append({"quartier_id": key[0], "year": key[1]})
            origin.append({"_files": set(), "_row": (rec["file"], rec["line"])})
            by_key.setdefault(key, []).append(target)
        row, org = rows[target], origin[target]
        org["_files"].add(rec["part"])
        for ind, (val, prov, line, col, cell) in rec["values"].items():
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
            org.setdefault("_cells", {})[ind] = (rec["sheet"], rec["block"], cell)
    if years is not None:  # the full grid: rows nothing was published for, all values missing
        for qid in quartiers["quartier_id"].astype(str):
            for y in years:
                if (qid, int(y)) not in by_key:
                    by_key[(qid, int(y))] = [len(rows)]
                    rows.append({"quartier_id": qid, "year": int(y)})
                    origin.append({"_files": set(), "_row": (None, None)})

    cols = schema.all_columns("panel")
    published = [_file_config(cfg, p)[0].get("publisher") for p in paths_]
    row_kind = "published" if all(published) else "user"
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
                data[c].append(row_kind)
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

    for p in table_problems(panel, "panel", quartiers=quartiers):
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
        "provenance": row_kind,
        "trace": ValueTrace(_trace(panel, origin)),
    })
    return panel


class ValueTrace:
    """Where every imported value came from: ``.frame`` (quartier_id, year, column, file, sheet,
    block, line, source_column, cell). Kept in ``attrs["trace"]``; copying it is free (pandas
    copies ``attrs`` on every operation) and it never takes part in frame comparisons."""

    __slots__ = ("frame",)

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self) -> str:
        return f"ValueTrace({len(self.frame)} values)"


def _parts(fcfg: dict):
    """(settings, block) per table to read from one file: one per ``blocks:`` entry, else one."""
    blocks = fcfg.get("blocks")
    if not blocks:
        yield fcfg, None
        return
    base = {k: v for k, v in fcfg.items() if k not in ("blocks", "indicators", "indicator")}
    for ind, spec in blocks.items():
        sub = {**base, "years_in_columns": True, "indicator": ind}
        sub.pop("year", None)
        sub.pop("year_column", None)
        if "sheet" in spec:
            sub["sheet"] = spec["sheet"]
        if "years" in spec:
            sub["years"] = spec["years"]
        yield sub, spec["block"]


def _trace(panel: pd.DataFrame, origin: list[dict]) -> pd.DataFrame:
    """Where every imported value came from: file, sheet, block, line (row) and column."""
    rows = []
    for i, org in enumerate(origin):
        qid, year = panel["quartier_id"].iat[i], int(panel["year"].iat[i])
        for ind, where in org.items():
            if ind.startswith("_"):
                continue
            file, line, col = where
            sheet, block, cell = org.get("_cells", {}).get(ind, (None, None, None))
            rows.append({"quartier_id": qid, "year": year, "column": ind, "file": Path(file).name,
                         "sheet": sheet, "block": block, "line": line, "source_column": col,
                         "cell": cell})
    cols = ["quartier_id", "year", "column", "file", "sheet", "block", "line", "source_column", "cell"]
    return pd.DataFrame(rows, columns=cols)
