"""Import paths of modules that moved into subpackages keep working (aliases, no copies).

Before the package was grouped by the data flow, every module sat at the top level
(``llq_analysis.scenarios``, ``llq_analysis.dashboard`` ...). Those paths appear in users'
notebooks and scripts, so a finder on ``sys.meta_path`` maps each old name to the module's new
home: ``import llq_analysis.scenarios`` returns the very module object
``llq_analysis.policy.scenarios`` (same identity, so monkeypatching either name works).
Nothing is imported until an old path is used.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

#: old module path -> new module path (both absolute)
MOVED: dict[str, str] = {
    f"llq_analysis.{old}": f"llq_analysis.{new}"
    for old, new in {
        "schema": "data.schema",
        "official": "data.official",
        "importing": "data.importing",
        "geography": "data.geography",
        "funding": "data.funding",
        "simulate": "data.simulate",
        "reference_data": "data.reference_data",
        "before_after": "impact.before_after",
        "scenarios": "policy.scenarios",
        "allocation": "policy.allocation",
        "projection": "policy.projection",
        "optimiser": "policy.optimiser",
        "plots": "outputs.plots",
        "disclosure": "outputs.disclosure",
        "overview": "outputs.overview",
        "report": "outputs.report",
        "report_content": "outputs.report.content",
        "report_content.core": "outputs.report.content.core",
        "report_content.data_sections": "outputs.report.content.data_sections",
        "report_content.impact_sections": "outputs.report.content.impact_sections",
        "report_content.policy_sections": "outputs.report.content.policy_sections",
        "dashboard": "outputs.dashboard",
        "cli_commands": "cli.commands",
    }.items()
}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec):  # the existing module object, not a copy
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module) -> None:
        # already executed under its new name; the import system has just set the alias spec on
        # the module: give it back its own, so reload() and introspection see the real location
        module.__spec__ = self._spec


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Resolve an old ``llq_analysis.<module>`` path to the module's new location."""

    def find_spec(self, fullname: str, path=None, target=None):
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(new))


def install() -> None:
    """Put the finder on ``sys.meta_path`` once (idempotent)."""
    if not any(isinstance(f, MovedModuleFinder) for f in sys.meta_path):
        # first, so a stale directory left at an old path cannot shadow the alias
        sys.meta_path.insert(0, MovedModuleFinder())
