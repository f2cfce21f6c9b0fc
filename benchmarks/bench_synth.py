"""Synthetic control / SDID / HonestDiD figures (target: synthetic control with full in-space
placebo on a bundled-size panel < 5 s).

Panels: the bundled data/panel.csv (SGB II rate; treated = the first quartier funded from 2021,
donors = never-funded quartiers) if present, and a simulated 140 quartiers x 13 years panel
(every other unit a donor: the worst case, 139 placebo fits). Prints cold (first call in the
process, incl. scipy imports) and warm timings.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _simulated(n_units: int = 140, years=range(2012, 2025), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    yrs = np.array(list(years))
    f = rng.normal(0, 1, (len(yrs), 2)).cumsum(axis=0) * 0.4
    load = rng.normal(1, 0.5, (n_units, 2))
    base = rng.normal(15, 6, n_units)
    y = base[:, None] + load @ f.T + rng.normal(0, 0.5, (n_units, len(yrs)))
    y[0, yrs >= 2021] -= 1.5  # known effect on unit q000 (simulated)
    df = pd.DataFrame({"quartier_id": np.repeat([f"q{i:03d}" for i in range(n_units)], len(yrs)),
                       "year": np.tile(yrs, n_units), "sgb2_rate": y.ravel()})
    df["d"] = ((df["quartier_id"] == "q000") & (df["year"] >= 2021)).astype(int)
    df.attrs["provenance"] = "simulated"
    return df


def _time(label: str, fn, repeat: int = 3):
    t = time.perf_counter()
    out = fn()
    cold = time.perf_counter() - t
    warm = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t)
    print(f"{label:<62} cold {cold:7.2f} s   warm (median of {repeat}) {np.median(warm):7.3f} s")
    return out


def main() -> None:
    from llq_analysis.impact.sensitivity import honest_did
    from llq_analysis.impact.synth import synthetic_control, synthetic_did

    sim = _simulated()
    kw = dict(outcome="sgb2_rate", unit="quartier_id", time="year")
    r = _time("SC outcome-only + full placebo, simulated 140 x 13 (139 donors)",
              lambda: synthetic_control(sim, **kw, treated_unit="q000", treatment_time=2021))
    print(f"    estimate {r.estimate:.3f} (true -1.5), placebo p {r.pvalue:.3f}, {len(r.placebo)} placebo fits")
    panel_path = ROOT / "data" / "panel.csv"
    if panel_path.exists():
        p = pd.read_csv(panel_path)
        treated = sorted(p.loc[p["llq_first_year"] == 2021, "quartier_id"].unique())[0]
        donors = sorted(p.loc[p["llq_first_year"] == 0, "quartier_id"].unique())
        r = _time(f"SC outcome-only + full placebo, bundled panel ({p['quartier_id'].nunique()} x "
                  f"{p['year'].nunique()}, {len(donors)} donors)",
                  lambda: synthetic_control(p, **kw, treated_unit=treated, treatment_time=2021, donors=donors))
        print(f"    treated {treated}: estimate {r.estimate:.3f}, p {r.pvalue:.3f} (simulated data)")
    sub = sim[sim["quartier_id"].isin([f"q{i:03d}" for i in range(40)])].copy()
    sub["x1"] = sub["sgb2_rate"] * 0.5 + 1
    _time("SC with 2 predictors (ADH, V by Nelder-Mead) + placebo, 40 x 13",
          lambda: synthetic_control(sub, **kw, treated_unit="q000", treatment_time=2021,
                                    predictors=["x1", ("sgb2_rate", [2015, 2018, 2020], "mean")]), repeat=1)
    _time("SDID, simulated 140 x 13, 1 treated, placebo SE 200 draws",
          lambda: synthetic_did(sim, **kw, treatment="d", replications=200), repeat=1)
    ref = pd.read_json(ROOT / "tests" / "reference" / "synth" / "honestdid_medicaid.json", typ="series")
    b, s = np.array(ref["betahat"]), np.array(ref["sigma"])
    _time("honest_did smoothness FLCI, 6 M values (5 pre, 2 post)",
          lambda: honest_did(betahat=b, sigma=s, num_pre=5, grid=np.linspace(0, 0.05, 6)))
    _time("honest_did relative magnitudes, 5 Mbar values",
          lambda: honest_did(betahat=b, sigma=s, num_pre=5, method="relative_magnitude"))


if __name__ == "__main__":
    main()
