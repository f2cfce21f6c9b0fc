"""Overlapping programmes (issue 11, item 1): co-treatments and restricted comparison groups.

LLQ's Quartierszentren sit in WiN areas, and WiN funding rose in 2020: a naive comparison credits
LLQ with what WiN did. Two tools, shared by the estimators:

* **Co-treatments** - other programmes' funding as time-varying regressors in the TWFE designs
  (:func:`~llq_analysis.impact.did.twfe`, :func:`~llq_analysis.impact.event_study.event_study`):
  ``covariates=["win_eur_per_capita"]``. Covariates named ``*_eur_per_capita`` (the schema's
  programme funding per resident) are recognised as co-treatments; ``co_treatments=`` names
  others. Callaway & Sant'Anna conditions on covariates at the base period only, so a
  time-varying co-treatment there is refused with an error naming the alternatives.
* **Restricted comparison group** - ``comparison_mask="<boolean column>"``: a column, constant
  within unit, that marks the units eligible as comparisons (e.g. "is a WiN area"). Untreated
  units outside it are left out and reported in ``dropped``
  (:func:`~llq_analysis.impact.staggered.staggered_did`, Sun & Abraham, imputation,
  :func:`~llq_analysis.impact.before_after.compare_before_after`).

Each use adds a short note (German by default) to the result's summary saying what is and what
is not separated. Nothing heavy is imported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _prep

PROGRAMME_SUFFIX = "_eur_per_capita"  # schema convention for programme funding per resident


class UnsupportedDesignError(NotImplementedError, ValueError):
    """The estimator cannot handle this design; the message names the alternative."""


def co_treatments(covariates: Sequence[str], explicit: Iterable[str] | None, *, treatment: str | None) -> list[str]:
    """Covariates that are other programmes' funding: ``explicit`` plus ``*_eur_per_capita`` ones."""
    out = [c for c in (explicit or ()) if c]
    out += [c for c in covariates if str(c).endswith(PROGRAMME_SUFFIX)]
    return [c for c in dict.fromkeys(out) if c != treatment]


def co_treatment_note(df: pd.DataFrame, data: pd.DataFrame, *, treatment: str | None, cos: Sequence[str],
                      dropped: pd.DataFrame | None, treated: np.ndarray | None = None) -> _prep.Message | None:
    """The summary note for co-treatments ``cos``: overlap with the treatment and rows lost."""
    if not cos:
        return None
    n_lost = 0
    if dropped is not None and len(dropped) and "missing" in dropped:
        miss = dropped["missing"].astype(str)
        n_lost = int(miss.map(lambda m: any(c in m.split(", ") for c in cos)).sum())
    if treated is None and treatment is not None:
        treated = _prep.as_float(data[treatment]) > 0
    co_on = np.zeros(len(data), dtype=bool)
    for c in cos:
        co_on |= np.nan_to_num(_prep.as_float(data[c]), nan=0.0) > 0
    overlap = float(co_on[treated].mean()) * 100 if treated is not None and treated.any() else float("nan")
    return _prep.Message("cotreat.note", cols=", ".join(cos), overlap=f"{overlap:.0f}", lost=n_lost,
                         total=len(df))


def refuse_time_varying(df: pd.DataFrame, *, unit: str, covariates: Sequence[str], explicit: Iterable[str] | None,
                        what: str) -> None:
    """Callaway & Sant'Anna uses covariates at the base period: refuse a co-treatment that varies within units."""
    bad = []
    for c in co_treatments(covariates, explicit, treatment=None):
        if c in df.columns and (df.groupby(unit, sort=False)[c].nunique(dropna=True) > 1).any():
            bad.append(c)
    if bad:
        cols = ", ".join(repr(c) for c in bad)
        raise UnsupportedDesignError(
            f"{what}: the co-treatment {cols} varies over time within units, but Callaway & Sant'Anna conditions "
            "on covariates at the base period only, so later changes of the other programme would not be "
            f"separated. Use twfe(..., covariates=[{cols}]) or event_study(..., covariates=[{cols}]) for a "
            "time-varying co-treatment, or restrict the comparison group with comparison_mask='<boolean column>' "
            "(e.g. comparison units that are also WiN areas).")


def mask_by_unit(df: pd.DataFrame, *, unit: str, mask: str, what: str) -> pd.Series:
    """``mask`` (boolean or 0/1, no missing values, constant within unit) as a bool Series by unit."""
    _prep.require_columns(df, {"comparison_mask": mask}, what=what)
    col = df[mask]
    v = pd.to_numeric(col.astype("float64") if pd.api.types.is_bool_dtype(col) else col, errors="coerce")
    bad = col.isna() | ~v.isin([0.0, 1.0])
    if bad.any():
        raise DataValidationError([Problem(column=mask, row=r, value=col.at[r],
                                           expected="True/False (or 1/0) for every row: the comparison mask "
                                           "marks the units eligible as comparisons")
                                   for r in col.index[bad.to_numpy()][:10]], what=what)
    _prep.require_unit_constant(pd.DataFrame({unit: df[unit], mask: v}), unit, mask, what=what)
    return v.astype(bool).groupby(df[unit], sort=False).first()


def mask_note(mask: str, *, n_kept: int, n_out: int, n_treated_outside: int = 0) -> _prep.Message:
    return _prep.Message("cotreat.mask", col=mask, kept=n_kept, out=n_out, tr_out=n_treated_outside)
