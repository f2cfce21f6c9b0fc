"""Power / MDE and shrinkage figures (targets: minimum_detectable_effect by simulation with 1,000
placebo designs on the bundled panel < 5 s; analytic < 50 ms).

Runs on the bundled panel (``llq.load_panel()``; if it does not validate, ``data/panel.csv`` read
directly, stated in the output) for the SGB II rate and Bürgerschaft turnout. Prints the cold
first call (incl. scipy imports) and the median warm wall / CPU time, plus the MDEs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _timing import median_times  # noqa: E402


def _panel() -> tuple[pd.DataFrame, str]:
    import llq_analysis as llq

    try:
        return llq.load_panel(), "llq.load_panel()"
    except Exception as exc:  # the bundled tables are being rebuilt: read the CSV as it is
        return pd.read_csv(ROOT / "data" / "panel.csv"), f"data/panel.csv read directly ({type(exc).__name__})"


def main() -> None:
    import llq_analysis as llq

    panel, src = _panel()
    print(f"panel: {src}, {len(panel)} rows, {panel['quartier_id'].nunique()} quartiers")
    kw = {"unit": "quartier_id", "time": "year", "first_year": "llq_first_year", "dose": "llq_eur_per_capita",
          "base": "population"}
    first = True
    for outcome in ("sgb2_rate", "turnout_buergerschaft"):
        for method, n in (("simulation", 5), ("analytic", 20)):
            def run(o=outcome, m=method):
                return llq.minimum_detectable_effect(panel, outcome=o, method=m, n_designs=1000, **kw)
            t0 = time.perf_counter()
            res = run()
            cold = time.perf_counter() - t0
            wall, cpu = median_times(run, n, warm=False)
            extra = ""
            if method == "simulation":
                extra = (f"; size at 0 {res.size:.3f} (MC SE {res.size_mc_se:.3f}); MC interval "
                         f"[{res.mde_mc_interval[0]:.3f}, {res.mde_mc_interval[1]:.3f}]; analytic same window "
                         f"{res.extras['mde_placebo_analytic']:.3f}, actual window {res.extras['mde_actual_analytic']:.3f}")
            print(f"{outcome:22s} {method:10s} MDE {res.mde:.3f} pp (per EUR/resident {res.per_eur:.4f}; "
                  f"{res.persons:,.0f} persons){extra}")
            print(f"{'':22s} {'':10s} cold {cold * 1000:7.1f} ms{' (first call, imports)' if first else ''}; "
                  f"warm median wall {wall * 1000:7.1f} ms, CPU {cpu * 1000:7.1f} ms")
            first = False
    # shrinkage of the SGB II rate in the latest year
    yr = panel["year"].max()
    one = panel[panel["year"] == yr]
    base = "population_below_retirement_age" if "population_below_retirement_age" in one else "population"
    for method, est in (("beta_binomial", "moments"), ("beta_binomial", "ml"), ("fay_herriot", "moments")):
        def shrink(m=method, e=est):
            return llq.shrink_rates(one, rate="sgb2_rate", base=base, method=m, estimator=e)
        wall, cpu = median_times(shrink, 10)
        r = shrink()
        ch = r.change().abs()
        print(f"shrink_rates {method}/{est}: {len(one)} areas; median |change| {ch.median():.3f} pp, "
              f"max {ch.max():.3f} pp; warm wall {wall * 1000:.1f} ms, CPU {cpu * 1000:.1f} ms")


if __name__ == "__main__":
    main()
