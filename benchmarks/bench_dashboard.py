"""Scenario explorer figures: start cost, one recompute, chart, and the app in headless chromium.

Prints (no assertions): the explorer's build time in a fresh process (the kernel's share of the
first render), the recompute after a slider change without and with the chart, and - unless
``--no-browser`` or chromium is missing - the first render and the key press -> updated numbers
latency of ``llq app`` in Debian chromium, cold (kernel started on request) and preheated
(``--preheat 1``). The machine's load average is printed with every figure: on a shared 2-core
machine it dominates the absolute numbers.

    .venv/bin/python benchmarks/bench_dashboard.py [--no-browser] [--moves 20]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
BUILD = ("import time; t=time.perf_counter(); from llq_analysis.outputs.dashboard import ScenarioExplorer; "
         "ScenarioExplorer(chart=False); print(time.perf_counter()-t)")


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def in_process(n: int = 15) -> None:
    vals = [float(subprocess.run([sys.executable, "-c", BUILD], capture_output=True, text=True, check=True,
                                 cwd=ROOT).stdout) for _ in range(3)]
    print(f"explorer build, fresh process (imports + data + first recompute), median of 3: "
          f"{statistics.median(vals):6.2f} s  ({_load()})")
    from llq_analysis.outputs.dashboard import ScenarioExplorer

    ex = ScenarioExplorer(chart=False)
    shares = [0.8 - 0.01 * (i % 10) for i in range(n)]
    ts = []
    for s in shares:
        t = time.perf_counter()
        ex.w_split.value = s
        ts.append(time.perf_counter() - t)
    print(f"recompute after a slider change (allocate + project 3 outcomes x 2000 draws + HTML), "
          f"median of {n}: {statistics.median(ts) * 1000:6.1f} ms  ({_load()})")
    ex._draw_chart(ex.projection)  # first chart pays the matplotlib import
    ts = []
    for _ in range(5):
        t = time.perf_counter()
        ex._draw_chart(ex.projection)
        ts.append(time.perf_counter() - t)
    print(f"chart redraw (matplotlib PNG, debounced in the app), median of 5: "
          f"{statistics.median(ts) * 1000:6.1f} ms  ({_load()})")


def _start(port: int, preheat: int) -> subprocess.Popen:
    argv = [sys.executable, "-c", "import sys; from llq_analysis.cli import main; sys.exit(main())", "app",
            "--port", str(port), "--no-browser", "--preheat", str(preheat)]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/llq-readiness-probe", timeout=2)
        except urllib.error.HTTPError:
            return proc
        except OSError:
            time.sleep(0.25)
    _stop(proc)
    raise RuntimeError("llq app did not start")


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _browse(url: str, moves: int) -> tuple[float, list[float]]:
    from playwright.sync_api import sync_playwright

    sel = ".llq-bremen-amount .llq-eur"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu",
                                                               "--disable-background-networking",
                                                               "--disable-component-update", "--disable-sync",
                                                               "--no-first-run"])
        try:
            page = b.new_page()
            t0 = time.perf_counter()
            page.goto(url, wait_until="commit", timeout=300_000)
            page.wait_for_selector(f"{sel}[data-eur]:not([data-eur=''])", timeout=300_000)
            first = time.perf_counter() - t0
            page.locator(".widget-slider .noUi-handle").first.focus()
            lat = []
            for i in range(moves):
                before = page.get_attribute(sel, "data-eur")
                t = time.perf_counter()
                page.keyboard.press("ArrowLeft" if i < moves // 2 else "ArrowRight")
                page.wait_for_function("([s, v]) => document.querySelector(s).dataset.eur !== v",
                                       arg=[sel, before], polling="raf", timeout=60_000)
                lat.append((time.perf_counter() - t) * 1000)
                page.wait_for_function(  # all outputs of this recompute shown (as a person would wait)
                    "() => { const g = [...document.querySelectorAll('.llq-outputs [data-gen]')]"
                    ".map(e => e.dataset.gen); return g.every(x => x === g[0]); }", timeout=60_000)
        finally:
            b.close()
    return first, lat


def browser(moves: int) -> None:
    from llq_analysis.outputs.dashboard import free_port

    for preheat, wait in ((0, 0), (1, 60)):
        port = free_port()
        proc = _start(port, preheat)
        try:
            time.sleep(wait)  # preheated: give the spare kernel time to run the notebook
            first, lat = _browse(f"http://127.0.0.1:{port}/", moves)
        finally:
            _stop(proc)
        kind = "cold (kernel on request)" if not preheat else f"preheated (--preheat 1, opened after {wait} s)"
        print(f"llq app {kind}: first render {first:6.2f} s; key press -> numbers median "
              f"{statistics.median(lat):5.0f} ms over {moves} moves (max {max(lat):.0f})  ({_load()})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--moves", type=int, default=20)
    args = ap.parse_args()
    in_process()
    if args.no_browser or not Path(CHROMIUM).exists():
        print("browser figures skipped (--no-browser or no chromium)")
        return
    browser(args.moves)


if __name__ == "__main__":
    main()
