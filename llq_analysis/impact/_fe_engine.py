"""The two-way fixed-effects engine shared by :mod:`.did`, :mod:`.event_study` and
:mod:`.dose`: the ``vcov`` conventions (see the :mod:`.did` docstring), the numpy
Frisch-Waugh-Lovell fit and the pyfixest ``feols`` fit behind one :class:`_Fit`, Student-t
inference and the tidy coefficient table.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from . import _prep

VCOV_TYPES = ("CR1", "cr1_fixest", "cr1_g_only", "CR0", "iid", "HC1")
_VCOV_ALIASES = {"cr1": "CR1", "cr1_stata": "CR1", "cr1_fixest": "cr1_fixest", "cr1_g_only": "cr1_g_only",
                 "cr0": "CR0", "iid": "iid", "hc1": "HC1"}


# -- helpers --------------------------------------------------------------------------------
def _vcov_name(vcov: str) -> str:
    key = _VCOV_ALIASES.get(str(vcov).lower())
    if key is None:
        raise ValueError(f"vcov must be one of {VCOV_TYPES}, got {vcov!r}")
    return key


def _is_clustered(vcov: str) -> bool:
    return vcov in ("CR1", "cr1_fixest", "cr1_g_only", "CR0")


def _pyfixest_vcov(vcov: str):
    """(vcov argument, ssc) for pyfixest, for our ``vcov`` names (see module docstring)."""
    import pyfixest as pf

    if vcov == "CR1":
        return {"CRV1": "cl__"}, pf.ssc(k_adj=True, k_fixef="full", G_adj=True)
    if vcov == "cr1_fixest":
        return {"CRV1": "cl__"}, pf.ssc()
    if vcov == "cr1_g_only":
        return {"CRV1": "cl__"}, pf.ssc(k_adj=False, G_adj=True)
    if vcov == "CR0":
        return {"CRV1": "cl__"}, pf.ssc(k_adj=False, G_adj=False)
    if vcov == "iid":
        return "iid", pf.ssc(k_adj=True, k_fixef="full")
    return "hetero", pf.ssc(k_adj=True, k_fixef="full")  # HC1


def _tdist(est: np.ndarray, se: np.ndarray, df: float, alpha: float):
    """p-values and CI bounds from Student's t with ``df`` degrees of freedom."""
    from scipy import stats

    est, se = np.asarray(est, float), np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        tt = est / se
    p = 2 * stats.t.sf(np.abs(tt), df)
    q = stats.t.ppf(1 - alpha / 2, df)
    return p, est - q * se, est + q * se


@dataclass(frozen=True)
class _Fit:
    coef: pd.Series
    vcov: pd.DataFrame
    n_obs: int
    n_clusters: int | None
    df_t: float


def _feols(data: pd.DataFrame, *, y: str, regressors: Sequence[str], unit: str, time: str,
           cluster: str | None, vcov: str, weights: str | None, what: str) -> _Fit:
    """Fit ``y ~ regressors | unit + time`` with pyfixest on safe internal column names.

    No row is dropped here (inputs are complete); singletons are kept (``fixef_rm="none"``) so the
    result equals ``lm`` with dummies. Collinear regressors are reported with NaN.
    """
    import pyfixest as pf

    names = {r: f"x{i}__" for i, r in enumerate(regressors)}
    d = pd.DataFrame({"y__": _prep.as_float(data[y])})
    for r, nm in names.items():
        d[nm] = _prep.as_float(data[r])
    d["u__"] = pd.factorize(data[unit])[0]
    d["t__"] = pd.factorize(data[time])[0]
    if cluster is not None:
        d["cl__"] = pd.factorize(data[cluster])[0]
    if weights is not None:
        d["w__"] = _prep.as_float(data[weights])
    vc, ssc = _pyfixest_vcov(vcov)
    fml = f"y__ ~ {' + '.join(names.values())} | u__ + t__"
    with warnings.catch_warnings():  # pyfixest 0.60 uses pandas' deprecated inplace= (noise only)
        warnings.filterwarnings("ignore", message="The inplace keyword", module="pyfixest")
        # collinear regressors are reported by the caller with their real names
        warnings.filterwarnings("ignore", message=r"\s*\d+ variables? dropped due to multicollinearity")
        try:
            fit = pf.feols(fml, data=d, vcov=vc, ssc=ssc, fixef_rm="none", weights="w__" if weights else None,
                           copy_data=False, store_data=False, lean=True)
        except ValueError as exc:
            if "collinear" not in str(exc):
                raise
            raise DataValidationError([Problem(column=", ".join(regressors), expected="regressors that are "
                                               "not collinear with the unit and time fixed effects")],
                                      what=what) from exc
    if int(fit._N) != len(d):
        raise RuntimeError(f"{what}: pyfixest used {fit._N} of {len(d)} rows; no row may be dropped silently")
    back = {v: k for k, v in names.items()}
    coef = fit.coef().rename(index=back)
    V = pd.DataFrame(np.asarray(fit._vcov), index=coef.index, columns=coef.index)
    coef = coef.reindex(list(regressors))
    V = V.reindex(index=list(regressors), columns=list(regressors))
    n_cl = int(d["cl__"].nunique()) if (cluster is not None and _is_clustered(vcov)) else None
    if n_cl is not None:
        df_t = n_cl - 1
    else:
        k = len(coef.dropna()) + d["u__"].nunique() + d["t__"].nunique() - 1
        df_t = len(d) - k
    return _Fit(coef=coef, vcov=V, n_obs=len(d), n_clusters=n_cl, df_t=float(df_t))


