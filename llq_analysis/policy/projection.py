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

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["project", "compare_scenarios", "Projection", "ScenarioComparison",
           "concentration_index", "share_to_neediest", "OUTCOMES", "response"]

#: outcome -> (person base column, direction: -1 = lower is better, +1 = higher is better)
OUTCOMES: dict[str, tuple[str | None, int]] = {
    "sgb2_rate": ("population_below_retirement_age", -1),
    "sgb2_rate_u15": ("population_u15", -1),
    "unemployment_rate": (None, -1),
    "turnout_buergerschaft": ("electorate_buergerschaft", +1),
    "turnout_bundestag": ("electorate_bundestag", +1),
}
ELECTION_OUTCOMES = ("turnout_buergerschaft", "turnout_bundestag")
RETURNS = ("linear", "log", "saturation")
TOTAL = "Land Bremen"  # label of the two cities together (the state)

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


# ============================================================================ pieces


def response(d: np.ndarray, returns: str = "linear", *, ref: float = 1.0, k: float | None = None) -> np.ndarray:
    """Dose shape f(d) (EUR per resident -> effective dose), equal to d at the reference dose."""
    d = np.asarray(d, dtype=float)
    if returns == "linear":
        return d
    k = ref if k is None else float(k)
    if not (ref > 0 and k > 0):
        raise ValueError(f"ref_dose and half_saturation must be > 0 (got {ref}, {k})")
    if returns == "log":
        return ref * np.log1p(d / k) / math.log1p(ref / k)
    if returns == "saturation":
        return d * (k + ref) / (k + d)
    raise ValueError(f"returns must be one of {RETURNS}, got {returns!r}")


@dataclass(frozen=True)
class _Effect:
    outcome: str
    estimate: float
    se: float
    provenance: str
    label: str
    dose_range: tuple[float, float] | None = None


def _one_effect(obj: Any, outcome: str | None) -> _Effect:
    if hasattr(obj, "estimate") and hasattr(obj, "se"):
        spec = getattr(obj, "spec", {}) or {}
        out = outcome or spec.get("outcome") or "sgb2_rate"
        dr = spec.get("dose_range") or (getattr(obj, "extras", {}) or {}).get("dose_range")
        return _Effect(out, float(obj.estimate), float(obj.se), str(getattr(obj, "provenance", "user")),
                       str(getattr(obj, "method", "result")), None if dr is None else (float(dr[0]), float(dr[1])))
    if isinstance(obj, Mapping):
        if "estimate" not in obj:
            raise ValueError(f"effect for {outcome}: expected {{'estimate': ..., 'se': ...}}, found {dict(obj)}")
        return _Effect(outcome or "sgb2_rate", float(obj["estimate"]), float(obj.get("se", 0.0)),
                       str(obj.get("provenance", "assumed")), str(obj.get("label", "assumed")))
    if isinstance(obj, (tuple, list)) and len(obj) == 2:
        return _Effect(outcome or "sgb2_rate", float(obj[0]), float(obj[1]), "assumed", "assumed")
    if isinstance(obj, (int, float, np.floating, np.integer)) and not isinstance(obj, bool):
        return _Effect(outcome or "sgb2_rate", float(obj), 0.0, "assumed", "assumed")
    raise TypeError(f"effect: expected an impact result (.estimate, .se), a number, (estimate, se), "
                    f"a dict with 'estimate'/'se', or outcome -> one of these; got {type(obj).__name__}")


def parse_effects(effect: Any) -> list[_Effect]:
    """Normalise ``effect`` to a list of per-outcome effects (units: pp per EUR per resident per year)."""
    if isinstance(effect, Mapping) and "estimate" not in effect:
        effs = [_one_effect(v, str(k)) for k, v in effect.items()]
    else:
        effs = [_one_effect(effect, None)]
    for e in effs:
        if e.outcome not in OUTCOMES:
            import difflib

            near = difflib.get_close_matches(e.outcome, list(OUTCOMES), n=1)
            raise ValueError(f"effect: unknown outcome {e.outcome!r}"
                             + (f"; nearest: {near[0]!r}" if near else f"; one of {list(OUTCOMES)}"))
        if not (math.isfinite(e.estimate) and math.isfinite(e.se) and e.se >= 0):
            raise ValueError(f"effect for {e.outcome}: estimate must be finite and se >= 0 "
                             f"(got {e.estimate}, {e.se})")
    if len({e.outcome for e in effs}) != len(effs):
        raise ValueError("effect: more than one effect for the same outcome")
    return effs


