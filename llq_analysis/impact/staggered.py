"""Staggered adoption: Callaway & Sant'Anna ATT(g,t) and their aggregations.

Sun & Abraham and the imputation estimator are in :mod:`.event_time`; the Goodman-Bacon
decomposition is in :mod:`.bacon`; the aggregations and the multiplier bootstrap in
:mod:`.cs_aggregate`; the shared input checks in :mod:`._staggered_prep`. The conventions below
hold for all these modules.

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
from . import _cotreat, _prep
from ._staggered_prep import (  # noqa: F401  (CONTROLS, EST_METHODS: re-exported)
    _R_CONTROL,
    AGGREGATIONS,
    CONTROLS,
    EST_METHODS,
    _event_time,
    _lab,
    _prepare_staggered,
    _pvalue,
    _z,
)
from .cs_aggregate import (  # noqa: F401  (aggregate_att_gt: re-exported)
    AggregateResult,
    _aggregate_result,
    _multiplier_bootstrap,
    aggregate_att_gt,
)
from .results import EffectResult, data_fingerprint, data_provenance

__all__ = ["AGGREGATIONS", "CONTROLS", "EST_METHODS", "AggregateResult", "StaggeredResult",
           "aggregate_att_gt", "staggered_did"]


# =============================================================================================
# results
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
                  treatment: str | None = None, comparison_mask: str | None = None,
                  co_treatments: Sequence[str] | None = None) -> StaggeredResult:
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
    comparison_mask : optional boolean column (constant within unit) marking the units eligible as
        comparisons, e.g. "is a WiN area": never-treated units outside it are left out (listed in
        ``dropped``); the summary says what this separates (see :mod:`._cotreat`).
    co_treatments : other programmes' funding columns among ``covariates`` (``*_eur_per_capita``
        covariates are recognised anyway): a co-treatment that varies within units is refused
        (:class:`~llq_analysis.impact._cotreat.UnsupportedDesignError` naming ``twfe`` /
        ``event_study`` with ``covariates=`` and ``comparison_mask=`` as the alternatives), because
        Callaway & Sant'Anna conditions on covariates at the base period only.

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
    covariates = list(dict.fromkeys([*covariates, *(co_treatments or ())]))
    _prep.require_columns(df, {f"covariate {c}": c for c in covariates} | {"unit": unit}, what="staggered_did")
    _cotreat.refuse_time_varying(df, unit=unit, covariates=covariates, explicit=co_treatments, what="staggered_did")

    prep = _prepare_staggered(df, outcome=outcome, unit=unit, time=time, cohort=cohort,
                              covariates=covariates, control=control, anticipation=int(anticipation),
                              what="staggered_did", treatment=treatment, comparison_mask=comparison_mask)
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
            "periods": tuple(prep["periods"]), "_to_label": to_label, "comparison_mask": comparison_mask,
            "notes": tuple(prep["notes"])}
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
