"""Data layer figures: import overhead of llq_analysis over pandas, loading + validating the bundled data."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

IMPORT_PANDAS = "import time; t=time.perf_counter(); import pandas; print(time.perf_counter()-t)"
IMPORT_BOTH = ("import time; import pandas; t=time.perf_counter(); import llq_analysis; "
               "print(time.perf_counter()-t)")


def _fresh(code: str, n: int = 5) -> float:
    vals = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(n)]
    return statistics.median(vals)


def main() -> None:
    print(f"import pandas (fresh process, median of 5):            {_fresh(IMPORT_PANDAS) * 1000:8.1f} ms")
    print(f"import llq_analysis after pandas (fresh, median of 5): {_fresh(IMPORT_BOTH) * 1000:8.1f} ms")
    import llq_analysis as llq

    t = time.perf_counter()
    llq.load_quartiers()
    t1 = time.perf_counter()
    p = llq.load_panel()
    t2 = time.perf_counter()
    llq.load_funding()
    t3 = time.perf_counter()
    print(f"load_quartiers (incl. first pandera import): {1000 * (t1 - t):8.1f} ms")
    print(f"load_panel ({len(p)} rows, validated):         {1000 * (t2 - t1):8.1f} ms")
    print(f"load_funding (validated):                    {1000 * (t3 - t2):8.1f} ms")
    t = time.perf_counter()
    llq.validate_panel(p)
    print(f"validate_panel (warm):                       {1000 * (time.perf_counter() - t):8.1f} ms")


if __name__ == "__main__":
    main()
