"""Import speed and memory on a big long-format export (issue 14): read_official_table, validate, build_panel.

Generates (in /tmp, never committed) a ';'-separated UTF-8 export with one row per
quartier x year x indicator (``Gebietsschlüssel;Zeit;Merkmal;Wert``; the quartier ids come from
data/quartiers.csv, values are invented), about 50 MB and 1.7 M rows, plus a mapping that keeps the
``Bevölkerung insgesamt`` rows (``filter_rows:``). Each step runs in a fresh process, which prints
its wall seconds and peak resident memory (``resource.getrusage``, MB).

    python benchmarks/bench_import.py [--rows 1700000] [--only read|validate|build|cli] [--distinct]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(tempfile.gettempdir()) / "llq_bench_import"

STEP = r"""
import json, resource, sys, time
t = time.perf_counter()
kind, path, mapping = sys.argv[1], sys.argv[2], sys.argv[3]
if kind == "read":
    from llq_analysis.data.official import read_official_table
    n = len(read_official_table(path))
elif kind == "validate":
    from llq_analysis.cli import main
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()):
        rc = main(["validate", path])
    assert rc == 0
    n = None
elif kind == "build":
    from llq_analysis.data.importing import build_panel
    n = len(build_panel([path], mapping=mapping))
else:
    from llq_analysis.cli import main
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()):
        rc = main(["build-panel", "--mapping", mapping, path, "--out", path + ".panel.csv"])
    assert rc == 0
    n = None
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": time.perf_counter() - t, "peak_mb": peak, "n": n}))
"""


def make_export(n_rows: int, path: Path, *, distinct: bool = False) -> tuple[int, int]:
    """Write the long export (``n_rows`` rows or a few more) and return (rows, bytes); with
    ``distinct`` nearly every value cell is a different text (the reader's worst case)."""
    import csv

    with open(ROOT / "data" / "quartiers.csv", encoding="utf-8") as fh:
        ids = [r["quartier_id"] for r in csv.DictReader(fh)]
    years = list(range(2005, 2025))
    n_ind = max(1, -(-n_rows // (len(ids) * len(years))))
    inds = ["Bevölkerung insgesamt"] + [f"Merkmal {k:03d}" for k in range(1, n_ind)]
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("Statistisches Landesamt Bremen\nLangformat (simulierte Werte, Benchmark)\n")
        fh.write("Gebietsschlüssel;Zeit;Merkmal;Wert\n")
        for qi, q in enumerate(ids):
            for y in years:
                for k, ind in enumerate(inds):
                    v = (qi * 7919 + y * 31 + k * 17) % 20000
                    if k == 0:
                        cell = f"{v:,}".replace(",", ".")          # 12.345
                    elif k % 97 == 0:
                        cell = "."                                # secret
                    elif distinct:
                        cell = f"{rows / 1000:.3f}".replace(".", ",")  # 1234,567: every cell differs
                    else:
                        cell = f"{v / 100:.1f}".replace(".", ",")  # 12,3
                    fh.write(f"{q};{y};{ind};{cell}\n")
                    rows += 1
        fh.write("Quelle: simuliert\n")
    return rows, path.stat().st_size


MAPPING = """\
quartier_code_column: Gebietsschlüssel
year_column: Zeit
filter_rows: {Merkmal: "Bevölkerung insgesamt"}
indicators:
  population: Wert
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_700_000)
    ap.add_argument("--only", choices=["read", "validate", "build", "cli"], action="append")
    ap.add_argument("--distinct", action="store_true", help="nearly every value cell a different text")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    path = OUT / f"long_{args.rows}{'_distinct' if args.distinct else ''}.csv"
    mapping = OUT / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    if not path.exists():
        make_export(args.rows, path, distinct=args.distinct)
    with open(path, "rb") as fh:
        n_lines = sum(1 for _ in fh)
    print(f"export {path}: {n_lines - 4} data rows, {path.stat().st_size / 1e6:.1f} MB")
    for kind in args.only or ["read", "validate", "build", "cli"]:
        res = subprocess.run([sys.executable, "-c", STEP, kind, str(path), str(mapping)], cwd=ROOT,
                             capture_output=True, text=True)
        if res.returncode:
            print(f"{kind:9s} FAILED: {res.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(res.stdout.strip().splitlines()[-1])
        label = {"read": "read_official_table", "validate": "llq validate", "build": "build_panel",
                 "cli": "llq build-panel"}[kind]
        print(f"{label:20s} {r['seconds']:7.1f} s   peak {r['peak_mb']:7.0f} MB"
              + (f"   ({r['n']} rows)" if r["n"] is not None else ""))


if __name__ == "__main__":
    main()
