"""Project hygiene: environment.yml lists the same packages as pyproject.toml; imports stay lazy."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

from llq_analysis import paths


def _name(spec: str) -> str:
    return re.split(r"[<>=!~\[ ;]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _specs(specs) -> dict[str, str]:
    return {_name(s): s.replace(" ", "").lower().replace("_", "-") for s in specs}


def test_environment_yml_matches_pyproject():
    py = tomllib.loads((paths.PROJECT_DIR / "pyproject.toml").read_text())["project"]
    wanted = list(py["dependencies"])
    for specs in py["optional-dependencies"].values():
        wanted += [s for s in specs if not s.startswith("llq_analysis")]
    env = yaml.safe_load((paths.PROJECT_DIR / "environment.yml").read_text())
    listed = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            listed += dep.get("pip", [])
        elif not dep.startswith(("python", "pip")) or dep.startswith("pip:"):
            listed.append(dep)
    a, b = _specs(wanted), _specs(listed)
    assert set(a) == set(b), f"only in pyproject: {set(a) - set(b)}; only in environment.yml: {set(b) - set(a)}"
    assert a == b, {k: (a[k], b[k]) for k in a if a[k] != b[k]}


def test_import_is_lazy():
    """`import llq_analysis` must not pull estimation, plotting, Jupyter or report tooling."""
    code = ("import sys, llq_analysis; heavy = ['pandera', 'pyfixest', 'diff_diff', 'matplotlib', "
            "'seaborn', 'ipywidgets', 'papermill', 'nbconvert', 'statsmodels', 'pysyncon', 'scipy']; "
            "print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_public_api_names_resolve():
    import importlib

    import llq_analysis as llq

    missing = []
    for name, mod in llq._API.items():
        try:
            m = importlib.import_module(f"llq_analysis.{mod}")
        except ModuleNotFoundError:
            missing.append(f"{name} (module {mod} missing)")
            continue
        if not hasattr(m, name):
            missing.append(f"{name} (not in {mod})")
    assert not missing, missing
