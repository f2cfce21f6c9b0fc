"""Where bundled data, scenarios, notebooks and templates live (works from a checkout; data ship with it)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
DATA_DIR = PROJECT_DIR / "data"
SCENARIO_DIR = PROJECT_DIR / "scenarios"
NOTEBOOK_DIR = PROJECT_DIR / "notebooks"
TEMPLATE_DIR = PACKAGE_DIR / "templates"
REPORT_DIR = PROJECT_DIR / "reports"

QUARTIERS_CSV = DATA_DIR / "quartiers.csv"
PANEL_CSV = DATA_DIR / "panel.csv"
FUNDING_CSV = DATA_DIR / "funding.csv"
PUBLISHED_INDICATORS_CSV = DATA_DIR / "published_indicators.csv"
AREA_MAP_CSV = DATA_DIR / "programme_area_map.csv"
BASELINE_SCENARIO = SCENARIO_DIR / "baseline.yaml"