@dataclass
class _Base:
    """Base-year arrays of the panel, aligned to ``ids``."""

    ids: np.ndarray
    city: np.ndarray
    pop: np.ndarray
    year: int
    values: dict[str, np.ndarray]
    bases: dict[str, np.ndarray]
    value_years: dict[str, int]
    dose_obs: tuple[float, float, float]  # min, max, mean of positive observed doses
    provenance: str


def _panel_base(panel: Any, year: int | None, outcomes: Sequence[str],
                dose_column: str = "llq_eur_per_capita") -> _Base:
    from .allocation import PreparedPanel

    if isinstance(panel, PreparedPanel):
        key = ("base", year, tuple(outcomes), dose_column)
        return panel.memo(key, lambda: _panel_base_impl(panel, year, outcomes, dose_column))
    return _panel_base_impl(panel, year, outcomes, dose_column)


def _panel_base_impl(panel: Any, year: int | None, outcomes: Sequence[str], dose_column: str) -> _Base:
    from .allocation import _column_at, _pcol, _year_rows

    need = ["quartier_id", "city", "year", "population"]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise ValueError(f"panel: column(s) {missing} missing")
    ids = pd.unique(_pcol(panel, "quartier_id", text=True))
    years, tgt, _ = _year_rows(panel, ids)
    yr = int(years.max()) if year is None else int(year)
    if not (years == yr).any():
        raise ValueError(f"panel has no rows for year {yr}")
    n = len(ids)
    city = np.empty(n, dtype=object)
    rows = np.flatnonzero(years == yr)
    city[tgt[rows]] = _pcol(panel, "city", text=True)[rows]
    pop, _ = _column_at(panel, "population", years, tgt, n, yr)
    values, bases, vy = {}, {}, {}
    for o in outcomes:
        if o not in panel.columns:
            raise ValueError(f"panel: outcome column {o!r} missing")
        values[o], vy[o] = _column_at(panel, o, years, tgt, n, yr, latest=o in ELECTION_OUTCOMES)
        bcol = OUTCOMES[o][0]
        if bcol is not None and bcol in panel.columns:
            bases[o], _ = _column_at(panel, bcol, years, tgt, n, vy[o])
        else:
            bases[o] = np.full(n, np.nan)
    if dose_column in panel.columns:
        dv = _pcol(panel, dose_column)
        dv = dv[dv > 0]
        dose = (float(dv.min()), float(dv.max()), float(dv.mean())) if len(dv) else (np.nan, np.nan, np.nan)
    else:
        dose = (np.nan, np.nan, np.nan)
    prov = "user"
    if "provenance" in panel.columns:
        kinds = {str(k).split(":", 1)[0].strip() for k in pd.unique(_pcol(panel, "provenance", text=True))}
        prov = "simulated" if "simulated" in kinds else (kinds.pop() if len(kinds) == 1 else "mixed")
    return _Base(ids=ids, city=city, pop=pop, year=yr, values=values, bases=bases, value_years=vy,
                 dose_obs=dose, provenance=prov)


def _allocation_amounts(allocation: pd.DataFrame, base: _Base, unattributed: str) -> tuple[np.ndarray, dict[str, float]]:
    """EUR per quartier aligned to base.ids, and unattributed EUR per city."""
    for c in ("quartier_id", "city", "amount_eur"):
        if c not in allocation.columns:
            raise ValueError(f"allocation: column {c!r} missing (expected the output of allocate())")
    qid = allocation["quartier_id"].to_numpy(dtype=object, na_value="")
    if "amount_cents" in allocation.columns:
        amt = allocation["amount_cents"].to_numpy(dtype=float) / 100
    else:
        amt = allocation["amount_eur"].to_numpy(dtype=float)
    if np.isnan(amt).any() or (amt < 0).any():
        raise ValueError("allocation: amount_eur must be >= 0 and not empty")
    cities = allocation["city"].to_numpy(dtype=object)
    un = qid == ""
    pos = pd.Index(base.ids).get_indexer(qid)
    bad = ~un & (pos < 0)
    if bad.any():
        raise ValueError(f"allocation: quartier(s) {sorted(set(qid[bad]))[:5]} not in the panel")
    x = np.bincount(pos[~un], weights=amt[~un], minlength=len(base.ids))
    unattr = {c: float(amt[un & (cities == c)].sum()) for c in pd.unique(base.city)}
    if unattributed == "population":
        for c, v in unattr.items():
            m = (base.city == c) & (base.pop > 0)
            if v > 0 and m.any():
                x[m] += v * base.pop[m] / base.pop[m].sum()
    elif unattributed != "exclude":
        raise ValueError(f"unattributed must be 'exclude' or 'population', got {unattributed!r}")
    return x, unattr


