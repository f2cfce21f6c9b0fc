"""Difference-in-differences with spillovers to neighbouring units: :func:`spillover_did`.

A Quartierszentrum also serves the Ortsteile next door. If untreated neighbours benefit, a plain
TWFE regression uses them as controls and understates the direct effect (Butts 2021; Clarke 2017).
:func:`spillover_did` estimates the direct effect and the spillover effect on untreated units
separately, in one two-way fixed-effects regression

    ``y_it = tau * D_it + gamma * S_it [+ gamma_T * E_it T_it] + x_it'beta + a_i + l_t + u_it``

* ``D_it``: the treatment as given (0/1, or a dose such as EUR per resident: ``tau`` is then per
  unit of the dose); unit ``i`` is *treated* in ``t`` when ``D_it > 0``.
* ``E_it``: exposure through treated neighbours - ``"share"`` (default; treated neighbours /
  neighbours observed in ``t``) or ``"count"`` (number of treated neighbours).
* ``S_it = E_it * (1 - T_it)``: exposure of *untreated* unit-periods (the spillover on
  controls). ``spill_on_treated=True`` adds ``E_it * T_it`` (spillover among treated units).

Identification (Butts 2021, sec. 3): parallel trends of untreated outcomes, no anticipation, and a
correctly specified exposure mapping - spillovers reach only the listed neighbours and are linear
in the exposure. ``tau`` is then the direct effect relative to *pure* controls (untreated units
without treated neighbours) and ``gamma`` the effect of full exposure (share 1) on an untreated
unit. Staggered adoption with effects that change over time biases TWFE as without spillovers
(Goodman-Bacon 2021): compare with :func:`~llq_analysis.impact.staggered.staggered_did`.

Inference: ``"cr1"`` (default; cluster-robust, all dummies counted, t with G-1 df - as
:func:`~llq_analysis.impact.did.twfe`), ``"cr0"``, ``"hc1"``, ``"iid"``, or ``"wild"``
(WCR wild cluster bootstrap of :func:`~llq_analysis.impact.inference.wild_cluster_bootstrap`,
once per coefficient with the other regressors as covariates). Validation: tests/test_spillover.py
and docs/methods_spillover.md.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _prep
from ._fe_engine import _fit, _is_clustered, _table, _vcov_name
from .results import EffectResult, data_fingerprint, data_provenance

__all__ = ["SpilloverResult", "exposure", "spillover_did"]

EXPOSURES = ("share", "count")
INFERENCE = ("cr1", "cr0", "hc1", "iid", "wild")
_DIRECT, _SPILL, _SPILL_T = "_direct__", "_spill_untreated__", "_spill_treated__"
TERMS = {"direct": _DIRECT, "spillover": _SPILL, "spillover_treated": _SPILL_T}


@dataclass(frozen=True)
class SpilloverResult(EffectResult):
    """Result of :func:`spillover_did`. Headline (``estimate``, ``se``, ``ci``, ``pvalue``) = the
    direct effect; ``table`` has the rows ``direct``, ``spillover`` (on untreated units) and, with
    ``spill_on_treated``, ``spillover_treated``, then the covariates. ``extras["exposure"]``: the
    exposure per unit-period (``unit, time, treated, exposure``)."""

    def term(self, name: str) -> pd.Series:
        """One row of ``table`` (``"direct"``, ``"spillover"``, ``"spillover_treated"``)."""
        rows = self.table[self.table["term"] == name]
        if rows.empty:
            raise KeyError(f"no term {name!r}; terms: {list(self.table['term'])}")
        return rows.iloc[0]

    @property
    def spillover(self) -> float:
        return float(self.term("spillover")["estimate"])

    def summary(self, lang: str = "de") -> str:
        """Both effects in words, then the standard summary and what is (not) separated."""
        from ..i18n import t

        d, s = self.term("direct"), self.term("spillover")
        kind = t(f"spill.exposure_{self.spec.get('exposure', 'share')}", lang)
        lines = [t("spill.direct", lang).format(est=_f(d.estimate), lo=_f(d.ci_low), hi=_f(d.ci_high),
                                                p=_f(d.pvalue, 3)),
                 t("spill.spillover", lang).format(est=_f(s.estimate), lo=_f(s.ci_low), hi=_f(s.ci_high),
                                                   p=_f(s.pvalue, 3), exposure=kind)]
        if "spillover_treated" in set(self.table["term"]):
            st = self.term("spillover_treated")
            lines.append(t("spill.spillover_treated", lang).format(est=_f(st.estimate), lo=_f(st.ci_low),
                                                                   hi=_f(st.ci_high)))
        lines.append(t("spill.exposed", lang).format(n=self.extras.get("n_exposed_untreated_units", 0),
                                                     pure=self.extras.get("n_pure_control_units", 0)))
        lines.append(t("spill.note", lang))
        return "\n".join([super().summary(lang), *lines])

    def plot(self, ax=None, lang: str = "de"):
        """Direct and spillover effects with 95 % intervals (coefficient plot)."""
        from ..i18n import t
        from ..outputs import plots

        frame = self.to_frame()
        frame = frame[frame["term"].isin(list(TERMS))].assign(term=lambda f: [t(f"spill.term_{x}", lang)
                                                                               for x in f["term"]])
        return plots.coef_plot(frame, ax=ax, lang=lang, provenance=self.provenance,
                               title=t("method.spillover", lang))


def _f(x: float, digits: int = 4) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.{digits}g}"


# -- neighbours and exposure ------------------------------------------------------------------
def _edges(neighbours, unit: str, what: str) -> pd.DataFrame:
    """``neighbours`` (frame with ``quartier_id``/``unit`` and ``neighbour_id``, or dict id -> ids)
    as a de-duplicated frame ``src, dst``."""
    if isinstance(neighbours, pd.DataFrame):
        src = unit if unit in neighbours.columns else "quartier_id"
        missing = [c for c in (src, "neighbour_id") if c not in neighbours.columns]
        if missing:
            raise DataValidationError([Problem(column=c, expected=f"a column {c!r} in neighbours (one row per "
                                               f"pair: {src}, neighbour_id); found "
                                               f"{', '.join(map(str, neighbours.columns))}") for c in missing],
                                      what=what)
        e = pd.DataFrame({"src": neighbours[src].to_numpy(), "dst": neighbours["neighbour_id"].to_numpy()})
    elif isinstance(neighbours, Mapping):
        pairs = [(k, v) for k, vs in neighbours.items() for v in (vs if not isinstance(vs, str) else [vs])]
        e = pd.DataFrame(pairs, columns=["src", "dst"], dtype=object)
    else:
        raise TypeError(f"{what}: neighbours must be a DataFrame (quartier_id, neighbour_id) or a dict "
                        f"id -> list of ids, got {type(neighbours).__name__}")
    bad = e[e["src"].isna() | e["dst"].isna()]
    loops = e[e["src"] == e["dst"]]
    problems = [Problem(column="neighbour_id", row=int(r), expected="a pair of ids in every row")
                for r in bad.index[:10]]
    problems += [Problem(column="neighbour_id", row=int(r), value=v, expected=f"a neighbour other than the unit "
                         f"itself ({v!r} is listed as its own neighbour)") for r, v in loops["src"].head(10).items()]
    if problems:
        raise DataValidationError(problems, what=f"{what} (neighbours)")
    return e.drop_duplicates().reset_index(drop=True)


def _exposure_matrices(panel: pd.DataFrame, *, unit: str, time: str, treatment: str, neighbours, kind: str,
                       unknown_neighbours: str, what: str):
    """(unit levels, time levels, treated U x T, exposure U x T, observed neighbours U x T)."""
    if kind not in EXPOSURES:
        raise ValueError(f"exposure must be one of {EXPOSURES}, got {kind!r}")
    if unknown_neighbours not in ("error", "ignore"):
        raise ValueError(f"unknown_neighbours must be 'error' or 'ignore', got {unknown_neighbours!r}")
    e = _edges(neighbours, unit, what)
    ok = (panel[unit].notna() & panel[time].notna()).to_numpy()
    ucodes, ulev = pd.factorize(panel[unit].to_numpy()[ok])
    tcodes, tlev = pd.factorize(panel[time].to_numpy()[ok])
    pos = pd.Index(ulev)
    si, di = pos.get_indexer(e["src"]), pos.get_indexer(e["dst"])
    unknown = sorted(set(map(str, e.loc[si < 0, "src"])) | set(map(str, e.loc[di < 0, "dst"])))
    if unknown and unknown_neighbours == "error":
        raise DataValidationError([Problem(column="neighbour_id", value=u, expected=f"ids that are units of the "
                                           f"panel's {unit!r} column (e.g. {', '.join(map(repr, list(ulev[:3])))}); "
                                           "filter neighbours or pass unknown_neighbours='ignore'")
                                   for u in unknown[:20]], what=f"{what} (neighbours)")
    if unknown:
        warnings.warn(f"{what}: {len(unknown)} neighbour id(s) are not units of the panel and are left out: "
                      f"{', '.join(unknown[:8])}{' ...' if len(unknown) > 8 else ''}", _prep.ImpactWarning,
                      stacklevel=4)
    keep = (si >= 0) & (di >= 0)
    si, di = si[keep], di[keep]
    U, T = len(ulev), len(tlev)
    on = np.zeros((U, T))
    seen = np.zeros((U, T))
    d = _prep.as_float(panel[treatment])[ok]
    np.add.at(on, (ucodes, tcodes), np.nan_to_num(d, nan=0.0) > 0)
    np.add.at(seen, (ucodes, tcodes), ~np.isnan(d))
    from scipy import sparse

    A = sparse.csr_matrix((np.ones(len(si)), (si, di)), shape=(U, U))
    count, n_nb = A @ on, A @ seen
    with np.errstate(divide="ignore", invalid="ignore"):
        ex = count if kind == "count" else np.where(n_nb > 0, count / n_nb, 0.0)
    return pd.Index(ulev), pd.Index(tlev), on > 0, ex, n_nb


def exposure(panel: pd.DataFrame, *, unit: str, time: str, treatment: str, neighbours,
             kind: str = "share", unknown_neighbours: str = "error", what: str = "exposure") -> pd.DataFrame:
    """Exposure of every unit-period through treated neighbours (treated = ``treatment > 0``).

    Returns a frame aligned with ``panel`` (same index): ``treated`` (0/1), ``exposure`` (share of
    the neighbours observed in that period that are treated, or their count), ``n_neighbours``
    (observed in that period). Units without neighbours have exposure 0 (rows without a unit or
    time: NaN). Neighbour ids that are not units of the panel are an error
    (``unknown_neighbours="error"``) or left out with a warning (``"ignore"``).
    """
    ulev, tlev, on, ex, n_nb = _exposure_matrices(panel, unit=unit, time=time, treatment=treatment,
                                                  neighbours=neighbours, kind=kind,
                                                  unknown_neighbours=unknown_neighbours, what=what)
    return _at(panel, unit, time, ulev, tlev, {"treated": on, "exposure": ex, "n_neighbours": n_nb})


def _at(rows: pd.DataFrame, unit: str, time: str, ulev: pd.Index, tlev: pd.Index,
        mats: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Values of U x T matrices at the (unit, time) of each row (NaN where not found)."""
    ui, ti = ulev.get_indexer(rows[unit]), tlev.get_indexer(rows[time])
    found = (ui >= 0) & (ti >= 0)
    out = {}
    for name, m in mats.items():
        v = np.full(len(rows), np.nan)
        v[found] = m[ui[found], ti[found]]
        out[name] = v
    return pd.DataFrame(out, index=rows.index)


