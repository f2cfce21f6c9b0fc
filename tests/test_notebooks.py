"""Notebooks: every notebooks/*.ipynb executes on the bundled data; committed notebooks are thin and clean.

Execution uses papermill with each notebook's default parameters, in a temporary directory (the
executed copy is written there, the repository stays untouched). ``MPLBACKEND`` is removed for the
kernel so figures render inline as in JupyterLab; a drawing cell that shows no figure fails (the
``matplotlib.use('Agg')`` trap of STACK.md). Run only these with ``pytest -m notebook``; timings are
printed (``-s``), not asserted.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from llq_analysis import paths

NOTEBOOKS = sorted(paths.NOTEBOOK_DIR.glob("*.ipynb"))
#: the curated analysis notebooks owned by this suite's checks of form (01-04)
ANALYSIS = {"01_daten_ueberblick", "02_vorher_nachher", "03_wirkung_did", "04_synthetische_kontrolle"}
CELL_TIMEOUT_S = 900  # generous: CI machines are shared; real runs take seconds


def _code_sources(nb: dict) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == "code"]


def _committed_text(path: Path) -> str:
    """The notebook as committed (git index: after the nbstripout filter), else the file."""
    rel = path.relative_to(paths.PROJECT_DIR).as_posix()
    try:
        out = subprocess.run(["git", "show", f":{rel}"], cwd=paths.PROJECT_DIR, capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return path.read_text(encoding="utf-8")
    return out.stdout if out.returncode == 0 else path.read_text(encoding="utf-8")


def test_analysis_notebooks_present():
    assert ANALYSIS <= {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_is_stripped_and_thin(path):
    nb = json.loads(_committed_text(path))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs", []) == [], f"{path.name} cell {i}: outputs committed (use nbstripout)"
            assert cell.get("execution_count") is None, f"{path.name} cell {i}: execution count committed"
    for i, src in enumerate(_code_sources(nb)):
        code = "\n".join(ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!")))
        tree = ast.parse(code)
        defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        assert not defs, f"{path.name} code cell {i}: def/class belongs in the package, not a notebook"
        assert not re.search(r"matplotlib\.use\(|mpl\.use\(", code), \
            f"{path.name} code cell {i}: matplotlib.use() drops figures from executed reports (STACK.md)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_are_visible_to_papermill(path):
    """Every assignment in a 'parameters' cell must be parsable by papermill (else `-p name value`
    is reported as an unknown parameter and silently ignored)."""
    import papermill as pm

    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        pytest.skip("no parameters cell")
    names = [m.group(1) for m in re.finditer(r"^(\w+)\s*=", "".join(cells[0]["source"]), re.M)]
    found = pm.inspect_notebook(str(path))
    assert set(names) <= set(found), f"{path.name}: papermill cannot parse {sorted(set(names) - set(found))}"


def test_gitattributes_strip_notebooks():
    text = (paths.PROJECT_DIR / ".gitattributes").read_text(encoding="utf-8")
    assert re.search(r"^\*\.ipynb\s+filter=nbstripout", text, re.M)


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem in ANALYSIS], ids=lambda p: p.stem)
def test_analysis_notebook_form(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown"
    text = "".join(first["source"])
    assert "simuliert" in text and "data" in text, "first cell must say the bundled data are simulated"
    params = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters' (papermill)"
    src = "".join(params[0]["source"])
    assert re.search(r"^data\s*=\s*None", src, re.M) and re.search(r"^lang\s*=\s*\"de\"", src, re.M)


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, tmp_path, monkeypatch):
    import nbformat
    import papermill as pm

    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel renders inline, as in JupyterLab
    out = tmp_path / path.name
    t0 = time.perf_counter()
    pm.execute_notebook(str(path), str(out), cwd=str(tmp_path), kernel_name="python3",
                        progress_bar=False, log_output=False, execution_timeout=CELL_TIMEOUT_S)
    elapsed = time.perf_counter() - t0
    print(f"\n{path.name}: executed in {elapsed:.1f} s")
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    assert not list(path.parent.glob(f"{path.stem}*.tmp"))
    if path.stem in ANALYSIS:
        for i, c in enumerate(nb.cells):
            if c.cell_type == "code" and re.search(r"\.plot\(|plots\.\w+_plot\(|plots\.\w+\(", c.source):
                kinds = {k for o in c.outputs for k in o.get("data", {})}
                assert "image/png" in kinds, f"{path.name} cell {i}: drawing cell shows no figure"
