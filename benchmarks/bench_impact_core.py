"""Impact core figures: TWFE (cold and warm), event study, wild cluster bootstrap, randomization
inference on the bundled panel, and TWFE on a simulated 100,000 units x 20 years panel.

Targets (issue 3): TWFE with cluster SE < 50 ms warm on the bundled panel; wild bootstrap with
9,999 draws < 1 s; TWFE on 100,000 x 20 in < 15 s and < 4 GB peak memory.
Run: ``.venv/bin/python benchmarks/bench_impact_core.py`` (prints figures; no assertions).
Cold figures and the large panel run in fresh processes (peak RSS from ``resource``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import warnings

from _timing import median_times

COLD = r"""
import json, time, warnings, sys
warnings.simplefilter("ignore")
t0 = time.perf_counter()
import llq_analysis as llq
from benchmarks_impact_data import panel
df = panel()
t1 = time.perf_counter()
llq.twfe(df, outcome="sgb2_rate", unit="quartier_id", time="year", treatment="D", engine=sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({"setup": t1 - t0, "first_call": t2 - t1}))
"""

BIG = r"""
import json, resource, sys, time, tracemalloc, warnings
import numpy as np, pandas as pd
warnings.simplefilter("ignore")
import llq_analysis as llq
engine, n_units, n_years = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
unit = np.repeat(np.arange(n_units), n_years)
year = np.tile(np.arange(2005, 2005 + n_years), n_units)
g = rng.choice([0, 2012, 2015, 2018], size=n_units, p=[0.55, 0.15, 0.15, 0.15])
d = ((g[unit] > 0) & (year >= g[unit])).astype(np.int8)
y = rng.normal(size=n_units)[unit] + 0.05 * (year - 2005) + 0.5 * d + rng.normal(size=unit.size)
df = pd.DataFrame({"unit": unit, "year": year, "d": d, "y": y})  # SIMULATED
df.attrs["provenance"] = "simulated"
# warm imports / compiled code on a tiny panel first (the cold cost is reported separately)
llq.twfe(df.head(2000), outcome="y", unit="unit", time="year", treatment="d", engine=engine)
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
t0, c0 = time.perf_counter(), time.process_time()
r = llq.twfe(df, outcome="y", unit="unit", time="year", treatment="d", engine=engine)
dt, dc = time.perf_counter() - t0, time.process_time() - c0
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": dt, "cpu_seconds": dc, "tracemalloc_peak_mb": peak / 2**20, "maxrss_mb": rss / 1024,
                  "maxrss_before_mb": rss0 / 1024, "estimate": r.estimate, "se": r.se, "n_obs": r.n_obs}))
