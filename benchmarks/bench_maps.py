"""Map figures: load the bundled boundaries, draw a full two-city choropleth, render it to PNG.

Run as ``python benchmarks/bench_maps.py``. The first call includes reading the GeoJSON and building
the matplotlib paths (cached per process afterwards); warm calls are what a notebook or the
dashboard sees on every redraw.
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("MPLBACKEND", "Agg")

from _timing import median_times  # noqa: E402


def main() -> None:
    import matplotlib.pyplot as plt
    import pandas as pd

    from llq_analysis.data.boundaries import load_boundaries
    from llq_analysis.outputs.maps import plot_map

    t = time.perf_counter()
    areas = load_boundaries()
    print(f"load_boundaries (json, {len(areas)} areas):       {1000 * (time.perf_counter() - t):8.1f} ms")
    ids = list(areas)
    values = pd.DataFrame({"quartier_id": ids, "v": [float(i % 23) for i in range(len(ids))]})
    high = ids[5:9]

    def draw():
        fig = plot_map(values, column="v", label="Wert", source="Beispiel", highlight=high,
                       suppressed=ids[20:22])
        plt.close(fig)

    def draw_png():
        fig = plot_map(values, column="v", label="Wert", source="Beispiel", highlight=high,
                       suppressed=ids[20:22])
        fig.savefig(io.BytesIO(), format="png", dpi=110)
        plt.close(fig)

    t = time.perf_counter()
    draw()
    print(f"plot_map, first call (paths built):        {1000 * (time.perf_counter() - t):8.1f} ms")
    wall, cpu = median_times(draw, 5)
    print(f"plot_map, warm (median of 5):              {1000 * wall:8.1f} ms wall, {1000 * cpu:6.1f} ms CPU")
    wall, cpu = median_times(draw_png, 5)
    print(f"plot_map + PNG 110 dpi, warm (median of 5): {1000 * wall:8.1f} ms wall, {1000 * cpu:6.1f} ms CPU")


if __name__ == "__main__":
    main()
