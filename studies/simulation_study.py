"""Monte Carlo study: do the LLQ impact estimators recover a known effect, with honest intervals?

Simulated panels on the real quartier structure (93 Bremen + 24 Bremerhaven Ortsteile, 2012-2024,
``llq_analysis.data.simulate.simulate_staggered_panel``): 20 funded quartiers in Bremen and 4 in
Bremerhaven, first funded 2021-2024 (staggered), unit and year effects, unit trends, AR(1)
errors (rho 0.5). Scenarios:

* ``homogeneous``: constant effect -1.0 pp in every funded year. Methods: TWFE with CR1 cluster
  SE (t, G-1 df), the wild cluster bootstrap (WCR, Rademacher, 999 draws, test-inversion CI),
  Callaway & Sant'Anna simple ATT with analytic and multiplier-bootstrap (999 draws) SEs.
* ``heterogeneous``: effects grow with years since the start and are larger for earlier cohorts
  (``heterogeneous=True``); the target is the simple ATT (mean effect over funded quartier-years).
  Methods: TWFE (biased here: forbidden comparisons), CS simple ATT, imputation (BJS).
  Imputation (BJS, Theorem 3 variance, with and without the leave-one-out refinement) also runs
  in the homogeneous scenario.
* ``bremerhaven_only`` (extra, few clusters): the homogeneous DGP restricted to Bremerhaven's 24
  quartiers, 4 funded. TWFE CR1 vs the wild cluster bootstrap (Webb weights, < 12 treated).

Run (takes ~10-20 minutes on a busy 2-core machine)::

    nice .venv/bin/python studies/simulation_study.py --panels 500 --seed 20240601

It prints the summary table (markdown) and writes ``studies/results/simulation_study_raw.csv``
and ``studies/results/simulation_study_summary.csv``. Targets (issue 3): |bias| < 5 % of the
effect and 95 % CI coverage in [93 %, 97 %] for TWFE-CR1, CS and the wild bootstrap in the
homogeneous scenario; TWFE biased and CS unbiased in the heterogeneous scenario.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

SCENARIOS = ("homogeneous", "heterogeneous", "bremerhaven_only")
ATT = -1.0
KW = {"outcome": "y", "unit": "quartier_id", "time": "year"}


def panel_seeds(seed: int, n: int) -> list[int]:
    """Independent per-panel seeds derived from one study seed."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def one_panel(panel_seed: int, scenario: str, *, reps_wcb: int = 999, reps_mboot: int = 999,
              imputation: bool = True) -> list[dict]:
    """Simulate one panel of ``scenario`` and return one row per method (estimate, se, ci, truth).
    ``reps_wcb`` / ``reps_mboot`` = 0 skip the wild / multiplier bootstrap; ``imputation=False``
    skips the imputation estimator (fast test version)."""
    from llq_analysis.data.simulate import simulate_staggered_panel
    from llq_analysis.impact.did import twfe
    from llq_analysis.impact.event_time import imputation_did
    from llq_analysis.impact.inference import wild_cluster_bootstrap
    from llq_analysis.impact.staggered import staggered_did

    het = scenario == "heterogeneous"
    d = simulate_staggered_panel(panel_seed, att=ATT, heterogeneous=het)
    truth = d.attrs["true_att"]
    if scenario == "bremerhaven_only":
        d = d[d["city"] == "Bremerhaven"].reset_index(drop=True)
        truth = float(d.loc[d["treated"] == 1, "true_effect"].mean())
    rows = []

    def add(method, est, se, ci):
        rows.append({"scenario": scenario, "panel_seed": panel_seed, "method": method, "truth": truth,
                     "estimate": float(est), "se": float(se), "ci_low": float(ci[0]), "ci_high": float(ci[1])})

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tw = twfe(d, **KW, treatment="treated")
        add("TWFE, CR1 cluster SE", tw.estimate, tw.se, tw.ci)
        if scenario in ("homogeneous", "bremerhaven_only") and reps_wcb > 0:
            wt = "rademacher" if scenario == "homogeneous" else "webb"
            wb = wild_cluster_bootstrap(d, **KW, treatment="treated", reps=reps_wcb, seed=panel_seed % 2**31,
                                        weights_type=wt)
            add(f"TWFE, wild cluster bootstrap (WCR, {wt})", wb.estimate, wb.se, wb.ci)
        if scenario != "bremerhaven_only":
            cs = staggered_did(d, **KW, cohort="first_year")
            add("CS simple ATT, analytic SE", cs.estimate, cs.se, cs.ci)
            if scenario == "homogeneous" and reps_mboot > 0:
                cb = cs.aggregate("simple", bootstrap=reps_mboot, seed=panel_seed % 2**31)
                add("CS simple ATT, multiplier bootstrap", cb.estimate, cb.se, cb.ci)
            if imputation:
                im = imputation_did(d, **KW, cohort="first_year", leave_one_out=False)
                add("Imputation (BJS), Theorem 3 SE", im.estimate, im.se, im.ci)
                lo = imputation_did(d, **KW, cohort="first_year", leave_one_out=True)
                add("Imputation (BJS), Theorem 3 SE, leave-one-out", lo.estimate, lo.se, lo.ci)
    return rows


