"""Errors of the report layer."""

from __future__ import annotations

__all__ = ["ReportError", "PdfNotWritten"]


class ReportError(ValueError):
    """The report cannot be made with these inputs; the message says what to do."""


class PdfNotWritten(ReportError):
    """Everything but the PDF was written (HTML, tables, manifest); the message says how to get the
    PDF. ``files`` is the :class:`~llq_analysis.outputs.report.render.ReportFiles` that was written."""

    def __init__(self, message: str, files=None):
        super().__init__(message)
        self.files = files
