"""Benchmark of the evaluation report (``llq report``): cold run in a fresh process, per step.

Prints: total seconds from a cold start (new interpreter, new kernel: imports, numba compilation
of pyfixest, every estimation, HTML and PDF) and the split into check / notebook / HTML / PDF, as
recorded in manifest.json; then the warm time of the content functions (estimates already
compiled) in this process. Target (issue 6): whole report < 90 s cold on the 2-core machine.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def cold_run(out: Path, pdf: bool) -> tuple[float, dict]:
    code = ("from llq_analysis.outputs.report import render_report; "
            f"render_report(out_dir={str(out)!r}, pdf={pdf}, progress=False)")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return wall, manifest


def warm_content(out: Path) -> dict[str, float]:
    import llq_analysis.outputs.report.content as rc

    ctx = rc.start(out_dir=out)
    times = {}
    for f in (rc.summary, rc.programme, rc.data_coverage, rc.before_after, rc.impact, rc.diagnostics,
              rc.scenarios, rc.quartier_annex):
        t0 = time.perf_counter()
        f(ctx)
        times[f.__name__] = time.perf_counter() - t0
    return times


def main() -> int:
    pdf = shutil.which("chromium") is not None
    with tempfile.TemporaryDirectory() as tmp:
        wall, m = cold_run(Path(tmp) / "reports", pdf)
        print(f"report, cold (new process{', with PDF' if pdf else ', no chromium: no PDF'}): "
              f"{wall:.1f} s wall")
        for k, v in m["timings_seconds"].items():
            print(f"  {k:10s} {v:6.1f} s")
        print(f"  tables: {len(m['tables'])}, figures: {len(m['figures'])}, PDF pages: {m['pdf_pages']}")
        t = warm_content(Path(tmp) / "warm")
        print("content functions in this process (first call computes and caches the estimates):")
        for k, v in t.items():
            print(f"  {k:15s} {v:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
