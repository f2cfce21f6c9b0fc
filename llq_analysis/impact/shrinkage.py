"""Small-area reliability: empirical-Bayes shrinkage of rates with small bases.

A rate of an Ortsteil with a few hundred residents moves by several percentage points from
chance alone, and such areas end up at the top (or bottom) of any ranking. :func:`shrink_rates`
replaces each raw rate by its posterior mean under a model in which the true rates vary around
the mean of their group (e.g. the Stadtteil; the city when ``group=None``): a large area keeps
its rate, a small one moves toward the group mean, by the amount its sampling noise warrants.

``method="beta_binomial"`` (Clayton & Kaldor 1987 for the empirical-Bayes idea; Williams 1982
for the moment estimator; Kleinman 1973): counts ``x_i = rate_i/100 n_i`` are binomial given the
true rate ``p_i``, and ``p_i ~ Beta`` with mean ``mu_g`` (group mean) and intra-class correlation
``rho`` common to all areas (between-area variance ``rho mu_g (1 - mu_g)``). Posterior mean
``(x_i + M mu_g) / (n_i + M)`` with ``M = (1 - rho)/rho``: weight ``n_i / (n_i + M)`` on the raw
rate. ``estimator="moments"`` (default): ``mu_g`` = pooled group rate and Williams' moment
equation ``E[X^2] = (k - G) + rho sum_g [sum_i (n_i - 1) - sum_i n_i (n_i - 1) / N_g]`` with
``X^2 = sum_i n_i (p_i - mu_g)^2 / (mu_g (1 - mu_g))`` (degrees of freedom for the estimated
group means included). ``estimator="ml"``: marginal (beta-binomial) maximum likelihood over all
``mu_g`` and ``rho`` jointly.

``method="fay_herriot"`` (Fay & Herriot 1979; Rao & Molina 2015, ch. 6): ``y_i = theta_i + e_i``
with sampling variance ``D_i = mu_g (1 - mu_g) / n_i`` (the group rate, so that a rate of 0 still
has a variance) and ``theta_i = mu_g + v_i``, ``v_i ~ N(0, A)``. ``A`` from the Fay-Herriot moment
equation ``sum_i (y_i - mu_g(A))^2 / (A + D_i) = k - G``; EBLUP weight ``A / (A + D_i)``; posterior
SE ``sqrt(g1 + g2)`` (Prasad & Rao 1990; without the term for the estimation of ``A``).

When the moment (or ML) estimate of the between-area variance is 0 - which would set every
area, however large, to its group mean - the adjusted likelihood ``L(rho) rho`` (beta-binomial)
or ``L_R(A) A`` (Fay-Herriot, residual likelihood) is maximised instead, which is always
positive (Li & Lahiri 2010, J. Multivariate Anal. 101); the result states it.

Groups with a single area carry no information on their own mean: such areas shrink toward
the mean of all areas instead, with the spread estimated from all areas as one group (stated
in the result). Nothing is dropped silently.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from ..i18n import t as _t
from . import _prep
from .results import data_provenance

METHODS = ("beta_binomial", "fay_herriot")
ESTIMATORS = ("moments", "ml")
#: the persons behind each rate of the bundled panel (rate column -> base column)
DEFAULT_BASES = {"sgb2_rate": "population_below_retirement_age", "sgb2_rate_u15": "population_u15",
                 "unemployment_rate": "population_below_retirement_age",
                 "turnout_buergerschaft": "electorate_buergerschaft", "turnout_bundestag": "electorate_bundestag"}
_EPS = 1e-6


@dataclass(frozen=True)
class ShrinkageResult:
    """Shrunk rates (``frame``) with the model fit.

    ``frame`` = the input rows plus ``<rate>_shrunk`` (%), ``<rate>_weight`` (weight of the raw
    rate, 0..1), ``<rate>_se`` (posterior SE, pp) and ``<rate>_prior`` (the group mean it shrinks
    toward, %). ``params`` has one row per estimation cell (``by``) with the between-area SD
    ``tau`` (pp) and ``rho`` (beta-binomial) or ``A`` (Fay-Herriot). ``dropped``: rows not shrunk.
    """

    method: str
    rate: str
    base: str
    group: str | None
    frame: pd.DataFrame
    params: pd.DataFrame
    notes: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    dropped: pd.DataFrame | None = None
    spec: Mapping[str, Any] = field(default_factory=dict)
    provenance: str = "user"

    @property
    def warnings(self) -> tuple[str, ...]:
        """The notes as German sentences."""
        from .power import _fmt_params

        return tuple(_t(k, "de").format(**_fmt_params(p, "de")) for k, p in self.notes)

    def to_frame(self) -> pd.DataFrame:
        """The frame with raw and shrunk rates (a copy)."""
        return self.frame.copy()

    def change(self) -> pd.Series:
        """Shrunk minus raw rate (pp) per row."""
        return self.frame[f"{self.rate}_shrunk"] - self.frame[self.rate]

    def summary(self, lang: str = "de") -> str:
        """Plain-words summary (German by default, ``lang="en"``)."""
        from .power import _fmt_params, _num

        ch = self.change().abs()
        b = self.frame[self.base]
        ok = ch.notna()
        target = (_t("shrink.target_group", lang).format(group=self.group) if self.group
                  else _t("shrink.target_city", lang))
        lines = [_t("shrink.headline", lang).format(n=int(ok.sum()), target=target,
                                                    model=_t("shrink.model_" + self.method, lang))]
        if ok.any():
            i = ch[ok].idxmax()
            big = ch[ok & (b >= 10_000)]
            small = ch[ok & (b < 1_000)]
            lines.append(_t("shrink.change", lang).format(
                med=_num(float(ch[ok].median()), 2, lang), max=_num(float(ch[i]), 2, lang),
                base=_num(float(b[i]), 0, lang),
                small=_num(float(small.mean()), 2, lang) if len(small) else "–",
                large=_num(float(big.max()), 3, lang) if len(big) else "–"))
        tau = self.params["tau_pp"].median() if len(self.params) else float("nan")
        lines.append(_t("shrink.tau", lang).format(tau=_num(float(tau), 2, lang)))
        lines.append(f"{_t('method', lang)}: {_t('method.shrink_' + self.method, lang)}")
        if self.provenance == "simulated":
            lines.append(_t("simulated_warning", lang))
        for k, p in self.notes:
            lines.append("! " + _t(k, lang).format(**_fmt_params(p, lang)))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary("en")

    def _repr_html_(self) -> str:
        head = self.summary("de").replace("\n", "<br>")
        return f"<div><p>{head}</p>{self.params.to_html(index=False, float_format=lambda v: f'{v:.4g}')}</div>"

    def plot(self, ax=None, lang: str = "de"):
        """Raw vs shrunk rate against the base (log scale): arrows show how far each area moved."""
        from ..outputs.plots_power import shrinkage_plot

        return shrinkage_plot(self.frame, rate=self.rate, base=self.base, ax=ax, lang=lang,
                              provenance=self.provenance, title=_t("method.shrink_" + self.method, lang))


def _check(df: pd.DataFrame, rate: str, base: str, group: str | None, by: str | None, missing: str):
    what = "shrink_rates"
    _prep.require_columns(df, {"rate": rate, "base": base, "group": group, "by": by}, what=what)
    _prep.require_numeric(df, [rate, base], what=what)
    r, n = _prep.as_float(df[rate]), _prep.as_float(df[base])
    probs = [Problem(column=rate, row=i, value=v, expected="a rate in percent between 0 and 100")
             for i, v in zip(df.index[(r < 0) | (r > 100)], r[(r < 0) | (r > 100)], strict=True)]
    probs += [Problem(column=base, row=i, value=v, expected="a base (persons) > 0")
              for i, v in zip(df.index[n <= 0], n[n <= 0], strict=True)]
    for c in (group, by):
        if c is not None and df[c].isna().any():
            probs += [Problem(column=c, row=i, expected="a group label (not missing)")
                      for i in df.index[df[c].isna().to_numpy()][:20]]
    miss = np.isnan(r) | np.isnan(n)
    if missing == "error" and miss.any():
        probs += [Problem(column=f"{rate}/{base}", row=i, expected="a rate and a base (missing='report' "
                          "leaves such rows unshrunk and reports them)") for i in df.index[miss][:20]]
    if missing not in ("report", "error", "raw"):
        probs.append(Problem(column=None, value=missing, expected="missing='report', 'raw' or 'error'"))
    if probs:
        raise DataValidationError(probs, what=what)
    return r / 100, n, miss


def _bb_apply(p, n, mu, rho):
    """Beta-binomial posterior (mean, weight, SD) of rates ``p`` (proportions) given prior mean and rho."""
    x = p * n
    if rho <= 1e-9:
        return mu.copy(), np.zeros(len(p)), np.zeros(len(p))
    M = (1 - rho) / rho
    a, b = x + M * mu, n - x + M * (1 - mu)
    return a / (a + b), n / (n + M), np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))


def _beta_binomial_fit(p, n, g, estimator):
    """Group means (per area) and rho of the beta-binomial model (proportions)."""
    from scipy import optimize, special

    G = g.max() + 1
    x = p * n
    N = np.bincount(g, weights=n, minlength=G)
    mu = np.clip(np.bincount(g, weights=x, minlength=G) / N, _EPS, 1 - _EPS)
    k = len(p)
    if estimator == "moments":
        X2 = float(np.sum(n * (p - mu[g]) ** 2 / (mu[g] * (1 - mu[g]))))
        den = float(np.sum(n - 1) - np.sum(np.bincount(g, weights=n * (n - 1), minlength=G) / N))
        rho = (X2 - (k - G)) / den if den > 0 else 0.0
    else:
        def nll(theta):  # negative beta-binomial log likelihood and its gradient (digamma)
            m = special.expit(theta[:G])
            r = special.expit(theta[G])
            M = (1 - r) / r
            a, b = m[g] * M, (1 - m[g]) * M
            val = -float(np.sum(special.betaln(x + a, n - x + b) - special.betaln(a, b)))
            common = special.digamma(M) - special.digamma(n + M)
            dA = special.digamma(x + a) - special.digamma(a) + common
            dB = special.digamma(n - x + b) - special.digamma(b) + common
            gm = np.bincount(g, weights=M * (dA - dB), minlength=G) * m * (1 - m)
            gphi = -M * float(np.sum(m[g] * dA + (1 - m[g]) * dB))
            return val, -np.r_[gm, gphi]
        th0 = np.r_[special.logit(mu), special.logit(0.01)]
        opt = optimize.minimize(nll, th0, method="L-BFGS-B", jac=True,
                                bounds=[(-15, 15)] * G + [(special.logit(1e-9), special.logit(0.5))])
        mu = special.expit(opt.x[:G])
        rho = float(special.expit(opt.x[G]))
        rho = 0.0 if rho < 1e-8 else rho
    rho = float(min(max(rho, 0.0), 1 - _EPS))
    adjusted = rho < 1e-6
    if adjusted:  # boundary: adjusted likelihood L(rho) * rho keeps rho > 0 (Li & Lahiri 2010)
        mi = mu[g]

        def neg(tl):
            r = math.exp(tl)
            M = (1 - r) / r
            a, b = mi * M, (1 - mi) * M
            return -float(np.sum(special.betaln(x + a, n - x + b) - special.betaln(a, b))) - tl
        rho = float(math.exp(optimize.minimize_scalar(neg, bounds=(math.log(1e-8), math.log(0.5)),
                                                      method="bounded").x))
    tau = math.sqrt(rho * float(np.average(mu[g] * (1 - mu[g]), weights=n)))
    return mu[g], rho, {"rho": rho, "tau_pp": 100 * tau, "adjusted": adjusted}


def _fh_apply(p, n, mu, A, var_mu):
    """Fay-Herriot EBLUP (estimate, weight, root MSE) given prior mean, A and Var(prior mean)."""
    D = np.clip(mu, _EPS, 1 - _EPS) * (1 - np.clip(mu, _EPS, 1 - _EPS)) / n
    gam = A / (A + D)
    return gam * p + (1 - gam) * mu, gam, np.sqrt(gam * D + (1 - gam) ** 2 * var_mu)


def _fay_herriot_fit(p, n, g):
    """Group means (per area), A and Var(group mean) per area of the Fay-Herriot model."""
    from scipy import optimize

    G = g.max() + 1
    k = len(p)
    N = np.bincount(g, weights=n, minlength=G)
    mu0 = np.clip(np.bincount(g, weights=p * n, minlength=G) / N, _EPS, 1 - _EPS)
    D = mu0[g] * (1 - mu0[g]) / n

    def means(A):
        w = 1 / (A + D)
        sw = np.bincount(g, weights=w, minlength=G)
        return np.bincount(g, weights=w * p, minlength=G) / sw, w, sw

    def eq(A):
        m, w, _ = means(A)
        return float(np.sum(w * (p - m[g]) ** 2)) - (k - G)

    adjusted = k - G <= 0 or eq(0.0) <= 0
    if adjusted:  # boundary: adjusted residual likelihood L_R(A) * A keeps A > 0 (Li & Lahiri 2010)
        def neg(tl):
            A = math.exp(tl)
            m, w, sw = means(A)
            return 0.5 * (float(np.sum(np.log(A + D))) + float(np.sum(np.log(sw)))
                          + float(np.sum(w * (p - m[g]) ** 2))) - tl
        hi = math.log(max(float(np.var(p)), float(np.mean(D)), 1e-8) * 10)
        A = float(math.exp(optimize.minimize_scalar(neg, bounds=(math.log(1e-12), hi), method="bounded").x))
    else:
        hi = max(float(np.var(p)), 1e-8)
        while eq(hi) > 0:
            hi *= 4
        A = float(optimize.brentq(eq, 0.0, hi, xtol=1e-14))
    m, _, sw = means(A)
    return m[g], A, 1 / sw[g], {"A": A, "tau_pp": 100 * math.sqrt(A), "adjusted": adjusted}


def _shrink_cell(p, n, labels, method, estimator):
    """Shrink one estimation cell; areas of single-area groups shrink toward the cell mean."""
    k = len(p)
    lone = np.zeros(k, bool)
    if labels is not None:
        cnt = pd.Series(labels).map(pd.Series(labels).value_counts()).to_numpy()
        lone = cnt < 2
    core = ~lone
    if core.sum() < 3:  # too few areas in real groups: one group
        core, lone = np.ones(k, bool), np.zeros(k, bool)
        labels = None
    g = np.zeros(int(core.sum()), int) if labels is None else pd.factorize(labels[core])[0]
    est, w, se, prior = (np.full(k, np.nan) for _ in range(4))
    pooled = float(np.sum(p * n) / np.sum(n))
    if method == "beta_binomial":
        mu, rho, par = _beta_binomial_fit(p[core], n[core], g, estimator)
        est[core], w[core], se[core] = _bb_apply(p[core], n[core], mu, rho)
        prior[core] = mu
        if lone.any():  # the spread around the overall mean, from all areas as one group
            _, rho_all, _ = _beta_binomial_fit(p, n, np.zeros(k, int), estimator)
            prior[lone] = pooled
            est[lone], w[lone], se[lone] = _bb_apply(p[lone], n[lone], prior[lone], rho_all)
    else:
        mu, A, var_mu, par = _fay_herriot_fit(p[core], n[core], g)
        est[core], w[core], se[core] = _fh_apply(p[core], n[core], mu, A, var_mu)
        prior[core] = mu
        if lone.any():  # the spread around the overall mean, from all areas as one group
            mu_all, A_all, var_all, _ = _fay_herriot_fit(p, n, np.zeros(k, int))
            prior[lone] = mu_all[lone]
            est[lone], w[lone], se[lone] = _fh_apply(p[lone], n[lone], prior[lone], A_all, var_all[lone])
    par.update({"n_areas": k, "n_groups": (int(g.max()) + 1) if len(g) else 0, "n_single": int(lone.sum())})
    return est, w, se, prior, par, lone


def shrink_rates(df: pd.DataFrame, *, rate: str, base: str | None = None, group: str | None = None,
                 by: str | None = None, method: str = "beta_binomial", estimator: str = "moments",
                 missing: str = "report", suffix: str | None = None) -> ShrinkageResult:
    """Empirical-Bayes shrinkage of rates (%) with small bases toward their group mean.

    Parameters
    ----------
    df : one row per area (and ``by`` cell, e.g. year); not modified
    rate : rate column in percent (0..100)
    base : persons behind the rate (> 0); default from :data:`DEFAULT_BASES` for known rates
    group : column of the group to shrink toward (e.g. ``"stadtteil"``); None = all areas
    by : column to estimate separately in (e.g. ``"year"``); None = one estimation
    method : ``"beta_binomial"`` or ``"fay_herriot"`` (see the module docstring)
    estimator : beta-binomial only: ``"moments"`` (Williams 1982) or ``"ml"`` (marginal ML)
    missing : ``"report"`` (rows without rate or base stay unshrunk with NaN and are listed in
        ``dropped``), ``"raw"`` (as report, but a row with a rate and no base keeps its raw rate,
        weight 1) or ``"error"``
    suffix : column prefix for the new columns (default ``rate``)

    Returns
    -------
    :class:`ShrinkageResult`; ``result.frame`` has ``<rate>_shrunk``, ``<rate>_weight``,
    ``<rate>_se``, ``<rate>_prior`` (in %, weight 0..1).
    """
    if method not in METHODS:
        raise DataValidationError([Problem(column=None, value=method, expected=f"method one of {METHODS}")],
                                  what="shrink_rates")
    if estimator not in ESTIMATORS:
        raise DataValidationError([Problem(column=None, value=estimator,
                                           expected=f"estimator one of {ESTIMATORS}")], what="shrink_rates")
    if base is None:
        base = DEFAULT_BASES.get(rate)
        if base is None:
            raise DataValidationError([Problem(column=None, expected=f"base= (the persons behind {rate!r})")],
                                      what="shrink_rates")
    p, n, miss = _check(df, rate, base, group, by, missing)
    pre = suffix or rate
    out = df.copy()
    est = np.full(len(df), np.nan)
    wgt, se, prior = est.copy(), est.copy(), est.copy()
    notes: list[tuple[str, dict]] = []
    params = []
    cells = [np.arange(len(df))] if by is None else [np.flatnonzero((df[by] == v).to_numpy())
                                                      for v in pd.unique(df[by])]
    singles: set = set()
    for idx in cells:
        idx = idx[~miss[idx]]
        if len(idx) < 3:
            if len(idx):
                notes.append(("shrink.note_few", {"n": len(idx)}))
                est[idx], wgt[idx], se[idx], prior[idx] = p[idx], 1.0, np.nan, p[idx]
            continue
        labels = None if group is None else df[group].to_numpy()[idx].astype(object)
        e, w, s, m, par, lone = _shrink_cell(p[idx], n[idx], labels, method, estimator)
        if lone.any():
            singles |= set(labels[lone])
        est[idx], wgt[idx], se[idx], prior[idx] = e, w, s, m
        if par["adjusted"]:
            notes.append(("shrink.note_adjusted", {}))
        params.append({"cell": "all" if by is None else df[by].iloc[idx[0]], **par})
    if singles:
        notes.append(("shrink.note_single", {"n": len(singles), "groups": ", ".join(map(str, sorted(singles)))}))
    if miss.any():
        notes.append(("shrink.note_missing", {"n": int(miss.sum())}))
    keep_raw = miss & ~np.isnan(p) if missing == "raw" else np.zeros(len(p), bool)
    if keep_raw.any():
        est[keep_raw], wgt[keep_raw] = p[keep_raw], 1.0
        notes.append(("shrink.note_raw", {"n": int(keep_raw.sum())}))
    out[f"{pre}_shrunk"] = 100 * est
    out[f"{pre}_weight"] = wgt
    out[f"{pre}_se"] = 100 * se
    out[f"{pre}_prior"] = 100 * prior
    dropped = df.loc[miss, [c for c in (group, by) if c is not None]].copy()
    dropped.insert(0, "row", df.index[miss])
    dropped["missing"] = [", ".join(c for c, v in ((rate, a), (base, b)) if v)
                          for a, b in zip(np.isnan(p[miss]), np.isnan(n[miss]), strict=True)]
    dropped["reason"] = np.where(keep_raw[miss], "base missing: raw rate kept", "rate or base missing: not shrunk")
    spec = {"rate": rate, "base": base, "group": group, "by": by, "method": method, "estimator": estimator}
    uniq = list(dict.fromkeys((k, tuple(sorted(v.items()))) for k, v in notes))
    return ShrinkageResult(method=method, rate=rate, base=base, group=group, frame=out,
                           params=pd.DataFrame(params), notes=tuple((k, dict(v)) for k, v in uniq),
                           dropped=dropped.reset_index(drop=True), spec=spec,
                           provenance=data_provenance(df, [rate]))
