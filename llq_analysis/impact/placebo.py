"""Re-estimation checks of DiD / event-study / synthetic-control results on changed data.

* :func:`placebo_in_time` - pretend treatment started ``k`` periods earlier, using only data
  before the real start, and re-estimate (should find ~0).
* :func:`leave_one_out` - re-estimate dropping one unit at a time (treated quartiers, or the
  donors with positive weight of a synthetic control): table + plot.

Both return a :class:`SensitivityTable`. The HonestDiD bounds and pre-trend power are in
:mod:`.sensitivity` (which re-exports these functions).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .results import EffectResult


# placebo in time and leave-one-out
# =============================================================================================
@dataclass(frozen=True)
class SensitivityTable:
    """A table of re-estimates (placebo in time, leave-one-out) with the full-sample result."""

    kind: str
    table: pd.DataFrame
    full_estimate: float
    provenance: str = "user"

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax=None, lang: str = "de"):
        from ..outputs import plots

        if self.kind == "leave_one_out":
            return plots.leave_one_out_plot(self.table, full_estimate=self.full_estimate, ax=ax, lang=lang,
                                            provenance=self.provenance)
        return plots.coef_plot(self.table.assign(term=self.table["shift"].astype(str)), ax=ax, lang=lang,
                               provenance=self.provenance, title=self.kind)


def _row(r: EffectResult) -> dict:
    return {"estimate": r.estimate, "se": r.se, "ci_low": r.ci[0], "ci_high": r.ci[1], "pvalue": r.pvalue,
            "n_obs": r.n_obs}


def _refit(result: EffectResult) -> Callable[[pd.DataFrame, dict], EffectResult]:
    """A refitting function ``(df, overrides) -> result`` for results whose spec suffices."""
    spec = dict(result.spec)
    if result.method == "synth":
        from .synth import synthetic_control

        def f(df, over):
            kw = {k: spec[k] for k in ("outcome", "unit", "time", "treated_unit", "treatment_time")}
            kw.update(predictors=spec.get("predictors"), placebo=spec.get("placebo", True))
            if spec.get("donors") is not None:  # keep the original donor pool (minus dropped units)
                present = set(df[spec["unit"]])
                kw["donors"] = [d for d in spec["donors"] if d in present]
            kw.update(over)
            return synthetic_control(df, **kw)
        return f
    if result.method == "sdid":
        from .sdid import synthetic_did

        def f(df, over):
            kw = {k: spec[k] for k in ("outcome", "unit", "time", "treatment", "se_method", "replications", "seed")}
            kw.update(over)
            return synthetic_did(df, **kw)
        return f
    if result.method == "event_study":
        from .event_study import event_study

        def f(df, over):
            kw = {k: spec[k] for k in ("outcome", "unit", "time", "cohort") if k in spec}
            for k in ("ref", "cluster", "bin_endpoints", "covariates", "vcov", "alpha"):
                if spec.get(k) is not None:
                    kw[k] = spec[k]
            kw.update(over)
            return event_study(df, **kw)
        return f
    raise TypeError(f"cannot refit a {result.method!r} result from its spec: pass fit=callable(df) -> result")


def placebo_in_time(df: pd.DataFrame, fit: EffectResult | Callable[[pd.DataFrame], EffectResult], *,
                    shifts: Iterable[int] = (1, 2), time: str | None = None, cohort: str | None = None,
                    treatment: str | None = None) -> SensitivityTable:
    """Pretend treatment started ``k`` periods earlier, on data before the real start only.

    ``fit``: a synthetic-control / SDID / event-study result (refitted from its spec), or a
    callable ``fit(df) -> EffectResult`` used with the placebo data. Placebo data: all rows with
    ``time`` before the first real treatment period; the fake start is ``k`` periods (positions
    in the sorted time labels) before each real start; cohorts whose fake start is not before the
    real first start are never treated within the window (their units serve as controls). The
    ``cohort`` column (first treated period, 0 = never) and/or the 0/1 ``treatment`` column are
    rewritten accordingly (for a callable, name them). Returns one row per shift: ``shift,
    placebo_start, estimate, se, ci_low, ci_high, pvalue, n_obs`` - estimates should be near 0.
    """
    from . import _prep

    if isinstance(fit, EffectResult):
        spec = fit.spec
        refit = _refit(fit)
        time = spec["time"]
        if fit.method == "synth":
            mode, start_label = "synth", spec["treatment_time"]
        elif fit.method == "sdid":
            mode, treatment = "treatment", spec["treatment"]
        else:
            mode, cohort = "cohort", spec["cohort"]
        full = fit.estimate
        prov = fit.provenance
    else:
        if time is None or (cohort is None and treatment is None):
            raise ValueError("with a callable fit, name time and the cohort and/or treatment column")
        refit = None
        mode = "cohort" if cohort is not None else "treatment"
        full = math.nan
        prov = "user"
    tnum, tmap = _prep.time_index(df[time])
    labels = sorted(tmap, key=lambda k: tmap[k])
    num_pos = {float(tmap[lab]): i for i, lab in enumerate(labels)}  # time value -> position
    tpos_all = tnum.map(num_pos)
    unit = fit.spec["unit"] if isinstance(fit, EffectResult) else None
    if mode == "synth":
        first_pos = num_pos[float(tmap[start_label])]
        starts = None
    else:
        if mode == "cohort":
            coh = _prep.parse_cohort(df[cohort], tmap)
        elif unit is None:
            raise ValueError("placebo_in_time with a treatment column needs an SDID result (for the unit column)")
        else:
            d = df[treatment].astype(float).to_numpy() != 0
            first = pd.Series(tnum.to_numpy()[d], index=df[unit].to_numpy()[d]).groupby(level=0).min()
            coh = df[unit].map(first).fillna(0.0)
        starts = coh.map(lambda c: num_pos[float(c)] if c != 0 else -1)
        if not (starts >= 0).any():
            raise ValueError("no treated unit in the data")
        first_pos = int(starts[starts >= 0].min())
    rows = []
    for k in shifts:
        k = int(k)
        if k < 1:
            raise ValueError("shifts must be positive integers (periods before the real start)")
        keep = tpos_all.to_numpy() < first_pos
        sub = df[keep].copy()
        over: dict[str, Any] = {}
        if mode == "synth":
            fake = first_pos - k
            if fake < 2:
                rows.append({"shift": k, "placebo_start": None, "note": "too few pre-periods"})
                continue
            over["treatment_time"] = labels[fake]
            placebo_start = labels[fake]
        else:
            fake_pos = starts[keep] - k
            active = (starts[keep] >= 0) & (fake_pos < first_pos) & (fake_pos >= 1)
            tpos = tpos_all[keep]
            if mode == "cohort":
                sub[cohort] = np.where(active, [labels[int(p)] if p >= 0 else 0 for p in fake_pos.clip(lower=0)], 0)
            if treatment is not None and treatment in sub.columns:
                sub[treatment] = (active & (tpos >= fake_pos)).astype(int).to_numpy()
            placebo_start = ", ".join(sorted({str(labels[int(p)]) for p in fake_pos[active]}))
        try:
            r = refit(sub, over) if refit is not None else fit(sub)
            rows.append({"shift": k, "placebo_start": placebo_start, **_row(r)})
        except (ValueError, TypeError) as exc:  # e.g. too few pre-periods after the shift
            rows.append({"shift": k, "placebo_start": placebo_start, "note": str(exc).splitlines()[0]})
    tab = pd.DataFrame(rows)
    for c in ("estimate", "se", "ci_low", "ci_high", "pvalue", "n_obs"):
        if c not in tab.columns:
            tab[c] = math.nan
    return SensitivityTable("placebo_in_time", tab, full, prov)


def leave_one_out(df: pd.DataFrame, fit: EffectResult | Callable[[pd.DataFrame], EffectResult], *,
                  unit: str | None = None, units: Iterable[Hashable] | None = None,
                  full_estimate: float | None = None) -> SensitivityTable:
    """Re-estimate dropping one unit at a time.

    ``fit``: a result (refitted from its spec; synthetic control: the donors with positive weight
    are dropped in turn, placebo inference off for speed; SDID and event study: the treated units)
    or a callable ``fit(df) -> EffectResult`` (then name ``unit`` and ``units``). Returns one row
    per dropped unit: ``dropped_unit, estimate, se, ci_low, ci_high, pvalue, n_obs, change``
    (``change`` = estimate minus the full-sample estimate). ``.plot()`` draws the table.
    """
    if isinstance(fit, EffectResult):
        spec = fit.spec
        unit = spec["unit"]
        refit = _refit(fit)
        over: dict[str, Any] = {}
        if fit.method == "synth":
            w = fit.extras["weights"]
            default_units = list(w.index[w > 1e-6])
            over["placebo"] = False
        elif fit.method == "sdid":
            d = df[spec["treatment"]].astype(float) != 0
            default_units = list(pd.unique(df.loc[d, unit]))
        else:
            c = df[spec["cohort"]]
            treated = c.notna() & (c.astype(str).str.strip() != "0") & (c.astype(str).str.strip() != "0.0")
            default_units = list(pd.unique(df.loc[treated, unit]))
        full = fit.estimate if full_estimate is None else full_estimate
        prov = fit.provenance
        call = lambda sub: refit(sub, over)  # noqa: E731
    else:
        if unit is None or units is None:
            raise ValueError("with a callable fit, name unit and units (the units to leave out)")
        default_units = None
        full = math.nan if full_estimate is None else full_estimate
        prov = "user"
        call = fit
    todo = list(units) if units is not None else default_units
    unknown = [u for u in todo if u not in set(df[unit])]
    if unknown:
        raise ValueError(f"units not in column {unit!r}: {unknown[:10]}")
    rows = []
    for u in todo:
        try:
            r = call(df[df[unit] != u])
            rows.append({"dropped_unit": u, **_row(r)})
        except (ValueError, TypeError) as exc:
            rows.append({"dropped_unit": u, "estimate": math.nan, "note": str(exc).splitlines()[0]})
    tab = pd.DataFrame(rows)
    for c in ("estimate", "se", "ci_low", "ci_high", "pvalue", "n_obs"):
        if c not in tab.columns:
            tab[c] = math.nan
    tab["change"] = tab["estimate"] - full
    return SensitivityTable("leave_one_out", tab, full, prov)
