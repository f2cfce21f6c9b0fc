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

from ..errors import DataValidationError, Problem
from . import schema
from .official import _err

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
