"""Aggregations of Callaway & Sant'Anna ATT(g,t) (R ``did::aggte``: simple, dynamic, group,
calendar), their influence-function SEs and the multiplier bootstrap with uniform bands
(R ``did::mboot``; Callaway & Sant'Anna 2021, sec. 4), and the :class:`AggregateResult` type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._staggered_prep import AGGREGATIONS, _lab, _pvalue, _z
from .results import EffectResult

if TYPE_CHECKING:
    from .staggered import StaggeredResult


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
    from .multiplier import wild_bootstrap_influence

    mb = wild_bootstrap_influence(inf, reps=int(B), seed=seed, alpha=alpha, weights_type="rademacher")
    se = np.asarray(mb.se, dtype=float)
    k = inf.shape[1] if band_cols is None else band_cols
    cols = np.arange(k)
    cols = cols[np.isfinite(se[cols])]
    if len(cols) == 0:
        return se, math.nan
    tmax = np.max(np.abs(mb.draws[:, cols]) / se[cols][None, :], axis=1)
    return se, float(np.quantile(tmax, 1 - alpha))
