"""The mapping that tells :func:`~llq_analysis.data.importing.build_panel` how to read exports.

Plain YAML (or a dict): keys at the top apply to every file, ``files:`` overrides them per file
name or glob. See docs/importing.md for every key; :func:`load_mapping` checks keys and types and
reports every problem at once.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from ..errors import DataValidationError, Problem
from . import schema
from .official import _err
from .official_cells import (
    _EXPECTED_NUMBER,
    _YEAR_LABEL_RX,
    MARK_SUFFIX,
    _cells,
    _column_values,
    _filter_mask,
    _text,
    mark_reason,
)
from .quartier_index import _code_key, _key, _QuartierIndex, _year_of

# ============================================================================ mapping


_INDICATORS = tuple(schema.panel_value_columns())
_FILE_KEYS = ("city", "quartier_column", "quartier_code_column", "year_column", "year",
              "years_in_columns", "year_columns", "indicator", "indicators", "quartiers",
              "exclude_rows", "exclude_rows_regex", "sheet", "encoding", "sep", "decimal",
              "header_line", "description", "source", "blocks", "years", "filter_rows",
              "code_prefixes", "publisher", "table")
_TOP_KEYS = (*_FILE_KEYS, "files")
_EXCLUSIVE = (("year_column", "year", "years_in_columns"),
              ("quartier_column", "quartier_code_column"), ("indicator", "indicators", "blocks"))
_BLOCK_KEYS = ("sheet", "block", "years")
_TOTAL_RX = re.compile(r"^(Stadtteil|Stadtbezirk|Stadt|Land|Bezirk)\b|\((Stadtteil|Stadtbezirk|Bezirk|"
                       r"Verwaltungsbezirk)\)$|insgesamt", re.IGNORECASE)


def parse_years(value) -> tuple[int, int] | frozenset[int] | None:
    """``years:`` of a mapping: ``2005-2015`` (inclusive range), a list of years, or one year."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("a year range such as 2005-2015, a list of years or one year")
    if isinstance(value, int):
        return frozenset([value])
    if isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool)
                                                 for v in value):
        return frozenset(value)
    m = re.fullmatch(r"\s*(\d{4})\s*-\s*(\d{4})\s*", str(value))
    if m and int(m.group(1)) <= int(m.group(2)):
        return int(m.group(1)), int(m.group(2))
    raise ValueError("a year range such as 2005-2015, a list of years or one year")


def year_kept(year: int, spec) -> bool:
    """Is ``year`` within a parsed ``years:`` spec (None keeps every year)?"""
    if spec is None:
        return True
    if isinstance(spec, tuple):
        return spec[0] <= year <= spec[1]
    return year in spec


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
            from .safe_yaml import load_yaml  # duplicate keys, alias bombs, tags refused

            cfg = load_yaml(src, what="mapping")
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
    if "years" in cfg:
        try:
            parse_years(cfg["years"])
        except ValueError as exc:
            bad("years", str(exc), cfg["years"])
    blocks = cfg.get("blocks")
    if blocks is not None:
        if not isinstance(blocks, dict) or not blocks:
            bad("blocks", "a mapping of panel indicator -> {sheet: ..., block: <indicator name>}", blocks)
        else:
            for k, v in blocks.items():
                if k not in _INDICATORS:
                    bad(f"blocks.{k}", f"a panel indicator ({', '.join(_INDICATORS)}){_suggest(k, _INDICATORS)}", k)
                if not isinstance(v, dict) or not isinstance(v.get("block"), str) or not v["block"].strip():
                    bad(f"blocks.{k}", "a mapping with `block:` (the indicator name heading the block) "
                        "and optional `sheet:` and `years:`", v)
                    continue
                for kk in v:
                    if kk not in _BLOCK_KEYS:
                        bad(f"blocks.{k}.{kk}", f"one of {list(_BLOCK_KEYS)}{_suggest(kk, _BLOCK_KEYS)}", kk)
                if "years" in v:
                    try:
                        parse_years(v["years"])
                    except ValueError as exc:
                        bad(f"blocks.{k}.years", str(exc), v["years"])
    fr = cfg.get("filter_rows")
    if fr is not None and not (isinstance(fr, dict) and fr and all(
            isinstance(v, (str, int, list)) for v in fr.values())):
        bad("filter_rows", "a mapping of column -> value (or list of values) that kept rows hold", fr)
    cp = cfg.get("code_prefixes")
    if cp is not None and not (isinstance(cp, dict) and cp and all(
            isinstance(k, str) and v in schema.CITIES for k, v in cp.items())):
        bad("code_prefixes", f"a mapping of code prefix -> city ({list(schema.CITIES)}), e.g. X: Bremen", cp)
    for k in ("publisher", "table"):
        if k in cfg and (not isinstance(cfg[k], str) or not cfg[k].strip()):
            bad(k, "text naming the publisher / the published table", cfg[k])
    if ("publisher" in cfg) != ("table" in cfg):
        bad("publisher", "both `publisher:` and `table:` (values are then marked as published by "
            "them), or neither", cfg.get("publisher") or cfg.get("table"))
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


