"""Lazy re-exports for subpackage ``__init__`` files (PEP 562), so importing a package stays cheap."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def reexport(package: str, modules: tuple[str, ...]) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` that looks ``name`` up in ``package.<module>`` in order."""

    def __getattr__(name: str) -> Any:
        for module in modules:
            mod = importlib.import_module(f"{package}.{module}")
            if hasattr(mod, name):
                return getattr(mod, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
