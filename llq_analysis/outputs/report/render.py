"""The evaluation report: run the report notebook, export HTML (no code) and PDF, tables, manifest.

Pipeline of :func:`render_report` (``llq report``):

1. **Check every input first** (language, scenario files, panel, report notebook, output
   directory): a problem stops the run *before anything is written*, with a message that says
   what to do. Only then is the PDF engine looked at.
2. Run ``notebooks/06_bericht.ipynb`` with papermill (parameters: scenario paths, data path,
   language, seed, output directory) in a ``python3`` kernel that is the running interpreter
   (a kernel spec written to the temporary directory and put first on ``JUPYTER_PATH``).
3. Export HTML without code cells (nbconvert ``HTMLExporter``, ``exclude_input=True``; markdown
   cells of the other language and stderr streams removed) inside the report template
   (``templates/report.css``, A4 print layout).
4. Print the HTML to PDF (:mod:`.pdf`): WeasyPrint by default (no browser needed), headless
   chromium as the alternative (``pdf_engine="chromium"``). If the engine is missing or fails,
   everything else is still written and :class:`PdfNotWritten` says how to get the PDF.
5. Write ``manifest.json``: inputs with SHA-256, package versions, seed, parameters, git commit,
   every table with its disclosure record, every output file with SHA-256.
6. Move everything from the temporary directory into ``out_dir`` (an error before this step
   leaves ``out_dir`` untouched).

Same inputs and seed give byte-identical tables (CSV, XLSX), figures (SVG) and HTML.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ... import paths
from .errors import PdfNotWritten, ReportError
from .pdf import (
    DEFAULT_PDF_ENGINE,
    PDF_ENGINES,
    check_engine_name,
    engine_problem,
    engine_version,
    find_chromium,
    html_to_pdf,
)

__all__ = ["render_report", "ReportError", "PdfNotWritten", "ReportFiles", "find_chromium",
           "html_to_pdf", "PDF_ENGINES", "DEFAULT_PDF_ENGINE"]

NOTEBOOK = paths.NOTEBOOK_DIR / "06_bericht.ipynb"
KERNEL_NAME = "python3"
REPORT_FILES = ("report.html", "report.pdf", "report.ipynb", "manifest.json")
REPORT_DIRS = ("tables", "figures")


@dataclass(frozen=True)
class ReportFiles:
    """Where the report went and how long it took (seconds per step)."""

    out_dir: Path
    html: Path
    pdf: Path | None
    manifest: Path
    tables: tuple[Path, ...]
    timings: dict[str, float] = field(default_factory=dict)
    pdf_engine: str | None = None  # the engine that printed ``pdf`` (None: no PDF)

    @property
    def seconds(self) -> float:
        return float(sum(self.timings.values()))


# ----------------------------------------------------------------------------- checks
def _check_inputs(scenarios: Sequence[Path], data: Path | None, lang: str, out_dir: Path):
    """Validate every input before anything is written; returns the scenario objects.

    No PDF engine is looked at here: a wrong scenario or panel is reported on any machine.
    """
    from ...data.loaders import load_demo_panel, load_panel, load_quartiers
    from ...errors import DataValidationError, InfeasibleAllocationError, ScenarioError

    if lang not in ("de", "en"):
        raise ReportError(f"--lang must be 'de' or 'en', not {lang!r}")
    if not NOTEBOOK.exists():
        raise ReportError(f"report notebook {NOTEBOOK} is missing; restore it from the repository "
                          "(git checkout notebooks/06_bericht.ipynb)")
    if out_dir.exists() and not out_dir.is_dir():
        raise ReportError(f"--out {out_dir} exists and is not a directory; choose another path")
    for s in scenarios:
        if not s.exists():
            raise ReportError(f"scenario file {s} does not exist; check the path (available: "
                              f"{', '.join(str(p) for p in sorted(paths.SCENARIO_DIR.glob('*.yaml')))})")
    from ...policy.allocation import allocate
    from ...policy.scenarios import load_scenario

    quartiers = load_quartiers()
    loaded = []
    for s in scenarios:
        try:
            loaded.append(load_scenario(s, quartiers=quartiers))
        except ScenarioError as exc:
            raise ReportError(f"scenario file {s} is invalid: {exc}\nFix the file (see "
                              f"scenarios/README.md) or leave it out of --scenario.") from exc
        except (OSError, ValueError) as exc:
            raise ReportError(f"scenario file {s} cannot be read: {exc}\nFix the file or leave it "
                              "out of --scenario.") from exc
    panel = None
    if data is not None:
        if not data.exists():
            raise ReportError(f"panel file {data} does not exist; build one with `llq build-panel` "
                              "or leave out --data to use the bundled panel")
        try:
            panel = load_panel(data)
        except DataValidationError as exc:
            raise ReportError(f"panel file {data} is not a valid panel:\n{exc}\nCheck it with "
                              f"`llq validate {data}` and fix the listed problems.") from exc
        except (OSError, ValueError) as exc:
            raise ReportError(f"panel file {data} cannot be read: {exc}\nCheck it with "
                              f"`llq validate {data}`.") from exc
    panel = load_demo_panel() if panel is None else panel
    for path, scen in zip(scenarios, loaded, strict=True):  # allocation must be feasible on this data
        try:
            allocate(scen, quartiers, panel=panel)
        except (InfeasibleAllocationError, ScenarioError, ValueError) as exc:
            raise ReportError(f"scenario file {path} cannot be allocated on this panel: {exc}\nFix the "
                              "floors, caps or eligibility in the file, or leave it out of --scenario.") from exc
    return loaded


# ----------------------------------------------------------------------------- helpers
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _progress(enabled: bool, t0: float, msg: str) -> None:
    if enabled:
        print(f"[{time.perf_counter() - t0:5.1f} s] {msg}", flush=True)


def _write_kernelspec(root: Path) -> Path:
    """A ``python3`` kernel spec that runs the current interpreter (deterministic hashing)."""
    kdir = root / "kernels" / KERNEL_NAME
    kdir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     "--IPKernelApp.log_level=CRITICAL"],
            "display_name": "Python 3 (llq_analysis)", "language": "python",
            "env": {"PYTHONHASHSEED": "0", "MPLBACKEND": "agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
            "metadata": {"debugger": False, "supported_encryption": ["curve"]}}
    (kdir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return root


_SECTION = re.compile(r"\brc\.(\w+)\(ctx")


def _register_engine(t0: float, progress: bool) -> str:
    """A papermill engine that prints one progress line per report section (cell) as it starts."""
    from papermill.engines import NBClientEngine, papermill_engines

    class _LLQEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            start = nb_man.cell_start

            def cell_start(cell, cell_index=None, **kw):
                m = _SECTION.search(cell.source) if cell.cell_type == "code" else None
                if m:
                    _progress(progress, t0, f"  ... {m.group(1)}")
                return start(cell, cell_index, **kw)

            nb_man.cell_start = cell_start
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register("llq-report", _LLQEngine)
    return "llq-report"


def _execute(nb_out: Path, params: dict, jupyter_dir: Path, cwd: Path, progress: bool,
             t0: float) -> None:
    import papermill as pm

    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(jupyter_dir)] + ([old] if old else []))
    try:
        pm.execute_notebook(str(NOTEBOOK), str(nb_out), parameters=params, kernel_name=KERNEL_NAME,
                            cwd=str(cwd), progress_bar=False, log_output=False,
                            request_save_on_cell_execute=False, start_timeout=120,
                            engine_name=_register_engine(t0, progress))
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old


def _prepare_notebook(nb, lang: str) -> tuple[object, int]:
    """Drop markdown cells of the other language and stderr outputs; return (nb, n_stderr)."""
    other = "en" if lang == "de" else "de"
    cells = []
    n_err = 0
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if other in tags or tags & {"parameters", "injected-parameters"}:
            continue
        if cell.cell_type == "code":
            outs = []
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream" and o.get("name") == "stderr":
                    n_err += 1
                    continue
                outs.append(o)
            cell["outputs"] = outs
            cell["execution_count"] = None
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("papermill", None)
    for i, cell in enumerate(nb.cells):  # stable ids: the HTML must not depend on random cell ids
        cell["id"] = f"c{i:03d}"
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
    return nb, n_err


def export_html(nb_path: Path, html_path: Path, *, lang: str) -> int:
    """Executed notebook -> report HTML without code (our template and CSS). Returns #stderr dropped."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(nb_path), as_version=4)
    nb, n_err = _prepare_notebook(nb, lang)
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, anchor_link_text="")
    body, _ = exporter.from_notebook_node(nb)
    css = (paths.TEMPLATE_DIR / "report.css").read_text(encoding="utf-8")
    title = "LLQ – Evaluationsbericht" if lang == "de" else "LLQ – Evaluation report"
    page = (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{title}</title>\n<style>\n{css}\n</style>\n</head>\n"
            f'<body class="llq-report">\n{body}\n</body>\n</html>\n')
    html_path.write_text(page, encoding="utf-8")
    return n_err


