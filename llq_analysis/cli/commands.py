"""Subcommands of ``llq`` (each a function plus its ``configure``); see :mod:`llq_analysis.cli`."""

from __future__ import annotations

import argparse
from pathlib import Path

from .paths_check import check_output
from .registry import command


# --------------------------------------------------------------------------- validate
def _validate_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="panel CSV (as written by build-panel) or an official export (CSV/XLSX)")
    p.add_argument("--kind", choices=["auto", "panel", "official"], default="auto",
                   help="panel: check against the panel schema; official: only read the export")


@command("validate", "Check a panel file or an official export; list every problem found")
def validate_cmd(args) -> int:
    from .. import paths
    from ..data.importing import check_panel, read_official_table, read_panel

    path = Path(args.file)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    kind = args.kind
    if kind == "auto":
        kind = "panel" if path.suffix.lower() == ".csv" and _looks_like_panel(path) else "official"
    if kind == "panel":
        df = read_panel(path)
        quartiers = None
        if paths.QUARTIERS_CSV.exists():
            from ..data.loaders import load_quartiers

            quartiers = load_quartiers()
        check_panel(df, quartiers=quartiers)
        years = pd_years(df)
        print(f"{path}: OK - panel with {len(df)} rows, {df['quartier_id'].nunique()} quartiers, "
              f"years {years}")
    else:
        df = read_official_table(path)
        n_marks = int(df.attrs.get("n_marked_cells", 0))
        enc = df.attrs.get("encoding") or f"sheet {df.attrs.get('sheet')!r}"
        n_data = sum(not c.endswith("__mark") for c in df.columns)
        print(f"{path}: OK - read {len(df)} rows x {n_data} columns ({enc}, header line "
              f"{', '.join(map(str, df.attrs.get('header_lines', ())))})"
              + (f"; {n_marks} cells marked missing/secret by the publisher" if n_marks else ""))
        print("columns: " + ", ".join(f"{c!r}" for c in df.columns if not c.endswith("__mark")))
        for ln, text in df.attrs.get("footnotes", ()):
            print(f"  footnote line {ln}: {text}")
        for sk in df.attrs.get("skipped_lines", ()):
            print(f"  skipped line {sk['line']} ({sk['reason']}): {sk['text']}")
        for w in df.attrs.get("warnings", ()):
            print(f"  warning: {w}")
        if df.attrs.get("sheets") and len(df.attrs["sheets"]) > 1:
            from ..data.official import list_blocks

            blocks = list_blocks(path, sheet=df.attrs.get("sheet"))
            if len(blocks):
                print(f"  {len(blocks)} indicator blocks on sheet {df.attrs.get('sheet')!r} "
                      "(read one with `blocks:` in the mapping; `llq.list_blocks(file)` lists all sheets)")
    return 0


def pd_years(df) -> str:
    """'2012-2024' (or '-' for an empty panel)."""
    if not len(df):
        return "-"
    return f"{int(df['year'].min())}-{int(df['year'].max())}"


validate_cmd.configure = _validate_opts


def _looks_like_panel(path: Path) -> bool:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        head = fh.readline()
    return "quartier_id" in head and "year" in head


# --------------------------------------------------------------------------- build-panel
def _build_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="official exports (CSV or XLSX)")
    p.add_argument("--mapping", required=True, help="mapping YAML (columns -> indicators, names -> quartier_id)")
    p.add_argument("--out", required=True, help="output panel CSV (written atomically)")


@command("build-panel", "Build a validated panel from official exports and a mapping file")
def build_panel_cmd(args) -> int:
    from ..data.importing import build_panel
    from ..data.loaders import write_csv_atomic

    out = check_output(args.out, kind="file", inputs=[*args.files, args.mapping])
    # build_panel raises before anything is written; the file appears only complete (atomic rename)
    panel = build_panel(args.files, mapping=args.mapping)
    write_csv_atomic(panel, out)
    print(f"wrote {out}: {len(panel)} rows, {panel['quartier_id'].nunique()} quartiers, "
          f"years {pd_years(panel)}")
    for ex in panel.attrs.get("excluded_rows", ()):
        print(f"  excluded (exclude_rows): {Path(ex['file']).name} line {ex['line']}: {ex['name']}")
    for w in panel.attrs.get("warnings", ()):
        print(f"  warning: {w}")
    return 0


build_panel_cmd.configure = _build_opts


# --------------------------------------------------------------------------- overview
def _overview_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="reports", help="output directory")
    p.add_argument("--lang", choices=["de", "en"], default="de")


