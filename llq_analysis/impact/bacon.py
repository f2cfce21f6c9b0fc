"""Goodman-Bacon (2021) decomposition of the static TWFE coefficient into 2x2 comparisons.

Shows how much of a TWFE number rests on "forbidden" comparisons of later- with earlier-funded
quartiers. Conventions as in :mod:`.staggered`.
"""


from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _prep
from ._staggered_prep import _lab
from .event_time import _backend_messages
from .results import EffectResult, data_fingerprint, data_provenance

# =============================================================================================
# Goodman-Bacon decomposition
# =============================================================================================
BACON_TYPES = ("treated_vs_never", "earlier_vs_later", "later_vs_earlier")


@dataclass(frozen=True)
class BaconResult(EffectResult):
    """Goodman-Bacon (2021) decomposition of the static TWFE coefficient.

    ``table``: one row per 2x2 comparison (``term``, ``estimate``, ``weight``, ``type``,
    ``treated``, ``control``, ``n_treated``, ``n_control``); ``by_type``: weight and weighted mean
    estimate per type. ``estimate`` = TWFE coefficient = sum(weight * estimate); weights sum to 1.
    ``later_vs_earlier`` rows are the "forbidden comparisons" (already-treated units as controls).
    """

    by_type: pd.DataFrame | None = None

    def plot(self, ax=None, lang: str = "de"):
        """Scatter of 2x2 estimates against their weights, coloured by comparison type."""
        from ..outputs import plots

        return plots.bacon_plot(self.to_frame(), ax=ax, lang=lang, provenance=self.provenance,
                                twfe=self.estimate)