def _numpy_fit(data: pd.DataFrame, *, y: str, regressors: Sequence[str], unit: str, time: str,
               cluster: str | None, vcov: str, weights: str | None, what: str) -> _Fit:
    """The same regression as :func:`_feols` by Frisch-Waugh-Lovell in numpy (no pyfixest).

    Outcome and regressors are (weighted) demeaned on unit and time effects by alternating
    projections, rows scaled by sqrt(weight) (= WLS), then OLS and the sandwich of the module
    docstring with ``K = p + U + T - 1`` (all dummies counted; FWL gives the identical
    coefficient block of the full dummy regression, Lovell 2008). Not for ``vcov="cr1_fixest"``.
    """
    from ._fwl import _cluster_sums, demean

    if vcov == "cr1_fixest":
        raise ValueError("engine='numpy' does not implement vcov='cr1_fixest'; use engine='pyfixest'")
    uc = pd.factorize(data[unit])[0]
    tc = pd.factorize(data[time])[0]
    w = None if weights is None else _prep.as_float(data[weights])
    M = np.column_stack([_prep.as_float(data[y])] + [_prep.as_float(data[r]) for r in regressors])
    Z = demean(M, (uc, tc), weights=w)
    if w is not None:
        Z *= np.sqrt(w)[:, None]
    yt, Xt = Z[:, 0], Z[:, 1:]
    n, p = Xt.shape
    scale = np.sqrt(np.einsum("ij,ij->j", Xt, Xt))
    scale[scale == 0] = 1.0
    ok = np.ones(p, dtype=bool)
    # drop (near-)collinear regressors in order, as pyfixest does
    for j in range(p):
        if not ok[j]:
            continue
        cols = np.flatnonzero(ok[:j])
        xj = Xt[:, j] / scale[j]
        if cols.size:
            Xs = Xt[:, cols] / scale[cols]
            resid = xj - Xs @ np.linalg.lstsq(Xs, xj, rcond=None)[0]
        else:
            resid = xj
        if float(resid @ resid) < 1e-9:
            ok[j] = False
    if not ok.any():
        raise DataValidationError([Problem(column=", ".join(regressors), expected="regressors that are "
                                           "not collinear with the unit and time fixed effects")], what=what)
    Xo = Xt[:, ok]
    A = np.linalg.inv(Xo.T @ Xo)
    b = A @ (Xo.T @ yt)
    u = yt - Xo @ b
    U, T = int(uc.max()) + 1, int(tc.max()) + 1
    K = int(ok.sum()) + U + T - 1
    n_cl = None
    if _is_clustered(vcov):
        cc, lev = pd.factorize(data[cluster])
        G = len(lev)
        S = _cluster_sums(Xo * u[:, None], cc, G)
        c = {"CR1": G / (G - 1) * (n - 1) / (n - K), "cr1_g_only": G / (G - 1), "CR0": 1.0}[vcov]
        V = c * A @ (S.T @ S) @ A
        n_cl, df_t = G, G - 1
    elif vcov == "iid":
        V = float(u @ u) / (n - K) * A
        df_t = n - K
    else:  # HC1
        Su = Xo * u[:, None]
        V = n / (n - K) * A @ (Su.T @ Su) @ A
        df_t = n - K
    names = [r for r, k in zip(regressors, ok, strict=True) if k]
    coef = pd.Series(b, index=names).reindex(list(regressors))
    Vd = pd.DataFrame(V, index=names, columns=names).reindex(index=list(regressors), columns=list(regressors))
    return _Fit(coef=coef, vcov=Vd, n_obs=n, n_clusters=n_cl, df_t=float(df_t))


def _resolve_engine(engine: str | None, vcov: str) -> str:
    """numpy by default; pyfixest when asked for, or for the fixest-only ``vcov="cr1_fixest"``."""
    if engine is None:
        return "pyfixest" if vcov == "cr1_fixest" else "numpy"
    return engine


def _fit(engine: str, data: pd.DataFrame, **kw) -> _Fit:
    if engine == "pyfixest":
        return _feols(data, **kw)
    if engine == "numpy":
        return _numpy_fit(data, **kw)
    raise ValueError(f"engine must be 'pyfixest' or 'numpy', got {engine!r}")


def _table(fit: _Fit, terms: Sequence[str], alpha: float) -> pd.DataFrame:
    est = fit.coef.reindex(terms).to_numpy(dtype=float)
    se = np.sqrt(np.diag(fit.vcov.reindex(index=terms, columns=terms).to_numpy(dtype=float)))
    p, lo, hi = _tdist(est, se, fit.df_t, alpha)
    return pd.DataFrame({"term": list(terms), "estimate": est, "se": se, "ci_low": lo, "ci_high": hi,
                         "pvalue": p})


def _binary(data: pd.DataFrame, col: str, what: str) -> np.ndarray:
    """A 0/1 (or bool) column as int array; anything else is an error naming the values."""
    v = _prep.as_float(data[col])
    bad = ~np.isin(v, (0.0, 1.0))
    if bad.any():
        rows = data.index[bad][:10]
        raise DataValidationError([Problem(column=col, row=r, value=data.at[r, col],
                                           expected="0/1 or True/False") for r in rows], what=what)
    return v.astype(int)