@command("overview", "Write an HTML overview of the bundled data (coverage, provenance, charts)")
def overview_cmd(args) -> int:
    from ..outputs.overview import write_overview

    check_output(args.out, kind="dir")
    path = write_overview(args.out, lang=args.lang)
    print(f"wrote {path}")
    return 0


overview_cmd.configure = _overview_opts


# --------------------------------------------------------------------------- app
def _app_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866; 0 = any free port)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.add_argument("--base-url", default="/",
                   help="URL prefix when served behind a reverse proxy, e.g. /llq/ (see docs/dashboard.md)")
    p.add_argument("--ip", default="127.0.0.1",
                   help="interface to listen on (default 127.0.0.1; use a reverse proxy for colleagues)")
    p.add_argument("--no-estimate", action="store_true",
                   help="do not estimate the dose-response effect before starting (explorer uses the cache "
                        "if present, else an assumption)")
    p.add_argument("--preheat", type=int, default=1, metavar="N",
                   help="keep N kernels with the explorer already built, refilled when a visitor takes "
                        "one (first page in about 2 s; default 1; 0 = off; ~160 MB RAM each)")
    p.add_argument("--stop-timeout", type=float, default=8.0, metavar="SECONDS",
                   help="on SIGTERM/SIGINT/SIGHUP: how long Voila may take to shut its kernels down "
                        "before they are killed (default 8)")
    p.add_argument("voila_args", nargs="*", metavar="-- VOILA_OPTION",
                   help="further Voila options after '--', e.g. -- --MappingKernelManager.cull_idle_timeout=900")


@command("app", "Serve the scenario explorer (notebooks/app.ipynb) with Voila on 127.0.0.1")
def app_cmd(args) -> int:
    import sys

    from ..outputs.dashboard import app_env, estimate_in_subprocess, port_in_use, serve, voila_argv

    argv = voila_argv(port=args.port, open_browser=not args.no_browser, base_url=args.base_url,
                      ip=args.ip, preheat=args.preheat) + list(args.voila_args)
    port = int(next(a for a in argv if a.startswith("--port=")).split("=", 1)[1])
    taken = port_in_use(port, args.ip)
    if taken:  # before the estimate: a clear line at once, not a Voila traceback later
        raise ValueError(taken)
    if not args.no_estimate:
        print("llq app: Dosis-Wirkung (geschätzter Effekt je EUR/Einwohner) aus dem Zwischenspeicher "
              "oder einmalig neu schätzen ...", flush=True)
        problem = estimate_in_subprocess(env=app_env())
        if problem:  # the explorer then starts with an assumption
            print(f"llq app: keine Schätzung ({problem}); der Explorer nutzt eine Annahme", file=sys.stderr)
    print(f"llq app: {' '.join(argv[2:])}", flush=True)
    code = serve(argv, env=app_env(), grace=args.stop_timeout)
    sys.stdout.flush()
    return code


app_cmd.configure = _app_opts


# --------------------------------------------------------------------------- report
def _report_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", action="append", default=None, metavar="FILE",
                   help="scenario YAML to compare with the baseline (repeatable; default: every "
                        "scenarios/*.yaml); the baseline is always included")
    p.add_argument("--data", default=None, metavar="PANEL",
                   help="panel CSV written by `llq build-panel` (default: the bundled panel)")
    p.add_argument("--lang", choices=["de", "en"], default="de", help="report language (default de)")
    p.add_argument("--out", default="reports", metavar="DIR", help="output directory (default reports)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of every random draw (default: 20200901)")
    p.add_argument("--no-pdf", action="store_true",
                   help="skip the PDF (HTML, tables and manifest only; exit code 0)")
    p.add_argument("--pdf-engine", choices=["weasyprint", "chromium"], default="weasyprint",
                   help="how the PDF is printed: weasyprint (default, no browser needed) or headless "
                        "chromium; if the engine is missing, everything else is written and the exit "
                        "code is 1")


@command("report", "Make the evaluation report (HTML, PDF, tables as CSV/XLSX, manifest.json)")
def report_cmd(args) -> int:
    from ..outputs.report.render import render_report

    inputs = [*(args.scenario or ()), *([args.data] if args.data else [])]
    check_output(args.out, kind="dir", inputs=inputs, also_parent=True)  # results are staged next to it
    render_report(scenarios=args.scenario, data=args.data, lang=args.lang, out_dir=args.out,
                  seed=args.seed, pdf=not args.no_pdf, pdf_engine=args.pdf_engine)
    return 0


report_cmd.configure = _report_opts
