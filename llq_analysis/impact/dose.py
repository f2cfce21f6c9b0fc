"""Dose-response: the effect of LLQ money per EUR per resident.

The scenario projection needs an effect **per euro**: how much an outcome changes when a
quartier gets one more EUR per resident in a year. :func:`dose_response` estimates

* the **slope** ``beta`` of the two-way fixed effects regression
  ``y_it = beta * dose_it + a_i + l_t (+ x_it'g) + u_it`` (via :func:`~llq_analysis.impact.did.twfe`,
  CR1 cluster-robust SEs by unit unless ``cluster`` says otherwise). **Units: outcome units
  (e.g. percentage points) per 1 EUR per resident per year**, for a dose measured in EUR per
  resident in the same year. This is ``result.estimate`` / ``result.se``, what
  ``projection.project`` consumes;
* a **dose curve** ``result.curve`` (``dose, effect, ci_low, ci_high``) to check linearity:
  the linear fit (default), dose bins against zero dose (``bins``), or a B-spline with
  ``f(0) = 0`` (``spline_df``), all with the same fixed effects and cluster-robust SEs.

Identification is the TWFE one: parallel trends in the untreated outcome across dose levels
and an effect linear in the dose (Callaway, Goodman-Bacon & Sant'Anna 2024 discuss what TWFE
with a continuous treatment estimates when effects are heterogeneous: a weighted average of
marginal effects, with weights that can be hard to interpret). The curve is the check.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _prep
from .results import EffectResult

UNIT_DE = "{outcome}-Einheiten je 1 EUR je Einwohner und Jahr"
UNIT_EN = "{outcome} units per 1 EUR per resident per year"


@dataclass(frozen=True)
class DoseResult(EffectResult):
    """Dose-response result. ``estimate``/``se``/``ci``: TWFE slope in outcome units per 1 EUR per
    resident per year. ``curve``: ``dose`` (EUR per resident), ``effect`` (outcome units,
    relative to zero dose), ``ci_low``, ``ci_high`` (pointwise 95 %), plus ``kind`` and, for bins,
    ``bin_low``, ``bin_high``, ``n_obs``, ``effect_per_eur``."""

    curve: pd.DataFrame | None = None

    @property
    def effect_per_eur(self) -> float:
        """The slope (outcome units per 1 EUR per resident per year); same as ``estimate``."""
        return self.estimate

    def summary(self, lang: str = "de") -> str:
        """Summary text with the unit of the slope spelled out."""
        unit = (UNIT_DE if lang == "de" else UNIT_EN).format(outcome=self.spec.get("outcome", "?"))
        head = "Einheit des Schätzwerts" if lang == "de" else "Unit of the estimate"
        return super().summary(lang) + f"\n{head}: {unit}"

    def plot(self, ax=None, lang: str = "de"):
        """Dose curve with 95 % band and the linear TWFE slope."""
        from ..outputs import plots

        return plots.dose_curve_plot(self.curve, ax=ax, lang=lang, provenance=self.provenance,
                                     slope=self.estimate, outcome=self.spec.get("outcome"))


def dose_response(df: pd.DataFrame, *, outcome: str, unit: str, time: str, dose: str,
                  cluster: str | None = None, bins: int | Sequence[float] | None = None,
                  spline_df: int | None = None, covariates: Sequence[str] = (),
                  weights: str | None = None, alpha: float = 0.05, grid: int = 50) -> DoseResult:
    """Effect per EUR per resident: TWFE slope and a dose curve.

    Parameters
    ----------
    df : tidy panel (not mutated).
    outcome, unit, time : column names.
    dose : funding in **EUR per resident in the same year** (>= 0; 0 = not funded that year).
    cluster : cluster column of the SEs (default: ``unit``; CR1 as :func:`~.did.twfe`).
    bins : ``int`` k = k quantile bins of the positive doses; a list = bin edges (EUR per
        resident, positive doses only; each bin is ``(low, high]``). Each bin's effect is against
        zero dose. ``None``: no bins.
    spline_df : degrees of freedom of a B-spline in the dose with ``f(0) = 0`` (degree
        ``min(3, spline_df)``, interior knots at quantiles of the positive doses). ``None``: no spline.
    covariates, weights : passed to the TWFE regressions.
    alpha : 1 - confidence level. grid : points of the curve for the linear fit and the spline.

    Returns
    -------
    DoseResult: ``estimate``/``se`` = slope in outcome units per 1 EUR per resident per year
    (``spec["estimate_unit"]`` says so); ``curve``; ``extras["curve_fit"]`` = the curve regression.
    """
    from .did import twfe

    if bins is not None and spline_df is not None:
        raise ValueError("give either bins or spline_df, not both")
    what = "dose_response"
    covariates = list(covariates)
    _prep.require_columns(df, {"outcome": outcome, "unit": unit, "time": time, "dose": dose,
                               "cluster": cluster, "weights": weights,
                               **{f"covariate {c}": c for c in covariates}}, what=what)
    _prep.require_numeric(df, [dose], what=what)
    _prep.check_panel(df, unit=unit, time=time, what=what)  # the outcome warning comes from twfe below
    dv = pd.to_numeric(df[dose]).astype(float)
    neg = dv < 0
    if neg.any():
        raise DataValidationError([Problem(column=dose, row=r, value=v, expected="a dose >= 0 (EUR per resident)")
                                   for r, v in dv[neg].head(10).items()], what=what)
    lin = twfe(df, outcome=outcome, unit=unit, time=time, treatment=dose, covariates=covariates,
               weights=weights, cluster=cluster, alpha=alpha)
    used = df.loc[~df.index.isin(lin.dropped["row"])] if lin.dropped is not None and len(lin.dropped) else df
    d_used = pd.to_numeric(used[dose]).astype(float)
    pos = d_used[d_used > 0]
    if len(pos) == 0:
        raise DataValidationError([Problem(column=dose, expected="some positive doses")], what=what)
    z = _crit(alpha, lin.spec.get("df"))
    curve_fit = None
    if bins is None and spline_df is None:
        xs = np.linspace(0.0, float(pos.max()), grid)
        curve = pd.DataFrame({"dose": xs, "effect": lin.estimate * xs,
                              "ci_low": np.minimum(lin.ci[0] * xs, lin.ci[1] * xs),
                              "ci_high": np.maximum(lin.ci[0] * xs, lin.ci[1] * xs), "kind": "linear"})
    elif bins is not None:
        edges = _bin_edges(pos.to_numpy(), bins, dose=dose)
        code = np.digitize(d_used.to_numpy(), edges[1:-1], right=True)  # 0..k-1 for positive doses
        names = [f"_dose_bin{i}" for i in range(len(edges) - 1)]
        work = used.copy()
        for i, nm in enumerate(names):
            work[nm] = ((d_used.to_numpy() > 0) & (code == i)).astype(float)
        counts = work[names].sum()
        empty = [nm for nm in names if counts[nm] == 0]
        if empty:
            raise DataValidationError([Problem(column=dose, expected=f"at least one observation in dose bin "
                                               f"({edges[int(nm[9:])]:g}, {edges[int(nm[9:]) + 1]:g}]")
                                       for nm in empty], what=what)
        curve_fit = _fit_quiet(twfe, work, outcome=outcome, unit=unit, time=time, treatment=names[0],
                               covariates=names[1:] + covariates, weights=weights, cluster=cluster, alpha=alpha)
        tab = curve_fit.table.set_index("term").loc[names]
        mean_dose = [float(d_used[(d_used > 0).to_numpy() & (code == i)].mean()) for i in range(len(names))]
        curve = pd.DataFrame({"dose": mean_dose, "effect": tab["estimate"].to_numpy(),
                              "ci_low": tab["ci_low"].to_numpy(), "ci_high": tab["ci_high"].to_numpy(),
                              "kind": "bins", "bin_low": edges[:-1], "bin_high": edges[1:],
                              "n_obs": counts.to_numpy().astype(int), "se": tab["se"].to_numpy()})
        curve["effect_per_eur"] = curve["effect"] / curve["dose"]
    else:
        if not (isinstance(spline_df, (int, np.integer)) and spline_df >= 1):
            raise ValueError(f"spline_df must be a positive integer, got {spline_df!r}")
        basis = _spline_basis(pos.to_numpy(), int(spline_df))
        names = [f"_dose_s{i}" for i in range(int(spline_df))]
        work = used.copy()
        B = basis(d_used.to_numpy())
        for i, nm in enumerate(names):
            work[nm] = B[:, i]
        curve_fit = _fit_quiet(twfe, work, outcome=outcome, unit=unit, time=time, treatment=names[0],
                               covariates=names[1:] + covariates, weights=weights, cluster=cluster, alpha=alpha)
        beta = curve_fit.table.set_index("term").loc[names, "estimate"].to_numpy(float)
        V = np.asarray(curve_fit.extras["vcov"].loc[names, names], dtype=float)
        xs = np.linspace(0.0, float(pos.max()), grid)
        G = basis(xs)
        eff = G @ beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", G, V, G))
        curve = pd.DataFrame({"dose": xs, "effect": eff, "ci_low": eff - z * se, "ci_high": eff + z * se,
                              "kind": "spline", "se": se})
    unit_txt = UNIT_EN.format(outcome=outcome)
    spec = {**lin.spec, "dose": dose, "bins": bins if bins is None or isinstance(bins, int) else list(bins),
            "spline_df": spline_df, "estimate_unit": unit_txt,
            "estimator": "TWFE slope (pyfixest via llq_analysis.impact.did.twfe)"}
    return DoseResult(method="dose", estimate=lin.estimate, se=lin.se, ci=lin.ci, pvalue=lin.pvalue,
                      n_obs=lin.n_obs, n_clusters=lin.n_clusters, table=lin.table, spec=spec,
                      fingerprint=lin.fingerprint, provenance=lin.provenance,
                      extras={**lin.extras, "curve_fit": curve_fit, "estimate_unit": unit_txt,
                              "dose_range": (float(pos.min()), float(pos.max())),
                              "n_positive_dose_obs": int(len(pos))},
                      warnings=lin.warnings + (curve_fit.warnings if curve_fit is not None else ()),
                      dropped=lin.dropped, curve=curve.reset_index(drop=True))


def _fit_quiet(fn, data, **kw):
    """Run a curve regression; its warnings repeat those of the slope fit, so record, don't re-emit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _prep.ImpactWarning)
        return fn(data, **kw)


