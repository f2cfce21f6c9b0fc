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

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..errors import DataValidationError, Problem
from . import schema
from .loaders import read_panel, table_problems, validate_panel
from .official import (
    _EXPECTED_NUMBER,
    _MARK_ALIASES,
    _SPACES,
    _YEAR_LABEL_RX,
    FLAGS,
    MARK_SUFFIX,
    MARKS,
    _err,
    _is_empty,
    _number,
    _split_flag,
    _text,
    mark_reason,
    parse_german_number,
    read_official_table,
)

__all__ = ["build_panel", "load_mapping", "check_panel", "read_panel", "read_official_table",
           "parse_german_number", "mark_reason", "MARKS", "FLAGS", "MARK_SUFFIX"]

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


def check_panel(df: pd.DataFrame, *, quartiers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Validate an imported panel (same rules as :func:`llq_analysis.validate_panel`, which accepts
    an empty value wherever its ``<column>_provenance`` says ``missing``). Kept for the public API."""
    return validate_panel(df, quartiers=quartiers)


def _funding_for(funding, quartiers_given: bool, warn: list[str]) -> pd.DataFrame | None:
    if funding is False:
        return None
    if funding is None:
        if quartiers_given:
            warn.append("llq_* columns not derived: pass funding= when using your own quartiers table")
            return None
        from .loaders import load_funding

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
        "provenance": "user",
    })
    return panel
