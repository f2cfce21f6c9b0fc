"""Scenario explorer figures: start cost, one recompute, chart, and the app in headless chromium.

Prints (no assertions): the explorer's build time in a fresh process (the kernel's share of the
first render), the recompute after a slider change without and with the chart, and - unless
``--no-browser`` or chromium is missing - the first render and the key press -> updated numbers
latency of ``llq app`` in Debian chromium: page open -> first slider usable (its handle rendered
and the amounts shown), median of ``--runs`` fresh browser contexts, preheated (``--preheat 1``,
the default) and cold (``--preheat 0``), with the browser's timestamps (HTML received, DOM ready)
and the seconds from SIGTERM to ``llq`` until it exited with Voila and its kernels. The machine's
load average is printed with every figure: on a shared 2-core machine it dominates the numbers.

    .venv/bin/python benchmarks/bench_dashboard.py [--no-browser] [--moves 20] [--runs 3]
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
    from llq_analysis.outputs.dashboard import app_env

    envs = {"as the shell sets it": dict(os.environ), "as llq app sets it for its kernels": app_env()}
    if envs["as the shell sets it"] == envs["as llq app sets it for its kernels"]:
        envs = {"": envs["as the shell sets it"]}
    for label, env in envs.items():  # PYTHONDONTWRITEBYTECODE=1: every process compiles from source
        vals = [float(subprocess.run([sys.executable, "-c", BUILD], capture_output=True, text=True, check=True,
                                     cwd=ROOT, env=env).stdout) for _ in range(3)]
        print(f"explorer build, fresh process (imports + data + first recompute){', env ' + label if label else ''}, "
              f"median of 3: {statistics.median(vals):6.2f} s  ({_load()})")
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
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def _stop(proc: subprocess.Popen) -> float:
    """SIGTERM to the llq process only (as a service manager does); seconds until it exited."""
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return time.perf_counter() - t0


USABLE = ("() => { const h = document.querySelector('.llq-city-split .noUi-handle');"
          " const e = document.querySelector('.llq-bremen-amount .llq-eur');"
          " return !!h && h.getBoundingClientRect().width > 0 && !!e && (e.dataset.eur || '') !== ''; }")


def _open(b, url: str, moves: int) -> tuple[float, dict, list[float]]:
    """Page open -> first slider usable (handle rendered and the numbers it drives shown), with the
    browser's own timestamps of the steps, and key press -> numbers latencies."""
    ctx = b.new_context()
    page = ctx.new_page()
    sel = ".llq-bremen-amount .llq-eur"
    try:
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=300_000)
        page.wait_for_function(USABLE, timeout=300_000, polling=50)
        first = time.perf_counter() - t0
        nav = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                            " return {response_start: n.responseStart, response_end: n.responseEnd,"
                            " dom_content_loaded: n.domContentLoadedEventEnd, load: n.loadEventEnd,"
                            " now: performance.now()}; }")
        lat = []
        if moves:
            page.locator(".llq-city-split .noUi-handle").first.focus()
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
        ctx.close()  # the page goes: Voila shuts its kernel down
    return first, nav, lat


def browser(moves: int, runs: int, refill_wait: float) -> None:
    from playwright.sync_api import sync_playwright

    from llq_analysis.outputs.dashboard import free_port

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu",
                                                               "--disable-background-networking",
                                                               "--disable-component-update", "--disable-sync",
                                                               "--no-first-run"])
        try:
            for preheat in (1, 0):
                port = free_port()
                proc = _start(port, preheat)
                firsts, navs, lats = [], [], []
                try:
                    for i in range(runs):
                        if preheat:  # the spare kernel (first start or refill) runs the notebook
                            time.sleep(refill_wait)
                        elif i:
                            time.sleep(3)
                        first, nav, lat = _open(b, f"http://127.0.0.1:{port}/", moves if i == 0 else 0)
                        firsts.append(first)
                        navs.append(nav)
                        lats += lat
                        print(f"  {'preheated' if preheat else 'cold'} run {i + 1}: first slider usable "
                              f"{first:5.2f} s (HTML received {nav['response_end'] / 1000:5.2f} s, DOM ready "
                              f"{nav['dom_content_loaded'] / 1000:5.2f} s)  ({_load()})", flush=True)
                finally:
                    stop = _stop(proc)
                kind = (f"preheated (--preheat 1, each open {refill_wait:g} s after the refill began)"
                        if preheat else "cold (--preheat 0, kernel started by the request)")
                print(f"llq app {kind}: page open -> first slider usable, median of {runs}: "
                      f"{statistics.median(firsts):5.2f} s (min {min(firsts):.2f}, max {max(firsts):.2f}); "
                      f"HTML received median {statistics.median(n['response_end'] for n in navs) / 1000:.2f} s"
                      + (f"; key press -> numbers median {statistics.median(lats):4.0f} ms over {len(lats)} "
                         "moves" if lats else "") + f"; SIGTERM -> stopped {stop:.1f} s  ({_load()})",
                      flush=True)
        finally:
            b.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--moves", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3, help="page opens per mode (median)")
    ap.add_argument("--refill-wait", type=float, default=30.0,
                    help="seconds between preheated opens (the spare kernel builds the explorer)")
    ap.add_argument("--no-in-process", action="store_true")
    args = ap.parse_args()
    if not args.no_in_process:
        in_process()
    if args.no_browser or not Path(CHROMIUM).exists():
        print("browser figures skipped (--no-browser or no chromium)")
        return
    browser(args.moves, args.runs, args.refill_wait)


if __name__ == "__main__":
    main()
