"""Findings on published data (report Part A): participation, poverty trends, detectable effects.

* :func:`participation_findings` - Bürgerschaft turnout of LLQ-funded vs unfunded Ortsteile over
  the published elections (Bremen 2007-2023; Bremerhaven 2019 and 2023 only, described apart):
  turnout per election, before/after, TWFE DiD on ``funded x post`` (election years only) with
  cluster-robust (CR1) and wild cluster bootstrap inference (Cameron, Gelbach & Miller 2008), the
  event study over the elections with the joint pre-trend test, WiN as a co-treatment and as a
  comparison restriction, spillovers to neighbours (:func:`llq_analysis.spillover_did`), HonestDiD
  bounds (Rambachan & Roth 2023) and the MDE (:func:`llq_analysis.minimum_detectable_effect`).
* :func:`poverty_findings` - the published pre-programme trends of SGB II (total, under 15) and
  unemployment in funded vs unfunded Ortsteile, the linear trend difference, what is not published.
* :func:`detectable_effects` - the MDE per outcome in pp and persons (turnout: the actual design;
  poverty: prospective, the programme years assumed observed).

Ortsteile are the units (unweighted means). Nothing is filled: rows without a published value are
left out and reported. The targeting finding is :func:`llq_analysis.impact.targeting.targeting_findings`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from .findings_base import Finding, check_provenance, source_line

TURNOUT = "turnout_buergerschaft"
POVERTY = ("sgb2_rate", "sgb2_rate_u15", "unemployment_rate")
UNIT, TIME = "quartier_id", "year"


def _first_year(panel: pd.DataFrame, cohort: str) -> pd.Series:
    if cohort not in panel.columns:
        raise DataValidationError([Problem(column=cohort, expected="first LLQ year per Ortsteil (0 = never)")],
                                  what="the panel")
    return pd.to_numeric(panel[cohort], errors="coerce")


def win_areas(funding: pd.DataFrame, programme: str = "WiN") -> set[str]:
    """Ortsteile with funding of ``programme`` in ``funding.csv`` (WiN: published 2020-2024)."""
    return set(funding.loc[funding["programme"].astype(str) == programme, "quartier_id"].dropna().astype(str))


def election_panel(panel: pd.DataFrame, *, outcome: str = TURNOUT, city: str = "Bremen",
                   cohort: str = "llq_first_year", win: set[str] | frozenset = frozenset()
                   ) -> tuple[pd.DataFrame, dict]:
    """Rows of ``city`` with a published ``outcome`` (election years), ready for the estimators.

    Columns: quartier_id, year, ``t`` (1, 2, ... = election number), ``treated`` (1 from the first
    election in or after the first LLQ year), ``funded``, ``cohort_t`` (election number of the first
    treated election, 0 = never), ``fy`` (first LLQ year, 0 = never), ``win``, ``win_post`` (WiN
    area x year >= 2020), population. Ortsteile first funded after the last election and those
    with an unknown first year are left out (``info["excluded"]``).
    """
    if outcome not in panel.columns:
        raise DataValidationError([Problem(column=outcome, expected="a column of the panel")], what="the panel")
    d = panel[(panel["city"].astype(str) == city) & panel[outcome].notna()].copy()
    elections = sorted(int(y) for y in d[TIME].unique())
    fy = _first_year(d, cohort)
    start = fy[fy > 0].min() if (fy > 0).any() else np.nan
    if not elections or np.isnan(start):
        raise DataValidationError([Problem(column=outcome, expected=f"published values for {city} and funded "
                                           "Ortsteile (llq_first_year > 0)")], what="participation_findings")
    pre, post = [y for y in elections if y < start], [y for y in elections if y >= start]
    if not pre or not post:
        raise DataValidationError([Problem(column=outcome, value=elections, expected=f"elections before and "
                                           f"after the first LLQ year {int(start)} in {city}")],
                                  what="participation_findings")
    excl = d.loc[fy.isna() | (fy > elections[-1]), UNIT].astype(str).unique().tolist()
    d = d[~d[UNIT].astype(str).isin(excl)]
    fy = _first_year(d, cohort).astype(int)
    num = {y: i + 1 for i, y in enumerate(elections)}
    out = pd.DataFrame({UNIT: d[UNIT].astype(str).to_numpy(), TIME: d[TIME].astype(int).to_numpy(),
                        outcome: d[outcome].astype(float).to_numpy()})
    out["t"] = out[TIME].map(num)
    out["fy"] = fy.to_numpy()
    out["funded"] = (out["fy"] > 0).astype(int)
    out["treated"] = ((out["fy"] > 0) & (out[TIME] >= out["fy"])).astype(int)
    first_post = {u: g.loc[g["treated"] == 1, "t"].min() for u, g in out.groupby(UNIT)}
    out["cohort_t"] = out[UNIT].map(first_post).fillna(0).astype(int)
    out["win"] = out[UNIT].isin(set(win)).astype(int)
    out["win_post"] = ((out["win"] == 1) & (out[TIME] >= 2020)).astype(int)
    pop = panel[[UNIT, TIME, "population"]].assign(**{UNIT: lambda x: x[UNIT].astype(str)}) \
        if "population" in panel.columns else None
    if pop is not None:
        out = out.merge(pop.assign(population=lambda x: pd.to_numeric(x["population"]).astype(float)),
                        on=[UNIT, TIME], how="left")
    info = {"elections": elections, "pre": pre, "post": post, "start": int(start), "excluded": excl,
            "city": city}
    return out.reset_index(drop=True), info


def by_election(d: pd.DataFrame, outcome: str = TURNOUT) -> pd.DataFrame:
    """Mean ``outcome`` per election of funded and unfunded Ortsteile, their difference and counts."""
    g = d.groupby([TIME, "funded"])[outcome].agg(["mean", "size"]).unstack("funded")
    return pd.DataFrame({"year": g.index.astype(int), "mean_funded": g[("mean", 1)].to_numpy(),
                         "mean_comparison": g[("mean", 0)].to_numpy(),
                         "difference": (g[("mean", 1)] - g[("mean", 0)]).to_numpy(),
                         "n_funded": g[("size", 1)].to_numpy(), "n_comparison": g[("size", 0)].to_numpy()})


def _row(name: str, r, inference: str, *, pvalue=None, ci=None) -> dict:
    lo, hi = r.ci if ci is None else ci
    return {"key": name, "estimate": float(r.estimate), "ci_low": float(lo), "ci_high": float(hi),
            "pvalue": float(r.pvalue if pvalue is None else pvalue), "n_obs": int(r.n_obs),
            "n_units": int(r.n_clusters or 0), "inference": inference}


def participation_findings(panel: pd.DataFrame, *, funding: pd.DataFrame | None = None, neighbours=None,
                           outcome: str = TURNOUT, reps: int = 9999, seed: int = 1, n_designs: int = 1000,
                           alpha: float = 0.05, cohort: str = "llq_first_year") -> Finding:
    """Turnout of funded vs unfunded Ortsteile before and after LLQ (see the module docstring).

    panel: the published panel; funding: ``llq.load_funding()`` (WiN areas; default loaded);
    neighbours: ``llq.neighbours()`` (default loaded; None-able by passing ``False``: no spillover
    model); reps: wild bootstrap draws; n_designs: placebo designs of the MDE.
    """
    from .did import twfe
    from .event_study import event_study
    from .inference import wild_cluster_bootstrap
    from .sensitivity import honest_did
    from .spillover import spillover_did

    simulated = check_provenance(panel, [outcome, "population"])
    if funding is None:
        from ..data.loaders import load_funding

        funding = load_funding()
    win = win_areas(funding)
    d, info = election_panel(panel, outcome=outcome, cohort=cohort, win=win)
    kw = {"outcome": outcome, "unit": UNIT, "time": TIME, "treatment": "treated"}
    R: dict = {}
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        R["twfe"] = twfe(d, **kw, alpha=alpha)
        R["wild"] = wild_cluster_bootstrap(d, **kw, reps=reps, seed=seed, alpha=alpha)
        R["es"] = event_study(d, outcome=outcome, unit=UNIT, time="t", cohort="cohort_t", ref=-1, alpha=alpha)
        R["honest_sd"] = honest_did(R["es"], method="smoothness", alpha=alpha)
        R["honest_rm"] = honest_did(R["es"], method="relative_magnitude", alpha=alpha)
        R["matched"] = _matched(panel, d, info, outcome=outcome, reps=min(reps, 1999), seed=seed, cohort=cohort)
        if d.loc[d["funded"] == 1, "win"].nunique() > 1:
            R["win_cotreat"] = twfe(d, **kw, co_treatments=["win_post"], alpha=alpha)
        no_win = d[d["win"] == 0]
        if no_win["funded"].sum() and (no_win["funded"] == 0).any():
            R["no_win"] = twfe(no_win, **kw, alpha=alpha)
        if neighbours is not False:
            if neighbours is None:
                from ..data.boundaries import neighbours as _nb

                neighbours = _nb()
            R["spill"] = spillover_did(d, **kw, neighbours=neighbours, unknown_neighbours="ignore",
                                       alpha=alpha)
        if "population" in d.columns and d["population"].notna().any():
            R["mde"] = _mde(d, outcome, n_designs=n_designs, seed=seed, alpha=alpha, base="population")
        else:
            R["mde"] = _mde(d, outcome, n_designs=n_designs, seed=seed, alpha=alpha, base=None)
    caught = list(dict.fromkeys(str(w.message) for w in ws
                                if not issubclass(w.category, (DeprecationWarning, FutureWarning))))
    est = [_row("twfe", R["twfe"], "cr1"),
           _row("wild", R["wild"], "wild", pvalue=R["wild"].pvalue),
           _row("es_post", _es_post(R["es"]), "cr1")]
    m = R["matched"]
    est.append({"key": "matched", "estimate": float(m.estimate), "ci_low": float(m.ci[0]), "ci_high": float(m.ci[1]),
                "pvalue": np.nan, "n_obs": int(len(m.quartiers)) if hasattr(m, "quartiers") else 0,
                "n_units": int(len(m.quartiers)) if hasattr(m, "quartiers") else 0, "inference": "bootstrap"})
    if "win_cotreat" in R:
        est.append(_row("win_cotreat", R["win_cotreat"], "cr1"))
    if "no_win" in R:
        est.append(_row("no_win", R["no_win"], "cr1"))
    if "spill" in R:
        s = R["spill"]
        for term in ("direct", "spillover"):
            r = s.term(term)
            est.append({"key": f"spill_{term}", "estimate": float(r.estimate), "ci_low": float(r.ci_low),
                        "ci_high": float(r.ci_high), "pvalue": float(r.pvalue), "n_obs": int(s.n_obs),
                        "n_units": int(s.n_clusters or 0), "inference": "cr1"})
    elec = by_election(d, outcome)
    pre_rows = elec[elec["year"].isin(info["pre"])]
    post_rows = elec[elec["year"].isin(info["post"])]
    pt = R["es"].extras.get("pretrend", {})
    numbers = {**info, "did": R["twfe"].estimate, "ci": tuple(R["twfe"].ci), "p": R["twfe"].pvalue,
               "wild_p": R["wild"].pvalue, "wild_ci": tuple(R["wild"].ci),
               "pretrend_p": pt.get("pvalue"), "pretrend_f_p": pt.get("f_pvalue"), "pretrend_df": pt.get("df"),
               "diff_pre": float(pre_rows["difference"].mean()), "diff_last_pre": float(pre_rows["difference"].iloc[-1]),
               "diff_post": float(post_rows["difference"].mean()),
               "n_funded": int(d.loc[d["funded"] == 1, UNIT].nunique()),
               "n_comparison": int(d.loc[d["funded"] == 0, UNIT].nunique()),
               "n_win_funded": int(d.loc[(d["funded"] == 1) & (d["win"] == 1), UNIT].nunique()),
               "n_win": int(d.loc[d["win"] == 1, UNIT].nunique()),
               "breakdown_sd": R["honest_sd"].breakdown, "breakdown_rm": R["honest_rm"].breakdown,
               "honest_sd_ci0": tuple(R["honest_sd"].table.iloc[0][["ci_low", "ci_high"]]),
               "es_post": float(_es_post(R["es"]).estimate), "es_post_ci": tuple(_es_post(R["es"]).ci),
               "matched": float(R["matched"].estimate), "matched_ci": tuple(R["matched"].ci),
               "matched_warnings": tuple(w.text("de") if callable(getattr(w, "text", None)) else str(w)
                                         for w in R["matched"].warnings), "mde": R["mde"].mde, "mde_persons": R["mde"].persons, "alpha": alpha}
    tables = {"by_election": elec, "estimates": pd.DataFrame(est),
              "event_study": R["es"].table[["rel_time", "estimate", "ci_low", "ci_high", "pvalue", "reference"]]
              .assign(election=lambda x: [_election_of(info, r) for r in x["rel_time"]])}
    bhv = _bremerhaven(panel, outcome=outcome, cohort=cohort, alpha=alpha)
    if bhv is not None:
        tables["bremerhaven"], numbers["bremerhaven"] = bhv
    dropped = pd.DataFrame({UNIT: info["excluded"], "reason": "first LLQ year after the last election or unknown"})
    return Finding(kind="participation", tables=tables, numbers=numbers, results=R, simulated=simulated,
                   source=source_line(panel, [outcome], extra="Förderdaten: data/funding.csv"),
                   dropped=dropped, warnings=tuple(caught))


def _matched(panel: pd.DataFrame, d: pd.DataFrame, info: dict, *, outcome: str, reps: int, seed: int,
             cohort: str):
    """Before/after against unfunded Ortsteile matched on pre-election level and trend
    (:func:`llq_analysis.compare_before_after`, descriptive)."""
    from .before_after import compare_before_after

    units = set(d[UNIT])
    sub = panel[(panel["city"].astype(str) == info["city"]) & panel[UNIT].astype(str).isin(units)]
    return compare_before_after(sub, indicator=outcome, pre=(info["pre"][0], info["pre"][-1]),
                                post=(info["post"][0], info["post"][-1]), comparison="matched", reps=reps,
                                seed=seed, cohort=cohort)


def _election_of(info: dict, rel: float):
    """The election year of event time ``rel`` (0 = first post election), or None."""
    i = int(rel) + len(info["pre"])
    return info["elections"][i] if 0 <= i < len(info["elections"]) else None


def _es_post(es):
    """The event-study coefficient of the first treated election (relative time 0) as a result."""
    from types import SimpleNamespace

    r = es.table[es.table["rel_time"] == 0].iloc[0]
    return SimpleNamespace(estimate=float(r["estimate"]), ci=(float(r["ci_low"]), float(r["ci_high"])),
                           pvalue=float(r["pvalue"]), n_obs=es.n_obs, n_clusters=es.n_clusters)


def _mde(d: pd.DataFrame, outcome: str, *, n_designs: int, seed: int, alpha: float, base: str | None,
         planned: Sequence[int] | None = None, method: str = "simulation"):
    from .power import minimum_detectable_effect

    return minimum_detectable_effect(d, outcome=outcome, unit=UNIT, time=TIME, first_year="fy", alpha=alpha,
                                     method=method, n_designs=n_designs, seed=seed, base=base,
                                     planned_periods=planned)


def _bremerhaven(panel: pd.DataFrame, *, outcome: str, cohort: str, alpha: float):
    """Bremerhaven (2019 and 2023 published): turnout per election and the 2x2 DiD (CR1), or None."""
    from .did import twfe

    try:
        d, info = election_panel(panel, outcome=outcome, city="Bremerhaven", cohort=cohort)
    except DataValidationError:
        return None
    if d["funded"].nunique() < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = twfe(d, outcome=outcome, unit=UNIT, time=TIME, treatment="treated", alpha=alpha)
    return by_election(d, outcome), {"did": r.estimate, "ci": tuple(r.ci), "p": r.pvalue,
                                     "elections": info["elections"],
                                     "n_funded": int(d.loc[d["funded"] == 1, UNIT].nunique()),
                                     "n_comparison": int(d.loc[d["funded"] == 0, UNIT].nunique())}


# ----------------------------------------------------------------------------- poverty
def poverty_findings(panel: pd.DataFrame, *, outcomes: Sequence[str] = POVERTY, city: str = "Bremen",
                     cohort: str = "llq_first_year", alpha: float = 0.05) -> Finding:
    """Published trends of the poverty indicators in funded vs unfunded Ortsteile of ``city``.

    Per outcome and year: means of funded and unfunded Ortsteile; the linear trend difference
    before the programme (TWFE of the outcome on ``funded x (year - first year)``, unit and year
    FE, CR1: pp per year); the last published year and whether any value after the programme
    start is published (if so, the impact estimators of Part B apply to these data).
    """
    from .did import twfe

    simulated = check_provenance(panel, list(outcomes))
    fy = _first_year(panel, cohort)
    start = int(fy[fy > 0].min()) if (fy > 0).any() else None
    keep = (panel["city"].astype(str) == city) & fy.notna()
    trends, slopes, status = [], [], []
    for c in outcomes:
        if c not in panel.columns:
            status.append({"outcome": c, "first_year": None, "last_year": None, "n_values": 0,
                           "post_published": False})
            continue
        d = panel[keep & panel[c].notna()]
        d = pd.DataFrame({UNIT: d[UNIT].astype(str), TIME: d[TIME].astype(int), "y": d[c].astype(float),
                          "funded": (fy[d.index] > 0).astype(int).to_numpy()})
        if d.empty:
            status.append({"outcome": c, "first_year": None, "last_year": None, "n_values": 0,
                           "post_published": False})
            continue
        g = d.groupby([TIME, "funded"])["y"].agg(["mean", "size"]).unstack("funded")
        trends.append(pd.DataFrame({"outcome": c, "year": g.index.astype(int),
                                    "mean_funded": g[("mean", 1)].to_numpy(),
                                    "mean_comparison": g[("mean", 0)].to_numpy(),
                                    "difference": (g[("mean", 1)] - g[("mean", 0)]).to_numpy(),
                                    "n_funded": g[("size", 1)].to_numpy(),
                                    "n_comparison": g[("size", 0)].to_numpy()}))
        pre = d[d[TIME] < start] if start else d
        first = int(pre[TIME].min())
        pre = pre.assign(trend_gap=pre["funded"] * (pre[TIME] - first))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = twfe(pre, outcome="y", unit=UNIT, time=TIME, treatment="trend_gap", alpha=alpha)
        slopes.append({"outcome": c, "slope_diff": r.estimate, "ci_low": r.ci[0], "ci_high": r.ci[1],
                       "pvalue": r.pvalue, "years": f"{first}–{int(pre[TIME].max())}"})
        status.append({"outcome": c, "first_year": int(d[TIME].min()), "last_year": int(d[TIME].max()),
                       "n_values": len(d), "post_published": bool(start and (d[TIME] >= start).any())})
    tab = pd.concat(trends, ignore_index=True) if trends else pd.DataFrame()
    return Finding(kind="poverty", tables={"trends": tab, "slopes": pd.DataFrame(slopes),
                                           "status": pd.DataFrame(status)},
                   numbers={"start": start, "city": city, "outcomes": list(outcomes)},
                   source=source_line(panel, list(outcomes)), simulated=simulated)


# ----------------------------------------------------------------------------- MDE
def detectable_effects(panel: pd.DataFrame, *, participation: Finding | None = None, n_designs: int = 1000,
                       seed: int = 0, alpha: float = 0.05, city: str = "Bremen", last_year: int = 2024,
                       cohort: str = "llq_first_year") -> Finding:
    """MDE (80 % power, two-sided ``alpha``) per outcome in pp and persons.

    Turnout: the actual design (placebo simulation; persons: residents as a stated approximation
    of the electorate, which is not published by Ortsteil). Poverty outcomes: prospective, the
    years after the last published one up to ``last_year`` assumed observed (analytic, AR(1)
    errors fitted before the programme); persons from bases derived from published population
    and age shares (SGB II: residents under 65; under 15: approximated; unemployment: none).
    """
    simulated = check_provenance(panel, [TURNOUT, *POVERTY])
    rows, res = [], {}
    if participation is not None and "mde" in participation.results:
        res["turnout"] = participation.results["mde"]
    else:
        d, _ = election_panel(panel, cohort=cohort)
        res["turnout"] = _mde(d, TURNOUT, n_designs=n_designs, seed=seed, alpha=alpha,
                              base="population" if "population" in d.columns else None)
    rows.append(_mde_row(TURNOUT, res["turnout"], "actual", "residents"))
    fy = _first_year(panel, cohort)
    base = panel[(panel["city"].astype(str) == city) & fy.notna() & ~(fy > last_year)].copy()
    pop = pd.to_numeric(base.get("population"), errors="coerce").astype(float)
    derived = {"sgb2_rate": pop * (1 - pd.to_numeric(base.get("share_65_plus"), errors="coerce") / 100),
               "sgb2_rate_u15": pop * pd.to_numeric(base.get("share_under_18"), errors="coerce") / 100 * 15 / 18}
    for c in POVERTY:
        if c not in base.columns or base[c].notna().sum() == 0:
            continue
        d = pd.DataFrame({UNIT: base[UNIT].astype(str), TIME: base[TIME].astype(int),
                          c: base[c].astype(float), "fy": fy[base.index].astype(int)})
        b = derived.get(c)
        if b is not None and b.notna().any():
            d["base"] = b.astype(float).to_numpy()
        d = d[d[c].notna()]
        last = int(d[TIME].max())
        planned = list(range(last + 1, last_year + 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res[c] = _mde(d, c, n_designs=n_designs, seed=seed, alpha=alpha,
                          base="base" if "base" in d.columns else None, planned=planned or None,
                          method="analytic")
        rows.append(_mde_row(c, res[c], "prospective", {"sgb2_rate": "under65", "sgb2_rate_u15": "u15"}.get(c),
                             planned=planned))
    return Finding(kind="detectable", tables={"mde": pd.DataFrame(rows)}, numbers={"alpha": alpha},
                   results=res, simulated=simulated, source=source_line(panel, [TURNOUT, *POVERTY, "population"]))


def _mde_row(outcome: str, r, design: str, base: str | None, planned: Sequence[int] = ()) -> dict:
    return {"outcome": outcome, "design": design, "method": r.method, "mde_pp": float(r.mde),
            "mde_increase_pp": float(r.mde_increase), "mde_decrease_pp": float(r.mde_decrease),
            "persons": float(r.persons) if r.persons is not None else np.nan,
            "base": base if r.persons is not None else None, "n_funded": int(r.n_funded),
            "n_units": int(r.n_units), "planned": ", ".join(map(str, planned)) if planned else ""}
