"""Input checks and small helpers shared by the staggered-adoption estimators
(:mod:`.staggered`, :mod:`.event_time`, :mod:`.bacon`): the working frame with cohorts, the
treatment/cohort consistency check, event time in index steps, normal p-values and labels.
The conventions are listed in the :mod:`.staggered` module docstring.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _cotreat, _prep

CONTROLS = ("never_treated", "not_yet_treated")
EST_METHODS = ("reg", "dr", "ipw")
AGGREGATIONS = ("simple", "dynamic", "group", "calendar")
_R_CONTROL = {"never_treated": "nevertreated", "not_yet_treated": "notyettreated"}


def _prepare_staggered(df: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
                       covariates: list[str], control: str | None, anticipation: int,
                       what: str, treatment: str | None = None,
                       comparison_mask: str | None = None) -> dict[str, Any]:
    """Checks and cleaning shared by the staggered estimators. Returns the working frame with
    columns ``_u, _t (float), _g (float, 0 = never), _y, _x0..`` and what was dropped/recoded."""
    _prep.require_columns(df, {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort,
                               "treatment": treatment,
                               **{f"covariate {i + 1}": c for i, c in enumerate(covariates)}}, what=what)
    _prep.require_numeric(df, [outcome, *covariates], what=what)
    msgs: list[str] = _prep.check_panel(df, unit=unit, time=time, outcome=outcome, cohort=cohort,
                                        funded=[treatment], what=what)
    tnum, tmap = _prep.time_index(df[time])
    numeric_time = all(isinstance(k, (int, float, np.integer, np.floating)) for k in tmap)
    g = _prep.parse_cohort(df[cohort], None if numeric_time else tmap, what=what)
    d = pd.DataFrame({"_u": df[unit].to_numpy(), "_t": tnum.to_numpy(), "_g": g.to_numpy(),
                      "_y": pd.to_numeric(df[outcome]).astype(float).to_numpy()}, index=df.index)
    for i, c in enumerate(covariates):
        d[f"_x{i}"] = pd.to_numeric(df[c]).astype(float).to_numpy()
    ids = [unit, time]
    # missing unit/time/outcome/covariates: drop and report
    named = d.rename(columns={"_u": unit, "_t": time, "_y": outcome,
                              **{f"_x{i}": c for i, c in enumerate(covariates)}})
    named[time] = df[time].to_numpy()
    dropped = _prep.drop_missing(named, [unit, time, outcome, *covariates], ids=ids, what=what)[1]
    if len(dropped):
        d = d.drop(index=dropped["row"])
        msgs.append(f"{what}: {len(dropped)} rows with missing values dropped (see result.dropped)")
    dup = d.duplicated(["_u", "_t"], keep=False)
    if dup.any():
        ex = d.loc[dup].head(10)
        raise DataValidationError([Problem(column=f"{unit}, {time}", row=r, value=(u, t),
                                           expected=f"one row per {unit} and {time}")
                                   for r, u, t in zip(ex.index, ex["_u"], ex["_t"], strict=True)], what=what)
    _prep.require_unit_constant(d, "_u", "_g", what=f"{what} (column {cohort!r} = first treated period)")
    if treatment is not None:
        _check_treatment(df.loc[d.index], d, treatment=treatment, unit=unit, time=time, cohort=cohort, what=what)
    periods = np.sort(d["_t"].unique())
    if len(periods) < 2:
        raise DataValidationError([Problem(column=time, expected="at least two periods with data")], what=what)
    drops = [dropped]

    def _drop(mask: np.ndarray, reason: str) -> None:
        nonlocal d
        if not mask.any():
            return
        sub = d.loc[mask]
        fr = pd.DataFrame({"row": sub.index, unit: sub["_u"].to_numpy(),
                           time: df.loc[sub.index, time].to_numpy(), "missing": "", "reason": reason})
        drops.append(fr)
        d = d.loc[~mask]

    # cohorts after the last period -> never treated (R did does the same)
    late = d["_g"] > periods[-1]
    if late.any():
        n_late = d.loc[late, "_u"].nunique()
        msgs.append(f"{n_late} units first treated after the last period ({_lab(periods[-1])}) are "
                    "treated as never treated in this sample")
        d.loc[late, "_g"] = 0.0
    notes = []
    if comparison_mask is not None:  # restricted comparison group (impact/_cotreat.py)
        eligible = _cotreat.mask_by_unit(df.loc[d.index], unit=unit, mask=comparison_mask, what=what)
        ok = d["_u"].map(eligible).to_numpy(dtype=bool)
        never = (d["_g"] == 0).to_numpy()
        n_out, n_kept = d.loc[never & ~ok, "_u"].nunique(), d.loc[never & ok, "_u"].nunique()
        n_tr_out = d.loc[~never & ~ok, "_u"].nunique()
        _drop(never & ~ok, f"untreated unit outside the comparison group ({comparison_mask} is False)")
        notes.append(_cotreat.mask_note(comparison_mask, n_kept=n_kept, n_out=n_out, n_treated_outside=n_tr_out))
        if n_tr_out:
            msgs.append(f"{what}: {n_tr_out} treated unit(s) have {comparison_mask} = False; they stay in the "
                        "estimate as treated units (and, before their start, as not-yet-treated observations)")
    # always treated: no pre-treatment period
    always = (d["_g"] > 0) & (d["_g"] - anticipation <= periods[0])
    if always.any():
        n_al = d.loc[always, "_u"].nunique()
        msgs.append(f"{n_al} units treated from the first period ({_lab(periods[0])}) on have no "
                    "pre-treatment period and are dropped (see result.dropped)")
        _drop(always.to_numpy(), "treated from the first observed period: no pre-treatment period")
    unit_g = d.groupby("_u")["_g"].first()
    if (unit_g > 0).sum() == 0:
        raise DataValidationError([Problem(column=cohort, expected="at least one treated unit "
                                           "(first treated period within the observed periods)")], what=what)
    if control is not None and (unit_g == 0).sum() == 0:
        if control == "never_treated":
            raise DataValidationError([Problem(
                column=cohort, expected="at least one never-treated unit (cohort 0 or missing) for "
                "control='never_treated'; all units are treated at some point - use "
                "control='not_yet_treated' (compares with units treated later)")], what=what)
        # not yet treated without never-treated units: the last cohort serves as comparison
        last = unit_g.max()
        if (unit_g < last).sum() == 0:
            raise DataValidationError([Problem(column=cohort, expected="units that start at different "
                                               "times or never-treated units: all units start in "
                                               f"{_lab(last)}, so there is no comparison group")], what=what)
        msgs.append(f"no never-treated units: the last cohort ({_lab(last)}) serves as comparison "
                    f"group; periods from {_lab(last - anticipation)} on are dropped (as R did)")
        _drop((d["_t"] >= last - anticipation).to_numpy(), "period from the start of the last cohort on "
              "(no comparison group left)")
        d.loc[d["_g"] == last, "_g"] = 0.0
        periods = np.sort(d["_t"].unique())
        unit_g = d.groupby("_u")["_g"].first()
    # few treated units / single-unit cohorts
    msg = _prep.small_cohort_warning(unit_g, what=what)
    if msg:
        msgs.append(msg)
    n_tr = int((unit_g > 0).sum())
    msg = _prep.few_clusters_warning(n_tr, int(len(unit_g)), what=what)
    if msg:
        msgs.append(msg)
    counts = d.groupby("_u").size()
    n_unbal = int((counts < len(periods)).sum())
    all_dropped = pd.concat([x for x in drops if len(x)], ignore_index=True) if any(len(x) for x in drops) \
        else _prep.empty_dropped(ids)
    to_label = {float(v): v for v in tmap.values()} if numeric_time else {v: k for k, v in tmap.items()}
    to_label = {float(k): (int(v) if isinstance(v, (float, np.floating)) and float(v).is_integer() else v)
                for k, v in to_label.items()}
    for gval in unit_g.unique():
        to_label.setdefault(float(gval), int(gval) if float(gval).is_integer() else gval)
    return {"data": d.reset_index(drop=True), "warnings": msgs, "dropped": all_dropped,
            "periods": periods, "n_unbalanced_units": n_unbal, "to_label": to_label, "notes": notes}


def _check_treatment(df: pd.DataFrame, d: pd.DataFrame, *, treatment: str, unit: str, time: str, cohort: str,
                     what: str) -> None:
    """A 0/1 treatment must be absorbing and equal ``1{t >= cohort}`` (cohort 0 = never)."""
    _prep.require_numeric(df, [treatment], what=what)
    dv = pd.to_numeric(df[treatment]).astype(float).to_numpy()
    ok = np.isin(dv, (0.0, 1.0)) | np.isnan(dv)
    if not ok.all():
        rows = df.index[~ok][:10]
        raise DataValidationError([Problem(column=treatment, row=r, value=df.at[r, treatment],
                                           expected="0/1 or True/False") for r in rows], what=what)
    tmp = pd.DataFrame({"u": d["_u"].to_numpy(), "t": d["_t"].to_numpy(), "d": np.nan_to_num(dv)})
    sw = _prep.switching_off(tmp, unit="u", time="t", treatment="d")
    if len(sw):
        raise DataValidationError([Problem(column=treatment, row=u, expected=f"an absorbing treatment (staggered "
                                           f"adoption): {unit} {u!r} is treated from {_lab(on)} but not in "
                                           f"{_lab(off)}; Callaway & Sant'Anna needs treatment that stays on")
                                   for u, on, off in sw.head(20).itertuples(index=False)], what=what)
    implied = ((d["_g"] > 0) & (d["_t"] >= d["_g"])).to_numpy()
    bad = (~np.isnan(dv)) & (implied != (dv == 1))
    if bad.any():
        rows = d.index[bad][:10]
        raise DataValidationError([Problem(column=treatment, row=r, value=df.at[r, treatment],
                                           expected=f"{int(implied[d.index.get_loc(r)])} = 1{{{time} >= {cohort}}} "
                                           f"({cohort} = {_lab(d.at[r, '_g'])})") for r in rows], what=what)


def _event_time(g: np.ndarray, t: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Event time in index steps of the observed periods: pos(t) - pos(first period >= g)."""
    periods = np.asarray(periods, dtype=float)
    pos_t = np.searchsorted(periods, t)
    pos_g = np.searchsorted(periods, g)  # first observed period >= g
    return (pos_t - pos_g).astype(int)

def _z(alpha: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(1 - alpha / 2))


def _pvalue(est, se) -> np.ndarray:
    from scipy import stats

    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 2 * stats.norm.sf(np.abs(est / se))


def _lab(v):
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return int(v)
    if isinstance(v, np.integer):
        return int(v)
    return v