# -- estimator --------------------------------------------------------------------------------
def spillover_did(panel: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str, neighbours,
                  exposure_kind: str = "share", spill_on_treated: bool = False, covariates: Sequence[str] = (),
                  weights: str | None = None, cluster: str | None = None, inference: str = "cr1",
                  reps: int = 9999, seed: int | None = 1, alpha: float = 0.05,
                  unknown_neighbours: str = "error",
                  few_treated_threshold: int = _prep.FEW_TREATED_CLUSTERS) -> SpilloverResult:
    """Direct and spillover effects in one TWFE regression (see the module docstring).

    Parameters
    ----------
    panel : long panel, one row per ``unit`` and ``time`` (not modified).
    outcome : outcome column (e.g. SGB II rate in %; effects are in its units).
    treatment : 0/1 or a dose (EUR per resident); ``> 0`` marks a treated unit-period.
    neighbours : DataFrame with columns ``quartier_id`` (or ``unit``) and ``neighbour_id`` (e.g.
        ``llq.neighbours()``), or a dict id -> list of neighbour ids. Directed: list both
        directions for a symmetric adjacency.
    exposure_kind : ``"share"`` (treated neighbours / observed neighbours) or ``"count"``.
    spill_on_treated : also estimate the exposure effect among treated units.
    covariates, weights : as :func:`~llq_analysis.impact.did.twfe` (weights not with ``"wild"``).
    cluster : cluster column (default ``unit``).
    inference : ``"cr1"`` (default), ``"cr0"``, ``"hc1"``, ``"iid"`` or ``"wild"`` (WCR wild
        cluster bootstrap, ``reps`` draws, ``seed``).
    unknown_neighbours : ``"error"`` (default) or ``"ignore"`` for neighbour ids not in the panel.

    Returns
    -------
    SpilloverResult: headline = direct effect; ``spillover``; ``table`` rows ``direct``,
    ``spillover`` (, ``spillover_treated``, covariates); ``summary()`` German by default.
    """
    what = "spillover_did"
    inference = str(inference).lower()
    if inference not in INFERENCE:
        raise ValueError(f"inference must be one of {INFERENCE}, got {inference!r}")
    if inference == "wild" and weights is not None:
        raise ValueError("inference='wild' does not support weights; use inference='cr1'")
    vcov = "CR1" if inference == "wild" else _vcov_name(inference)
    covariates = tuple(covariates)
    cluster = cluster or unit
    data, dropped, warns = _prep.prepare(
        panel, required={"outcome": outcome, "unit": unit, "time": time, "treatment": treatment,
                         "cluster": cluster, "weights": weights, **{f"covariate {c}": c for c in covariates}},
        numeric=[outcome, treatment, weights, *covariates],
        complete=[outcome, unit, time, treatment, cluster, weights, *covariates], ids=[unit, time], what=what)
    warns += _prep.check_panel(panel, unit=unit, time=time, outcome=outcome, what=what)
    if (_prep.as_float(data[treatment]) < 0).any():
        bad = data.index[_prep.as_float(data[treatment]) < 0][:10]
        raise DataValidationError([Problem(column=treatment, row=r, value=data.at[r, treatment],
                                           expected="a treatment >= 0 (0/1 or a dose)") for r in bad], what=what)
    # exposure from the treatment of *all* rows with a known treatment (a neighbour's missing
    # outcome does not hide its funding)
    ulev, tlev, on, exm, n_nb = _exposure_matrices(panel, unit=unit, time=time, treatment=treatment,
                                                   neighbours=neighbours, kind=exposure_kind,
                                                   unknown_neighbours=unknown_neighbours, what=what)
    ex = _at(data, unit, time, ulev, tlev, {"treated": on, "exposure": exm})
    work = data.copy()
    tr = ex["treated"].to_numpy().astype(int)
    work[_DIRECT] = _prep.as_float(data[treatment])
    work[_SPILL] = ex["exposure"].to_numpy() * (1 - tr)
    terms = [_DIRECT, _SPILL] + ([_SPILL_T] if spill_on_treated else [])
    if spill_on_treated:
        work[_SPILL_T] = ex["exposure"].to_numpy() * tr
    problems = []
    if not tr.any():
        problems.append(Problem(column=treatment, expected="some treated unit-periods (treatment > 0)"))
    if not (work[_SPILL] > 0).any():
        problems.append(Problem(column="neighbour_id", expected="some untreated unit-periods with a treated "
                                "neighbour (no exposure: the spillover effect is not identified)"))
    exposed_units = set(work.loc[work[_SPILL] > 0, unit])
    ever = set(work.loc[tr > 0, unit])
    pure = set(work[unit]) - ever - set(work.loc[ex["exposure"].to_numpy() > 0, unit])
    if not pure and not problems:
        warns.append(f"{what}: no pure control unit (never treated and never exposed); the effects are "
                     "identified from timing only")
    if problems:
        raise DataValidationError(problems, what=what)
    if _is_clustered(vcov):
        n_cl = int(work[cluster].nunique())
        for label, col in (("treated", _DIRECT), ("exposed untreated", _SPILL)):
            msg = _prep.few_clusters_warning(_prep.n_treated_clusters(work[cluster], work[col]), n_cl,
                                             threshold=few_treated_threshold, what=f"{what} ({label})")
            if msg:
                warns.append(msg)
    user = {_DIRECT: treatment, _SPILL: "exposure of untreated units (neighbours)",
            _SPILL_T: "exposure of treated units (neighbours)"}
    try:
        fit = _fit("numpy", work, y=outcome, regressors=[*terms, *covariates], unit=unit, time=time,
                   cluster=cluster, vcov=vcov, weights=weights, what=what)
    except DataValidationError as exc:  # name the user's columns, not the internal regressors
        raise DataValidationError([Problem(column=", ".join(user.get(c, c) for c in str(p.column).split(", ")),
                                           expected=p.expected + f" ({fit_context(work, unit, time)})")
                                   for p in exc.problems], what=what) from None
    for name, col in TERMS.items():
        if col in terms and not np.isfinite(fit.coef[col]):
            raise DataValidationError([Problem(column=treatment if col == _DIRECT else "neighbour_id",
                                               expected=f"a {name} regressor that is not collinear with the unit "
                                               "and time effects (and the other regressors)")], what=what)
    table = _table(fit, [*terms, *covariates], alpha)
    table["term"] = [{v: k for k, v in TERMS.items()}.get(x, x) for x in table["term"]]
    inf_txt = (f"{vcov} clustered by {cluster} ({fit.n_clusters} clusters), t({fit.df_t:g})"
               if _is_clustered(vcov) else f"{vcov}, t({fit.df_t:g})")
    wild = {}
    if inference == "wild":
        from .inference import wild_cluster_bootstrap

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", _prep.ImpactWarning)  # already reported above
            for i, col in enumerate(terms):
                others = [c for c in terms if c != col] + list(covariates)
                wb = wild_cluster_bootstrap(work, outcome=outcome, unit=unit, time=time, treatment=col,
                                            cluster=cluster, covariates=others, reps=reps, seed=seed, alpha=alpha)
                table.loc[i, ["ci_low", "ci_high", "pvalue"]] = [wb.ci[0], wb.ci[1], wb.pvalue]
                wild[table.at[i, "term"]] = wb
        inf_txt = wild[next(iter(wild))].spec["inference"] + "; SE: CR1"
    h = table.iloc[0]
    n_units = int(work[unit].nunique())
    exp_frame = pd.DataFrame({unit: data[unit].to_numpy(), time: data[time].to_numpy(),
                              "treated": tr, "exposure": ex["exposure"].to_numpy()}, index=data.index)
    return SpilloverResult(
        method="spillover", estimate=float(h.estimate), se=float(h.se), ci=(float(h.ci_low), float(h.ci_high)),
        pvalue=float(h.pvalue), n_obs=fit.n_obs, n_clusters=fit.n_clusters, table=table,
        spec={"outcome": outcome, "unit": unit, "time": time, "treatment": treatment, "exposure": exposure_kind,
              "spill_on_treated": spill_on_treated, "covariates": list(covariates), "weights": weights,
              "cluster": cluster if _is_clustered(vcov) else None, "vcov": vcov, "df": fit.df_t, "alpha": alpha,
              "inference": inf_txt, "inference_kind": inference,
              "headline": "direct effect (treated vs pure controls)"},
        fingerprint=data_fingerprint(data, [c for c in (outcome, unit, time, treatment, cluster, weights,
                                                        *covariates) if c]),
        provenance=data_provenance(panel, [outcome, treatment]),
        extras={"vcov": fit.vcov.rename(index=_rename, columns=_rename), "exposure": exp_frame,
                "n_units": n_units, "n_treated_units": len(ever), "n_exposed_untreated_units": len(exposed_units),
                "n_pure_control_units": len(pure), "wild": wild or None,
                "mean_exposure_untreated": float(work.loc[tr == 0, _SPILL].mean()) if (tr == 0).any() else math.nan},
        warnings=tuple(dict.fromkeys(warns)), dropped=dropped)


def fit_context(work: pd.DataFrame, unit: str, time: str) -> str:
    """Short description of the rows a failed fit used (for the error message)."""
    times = sorted(map(str, pd.unique(work[time])))
    return (f"{len(work)} rows with complete values, {work[unit].nunique()} units, periods "
            f"{', '.join(times[:8])}{' ...' if len(times) > 8 else ''}")


def _rename(x: str) -> str:
    return {v: k for k, v in TERMS.items()}.get(x, x)
