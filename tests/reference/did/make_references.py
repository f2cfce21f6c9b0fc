"""Produce the independent reference values for tests/test_did.py and tests/test_inference.py.

Run from the project root:  .venv/bin/python tests/reference/did/make_references.py
Nothing here imports llq_analysis: every number comes from statsmodels (OLS with explicit dummies),
plain numpy (dummies + own sandwich) or the `wildboottest` package, so the tests compare our code
with other implementations. See README.md next to this file.
"""

from __future__ import annotations

import json
import platform
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.formula.api as smf

HERE = Path(__file__).resolve().parent
MPDTA = HERE.parent / "mpdta" / "mpdta.csv"


def mpdta() -> pd.DataFrame:
    df = pd.read_csv(MPDTA).rename(columns={"first.treat": "first_treat"})
    df["D"] = ((df.first_treat > 0) & (df.year >= df.first_treat)).astype(int)
    # deterministic continuous "dose" (EUR per resident style): zero before treatment, varies by county and year
    df["dose"] = df.D * (1.0 + (df.countyreal % 7) * 2.5 + (df.year - 2003) * 0.5)
    # a time-varying covariate and an analytic weight
    df["xcov"] = df.lpop * (df.year - 2005)
    df["popw"] = np.exp(df.lpop)
    return df


def numpy_twfe(y, d, unit, time, cluster, X=None, w=None):
    """OLS of y on d (+X) with full unit and time dummies, by plain numpy; CR1 as Stata."""
    U = pd.get_dummies(unit, drop_first=True, dtype=float).to_numpy()
    T = pd.get_dummies(time, drop_first=True, dtype=float).to_numpy()
    cols = [d[:, None]] + ([X] if X is not None else []) + [np.ones((len(y), 1)), U, T]
    Z = np.hstack(cols)
    sw = np.ones(len(y)) if w is None else np.sqrt(w)
    Zw, yw = Z * sw[:, None], y * sw
    ZtZi = np.linalg.inv(Zw.T @ Zw)
    b = ZtZi @ Zw.T @ yw
    u = yw - Zw @ b
    n, k = Z.shape
    codes, lev = pd.factorize(cluster)
    G = len(lev)
    S = np.zeros((G, k))
    np.add.at(S, codes, Zw * u[:, None])
    V = G / (G - 1) * (n - 1) / (n - k) * ZtZi @ S.T @ S @ ZtZi
    return float(b[0]), float(np.sqrt(V[0, 0]))


def twfe_continuous() -> dict:
    df = mpdta()
    out = {}
    specs = {
        "dose": dict(fml="lemp ~ dose + C(countyreal) + C(year)", w=None, X=None),
        "dose_xcov": dict(fml="lemp ~ dose + xcov + C(countyreal) + C(year)", w=None, X=["xcov"]),
        "dose_weighted": dict(fml="lemp ~ dose + C(countyreal) + C(year)", w="popw", X=None),
    }
    for name, s in specs.items():
        if s["w"] is None:
            mod = smf.ols(s["fml"], data=df)
        else:
            mod = smf.wls(s["fml"], data=df, weights=df[s["w"]])
        f_cl = mod.fit(cov_type="cluster", cov_kwds={"groups": df.countyreal})
        f_iid = mod.fit()
        f_hc1 = mod.fit(cov_type="HC1")
        nb, nse = numpy_twfe(df.lemp.to_numpy(float), df.dose.to_numpy(float), df.countyreal, df.year,
                             df.countyreal, None if s["X"] is None else df[s["X"]].to_numpy(float),
                             None if s["w"] is None else df[s["w"]].to_numpy(float))
        assert abs(nb - f_cl.params["dose"]) < 1e-10 and abs(nse - f_cl.bse["dose"]) < 1e-10
        out[name] = {"coef": float(f_cl.params["dose"]), "se_cr1": float(f_cl.bse["dose"]),
                     "se_iid": float(f_iid.bse["dose"]), "se_hc1": float(f_hc1.bse["dose"]),
                     "numpy_coef": nb, "numpy_se_cr1": nse, "nobs": int(f_cl.nobs),
                     "formula": s["fml"], "weights": s["w"]}
    # also the binary TWFE (cross-check of expected.json with statsmodels)
    mod = smf.ols("lemp ~ D + C(countyreal) + C(year)", data=df)
    f = mod.fit(cov_type="cluster", cov_kwds={"groups": df.countyreal})
    out["binary_D"] = {"coef": float(f.params["D"]), "se_cr1": float(f.bse["D"]), "nobs": int(f.nobs)}
    return out


