"""Staggered estimators: speed on the bundled-size panel (117 quartiers x 13 years).

Prints: cold ``import diff_diff`` in a fresh process (median of 3); Callaway & Sant'Anna with
analytic SEs and with 999 multiplier-bootstrap draws (the issue's target: < 0.5 s), the four
aggregations with 999 draws, Sun & Abraham, imputation (BJS) and the Bacon decomposition - all
warm (after a first call in this process), median of 5 runs. Data: the bundled panel
(``llq.load_demo_panel()``, outcome ``sgb2_rate``, cohort ``llq_first_year``).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import warnings

from _timing import median_times

IMPORT_DD = "import time; t=time.perf_counter(); import diff_diff; print(time.perf_counter()-t)"
IMPORT_DD_AFTER_PANDAS = ("import time; import pandas, numpy, scipy.stats; t=time.perf_counter(); "
                          "import diff_diff; print(time.perf_counter()-t)")


def _fresh(code: str, n: int = 3) -> float:
    return statistics.median(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                  check=True).stdout) for _ in range(n))


def _loadavg() -> tuple[float, ...]:
    try:
        import os

        return os.getloadavg()
    except (OSError, AttributeError):  # pragma: no cover - not on every platform
        return ()


def main() -> int:
    print(f"import diff_diff, cold (fresh process, median of 3):          {_fresh(IMPORT_DD):6.2f} s")
    print(f"import diff_diff after pandas/numpy/scipy (fresh, median 3): {_fresh(IMPORT_DD_AFTER_PANDAS):6.2f} s")
    warnings.simplefilter("ignore")
    import llq_analysis as llq
    from llq_analysis.impact.bacon import bacon_decomposition
    from llq_analysis.impact.event_time import imputation_did, sun_abraham
    from llq_analysis.impact.staggered import staggered_did

    p = llq.load_demo_panel()
    kw = {"outcome": "sgb2_rate", "unit": "quartier_id", "time": "year"}
    n_units, n_years = p["quartier_id"].nunique(), p["year"].nunique()
    print(f"panel: {n_units} quartiers x {n_years} years = {len(p)} rows "
          f"({(p.groupby('quartier_id')['llq_first_year'].first() > 0).sum()} funded)")
    t0 = time.perf_counter()
    staggered_did(p, **kw, cohort="llq_first_year")
    print(f"CS first call in this process (incl. import diff_diff):      {time.perf_counter() - t0:6.2f} s")
    rows = [
        ("CS, analytic SEs", lambda: staggered_did(p, **kw, cohort="llq_first_year")),
        ("CS, 999 bootstrap draws (target < 0.5 s)",
         lambda: staggered_did(p, **kw, cohort="llq_first_year", bootstrap=999, seed=1)),
    ]
    r = staggered_did(p, **kw, cohort="llq_first_year", bootstrap=999, seed=1)
    rows.append(("CS, 999 draws + 4 aggregations",
                 lambda: [staggered_did(p, **kw, cohort="llq_first_year", bootstrap=999, seed=1).aggregate(k)
                          for k in ("simple", "dynamic", "group", "calendar")]))
    rows.append(("one aggregation (dynamic, 999 draws)", lambda: r.aggregate("dynamic")))
    rows.append(("Sun & Abraham", lambda: sun_abraham(p, **kw, cohort="llq_first_year")))
    rows.append(("imputation (BJS)", lambda: imputation_did(p, **kw, cohort="llq_first_year")))
    pb = p.assign(_d=(p["llq_first_year"] > 0) & (p["year"] >= p["llq_first_year"]))
    rows.append(("Bacon decomposition", lambda: bacon_decomposition(pb, **kw, treatment="_d")))
    print(f"load average now: {', '.join(f'{x:.1f}' for x in _loadavg())} (2 cores; wall times inflate under load)")
    for name, fn in rows:
        w, c = median_times(fn, 5)
        print(f"{name + ', warm (median of 5):':62s} {1000 * w:8.1f} ms wall {1000 * c:8.1f} ms CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
