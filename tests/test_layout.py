"""Layout of the package (issue 9): modules under 500 lines, no import cycle at module level, the
data-flow rules between the subpackages, every public name importable from the module ``_API``
names, and every import path that README, docs, notebooks and scenarios show still working."""

from __future__ import annotations

import ast
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import llq_analysis as llq

PKG = Path(llq.__file__).parent
ROOT = PKG.parent
MODULES = sorted(PKG.rglob("*.py"))


def _module_name(f: Path) -> str:
    parts = list(f.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level_imports(f: Path) -> set[str]:
    """Modules of the package imported by top-level statements (not inside functions or TYPE_CHECKING)."""
    name = _module_name(f)
    pkg = name if f.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()

    def visit(body):
        for node in body:
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                if mod.startswith("llq_analysis"):
                    out.add(mod)
                    out.update(f"{mod}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names if a.name.startswith("llq_analysis"))
            elif isinstance(node, ast.If) and not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(ast.parse(f.read_text(encoding="utf-8")).body)
    return out


@pytest.mark.parametrize("f", MODULES, ids=lambda f: str(f.relative_to(PKG)))
def test_module_under_500_lines(f):
    n = len(f.read_text(encoding="utf-8").splitlines())
    assert n <= 500, f"{f.name}: {n} lines"


def _graph() -> dict[str, set[str]]:
    files = {_module_name(f): f for f in PKG.rglob("*.py")}
    return {m: {d for d in _module_level_imports(f) if d in files and d != m} for m, f in files.items()}


def test_no_module_level_import_cycle():
    files = {_module_name(f): f for f in PKG.rglob("*.py")}
    graph = {m: {d for d in _module_level_imports(f) if d in files and d != m} for m, f in files.items()}
    cycles, state, stack = [], {}, []

    def dfs(u):
        state[u] = 1
        stack.append(u)
        for v in sorted(graph[u]):
            if state.get(v) == 1:
                cycles.append(stack[stack.index(v):] + [v])
            elif v not in state:
                dfs(v)
        stack.pop()
        state[u] = 2

    for m in sorted(graph):
        if m not in state:
            dfs(m)
    assert not cycles, [" -> ".join(c) for c in cycles]


# stage -> stages it may import at module level (data -> impact -> policy -> outputs -> cli);
# the shared top-level modules (errors, paths, i18n, _lazy, _moved) may be used by all
ALLOWED = {
    "data": {"data"},
    "impact": {"data", "impact"},
    "policy": {"data", "impact", "policy"},
    "outputs": {"data", "impact", "policy", "outputs"},
    "cli": {"data", "impact", "policy", "outputs", "cli"},
}


def _stage(mod: str) -> str | None:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def test_imports_follow_the_data_flow():
    """data knows no estimator; estimators know no policy or output; policy has no UI."""
    bad = []
    for m, deps in _graph().items():
        s = _stage(m)
        for d in deps:
            if s and _stage(d) and _stage(d) not in ALLOWED[s]:
                bad.append(f"{m} -> {d}")
    assert not bad, bad


@pytest.mark.parametrize("name", sorted(llq._API))
def test_every_public_name_imports_from_its_module(name):
    mod = llq._API[name]
    obj = getattr(importlib.import_module(f"llq_analysis.{mod}"), name)
    assert getattr(llq, name) is obj
    if callable(obj) and hasattr(obj, "__module__"):
        assert obj.__module__ == f"llq_analysis.{mod}", (name, obj.__module__)


def _documented_imports() -> set[tuple[str, str]]:
    """(module, name) pairs of every ``from llq_analysis... import ...`` in README, docs,
    notebooks, scenarios and examples, plus bare ``import llq_analysis.x`` paths."""
    texts = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "scenarios").glob("*"),
             *(ROOT / "examples").glob("*")]
    out: set[tuple[str, str]] = set()
    for f in texts:
        out |= _imports_in(f.read_text(encoding="utf-8"))
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            out |= _imports_in("".join(cell["source"]))
    return out


def _imports_in(text: str) -> set[tuple[str, str]]:
    out = set()
    for mod, names in re.findall(r"from (llq_analysis(?:\.\w+)*) import ([\w, ]+)", text):
        out |= {(mod, n.split(" as ")[0].strip()) for n in names.split(",") if n.strip()}
    out |= {(mod, "") for mod in re.findall(r"import (llq_analysis(?:\.\w+)+)", text)}
    return out


def test_docs_show_import_paths_at_all():
    assert len(_documented_imports()) >= 5


@pytest.mark.parametrize("mod, name", sorted(_documented_imports()))
def test_every_documented_import_path_works(mod, name):
    m = importlib.import_module(mod)
    if name and not hasattr(m, name):  # `from pkg import submodule` imports it
        importlib.import_module(f"{mod}.{name}")


def test_old_module_paths_are_aliases_of_the_new_modules():
    from llq_analysis._moved import MOVED

    for old, new in MOVED.items():
        assert importlib.import_module(old) is importlib.import_module(new), old


def test_import_is_light():
    code = ("import sys, llq_analysis; heavy = [m for m in ('pandas', 'matplotlib', 'pyfixest', 'diff_diff', "
            "'ipywidgets', 'papermill', 'pandera', 'geopandas') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("path, names", [
    ("llq_analysis.policy.scenarios", ["Scenario", "load_scenario", "largest_remainder", "CITIES", "RULES",
                                       "DEFAULT_NEED_INDICATORS", "UNATTRIBUTED", "NEED_INDICATORS", "PARAM_KEYS"]),
    ("llq_analysis.policy.allocation", ["allocate", "prepare_panel", "need_index", "capped_proportional",
                                        "largest_remainder", "PreparedPanel"]),
    ("llq_analysis.policy.projection", ["project", "compare_scenarios", "Projection", "ScenarioComparison",
                                        "concentration_index", "share_to_neediest", "OUTCOMES", "response",
                                        "TOTAL", "RETURNS"]),
    ("llq_analysis.policy.optimiser", ["optimise_allocation", "OptimisationResult"]),
    ("llq_analysis.cli", ["main", "command"]),
    ("llq_analysis.scenarios", ["load_scenario", "Scenario"]),  # pre-subpackage paths (aliases)
    ("llq_analysis.projection", ["compare_scenarios", "project"]),
    ("llq_analysis.cli_commands", ["validate_cmd", "build_panel_cmd"]),
])
def test_documented_import_paths_keep_working(path, names):
    mod = importlib.import_module(path)
    missing = [n for n in names if not hasattr(mod, n)]
    assert not missing, missing
    if path.startswith("llq_analysis.policy."):
        assert set(mod.__all__) >= set(names)  # `from ... import *` keeps them too

