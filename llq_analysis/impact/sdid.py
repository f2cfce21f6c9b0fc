"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021).

* :func:`synthetic_did` - absorbing 0/1 treatment per unit and period. Unit weights (with
  intercept and ridge ``zeta_omega = ((N1 T1)^(1/4)) * sigma``) and time weights (ridge
  ``1e-6 sigma``) by Frank-Wolfe with the two-pass sparsification of R ``synthdid``; ``sigma`` =
  SD of first differences of the control units' pre-period outcomes. Several adoption times:
  one SDID per cohort (treated units of the cohort vs never-treated units) and the average
  weighted by treated unit-periods (Clarke, Pailanir, Athey & Imbens 2023, Stata ``sdid``).
  SE: ``"placebo"`` (default; Algorithm 4: random never-treated units receive the treated
  units' adoption times, ``replications`` draws, SD with ddof 0) or ``"jackknife"``
  (Algorithm 3, weights held fixed; undefined with a single treated unit in a cohort).

Reference values (tests/reference/synth/README.md): Prop 99 (ADH 2010 data) - SDID -15.60383,
DID -27.34911 (R synthdid; Arkhangelsky et al. 2021 Table 1: -15.6, -27.3).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _prep
from ._synth_base import MIN_PRE_PERIODS, SynthResult, _check_basic, _label_of
from .results import data_fingerprint, data_provenance


# =============================================================================================
# synthetic difference-in-differences
# =============================================================================================
def _fw_batch(Y: np.ndarray, zeta: np.ndarray, *, intercept: bool, x0: np.ndarray | None,
              min_decrease: np.ndarray, max_iter: int) -> np.ndarray:
    """Frank-Wolfe for ``min zeta^2 |x|^2 + |A x - b|^2 / rows`` over the simplex, for a batch of
    problems at once (R synthdid ``sc.weight.fw``, same steps and stopping rule).

    ``Y``: (B, rows, n + 1) = ``[A, b]`` per problem (columns centred first if ``intercept``);
    ``zeta``, ``min_decrease``: (B,); ``x0``: (B, n) start (default uniform). A problem stops
    after iteration t >= 2 once its objective decreased by no more than ``min_decrease^2``.
    The gradient uses the Gram matrix ``A'A`` updated along each Frank-Wolfe step (refreshed
    exactly every 200 steps), so one step costs O(B n) instead of O(B rows n).
    """
    B, rows, cols = Y.shape
    n = cols - 1
    if intercept:
        Y = Y - Y.mean(axis=1, keepdims=True)
    A, b = Y[:, :, :n], Y[:, :, n]
    G = np.einsum("brn,brm->bnm", A, A)
    c = np.einsum("brn,br->bn", A, b)
    bb = np.einsum("br,br->b", b, b)
    Gdiag = np.einsum("bnn->bn", G)
    x = np.full((B, n), 1.0 / n) if x0 is None else np.array(x0, dtype=float, copy=True)
    eta = rows * zeta ** 2
    md2 = min_decrease ** 2
    if B == 1:
        x[0] = _fw_single(G[0], c[0], float(bb[0]), x[0], float(zeta[0]), float(eta[0]), rows,
                          float(md2[0]), max_iter)
        return x
    ar = np.arange(B)
    g = np.einsum("bnm,bm->bn", G, x)
    prev = np.full(B, np.inf)
    active = np.ones(B, dtype=bool)
    for t in range(max_iter):
        if t and t % 200 == 0:
            g = np.einsum("bnm,bm->bn", G, x)
        hg = g - c + eta[:, None] * x
        i = np.argmin(hg, axis=1)
        xi = x[ar, i]
        gi = g[ar, i]
        Gii = Gdiag[ar, i]
        dxhg = hg[ar, i] - (hg * x).sum(axis=1)
        xx = (x * x).sum(axis=1)
        xgx = (x * g).sum(axis=1)
        dx2 = 1.0 - 2.0 * xi + xx
        denom = Gii - 2.0 * gi + xgx + eta * dx2
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.clip(np.where(denom > 0, -dxhg / denom, 0.0), 0.0, 1.0)
        s = np.where(active & (dx2 > 0), s, 0.0)
        x *= (1.0 - s)[:, None]
        x[ar, i] += s
        g *= (1.0 - s)[:, None]
        g += s[:, None] * G[ar, i, :]
        xx = (1 - s) ** 2 * xx + 2 * s * (1 - s) * xi + s ** 2
        xgx = (1 - s) ** 2 * xgx + 2 * s * (1 - s) * gi + s ** 2 * Gii
        val = zeta ** 2 * xx + (xgx - 2.0 * (c * x).sum(axis=1) + bb) / rows
        if t >= 1:
            active &= (prev - val) > md2
            if not active.any():
                break
        prev = np.where(active, val, prev)
    return x


def _fw_single(G: np.ndarray, c: np.ndarray, bb: float, x: np.ndarray, zeta: float, eta: float, rows: int,
               md2: float, max_iter: int) -> np.ndarray:
    """:func:`_fw_batch` for one problem, with scalars kept in Python floats (fewer array calls)."""
    g = G @ x
    xx = float(x @ x)
    xgx = float(x @ g)
    z2 = zeta * zeta
    prev = math.inf
    for t in range(max_iter):
        if t and t % 200 == 0:
            g = G @ x
            xgx = float(x @ g)
            xx = float(x @ x)
        hg = g - c
        hg += eta * x
        i = int(hg.argmin())
        xi = float(x[i])
        gi = float(g[i])
        Gii = float(G[i, i])
        dx2 = 1.0 - 2.0 * xi + xx
        if dx2 <= 0:
            s = 0.0
        else:
            denom = Gii - 2.0 * gi + xgx + eta * dx2
            s = min(1.0, max(0.0, -(float(hg[i]) - float(hg @ x)) / denom)) if denom > 0 else 0.0
        if s:
            x *= 1.0 - s
            x[i] += s
            g *= 1.0 - s
            g += s * G[i]
            xx = (1 - s) ** 2 * xx + 2 * s * (1 - s) * xi + s * s
            xgx = (1 - s) ** 2 * xgx + 2 * s * (1 - s) * gi + s * s * Gii
        val = z2 * xx + (xgx - 2.0 * float(c @ x) + bb) / rows
        if t >= 1 and not (prev - val > md2):
            break
        prev = val
    return x


def _sparsify(v: np.ndarray) -> np.ndarray:
    """R synthdid ``sparsify_function`` row-wise: zero weights <= max/4, renormalise."""
    v = v.copy()
    v[v <= v.max(axis=-1, keepdims=True) / 4] = 0.0
    return v / v.sum(axis=-1, keepdims=True)


def _sdid_batch(Y: np.ndarray, N0: int, T0: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SDID for a batch of blocks ``Y`` (B, N, T): rows N0 controls then treated, columns T0 pre
    then post. Tuning as R ``synthdid_estimate`` defaults. Returns (tau (B,), omega (B, N0),
    lambda (B, T0))."""
    B, N, T = Y.shape
    N1, T1 = N - N0, T - T0
    diffs = np.diff(Y[:, :N0, :T0], axis=2).reshape(B, -1)
    noise = diffs.std(axis=1, ddof=1) if diffs.shape[1] > 1 else np.zeros(B)
    zeta_omega = ((N1 * T1) ** 0.25) * noise
    zeta_lambda = 1e-6 * noise
    min_dec = np.where(noise > 0, 1e-5 * noise, 1e-5)
    Yc = np.empty((B, N0 + 1, T0 + 1))
    Yc[:, :N0, :T0] = Y[:, :N0, :T0]
    Yc[:, :N0, T0] = Y[:, :N0, T0:].mean(axis=2)
    Yc[:, N0, :T0] = Y[:, N0:, :T0].mean(axis=1)
    Yc[:, N0, T0] = Y[:, N0:, T0:].mean(axis=(1, 2))
    Yl = Yc[:, :N0, :]
    lam = _fw_batch(Yl, zeta_lambda, intercept=True, x0=None, min_decrease=min_dec, max_iter=100)
    lam = _fw_batch(Yl, zeta_lambda, intercept=True, x0=_sparsify(lam), min_decrease=min_dec, max_iter=10_000)
    Yo = np.transpose(Yc[:, :, :T0], (0, 2, 1))
    om = _fw_batch(Yo, zeta_omega, intercept=True, x0=None, min_decrease=min_dec, max_iter=100)
    om = _fw_batch(Yo, zeta_omega, intercept=True, x0=_sparsify(om), min_decrease=min_dec, max_iter=10_000)
    tau = _sdid_tau(Y, N0, T0, om, lam)
    return tau, om, lam


def _sdid_tau(Y: np.ndarray, N0: int, T0: int, omega: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``(-omega, 1/N1)' Y (-lambda, 1/T1)`` for a batch (B, N, T)."""
    B, N, T = Y.shape
    row = np.concatenate([-omega, np.full((B, N - N0), 1.0 / (N - N0))], axis=1)
    col = np.concatenate([-lam, np.full((B, T - T0), 1.0 / (T - T0))], axis=1)
    return np.einsum("bn,bnt,bt->b", row, Y, col)


def _sdid_all(Yw: np.ndarray, cohorts: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, list[dict]]:
    """SDID over cohorts for a batch of adoption patterns.

    ``Yw``: unit x time; ``cohorts``: (B, units) adoption time per unit (inf = never treated); every
    pattern must have the same number of treated units per cohort (true for the placebo draws).
    Returns (weighted ATT per pattern (B,), per-cohort dicts with arrays over the batch)."""
    cohorts = np.atleast_2d(cohorts)
    B = cohorts.shape[0]
    first = cohorts[0]
    out = []
    for a in np.unique(first[np.isfinite(first)]):
        pre = times < a
        T0 = int(pre.sum())
        order_t = np.concatenate([np.flatnonzero(pre), np.flatnonzero(~pre)])
        c_idx = np.stack([np.flatnonzero(~np.isfinite(cohorts[b])) for b in range(B)])
        t_idx = np.stack([np.flatnonzero(cohorts[b] == a) for b in range(B)])
        rows = np.concatenate([c_idx, t_idx], axis=1)
        Y = Yw[rows][:, :, order_t]
        tau, om, lam = _sdid_batch(Y, c_idx.shape[1], T0)
        out.append({"cohort": a, "tau": tau, "omega": om, "lambda": lam, "n_treated": t_idx.shape[1],
                    "n_post": int((~pre).sum()), "controls": c_idx, "treated": t_idx,
                    "pre_idx": np.flatnonzero(pre)})
    wts = np.array([d["n_treated"] * d["n_post"] for d in out], dtype=float)
    att = np.sum(wts[:, None] * np.stack([d["tau"] for d in out]), axis=0) / wts.sum()
    for d, wt in zip(out, wts, strict=True):
        d["weight"] = wt / wts.sum()
    return att, out


def synthetic_did(df: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str,
                  se_method: str = "placebo", replications: int = 200, seed: int = 0,
                  alpha: float = 0.05) -> SynthResult:
    """Synthetic difference-in-differences (Arkhangelsky et al. 2021); see the module docstring.

    Parameters
    ----------
    df : balanced long panel (one row per unit and period; not modified).
    treatment : absorbing 0/1 (or bool) column: 1 from the unit's first treated period on.
        Units never treated are the controls. Several adoption times are estimated per cohort
        and averaged with weights ``n_treated * n_post_periods`` (Clarke et al. 2023).
    se_method : ``"placebo"`` (default; valid with one treated unit, needs more controls than
        treated units) or ``"jackknife"`` (fixed weights; NaN + warning if a cohort has one unit).
    replications : placebo draws. seed : RNG seed for the placebo draws.

    Returns
    -------
    SynthResult: ``estimate`` (ATT, outcome units), ``se``, normal ``ci`` and ``pvalue``;
    ``weights`` = unit weights omega (Series over control units; with several cohorts their
    treated-unit-period weighted average), ``extras["time_weights"]`` (lambda over pre periods;
    per cohort in ``extras["cohorts"]``), ``gap`` (treated mean minus omega-weighted control
    mean shifted by the pre-period lambda-weighted difference; single cohort).

    Raises
    ------
    DataValidationError : missing columns, non-numeric outcome/treatment, values other than 0/1,
        treatment switching off, missing outcome cells (SDID needs a balanced panel; the
        missing cells are listed), no treated or no never-treated unit, a cohort with fewer than
        2 pre-periods.
    """
    from scipy import stats

    what = "synthetic_did"
    if se_method not in ("placebo", "jackknife"):
        raise ValueError(f"se_method must be 'placebo' or 'jackknife', got {se_method!r}")
    pre_warns = _check_basic(df, outcome=outcome, unit=unit, time=time, extra={"treatment": treatment},
                 numeric=[treatment], what=what)
    tnum, tmap = _prep.time_index(df[time])
    d = pd.DataFrame({"u": df[unit].to_numpy(), "t": tnum.to_numpy(), "y": _prep.as_float(df[outcome]),
                      "d": _prep.as_float(df[treatment])}, index=df.index)
    bad = d["d"].notna() & ~d["d"].isin([0.0, 1.0])
    if bad.any() or d["d"].isna().any():
        rows = df.index[(bad | d["d"].isna()).to_numpy()][:20]
        raise DataValidationError([Problem(column=treatment, row=r, value=df.at[r, treatment],
                                           expected="0/1 or True/False") for r in rows], what=what)
    sw = _prep.switching_off(d, unit="u", time="t", treatment="d")
    if len(sw):
        lab = _label_of(tmap)
        raise DataValidationError([Problem(column=treatment, row=r.u, value=f"on from {lab[r.first_on]}, off again at "
                                           f"{lab[r.first_off_after]}", expected="an absorbing treatment (once on, "
                                           "stays on)") for r in sw.itertuples()], what=what)
    Yw = d.pivot(index="u", columns="t", values="y")
    times = np.asarray(Yw.columns, dtype=float)
    lab = _label_of(tmap)
    missing = Yw.isna()
    if missing.to_numpy().any():
        cells = [(u, lab[t]) for u, t in missing.stack()[missing.stack()].index[:30]]
        raise DataValidationError([Problem(column=outcome, row=c, expected="an outcome value for every unit and "
                                           "period (SDID needs a balanced panel; drop the unit or fill the gap)")
                                   for c in cells], what=what)
    first = d[d["d"] == 1].groupby("u")["t"].min()
    cohort = first.reindex(Yw.index).to_numpy(dtype=float)
    cohort = np.where(np.isnan(cohort), np.inf, cohort)
    if np.isfinite(cohort).sum() == 0:
        raise DataValidationError([Problem(column=treatment, expected="at least one treated unit (treatment = 1)")],
                                  what=what)
    if (~np.isfinite(cohort)).sum() < 2:
        raise DataValidationError([Problem(column=treatment, expected="at least 2 never-treated units as controls")],
                                  what=what)
    problems = []
    for a in np.unique(cohort[np.isfinite(cohort)]):
        n_pre = int((times < a).sum())
        if n_pre < MIN_PRE_PERIODS:
            problems.append(Problem(column=treatment, value=lab[a],
                                    expected=f"at least {MIN_PRE_PERIODS} pre-treatment periods for the cohort "
                                    f"starting {lab[a]} (found {n_pre})"))
    if problems:
        raise DataValidationError(problems, what=what)
    Y = Yw.to_numpy(dtype=float)
    att_arr, parts = _sdid_all(Y, cohort[None, :], times)
    att = float(att_arr[0])
    for p in parts:  # batch of one -> plain arrays
        for key in ("tau", "omega", "lambda", "controls", "treated"):
            p[key] = p[key][0]
    units = list(Yw.index)
    warns: list[str] = list(pre_warns)
    n_tr = int(np.isfinite(cohort).sum())
    n_co = int((~np.isfinite(cohort)).sum())

    se = math.nan
    draws = None
    if se_method == "placebo":
        if n_co <= n_tr:
            msg = f"{what}: placebo SE needs more never-treated ({n_co}) than treated ({n_tr}) units; SE not computed"
            warnings.warn(msg, _prep.ImpactWarning, stacklevel=2)
            warns.append(msg)
        else:
            rng = np.random.default_rng(seed)
            co = np.flatnonzero(~np.isfinite(cohort))
            tr_cohorts = cohort[np.isfinite(cohort)]
            fake = np.full((replications, n_co), np.inf)
            for b in range(replications):
                fake[b, rng.permutation(n_co)[:n_tr]] = tr_cohorts
            chunk = max(1, min(64, int(2e8 // (8 * max(n_co, len(times)) ** 2))))  # Gram <= 200 MB
            draws = np.concatenate([_sdid_all(Y[co], fake[i:i + chunk], times)[0]
                                    for i in range(0, replications, chunk)])
            se = float(np.std(draws, ddof=0))
    else:
        if not all(p["n_treated"] > 1 for p in parts):
            msg = f"{what}: jackknife SE undefined with a single treated unit in a cohort; SE not computed"
            warnings.warn(msg, _prep.ImpactWarning, stacklevel=2)
            warns.append(msg)
        else:
            jk = []
            for i in range(len(units)):
                taus, wts = [], []
                for p in parts:
                    c, t = p["controls"], p["treated"]
                    keep_c, keep_t = c != i, t != i
                    om = p["omega"][keep_c]
                    if om.sum() <= 0:  # R synthdid: a draw without positive control weight is skipped
                        taus = None
                        break
                    om = om / om.sum()
                    pre_idx = p["pre_idx"]
                    post_idx = np.setdiff1d(np.arange(len(times)), pre_idx)
                    rows = np.concatenate([c[keep_c], t[keep_t]])
                    Yb = Y[rows][:, np.concatenate([pre_idx, post_idx])]
                    taus.append(float(_sdid_tau(Yb[None], int(keep_c.sum()), len(pre_idx), om[None],
                                                p["lambda"][None])[0]))
                    wts.append(keep_t.sum() * p["n_post"])
                if taus is not None:
                    jk.append(float(np.dot(wts, taus) / np.sum(wts)))
            draws = np.asarray(jk)
            n = len(draws)
            se = float(math.sqrt((n - 1) / n * np.sum((draws - draws.mean()) ** 2)))
    z = stats.norm.ppf(1 - alpha / 2)
    ci = (att - z * se, att + z * se)
    pval = float(2 * stats.norm.sf(abs(att / se))) if se > 0 else math.nan

    # weights: cohort-weighted average of omega over controls
    co_units = [units[i] for i in parts[0]["controls"]]
    omega = sum(p["weight"] * p["omega"] for p in parts)
    weights = pd.Series(omega, index=pd.Index(co_units, name=unit), name="omega")
    tlabels = [lab[t] for t in times]
    cohorts_tab = pd.DataFrame([{"cohort": lab[p["cohort"]], "att": p["tau"], "n_treated": p["n_treated"],
                                 "n_post": p["n_post"], "weight": p["weight"]} for p in parts])
    extras: dict[str, Any] = {"weights": weights, "cohorts": cohorts_tab, "se_draws": draws,
                              "cohort_weights": {lab[p["cohort"]]: {
                                  "omega": pd.Series(p["omega"], index=co_units, name="omega"),
                                  "lambda": pd.Series(p["lambda"], index=[tlabels[i] for i in p["pre_idx"]],
                                                      name="lambda")} for p in parts}}
    p0 = parts[0]
    extras["time_weights"] = extras["cohort_weights"][lab[p0["cohort"]]]["lambda"]
    tidx = pd.Index(tlabels, name=time)
    tr_mean = Y[np.isfinite(cohort)].mean(axis=0)
    if len(parts) == 1:
        sc = Y[p0["controls"]].T @ p0["omega"]
        pre_idx = p0["pre_idx"]
        shift = float(p0["lambda"] @ (tr_mean[pre_idx] - sc[pre_idx]))
        synth = sc + shift
        extras.update({"synthetic": pd.Series(synth, index=tidx, name="synthetic"),
                       "treated_path": pd.Series(tr_mean, index=tidx, name="treated"),
                       "gap": pd.Series(tr_mean - synth, index=tidx, name="gap"),
                       "treatment_time": lab[p0["cohort"]]})
    else:
        extras.update({"synthetic": None, "treated_path": pd.Series(tr_mean, index=tidx, name="treated"),
                       "gap": None, "treatment_time": None})
    table = pd.concat([
        pd.DataFrame([{"term": "att", "estimate": att, "se": se, "ci_low": ci[0], "ci_high": ci[1], "pvalue": pval}]),
        pd.DataFrame({"term": [f"cohort_{c}" for c in cohorts_tab["cohort"]], "estimate": cohorts_tab["att"],
                      "se": math.nan, "ci_low": math.nan, "ci_high": math.nan, "pvalue": math.nan}),
    ], ignore_index=True)
    inference = (f"placebo (Arkhangelsky et al. 2021 Alg. 4), {replications} draws, seed {seed}"
                 if se_method == "placebo" else "jackknife (Arkhangelsky et al. 2021 Alg. 3), fixed weights")
    return SynthResult(
        method="sdid", estimate=att, se=se, ci=ci, pvalue=pval, n_obs=int(Y.size), n_clusters=None,
        table=table,
        spec={"outcome": outcome, "unit": unit, "time": time, "treatment": treatment, "se_method": se_method,
              "replications": replications, "seed": seed, "inference": inference,
              "headline": "ATT (treated unit-periods weighted average over cohorts)"},
        fingerprint=data_fingerprint(df, [unit, time, outcome, treatment]),
        provenance=data_provenance(df, [outcome]), extras=extras, warnings=tuple(warns),
        dropped=_prep.empty_dropped([unit, time]))
