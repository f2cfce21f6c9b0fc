"""The explorer's effect cache: dose-response effects estimated once per panel (by data
fingerprint) and read from a small JSON file, so no estimator runs on the app's start path."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

from .controls import DOSE_COLUMN, EFFECT_OUTCOMES


def _cache_dir(cache_dir: str | os.PathLike | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get("LLQ_CACHE_DIR"):
        return Path(os.environ["LLQ_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "llq_analysis"


def _cache_file(panel, cache_dir) -> Path:
    from ...impact.results import data_fingerprint

    cols = ["quartier_id", "year", DOSE_COLUMN, *[o for o in EFFECT_OUTCOMES if o in panel.columns]]
    return _cache_dir(cache_dir) / f"dose_effects_{data_fingerprint(panel, cols)}.json"


def cached_effects(panel, *, cache_dir: str | os.PathLike | None = None) -> dict[str, dict] | None:
    """Dose-response effects cached for exactly this panel (by data fingerprint), or ``None``.

    Never estimates anything (cheap: a hash of a few columns and a small JSON read).
    """
    f = _cache_file(panel, cache_dir)
    if not f.exists():
        return None
    try:
        eff = json.loads(f.read_text(encoding="utf-8"))["effects"]
    except (ValueError, KeyError, OSError):
        return None
    return eff if all(o in eff for o in EFFECT_OUTCOMES) else None


def estimate_effects(panel=None, *, cache_dir: str | os.PathLike | None = None,
                     refresh: bool = False) -> dict[str, dict]:
    """Effect per EUR per resident for each explorer outcome, from the cache or estimated once.

    Estimator: :func:`llq_analysis.dose_response` (TWFE slope of the outcome on the dose
    ``llq_eur_per_capita`` with quartier and year fixed effects, CR1 cluster-robust SEs by
    quartier). Units: percentage points per 1 EUR per resident per year. The result is written
    atomically to a JSON file in ``cache_dir`` (default ``$LLQ_CACHE_DIR`` or
    ``~/.cache/llq_analysis``) keyed by the panel's fingerprint. Slow on a cold process (the
    first pyfixest fit compiles; seconds), so the explorer never calls it on its start path.
    """
    from ...data import loaders as data
    from ...impact.dose import dose_response

    panel = data.load_demo_panel() if panel is None else panel
    if not refresh:
        hit = cached_effects(panel, cache_dir=cache_dir)
        if hit is not None:
            return hit
    eff: dict[str, dict] = {}
    for o in EFFECT_OUTCOMES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # turnout exists only in election years (rows reported)
            r = dose_response(panel, outcome=o, unit="quartier_id", time="year", dose=DOSE_COLUMN)
        eff[o] = {"estimate": float(r.estimate), "se": float(r.se), "ci": [float(r.ci[0]), float(r.ci[1])],
                  "n_obs": int(r.n_obs), "n_clusters": None if r.n_clusters is None else int(r.n_clusters),
                  "provenance": str(r.provenance), "label": "dose_response (TWFE)",
                  "unit": "percentage points per EUR per resident per year"}
    f = _cache_file(panel, cache_dir)
    f.parent.mkdir(parents=True, exist_ok=True)
    tmp = f.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"effects": eff, "panel_fingerprint": f.stem.split("_")[-1]}, indent=1),
                   encoding="utf-8")
    os.replace(tmp, f)
    return eff


def _bundled_tables():
    """The bundled quartiers and panel, checked with the data layer's own rules.

    The pandera cross-check is skipped here (its import alone costs seconds on the app's start
    path); the same tables pass it in the test suite, and every domain rule still applies.
    """
    from ...data.loaders import load_demo_panel, load_quartiers

    return load_quartiers(use_pandera=False), load_demo_panel(use_pandera=False)
