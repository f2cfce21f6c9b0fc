"""The allocation that maximises the projected improvement, under budget, floors, caps, eligibility.

Problem (per budget group: each city when ``city_split="fixed"``, both together when ``"free"``):

    maximise  E_beta[ sum_i sum_o w_o dir_o N_oi / 100 * clip(beta_o s_oi f(x_i / P_i), -y_oi, 100 - y_oi) ]
    subject to  sum_i x_i = B,  lo_i <= x_i <= hi_i

with ``x_i`` EUR per year to quartier *i*, ``P_i`` residents, ``f`` the dose shape and the clip of
:func:`llq_analysis.project` (a rate cannot fall below 0 % or rise above 100 %), ``w_o`` the
objective weights, ``dir_o`` = -1 for poverty outcomes (fewer is better) and +1 for turnout,
``s_oi`` the scale (1, or base level / mean for ``scale="relative"``), ``N_oi`` the person base
(residents below retirement age, children under 15, electorate) and ``E_beta`` the mean over
the effect draws (a sample-average approximation; with ``se = 0`` the plug-in optimum).

Per quartier the objective is a piecewise-linear concave function of the effective dose
``f(x_i/P_i)`` (one kink per draw and outcome, where the rate would hit its bound; harmful
draws are kept linear), so the problem is separable and concave and is solved exactly:

* ``returns="linear"``: every (quartier, segment) piece has a constant gain per EUR; filling the
  pieces by gain is optimal (fractional knapsack, Dantzig 1957; checked against
  ``scipy.optimize.linprog`` and a brute-force chunk greedy in the tests).
* ``"log"`` / ``"saturation"``: the KKT conditions ``S_i(d) f'(d) / P_i = lambda`` have a
  closed-form inverse per segment; ``lambda`` is found by bisection ("water filling";
  Patriksson 2008, *A survey on the continuous nonlinear resource allocation problem*, EJOR 185:
  1-46; checked against ``scipy.optimize.minimize(method="trust-constr")`` and the chunk greedy).

Money is then rounded to whole cents (largest remainder within floors and caps), so the budget
is conserved exactly. Uncertainty is shown two ways: (1) the improvement of the chosen
allocation (and of the scenario's own allocation, with the same draws) across ``draws`` effect
draws, with interval and P(better); (2) the problem re-solved for every single draw: how often
each quartier gets more than its floor (``inclusion_share``) and the spread of its amount. With a
single outcome, ``scale="absolute"`` and linear returns the gain per EUR is
``beta * N_i / (100 P_i)`` until the rate would reach 0 %: the ranking then depends on the share
of the person base in the population, hardly on need - an honest consequence of a constant
effect per EUR per resident, stated in the summary.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InfeasibleAllocationError
from .solvers import _greedy_pieces, _segments, _water_fill_kinked

__all__ = ["optimise_allocation", "OptimisationResult"]

_OBJECTIVE_OUTCOMES = ("sgb2_rate", "sgb2_rate_u15", "turnout_buergerschaft", "turnout_bundestag")



# ============================================================================ result


@dataclass(frozen=True)
class OptimisationResult:
    """Optimised allocation with its uncertainty (frozen). ``to_frame()`` is canonical.

    ``allocation``: one row per eligible quartier (``amount_eur``/``amount_cents`` of the point
    solution; ``inclusion_share``, ``amount_mean``, ``amount_low``, ``amount_high`` across the
    re-solved draws). ``objective``: improvement in weighted persons (positive = better) of the
    optimal and the reference allocation under the same draws, and their difference.
    """

    allocation: pd.DataFrame
    objective: Mapping[str, float]
    objective_draws: np.ndarray
    reference_draws: np.ndarray
    spec: Mapping[str, Any] = field(default_factory=dict)
    provenance: str = "user"
    warnings: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The allocation table (a copy) with provenance."""
        out = self.allocation.copy()
        out["provenance"] = self.provenance
        return out

    def summary(self, lang: str = "de") -> str:
        """Text summary: objective with interval, comparison with the scenario, top quartiers."""
        de = lang == "de"
        o = self.objective
        sp = self.spec
        w = ", ".join(f"{k} x {v:g}" for k, v in sp["weights"].items())
        def f(v):
            return _n(v, lang)

        lines = [
            ("Optimierte Verteilung" if de else "Optimised allocation")
            + f" ({'Ziel' if de else 'objective'}: {w}; {'Dosis-Form' if de else 'dose shape'}: {sp['returns']}; "
            + f"{'Stadtaufteilung' if de else 'city split'}: {sp['city_split']})",
            f"{'Verbesserung (gewichtete Personen)' if de else 'improvement (weighted persons)'}: "
            f"{f(o['optimal'])} [{f(o['optimal_low'])}; {f(o['optimal_high'])}]",
            f"{'Szenario' if de else 'scenario'} „{sp['scenario']}“: {f(o['reference'])} "
            f"[{f(o['reference_low'])}; {f(o['reference_high'])}]; {'Differenz' if de else 'difference'} "
            f"{f(o['difference'])} [{f(o['difference_low'])}; {f(o['difference_high'])}], "
            f"P({'besser' if de else 'better'}) = "
            + (f"{o['p_better']:.2f}".replace(".", ",") if de else f"{o['p_better']:.2f}"),
        ]
        top = self.allocation.sort_values("amount_eur", ascending=False).head(10)
        lines.append(("Größte Beträge: " if de else "largest amounts: ") + "; ".join(
            f"{r.quartier_id} {_n(r.amount_eur, lang)} EUR ({r.inclusion_share:.0%})" for r in top.itertuples()))
        lines.append("(%) = Anteil der Ziehungen, in denen das Quartier über seinem Mindestbetrag liegt."
                     if de else "(%) = share of draws in which the quartier gets more than its floor.")
        if sp.get("need_blind"):
            lines.append("Hinweis: Bei linearer Wirkung, absolutem Effekt und einem Ziel hängt die Rangfolge kaum "
                         "vom Bedarf ab, sondern vom Anteil der Bezugsbevölkerung an den Einwohnern (bis die Quote "
                         "0 % erreichen würde)." if de else "Note: with linear returns, an absolute effect and one "
                         "outcome the ranking hardly depends on need, only on the person base's share of residents "
                         "(until the rate would reach 0 %).")
        if self.provenance == "simulated":
            lines.append("Achtung: Basisdaten simuliert." if de else "Caution: simulated base data.")
        if any(v == "assumed" for v in sp.get("effect_provenance", {}).values()):
            lines.append("Wirkung: Annahme, keine Schätzung." if de else "Effect: assumed, not estimated.")
        lines += [f"! {x}" for x in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary("en")

    def _repr_html_(self) -> str:
        return "<div><pre>" + self.summary("de") + "</pre></div>"

    def plot(self, *, top: int = 25, lang: str = "de"):
        """Amounts with their spread across draws and the objective distribution (plots.py)."""
        from ..outputs import plots

        return plots.optimiser_plot(self, top=top, lang=lang)


def _n(x: float, lang: str) -> str:
    s = f"{x:,.0f}"
    return s.replace(",", ".") if lang == "de" else s


# ============================================================================ main


def optimise_allocation(scenario: Any, quartiers: pd.DataFrame, *, panel: pd.DataFrame, effect: Any,
                        objective: str | Mapping[str, float] = "sgb2_rate", city_split: str = "fixed",
                        returns: str = "linear", scale: str = "absolute", floor_eur: float = 0.0,
                        cap_eur: float | None = None, cap_eur_per_capita: float | str | None = "observed",
                        eligibility: Mapping[str, Any] | None = None, draws: int = 1000, seed: int | None = 0,
                        year: int | None = None, ref_dose: float | None = None,
                        half_saturation: float | None = None, level: float = 0.95,
                        reference_unattributed: str = "population") -> OptimisationResult:
    """Allocate the scenario's budget to quartiers so that the projected improvement is largest.

    Parameters
    ----------
    scenario : :class:`~llq_analysis.Scenario` (its total, city shares and need index are used; its
        strands are set aside: the whole budget goes to quartiers)
    quartiers, panel : as for :func:`~llq_analysis.allocate` and :func:`~llq_analysis.project`
    effect : as for :func:`~llq_analysis.project`; must cover every outcome in ``objective``
    objective : ``"sgb2_rate"`` (persons leaving SGB II), another outcome, or outcome -> weight
        (e.g. ``{"sgb2_rate": 1, "turnout_buergerschaft": 0.5}``: weighted persons)
    city_split : ``"fixed"`` (each city keeps its budget) or ``"free"`` (one pot)
    returns, scale, ref_dose, half_saturation : as for :func:`~llq_analysis.project`
    floor_eur, cap_eur : floor and cap per eligible quartier (EUR per year)
    cap_eur_per_capita : cap in EUR per resident; ``"observed"`` (default) = the largest dose seen
        in the panel, so the optimum stays where the effect was estimated; ``None`` = no cap
    eligibility : ``top_k`` (neediest per budget group), ``min_index``, ``quartiers``,
        ``min_population`` (default 1)
    draws, seed, level : effect draws for the uncertainty and the interval level
    reference_unattributed : how the scenario's money without a quartier enters the comparison
        (``"population"``: spread over residents; ``"exclude"``: no effect)

    Returns
    -------
    :class:`OptimisationResult`
    """
    from .allocation import _geo, allocate
    from .budget import _city_cents, _round_capped
    from .effects import OUTCOMES, RETURNS, _panel_base, parse_effects, response
    from .prepared import prepare_panel
    from .scenario_tree import CITIES
    from .scenarios import Scenario

    if not isinstance(scenario, Scenario):
        raise TypeError(f"expected a Scenario, got {type(scenario).__name__}")
    if city_split not in ("fixed", "free"):
        raise ValueError(f"city_split must be 'fixed' or 'free', got {city_split!r}")
    if returns not in RETURNS:
        raise ValueError(f"returns must be one of {RETURNS}, got {returns!r}")
    if scale not in ("absolute", "relative"):
        raise ValueError(f"scale must be 'absolute' or 'relative', got {scale!r}")
    weights = {objective: 1.0} if isinstance(objective, str) else {str(k): float(v) for k, v in objective.items()}
    bad = [o for o in weights if o not in _OBJECTIVE_OUTCOMES]
    if bad:
        raise ValueError(f"objective: {bad} not usable (needs a person base); use {list(_OBJECTIVE_OUTCOMES)}")
    effs = {e.outcome: e for e in parse_effects(effect)}
    miss = [o for o in weights if o not in effs]
    if miss:
        raise ValueError(f"effect: no effect given for objective outcome(s) {miss}")
    if floor_eur < 0 or (cap_eur is not None and cap_eur < 0):
        raise ValueError("floor_eur and cap_eur must be >= 0 EUR")
    if cap_eur is not None and cap_eur < floor_eur:
        raise InfeasibleAllocationError(f"cap_eur {cap_eur} EUR is below floor_eur {floor_eur} EUR")
    el = dict(eligibility or {})
    unknown = [k for k in el if k not in ("top_k", "min_index", "quartiers", "min_population")]
    if unknown:
        raise ValueError(f"eligibility: unknown key(s) {unknown}")

    panel = prepare_panel(panel)
    geo = _geo(scenario, quartiers, panel, year, True)
    outs = list(weights)
    base = _panel_base(panel, geo.year, outs)
    ix = pd.Index(base.ids).get_indexer(geo.ids)
    if (ix < 0).any():
        raise ValueError(f"panel has no rows for {list(geo.ids[ix < 0][:5])}")
    n = len(geo.ids)
    p = geo.pop
    obs_min, obs_max, obs_mean = base.dose_obs
    r = float(ref_dose) if ref_dose is not None else obs_mean
    kk = float(half_saturation) if half_saturation is not None else r

    # --- eligibility, floors, caps (cents) ---------------------------------------------------
    elig = p >= float(el.get("min_population", 1))
    if el.get("quartiers") is not None:
        elig &= np.isin(geo.ids, list(el["quartiers"]))
    if el.get("min_index") is not None or el.get("top_k") is not None:
        elig &= ~np.isnan(geo.need)
    if el.get("min_index") is not None:
        elig &= geo.need >= float(el["min_index"])
    groups = {c: geo.city == c for c in CITIES} if city_split == "fixed" else {"all": np.ones(n, bool)}
    if el.get("top_k") is not None:
        keep = np.zeros(n, bool)
        for m in groups.values():
            cand = np.flatnonzero(m & elig)
            top = cand[np.argsort(-geo.need[cand], kind="stable")[: int(el["top_k"])]]
            keep[top] = True
        elig &= keep
    cpc = obs_max if cap_eur_per_capita == "observed" else cap_eur_per_capita
    lo = np.where(elig, round(floor_eur * 100), 0).astype(float)
    hi = np.full(n, np.inf)
    if cap_eur is not None:
        hi = np.minimum(hi, round(cap_eur * 100))
    if cpc is not None:
        hi = np.minimum(hi, np.floor(float(cpc) * p * 100 + 1e-6))
    hi = np.where(elig, hi, 0.0)
    if (hi < lo).any():
        q = geo.ids[np.flatnonzero(hi < lo)[0]]
        raise InfeasibleAllocationError(f"cap below floor for {q} (cap_eur_per_capita x residents = "
                                        f"{hi[geo.ids == q][0] / 100:.2f} EUR < floor_eur {floor_eur} EUR)")
    cc = _city_cents(scenario.tree)
    budgets = {c: cc[c] for c in CITIES} if city_split == "fixed" else {"all": sum(cc.values())}
    for gname, m in groups.items():
        b = budgets[gname]
        if lo[m].sum() > b:
            raise InfeasibleAllocationError(f"floors ({floor_eur} EUR x {int((m & elig).sum())} eligible quartiers"
                                            f" in {gname}) exceed the budget {b / 100:,.2f} EUR")
        if hi[m].sum() < b:
            raise InfeasibleAllocationError(
                f"caps in {gname} allow at most {hi[m].sum() / 100:,.2f} EUR but the budget is {b / 100:,.2f} EUR "
                f"(cap_eur_per_capita={cpc}, cap_eur={cap_eur}, {int((m & elig).sum())} eligible quartiers)")

    # --- improvement per unit effective dose, with the kink where a rate hits 0 % / 100 % ----------
    rng = np.random.default_rng(seed)
    beta = {o: (rng.normal(effs[o].estimate, effs[o].se, draws) if effs[o].se > 0
                else np.full(draws, effs[o].estimate)) for o in outs}
    n_out = len(outs)
    yv = np.zeros((n_out, n))
    sv = np.zeros((n_out, n))
    nv = np.zeros((n_out, n))  # w * dir * N / 100 (persons per pp, signed and weighted)
    for j, o in enumerate(outs):
        y = base.values[o][ix]
        nb = base.bases[o][ix]
        ok = ~np.isnan(y) & ~np.isnan(nb)
        if scale == "relative":
            ybar = np.nansum(np.where(ok, y * nb, 0)) / np.nansum(np.where(ok, nb, 0))
            sv[j] = np.where(ok, y / ybar, 0.0)
        else:
            sv[j] = np.where(ok, 1.0, 0.0)
        yv[j] = np.where(ok, y, 0.0)
        nv[j] = weights[o] * OUTCOMES[o][1] * np.where(ok, nb, 0.0) / 100

    def coefficients(b: np.ndarray):  # b: (D, O) effects -> slopes c and kinks (D, O, n)
        bs = b[:, :, None] * sv[None, :, :]  # pp per unit f
        c = bs * nv[None, :, :]
        room = np.where(bs < 0, yv[None], 100 - yv[None])
        with np.errstate(divide="ignore", invalid="ignore"):
            kink = np.where((c > 0) & (bs != 0), room / np.abs(bs), np.inf)
        return c, kink

    safe_p = np.where(p > 0, p, 1.0)
    lo_e, hi_e = lo / 100, hi / 100  # the solvers work in EUR (dose = EUR / resident)
    bud_e = {g: b / 100 for g, b in budgets.items()}

    def solve(b: np.ndarray) -> np.ndarray:
        c, kink = coefficients(np.atleast_2d(b))
        S, Db = _segments(c, kink, returns, r, kk)
        x = np.zeros((c.shape[0], n))
        for gname, m in groups.items():
            if returns == "linear":
                x[:, m] = _greedy_pieces(S[:, m], Db[:, m], safe_p[m], lo_e[m], hi_e[m], bud_e[gname])
            else:
                x[:, m] = _water_fill_kinked(S[:, m], Db[:, m], safe_p[m], lo_e[m], hi_e[m], bud_e[gname],
                                             returns, r, kk)
        return x

    def solve_expected(b: np.ndarray) -> np.ndarray:
        """Maximise the mean improvement over the draws (sample-average approximation): per
        quartier a piecewise-linear concave function of f with one kink per draw and outcome."""
        c, kink = coefficients(b)
        dd = c.shape[0]
        c1 = (c / dd).reshape(1, dd * n_out, n)
        k1 = kink.reshape(1, dd * n_out, n)
        S, Db = _segments(c1, k1, returns, r, kk)
        x = np.zeros(n)
        for gname, m in groups.items():
            if returns == "linear":
                x[m] = _greedy_pieces(S[:, m], Db[:, m], safe_p[m], lo_e[m], hi_e[m], bud_e[gname])[0]
            else:
                x[m] = _water_fill_kinked(S[:, m], Db[:, m], safe_p[m], lo_e[m], hi_e[m], bud_e[gname],
                                          returns, r, kk)[0]
        return x

    b_draws = np.column_stack([beta[o] for o in outs])
    x_point = solve_expected(b_draws)
    cents = np.zeros(n, np.int64)
    for gname, m in groups.items():
        cents[m] = _round_capped(x_point[m] * 100, int(budgets[gname]), lo[m], hi[m])
    x_draws = solve(b_draws)
    a_draws = coefficients(b_draws)[0].sum(axis=1)  # (D, n) initial slopes, for the sign warning

    # --- objective under draws: the same clipped model as project() ------------------------------
    def objective_draws(x_eur: np.ndarray) -> np.ndarray:
        d = np.where(p > 0, x_eur / safe_p, 0.0)
        fd = response(d, returns, ref=r, k=kk)
        tot = np.zeros(draws)
        for j, o in enumerate(outs):
            has = nv[j] != 0
            delta = np.clip(np.multiply.outer(beta[o], sv[j] * fd), -yv[j], 100 - yv[j])
            tot += delta[:, has] @ nv[j][has]
        return tot

    opt_draws = objective_draws(cents / 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_alloc = allocate(scenario, quartiers, panel=panel, year=geo.year)
    ref_x = np.zeros(n)
    qid = ref_alloc["quartier_id"].to_numpy(dtype=object)
    amt = ref_alloc["amount_cents"].to_numpy() / 100
    pos = pd.Index(geo.ids).get_indexer(qid)
    ref_x += np.bincount(pos[pos >= 0], weights=amt[pos >= 0], minlength=n)
    if reference_unattributed == "population":
        for c in CITIES:
            un = amt[(qid == "") & (ref_alloc["city"].to_numpy() == c)].sum()
            m = (geo.city == c) & (p > 0)
            if un > 0 and m.any():
                ref_x[m] += un * p[m] / p[m].sum()
    elif reference_unattributed != "exclude":
        raise ValueError("reference_unattributed must be 'population' or 'exclude'")
    ref_draws = objective_draws(ref_x)
    qs = [(1 - level) / 2, 1 - (1 - level) / 2]
    diff = opt_draws - ref_draws
    obj = {"optimal": float(opt_draws.mean()), "optimal_low": float(np.quantile(opt_draws, qs[0])),
           "optimal_high": float(np.quantile(opt_draws, qs[1])),
           "reference": float(ref_draws.mean()), "reference_low": float(np.quantile(ref_draws, qs[0])),
           "reference_high": float(np.quantile(ref_draws, qs[1])),
           "difference": float(diff.mean()), "difference_low": float(np.quantile(diff, qs[0])),
           "difference_high": float(np.quantile(diff, qs[1])), "p_better": float(np.mean(diff > 0))}

    incl = (x_draws > lo_e[None, :] + 1.0).mean(axis=0)  # more than floor + 1 EUR (x in EUR)
    sel = np.flatnonzero(elig)
    amt_q = np.quantile(x_draws[:, sel], qs, axis=0)
    alloc = pd.DataFrame({
        "quartier_id": geo.ids[sel], "city": geo.city[sel], "strand": "optimiert",
        "label": "Optimierte Verteilung", "rule": f"optimised:{returns}",
        "amount_eur": cents[sel] / 100, "amount_cents": cents[sel], "population": p[sel],
        "eur_per_capita": np.where(p[sel] > 0, cents[sel] / 100 / safe_p[sel], np.nan),
        "need_index": geo.need[sel], "inclusion_share": incl[sel],
        "amount_mean": x_draws[:, sel].mean(axis=0), "amount_low": amt_q[0], "amount_high": amt_q[1],
        "floor_eur": lo[sel] / 100, "cap_eur": hi[sel] / 100,
    })
    alloc.attrs = {"scenario": f"{scenario.name} (optimiert)", "year": geo.year}
    warn: list[str] = []
    wrong_sign = float(np.mean((a_draws <= 0).all(axis=1)))
    if wrong_sign > 0:
        warn.append(f"in {wrong_sign:.1%} of the draws the effect helps nowhere (gain <= 0 everywhere); "
                    "those draws have no meaningful optimum")
    if cpc is None:
        dmax = (cents[sel] / 100 / safe_p[sel]).max() if len(sel) else 0.0
        if dmax > obs_max:
            warn.append(f"no per-resident cap: up to {dmax:.1f} EUR per resident, above the largest observed "
                        f"dose {obs_max:.1f} (extrapolation)")
    for w in warn:
        warnings.warn(w, UserWarning, stacklevel=2)
    eprov = {o: effs[o].provenance for o in outs}
    prov = "simulated" if base.provenance == "simulated" or "simulated" in eprov.values() else base.provenance
    need_blind = returns == "linear" and scale == "absolute" and len(outs) == 1
    spec = {"weights": weights, "city_split": city_split, "returns": returns, "scale": scale,
            "floor_eur": floor_eur, "cap_eur": cap_eur, "cap_eur_per_capita": cpc, "eligibility": el,
            "draws": draws, "seed": seed, "year": geo.year, "ref_dose": r, "half_saturation": kk,
            "scenario": scenario.name, "budgets_eur": {k: v / 100 for k, v in budgets.items()},
            "effect_provenance": eprov, "reference_unattributed": reference_unattributed,
            "need_blind": need_blind, "level": level}
    return OptimisationResult(allocation=alloc, objective=obj, objective_draws=opt_draws,
                              reference_draws=ref_draws, spec=spec, provenance=prov, warnings=tuple(warn))
