"""Load the bundled tables and validate any panel, quartier or funding table.

Validation is strict and complete: every problem is collected and raised at once as one
:class:`~llq_analysis.errors.DataValidationError` naming file, line, column, value and what was
expected. Nothing is silently dropped or coerced.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import DataValidationError, Problem
from . import schema

__all__ = [
    "load_quartiers",
    "load_panel",
    "load_funding",
    "load_published_indicators",
    "validate_panel",
    "validate_quartiers",
    "validate_funding",
    "write_csv_atomic",
    "read_panel",
    "table_problems",
    "DataValidationError",
]

_DTYPES = {"str": "string", "int": "Int64", "float": "float64", "bool": "boolean"}


def _read_bundled(path: Path, table: str) -> pd.DataFrame:
    if not path.exists():
        raise FileNotFoundError(
            f"bundled table {path} is missing; regenerate it with "
            "`python -m llq_analysis.data.reference_data` (see data/README.md)"
        )
    dtypes = {}
    for c in schema.SPECS[table].columns:
        dtypes[c.name] = _DTYPES[c.dtype]
        if c.has_provenance:
            dtypes[schema.provenance_column(c.name)] = "string"
    df = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""])
    df.attrs["source_file"] = str(path)
    return df


def load_quartiers(*, use_pandera: bool = True) -> pd.DataFrame:
    """All Ortsteile of Bremen and Bremerhaven (one row per ``quartier_id``), validated.

    ``use_pandera=False`` skips only the pandera cross-check (its import costs seconds on a cold
    start); every rule of the schema is still applied by the package's own checks.
    """
    df = _read_bundled(paths.QUARTIERS_CSV, "quartiers")
    validate_quartiers(df, use_pandera=use_pandera)
    return df


def load_panel(path: str | os.PathLike | None = None, *, use_pandera: bool = True) -> pd.DataFrame:
    """The quartier x year panel, validated: the bundled **published** panel (2005-2024, only
    values of the Statistisches Landesamt Bremen, empty where nothing is published), or a panel
    CSV written by ``llq build-panel``. The simulated demo panel is :func:`load_demo_panel`.
    """
    return _load_panel_file(path, paths.PANEL_CSV, use_pandera=use_pandera)


def load_demo_panel(*, use_pandera: bool = True) -> pd.DataFrame:
    """The **simulated** demo panel (2012-2024, on the official geography, with a known built-in
    LLQ effect; every value marked ``simulated``): for demonstrating and checking methods only."""
    return _load_panel_file(None, paths.DEMO_PANEL_CSV, use_pandera=use_pandera)


def _load_panel_file(path, default: Path, *, use_pandera: bool) -> pd.DataFrame:
    p = Path(path) if path is not None else default
    if path is None and not p.exists():
        raise FileNotFoundError(f"bundled table {p} is missing; regenerate it with `make data`")
    df = read_panel(p)
    quartiers = load_quartiers(use_pandera=use_pandera) if path is None else None
    validate_panel(df, quartiers=quartiers, use_pandera=use_pandera)
    return df


def load_funding(*, use_pandera: bool = True) -> pd.DataFrame:
    """Funding rows (programme, strand, city, quartier_id, year, amount_eur, provenance, source)."""
    df = _read_bundled(paths.FUNDING_CSV, "funding")
    validate_funding(df, quartiers=load_quartiers(use_pandera=use_pandera), use_pandera=use_pandera)
    return df


def load_published_indicators() -> pd.DataFrame:
    """Published indicator values (city / Stadtteil level) used as calibration anchors, with sources."""
    return pd.read_csv(paths.PUBLISHED_INDICATORS_CSV)


# ----------------------------------------------------------------------------- validation


def _line_of(df: pd.DataFrame, row) -> int | None:
    lines = df.attrs.get("source_lines")
    if lines is not None:
        try:
            return int(lines[row])
        except (KeyError, IndexError, TypeError, ValueError):
            return None
    if df.attrs.get("source_file") and isinstance(row, (int,)) and isinstance(df.index, pd.RangeIndex):
        return int(row) + 2  # header is line 1
    return None


def _problem(df, column, expected, value=None, row=None) -> Problem:
    return Problem(
        column=column,
        expected=expected,
        value=value,
        row=row,
        line=None if row is None else _line_of(df, row),
        file=df.attrs.get("source_file"),
    )


def _check_table(df: pd.DataFrame, table: str, quartiers: pd.DataFrame | None) -> list[Problem]:
    """Every problem of ``df`` against the spec of ``table`` (pandera plus domain rules)."""
    spec = schema.SPECS[table]
    problems: list[Problem] = []
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame for the {table} table, got {type(df).__name__}")
    required = schema.all_columns(table)
    missing = [c for c in required if c not in df.columns]
    for c in missing:
        problems.append(_problem(df, c, f"required column {c!r} of the {table} table (missing)"))

    present = [c for c in spec.columns if c.name in df.columns]
    # types first: a non-numeric value in a numeric column is reported cell by cell
    for c in present:
        s = df[c.name]
        if c.dtype in ("int", "float"):
            num = pd.to_numeric(s, errors="coerce")
            bad = num.isna() & s.notna()
            for idx in s.index[bad]:
                problems.append(_problem(df, c.name, f"a number ({c.unit})", s[idx], idx))
            if c.dtype == "int":
                frac = num.notna() & (num % 1 != 0)
                for idx in s.index[frac]:
                    problems.append(_problem(df, c.name, "a whole number", s[idx], idx))
            s = num
        if not c.nullable:
            empty = s.isna() & ~(df[c.name].notna() & (c.dtype in ("int", "float")))
            pc = schema.provenance_column(c.name)
            if c.has_provenance and pc in df.columns:  # a real export may lack a value: say so
                empty &= df[pc].astype("string").str.split(":", n=1).str[0].str.strip().ne("missing")
            for idx in s.index[empty.fillna(True)]:
                problems.append(_problem(df, c.name, "a value (column may not be empty unless its "
                                         "provenance says 'missing')", None, idx))
        if c.dtype in ("int", "float"):
            if c.min is not None:
                for idx in s.index[s < c.min]:
                    problems.append(_problem(df, c.name, f">= {c.min} ({c.unit})", s[idx], idx))
            if c.max is not None:
                for idx in s.index[s > c.max]:
                    problems.append(_problem(df, c.name, f"<= {c.max} ({c.unit})", s[idx], idx))
        if c.allowed is not None:
            bad = s.notna() & ~s.isin(c.allowed)
            for idx in s.index[bad]:
                problems.append(_problem(df, c.name, f"one of {list(c.allowed)}", s[idx], idx))
        if c.kinds is not None:
            kinds = s.astype("string").str.split(":", n=1).str[0].str.strip()
            bad = s.notna() & ~kinds.isin(c.kinds)
            for idx in s.index[bad]:
                problems.append(_problem(df, c.name, f"'<kind>' or '<kind>: <detail>' with kind one of "
                                         f"{list(c.kinds)}", s[idx], idx))
        if c.only_in_years is not None and "year" in df.columns:
            yr = pd.to_numeric(df["year"], errors="coerce")
            bad = s.notna() & ~yr.isin(c.only_in_years)
            for idx in s.index[bad]:
                problems.append(_problem(
                    df, c.name, f"no value outside election years {list(c.only_in_years)} "
                    f"(year {df['year'][idx]}; election results are never interpolated)", s[idx], idx))
        if c.has_provenance:
            pc = schema.provenance_column(c.name)
            if pc in df.columns:
                ps = df[pc].astype("string")
                kinds = ps.str.split(":", n=1).str[0].str.strip()
                bad = ps.isna() | ~kinds.isin(schema.PROVENANCE_KINDS)
                for idx in ps.index[bad]:
                    problems.append(_problem(
                        df, pc, f"a provenance starting with one of {list(schema.PROVENANCE_KINDS)}",
                        ps[idx], idx))
                # a value marked missing must be empty, an empty value must be marked missing
                empty = s.isna() & df[c.name].isna()
                marked = kinds == "missing"
                for idx in ps.index[(empty & ~marked & ps.notna()) | (~empty & marked)]:
                    problems.append(_problem(
                        df, pc, "'missing' exactly where the value is empty", ps[idx], idx))

    if spec.unique and all(u in df.columns for u in spec.unique):
        dup = df.duplicated(list(spec.unique), keep=False)
        for idx in df.index[dup]:
            key = tuple(df.loc[idx, list(spec.unique)])
            problems.append(_problem(df, ", ".join(spec.unique), f"unique ({', '.join(spec.unique)})",
                                     key, idx))

    if table == "panel" and "quartier_id" in df.columns:
        # a quartier's programme start is one fact: the same first year (and funded flag) in every row
        for col in ("llq_first_year", "llq_funded"):
            if col not in df.columns:
                continue
            vals = df[[col]].assign(_q=df["quartier_id"]).dropna(subset=[col])
            n_per = vals.groupby("_q")[col].nunique()
            for q in n_per.index[n_per > 1]:
                rows = vals.index[vals["_q"] == q]
                seen = sorted({str(v) for v in vals.loc[rows, col]})
                problems.append(_problem(df, col, f"one value per quartier (quartier {q} has {', '.join(seen)})",
                                         seen, rows[0]))

    if quartiers is not None and "quartier_id" in df.columns and table != "quartiers":
        known = set(quartiers["quartier_id"])
        s = df["quartier_id"]
        bad = s.notna() & ~s.isin(known)
        for idx in s.index[bad]:
            problems.append(_problem(df, "quartier_id", "a known quartier_id (see data/quartiers.csv)",
                                     s[idx], idx))
        if "city" in df.columns:
            city_of = dict(zip(quartiers["quartier_id"], quartiers["city"], strict=True))
            exp = s.map(city_of)
            bad = exp.notna() & df["city"].notna() & (exp != df["city"])
            for idx in s.index[bad]:
                problems.append(_problem(df, "city", f"{exp[idx]!r} (the city of {s[idx]})",
                                         df["city"][idx], idx))
    return problems


def _pandera_problems(df: pd.DataFrame, table: str) -> list[Problem]:
    """Cross-check with the pandera schema (lazy: all failures at once)."""
    import pandera.errors as pae

    try:
        schema.pandera_schema(table).validate(df, lazy=True)
    except pae.SchemaErrors as exc:
        out = []
        for rec in exc.failure_cases.to_dict("records"):
            idx = rec.get("index")
            out.append(_problem(df, rec.get("column"), str(rec.get("check")), rec.get("failure_case"),
                                None if pd.isna(idx) else idx))
        return out
    except (TypeError, ValueError) as exc:  # pandera could not even apply a check
        return [_problem(df, None, f"a table pandera can check ({exc})")]
    return []


def table_problems(df: pd.DataFrame, table: str, *, quartiers: pd.DataFrame | None = None,
                   use_pandera: bool = True) -> list[Problem]:
    """Every problem of ``df`` as table ``table`` ("panel", "quartiers", "funding"); [] if valid."""
    problems = _check_table(df, table, quartiers)
    if not problems and use_pandera:
        problems = _pandera_problems(df, table)
    return problems


def _validate(df, table, quartiers, use_pandera: bool) -> None:
    problems = table_problems(df, table, quartiers=quartiers, use_pandera=use_pandera)
    if problems:
        raise DataValidationError(problems, what=f"the {table} table"
                                  + (f" ({df.attrs['source_file']})" if df.attrs.get("source_file") else ""))


def validate_panel(df: pd.DataFrame, *, quartiers: pd.DataFrame | None = None,
                   use_pandera: bool = True) -> pd.DataFrame:
    """Check a panel; raise one :class:`DataValidationError` listing every problem, else return ``df``.

    Rules: required columns; unique (``quartier_id``, ``year``); rates within [0, 100] %;
    counts and money >= 0; turnout only in election years; a provenance for every value;
    ``quartier_id`` known (when ``quartiers`` is given) and in the right city.
    """
    _validate(df, "panel", quartiers, use_pandera)
    return df


def validate_quartiers(df: pd.DataFrame, *, use_pandera: bool = True) -> pd.DataFrame:
    """Check a quartier table (unique ids, cities, populations >= 0)."""
    _validate(df, "quartiers", None, use_pandera)
    return df


def validate_funding(df: pd.DataFrame, *, quartiers: pd.DataFrame | None = None,
                     use_pandera: bool = True) -> pd.DataFrame:
    """Check a funding table (money >= 0, known quartiers, provenance kinds)."""
    _validate(df, "funding", quartiers, use_pandera)
    return df


# ----------------------------------------------------------------------------- writing


def write_csv_atomic(df: pd.DataFrame, path: str | os.PathLike, **kwargs) -> Path:
    """Write ``df`` as CSV via a temporary file and an atomic rename: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            df.to_csv(fh, index=False, lineterminator="\n", **kwargs)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(text: str | bytes, path: str | os.PathLike) -> Path:
    """Write text or bytes atomically (temporary file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8") if isinstance(text, str) else text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def provenance_counts(df: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Count values by provenance kind per column (published / simulated / ...)."""
    cols = list(columns) if columns is not None else schema.panel_value_columns()
    rows = []
    for c in cols:
        pc = schema.provenance_column(c)
        if pc not in df.columns:
            continue
        kinds = df[pc].astype("string").str.split(":", n=1).str[0].str.strip()
        for kind, n in kinds.value_counts().items():
            rows.append({"column": c, "provenance": kind, "n_values": int(n)})
    return pd.DataFrame(rows, columns=["column", "provenance", "n_values"])


def read_panel(path: str | os.PathLike) -> pd.DataFrame:
    """Read a panel CSV (as written by ``llq build-panel``) with the schema's dtypes.

    Cells that are not numbers / booleans where the schema wants them are reported with their line
    in one DataValidationError (never a bare pandas error). Validate with :func:`validate_panel`.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if not p.read_bytes().strip():
        raise DataValidationError([Problem(None, "a panel CSV (the file is empty)", file=str(p))],
                                  what=f"the panel {p}")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataValidationError([Problem(None, f"a comma-separated UTF-8 panel CSV ({exc})",
                                           file=str(p))], what=f"the panel {p}") from None
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