# ============================================================================ applying a file's mapping


def _user_prov(file: Path, mark: str | None, cfg: dict | None = None, what: str | None = None) -> str:
    flag = f" ({mark}: {mark_reason(mark)})" if mark else ""
    if cfg and cfg.get("publisher"):
        return f"published: {cfg['publisher']}, {cfg['table']}, {what or file.name}{flag}"
    return f"user: {file.name}{flag}"


def _missing_prov(file: Path, mark: str | None, cfg: dict | None = None, what: str | None = None) -> str:
    if mark is None:
        return "missing"
    src = f"{cfg['publisher']}, {cfg['table']}, {what}" if cfg and cfg.get("publisher") else file.name
    return f"missing: '{mark}' {mark_reason(mark)} ({src})"


def _records(df: pd.DataFrame, path: Path, cfg: dict, index: _QuartierIndex, excluded: list) -> tuple[
        list[dict], list[Problem]]:
    """One record per (source row, year): quartier_id, year, {indicator: (value, prov, line, col, cell)}."""
    file = str(path)
    problems: list[Problem] = []
    cols = [c for c in df.columns if not c.endswith(MARK_SUFFIX)]
    # pandas copies attrs on every column access: keep them aside, work on a frame without them
    attrs = df.attrs
    df = df.copy(deep=False)
    df.attrs = {}

    def need_col(key, c=None) -> str | None:
        c = cfg.get(key) if c is None else c
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
    filters = cfg.get("filter_rows") or {}
    for c in filters:
        need_col("filter_rows", c)
    years_spec = parse_years(cfg.get("years"))
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
        targets = [(cfg.get("indicator"), c, y) for c, y in found if year_kept(y, years_spec)]
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

    lines = attrs.get("source_lines") or tuple(range(2, len(df) + 2))
    letters = attrs.get("source_columns") or {}
    sheet, block = attrs.get("sheet"), attrs.get("block")
    city = cfg.get("city")
    prefixes = cfg.get("code_prefixes") or {}
    explicit_raw = cfg.get("quartiers") or {}
    # entries naming an unknown quartier_id are reported below and not used for the lookup
    explicit = {(_code_key(k) if ccol else _key(k)): str(v) for k, v in explicit_raw.items()
                if str(v) in index.city_of}
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
    # filter_rows: one vectorised mask (each distinct cell value is compared once)
    keep = _filter_mask(df, filters)
    n_filtered = int(len(df) - keep.sum())
    if n_filtered:
        pos = keep.nonzero()[0]
        df = df.iloc[pos].reset_index(drop=True)
        lines = [lines[i] for i in pos]
    names_ = _cells(df[name_col])
    labels_of = [_cells(df[c]) for c in text_cols] if ccol else []
    years_ = _cells(df[ycol]) if ycol else None
    values = {c: _column_values(df, c) for c in {c for _, c, _ in targets}}
    what_of = {c: f"{sheet} / {block}" if block else (f"{sheet} / {c}" if sheet else c)
               for _, c, _ in targets}
    hit_cache: dict[tuple, str | None] = {}
    resolved: dict[tuple, tuple] = {}
    year_cache: dict = {}
    out = []
    for i, name in enumerate(names_):
        line = int(lines[i])
        empty = name is None or not str(name).strip()
        name_t = "" if empty else _text(name)
        labels = ([name_t] if not empty else []) + (
            [_text(lab[i]) for lab in labels_of if lab[i] is not None] if ccol else [])
        key = tuple(labels)
        if key not in hit_cache:
            hit_cache[key] = next((t for t in labels if _key(t) in excl or any(rx.search(t) for rx in excl_rx)),
                                  None)
        hit = hit_cache[key]
        if hit is not None:
            excluded.append({"file": file, "line": line, "name": hit})
            continue
        if empty:
            problems.append(Problem(name_col, "a quartier name or code (the cell is empty)", None,
                                    line=line, file=file))
            continue
        row_city, lookup = city, name_t
        if ccol and prefixes:
            pre = next((p for p in sorted(prefixes, key=len, reverse=True) if name_t.startswith(p)), None)
            if pre is None:
                problems.append(Problem(name_col, f"a code starting with one of {sorted(prefixes)} "
                                        "(`code_prefixes:` in the mapping)", name_t, line=line, file=file))
                continue
            row_city, lookup = prefixes[pre], name_t[len(pre):]
        rkey = (lookup, row_city)
        if rkey not in resolved:
            resolved[rkey] = index.resolve(lookup, city=row_city, by_code=bool(ccol), explicit=explicit)
        qid, expected = resolved[rkey]
        if qid is None:
            if name_t not in unknown_seen:
                unknown_seen.add(name_t)
                total = next((t for t in labels[1:] if _TOTAL_RX.search(t)), None)
                if total is not None:  # a code column: the row's name says it is a total
                    expected += (f"; the row is named {total!r} - if it is a total, list it under "
                                 "`exclude_rows:` / `exclude_rows_regex:`")
                problems.append(Problem(name_col, expected, name_t, line=line, file=file))
            continue
        row_year = None
        if ycol:
            yv = years_[i]
            if yv not in year_cache:
                year_cache[yv] = _year_of(yv)
            row_year = year_cache[yv]
            if row_year is None:
                problems.append(Problem(ycol, "a year such as 2022 or 31.12.2022",
                                        None if yv is None else _text(yv), line=line, file=file))
                continue
            if not year_kept(row_year, years_spec):
                continue
        by_year: dict[int, dict] = {}
        for ind, c, y in targets:
            year = y if y is not None else row_year
            val, mark, bad = values[c][0][i], values[c][1][i], values[c][2][i]
            if bad is not None:
                problems.append(Problem(c, _EXPECTED_NUMBER, bad, line=line, file=file))
                continue
            prov = (_missing_prov(path, mark, cfg, what_of[c]) if val != val
                    else _user_prov(path, mark, cfg, what_of[c]))
            cell = f"{letters[c]}{line}" if c in letters else None
            by_year.setdefault(year, {})[ind] = (val, prov, line, c, cell)
        for year, vals in by_year.items():
            out.append({"quartier_id": qid, "year": int(year), "file": file, "line": line,
                        "part": f"{file}::{sheet}::{block}", "sheet": sheet, "block": block,
                        "values": vals})
    if n_filtered:
        excluded.append({"file": file, "line": None,
                         "name": f"{n_filtered} row(s) not matching filter_rows {filters}"})
    return out, problems
