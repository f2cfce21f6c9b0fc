"""Scenario engine figures: allocate, project (2,000 draws), allocate + project, comparison, optimiser.

Prints medians (wall clock and process CPU time) over repeated warm calls on the bundled data
(117 quartiers), plus the machine's load average: on a shared 2-core machine the load dominates
the wall-clock numbers, CPU time is the steadier figure. No assertions (targets: allocate +
project median < 20 ms; optimiser < 2 s).

    .venv/bin/python benchmarks/bench_scenarios.py [--reps 50]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

from _timing import median_times


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=50)
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    import llq_analysis as llq
    from llq_analysis import paths
    from llq_analysis.policy.allocation import allocate, prepare_panel
    from llq_analysis.policy.optimiser import optimise_allocation
    from llq_analysis.policy.projection import compare_scenarios, project
    from llq_analysis.policy.scenarios import load_scenario

    q, panel = llq.load_quartiers(), llq.load_demo_panel()
    base = load_scenario(paths.BASELINE_SCENARIO)
    need = load_scenario(paths.SCENARIO_DIR / "bedarfsorientiert.yaml")
    effect = {"sgb2_rate": (-0.25, 0.08), "sgb2_rate_u15": (-0.40, 0.15), "turnout_buergerschaft": (0.30, 0.10)}
    alloc = allocate(base, q, panel=panel)
    t0 = time.perf_counter()
    pp = prepare_panel(panel)
    print(f"{len(q)} quartiers; effect per EUR/resident (assumed): {effect}")
    print(f"prepare_panel (once): {1000 * (time.perf_counter() - t0):.1f} ms")

    rows = [
        ("allocate (baseline, fixed amounts)", lambda: allocate(base, q, panel=panel), args.reps),
        ("allocate (need rule)", lambda: allocate(need, q, panel=panel), args.reps),
        ("project, 3 outcomes x 2,000 draws", lambda: project(alloc, effect=effect, panel=panel, draws=2000,
                                                              seed=1), args.reps),
        ("allocate + project (baseline, 1 outcome)",
         lambda: project(allocate(base, q, panel=panel), effect={"sgb2_rate": (-0.25, 0.08)}, panel=panel,
                         draws=2000, seed=1), args.reps),
        ("allocate + project (baseline, 3 outcomes)",
         lambda: project(allocate(base, q, panel=panel), effect=effect, panel=panel, draws=2000, seed=1), args.reps),
        ("allocate + project (need rule, 3 outcomes, log)",
         lambda: project(allocate(need, q, panel=panel), effect=effect, panel=panel, draws=2000, seed=1,
                         returns="log"), args.reps),
        ("allocate + project (baseline, 3 outcomes), prepared panel",
         lambda: project(allocate(base, q, panel=pp), effect=effect, panel=pp, draws=2000, seed=1), args.reps),
        ("allocate + project (need rule, 3 outcomes), prepared panel",
         lambda: project(allocate(need, q, panel=pp), effect=effect, panel=pp, draws=2000, seed=1), args.reps),
        ("slider step: with_changes + allocate + project",
         lambda: project(allocate(base.with_changes({"budget.city_share.Bremen": 0.75,
                                                     "budget.city_share.Bremerhaven": 0.25}), q, panel=panel),
                         effect=effect, panel=panel, draws=2000, seed=1), args.reps),
    ]
    for name, fn, reps in rows:
        w, c = median_times(fn, reps)
        print(f"{name:52s} median {w * 1000:7.2f} ms wall, {c * 1000:7.2f} ms CPU  ({_load()})")

    files = [paths.SCENARIO_DIR / f for f in ("baseline.yaml", "stadtanteil_nach_bevoelkerung.yaml",
                                              "bedarfsorientiert.yaml")]
    w, c = median_times(lambda: compare_scenarios(files, q, panel=panel, effect=effect, draws=2000, seed=1), 5)
    print(f"{'compare_scenarios (3 files, 3 outcomes, 2,000 draws)':52s} median {w:7.3f} s wall, {c:7.3f} s CPU  "
          f"({_load()})")
    for label, kw in (("optimiser linear, 1 outcome, 1,000 draws", {}),
                      ("optimiser log, 1 outcome, 1,000 draws", {"returns": "log"}),
                      ("optimiser saturation, relative, 1,000 draws", {"returns": "saturation", "scale": "relative"}),
                      ("optimiser linear, weighted 2 outcomes, free split",
                       {"objective": {"sgb2_rate": 1, "turnout_buergerschaft": 0.5}, "city_split": "free"})):
        w, c = median_times(lambda kw=kw: optimise_allocation(base, q, panel=panel, effect=effect, draws=1000, seed=1, **kw), 5)
        print(f"{label:52s} median {w:7.3f} s wall, {c:7.3f} s CPU  ({_load()})")


if __name__ == "__main__":
    main()
