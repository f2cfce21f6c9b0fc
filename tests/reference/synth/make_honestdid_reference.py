"""Build honestdid_medicaid.json: the HonestDiD README (Medicaid) example as a reference case.

1. Event study exactly as in the R HonestDiD README: ehec_data (Mixtape-Sessions/Advanced-DID,
   Exercises/Data/ehec_data.csv), years < 2016, drop the 2015 cohort, D = 1{yexp2 == 2014},
   ``feols(dins ~ i(year, D, ref = 2013) | stfips + year, cluster = "stfips")``. Computed here
   with pyfixest (which reproduces R fixest's coefficients and default clustered vcov).
2. The R HonestDiD README output (first post period, l_vec = basisVector(1, 2)), typed in:
   Delta^SD FLCI for M = 0, 0.01, ..., 0.05 and Delta^RM C-LF for Mbar = 0.5, 1, 1.5, 2.
3. diff-diff 3.13 identified sets (pre-period coefficients as known) for the same cases:
   ``_solve_bounds_lp`` (Delta^SD) and ``_solve_rm_bounds_union`` (Delta^RM).

Run: ``.venv/bin/python tests/reference/synth/make_honestdid_reference.py`` (needs pyfixest, diff-diff).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent

R_SD = {"M": [0.0, 0.01, 0.02, 0.03, 0.04, 0.05],
        "lb": [0.0259, 0.0132, 0.00286, -0.00714, -0.0171, -0.0271],
        "ub": [0.0607, 0.0787, 0.0907, 0.101, 0.111, 0.121]}
R_RM = {"Mbar": [0.5, 1.0, 1.5, 2.0],
        "lb": [0.0241, 0.0171, 0.00859, -0.00107],
        "ub": [0.0673, 0.0720, 0.0796, 0.0883]}


def main() -> None:
    import pyfixest as pf
    from diff_diff.honest_did import (
        _construct_constraints_sd,
        _solve_bounds_lp,
        _solve_rm_bounds_union,
    )

    df = pd.read_csv(HERE / "ehec_data.csv")
    d = df[(df["year"] < 2016) & (df["yexp2"].isna() | (df["yexp2"] != 2015))].copy()
    d["D"] = (d["yexp2"] == 2014).astype(int)
    fit = pf.feols("dins ~ i(year, D, ref=2013) | stfips + year", data=d, vcov={"CRV1": "stfips"})
    beta = fit.coef().to_numpy()
    sigma = np.asarray(fit._vcov)
    l_vec = np.array([1.0, 0.0])
    dd_sd = []
    for m in R_SD["M"]:
        A, b = _construct_constraints_sd(5, 2, m)
        dd_sd.append(list(_solve_bounds_lp(beta[:5], beta[5:], l_vec, A, b, 5)))
    dd_rm = [list(_solve_rm_bounds_union(beta[:5], beta[5:], l_vec, 5, mb)) for mb in R_RM["Mbar"]]
    out = {"terms": [str(t) for t in fit.coef().index], "betahat": beta.tolist(), "sigma": sigma.tolist(),
           "num_pre": 5, "r_honestdid_readme": {"sd_flci": R_SD, "rm_clf": R_RM},
           "diff_diff_idset": {"sd": dd_sd, "rm": dd_rm}}
    (HERE / "honestdid_medicaid.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out["diff_diff_idset"], indent=1))


if __name__ == "__main__":
    main()
