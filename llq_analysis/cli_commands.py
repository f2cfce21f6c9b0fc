"""Subcommands of ``llq`` (each a function plus its ``configure``); see :mod:`llq_analysis.cli`."""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli import command


# --------------------------------------------------------------------------- validate
def _validate_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="panel CSV (as written by build-panel) or an official export (CSV/XLSX)")
    p.add_argument("--kind", choices=["auto", "panel", "official"], default="auto",
                   help="panel: check against the panel schema; official: only read the export")


@command("validate", "Check a panel file or an official export; list every problem found")
def validate_cmd(args) -> int:
    from .data import load_panel
    from .importing import read_official_table

    path = Path(args.file)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    kind = args.kind
    if kind == "auto":
        kind = "panel" if path.suffix.lower() == ".csv" and _looks_like_panel(path) else "official"
    if kind == "panel":
        df = load_panel(path)
        print(f"{path}: OK - panel with {len(df)} rows, {df['quartier_id'].nunique()} quartiers, "
              f"years {df['year'].min()}-{df['year'].max()}")
    else:
        df = read_official_table(path)
        n_marks = int(df.attrs.get("n_marked_cells", 0))
        print(f"{path}: OK - read {len(df)} rows x {df.shape[1]} columns"
              + (f"; {n_marks} cells marked missing/secret by the publisher" if n_marks else ""))
    return 0


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
    from .data import write_csv_atomic
    from .importing import build_panel

    panel = build_panel(args.files, mapping=args.mapping)
    write_csv_atomic(panel, args.out)
    print(f"wrote {args.out}: {len(panel)} rows, {panel['quartier_id'].nunique()} quartiers")
    return 0


build_panel_cmd.configure = _build_opts


# --------------------------------------------------------------------------- overview
def _overview_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="reports", help="output directory")
    p.add_argument("--lang", choices=["de", "en"], default="de")


@command("overview", "Write an HTML overview of the bundled data (coverage, provenance, charts)")
def overview_cmd(args) -> int:
    from .overview import write_overview

    path = write_overview(args.out, lang=args.lang)
    print(f"wrote {path}")
    return 0


overview_cmd.configure = _overview_opts
