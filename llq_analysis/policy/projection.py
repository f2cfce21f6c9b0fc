"""From an allocation and an effect per EUR per resident to projected indicator changes.

Model (stated once, used everywhere). For quartier *i* with allocation ``x_i`` EUR per year and
``P_i`` residents, the dose is ``d_i = x_i / P_i`` (EUR per resident per year, the unit of the
panel's ``llq_eur_per_capita``). The projected change of an outcome (percentage points) is

    delta_i = clip(beta * s_i * f(d_i), -y_i, 100 - y_i)     if the horizon >= lag, else 0

with ``beta`` the effect per EUR per resident per year (from an impact result, e.g.
:func:`llq_analysis.dose_response`, or an assumption), ``y_i`` the base-year level (the clip keeps
rates within 0-100 %), ``s_i`` = 1 (``scale="absolute"``) or ``y_i / ybar`` (``"relative"``:
effects proportional to the base level; ``ybar`` the base-weighted mean), and ``f`` the dose
shape: ``linear`` f(d) = d; ``log`` f(d) = r ln(1 + d/K) / ln(1 + r/K); ``saturation``
f(d) = d (K + r) / (K + d). All shapes agree with the linear estimate at the reference dose ``r``
(default: the mean observed positive dose in the panel), so ``beta`` keeps its meaning; ``K``
(``half_saturation``, default ``r``) sets how fast returns diminish. The effect of a continuing
annual allocation is a level shift from year ``lag`` on (no accumulation), as in a TWFE dose
model. Persons = delta / 100 x base population (``population_below_retirement_age`` for the SGB
II rate, ``population_u15`` for the child rate, the electorate for turnout; the unemployment
rate has no person base in the panel).

Uncertainty: ``beta`` is drawn from N(estimate, se) (``draws`` times, seeded); the same draw
applies to every quartier (one parameter), so city totals are exact sums over quartiers per draw.
Intervals are percentile intervals of the draws. They reflect only the sampling uncertainty of
the effect, not model or data uncertainty; say so when reporting.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .comparison import (
    ScenarioComparison,
    compare_scenarios,
    concentration_index,
    share_to_neediest,
)
from .effects import (
    ELECTION_OUTCOMES,
    OUTCOMES,
    RETURNS,
    TOTAL,
    _allocation_amounts,
    _Base,
    _panel_base,
    _quantile_pos,
    parse_effects,
    response,
)

__all__ = ["project", "compare_scenarios", "Projection", "ScenarioComparison",
           "concentration_index", "share_to_neediest", "OUTCOMES", "response",
           # defined in .effects, re-exported (their documented home)
           "ELECTION_OUTCOMES", "RETURNS", "TOTAL", "parse_effects"]

_TXT = {
    "de": {"title": "Projektion", "assumed": "Annahme (keine Schätzung)", "effect": "Effekt je EUR/Einwohner",
           "pp": "Prozentpunkte", "persons": "Personen", "interval": "95-%-Intervall",
           "not_attr": "nicht Quartieren zugeordnet (nicht projiziert)", "lag": "Verzögerung",
           "years": "Jahre", "returns": "Dosis-Form", "draws": "Ziehungen",
           "only_effect_unc": "Intervalle zeigen nur die Unsicherheit des Effekts.",
           "sim": "Achtung: Basisdaten simuliert – keine echten Quartierswerte."},
    "en": {"title": "Projection", "assumed": "assumption (not an estimate)", "effect": "effect per EUR/resident",
           "pp": "percentage points", "persons": "persons", "interval": "95 % interval",
           "not_attr": "not attributed to quartiers (not projected)", "lag": "lag", "years": "years",
           "returns": "dose shape", "draws": "draws",
           "only_effect_unc": "Intervals show only the uncertainty of the effect.",
           "sim": "Caution: simulated base data - not real quartier values."},
}


# ============================================================================ result


@dataclass(frozen=True)
class Projection:
    """Projected changes per quartier and city (frozen). ``to_frame()`` is canonical.

    ``quartiers``: one row per quartier and outcome; ``cities``: per city and the state
    (``Land Bremen``); ``draws[outcome][city]`` = persons per draw (pp for outcomes without a
    person base); ``beta_draws[outcome]`` = the effect draws.
    """

    quartiers: pd.DataFrame
    cities: pd.DataFrame
    draws: Mapping[str, Mapping[str, np.ndarray]]
    beta_draws: Mapping[str, np.ndarray]
    spec: Mapping[str, Any] = field(default_factory=dict)
    provenance: str = "user"
    effect_provenance: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_frame(self, level: str = "city") -> pd.DataFrame:
        """Tidy table: ``level="city"`` (cities + state) or ``"quartier"``; a copy."""
        if level not in ("city", "quartier"):
            raise ValueError("level must be 'city' or 'quartier'")
        out = (self.cities if level == "city" else self.quartiers).copy()
        out["provenance"] = self.provenance
        return out

    def summary(self, lang: str = "de") -> str:
        """Text summary per outcome for the state and each city."""
        from ..i18n import t

        T = _TXT[lang]
        sp = self.spec
        lines = [f"{T['title']} ({T['returns']}: {sp['returns']}, {T['lag']}: {sp['lag']} {T['years']}, "
                 f"{T['draws']}: {sp['draws']})"]
        for o in sp["outcomes"]:
            eff = sp["effects"][o]
            src = T["assumed"] if eff["provenance"] == "assumed" else f"{eff['label']} ({eff['provenance']})"
            lines.append(f"{t(o, lang)} – {T['effect']}: {_num(eff['estimate'], lang)} "
                         f"(SE {_num(eff['se'], lang)}; {src})")
            for _, r in self.cities[self.cities["outcome"] == o].iterrows():
                txt = (f"  {r['city']}: {_num(r['change_pp'], lang)} {T['pp']} "
                       f"[{_num(r['change_pp_low'], lang)}; {_num(r['change_pp_high'], lang)}]")
                if not np.isnan(r["persons"]):
                    txt += (f", {_num(r['persons'], lang, 0)} {T['persons']} "
                            f"[{_num(r['persons_low'], lang, 0)}; {_num(r['persons_high'], lang, 0)}]")
                lines.append(txt)
        un = self.cities.drop_duplicates("city")
        un = un[(un["city"] != TOTAL) & (un["unattributed_eur"] > 0)]
        if len(un) and sp["unattributed"] == "exclude":
            lines.append(", ".join(f"{r.city}: {_num(r.unattributed_eur, lang, 0)} EUR" for r in un.itertuples())
                         + f" {T['not_attr']}")
        lines.append(T["only_effect_unc"])
        if self.provenance == "simulated":
            lines.append(T["sim"])
        lines += [f"! {w}" for w in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary("en")

    def _repr_html_(self) -> str:
        return "<div><pre>" + self.summary("de") + "</pre>" + self.cities.to_html(index=False) + "</div>"

    def plot(self, outcome: str | None = None, *, level: str = "quartier", top: int = 30, lang: str = "de"):
        """Projected change with intervals (delegates to :func:`llq_analysis.outputs.plots.projection_plot`)."""
        from ..outputs import plots

        return plots.projection_plot(self, outcome=outcome, level=level, top=top, lang=lang)


def _num(x: float, lang: str, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "–"
    s = f"{x:,.{digits}f}" if digits == 0 else f"{x:.{digits}g}"
    if lang == "de":
        s = s.replace(",", "_").replace(".", ",").replace("_", ".")
    return s.replace("-", "−")


# ============================================================================ project


def project(allocation: pd.DataFrame, *, effect: Any, panel: pd.DataFrame, draws: int = 2000,
            seed: int | None = None, lag: int = 0, horizon: int | None = None, returns: str = "linear",
            ref_dose: float | None = None, half_saturation: float | None = None,
            scale: str = "absolute", year: int | None = None, unattributed: str = "exclude",
            dose_range: tuple[float, float] | None = None, level: float = 0.95,
            dose_column: str = "llq_eur_per_capita", _base: _Base | None = None,
            _beta: Mapping[str, np.ndarray] | None = None) -> Projection:
    """Project an allocation's effect on poverty and participation, with uncertainty.

    Parameters
    ----------
    allocation : output of :func:`llq_analysis.allocate` (``quartier_id``, ``city``, ``amount_eur``)
    effect : an impact result (``.estimate``, ``.se`` in percentage points per EUR per resident
        per year; the outcome is ``result.spec["outcome"]``), or an assumption: a number
        (outcome ``sgb2_rate``, no uncertainty), ``(estimate, se)``, or a dict outcome -> any of
        these (outcomes: ``sgb2_rate``, ``sgb2_rate_u15``, ``unemployment_rate``,
        ``turnout_buergerschaft``, ``turnout_bundestag``)
    panel : the quartier x year panel (base year levels and populations; observed dose range), or
        its :func:`~llq_analysis.policy.allocation.prepare_panel` snapshot for many fast calls
    draws, seed : number of effect draws from N(estimate, se) and the RNG seed
    lag, horizon : the effect appears ``lag`` years after funding starts; reported at year
        ``horizon`` (default ``lag``); before the lag the change is 0
    returns : ``"linear"``, ``"log"`` or ``"saturation"`` (see module docstring)
    ref_dose, half_saturation : reference dose r and K of the shapes (EUR per resident)
    scale : ``"absolute"`` (same effect per EUR/resident everywhere) or ``"relative"``
        (proportional to the quartier's base level; an assumption)
    year : base year (default: ``allocation.attrs["year"]``, else the panel's latest year)
    unattributed : ``"exclude"`` (default: money without a quartier is not projected) or
        ``"population"`` (spread over the city's residents)
    dose_range : observed (min, max) EUR per resident; default from the effect's spec, else the
        positive values of ``dose_column`` in the panel. A warning lists quartiers outside it.

    Returns
    -------
    :class:`Projection`
    """
    effs = parse_effects(effect)
    if returns not in RETURNS:
        raise ValueError(f"returns must be one of {RETURNS}, got {returns!r}")
    if scale not in ("absolute", "relative"):
        raise ValueError(f"scale must be 'absolute' or 'relative', got {scale!r}")
    if not (isinstance(draws, int) and draws >= 1):
        raise ValueError(f"draws must be a whole number >= 1, got {draws!r}")
    if lag < 0 or (horizon is not None and horizon < 0):
        raise ValueError("lag and horizon must be >= 0 (years)")
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    outcomes = [e.outcome for e in effs]
    yr = year if year is not None else allocation.attrs.get("year")
    base = _base if _base is not None else _panel_base(panel, yr, outcomes, dose_column)
    x, unattr = _allocation_amounts(allocation, base, unattributed)
    warn: list[str] = []
    no_pop = (x > 0) & ~(base.pop > 0)
    if no_pop.any():
        raise ValueError(f"allocation gives money to quartier(s) without residents: {list(base.ids[no_pop][:5])}")
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(base.pop > 0, x / base.pop, 0.0)
    obs_min, obs_max, obs_mean = base.dose_obs
    r = float(ref_dose) if ref_dose is not None else obs_mean
    if returns != "linear" and not (r > 0):
        raise ValueError("ref_dose: no positive observed dose in the panel; pass ref_dose=")
    fd = response(d, returns, ref=r, k=half_saturation)
    active = 1.0 if (lag if horizon is None else horizon) >= lag else 0.0
    hz = lag if horizon is None else horizon
    qs = [(1 - level) / 2, 0.5, 1 - (1 - level) / 2]
    rng = np.random.default_rng(seed)
    cities = [c for c in ("Bremen", "Bremerhaven") if (base.city == c).any()] + \
        [c for c in pd.unique(base.city) if c not in ("Bremen", "Bremerhaven")]
    qrows, crows = [], []
    draws_out: dict[str, dict[str, np.ndarray]] = {}
    betas: dict[str, np.ndarray] = {}
    for e in effs:
        o = e.outcome
        beta = (np.asarray(_beta[o]) if _beta is not None and o in _beta
                else (rng.normal(e.estimate, e.se, draws) if e.se > 0 else np.full(draws, e.estimate)))
        betas[o] = beta
        y = base.values[o]
        b = base.bases[o]
        ok = ~np.isnan(y)
        if scale == "relative":
            wts = np.where(ok & ~np.isnan(b), b, 0.0) if np.nansum(b) > 0 else np.where(ok, base.pop, 0.0)
            ybar = np.nansum(np.where(ok, y, 0) * wts) / wts.sum()
            s = np.where(ok, y / ybar, 0.0)
        else:
            s = np.ones_like(y)
        c = np.where(ok, s * fd * active, 0.0)  # >= 0
        lo_b, hi_b = np.where(ok, -y, 0.0), np.where(ok, 100 - y, 0.0)
        bmin, bmax = beta.min(), beta.max()
        binding = ok & ((bmin * c < lo_b) | (bmax * c > hi_b))
        bsort = np.sort(beta)
        qi, qw = _quantile_pos(len(beta), qs)
        qi2 = np.minimum(qi + 1, len(beta) - 1)

        def g(bv, c=c, lo_b=lo_b, hi_b=hi_b):
            return np.clip(np.multiply.outer(bv, c), lo_b, hi_b)

        lo_v, hi_v = g(bsort[qi]), g(bsort[qi2])
        qmat = lo_v + qw[:, None] * (hi_v - lo_v)  # exact: clip(beta*c) is monotone in beta (c >= 0)
        qbeta = bsort[qi] + qw * (bsort[qi2] - bsort[qi])  # quantiles of beta (numpy 'linear')
        mean = beta.mean() * c
        gb = (np.clip(np.multiply.outer(beta, c[binding]), lo_b[binding], hi_b[binding])
              if binding.any() else None)  # clipped columns only: draws x n_binding
        if gb is not None:
            mean[binding] = gb.mean(axis=0)
        mean = np.where(ok, mean, np.nan)
        qmat[:, ~ok] = np.nan
        has_base = ok & ~np.isnan(b)
        bb = np.where(has_base, b, 0.0)
        person_base = OUTCOMES[o][0] is not None
        wq = bb if person_base else np.where(ok, base.pop, 0.0)  # weights of the city aggregate
        draws_out[o] = {}
        sign = OUTCOMES[o][1]
        for cname in [*cities, TOTAL]:
            m = (wq > 0) if cname == TOTAL else (wq > 0) & (base.city == cname)
            wsum = wq[m].sum()
            k_lin = (c[m & ~binding] * wq[m & ~binding]).sum()
            bsel = (m & binding)[binding]
            if gb is not None and bsel.any():  # exact per-draw sum incl. clipped quartiers
                tot = beta * k_lin + gb[:, bsel] @ wq[binding][bsel]
                tq = np.quantile(tot, [qs[0], qs[2]])
            else:  # rank-1: quantiles of beta * k (k >= 0) = k * quantiles of beta
                tot = beta * k_lin
                tq = k_lin * qbeta[[0, 2]]
            tmean = float(tot.mean())
            if person_base and wsum > 0:
                draws_out[o][cname] = tot / 100
                pers = (tmean / 100, tq[0] / 100, tq[1] / 100)
            else:
                pers = (np.nan, np.nan, np.nan)
                draws_out[o][cname] = tot / wsum if wsum > 0 else np.zeros(len(beta))
            ppm, ppl, pph = ((tmean / wsum, tq[0] / wsum, tq[1] / wsum) if wsum > 0 else (0.0, 0.0, 0.0))
            amount = x[(base.city == cname)].sum() if cname != TOTAL else x.sum()
            un = sum(unattr.values()) if cname == TOTAL else unattr.get(cname, 0.0)
            crows.append({
                "city": cname, "outcome": o, "amount_eur": float(amount),
                "unattributed_eur": float(un) if unattributed == "exclude" else 0.0,
                "base_persons": float(wsum) if person_base else np.nan,
                "change_pp": float(ppm), "change_pp_low": float(ppl), "change_pp_high": float(pph),
                "persons": float(pers[0]), "persons_low": float(pers[1]), "persons_high": float(pers[2]),
                "p_improvement": float(np.mean(sign * tot > 0)),
            })
        qrows.append((o, y, mean, qmat, b))
    nq, no = len(base.ids), len(qrows)
    qdf = pd.DataFrame({
        "quartier_id": np.tile(base.ids, no), "city": np.tile(base.city, no),
        "outcome": np.repeat([r[0] for r in qrows], nq), "amount_eur": np.tile(x, no),
        "population": np.tile(base.pop, no), "eur_per_capita": np.tile(d, no),
        "effective_dose": np.tile(fd, no), "base_value": np.concatenate([r[1] for r in qrows]),
        "change_pp": np.concatenate([r[2] for r in qrows]),
        "change_pp_low": np.concatenate([r[3][0] for r in qrows]),
        "change_pp_median": np.concatenate([r[3][1] for r in qrows]),
        "change_pp_high": np.concatenate([r[3][2] for r in qrows]),
        "persons": np.concatenate([r[2] * r[4] / 100 for r in qrows]),
        "persons_low": np.concatenate([r[3][0] * r[4] / 100 for r in qrows]),
        "persons_high": np.concatenate([r[3][2] * r[4] / 100 for r in qrows]),
    })
    lo_r, hi_r = dose_range if dose_range is not None else next(
        (e.dose_range for e in effs if e.dose_range is not None), (obs_min, obs_max))
    funded = d > 0
    above = funded & (d > hi_r)
    below = funded & (d < lo_r)
    qdf["outside_dose_range"] = np.tile(above | below, len(effs))
    if above.any():
        warn.append(f"{int(above.sum())} quartier(s) get more EUR per resident than observed in the data "
                    f"(max {hi_r:.2f}): {', '.join(f'{q} ({v:.1f})' for q, v in zip(base.ids[above][:8], d[above][:8], strict=True))}"
                    " - the projection extrapolates there")
    if below.any():
        warn.append(f"{int(below.sum())} quartier(s) get less than the smallest observed positive dose "
                    f"({lo_r:.2f} EUR per resident) - the projection extrapolates towards zero there")
    if hz < lag:
        warn.append(f"horizon {hz} < lag {lag}: no effect yet (all changes are 0)")
    if unattributed == "exclude" and sum(unattr.values()) > 0:
        warn.append(f"{sum(unattr.values()):,.2f} EUR are not attributed to quartiers and are not projected "
                    "(unattributed='population' spreads them over residents)")
    for w in warn:
        warnings.warn(w, UserWarning, stacklevel=2)
    eprov = {e.outcome: e.provenance for e in effs}
    prov = "simulated" if (base.provenance == "simulated" or "simulated" in eprov.values()) else base.provenance
    spec = {"outcomes": outcomes, "draws": int(draws), "seed": seed, "lag": int(lag), "horizon": int(hz),
            "returns": returns, "ref_dose": r, "half_saturation": half_saturation if half_saturation is not None
            else r, "scale": scale, "base_year": base.year, "value_years": dict(base.value_years),
            "unattributed": unattributed, "level": level, "dose_range": (float(lo_r), float(hi_r)),
            "effects": {e.outcome: {"estimate": e.estimate, "se": e.se, "provenance": e.provenance,
                                    "label": e.label} for e in effs},
            "scenario": allocation.attrs.get("scenario")}
    return Projection(quartiers=qdf, cities=pd.DataFrame(crows), draws=draws_out, beta_draws=betas,
                      spec=spec, provenance=prov, effect_provenance=eprov, warnings=tuple(warn))
