"""Shared timing helper of the benchmark scripts (run as `python benchmarks/bench_x.py`)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_times(fn: Callable[[], object], n: int, *, warm: bool = True) -> tuple[float, float]:
    """Median wall and process-CPU seconds of ``n`` calls of ``fn`` (after one warm-up call).

    CPU time is less distorted than wall time when other jobs share the cores; multi-threaded
    code can show CPU > wall.
    """
    if warm:
        fn()
    wall, cpu = [], []
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)