def event_study() -> dict:
    df = mpdta()
    rel = (df.year - df.first_treat).where(df.first_treat > 0)
    periods = sorted(int(r) for r in rel.dropna().unique() if r != -1)
    names = []
    for r in periods:
        nm = f"rel_m{-r}" if r < 0 else f"rel_p{r}"
        df[nm] = (rel == r).astype(float)
        names.append(nm)
    fml = "lemp ~ " + " + ".join(names) + " + C(countyreal) + C(year)"
    f = smf.ols(fml, data=df).fit(cov_type="cluster", cov_kwds={"groups": df.countyreal})
    pre = [n for n in names if n.startswith("rel_m")]
    R = np.zeros((len(pre), len(f.params)))
    for i, n in enumerate(pre):
        R[i, list(f.params.index).index(n)] = 1.0
    wt = f.wald_test(R, use_f=False, scalar=True)
    wf = f.wald_test(R, use_f=True, scalar=True)
    post = [n for n in names if n.startswith("rel_p")]
    a = np.zeros(len(f.params))
    for n in post:
        a[list(f.params.index).index(n)] = 1.0 / len(post)
    avg = float(a @ f.params.to_numpy())
    avg_se = float(np.sqrt(a @ f.cov_params().to_numpy() @ a))
    return {
        "formula": fml,
        "coef": {str(r): float(f.params[n]) for r, n in zip(periods, names, strict=True)},
        "se_cr1": {str(r): float(f.bse[n]) for r, n in zip(periods, names, strict=True)},
        "pretrend_wald_chi2": float(np.squeeze(wt.statistic)), "pretrend_df": len(pre),
        "pretrend_pvalue_chi2": float(wt.pvalue),
        "pretrend_f": float(np.squeeze(wf.statistic)), "pretrend_pvalue_f": float(wf.pvalue),
        "post_mean": avg, "post_mean_se": avg_se,
    }


def did_2x2() -> dict:
    df = mpdta()
    d = df[df.year.isin([2003, 2004]) & df.first_treat.isin([0, 2004])].copy()
    d["g"] = (d.first_treat > 0).astype(int)
    d["p"] = (d.year == 2004).astype(int)
    m = smf.ols("lemp ~ g * p", data=d)
    f_hc1 = m.fit(cov_type="HC1")
    f_cl = m.fit(cov_type="cluster", cov_kwds={"groups": d.countyreal})
    return {"sample": "mpdta years 2003-2004, first.treat in {0, 2004}; g = first.treat>0, p = year==2004",
            "coef": float(f_hc1.params["g:p"]), "se_hc1": float(f_hc1.bse["g:p"]),
            "se_cr1": float(f_cl.bse["g:p"]), "nobs": int(f_hc1.nobs),
            "coef_g": float(f_hc1.params["g"]), "se_hc1_g": float(f_hc1.bse["g"])}


def wild_panel() -> pd.DataFrame:
    """A small simulated panel: 10 units (= clusters) x 6 periods, staggered adoption (SIMULATED)."""
    rng = np.random.default_rng(20240501)
    U, T = 10, 6
    df = pd.DataFrame([(u, 2015 + t) for u in range(U) for t in range(T)], columns=["unit", "year"])
    coh = {0: 2018, 1: 2018, 2: 2019, 3: 2020, 4: 0, 5: 0, 6: 2019, 7: 0, 8: 0, 9: 2017}
    df["cohort"] = df.unit.map(coh)
    df["d"] = ((df.cohort > 0) & (df.year >= df.cohort)).astype(int)
    ue = rng.normal(size=U)
    df["y"] = (0.3 * df.d + ue[df.unit] + 0.1 * (df.year - 2015) + rng.normal(size=len(df))).round(6)
    return df


def wild_bootstrap() -> dict:
    from wildboottest.wildboottest import wildboottest

    df = wild_panel()
    df.to_csv(HERE / "wild_panel.csv", index=False)
    df = pd.read_csv(HERE / "wild_panel.csv")
    m = smf.ols("y ~ d + C(unit) + C(year)", data=df)
    f = m.fit(cov_type="cluster", cov_kwds={"groups": df.unit})
    out = {"coef": float(f.params["d"]), "se_cr1": float(f.bse["d"]), "G": 10}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for imp in (True, False):
            r = wildboottest(m, param="d", cluster=df.unit.to_numpy(), B=9999, weights_type="rademacher",
                             impose_null=imp, seed=1, show=False)
            key = "wcr" if imp else "wcu"
            out[f"{key}_rademacher_full_enum_pvalue"] = float(r["p-value"].iloc[0])
            out[f"{key}_t_stat"] = float(r["statistic"].iloc[0])
            r = wildboottest(m, param="d", cluster=df.unit.to_numpy(), B=99999, weights_type="webb",
                             impose_null=imp, seed=1, show=False)
            out[f"{key}_webb_B99999_pvalue"] = float(r["p-value"].iloc[0])
    return out


def main() -> None:
    import wildboottest

    meta = {"produced_by": "tests/reference/did/make_references.py", "python": platform.python_version(),
            "numpy": np.__version__, "pandas": pd.__version__, "statsmodels": statsmodels.__version__,
            "wildboottest": getattr(wildboottest, "__version__", "0.3.2")}
    refs = {"meta": meta, "twfe_continuous": twfe_continuous(), "event_study": event_study(),
            "did_2x2": did_2x2(), "wild_bootstrap": wild_bootstrap()}
    (HERE / "references.json").write_text(json.dumps(refs, indent=1) + "\n")
    print(json.dumps(refs, indent=1))


if __name__ == "__main__":
    main()
