"""The evaluation report: inputs checked, notebook run with papermill, HTML and PDF, tables,
manifest (:mod:`.render`), PDF engines (:mod:`.pdf`: WeasyPrint, chromium); its sections live in
:mod:`.content`."""

from __future__ import annotations

from ..._lazy import reexport

__getattr__ = reexport(__name__, ("render", "pdf", "errors"))