def _crit(alpha: float, df: float | None) -> float:
    from scipy import stats

    if df is None or not np.isfinite(df):
        return float(stats.norm.ppf(1 - alpha / 2))
    return float(stats.t.ppf(1 - alpha / 2, df))


def _bin_edges(pos: np.ndarray, bins, *, dose: str) -> np.ndarray:
    """Edges of dose bins over the positive doses: (0, q1], (q1, q2], ..., (q_{k-1}, max]."""
    if isinstance(bins, (int, np.integer)):
        k = int(bins)
        if k < 1:
            raise ValueError(f"bins must be >= 1, got {bins!r}")
        inner = np.quantile(pos, np.linspace(0, 1, k + 1)[1:-1]) if k > 1 else np.array([])
        edges = np.unique(np.concatenate([[0.0], inner, [pos.max()]]))
        if len(edges) - 1 < k:
            raise DataValidationError([Problem(column=dose, expected=f"{k} distinct dose bins; the positive "
                                               f"doses have only {len(np.unique(pos))} distinct values")])
        return edges
    edges = np.asarray(sorted(float(b) for b in bins), dtype=float)
    if len(edges) < 2:
        raise ValueError("bins as a list needs at least two edges")
    if edges[0] < 0:
        raise ValueError("bin edges must be >= 0")
    if pos.max() > edges[-1] or pos.min() <= edges[0]:
        raise DataValidationError([Problem(column=dose, expected=f"positive doses within ({edges[0]:g}, "
                                           f"{edges[-1]:g}] (the bin edges); found {pos.min():g} .. {pos.max():g}")])
    return edges


def _spline_basis(pos: np.ndarray, df: int):
    """B-spline basis ``x -> (len(x), df)`` on [0, max dose] with every column 0 at dose 0."""
    from scipy.interpolate import BSpline

    degree = min(3, df)
    n_inner = df - degree
    inner = np.quantile(pos, np.linspace(0, 1, n_inner + 2)[1:-1]) if n_inner > 0 else np.array([])
    lo, hi = 0.0, float(pos.max())
    t = np.concatenate([[lo] * (degree + 1), inner, [hi] * (degree + 1)])

    def basis(x: np.ndarray) -> np.ndarray:
        x = np.clip(np.asarray(x, dtype=float), lo, hi)
        M = BSpline.design_matrix(x, t, degree, extrapolate=False).toarray()
        M0 = BSpline.design_matrix(np.array([lo]), t, degree, extrapolate=False).toarray()
        return (M - M0)[:, 1:]  # drop the first column: the basis sums to 1 (collinear with the FE)

    return basis


__all__ = ["DoseResult", "dose_response"]
