"""Benchmark of the evaluation report (``llq report``): cold run in a fresh process, per step.

Prints: total seconds from a cold start (new interpreter, new kernel: imports, numba compilation
of pyfixest, every estimation, HTML and PDF) and the split into check / notebook / HTML / PDF, as
recorded in manifest.json; the PDF step alone with each engine on the same HTML (WeasyPrint, the
default, and chromium when installed; median of 3, engine import included for WeasyPrint's first
run in a fresh process); then the warm time of the content functions (estimates already compiled)
in this process. Target (issue 6): whole report < 90 s cold on the 2-core machine.
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
            f"render_report(out_dir={str(out)!r}, pdf={pdf}, progress=False)")  # default engine
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return wall, manifest


def pdf_engines(html: Path, tmp: Path, n: int = 3) -> None:
    """Seconds to print ``html`` with each available engine, each run in a fresh process."""
    import statistics

    from llq_analysis.outputs.report.pdf import PDF_ENGINES, engine_problem

    for engine in PDF_ENGINES:
        problem = engine_problem(engine)
        if problem:
            print(f"  PDF with {engine}: not available ({problem})")
            continue
        code = ("import sys, time; t = time.perf_counter(); from pathlib import Path; "
                "from llq_analysis.outputs.report.pdf import html_to_pdf; "
                f"html_to_pdf(Path({str(html)!r}), Path({str(tmp / (engine + '.pdf'))!r}), engine={engine!r}); "
                "print(time.perf_counter() - t)")
        ts = [float(subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True,
                                   text=True).stdout.split()[-1]) for _ in range(n)]
        pages = subprocess.run(["pdfinfo", str(tmp / f"{engine}.pdf")], capture_output=True,
                               text=True).stdout if shutil.which("pdfinfo") else ""
        npages = next((ln.split()[1] for ln in pages.splitlines() if ln.startswith("Pages:")), "?")
        print(f"  PDF with {engine}: median {statistics.median(ts):5.1f} s of {n} (fresh process each; "
              f"min {min(ts):.1f}, max {max(ts):.1f}), {npages} pages")


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
    from llq_analysis.outputs.report.pdf import DEFAULT_PDF_ENGINE, engine_problem

    pdf = engine_problem(DEFAULT_PDF_ENGINE) is None
    with tempfile.TemporaryDirectory() as tmp:
        wall, m = cold_run(Path(tmp) / "reports", pdf)
        print(f"report, cold (new process{f', PDF with {DEFAULT_PDF_ENGINE}' if pdf else ', no PDF engine'}): "
              f"{wall:.1f} s wall")
        for k, v in m["timings_seconds"].items():
            print(f"  {k:10s} {v:6.1f} s")
        print(f"  tables: {len(m['tables'])}, figures: {len(m['figures'])}, PDF pages: {m['pdf_pages']}")
        pdf_engines(Path(tmp) / "reports" / "report.html", Path(tmp))
        t = warm_content(Path(tmp) / "warm")
        print("content functions in this process (first call computes and caches the estimates):")
        for k, v in t.items():
            print(f"  {k:15s} {v:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