def _quantile_pos(n: int, qs: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Lower order-statistic index and interpolation weight of numpy's 'linear' quantile."""
    h = (n - 1) * np.asarray(qs, dtype=float)
    lo = np.floor(h).astype(int)
    return lo, h - lo


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


# ============================================================================ targeting


def concentration_index(amount: np.ndarray, need: np.ndarray, population: np.ndarray) -> float:
    """Concentration index of money against need (population-weighted; in [-1, 1]).

    Quartiers are ranked from least to most needy; ``C = 2/mu * sum_i w_i y_i R_i - 1`` with
    ``w_i`` population shares, ``y_i`` EUR per resident, ``mu = sum w_i y_i`` and ``R_i`` the
    fractional rank (midpoint of the cumulative population share) - the grouped-data formula of
    Kakwani, Wagstaff & van Doorslaer (1997, J. Econometrics 77: 87-103); O'Donnell et al. (2008),
    *Analyzing Health Equity Using Household Survey Data*, ch. 8. **C > 0: money is concentrated
    in needier quartiers**; 0: proportional to population; C < 0: in less needy ones. Equals
    1 - 2 x the area under the concentration curve (tested).
    """
    a = np.asarray(amount, float)
    nd = np.asarray(need, float)
    p = np.asarray(population, float)
    ok = ~np.isnan(nd) & (p > 0)
    a, nd, p = a[ok], nd[ok], p[ok]
    if a.sum() <= 0:
        return float("nan")
    order = np.argsort(nd, kind="stable")
    a, p = a[order], p[order]
    w = p / p.sum()
    y = a / p
    mu = (w * y).sum()
    rk = np.cumsum(w) - w / 2
    return float(2 / mu * (w * y * rk).sum() - 1)


def share_to_neediest(amount: np.ndarray, need: np.ndarray, population: np.ndarray,
                      fraction: float = 0.2) -> float:
    """Share of the (attributed) money going to the neediest ``fraction`` of quartiers (by count).

    Quartiers without residents or need index are left out; the top ``ceil(fraction x n)`` by
    need index form the group.
    """
    a = np.asarray(amount, float)
    nd = np.asarray(need, float)
    p = np.asarray(population, float)
    ok = ~np.isnan(nd) & (p > 0)
    if a[ok].sum() <= 0:
        return float("nan")
    k = max(1, math.ceil(fraction * ok.sum()))
    top = np.argsort(-nd[ok], kind="stable")[:k]
    return float(a[ok][top].sum() / a[ok].sum())


# ============================================================================ comparison


@dataclass(frozen=True)
class ScenarioComparison:
    """Side-by-side comparison of scenarios (frozen): money, targeting, projected effects.

    Frames: ``money`` (scenario x city), ``quartiers`` (scenario x quartier), ``targeting``
    (scenario x area: share to the neediest fifth, concentration index), ``effects``
    (scenario x city x outcome, with intervals) and ``differences`` (each scenario minus the
    reference, from paired draws: the same effect draws for every scenario).
    """

    money: pd.DataFrame
    quartiers: pd.DataFrame
    targeting: pd.DataFrame
    effects: pd.DataFrame
    differences: pd.DataFrame
    scenarios: tuple[str, ...]
    spec: Mapping[str, Any] = field(default_factory=dict)
    provenance: str = "user"
    warnings: tuple[str, ...] = ()

    def to_frame(self, what: str = "summary") -> pd.DataFrame:
        """``summary`` (one row per scenario: money per city, targeting, main effect) or a frame name."""
        if what != "summary":
            return getattr(self, what).copy()
        rows = []
        o = self.spec.get("main_outcome")
        for s in self.scenarios:
            row = {"scenario": s}
            m = self.money[self.money["scenario"] == s].set_index("city")
            for c in m.index:
                row[f"eur_{c}"] = m.loc[c, "amount_eur"]
                row[f"eur_per_capita_{c}"] = m.loc[c, "eur_per_capita"]
            t = self.targeting[(self.targeting["scenario"] == s) & (self.targeting["area"] == TOTAL)]
            if len(t):
                row["share_neediest_fifth"] = t["share_neediest_fifth"].iloc[0]
                row["concentration_index"] = t["concentration_index"].iloc[0]
            if o is not None and len(self.effects):
                e = self.effects[(self.effects["scenario"] == s) & (self.effects["city"] == TOTAL)
                                 & (self.effects["outcome"] == o)]
                if len(e):
                    for k in ("change_pp", "change_pp_low", "change_pp_high", "persons", "persons_low",
                              "persons_high"):
                        row[f"{o}_{k}"] = e[k].iloc[0]
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self, lang: str = "de") -> str:
        """Text table of the summary frame (German by default)."""
        head = "Szenarienvergleich" if lang == "de" else "Scenario comparison"
        lines = [head, self.to_frame().to_string(index=False)]
        if self.provenance == "simulated":
            lines.append(_TXT[lang]["sim"])
        ep = self.spec.get("effect_provenance", {})
        if any(v == "assumed" for v in ep.values()):
            lines.append("Wirkung: Annahme, keine Schätzung." if lang == "de" else "Effect: assumed, not estimated.")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)

    def plot(self, kind: str = "money", *, outcome: str | None = None, lang: str = "de"):
        """``kind``: ``money`` (EUR per resident by city), ``targeting`` (EUR per resident vs need),
        ``effects`` (projected change with intervals)."""
        from ..outputs import plots

        if kind == "money":
            return plots.scenario_money_plot(self, lang=lang)
        if kind == "targeting":
            return plots.scenario_targeting_plot(self, lang=lang)
        if kind == "effects":
            return plots.scenario_effects_plot(self, outcome=outcome, lang=lang)
        raise ValueError("kind must be 'money', 'targeting' or 'effects'")


