"""Shared fixtures. Bundled tables are loaded once per session (they are validated on load)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def quartiers():
    import llq_analysis as llq

    return llq.load_quartiers()


@pytest.fixture(scope="session")
def panel():
    import llq_analysis as llq

    return llq.load_demo_panel()


@pytest.fixture(scope="session")
def funding():
    import llq_analysis as llq

    return llq.load_funding()
