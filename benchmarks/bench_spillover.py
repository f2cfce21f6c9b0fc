"""Spillover DiD timing (target: one estimate with cluster SE under 100 ms on the bundled panel size,
~112 units x 20 years). Prints figures; no timed asserts.

Panels: a simulated 8 x 14 rook grid (112 units x 20 years, 28 funded units, known direct effect
-2 and spillover -0.8; marked simulated), and - when ``data/neighbours.csv`` and the bundled panel
share their ids - the bundled panel with the real adjacency (SGB II rate on LLQ EUR per resident).
Cold = first call in the process (scipy/numpy warm-up), warm = median of repeated calls.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from _timing import median_times  # noqa: E402


def grid(rows: int = 8, cols: int = 14, years: int = 20, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = rows * cols
    ids = np.array([f"g{i:03d}" for i in range(n)])
    pairs = [(r * cols + c, rr * cols + cc) for r in range(rows) for c in range(cols)
             for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)) if 0 <= rr < rows and 0 <= cc < cols]
    nb = pd.DataFrame({"quartier_id": ids[[a for a, _ in pairs]], "neighbour_id": ids[[b for _, b in pairs]]})
    A = np.zeros((n, n))
    A[[a for a, _ in pairs], [b for _, b in pairs]] = 1.0
    yrs = np.arange(2005, 2005 + years)
    start = np.zeros(n, dtype=int)
    start[rng.choice(n, 28, replace=False)] = rng.choice([2012, 2014, 2016], 28)
    on = (start[:, None] > 0) & (yrs[None, :] >= start[:, None])
    s = np.where(on, 0.0, (A @ on) / A.sum(axis=1, keepdims=True))
    y = rng.normal(20, 3, n)[:, None] + yrs[None, :] * 0.1 - 2.0 * on - 0.8 * s + rng.normal(0, 1, (n, years))
    panel = pd.DataFrame({"quartier_id": np.repeat(ids, years), "year": np.tile(yrs, n), "y": y.ravel(),
                          "treat": on.ravel().astype(float), "y_provenance": "simulated"})
    return panel, nb


def main() -> None:
    from llq_analysis.impact.did import twfe
    from llq_analysis.impact.spillover import spillover_did

    warnings.simplefilter("ignore")
    panel, nb = grid()
    kw = {"outcome": "y", "unit": "quartier_id", "time": "year", "treatment": "treat", "neighbours": nb}
    t0, c0 = time.perf_counter(), time.process_time()
    res = spillover_did(panel, **kw)
    cold, cold_cpu = time.perf_counter() - t0, time.process_time() - c0
    wall, cpu = median_times(lambda: spillover_did(panel, **kw), 20)
    print(f"simulated grid 112 x 20: direct {res.estimate:.3f} (true -2), spillover {res.spillover:.3f} (true -0.8)")
    print(f"spillover_did, CR1 cluster SE: cold (incl. scipy.stats import) wall {cold:.2f} s, CPU {cold_cpu:.2f} s")
    print(f"spillover_did, CR1 cluster SE                                 warm median wall "
          f"{wall * 1e3:6.1f} ms  CPU {cpu * 1e3:6.1f} ms   (target < 100 ms)")
    wall, cpu = median_times(lambda: twfe(panel, outcome="y", unit="quartier_id", time="year", treatment="treat"), 20)
    print(f"twfe on the same panel (for comparison)                       warm median wall {wall * 1e3:6.1f} ms  "
          f"CPU {cpu * 1e3:6.1f} ms")
    wall, cpu = median_times(lambda: spillover_did(panel, **kw, inference="wild", reps=9999), 3)
    print(f"spillover_did, wild cluster bootstrap 9,999 draws (2 coefs) warm median wall {wall:6.2f} s   "
          f"CPU {cpu:6.2f} s")

    nb_file = ROOT / "data" / "neighbours.csv"
    if not nb_file.exists():
        return
    import llq_analysis as llq

    real_nb = pd.read_csv(nb_file, dtype=str)
    loaders = [("bundled panel", "load_panel"), ("demo panel (simulated)", "load_demo_panel")]
    for label, loader in loaders:
        try:
            real = getattr(llq, loader)()
        except Exception as exc:  # the data layer may be mid-change; the grid figures stand
            print(f"{label} skipped: {type(exc).__name__}: {str(exc)[:100]}")
            continue
        real = real.assign(quartier_id=real["quartier_id"].astype(str))
        if not set(real_nb["quartier_id"]) <= set(real["quartier_id"]):
            print(f"{label}: ids of data/neighbours.csv and the panel differ - skipped")
            continue
        funded = real["llq_eur_per_capita"] > 0
        outcome = next((c for c in ("sgb2_rate", "turnout_buergerschaft") if real.loc[funded, c].notna().any()), None)
        if outcome is None:
            print(f"{label}: no outcome observed in funded years - skipped")
            continue
        kwr = {"outcome": outcome, "unit": "quartier_id", "time": "year", "treatment": "llq_eur_per_capita",
               "neighbours": real_nb}
        try:
            r = spillover_did(real, **kwr)
        except Exception as exc:
            print(f"{label} ({outcome}) skipped: {type(exc).__name__}: {str(exc)[:100]}")
            continue
        wall, cpu = median_times(lambda: spillover_did(real, **kwr), 20)  # noqa: B023
        print(f"{label} {real['quartier_id'].nunique()} units x {real['year'].nunique()} years, {outcome} "
              f"({r.n_obs} rows used) with data/neighbours.csv: warm median wall {wall * 1e3:.1f} ms, "
              f"CPU {cpu * 1e3:.1f} ms (timing only; not an effect estimate)")

if __name__ == "__main__":
    main()
