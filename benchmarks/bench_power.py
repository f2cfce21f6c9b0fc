"""Power / MDE and shrinkage figures (targets: minimum_detectable_effect by simulation with 1,000
placebo designs on the bundled panel < 5 s; analytic < 50 ms).

Runs on the bundled panels (``llq.load_demo_panel()``, simulated, and ``llq.load_panel()``; a
panel that does not load is reported and skipped) for the SGB II rate and Bürgerschaft turnout,
with the funded years as planned periods for the SGB II rate (they count even where not yet
published). Prints the cold
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


def _panels() -> list[tuple[str, pd.DataFrame]]:
    """The bundled panel(s): the simulated demo panel and the published panel, where loadable."""
    import llq_analysis as llq

    out = []
    for name in ("load_demo_panel", "load_panel"):
        try:
            out.append((f"llq.{name}()", getattr(llq, name)()))
        except Exception as exc:  # the bundled tables are being rebuilt: say so, go on
            print(f"llq.{name}() not loadable: {type(exc).__name__}")
    if not out:
        out.append(("data/panel.csv read directly", pd.read_csv(ROOT / "data" / "panel.csv",
                                                                dtype={"quartier_id": str})))
    return out


def main() -> None:
    import llq_analysis as llq

    first = True
    for src, panel in _panels():
        print(f"panel: {src}, {len(panel)} rows, {panel['quartier_id'].nunique()} quartiers, years "
              f"{panel['year'].min()}-{panel['year'].max()}, provenance {panel['provenance'].iloc[0]}")
        kw = {"unit": "quartier_id", "time": "year", "first_year": "llq_first_year", "dose": "llq_eur_per_capita",
              "base": "population"}
        # SGB II: the funded years up to the panel's last year count as planned periods (observed
        # once published); turnout: only the elections in the data
        first_funded = int(panel.loc[panel["llq_first_year"] > 0, "llq_first_year"].min())
        planned = {"sgb2_rate": list(range(first_funded, int(panel["year"].max()) + 1)), "turnout_buergerschaft": None}
        for outcome in ("sgb2_rate", "turnout_buergerschaft"):
            for method, n in (("simulation", 5), ("analytic", 20)):
                def run(o=outcome, m=method, p=panel, k=kw, pl=planned):
                    return llq.minimum_detectable_effect(p, outcome=o, method=m, n_designs=1000,
                                                         planned_periods=pl[o], **k)
                t0 = time.perf_counter()
                res = run()
                cold = time.perf_counter() - t0
                wall, cpu = median_times(run, n, warm=False)
                extra = ""
                if method == "simulation":
                    ex = res.extras
                    extra = (f"; size at 0 {res.size:.3f} (MC SE {res.size_mc_se:.3f}); MC interval "
                             f"[{res.mde_mc_interval[0]:.3f}, {res.mde_mc_interval[1]:.3f}]; analytic same window "
                             f"{ex['mde_placebo_analytic']:.3f}, actual window {ex['mde_actual_analytic']:.3f}; "
                             f"simulation carried over {ex['mde_actual_adjusted']:.3f}")
                pe = "-" if res.per_eur is None else f"{res.per_eur:.4f}"
                print(f"  {outcome:22s} {method:10s} MDE {res.mde:.3f} pp (per EUR/resident {pe}; "
                      f"{res.persons:,.0f} persons){extra}")
                print(f"  {'':22s} {'':10s} cold {cold * 1000:7.1f} ms{' (first call, imports)' if first else ''}; "
                      f"warm median wall {wall * 1000:7.1f} ms, CPU {cpu * 1000:7.1f} ms")
                first = False
    panel = _panels()[0][1]
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