def run_study(n_panels: int = 500, seed: int = 20240601, *, scenarios=SCENARIOS, reps_wcb: int = 999,
              reps_mboot: int = 999, imputation: bool = True, progress: bool = True) -> pd.DataFrame:
    """All panels x scenarios; one row per panel, scenario and method."""
    rows = []
    t0 = time.perf_counter()
    for k, scen in enumerate(scenarios):
        # each scenario gets its own panels (seed offset by scenario) so rows are independent
        for i, ps in enumerate(panel_seeds(seed + 1000 * k, n_panels)):
            rows += one_panel(ps, scen, reps_wcb=reps_wcb, reps_mboot=reps_mboot, imputation=imputation)
            if progress and (i + 1) % 50 == 0:
                print(f"  {scen}: {i + 1}/{n_panels} panels ({time.perf_counter() - t0:.0f} s)", flush=True)
    return pd.DataFrame(rows)


def summarise(raw: pd.DataFrame) -> pd.DataFrame:
    """Bias (also in % of the true effect), RMSE, SE calibration and 95 % CI coverage per method."""
    r = raw.assign(err=raw["estimate"] - raw["truth"],
                   cover=(raw["ci_low"] <= raw["truth"]) & (raw["truth"] <= raw["ci_high"]),
                   width=raw["ci_high"] - raw["ci_low"])
    g = r.groupby(["scenario", "method"], sort=False)
    out = g.agg(panels=("err", "size"), true_effect=("truth", "mean"), mean_estimate=("estimate", "mean"),
                bias=("err", "mean"), sd_estimate=("estimate", "std"), mean_se=("se", "mean"),
                coverage=("cover", "mean"), mean_ci_width=("width", "mean"),
                rmse=("err", lambda e: float(np.sqrt(np.mean(e**2))))).reset_index()
    out["bias_pct"] = 100 * out["bias"] / out["true_effect"].abs()
    out["bias_mcse_pct"] = 100 * g["err"].std().to_numpy() / np.sqrt(out["panels"]) / out["true_effect"].abs()
    out["coverage_mcse"] = np.sqrt(out["coverage"] * (1 - out["coverage"]) / out["panels"])
    out["se_over_sd"] = out["mean_se"] / out["sd_estimate"]
    return out


def to_markdown(summary: pd.DataFrame) -> str:
    """The summary as a markdown table (bias in % of the effect, coverage in %)."""
    lines = ["| scenario | method | panels | true effect | mean estimate | bias (% of effect) | "
             "coverage 95 % CI | mean SE / SD of estimates |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in summary.itertuples():
        lines.append(f"| {r.scenario} | {r.method} | {r.panels} | {r.true_effect:.3f} | {r.mean_estimate:.3f} | "
                     f"{r.bias_pct:+.1f} (MC SE {r.bias_mcse_pct:.1f}) | {100 * r.coverage:.1f} % "
                     f"(MC SE {100 * r.coverage_mcse:.1f}) | {r.se_over_sd:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panels", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--reps", type=int, default=999, help="bootstrap draws (wild and multiplier)")
    ap.add_argument("--scenarios", nargs="*", default=list(SCENARIOS), choices=SCENARIOS)
    ap.add_argument("--out", type=Path, default=ROOT / "studies" / "results")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    raw = run_study(a.panels, a.seed, scenarios=a.scenarios, reps_wcb=a.reps, reps_mboot=a.reps)
    summary = summarise(raw)
    a.out.mkdir(parents=True, exist_ok=True)
    raw.to_csv(a.out / "simulation_study_raw.csv", index=False)
    summary.to_csv(a.out / "simulation_study_summary.csv", index=False)
    print(f"\n{a.panels} panels per scenario, seed {a.seed}, {a.reps} bootstrap draws, "
          f"{time.perf_counter() - t0:.0f} s\n")
    print(to_markdown(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