def _pdf_pages(pdf: Path) -> int | None:
    exe = shutil.which("pdfinfo")
    if exe:
        out = subprocess.run([exe, str(pdf)], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Pages:"):
                return int(line.split()[1])
    return None


def _versions(pdf_engine: str | None) -> dict[str, str]:
    from importlib import metadata

    from ... import __version__

    out = {"python": platform.python_version(), "llq_analysis": __version__}
    for pkg in ("numpy", "pandas", "scipy", "statsmodels", "pyfixest", "diff-diff", "pysyncon",
                "matplotlib", "seaborn", "pandera", "papermill", "nbconvert", "ipykernel",
                "openpyxl", "pyyaml", "weasyprint"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    if pdf_engine == "chromium":
        out["chromium"] = engine_version("chromium") or "unknown"
    return out


def _git_commit() -> dict[str, object] | None:
    git = shutil.which("git")
    if not git or not (paths.PROJECT_DIR / ".git").exists():
        return None
    try:
        sha = subprocess.run([git, "rev-parse", "HEAD"], cwd=paths.PROJECT_DIR, capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run([git, "status", "--porcelain", "--untracked-files=no"],
                               cwd=paths.PROJECT_DIR, capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {"commit": sha or None, "uncommitted_changes": bool(dirty)}


def _move_into(tmp: Path, out_dir: Path) -> None:
    """Move the finished report from ``tmp`` into ``out_dir`` (only our own files are replaced)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for d in REPORT_DIRS:
        src = tmp / d
        dst = out_dir / d
        if dst.exists():
            old = out_dir / f".{d}.old-{os.getpid()}"
            dst.rename(old)
            if src.exists():
                src.rename(dst)
            shutil.rmtree(old, ignore_errors=True)
        elif src.exists():
            src.rename(dst)
    for name in REPORT_FILES:
        src = tmp / name
        if src.exists():
            os.replace(src, out_dir / name)
        elif (out_dir / name).exists():
            (out_dir / name).unlink()  # e.g. an old PDF from a run with the PDF


# ----------------------------------------------------------------------------- main
def render_report(*, scenarios: Sequence[str | os.PathLike] | None = None,
                  data: str | os.PathLike | None = None, lang: str = "de",
                  out_dir: str | os.PathLike = "reports", seed: int | None = None, pdf: bool = True,
                  pdf_engine: str = DEFAULT_PDF_ENGINE, progress: bool = True,
                  fast: bool = False) -> ReportFiles:
    """Make the evaluation report (HTML, PDF, tables as CSV/XLSX, figures, manifest) in ``out_dir``.

    Parameters
    ----------
    scenarios : scenario YAML files compared with the baseline (default: every
        ``scenarios/*.yaml``); ``scenarios/baseline.yaml`` is always included, first.
    data : a panel CSV (``llq build-panel``); None uses the bundled panel.
    lang : "de" (default) or "en".
    out_dir : output directory; only the report's own files in it are replaced.
    seed : seed of every random draw (bootstrap, projection); default
        :data:`llq_analysis.outputs.report.content.DEFAULT_SEED`.
    pdf : print the PDF (True by default).
    pdf_engine : "weasyprint" (default; a Python library, no browser) or "chromium" (headless).
    progress : print a line per step and the total time.
    fast : fewer bootstrap/projection draws (for tests; the manifest records it).

    Raises
    ------
    ReportError : invalid inputs, raised before anything is written.
    PdfNotWritten : (a ReportError) the PDF engine is missing or failed; raised *after* the
        HTML, tables, figures and manifest were written; its ``files`` says where they are.
    """
    from .content import DEFAULT_SEED, default_scenarios

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    seed = DEFAULT_SEED if seed is None else int(seed)
    out_dir = Path(out_dir)
    scen = [Path(s) for s in scenarios] if scenarios else default_scenarios()
    if not any(s.resolve() == paths.BASELINE_SCENARIO.resolve() for s in scen if s.exists()):
        scen = [paths.BASELINE_SCENARIO, *scen]
    scen = list(dict.fromkeys(s.resolve() for s in scen))
    data_path = Path(data).resolve() if data is not None else None

    _progress(progress, t0, "Eingaben prüfen / checking inputs ...")
    check_engine_name(pdf_engine)
    _check_inputs(scen, data_path, lang, out_dir)
    pdf_problem = engine_problem(pdf_engine) if pdf else None  # after the inputs, never instead
    timings["check"] = time.perf_counter() - t0

    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".llq-report-", dir=parent))
    try:
        jdir = _write_kernelspec(tmp / ".jupyter")
        params = {"scenarios": [str(s) for s in scen],
                  "data": str(data_path) if data_path else None,
                  "lang": lang, "seed": seed, "out_dir": str(tmp), "fast": bool(fast)}
        step = time.perf_counter()
        _progress(progress, t0, "Notebook ausführen (Schätzungen, Szenarien) / running the notebook "
                  "(estimates, scenarios) ...")
        nb_out = tmp / "report.ipynb"
        try:
            _execute(nb_out, params, jdir, paths.PROJECT_DIR, progress, t0)
        except Exception as exc:  # papermill wraps the cell error
            keep = Path(tempfile.gettempdir()) / f"llq-report-failed-{os.getpid()}.ipynb"
            if nb_out.exists():
                shutil.copy(nb_out, keep)
            raise ReportError(f"the report notebook failed: {_short_error(exc)}\nThe executed "
                              f"notebook is kept at {keep} for inspection; nothing was written "
                              f"to {out_dir}.") from exc
        timings["notebook"] = time.perf_counter() - step

        step = time.perf_counter()
        _progress(progress, t0, "HTML exportieren / exporting HTML ...")
        html = tmp / "report.html"
        n_err = export_html(nb_out, html, lang=lang)
        timings["html"] = time.perf_counter() - step

        pdf_path = None
        if pdf and pdf_problem is None:
            step = time.perf_counter()
            _progress(progress, t0, f"PDF drucken ({pdf_engine}) / printing the PDF ({pdf_engine}) ...")
            pdf_path = tmp / "report.pdf"
            try:
                html_to_pdf(html, pdf_path, engine=pdf_engine)
            except ReportError as exc:
                pdf_problem = str(exc).splitlines()[0]
                pdf_path.unlink(missing_ok=True)
                pdf_path = None
            timings["pdf"] = time.perf_counter() - step

        content = json.loads((tmp / "content.json").read_text(encoding="utf-8")) \
            if (tmp / "content.json").exists() else {"tables": [], "figures": []}
        (tmp / "content.json").unlink(missing_ok=True)
        shutil.rmtree(tmp / ".jupyter", ignore_errors=True)
        inputs = {str(_rel(s)): {"sha256": _sha256(s), "role": "scenario"} for s in scen}
        panels = ({data_path: "panel (user)"} if data_path else
                  {paths.PANEL_CSV: "panel (published)", paths.DEMO_PANEL_CSV: "demo panel (simulated)"})
        for panel_file, role in panels.items():
            inputs[str(_rel(panel_file))] = {"sha256": _sha256(panel_file), "role": role}
        for f, role in ((paths.QUARTIERS_CSV, "quartiers"), (paths.FUNDING_CSV, "funding"),
                        (NOTEBOOK, "report notebook"),
                        (paths.TEMPLATE_DIR / "report.css", "report stylesheet")):
            inputs[str(_rel(f))] = {"sha256": _sha256(f), "role": role}
        outputs = {str(p.relative_to(tmp)): _sha256(p) for p in sorted(tmp.rglob("*"))
                   if p.is_file() and p.name != "manifest.json"}
        timings["total"] = time.perf_counter() - t0
        manifest = {
            "report": "LLQ evaluation report",
            "parameters": {"lang": lang, "seed": seed, "pdf": pdf, "fast": bool(fast),
                           "pdf_engine": pdf_engine if pdf_path else None,
                           "scenarios": [str(_rel(s)) for s in scen],
                           "data": str(_rel(data_path)) if data_path else None},
            "inputs": inputs,
            "versions": _versions(pdf_engine if pdf_path else None),
            "git": _git_commit(),
            "tables": content.get("tables", []),
            "figures": content.get("figures", []),
            "pending_sections": content.get("pending_sections", []),
            "notebook_stderr_outputs_removed": n_err,
            "pdf_pages": _pdf_pages(pdf_path) if pdf_path else None,
            "pdf_not_written": pdf_problem,
            "outputs": outputs,
            "timings_seconds": {k: round(v, 2) for k, v in timings.items()},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                           encoding="utf-8")
        _move_into(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total = time.perf_counter() - t0
    timings["total"] = total
    printed = pdf and pdf_problem is None
    files = ReportFiles(out_dir=out_dir, html=out_dir / "report.html",
                        pdf=out_dir / "report.pdf" if printed else None,
                        manifest=out_dir / "manifest.json",
                        tables=tuple(sorted((out_dir / "tables").glob("*.csv"))), timings=timings,
                        pdf_engine=pdf_engine if printed else None)
    if progress:
        print(f"Bericht fertig / report done: {files.html}" + (f", {files.pdf}" if printed else "")
              + f" ({len(files.tables)} Tabellen/tables) in {total:.1f} s", flush=True)
    if pdf and pdf_problem is not None:
        raise PdfNotWritten(f"no PDF: {pdf_problem}. HTML, tables and manifest are in {out_dir}; "
                            "`llq report --no-pdf` skips the PDF.", files=files)
    return files


def _rel(p: Path) -> Path:
    try:
        return p.resolve().relative_to(paths.PROJECT_DIR)
    except ValueError:
        return p


def _short_error(exc: Exception) -> str:
    name = getattr(exc, "ename", type(exc).__name__)
    value = getattr(exc, "evalue", str(exc))
    return f"{name}: {value}"
