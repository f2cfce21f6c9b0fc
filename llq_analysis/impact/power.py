"""Power and minimum detectable effect (MDE) of the actual evaluation design.

:func:`minimum_detectable_effect` answers: *which effect could this evaluation detect at all?*
For the actual design (which units are funded from which year, which years the outcome is
observed - turnout only in election years -, the outcome's residual variance and serial
correlation) it returns the smallest effect that a TWFE regression ``y ~ D + unit FE + time FE``
with cluster-robust (CR1, by unit) SE detects with probability ``power`` in a two-sided test at
level ``alpha``; in outcome units (pp), per EUR per resident (``dose``) and in persons (``base``).

``method="simulation"`` (placebo designs; Bertrand, Duflo & Mullainathan 2004, sec. IV;
Burlig, Preonas & Woerman 2020, sec. 4): only rows before the first funded year are used, so no
real effect is in the data. The actual timing pattern is shifted into that pre-period (a cohort
with ``q`` observed post periods gets the ``q``-th last pre-period as placebo start) and assigned
to random units (within ``strata``). For each placebo design the TWFE estimate ``b_j`` and its SE
are computed once: adding an effect ``d`` to the placebo-treated rows shifts the estimate by
exactly ``d`` and leaves the residuals (hence the SE) unchanged (OLS is linear and ``D`` fits
``d D`` perfectly; tested). The rejection rate ``r(d) = mean_j 1{|b_j + d| > t_crit se_j}`` is
then known for every ``d``, and the MDE is the smallest ``d`` with ``r(d) >= power`` (exact for
the drawn designs). The placebo window has fewer pre-periods than the actual design, so this
MDE is for "a design like the actual one on the pre-period data"; the summary also gives the
analytic MDE for the actual window.

``method="analytic"`` (Bloom 1995; Burlig, Preonas & Woerman 2020): ``MDE = (t_{1-alpha/2} +
t_{power}) SE`` with ``t`` on ``G - 1`` df, where ``SE`` is the exact SE of the TWFE estimator of
the actual design under AR(1) errors ``Cov(e_is, e_it) = lambda_i s2 rho^|s-t|``. ``s2`` and
``rho`` are fitted to the pre-period variogram ``E[(e_it - e_is)^2]/2 = s2 (1 - rho^|t-s|)``
(unit effects cancel in the differences, so there is no within-demeaning bias); ``lambda_i`` is
the unit's relative residual variance. With a single pre-period lag ``rho`` is not identified:
the least favourable ``rho`` in [0, 1) is used (stated in the summary) unless ``rho`` is given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from ..i18n import t as _t
from . import _power_engine as eng
from .results import data_fingerprint, data_provenance

METHODS = ("simulation", "analytic")


@dataclass(frozen=True)
class PowerResult:
    """Minimum detectable effect and power curve of a design.

    Attributes
    ----------
    method : "simulation" or "analytic"
    mde : minimum detectable effect (outcome units, e.g. pp), the larger of the two directions
    mde_increase, mde_decrease : MDE for an increase / a decrease (magnitudes)
    se : SE of the TWFE estimate under the design (analytic; simulation: SD of placebo estimates)
    alpha, power : test level (two-sided) and requested power
    per_eur : MDE per EUR per resident (``mde / dose``), None without ``dose``
    persons : MDE in persons in the funded units (``mde x base / 100``), None without ``base``
    size, size_mc_se : rejection rate at effect 0 and its Monte Carlo SE (simulation only)
    mde_mc_interval : Monte Carlo 95 % interval of the MDE (simulation only)
    curve : power curve (``effect``, ``power``, ``mc_se``); effect in outcome units, signed
    spec : inputs; design : one row per funded unit (cohort, placebo start)
    notes : (label key, parameters) shown in the summary, in its language
    dropped : rows not used (outcome missing), with the reason
    extras : variogram, AR(1) fit, analytic MDE of the actual and placebo window, placebo estimates,
        ``mde_actual_adjusted`` (simulation MDE x analytic actual / analytic placebo: the simulation
        carried over to the actual window by the formula's ratio)
    """

    method: str
    outcome: str
    mde: float
    mde_increase: float
    mde_decrease: float
    se: float
    alpha: float
    power: float
    n_obs: int
    n_units: int
    n_funded: int
    curve: pd.DataFrame
    per_eur: float | None = None
    dose: float | None = None
    persons: float | None = None
    base_total: float | None = None
    size: float | None = None
    size_mc_se: float | None = None
    mde_mc_interval: tuple[float, float] | None = None
    n_designs: int | None = None
    units: str = "pp"
    spec: Mapping[str, Any] = field(default_factory=dict)
    design: pd.DataFrame | None = None
    notes: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    dropped: pd.DataFrame | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    provenance: str = "user"

    @property
    def warnings(self) -> tuple[str, ...]:
        """The notes as German sentences (use ``summary(lang="en")`` for English)."""
        return tuple(_t(k, "de").format(**_fmt_params(p, "de")) for k, p in self.notes)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per figure (``term, value, mc_se, unit``) plus method and provenance."""
        u = self.units
        rows = [("mde", self.mde, None, u), ("mde_increase", self.mde_increase, None, u),
                ("mde_decrease", self.mde_decrease, None, u), ("se", self.se, None, u)]
        if self.mde_mc_interval is not None:
            rows += [("mde_mc_low", self.mde_mc_interval[0], None, u),
                     ("mde_mc_high", self.mde_mc_interval[1], None, u)]
        if self.per_eur is not None:
            rows.append(("mde_per_eur", self.per_eur, None, f"{u} per EUR per resident"))
        if self.persons is not None:
            rows.append(("mde_persons", self.persons, None, "persons"))
        if self.size is not None:
            rows.append(("rejection_rate_at_zero", self.size, self.size_mc_se, "share"))
        for k in ("mde_actual_analytic", "mde_placebo_analytic", "mde_actual_adjusted"):
            if self.extras.get(k) is not None:
                rows.append((k, self.extras[k], None, u))
        out = pd.DataFrame(rows, columns=["term", "value", "mc_se", "unit"])
        out.insert(0, "method", f"power_{self.method}")
        out["alpha"], out["power"] = self.alpha, self.power
        out["provenance"] = self.provenance
        return out

    def summary(self, lang: str = "de") -> str:
        """Plain-words summary (German by default, ``lang="en"``)."""
        def f(x, d=2):
            return _num(x, d, lang)

        ul = _t("power.unit_pp", lang) if self.units == "pp" else self.units
        lines = [_t("power.headline", lang).format(mde=f(self.mde), units=ul, power=f(100 * self.power, 0),
                                                   alpha=f(100 * self.alpha, 0))]
        if abs(self.mde_increase - self.mde_decrease) > 1e-9:
            lines.append(_t("power.directions", lang).format(up=f(self.mde_increase), down=f(self.mde_decrease),
                                                             units=ul))
        if self.per_eur is not None:
            uln = _t("power.unit_pp_nom", lang) if self.units == "pp" else self.units
            lines.append(_t("power.per_eur", lang).format(v=f(self.per_eur, 3), units=uln, dose=f(self.dose)))
        if self.persons is not None:
            lines.append(_t("power.persons", lang).format(n=f(self.persons, 0), base=f(self.base_total, 0)))
        lines.append(_t("power.design", lang).format(funded=self.n_funded, units=self.n_units,
                                                     years=self.spec.get("periods_text", "")))
        if self.method == "simulation":
            lines.append(_t("power.sim", lang).format(n=self.n_designs, window=self.spec.get("window_text", ""),
                                                      size=f(100 * self.size, 1),
                                                      mc=f(100 * self.size_mc_se, 1),
                                                      alpha=f(100 * self.alpha, 0),
                                                      lo=f(self.mde_mc_interval[0]),
                                                      hi=f(self.mde_mc_interval[1])))
            if self.extras.get("mde_actual_analytic") is not None:
                lines.append(_t("power.sim_vs_analytic", lang).format(
                    actual=f(self.extras["mde_actual_analytic"]), placebo=f(self.extras["mde_placebo_analytic"]),
                    adj=f(self.extras.get("mde_actual_adjusted"))))
        else:
            fit = self.extras.get("ar1", {})
            lines.append(_t("power.analytic", lang).format(rho=f(fit.get("rho"), 2), se=f(self.se, 3)))
        lines.append(f"{_t('method', lang)}: {_t('method.power_' + self.method, lang)}")
        if self.provenance == "simulated":
            lines.append(_t("simulated_warning", lang))
        for k, p in self.notes:
            lines.append("! " + _t(k, lang).format(**_fmt_params(p, lang)))
        if self.dropped is not None and len(self.dropped):
            lines.append("! " + _t("power.unobserved", lang).format(n=len(self.dropped)))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary("en")

    def _repr_html_(self) -> str:
        return "<div><p>" + self.summary("de").replace("\n", "<br>") + "</p></div>"

    def plot(self, ax=None, lang: str = "de"):
        """Power curve with the requested power and the MDE marked (a matplotlib Figure)."""
        from ..outputs.plots_power import power_curve_plot

        return power_curve_plot(self.curve, mde=(self.mde_decrease, self.mde_increase), power=self.power,
                                alpha=self.alpha, units=self.units, ax=ax, lang=lang,
                                provenance=self.provenance, title=_t("method.power_" + self.method, lang))


def _num(x, digits: int, lang: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    s = f"{x:,.{digits}f}"
    if lang == "de":
        s = s.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return s


def _fmt_params(p: Mapping[str, Any], lang: str) -> dict:
    """Floats in note parameters formatted for ``lang`` (decimal comma in German)."""
    return {k: _num(v, 2, lang) if isinstance(v, float) else v for k, v in p.items()}


def _check_levels(alpha: float, power: float, method: str) -> None:
    probs = []
    if not 0 < alpha < 1:
        probs.append(Problem(column=None, value=alpha, expected="alpha between 0 and 1 (e.g. 0.05)"))
    if not 0 < power < 1 or power <= alpha:
        probs.append(Problem(column=None, value=power, expected="power between alpha and 1 (e.g. 0.8)"))
    if method not in METHODS:
        probs.append(Problem(column=None, value=method, expected=f"method one of {METHODS}"))
    if probs:
        raise DataValidationError(probs, what="minimum_detectable_effect")


def _period_text(times: np.ndarray, design: eng.Design) -> str:
    labs = [design.time_labels.get(float(v), v) for v in times]
    labs = [int(v) if isinstance(v, (int, float, np.integer, np.floating)) and float(v).is_integer() else v
            for v in labs]
    if len(labs) > 6 and all(isinstance(v, int) for v in labs) and labs == list(range(labs[0], labs[-1] + 1)):
        return f"{labs[0]}–{labs[-1]}"
    return ", ".join(map(str, labs))


def _ar1_for(vg: pd.DataFrame, rho: float | None) -> tuple[float | None, float | None]:
    """(s2, rho) of the AR(1) model; (None, None) when rho is not identified (one lag)."""
    if vg.empty:
        raise DataValidationError([Problem(column=None, expected="units observed in at least two periods "
                                           "before the first funded period (no variance can be estimated)")],
                                  what="minimum_detectable_effect")
    if rho is not None:
        k, g, w = (vg[c].to_numpy(dtype=float) for c in ("lag", "gamma", "n"))
        fk = 1 - float(rho) ** k
        return float(np.sum(w * g * fk) / np.sum(w * fk * fk)), float(rho)
    fit = eng.fit_ar1(vg)
    return (None, None) if fit is None else fit


def _analytic(vg: pd.DataFrame, moments, *, rho, scale) -> tuple[float, float, float, bool]:
    """(SE, s2, rho, worst_case) of a design under the pre-period AR(1) model."""
    s2, r = _ar1_for(vg, rho)
    if s2 is not None:
        return eng.analytic_se(moments, s2, r, scale), s2, r, False
    k0, g0 = float(vg["lag"].iloc[0]), float(vg["gamma"].iloc[0])
    grid = np.linspace(0.0, 0.995, 200)      # least favourable rho matching the one observed lag
    s2s = g0 / (1 - grid ** k0)
    ses = eng.analytic_se(moments, s2s, grid, scale)
    j = int(np.argmax(ses))
    best = (float(ses[j]), float(s2s[j]), float(grid[j]))
    return best[0], best[1], best[2], True


def minimum_detectable_effect(panel: pd.DataFrame, *, outcome: str, unit: str, time: str,
                              treated: str | None = None, first_year: str | float,
                              alpha: float = 0.05, power: float = 0.8, method: str = "simulation",
                              n_designs: int = 1000, seed: int | None = 0, strata: str | None = None,
                              dose: str | float | None = None, base: str | None = None,
                              rho: float | None = None, heteroskedastic: bool = True, vcov: str = "CR1",
                              effects: Sequence[float] | None = None, units: str = "pp",
                              planned_periods: Sequence[float] | None = None) -> PowerResult:
    """Minimum detectable effect of the actual design (see the module docstring for the method).

    Parameters
    ----------
    panel : unit x time rows; rows with a missing outcome are not used (reported in ``dropped``)
    outcome, unit, time : column names (outcome in its units, e.g. % -> MDE in pp)
    first_year : cohort column (first funded period, 0/missing = never) or one common start year
        (then ``treated`` marks the funded units)
    treated : optional unit-constant 0/1 column of funded units, checked against ``first_year``
    alpha, power : two-sided test level and requested power
    method : ``"simulation"`` (placebo designs in the pre-period) or ``"analytic"`` (AR(1) formula)
    n_designs, seed, strata : number of placebo designs, RNG seed, unit-constant column to draw
        placebo units within (e.g. ``"city"``)
    dose : EUR per resident of the funded units - a column (mean over funded post rows with a
        value > 0) or a number; gives ``per_eur = mde / dose`` (linear dose response assumed)
    base : persons column behind the rate (e.g. ``population``): ``persons = mde x base / 100``
        summed over the funded units (mean of their funded years)
    rho : AR(1) coefficient per time unit for the analytic SE (default: fitted)
    heteroskedastic : analytic SE with unit-specific error variances from the pre-period
    effects : effect sizes of the power curve (default: 81 points in [-2 MDE, 2 MDE])
    units : outcome units for the text (``"pp"`` = percentage points)
    planned_periods : periods without values yet that the evaluation will observe (prospective
        design, e.g. ``[2021, 2022, 2023, 2024]`` before the data are published): every unit with
        values is assumed observed then; they count as post periods of the funded cohorts
    """
    _check_levels(alpha, power, method)
    if vcov not in eng.VCOV_FACTORS:
        raise DataValidationError([Problem(column=None, value=vcov, expected=f"vcov one of {eng.VCOV_FACTORS}")],
                                  what="minimum_detectable_effect")
    if method == "simulation" and not (isinstance(n_designs, (int, np.integer)) and n_designs >= 20):
        raise DataValidationError([Problem(column=None, value=n_designs, expected="n_designs: a whole number "
                                           ">= 20 (1,000 gives a Monte Carlo SE of about 0.013 at power 0.8)")],
                                  what="minimum_detectable_effect")
    from scipy import stats

    design = eng.prepare_design(panel, outcome=outcome, unit=unit, time=time, treated=treated,
                                first_year=first_year, strata=strata)
    uc_a, t_a, periods_all, planned_new = eng.with_planned(design, planned_periods)
    g_a = design.cohort[uc_a]
    d_act = ((g_a > 0) & (t_a >= g_a)).astype(float)
    n_post = np.array([(periods_all >= g).sum() if g > 0 else 0 for g in design.cohort])
    funded = np.flatnonzero((design.cohort > 0) & (n_post > 0))
    observed_units = np.unique(design.uc)
    notes: list[tuple[str, dict]] = []
    if len(funded) == 0:
        raise DataValidationError([Problem(column=outcome, expected="observed values of funded units in or "
                                           "after their first funded year (none: nothing to detect); for a "
                                           "prospective design pass planned_periods=[...]")],
                                  what="minimum_detectable_effect")
    if len(planned_new):
        notes.append(("power.note_planned", {"years": _period_text(planned_new, design)}))
    late = np.flatnonzero((design.cohort > 0) & (n_post == 0))
    if len(late):
        notes.append(("power.note_late", {"n": len(late)}))
    pre, pc, capped = eng.placebo_cohorts(design, periods_all)
    G = len(observed_units)
    scale = None
    if heteroskedastic:
        scale = eng.unit_scales(design.uc[pre], design.t[pre], design.y[pre], len(design.units))
    vg = eng.variogram(design.uc[pre], design.t[pre], design.y[pre])
    mom_act = eng.design_moments(uc_a, t_a, d_act)
    se_act, s2, r, worst = _analytic(vg, mom_act, rho=rho, scale=scale)
    if worst:
        notes.append(("power.note_rho", {"rho": float(r)}))
    dpl = ((pc[design.uc[pre]] > 0) & (design.t[pre] >= pc[design.uc[pre]])).astype(float)
    se_pl, *_ = _analytic(vg, eng.design_moments(design.uc[pre], design.t[pre], dpl), rho=rho, scale=None)
    G_pl = len(np.unique(design.uc[pre]))
    kappa = math.sqrt(eng.vcov_factor(vcov, len(t_a), G, len(periods_all)))
    kappa_pl = math.sqrt(eng.vcov_factor(vcov, int(pre.sum()), G_pl, len(np.unique(design.t[pre]))))
    factor = float(kappa * stats.t.ppf(1 - alpha / 2, G - 1) + stats.t.ppf(power, G - 1))
    factor_pl = float(kappa_pl * stats.t.ppf(1 - alpha / 2, G_pl - 1) + stats.t.ppf(power, G_pl - 1))
    mde_act, mde_pl = factor * se_act, factor_pl * se_pl
    extras: dict[str, Any] = {"ar1": {"s2": s2, "rho": r, "worst_case_rho": worst},
                              "variogram": vg,
                              "mde_actual_analytic": mde_act, "mde_placebo_analytic": mde_pl}
    pre_periods = np.unique(design.t[pre])
    window_pl = pre_periods
    spec = {"outcome": outcome, "unit": unit, "time": time, "first_year": first_year, "treated": treated,
            "alpha": alpha, "power": power, "method": method, "strata": strata, "dose": dose, "base": base,
            "periods_text": _period_text(periods_all, design), "planned_periods": list(planned_new),
            "window_text": _period_text(window_pl, design), "estimator": f"TWFE, {vcov} clustered by unit", "vcov": vcov,
            "kappa": kappa,
            "seed": seed}
    size = size_se = mc_int = None
    if method == "simulation":
        if capped:
            notes.append(("power.note_capped", {"m": len(pre_periods)}))
        pool = np.unique(design.uc[pre])
        lost = np.setdiff1d(funded, pool)
        if len(lost):
            notes.append(("power.note_no_pre", {"n": len(lost)}))
        if (pc[pool] > 0).sum() == 0:
            raise DataValidationError([Problem(column=outcome, expected="funded units with pre-period values "
                                               "for the placebo designs")], what="minimum_detectable_effect")
        rng = np.random.default_rng(seed)
        C = eng.draw_designs(pc, int(n_designs), rng, pool=pool, strata=design.strata)
        up, tp, yp = design.uc[pre], design.t[pre], design.y[pre]
        Cr = C[up]
        D = ((Cr > 0) & (tp[:, None] >= Cr)).astype(float)
        b, se, G_sim = eng.batch_twfe(yp, D, up, tp, vcov=vcov)
        ok = ~np.isnan(b)
        b, se = b[ok], se[ok]
        if (~ok).any():
            notes.append(("power.note_degenerate", {"n": int((~ok).sum())}))
        crit = float(stats.t.ppf(1 - alpha / 2, G_sim - 1))
        m_up = eng.smallest_effect(b, se, crit, power)
        m_dn = eng.smallest_effect(-b, se, crit, power)
        B = len(b)
        half = 1.96 * math.sqrt(power * (1 - power) / B)
        lo = max(eng.smallest_effect(b, se, crit, max(power - half, alpha)),
                 eng.smallest_effect(-b, se, crit, max(power - half, alpha)))
        hi = max(eng.smallest_effect(b, se, crit, min(power + half, 1 - 1 / B)),
                 eng.smallest_effect(-b, se, crit, min(power + half, 1 - 1 / B)))
        size = float(eng.rejection_rate(b, se, crit, 0.0)[0])
        size_se = math.sqrt(max(size * (1 - size), 1e-12) / B)
        mc_int = (lo, hi)
        mde = max(m_up, m_dn)
        sd = float(np.std(b, ddof=1))
        grid = np.asarray(effects, float) if effects is not None else np.linspace(-2 * mde, 2 * mde, 81)
        pw = eng.rejection_rate(b, se, crit, grid)
        curve = pd.DataFrame({"effect": grid, "power": pw, "mc_se": np.sqrt(pw * (1 - pw) / B)})
        extras.update({"placebo_estimates": b, "placebo_se": se, "crit": crit,
                       "mde_actual_adjusted": mde * mde_act / mde_pl if mde_pl > 0 else float("nan")})
        res_se, n_obs, n_units, nd = sd, int(len(yp)), int(G_sim), B
        if size > alpha + 3 * size_se:
            notes.append(("power.note_size", {"size": 100 * size, "alpha": 100 * alpha}))
    else:
        m_up = m_dn = mde = mde_act
        grid = np.asarray(effects, float) if effects is not None else np.linspace(-2 * mde, 2 * mde, 81)
        crit = kappa * float(stats.t.ppf(1 - alpha / 2, G - 1))
        z = grid / se_act
        pw = stats.t.cdf(z - crit, G - 1) + stats.t.cdf(-z - crit, G - 1)
        curve = pd.DataFrame({"effect": grid, "power": pw, "mc_se": np.nan})
        res_se, n_obs, n_units, nd = se_act, int(len(t_a)), int(G), None
    dose_val = eng.dose_value(panel, design, dose, unit, time, first_year)
    base_total, base_notes = eng.base_total(panel, design, base, unit, time, funded)
    notes.extend(base_notes)
    dtab = pd.DataFrame({unit: design.units[funded], "first_year": design.cohort[funded],
                         "observed_post_periods": n_post[funded], "placebo_first_period": pc[funded]})
    cols = [c for c in (outcome, unit, time, first_year if isinstance(first_year, str) else None) if c]
    return PowerResult(
        method=method, outcome=outcome, mde=float(mde), mde_increase=float(m_up), mde_decrease=float(m_dn),
        se=float(res_se), alpha=alpha, power=power, n_obs=n_obs, n_units=n_units, n_funded=len(funded),
        curve=curve, per_eur=None if dose_val is None else float(mde) / dose_val, dose=dose_val,
        persons=None if base_total is None else float(mde) * base_total / 100, base_total=base_total,
        size=size, size_mc_se=size_se, mde_mc_interval=mc_int, n_designs=nd, units=units, spec=spec,
        design=dtab, notes=tuple(notes), dropped=design.dropped, extras=extras,
        fingerprint=data_fingerprint(panel, cols), provenance=data_provenance(panel, [outcome]))


def power_curve(panel: pd.DataFrame, *, effects: Sequence[float] | None = None, **kwargs) -> PowerResult:
    """Power at each effect size in ``effects`` (outcome units, signed) for the actual design.

    Same arguments as :func:`minimum_detectable_effect` (which it calls); the curve is in
    ``result.curve`` (``effect``, ``power``, ``mc_se``) and drawn by ``result.plot()``.
    """
    return minimum_detectable_effect(panel, effects=effects, **kwargs)
