"""Funded vs comparison quartiers before and after: :func:`compare_before_after`.

The descriptive companion of the impact estimators: the mean of an indicator in funded quartiers
and in comparison quartiers, in a window *before* and a window *after* the programme start, the
change of each group and the **difference in changes** (funded minus comparison), with a 95 %
interval and the number of quartiers behind every figure.

Computation (all means unweighted over quartiers; every quartier counts once):

1. Per quartier, the mean of the indicator over the years of each window that have a value
   (election results exist only in election years: only those years are used, nothing is
   interpolated; the years used are reported).
2. Per quartier, ``change = after - before``. Quartiers without a value in a window are left out
   of every figure and listed in ``result.dropped``.
3. ``comparison="all"``: every unfunded quartier. ``comparison="matched"``: for each funded
   quartier the ``n_matches`` unfunded quartiers nearest in standardised pre-period **level**
   (mean in the pre window) and **trend** (OLS slope from the first panel year to the end of the
   pre window), found by optimal matching without replacement (Hungarian algorithm,
   :func:`scipy.optimize.linear_sum_assignment`; Rosenbaum 1989, *JASA* 84:1024) within the same
   city where the city has enough candidates (a cross-city match is made only when needed and
   is flagged). ``replace=True`` takes each funded quartier's nearest neighbours instead.
4. Difference in changes = mean change (funded) - mean change (comparison); for "matched" the
   comparison value of a funded quartier is the mean over its matches.

Interval (``interval=``): ``"bootstrap"`` (default) - percentile bootstrap over quartiers
(``reps`` draws, seeded): with "all", funded and comparison quartiers are resampled separately;
with "matched", matched sets (a funded quartier with its matches) are resampled. ``"t"`` -
Welch's t interval on the quartier-level changes ("all"), or a paired t interval on the
per-set differences ("matched").

This is a descriptive comparison: it adjusts for common year shocks and (with matching) for
similar starting points, not for everything. For causal estimates with honest inference use the
estimators of :mod:`llq_analysis.impact` (``llq.did``, ``llq.staggered_did``, ...).

Modules: the result type :class:`BeforeAfterResult` (tables, German/English text, HTML) is in
:mod:`.before_after_result`, the optimal matching of comparison quartiers in :mod:`.matching`;
both are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from ..i18n import t
from . import _prep
from .before_after_result import _GROUPS, _PERIODS, BeforeAfterResult, _years_text
from .matching import _balance, _match, _slopes
from .results import data_fingerprint, data_provenance

__all__ = ["compare_before_after", "BeforeAfterResult"]


# ----------------------------------------------------------------------------- checks


def _check_window(name: str, w) -> tuple[int, int]:
    try:
        a, b = w
        a, b = int(a), int(b)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (first_year, last_year) pair of integers, got {w!r}") from None
    if a > b:
        raise ValueError(f"{name}=({a}, {b}): the first year must not be after the last year")
    return a, b


def _funded_ids(panel: pd.DataFrame, funded, unit: str) -> set:
    ids_all = set(panel[unit].dropna().unique())
    if isinstance(funded, str):
        if funded not in panel.columns:
            raise ValueError(f"funded={funded!r}: no such column in the panel; give the name of a "
                             "boolean column (e.g. 'llq_funded') or a collection of quartier ids")
        col = panel[funded]
        if col.isna().any():
            rows = list(panel.index[col.isna()][:5])
            raise ValueError(f"funded column {funded!r} has missing values (rows {rows} ...); "
                             "expected True/False for every row")
        if not (pd.api.types.is_bool_dtype(col) or set(pd.unique(col)) <= {0, 1}):
            raise ValueError(f"funded column {funded!r} must be boolean (True/False), "
                             f"found values {sorted(map(str, pd.unique(col)))[:5]}")
        per_unit = col.astype(bool).groupby(panel[unit]).nunique()
        varying = list(per_unit.index[per_unit > 1])
        if varying:
            raise ValueError(f"funded column {funded!r} changes within quartier(s) {varying[:5]}; "
                             "expected one value per quartier (ever funded), e.g. 'llq_funded'")
        return set(panel.loc[col.astype(bool), unit].unique())
    if isinstance(funded, Collection) and not isinstance(funded, (bytes, Mapping)):
        ids = set(funded)
        unknown = sorted(map(str, ids - ids_all))
        if unknown:
            raise ValueError(f"funded: quartier id(s) not in the panel's {unit!r} column: {unknown}")
        return ids
    raise TypeError(f"funded must be a column name or a collection of quartier ids, got {type(funded).__name__}")


# ----------------------------------------------------------------------------- main


def compare_before_after(
    panel: pd.DataFrame,
    *,
    indicator: str,
    funded: str | Collection = "llq_funded",
    pre: tuple[int, int] = (2017, 2019),
    post: tuple[int, int] = (2022, 2024),
    comparison: str = "matched",
    n_matches: int = 1,
    replace: bool = False,
    same_city: bool = True,
    interval: str = "bootstrap",
    reps: int = 1999,
    seed: int = 1,
    unit: str = "quartier_id",
    time: str = "year",
    city: str | None = "city",
    cohort: str | None = "llq_first_year",
    lang: str = "de",
    comparison_mask: str | None = None,
) -> BeforeAfterResult:
    """Compare funded with comparison quartiers before and after (see the module docstring).

    Parameters
    ----------
    panel : tidy quartier x year panel (not modified).
    indicator : numeric column to compare (e.g. "sgb2_rate", in %; "turnout_buergerschaft").
    funded : name of a boolean column, constant within quartier (e.g. "llq_funded"), or a
        collection of quartier ids.
    pre, post : (first_year, last_year) windows, inclusive; they must not overlap. Only years
        with a value of ``indicator`` are used (e.g. election years); the result says which.
    comparison : "matched" (nearest unfunded quartiers in pre level and trend) or "all".
    n_matches : comparison quartiers per funded quartier ("matched").
    replace : match with replacement (each funded quartier's nearest neighbours) instead of
        optimal matching without replacement.
    same_city : match within the city where the city has enough candidates.
    interval : "bootstrap" (percentile, ``reps`` draws, ``seed``) or "t" (Welch / paired t).
    unit, time, city : column names (``city=None``: no city information).
    cohort : column with the first funded year (0 = never); used only to warn when funded
        quartiers start inside the windows. Ignored when absent.
    lang : language of warnings ("de" or "en"); ``summary(lang)`` can switch later.
    comparison_mask : optional boolean column (constant within quartier) marking the quartiers
        eligible as comparisons (e.g. "is a WiN area"): unfunded quartiers outside it are left out
        of the comparison pool (listed in ``dropped``); the summary says what this separates.

    Returns
    -------
    BeforeAfterResult with ``to_frame()``, ``summary()``, ``plot()``, ``matches``.
    """
    t("year", lang)  # validates lang
    if not isinstance(panel, pd.DataFrame):
        raise TypeError(f"panel must be a pandas DataFrame, got {type(panel).__name__}")
    missing = [c for c in (unit, time, city) if c is not None and c not in panel.columns]
    if missing:
        raise ValueError(f"panel is missing column(s) {missing} (unit={unit!r}, time={time!r}, city={city!r})")
    if not isinstance(indicator, str) or indicator not in panel.columns:
        numeric = [c for c in panel.columns if pd.api.types.is_numeric_dtype(panel[c])
                   and not pd.api.types.is_bool_dtype(panel[c]) and c not in (time,)]
        raise ValueError(f"unknown indicator {indicator!r}; numeric columns of the panel: {numeric}")
    if not pd.api.types.is_numeric_dtype(panel[indicator]) or pd.api.types.is_bool_dtype(panel[indicator]):
        raise ValueError(f"indicator {indicator!r} must be numeric, has dtype {panel[indicator].dtype}")
    if comparison not in ("matched", "all"):
        raise ValueError(f"comparison must be 'matched' or 'all', got {comparison!r}")
    if interval not in ("bootstrap", "t"):
        raise ValueError(f"interval must be 'bootstrap' or 't', got {interval!r}")
    if not isinstance(n_matches, (int, np.integer)) or isinstance(n_matches, bool) or n_matches < 1:
        raise ValueError(f"n_matches must be a positive integer, got {n_matches!r}")
    if interval == "bootstrap" and (not isinstance(reps, (int, np.integer)) or reps < 99):
        raise ValueError(f"reps must be an integer >= 99 for the bootstrap, got {reps!r}")
    pre = _check_window("pre", pre)
    post = _check_window("post", post)
    if post[0] <= pre[1]:
        raise ValueError(f"pre={pre} and post={post} overlap or are in the wrong order: "
                         "the post window must start after the pre window ends")
    has_cohort = cohort is not None and cohort in panel.columns
    pre_warns = _prep.check_panel(panel, unit=unit, time=time, outcome=indicator,
                                  cohort=cohort if has_cohort else None,
                                  funded=[funded] if isinstance(funded, str) else (), what="compare_before_after",
                                  warn=False)

    funded_ids = _funded_ids(panel, funded, unit)
    if not funded_ids:
        raise ValueError(f"no funded quartiers (funded={funded!r} selects none)")
    all_ids = set(panel[unit].dropna().unique())
    if not all_ids - funded_ids:
        raise ValueError("every quartier is funded: there are no comparison quartiers")

    warn: list[str] = list(pre_warns)
    years_all = pd.to_numeric(panel[time], errors="coerce")
    bad_time = years_all.isna() | (years_all % 1 != 0)
    if bad_time.any():
        raise ValueError(f"column {time!r} must hold whole years; found {panel.loc[bad_time, time].iloc[0]!r} "
                         f"in row {panel.index[bad_time][0]!r}")
    value = pd.to_numeric(panel[indicator], errors="coerce").astype(float)
    has = value.notna()
    years_with_data = sorted(int(y) for y in years_all[has].unique())
    win_years = {}
    for name, (a, b) in (("before", pre), ("after", post)):
        ys = tuple(y for y in years_with_data if a <= y <= b)
        if not ys:
            arg = "pre" if name == "before" else "post"
            raise ValueError(f"{arg}=({a}, {b}): {indicator!r} has no value in these years; "
                             f"years with values: {years_with_data}")
        win_years[name] = ys
    for name, (a, b) in (("before", pre), ("after", post)):
        gap = [y for y in range(a, b + 1) if y not in win_years[name]]
        if gap:
            warn.append(t("ba.warn_years", lang).format(
                window=t(f"ba.{name}", lang), used=_years_text(win_years[name]),
                gap=_years_text(tuple(gap))))

    long = pd.DataFrame({"unit": panel[unit].to_numpy(), "year": years_all.to_numpy(),
                         "value": value.to_numpy()})
    long["city"] = panel[city].to_numpy() if city is not None else "all"
    city_of = long.drop_duplicates("unit").set_index("unit")["city"]

    def window_mean(ys):
        w = long[long["year"].isin(ys) & long["value"].notna()]
        g = w.groupby("unit")
        return g["value"].mean(), g["year"].apply(lambda s: tuple(sorted(int(v) for v in s)))

    before, yb = window_mean(win_years["before"])
    after, ya = window_mean(win_years["after"])
    q = pd.DataFrame(index=pd.Index(sorted(all_ids, key=str), name="quartier_id"))
    q["city"] = city_of.reindex(q.index).to_numpy()
    q["funded"] = q.index.isin(list(funded_ids))
    q["before"] = before.reindex(q.index)
    q["after"] = after.reindex(q.index)
    q["change"] = q["after"] - q["before"]
    q["years_before"] = yb.reindex(q.index)
    q["years_after"] = ya.reindex(q.index)

    drop_rows = []
    for qid, r in q.iterrows():
        why = [w for w, ok in (("before", pd.notna(r["before"])), ("after", pd.notna(r["after"]))) if not ok]
        if why:
            drop_rows.append({"quartier_id": qid, "funded": bool(r["funded"]),
                              "reason": f"no value of {indicator} in the {' and '.join(why)} window"})
    dropped = pd.DataFrame(drop_rows, columns=["quartier_id", "funded", "reason"])
    q = q[q["before"].notna() & q["after"].notna()]
    if len(dropped):
        warn.append(t("ba.warn_dropped", lang).format(n=len(dropped), ids=", ".join(
            map(str, dropped["quartier_id"][:8])) + (" ..." if len(dropped) > 8 else "")))
    # partial windows inside a quartier are reported too
    partial = q[(q["years_before"].map(len) < len(win_years["before"]))
                | (q["years_after"].map(len) < len(win_years["after"]))]
    if len(partial):
        warn.append(t("ba.warn_partial", lang).format(n=len(partial)))

    if comparison_mask is not None:  # restricted comparison group (impact/_cotreat.py)
        from . import _cotreat

        eligible = _cotreat.mask_by_unit(panel, unit=unit, mask=comparison_mask, what="compare_before_after")
        ok = eligible.reindex(q.index).fillna(False).to_numpy(dtype=bool)
        out = q.index[~q["funded"].to_numpy(dtype=bool) & ~ok]
        dropped = pd.concat([dropped, pd.DataFrame({"quartier_id": out, "funded": False,
                                                    "reason": f"not an eligible comparison ({comparison_mask} "
                                                    "is False)"})], ignore_index=True)
        warn.append(_cotreat.mask_note(comparison_mask, n_kept=int((~q["funded"] & ok).sum()), n_out=len(out),
                                       n_treated_outside=int((q["funded"].to_numpy(dtype=bool) & ~ok).sum())))
        q = q.drop(index=out)
    f_ids = [i for i in q.index if q.at[i, "funded"]]
    pool = [i for i in q.index if not q.at[i, "funded"]]
    if not f_ids:
        raise ValueError(f"no funded quartier has a value of {indicator!r} in both windows "
                         f"(before {win_years['before']}, after {win_years['after']})")
    if not pool:
        raise ValueError(f"no unfunded quartier has a value of {indicator!r} in both windows")

    if cohort is not None and cohort in panel.columns:
        fy = pd.to_numeric(panel[cohort], errors="coerce").groupby(panel[unit]).min()
        fy = fy.reindex(f_ids)
        late = fy[(fy > post[0])]
        early = fy[(fy > 0) & (fy <= pre[1])]
        if len(late):
            warn.append(t("ba.warn_late", lang).format(
                n=len(late), start=post[0], ids=", ".join(f"{i} ({int(y)})" for i, y in late.items())))
        if len(early):
            warn.append(t("ba.warn_early", lang).format(n=len(early), end=pre[1]))

    # matching features: pre level and pre trend (OLS slope from the first year to the end of pre)
    trend_years = [y for y in years_with_data if y <= pre[1]]
    feat = pd.DataFrame(index=q.index)
    feat["city"] = q["city"]
    feat["level"] = q["before"]
    match_cols = ["level"]
    if len(trend_years) >= 2:
        tl = long[long["year"].isin(trend_years) & long["value"].notna()]
        feat["trend"] = _slopes(tl, "unit", "year", "value").reindex(q.index)
        match_cols.append("trend")
    matches = None
    if comparison == "matched":
        if "trend" in feat:
            no_trend = list(feat.index[feat["trend"].isna()])
            if no_trend:
                raise ValueError(f"cannot compute the pre-period trend of {indicator!r} for "
                                 f"{no_trend[:5]} (fewer than two years with a value up to {pre[1]})")
        else:
            warn.append(t("ba.warn_level_only", lang).format(years=_years_text(tuple(trend_years))))
        need = len(f_ids) * n_matches
        if not replace and need > len(pool):
            raise ValueError(f"matching without replacement needs {need} comparison quartiers "
                             f"({len(f_ids)} funded x n_matches={n_matches}) but only {len(pool)} "
                             "unfunded quartiers have data; use a smaller n_matches, replace=True "
                             "or comparison='all'")
        if replace and n_matches > len(pool):
            raise ValueError(f"n_matches={n_matches} exceeds the {len(pool)} available comparison quartiers")
        matches = _match(feat, f_ids, pool, n_matches=n_matches, replace=replace,
                         same_city=same_city and city is not None, columns=match_cols)
        n_cross = int((~matches["same_city"]).sum())
        if n_cross and city is not None:
            warn.append(t("ba.warn_cross_city", lang).format(n=n_cross))
        use = matches["matched_quartier"].value_counts() / n_matches
        weights = pd.Series(0.0, index=q.index)
        weights.loc[use.index] = use.to_numpy()
        weights.loc[f_ids] = 1.0
        q = q.assign(weight=weights)
    else:
        q = q.assign(weight=1.0)
    balance = _balance(feat, f_ids, pool, q["weight"])
    if comparison == "matched":
        bad = balance[balance["smd_used"].abs() > 0.25]
        for _, b in bad.iterrows():
            warn.append(t("ba.warn_balance", lang).format(feature=t(f"ba.feature_{b['feature']}", lang),
                                                          smd=b["smd_used"]))
        q = q[q["funded"] | (q["weight"] > 0)]
    q["group"] = np.where(q["funded"], "funded", "comparison")

    # --- point estimates and intervals --------------------------------------------------------
    cols = ["before", "after", "change"]
    F = q.loc[f_ids, cols].to_numpy(float)
    if comparison == "matched":
        mm = matches.merge(q[cols], left_on="matched_quartier", right_index=True)
        per_set = mm.groupby("funded_quartier")[cols].mean().reindex(f_ids)
        C = per_set.to_numpy(float)  # one row per funded quartier (mean over its matches)
    else:
        C = q.loc[pool, cols].to_numpy(float)
    est_f, est_c = F.mean(axis=0), C.mean(axis=0)
    est = {"funded": est_f, "comparison": est_c, "difference": est_f - est_c}
    n_f = len(f_ids)
    n_c = int((q["group"] == "comparison").sum())
    ci, se = _intervals(F, C, paired=comparison == "matched", method=interval, reps=reps, seed=seed)

    rows = []
    for gname in _GROUPS:
        for k, period in enumerate(_PERIODS):
            yrs = win_years["before"] if period == "before" else win_years["after"] if period == "after" \
                else win_years["before"] + win_years["after"]
            rows.append({
                "group": gname, "period": period,
                "statistic": ("mean" if period != "change" else "change") if gname != "difference"
                else ("difference" if period != "change" else "difference_in_changes"),
                "years": _years_text(yrs),
                "value": float(est[gname][k]), "se": float(se[gname][k]),
                "ci_low": float(ci[gname][0][k]), "ci_high": float(ci[gname][1][k]),
                "n_quartiers": n_f if gname == "funded" else n_c if gname == "comparison" else n_f + n_c,
            })
    table = pd.DataFrame(rows)

    # yearly trend of both groups (all years, same quartiers, comparison weighted as above)
    wmap = q["weight"]
    tl = long[long["unit"].isin(q.index) & long["value"].notna()].copy()
    tl["group"] = tl["unit"].map(q["group"])
    tl["w"] = tl["unit"].map(wmap)
    tl["wv"] = tl["w"] * tl["value"]
    g = tl.groupby(["year", "group"])
    trend = pd.DataFrame({"mean": g["wv"].sum() / g["w"].sum(), "n_quartiers": g["unit"].nunique()})
    trend = trend.reset_index()
    trend["year"] = trend["year"].astype(int)

    qout = q.reset_index()[["quartier_id", "city", "group", "before", "after", "change", "weight",
                            "years_before", "years_after"]]
    qout["years_before"] = qout["years_before"].map(_years_text)
    qout["years_after"] = qout["years_after"].map(_years_text)

    used_cols = [c for c in (unit, time, indicator) if c is not None]
    spec = {
        "indicator": indicator, "funded": funded if isinstance(funded, str) else sorted(map(str, funded_ids)),
        "pre": pre, "post": post, "comparison": comparison, "n_matches": n_matches if comparison == "matched" else None,
        "replace": replace if comparison == "matched" else None, "same_city": same_city,
        "comparison_mask": comparison_mask,
        "match_on": match_cols or None, "interval": interval,
        "reps": reps if interval == "bootstrap" else None, "seed": seed if interval == "bootstrap" else None,
        "unit": unit, "time": time, "city": city, "weights": "unweighted mean over quartiers", "lang": lang,
    }
    return BeforeAfterResult(
        indicator=indicator, comparison=comparison, table=table, quartiers=qout, trend=trend,
        matches=matches, balance=balance, years={"before": win_years["before"], "after": win_years["after"]},
        spec=spec, fingerprint=data_fingerprint(panel, used_cols),
        provenance=data_provenance(panel, [indicator]), warnings=tuple(warn), dropped=dropped,
    )


def _intervals(F: np.ndarray, C: np.ndarray, *, paired: bool, method: str, reps: int, seed: int):
    """95 % intervals and SEs of group means and their difference (columns before/after/change)."""
    from scipy import stats

    out_ci: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    out_se: dict[str, np.ndarray] = {}
    if method == "bootstrap":
        rng = np.random.default_rng(seed)
        nf, nc = len(F), len(C)
        i_f = rng.integers(0, nf, size=(reps, nf))
        bf = F[i_f].mean(axis=1)
        bc = C[i_f].mean(axis=1) if paired else C[rng.integers(0, nc, size=(reps, nc))].mean(axis=1)
        for name, draws in (("funded", bf), ("comparison", bc), ("difference", bf - bc)):
            lo, hi = np.quantile(draws, [0.025, 0.975], axis=0)
            out_ci[name] = (lo, hi)
            out_se[name] = draws.std(axis=0, ddof=1)
        return out_ci, out_se

    def one_sample(x):
        n = len(x)
        m = x.mean(axis=0)
        s = x.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full(x.shape[1], np.nan)
        q = stats.t.ppf(0.975, n - 1) if n > 1 else np.nan
        return (m - q * s, m + q * s), s

    out_ci["funded"], out_se["funded"] = one_sample(F)
    out_ci["comparison"], out_se["comparison"] = one_sample(C)
    if paired:
        out_ci["difference"], out_se["difference"] = one_sample(F - C)
    else:
        vf = F.var(axis=0, ddof=1) / len(F)
        vc = C.var(axis=0, ddof=1) / len(C)
        s = np.sqrt(vf + vc)
        with np.errstate(divide="ignore", invalid="ignore"):
            dof = (vf + vc) ** 2 / (vf**2 / (len(F) - 1) + vc**2 / (len(C) - 1))  # Welch-Satterthwaite
        q = stats.t.ppf(0.975, dof)
        d = F.mean(axis=0) - C.mean(axis=0)
        out_ci["difference"], out_se["difference"] = (d - q * s, d + q * s), s
    return out_ci, out_se
