"""Statistical disclosure control for every table that leaves the package.

Rules (Statistik der Bundesagentur für Arbeit, § 16 BStatG, § 281(3) SGB III; see
``../shared/domain/DOMAIN.md`` §5 and statistik.arbeitsagentur.de "Statistische Geheimhaltung"):

1. **Primary suppression of counts**: a count of persons below ``min_count`` (default 3) is not
   shown. This includes 0 (the toolkit rule "suppress every cell with n < 3"): a shown 0 would
   tell the reader that *no* resident of a small quartier is, say, in an SGB II household.
2. **Rates**: a rate (e.g. the SGB II rate in %) is not shown when its numerator is below
   ``min_count`` persons, when its base (denominator) is below ``min_count`` persons, or when its
   numerator cell is suppressed in the same table (for whatever reason): a shown rate together
   with the base would give the numerator back. When the numerator is not a column of the table
   it is derived as ``rate * base / scale`` (``scale`` = 100 for percent).
3. **Secondary suppression**: for every additive line (a total row = sum of member rows, for every
   count column; a total column = sum of member columns, in every row) the hidden cells of the line
   must be either none, or at least two whose sum is at least ``min_count`` (or include the total
   itself). Otherwise the next-smallest shown member cell is hidden too, and the check is repeated
   over all lines until nothing changes (hierarchies such as quartier -> city -> Land are handled
   by iterating). So subtraction from a total never reveals a suppressed cell, nor that the hidden
   cells together hold fewer than ``min_count`` persons.
4. **Rounding** (optional, ``round_to`` = 5 or 10): shown counts are rounded half up to a multiple
   of ``round_to`` after suppression, as the BA's newer web offers (10) and the personnel
   statistics of the Statistische Ämter (5) do. Totals are rounded on their own, so rounded
   members need not add up to the rounded total. With ``round_to=10`` a count of 3 or 4 is shown
   as 0 (meaning 0-4), as in the official practice.

Suppressed cells carry the official mark ``"x"`` (Statistisches Landesamt Bremen). Count columns
are renamed so that a reader knows they count persons (German ``" (Personen)"``, English
``" (persons)"``).

Not covered (documented limits): the BA's dominance rule (one unit dominating a cell) applies to
tables of establishments, not to counts of persons in a quartier; totals published *outside* the
table must be added to the table (as a total row) to be taken into account.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem

MARK = "x"
DEFAULT_MIN_COUNT = 3
COUNT_SUFFIX = {"de": " (Personen)", "en": " (persons)"}

__all__ = ["MARK", "DEFAULT_MIN_COUNT", "COUNT_SUFFIX", "RateSpec", "disclose", "suppression_mask",
           "count_column_name"]


@dataclass(frozen=True)
class RateSpec:
    """How a rate column relates to persons: its numerator and/or base column, and its scale.

    ``numerator``: column with the count of persons behind the rate (None: derived as
    ``rate * base / scale``); ``base``: column with the reference population (persons);
    ``scale``: 100 for percent, 1000 for per mille, 1 for shares.
    """

    numerator: str | None = None
    base: str | None = None
    scale: float = 100.0


def count_column_name(column: str, lang: str = "de") -> str:
    """Exported name of a count column: ``"Einwohner"`` -> ``"Einwohner (Personen)"``."""
    suffix = COUNT_SUFFIX[lang]
    return column if column.endswith(suffix) else f"{column}{suffix}"


def _rate_specs(rate_columns) -> dict[str, RateSpec]:
    out: dict[str, RateSpec] = {}
    for rate, spec in (rate_columns or {}).items():
        if isinstance(spec, RateSpec):
            out[rate] = spec
        elif isinstance(spec, str):
            out[rate] = RateSpec(numerator=spec)
        elif isinstance(spec, Mapping):
            unknown = set(spec) - {"numerator", "base", "scale"}
            if unknown:
                raise ValueError(f"rate_columns[{rate!r}]: unknown keys {sorted(unknown)}; "
                                 "expected 'numerator', 'base', 'scale'")
            out[rate] = RateSpec(**spec)
        else:
            raise TypeError(f"rate_columns[{rate!r}] must be a column name, a dict or a RateSpec, "
                            f"got {type(spec).__name__}")
        if out[rate].numerator is None and out[rate].base is None:
            raise ValueError(f"rate_columns[{rate!r}] needs a numerator or a base column")
    return out


def _all_counts(count_columns: Sequence[str], rates: Mapping[str, RateSpec]) -> list[str]:
    """Declared count columns plus every numerator/base column of a rate (those count persons too)."""
    if isinstance(count_columns, str):
        count_columns = [count_columns]
    extra = [c for s in rates.values() for c in (s.numerator, s.base) if c is not None]
    return list(dict.fromkeys([*count_columns, *extra]))


def _check_input(table, count_columns, rates, totals, column_totals, min_count, round_to):
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"disclose() expects a pandas DataFrame, got {type(table).__name__}")
    if not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise ValueError(f"min_count must be a positive whole number of persons, got {min_count!r}")
    if round_to not in (None, 5, 10):
        raise ValueError(f"round_to must be None, 5 or 10, got {round_to!r}")
    if not table.index.is_unique:
        raise ValueError("disclose() needs unique row labels (set key= to a column with unique "
                         "labels, or reset the index)")
    problems: list[Problem] = []
    needed = list(count_columns)
    for rate, spec in rates.items():
        needed += [rate] + [c for c in (spec.numerator, spec.base) if c is not None]
    for tot, members in (column_totals or {}).items():
        needed += [tot, *members]
    for c in dict.fromkeys(needed):
        if c not in table.columns:
            problems.append(Problem(column=str(c), expected="a column of the table "
                                    f"(available: {', '.join(map(str, table.columns))})"))
    for c in dict.fromkeys(needed):
        if c not in table.columns:
            continue
        s = table[c]
        num = pd.to_numeric(s, errors="coerce")
        for idx in s.index[num.isna() & s.notna()]:
            problems.append(Problem(column=str(c), expected="a number", value=s[idx], row=idx))
        if c in count_columns:
            for idx in s.index[num.notna() & ((num < 0) | (num % 1 != 0))]:
                problems.append(Problem(column=str(c), expected="a whole number of persons >= 0 "
                                        "(round derived counts before disclosure)",
                                        value=s[idx], row=idx))
    for tot, members in (totals or {}).items():
        for lab in [tot, *members]:
            if lab not in table.index:
                problems.append(Problem(column=None, row=lab,
                                        expected="a row label of the table (totals refer to rows)"))
    for tot, members in (column_totals or {}).items():
        for c in [tot, *members]:
            if c in table.columns and c not in count_columns:
                problems.append(Problem(column=str(c), expected="a count column (column totals "
                                        "must be listed in count_columns)"))
    if problems:
        raise DataValidationError(problems, what="the table to disclose")


def suppression_mask(table: pd.DataFrame, *, count_columns: Sequence[str] = (),
                     rate_columns: Mapping[str, str | Mapping | RateSpec] | None = None,
                     min_count: int = DEFAULT_MIN_COUNT,
                     totals: Mapping[Hashable, Sequence[Hashable]] | None = None,
                     column_totals: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Why each cell is hidden: ``""`` (shown), ``"primary"``, ``"secondary"`` or ``"rate"``.

    Same arguments as :func:`disclose` (row labels are the table's index). Only count and rate
    columns can be hidden; every other column is reported as shown.
    """
    rates = _rate_specs(rate_columns)
    count_columns = _all_counts(count_columns, rates)
    _check_input(table, count_columns, rates, totals, column_totals, min_count, None)
    reason = pd.DataFrame("", index=table.index, columns=table.columns, dtype=object)
    counts = {c: pd.to_numeric(table[c]) for c in count_columns}

    # 1. primary suppression of counts
    for c in count_columns:
        reason.loc[counts[c].notna() & (counts[c] < min_count), c] = "primary"

    # 2. secondary suppression over additive lines (total cell first, then members)
    lines: list[list[tuple[Hashable, str]]] = []
    for tot, members in (totals or {}).items():
        for c in count_columns:
            lines.append([(tot, c)] + [(m, c) for m in members])
    for tot, members in (column_totals or {}).items():
        for r in table.index:
            lines.append([(r, tot)] + [(r, m) for m in members])

    def value(cell):
        v = counts[cell[1]][cell[0]]
        return float("inf") if pd.isna(v) else float(v)

    def hidden(cell):
        return reason.at[cell] != ""

    changed = True
    while changed:
        changed = False
        for line in lines:
            total, members = line[0], line[1:]
            hid = [cell for cell in line if hidden(cell)]
            if not hid:
                continue
            hidden_sum = sum(value(cell) for cell in hid if cell != total)
            safe = len(hid) >= 2 and (hidden(total) or hidden_sum >= min_count)
            if safe:
                continue
            shown = sorted((cell for cell in members if not hidden(cell) and np.isfinite(value(cell))),
                           key=value)
            target = shown[0] if shown else (total if not hidden(total) else None)
            if target is not None:
                reason.at[target] = "secondary"
                changed = True

    # 3. rates: numerator or base below min_count, or numerator hidden in this table
    for rate, spec in rates.items():
        r = pd.to_numeric(table[rate])
        num = (pd.to_numeric(table[spec.numerator]) if spec.numerator is not None
               else r * pd.to_numeric(table[spec.base]) / spec.scale)
        bad = num.round(6) < min_count
        if spec.base is not None:
            bad |= pd.to_numeric(table[spec.base]) < min_count
        if spec.numerator is not None and spec.numerator in count_columns:
            bad |= reason[spec.numerator] != ""
        bad &= r.notna()
        if rate in count_columns:
            bad &= reason[rate] == ""
        reason.loc[bad, rate] = "rate"
    return reason


