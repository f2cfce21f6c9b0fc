"""Staggered adoption: Callaway & Sant'Anna ATT(g,t) and their aggregations.

Sun & Abraham and the imputation estimator are in :mod:`.event_time`; the Goodman-Bacon
decomposition is in :mod:`.bacon`. The conventions below hold for all three modules.

Why: LLQ funds quartiers from different years (2021-2024). A plain two-way fixed effects (TWFE)
regression then compares later-funded with already-funded quartiers ("forbidden comparisons",
Goodman-Bacon 2021) and can be biased when effects grow over time. The estimators here avoid
that; :func:`bacon_decomposition` shows how much of a TWFE number rests on such comparisons.

Backend: ``diff-diff`` (CallawaySantAnna, SunAbraham, ImputationDiD, bacon_decompose), wrapped
behind this module's API and checked number by number against R ``did`` (tests/reference/mpdta)
and against independent computations in the tests. The aggregations of ATT(g,t)
(simple / dynamic / group / calendar), their influence-function standard errors, the
multiplier bootstrap and the Wald pre-test are computed here from the per-unit influence
functions, following R ``did::aggte`` / ``did::mboot`` (Callaway & Sant'Anna 2021, sec. 4).

Conventions (all estimators of this module)
--------------------------------------------
* ``cohort`` = first treated period; ``0`` or missing = never treated. Cohorts after the last
  observed period are treated as never treated (as R ``did`` does), with a warning.
* Units treated already in the first observed period (``cohort - anticipation <= first period``)
  have no pre-treatment period; they are dropped and listed in ``result.dropped``.
* Rows with a missing outcome/covariate are dropped and listed in ``result.dropped`` (never silently).
* Unbalanced panels work: each ATT(g,t) uses the units observed in ``t`` and in its base period.
* Irregular time grids (e.g. election years 2015/2019/2023) work: base periods are the nearest
  *observed* earlier periods and **event time counts observed periods** ("index steps"): with
  elections 2015/2019/2023 and cohort 2021, 2023 is event time 0 and 2019 is event time -1.
  On a regular yearly grid event time = year - cohort.
* Standard errors cluster at the unit (quartier) level: the influence function is per unit.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _prep
from .results import EffectResult, data_fingerprint, data_provenance

CONTROLS = ("never_treated", "not_yet_treated")
EST_METHODS = ("reg", "dr", "ipw")
AGGREGATIONS = ("simple", "dynamic", "group", "calendar")
_R_CONTROL = {"never_treated": "nevertreated", "not_yet_treated": "notyettreated"}


# =============================================================================================
# results
# =============================================================================================
@dataclass(frozen=True)
class AggregateResult(EffectResult):
    """An aggregation of ATT(g,t) (``StaggeredResult.aggregate``): ``table`` has one row per
    element (event time, cohort or calendar period; column ``element``) and a row
    ``term == "overall"`` that is also the headline. With the bootstrap, ``cband_low`` /
    ``cband_high`` are simultaneous (uniform) bands over the elements."""

    kind: str = "simple"

    def plot(self, ax=None, lang: str = "de"):
        """Elements with 95 % intervals (simultaneous bands where bootstrapped)."""
        from ..i18n import t
        from ..outputs import plots

        frame = self.to_frame()
        if self.kind != "simple":
            frame = frame[frame["term"] != "overall"]
        fig = plots.coef_plot(frame, ax=ax, lang=lang, provenance=self.provenance,
                              title=f"{t('method.cs', lang)}: {t('agg.' + self.kind, lang)}")
        x_label = {"dynamic": "relative_period", "group": "cohort", "calendar": "year"}.get(self.kind)
        if x_label:
            (ax or fig.axes[0]).set_xlabel(t(x_label, lang))
        return fig


@dataclass(frozen=True)
class StaggeredResult(EffectResult):
    """Callaway & Sant'Anna (2021) result: headline = simple ATT (average over all post-treatment
    ATT(g,t), weighted by cohort size).

    ``att_gt``: tidy group-time table (``group, time, event_time, att, se, ci_low, ci_high,
    pvalue, n_treated, n_control``; with the bootstrap also ``cband_low, cband_high``).
    ``aggregate(kind)`` gives ``"simple"``, ``"dynamic"`` (event study), ``"group"`` (by cohort)
    and ``"calendar"`` (by year) aggregations; ``pretest()`` the Wald test of all
    pre-treatment ATT(g,t) = 0.
    """

    att_gt: pd.DataFrame | None = None
    #: per-unit influence functions (units x cells of ``att_gt``), R ``did`` scaling:
    #: SE of cell j = sqrt(mean(influence[:, j]**2) / n_units)
    influence: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: cohort of each row of ``influence`` (0 = never treated), and the unit labels
    unit_cohort: np.ndarray | None = field(default=None, repr=False, compare=False)
    units: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: numeric cohort and period of each cell of ``att_gt`` (time labels mapped to numbers)
    cell_group: np.ndarray | None = field(default=None, repr=False, compare=False)
    cell_time: np.ndarray | None = field(default=None, repr=False, compare=False)

    def aggregate(self, kind: str = "simple", *, min_e: float | None = None, max_e: float | None = None,
                  bootstrap: int | None = None, seed: int | None = None) -> AggregateResult:
        """Aggregate ATT(g,t) as R ``did::aggte`` does.

        kind : ``"simple"`` (weighted by cohort size over post cells), ``"dynamic"`` (by event
            time; overall = mean of event times >= 0), ``"group"`` (by cohort; overall weighted by
            cohort size), ``"calendar"`` (by period; overall = mean over periods).
        min_e, max_e : restrict event times (in index steps, see module notes).
        bootstrap, seed : multiplier-bootstrap draws and seed; default: those of the fit
            (``bootstrap=0`` forces analytic SEs).
        """
        if kind not in AGGREGATIONS:
            raise ValueError(f"kind must be one of {AGGREGATIONS}, got {kind!r}")
        B = int(self.spec.get("bootstrap", 0) if bootstrap is None else bootstrap)
        seed = self.spec.get("seed") if seed is None else seed
        return _aggregate_result(self, kind, min_e=min_e, max_e=max_e, bootstrap=B, seed=seed)

    def pretest(self, *, min_cohort_size: int = 5) -> dict[str, Any]:
        """Wald test that all pre-treatment ATT(g,t) are zero (R ``did``: ``W``, ``Wpval``).

        Returns ``{"stat", "df", "pvalue", "cells"}`` (+ ``"note"``); pre cells are
        ``t < g - anticipation`` with non-zero variance. Uses the analytic influence-function
        covariance. Cohorts with fewer than ``min_cohort_size`` treated units are left out: the
        influence function cannot estimate the noise of one or two treated units, so their cells
        make the test over-reject (seen on the bundled panel: p < 1e-100 with cohorts of 1-2
        quartiers, p = 0.10 on the 27-quartier cohort alone, under true parallel trends).
        ``min_cohort_size=1`` keeps every cohort (R ``did`` behaviour).
        """
        from scipy import stats

        a = self.att_gt
        ant = float(self.spec.get("anticipation", 0))
        psi = self.influence
        n = psi.shape[0]
        big = a["n_treated"].to_numpy(float) >= min_cohort_size
        small = sorted({g for g, ok in zip(a["group"], big, strict=True) if not ok})
        pre = np.where((self.cell_time < self.cell_group - ant) & big
                       & (np.abs(psi).sum(axis=0) > 0))[0]
        if len(pre) == 0:
            return {"stat": math.nan, "df": 0, "pvalue": math.nan, "cells": [],
                    "note": f"no pre-treatment cells in cohorts with >= {min_cohort_size} units"}
        V = psi[:, pre].T @ psi[:, pre] / n
        att = a["att"].to_numpy(float)[pre]
        cells = list(zip(a["group"].iloc[pre], a["time"].iloc[pre], strict=True))
        # Wald statistic via the eigen-decomposition of V: with few treated units per cohort and
        # many pre-periods V is (near) singular, and a plain solve returns nonsense (negative
        # quadratic forms). Directions with eigenvalue <= 1e-10 x the largest are dropped and the
        # degrees of freedom reduced to the rank (a Moore-Penrose generalised Wald test); with a
        # full-rank V this equals R did's statistic.
        lam, Q = np.linalg.eigh(V)
        keep = lam > 1e-10 * max(float(lam.max()), 0.0)
        rank = int(keep.sum())
        if rank == 0:
            return {"stat": math.nan, "df": 0, "pvalue": math.nan, "cells": cells,
                    "note": "covariance of the pre-treatment ATT(g,t) is zero"}
        z = Q[:, keep].T @ att
        W = float(n * np.sum(z**2 / lam[keep]))
        out = {"stat": W, "df": rank, "pvalue": float(stats.chi2.sf(W, rank)), "cells": cells}
        notes = []
        if small:
            notes.append(f"cohorts with fewer than {min_cohort_size} units left out: {small}")
        if rank < len(pre):
            notes.append(f"covariance of the {len(pre)} pre-treatment ATT(g,t) has rank {rank}: "
                         "generalised-inverse Wald test with df = rank")
        if notes:
            out["note"] = "; ".join(notes)
        return out

    def plot(self, ax=None, lang: str = "de"):
        """Event-study plot (the dynamic aggregation)."""
        return self.aggregate("dynamic").plot(ax=ax, lang=lang)


# =============================================================================================
# Callaway & Sant'Anna
# =============================================================================================
def staggered_did(df: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
                  control: str = "never_treated", covariates: Sequence[str] = (),
                  est_method: str = "reg", base_period: str = "varying", anticipation: int = 0,
                  bootstrap: int = 0, seed: int | None = None, alpha: float = 0.05,
                  treatment: str | None = None) -> StaggeredResult:
    """Callaway & Sant'Anna (2021) group-time ATTs for staggered adoption, and their aggregations.

    Parameters
    ----------
    df : tidy panel, one row per unit and period (not mutated).
    outcome, unit, time : column names; ``time`` numeric (years) or sortable labels.
    cohort : first treated period of each unit; ``0`` or missing = never treated.
    control : ``"never_treated"`` (default) or ``"not_yet_treated"`` comparison units. Without
        never-treated units, ``"not_yet_treated"`` uses the last cohort as comparison and drops the
        periods from its start on (as R ``did``; listed in ``dropped``).
    covariates : time-invariant/base-period covariates (conditional parallel trends).
    est_method : ``"reg"`` (outcome regression, Heckman et al. 1997), ``"dr"`` (doubly robust,
        Sant'Anna & Zhao 2020) or ``"ipw"``; identical without covariates.
    base_period : ``"varying"`` (R default: pre-periods compare t with the previous period) or
        ``"universal"`` (all compare with g-1).
    anticipation : periods of anticipation before the cohort's first treated period.
    bootstrap : 0 = analytic influence-function SEs; ``B > 0`` = multiplier bootstrap with
        Rademacher weights at the unit level (R ``did::mboot``; SE from the bootstrap IQR) and
        simultaneous (uniform, sup-t) bands over the cells / elements.
    seed : seed of the bootstrap draws (the same draws are reused by ``aggregate``).
    alpha : 1 - confidence level.
    treatment : optional 0/1 column of the same design; if given it is checked: a treatment that
        switches off (1 then 0) or disagrees with ``cohort`` (``1{t >= cohort}``) is an error naming
        the units. (A cohort column by itself cannot switch off; it must be constant per unit.)

    Returns
    -------
    StaggeredResult with ``estimate`` = simple ATT in outcome units (e.g. percentage points),
    ``att_gt``, ``aggregate(kind)``, ``pretest()``, ``dropped`` and ``warnings``.

    Notes
    -----
    ATT(g,t) = E[Y_t - Y_b | G = g] - E[Y_t - Y_b | C], b = base period, C = comparison units;
    the simple ATT = sum_{g<=t} ATT(g,t) P(G=g) / sum_{g<=t} P(G=g); standard errors include the
    estimation of the weights (R ``did::aggte``). Reproduces R ``did`` 2.x on ``mpdta`` to 1e-15
    (tests/test_reference_mpdta.py).
    """
    if control not in CONTROLS:
        raise ValueError(f"control must be one of {CONTROLS}, got {control!r}")
    if est_method not in EST_METHODS:
        raise ValueError(f"est_method must be one of {EST_METHODS}, got {est_method!r}")
    if base_period not in ("varying", "universal"):
        raise ValueError(f"base_period must be 'varying' or 'universal', got {base_period!r}")
    if not (isinstance(anticipation, (int, np.integer)) and anticipation >= 0):
        raise ValueError(f"anticipation must be a non-negative integer, got {anticipation!r}")
    if not (0 < alpha < 1):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if int(bootstrap) < 0:
        raise ValueError(f"bootstrap must be 0 or a positive number of draws, got {bootstrap!r}")
    covariates = list(covariates)

    prep = _prepare_staggered(df, outcome=outcome, unit=unit, time=time, cohort=cohort,
                              covariates=covariates, control=control, anticipation=int(anticipation),
                              what="staggered_did", treatment=treatment)
    d, msgs = prep["data"], list(prep["warnings"])

    import diff_diff as dd

    est = dd.CallawaySantAnna(control_group=control, estimation_method=est_method, alpha=alpha,
                              anticipation=int(anticipation), base_period=base_period, n_bootstrap=0,
                              rank_deficient_action="warn")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = est.fit(d, outcome="_y", unit="_u", time="_t", first_treat="_g",
                      covariates=[f"_x{i}" for i in range(len(covariates))] or None)
    for w in caught:
        m = str(w.message)
        if issubclass(w.category, (DeprecationWarning, FutureWarning, PendingDeprecationWarning)):
            continue
        if "Unbalanced panel" in m:
            m = ("unbalanced panel: each ATT(g,t) uses the units observed in t and in its base period "
                 f"({prep['n_unbalanced_units']} units are not observed in every period)")
        msgs.append(m)
    kit = getattr(res, "_aggregation_kit", None)
    if kit is None or not getattr(kit, "influence", None):
        raise RuntimeError("diff_diff.CallawaySantAnna returned no influence functions "
                           "(backend API changed?); cannot compute aggregations")
    G = np.asarray(kit.bookkeeping["unit_cohorts"], dtype=float)
    n = len(G)
    units = np.sort(pd.unique(d["_u"]))  # diff-diff orders units as groupby(unit) does
    if len(units) != n:
        raise RuntimeError("unit bookkeeping of the diff-diff backend does not match the data")

    cells = sorted(res.group_time_effects)
    rows, keep = [], []
    psi = np.zeros((n, len(cells)))
    for j, c in enumerate(cells):
        e = res.group_time_effects[c]
        if not np.isfinite(e["effect"]) or c not in kit.influence:
            msgs.append(f"ATT(g={_lab(c[0])}, t={_lab(c[1])}) not estimable "
                        f"({e.get('skip_reason') or 'no comparison units'}); left out of the aggregations")
            continue
        inf = kit.influence[c]
        np.add.at(psi[:, j], np.asarray(inf["treated_idx"], dtype=int), n * np.asarray(inf["treated_inf"]))
        np.add.at(psi[:, j], np.asarray(inf["control_idx"], dtype=int), n * np.asarray(inf["control_inf"]))
        keep.append(j)
        rows.append({"_g": float(c[0]), "time": float(c[1]), "att": float(e["effect"]),
                     "n_treated": int(e["n_treated"]), "n_control": int(e["n_control"])})
    if not rows:
        raise DataValidationError([Problem(column=cohort, expected="at least one estimable ATT(g,t): "
                                           "treated cohorts with a pre-period and comparison units")],
                                  what="staggered_did")
    psi = psi[:, keep]
    att = pd.DataFrame(rows)
    att["event_time"] = _event_time(att["_g"].to_numpy(), att["time"].to_numpy(), prep["periods"])
    se = np.sqrt(np.mean(psi**2, axis=0) / n)
    # universal base period: the reference cells are exactly 0 with no variance
    se = np.where(se > 0, se, np.nan)
    att["se"] = se
    B = int(bootstrap)
    if seed is None and B > 0:
        seed = int(np.random.SeedSequence().entropy % (2**31))
    z = _z(alpha)
    if B > 0:
        bse, crit = _multiplier_bootstrap(psi, B=B, seed=seed, alpha=alpha)
        att["se"] = np.where(np.isfinite(bse), bse, np.nan)
        att["cband_low"] = att["att"] - crit * att["se"]
        att["cband_high"] = att["att"] + crit * att["se"]
    att["ci_low"] = att["att"] - z * att["se"]
    att["ci_high"] = att["att"] + z * att["se"]
    att["pvalue"] = _pvalue(att["att"], att["se"])
    to_label = prep["to_label"]
    att["group"] = att["_g"].map(to_label)
    att["time"] = att["time"].map(to_label)
    cell_group = att["_g"].to_numpy(float)
    cell_time = np.array([float(x) for x in (r["time"] for r in rows)])
    cols = ["group", "time", "event_time", "att", "se", "ci_low", "ci_high", "pvalue", "n_treated",
            "n_control"] + (["cband_low", "cband_high"] if B > 0 else [])
    att = att[cols].reset_index(drop=True)

    spec = {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "control": control,
            "covariates": tuple(covariates), "est_method": est_method, "base_period": base_period,
            "anticipation": int(anticipation), "bootstrap": B, "seed": seed, "alpha": alpha,
            "estimator": "Callaway & Sant'Anna (2021) via diff-diff "
                         f"{getattr(dd, '__version__', '?')}; aggregation as R did::aggte",
            "inference": (f"multiplier bootstrap ({B} Rademacher draws, unit level), uniform bands"
                          if B > 0 else "analytic influence function, clustered by unit"),
            "periods": tuple(prep["periods"]), "_to_label": to_label}
    used = d
    base = StaggeredResult(
        method="cs", estimate=math.nan, se=math.nan, ci=(math.nan, math.nan), pvalue=math.nan,
        n_obs=int(len(used)), n_clusters=int(n), table=pd.DataFrame(), spec=spec,
        fingerprint=data_fingerprint(df, [c for c in (outcome, unit, time, cohort, *covariates)]),
        provenance=data_provenance(df, [outcome]), extras={}, warnings=tuple(dict.fromkeys(msgs)),
        dropped=prep["dropped"], att_gt=att, influence=psi, unit_cohort=G, units=units,
        cell_group=cell_group, cell_time=cell_time)
    simple = base.aggregate("simple")
    table = att.rename(columns={"att": "estimate"})
    table.insert(0, "term", [f"ATT({_lab(g)},{_lab(t)})" for g, t in zip(table["group"], table["time"],
                                                                            strict=True)])
    return replace(base, estimate=simple.estimate, se=simple.se, ci=simple.ci, pvalue=simple.pvalue,
                   table=table, extras={"n_units": n, "n_treated_units": int((G > 0).sum())})


# ---------------------------------------------------------------------------------------------
def _prepare_staggered(df: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
                       covariates: list[str], control: str | None, anticipation: int,
                       what: str, treatment: str | None = None) -> dict[str, Any]:
    """Checks and cleaning shared by the staggered estimators. Returns the working frame with
    columns ``_u, _t (float), _g (float, 0 = never), _y, _x0..`` and what was dropped/recoded."""
    _prep.require_columns(df, {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort,
                               "treatment": treatment,
                               **{f"covariate {i + 1}": c for i, c in enumerate(covariates)}}, what=what)
    _prep.require_numeric(df, [outcome, *covariates], what=what)
    msgs: list[str] = []
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
            "periods": periods, "n_unbalanced_units": n_unbal, "to_label": to_label}


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


# =============================================================================================
# aggregation (R did::aggte) and multiplier bootstrap (R did::mboot)
# =============================================================================================
def _wif(keep: np.ndarray, pg: np.ndarray, cell_group: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Influence function of the estimated aggregation weights P(G=g)/sum P(G=g) (R did ``wif``)."""
    ind = (G[:, None] == cell_group[keep][None, :]).astype(float) - pg[keep][None, :]
    s = pg[keep].sum()
    return ind / s - ind.sum(axis=1, keepdims=True) @ (pg[keep] / s**2)[None, :]


def _agg(att: np.ndarray, psi: np.ndarray, keep: np.ndarray, w: np.ndarray,
         wif: np.ndarray | None = None) -> np.ndarray:
    f = psi[:, keep] @ w
    if wif is not None:
        f = f + wif @ att[keep]
    return f


def aggregate_att_gt(att: np.ndarray, psi: np.ndarray, cell_group: np.ndarray, cell_time: np.ndarray,
                     event_time: np.ndarray, unit_cohort: np.ndarray, kind: str, *,
                     min_e: float | None = None, max_e: float | None = None) -> dict[str, Any]:
    """Aggregate ATT(g,t) (numeric arrays) as R ``did::aggte``; returns elements, estimates and
    influence functions (units x elements, plus the overall column)."""
    G = np.asarray(unit_cohort, dtype=float)
    glist = np.unique(G[G > 0])
    pg_cell = np.array([np.mean(G == g) for g in cell_group])
    e = np.asarray(event_time)
    lo = -np.inf if min_e is None else min_e
    hi = np.inf if max_e is None else max_e
    post = (e >= 0) & (e <= hi)
    elements: list = []
    est: list[float] = []
    infs: list[np.ndarray] = []
    if kind == "simple":
        keep = np.where(post)[0]
        w = pg_cell[keep] / pg_cell[keep].sum()
        overall = float(att[keep] @ w)
        f_overall = _agg(att, psi, keep, w, _wif(keep, pg_cell, cell_group, G))
    elif kind == "group":
        pg = []
        for g in glist:
            keep = np.where(post & (cell_group == g))[0]
            if len(keep) == 0:
                continue
            elements.append(g)
            est.append(float(att[keep].mean()))
            infs.append(_agg(att, psi, keep, np.full(len(keep), 1 / len(keep))))
            pg.append(np.mean(G == g))
        pg = np.array(pg)
        a, F = np.array(est), np.column_stack(infs)
        kk = np.arange(len(a))
        overall = float(a @ pg / pg.sum())
        f_overall = _agg(a, F, kk, pg / pg.sum(), _wif(kk, pg, np.array(elements), G))
    elif kind == "dynamic":
        for ee in np.unique(e[(e >= lo) & (e <= hi)]):
            keep = np.where(e == ee)[0]
            w = pg_cell[keep] / pg_cell[keep].sum()
            elements.append(int(ee))
            est.append(float(att[keep] @ w))
            infs.append(_agg(att, psi, keep, w, _wif(keep, pg_cell, cell_group, G)))
        a, F = np.array(est), np.column_stack(infs)
        kk = np.where(np.array(elements) >= 0)[0]
        if len(kk) == 0:
            raise ValueError("no event times >= 0 in the requested range")
        overall = float(a[kk].mean())
        f_overall = _agg(a, F, kk, np.full(len(kk), 1 / len(kk)))
    elif kind == "calendar":
        for t in np.unique(cell_time[post]):
            keep = np.where(post & (cell_time == t))[0]
            w = pg_cell[keep] / pg_cell[keep].sum()
            elements.append(t)
            est.append(float(att[keep] @ w))
            infs.append(_agg(att, psi, keep, w, _wif(keep, pg_cell, cell_group, G)))
        a, F = np.array(est), np.column_stack(infs)
        kk = np.arange(len(a))
        overall = float(a.mean())
        f_overall = _agg(a, F, kk, np.full(len(kk), 1 / len(kk)))
    else:
        raise ValueError(f"kind must be one of {AGGREGATIONS}, got {kind!r}")
    F = np.column_stack(infs) if infs else np.zeros((len(G), 0))
    return {"elements": elements, "estimates": np.array(est, dtype=float), "inf": F,
            "overall": overall, "inf_overall": np.asarray(f_overall).ravel()}


def _aggregate_result(r: StaggeredResult, kind: str, *, min_e, max_e, bootstrap: int,
                      seed: int | None) -> AggregateResult:
    a = r.att_gt
    psi = r.influence
    n = psi.shape[0]
    alpha = float(r.spec.get("alpha", 0.05))
    z = _z(alpha)
    out = aggregate_att_gt(a["att"].to_numpy(float), psi, r.cell_group, r.cell_time,
                           a["event_time"].to_numpy(int), r.unit_cohort, kind,
                           min_e=min_e, max_e=max_e)
    F = np.column_stack([out["inf"], out["inf_overall"]])
    se = np.sqrt(np.mean(F**2, axis=0) / n)
    crit = math.nan
    if bootstrap > 0:
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2**31))
        bse, crit = _multiplier_bootstrap(F, B=bootstrap, seed=seed, alpha=alpha, band_cols=F.shape[1] - 1)
        se = bse
    se = np.where(se > 0, se, np.nan)
    est = np.append(out["estimates"], out["overall"])
    to_label = r.spec.get("_to_label", {})
    if kind == "dynamic":
        labels = [str(int(x)) for x in out["elements"]]
        elems = list(out["elements"])
    else:
        elems = [to_label.get(float(x), x) for x in out["elements"]]
        labels = [str(_lab(x)) for x in elems]
    table = pd.DataFrame({"term": labels + ["overall"], "element": pd.Series(elems + [None], dtype=object),
                          "estimate": est, "se": se})
    table["ci_low"] = table["estimate"] - z * table["se"]
    table["ci_high"] = table["estimate"] + z * table["se"]
    table["pvalue"] = _pvalue(table["estimate"], table["se"])
    if bootstrap > 0 and kind != "simple":
        table["cband_low"] = table["estimate"] - crit * table["se"]
        table["cband_high"] = table["estimate"] + crit * table["se"]
        table.loc[table["term"] == "overall", ["cband_low", "cband_high"]] = np.nan
    table = table[["term", "estimate", "se", "ci_low", "ci_high", "pvalue", "element",
                   *(["cband_low", "cband_high"] if "cband_low" in table else [])]]
    if kind == "simple":
        table = table[table["term"] == "overall"].reset_index(drop=True)
    o = table[table["term"] == "overall"].iloc[0]
    spec = {**{k: v for k, v in r.spec.items() if not k.startswith("_")}, "aggregation": kind,
            "min_e": min_e, "max_e": max_e, "bootstrap": bootstrap, "seed": seed,
            "inference": (f"multiplier bootstrap ({bootstrap} Rademacher draws, unit level)"
                          + (", uniform bands" if kind != "simple" else "")
                          if bootstrap > 0 else "analytic influence function, clustered by unit")}
    return AggregateResult(method="cs", estimate=float(o["estimate"]), se=float(o["se"]),
                           ci=(float(o["ci_low"]), float(o["ci_high"])), pvalue=float(o["pvalue"]),
                           n_obs=r.n_obs, n_clusters=r.n_clusters, table=table, spec=spec,
                           fingerprint=r.fingerprint, provenance=r.provenance,
                           extras={"crit_value": crit} if bootstrap > 0 else {},
                           warnings=r.warnings, dropped=r.dropped, kind=kind)


def _multiplier_bootstrap(inf: np.ndarray, *, B: int, seed: int | None, alpha: float,
                          band_cols: int | None = None) -> tuple[np.ndarray, float]:
    """Multiplier bootstrap of influence functions (R ``did::mboot``) via
    :func:`~llq_analysis.impact.inference.wild_bootstrap_influence` (Rademacher weights per unit,
    IQR-based SEs). Returns the SEs of all columns and the simultaneous (sup-t) critical value over
    the first ``band_cols`` columns (all by default)."""
    from .inference import wild_bootstrap_influence

    mb = wild_bootstrap_influence(inf, reps=int(B), seed=seed, alpha=alpha, weights_type="rademacher")
    se = np.asarray(mb.se, dtype=float)
    k = inf.shape[1] if band_cols is None else band_cols
    cols = np.arange(k)
    cols = cols[np.isfinite(se[cols])]
    if len(cols) == 0:
        return se, math.nan
    tmax = np.max(np.abs(mb.draws[:, cols]) / se[cols][None, :], axis=1)
    return se, float(np.quantile(tmax, 1 - alpha))


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