def bacon_decomposition(df: pd.DataFrame, *, outcome: str, unit: str, time: str,
                        treatment: str) -> BaconResult:
    """Goodman-Bacon (2021) decomposition of the TWFE DiD coefficient into 2x2 comparisons.

    ``treatment``: absorbing 0/1 (or bool) per unit and period (once treated, always treated);
    switching off is an error naming the units. The decomposition is exact on a balanced panel:
    units not observed in every period (or with a missing outcome) are dropped and reported in
    ``dropped``. Units treated in every period ("always treated") act as controls in TWFE; they are
    pooled with the never-treated group (as in diff-diff; reported in ``warnings``).

    Types: ``treated_vs_never`` (a cohort vs never-treated units), ``earlier_vs_later`` (earlier
    cohort vs not-yet-treated later cohort, before the later one starts), ``later_vs_earlier``
    (later cohort vs the already-treated earlier cohort: the problematic comparison). Weights
    combine group sizes and the variance of treatment in each 2x2 (Goodman-Bacon 2021, eq. 10).
    Backend: diff-diff ``bacon_decompose`` (exact weights); the identity
    ``sum(weight * estimate) == TWFE`` is checked in the tests against pyfixest.
    """
    what = "bacon_decomposition"
    _prep.require_columns(df, {"outcome": outcome, "unit": unit, "time": time, "treatment": treatment},
                          what=what)
    _prep.require_numeric(df, [outcome, treatment], what=what)
    msgs: list[str] = _prep.check_panel(df, unit=unit, time=time, outcome=outcome, what=what)
    kept, dropped = _prep.drop_missing(df, [outcome, unit, time, treatment], ids=[unit, time], what=what)[:2]
    tnum, tmap = _prep.time_index(kept[time])
    dv = _prep.as_float(kept[treatment])
    bad = ~np.isin(dv, (0.0, 1.0))
    if bad.any():
        rows = kept.index[bad][:10]
        raise DataValidationError([Problem(column=treatment, row=r, value=kept.at[r, treatment],
                                           expected="0/1 or True/False (binary, absorbing treatment)")
                                   for r in rows], what=what)
    d = pd.DataFrame({"_u": kept[unit].to_numpy(), "_t": tnum.to_numpy(), "_y": _prep.as_float(kept[outcome]),
                      "_d": dv}, index=kept.index)
    if d.duplicated(["_u", "_t"]).any():
        r = d.index[d.duplicated(["_u", "_t"], keep=False)][:10]
        raise DataValidationError([Problem(column=f"{unit}, {time}", row=x, expected=f"one row per {unit} and {time}")
                                   for x in r], what=what)
    sw = _prep.switching_off(d, unit="_u", time="_t", treatment="_d")
    if len(sw):
        inv = {v: k for k, v in tmap.items()}
        raise DataValidationError([Problem(column=treatment, row=u,
                                           expected=f"an absorbing treatment (once 1, always 1): unit {u!r} is "
                                           f"treated from {inv.get(on, on)} but not in {inv.get(off, off)}")
                                   for u, on, off in sw.head(20).itertuples(index=False)], what=what)
    periods = np.sort(d["_t"].unique())
    counts = d.groupby("_u")["_t"].transform("size")
    incomplete = (counts < len(periods)).to_numpy()
    if incomplete.any():
        sub = d.loc[incomplete]
        fr = pd.DataFrame({"row": sub.index, unit: sub["_u"].to_numpy(), time: kept.loc[sub.index, time].to_numpy(),
                           "missing": "", "reason": "unit not observed in every period (the decomposition "
                           "needs a balanced panel)"})
        dropped = pd.concat([x for x in (dropped, fr) if len(x)], ignore_index=True)
        n_inc = sub["_u"].nunique()
        msg = f"{what}: {n_inc} units not observed in every period dropped (balanced panel needed; see dropped)"
        warnings.warn(msg, _prep.DroppedRowsWarning, stacklevel=2)
        msgs.append(msg)
        d = d.loc[~incomplete]
    first = d[d["_d"] == 1].groupby("_u")["_t"].min()
    d["_g"] = d["_u"].map(first).fillna(0.0).astype(float)
    if (d["_g"] > 0).sum() == 0:
        raise DataValidationError([Problem(column=treatment, expected="some treated units")], what=what)
    n_always = d.loc[d["_g"] == periods[0], "_u"].nunique()
    if n_always:
        msgs.append(f"{what}: {n_always} units treated in every period act as controls in TWFE; they are "
                    "pooled with the never-treated group")
    if d.loc[d["_g"] == 0, "_u"].nunique() + n_always == 0:
        msgs.append(f"{what}: no never-treated units: TWFE rests on timing comparisons only")
    import diff_diff as dd

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        b = dd.BaconDecomposition(weights="exact").fit(d, outcome="_y", unit="_u", time="_t", first_treat="_g")
    msgs += _backend_messages(caught, skip=("always-treated",))
    comp = b.to_dataframe()
    inv = {v: k for k, v in tmap.items()}

    def lab(x):
        return "never" if isinstance(x, str) else _lab(inv.get(float(x), x))

    table = pd.DataFrame({
        "term": [f"{lab(tg)} vs {lab(cg)}" for tg, cg in zip(comp["treated_group"], comp["control_group"],
                                                               strict=True)],
        "estimate": comp["estimate"].to_numpy(float), "weight": comp["weight"].to_numpy(float),
        "type": comp["comparison_type"].to_numpy(), "treated": [lab(x) for x in comp["treated_group"]],
        "control": [lab(x) for x in comp["control_group"]],
        "n_treated": comp["n_treated"].to_numpy(), "n_control": comp["n_control"].to_numpy()})
    table["se"] = np.nan
    table["ci_low"] = np.nan
    table["ci_high"] = np.nan
    table["pvalue"] = np.nan
    table = table[["term", "estimate", "se", "ci_low", "ci_high", "pvalue", "weight", "type", "treated",
                   "control", "n_treated", "n_control"]]
    by = table.groupby("type", sort=False).apply(
        lambda x: pd.Series({"weight": x["weight"].sum(),
                             "estimate": float(np.average(x["estimate"], weights=x["weight"]))
                             if x["weight"].sum() > 0 else math.nan}), include_groups=False)
    by = by.reindex([t for t in BACON_TYPES if t in by.index]).reset_index()
    twfe_coef = float(b.twfe_estimate)
    return BaconResult(
        method="bacon", estimate=twfe_coef, se=math.nan, ci=(math.nan, math.nan), pvalue=math.nan,
        n_obs=int(len(d)), n_clusters=None, table=table,
        spec={"outcome": outcome, "unit": unit, "time": time, "treatment": treatment,
              "estimator": f"Goodman-Bacon (2021) via diff-diff {getattr(dd, '__version__', '?')}",
              "inference": "none (a decomposition, not an estimator)"},
        fingerprint=data_fingerprint(df, [outcome, unit, time, treatment]),
        provenance=data_provenance(df, [outcome]),
        extras={"decomposition_error": float(b.decomposition_error), "n_always_treated": int(n_always)},
        warnings=tuple(dict.fromkeys(msgs)), dropped=dropped, by_type=by)