def compare_scenarios(scenarios: Sequence[Any] | Mapping[str, Any], quartiers: pd.DataFrame, *,
                      panel: pd.DataFrame, effect: Any = None, draws: int = 2000, seed: int | None = 0,
                      year: int | None = None, reference: int | str = 0, fraction: float = 0.2,
                      **project_kwargs: Any) -> ScenarioComparison:
    """Compare scenarios: EUR per resident, targeting and projected effects with intervals.

    ``scenarios``: Scenarios (or paths to YAML files), a list or name -> scenario. The need index
    used for targeting is the *reference* scenario's (so all are judged by the same yardstick).
    With ``effect`` (see :func:`project`) every scenario is projected with the **same** effect
    draws, so ``differences`` (scenario minus reference) have paired, honest intervals.
    """
    from .allocation import _need_array, allocate, prepare_panel
    from .scenarios import Scenario, load_scenario

    panel = prepare_panel(panel)  # one snapshot for every allocate/project below
    if isinstance(scenarios, Mapping):
        items = [(str(k), v) for k, v in scenarios.items()]
    else:
        items = [(None, v) for v in scenarios]
    if not items:
        raise ValueError("compare_scenarios: no scenarios given")
    loaded: list[tuple[str, Scenario]] = []
    for name, s in items:
        sc = s if isinstance(s, Scenario) else load_scenario(s)
        loaded.append((name or sc.name, sc))
    names = [n for n, _ in loaded]
    if len(set(names)) != len(names):
        raise ValueError(f"compare_scenarios: scenario names must be unique, got {names}")
    ref_i = names.index(reference) if isinstance(reference, str) else int(reference)
    ref = loaded[ref_i][1]
    allocs = [(n, allocate(s, quartiers, panel=panel, year=year)) for n, s in loaded]
    yr = allocs[ref_i][1].attrs.get("year")
    ids = quartiers["quartier_id"].astype(str).to_numpy()
    cityq = quartiers["city"].astype(str).to_numpy()
    ni = ref.tree.get("need_index") or {}
    from .scenarios import DEFAULT_NEED_INDICATORS, _v

    ind = {k: float(_v(w)) for k, w in (ni.get("indicators") or DEFAULT_NEED_INDICATORS).items()}
    need, _ = _need_array(panel, ids, cityq, year=int(ni.get("year") or yr), indicators=ind,
                          standardise=ni.get("standardise", "all"))
    base = _panel_base(panel, yr, [])
    pop = pd.Series(base.pop, index=base.ids).reindex(ids).to_numpy()
    money, qrows, targ = [], [], []
    for n, a in allocs:
        qid = a["quartier_id"].to_numpy()
        amt = a["amount_cents"].to_numpy() / 100
        pos = pd.Index(ids).get_indexer(qid)
        xq = np.bincount(pos[pos >= 0], weights=amt[pos >= 0], minlength=len(ids))
        for c in [*pd.unique(cityq), TOTAL]:
            m = np.ones(len(ids), bool) if c == TOTAL else cityq == c
            am = a["amount_cents"].to_numpy()[(a["city"].to_numpy() == c) | (c == TOTAL)].sum() / 100
            unat = amt[(qid == "") & ((a["city"].to_numpy() == c) | (c == TOTAL))].sum()
            money.append({"scenario": n, "city": c, "amount_eur": am, "unattributed_eur": unat,
                          "population": pop[m].sum(), "eur_per_capita": am / pop[m].sum()})
            targ.append({"scenario": n, "area": c,
                         "share_neediest_fifth": share_to_neediest(xq[m], need[m], pop[m], fraction),
                         "concentration_index": concentration_index(xq[m], need[m], pop[m]),
                         "unattributed_share": unat / am if am > 0 else np.nan})
        with np.errstate(divide="ignore", invalid="ignore"):
            qrows.append(pd.DataFrame({"scenario": n, "quartier_id": ids, "city": cityq, "amount_eur": xq,
                                       "population": pop, "eur_per_capita": np.where(pop > 0, xq / pop, np.nan),
                                       "need_index": need}))
    effects = pd.DataFrame()
    diffs = pd.DataFrame()
    warn: list[str] = []
    eprov: dict[str, str] = {}
    main = None
    if effect is not None:
        effs = parse_effects(effect)
        main = effs[0].outcome
        outs = [e.outcome for e in effs]
        pbase = _panel_base(panel, yr, outs, project_kwargs.get("dose_column", "llq_eur_per_capita"))
        rng = np.random.default_rng(seed)
        beta = {e.outcome: (rng.normal(e.estimate, e.se, draws) if e.se > 0 else np.full(draws, e.estimate))
                for e in effs}
        projs = {}
        for n, a in allocs:
            with warnings.catch_warnings(record=True) as rec:
                warnings.simplefilter("always")
                projs[n] = project(a, effect=effect, panel=panel, draws=draws, seed=seed, year=yr,
                                   _base=pbase, _beta=beta, **project_kwargs)
            warn += [f"{n}: {w.message}" for w in rec]
        effects = pd.concat([p.cities.assign(scenario=n) for n, p in projs.items()], ignore_index=True)
        effects = effects[["scenario", *[c for c in effects.columns if c != "scenario"]]]
        eprov = dict(projs[names[ref_i]].effect_provenance)
        level = project_kwargs.get("level", 0.95)
        qs = [(1 - level) / 2, 1 - (1 - level) / 2]
        rows = []
        for n in names:
            for o in outs:
                for c, dr in projs[n].draws[o].items():
                    dd = dr - projs[names[ref_i]].draws[o][c]
                    rows.append({"scenario": n, "reference": names[ref_i], "city": c, "outcome": o,
                                 "difference": float(np.mean(dd)), "difference_low": float(np.quantile(dd, qs[0])),
                                 "difference_high": float(np.quantile(dd, qs[1])),
                                 "unit": "persons" if OUTCOMES[o][0] else "pp",
                                 "p_better": float(np.mean(OUTCOMES[o][1] * dd > 0))})
        diffs = pd.DataFrame(rows)
        prov = "simulated" if any(p.provenance == "simulated" for p in projs.values()) else \
            next(iter(projs.values())).provenance
    else:
        prov = base.provenance
    return ScenarioComparison(
        money=pd.DataFrame(money), quartiers=pd.concat(qrows, ignore_index=True), targeting=pd.DataFrame(targ),
        effects=effects, differences=diffs, scenarios=tuple(names),
        spec={"year": yr, "reference": names[ref_i], "fraction": fraction, "main_outcome": main,
              "draws": draws, "seed": seed, "effect_provenance": eprov, "need_weights": ind,
              **{k: v for k, v in project_kwargs.items() if k not in ("_base", "_beta")}},
        provenance=prov, warnings=tuple(dict.fromkeys(warn)))