def _round_half_up(values: pd.Series, base: int) -> pd.Series:
    return (np.floor(values / base + 0.5) * base).astype("Int64")


def disclose(table: pd.DataFrame, *, count_columns: Sequence[str] = (),
             rate_columns: Mapping[str, str | Mapping | RateSpec] | None = None,
             min_count: int = DEFAULT_MIN_COUNT,
             totals: Mapping[Hashable, Sequence[Hashable]] | None = None,
             column_totals: Mapping[str, Sequence[str]] | None = None,
             round_to: int | None = None, key: str | None = None, lang: str = "de",
             label_counts: bool = True, mark: str = MARK) -> pd.DataFrame:
    """Return a copy of ``table`` that is safe to publish (suppressed cells shown as ``"x"``).

    Parameters
    ----------
    table : the table to publish; never modified.
    count_columns : columns holding counts of persons (whole numbers >= 0). The numerator and base
        columns of ``rate_columns`` are treated as counts of persons too.
    rate_columns : ``{rate_column: numerator_column}`` or ``{rate_column: {"numerator": ..,
        "base": .., "scale": 100}}`` (or a :class:`RateSpec`); rates are hidden when the numerator
        or base is below ``min_count`` persons or the numerator cell is hidden.
    min_count : smallest count of persons that may be shown (3 in the BA rules).
    totals : ``{total_row_label: [member_row_labels]}``: for every count column the total row is
        the sum of the member rows (secondary suppression protects it). Hierarchies are allowed.
    column_totals : ``{total_column: [member_columns]}``: in every row the total column is the
        sum of the member columns.
    round_to : None, 5 or 10: round shown counts (half up) to this multiple.
    key : a column whose (unique) values are the row labels used by ``totals`` (default: index).
    lang : "de" or "en": suffix of the renamed count columns (" (Personen)" / " (persons)").
    label_counts : rename count columns with that suffix (default True).
    mark : what a hidden cell shows ("x", the official mark).

    Returns
    -------
    DataFrame with the same rows and column order; count columns as whole numbers, hidden cells as
    ``mark``. ``result.attrs["disclosure"]`` records the rule, the renamed columns and how many
    cells were hidden for which reason.
    """
    if lang not in COUNT_SUFFIX:
        raise ValueError(f"lang must be one of {sorted(COUNT_SUFFIX)}, got {lang!r}")
    if round_to not in (None, 5, 10):
        raise ValueError(f"round_to must be None, 5 or 10, got {round_to!r}")
    work = table
    if key is not None:
        if key not in table.columns:
            raise DataValidationError([Problem(column=key, expected="a column with unique row labels")],
                                      what="the table to disclose")
        work = table.set_index(key, drop=False)
    reason = suppression_mask(work, count_columns=count_columns, rate_columns=rate_columns,
                              min_count=min_count, totals=totals, column_totals=column_totals)
    rates = _rate_specs(rate_columns)
    count_columns = _all_counts(count_columns, rates)
    out = work.copy()
    for c in count_columns:
        vals = pd.to_numeric(out[c]).astype("Int64")
        if round_to is not None:
            vals = _round_half_up(vals.astype("float64"), round_to)
        col = vals.astype(object).where(vals.notna(), None)
        out[c] = col.where(reason[c] == "", mark)
    for rate in rates:
        if rate in count_columns:
            continue
        col = pd.to_numeric(out[rate]).astype(object)
        out[rate] = col.where(reason[rate] == "", mark)
    if key is not None:
        out = out.reset_index(drop=True)
    renamed = {c: count_column_name(c, lang) for c in count_columns} if label_counts else {}
    out = out.rename(columns=renamed)
    kinds = reason.stack()
    out.attrs = {"disclosure": {
        "rule": f"Statistik der BA: counts < {min_count} persons hidden, rates with numerator or "
                f"base < {min_count} hidden, secondary suppression of totals"
                + (f", counts rounded to multiples of {round_to}" if round_to else ""),
        "mark": mark,
        "min_count": int(min_count),
        "round_to": round_to,
        "count_columns": [renamed.get(c, c) for c in count_columns],
        "rate_columns": {renamed.get(r, r): {"numerator": renamed.get(s.numerator, s.numerator),
                                             "base": renamed.get(s.base, s.base), "scale": s.scale}
                         for r, s in rates.items()},
        "n_primary": int((kinds == "primary").sum()),
        "n_secondary": int((kinds == "secondary").sum()),
        "n_rate": int((kinds == "rate").sum()),
    }}
    return out