"""

DATA_MODULE = r'''
"""Bundled panel with the treatment dummy (written by bench_impact_core.py)."""
import numpy as np, pandas as pd

def panel() -> pd.DataFrame:
    import llq_analysis as llq
    try:
        df = llq.load_demo_panel()
    except Exception:  # bundled data not there yet: a simulated panel of the same size
        rng = np.random.default_rng(0)
        q, years = 117, np.arange(2012, 2025)
        g = rng.choice([0, 2021, 2022, 2023, 2024], size=q, p=[0.7, 0.2, 0.04, 0.03, 0.03])
        unit = np.repeat(np.arange(q), len(years)); year = np.tile(years, q)
        df = pd.DataFrame({"quartier_id": unit, "year": year, "llq_first_year": g[unit],
                           "sgb2_rate": 20 + rng.normal(size=q)[unit] * 5 + rng.normal(size=unit.size),
                           "city": np.where(unit < 93, "Bremen", "Bremerhaven")})
        df.attrs["provenance"] = "simulated"
    first = df["llq_first_year"].fillna(0).astype(float)
    df = df.assign(D=((first > 0) & (df["year"] >= first)).astype(int))
    return df
'''


def _fresh(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter. Bytecode is cached under a temporary prefix (if the
    environment sets PYTHONDONTWRITEBYTECODE, every process would recompile scipy/pandas from source
    and cold figures would mostly measure that)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "llq_bench_pycache")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                         cwd=_tmpdir(), env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


_TMP: list[str] = []


def _tmpdir() -> str:
    if not _TMP:
        from pathlib import Path

        d = tempfile.mkdtemp(prefix="llq_bench_")
        (Path(d) / "benchmarks_impact_data.py").write_text(DATA_MODULE)
        _TMP.append(d)
    return _TMP[0]


class _Timing(str):
    """'wall ms (cpu ms)': wall-clock median and process CPU-time median (CPU time is less
    distorted when other jobs share the cores; multi-threaded code can have CPU > wall)."""


def _median_ms(fn, n: int) -> _Timing:
    wall, cpu = median_times(fn, n, warm=False)
    return _Timing(f"{1000 * wall:7.1f} ms wall ({1000 * cpu:6.1f} ms CPU)")


def main() -> None:
    warnings.simplefilter("ignore")
    sys.path.insert(0, _tmpdir())
    from benchmarks_impact_data import panel

    import llq_analysis as llq

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (figures scale with it)")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set here; fresh processes below use a bytecode cache in "
              f"{tempfile.gettempdir()}/llq_bench_pycache instead")
    for eng in ("numpy", "pyfixest"):  # fill the bytecode cache (a user's first run after installing)
        _fresh(COLD, eng)
    for eng in ("pyfixest", "numpy"):
        c = _fresh(COLD, eng)
        print(f"TWFE cold first call in a fresh process ({eng:8s}): {1000 * c['first_call']:9.1f} ms "
              f"(import + load panel before it: {1000 * c['setup']:.0f} ms)")
    df = panel()
    kw = dict(outcome="sgb2_rate", unit="quartier_id", time="year", treatment="D")
    llq.twfe(df, **kw)
    print(f"bundled panel: {len(df)} rows, {df['quartier_id'].nunique()} quartiers, provenance "
          f"{llq.twfe(df, **kw).provenance}")
    for eng in ("pyfixest", "numpy"):
        ms = _median_ms(lambda e=eng: llq.twfe(df, engine=e, **kw), 20)
        print(f"TWFE warm, CR1 cluster SE ({eng:8s}), median of 20:  {ms}   (target < 50 ms)")
    for eng in ("pyfixest", "numpy"):
        ms = _median_ms(lambda eng=eng: llq.event_study(df, outcome="sgb2_rate", unit="quartier_id",
                                                        time="year", cohort="llq_first_year",
                                                        engine=eng), 10)
        print(f"event study warm ({eng:8s}), median of 10:        {ms}")
    llq.wild_cluster_bootstrap(df, reps=999, **kw)
    ms = _median_ms(lambda: llq.wild_cluster_bootstrap(df, reps=9999, **kw), 5)
    r = llq.wild_cluster_bootstrap(df, reps=9999, **kw)
    print(f"wild cluster bootstrap WCR, 9,999 draws, CI by inversion, median of 5: {ms}   "
          f"(target < 1000 ms; {r.n_clusters} clusters, {r.extras['weights_type']})")
    strata = "city" if "city" in df.columns else None
    ms = _median_ms(lambda: llq.randomization_inference(df, outcome="sgb2_rate", unit="quartier_id", time="year",
                                                        cohort="llq_first_year", strata=strata, reps=999), 3)
    print(f"randomization inference, 999 permutations within city, median of 3: {ms}")
    for eng in ("numpy", "pyfixest"):
        b = _fresh(BIG, eng, "100000", "20")
        print(f"TWFE 100,000 units x 20 years ({eng:8s}): {b['seconds']:6.2f} s wall ({b['cpu_seconds']:.2f} s CPU), peak RSS {b['maxrss_mb']:7.0f} MB "
              f"(process before the call {b['maxrss_before_mb']:.0f} MB), tracemalloc peak "
              f"{b['tracemalloc_peak_mb']:6.0f} MB; estimate {b['estimate']:.4f} (true 0.5, SIMULATED), "
              f"n_obs {b['n_obs']}   (target < 15 s, < 4 GB)")


if __name__ == "__main__":
    main()
