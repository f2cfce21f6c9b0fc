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
PANEL_CSV = DATA_DIR / "panel.csv"  # published values only
DEMO_PANEL_CSV = DATA_DIR / "demo_panel.csv"  # simulated, for method demonstrations
PANEL_SOURCES_CSV = DATA_DIR / "panel_sources.csv"  # file, sheet, block, cell of every published value
OFFICIAL_SOURCES_DIR = DATA_DIR / "sources" / "official"
FUNDING_CSV = DATA_DIR / "funding.csv"
PUBLISHED_INDICATORS_CSV = DATA_DIR / "published_indicators.csv"
AREA_MAP_CSV = DATA_DIR / "programme_area_map.csv"
BASELINE_SCENARIO = SCENARIO_DIR / "baseline.yaml"
