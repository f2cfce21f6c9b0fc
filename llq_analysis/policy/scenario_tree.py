"""The scenario tree: valid keys at each place, parameter leaves, freezing, number formats.

A scenario is a tree of mappings; every number may be written plainly or as a parameter leaf
``{value, unit, source, illustrative, note}`` (like a PolicyEngine parameter). This module holds the
key schema (:func:`_allowed`) and the small helpers every other scenario module uses.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

CITIES = ("Bremen", "Bremerhaven")
RULES = ("fixed", "equal", "population", "need", "hybrid", "citywide")
NEED_TRANSFORMS = ("positive", "shift", "rank")
BASE_RULES = ("equal", "population")
#: key in ``amounts`` for money not attributed to a quartier; such rows get ``quartier_id == ""``
UNATTRIBUTED = "stadtweit"
UNATTRIBUTED_ID = ""
#: indicators a need index may use (panel columns, %); negative weight = lower value, more need
NEED_INDICATORS = ("sgb2_rate", "sgb2_rate_u15", "unemployment_rate", "turnout_buergerschaft",
                   "turnout_bundestag")
DEFAULT_NEED_INDICATORS = {"sgb2_rate": 1.0, "sgb2_rate_u15": 1.0, "unemployment_rate": 1.0,
                           "turnout_buergerschaft": -1.0}

TOP_KEYS = ("name", "title", "description", "year", "budget", "need_index", "cities")
FILE_KEYS = ("name", "title", "description", "base", "changes")
BUDGET_KEYS = ("total_eur", "city_share")
CITY_KEYS = ("label", "strands")
STRAND_KEYS = ("label", "share", "rule", "amounts", "eligibility", "floor_eur", "cap_eur",
               "cap_eur_per_capita", "floors", "caps", "base_share", "base_rule",
               "need_transform", "per_capita", "note", "source")
ELIGIBILITY_KEYS = ("top_k", "min_index", "quartiers", "min_population")
NEED_KEYS = ("indicators", "year", "standardise", "shrink")
PARAM_KEYS = ("value", "unit", "source", "illustrative", "note")
_FREE = "free"  # marker: keys at this level are names (strands, quartiers, indicators)
_SHARE_TOL = 1e-9
#: largest amount of money (EUR) a scenario may name: far above any city budget, and small enough
#: that every amount is exact to the cent in float64 and its cents fit int64 with room for sums
MAX_EUR = 10**12

# ============================================================================ small helpers


def _is_param(node: Any) -> bool:
    """A parameter leaf: ``{value: ..., unit/source/illustrative/note}``."""
    return isinstance(node, Mapping) and "value" in node and set(node) <= set(PARAM_KEYS)


def _v(node: Any) -> Any:
    """The value of a (possibly annotated) leaf."""
    return node["value"] if _is_param(node) else node


def _as_float(x: Any) -> float | None:
    """A number as float (``+-inf`` for integers too large for a float); None for anything else."""
    if not _is_number(x):
        return None
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _found(x: Any, limit: int = 80) -> str:
    """``repr`` of a rejected value, shortened, with a hint for number-like text ("1.0e15")."""
    from ..data.safe_yaml import number_hint

    r = repr(_thaw(x)) if isinstance(x, (Mapping, list, tuple)) else repr(x)
    if len(r) > limit:
        r = r[: limit - 4] + " ..."
    return r + number_hint(x)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def _freeze(x: Any) -> Any:
    if isinstance(x, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in x.items()})
    if isinstance(x, (list, tuple)):
        return tuple(_freeze(v) for v in x)
    return x


def _thaw(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {k: _thaw(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_thaw(v) for v in x]
    return x


def _nearest(key: str, options: Iterable[str]) -> str | None:
    m = difflib.get_close_matches(str(key), [str(o) for o in options], n=1, cutoff=0.4)
    return m[0] if m else None


def _hint(key: str, options: Iterable[str], prefix: str = "") -> str:
    options = [str(o) for o in options]
    near = _nearest(key, options)
    if near is None:
        shown = ", ".join(options[:12]) + (f", ... ({len(options)} in all)" if len(options) > 12 else "")
        return f"valid keys: {shown or '(none)'}"
    return f"nearest valid key: {prefix + near!r}"


def _allowed(prefix: tuple[str, ...]) -> tuple[str, ...] | str | None:
    """Valid keys below ``prefix`` in a scenario tree (``_FREE``: names; None: not a mapping)."""
    n = len(prefix)
    if n == 0:
        return TOP_KEYS
    if prefix == ("budget",):
        return BUDGET_KEYS
    if prefix == ("budget", "city_share"):
        return CITIES
    if prefix == ("need_index",):
        return NEED_KEYS
    if prefix == ("need_index", "indicators"):
        return NEED_INDICATORS
    if prefix == ("cities",):
        return CITIES
    if n == 2 and prefix[0] == "cities":
        return CITY_KEYS
    if n == 3 and prefix[0] == "cities" and prefix[2] == "strands":
        return _FREE
    if n == 4 and prefix[0] == "cities" and prefix[2] == "strands":
        return STRAND_KEYS
    if n == 5 and prefix[0] == "cities" and prefix[4] in ("amounts", "floors", "caps"):
        return _FREE
    if n == 5 and prefix[0] == "cities" and prefix[4] == "eligibility":
        return ELIGIBILITY_KEYS
    return None


def _strand_path(city: str, strand: str) -> str:
    return f"cities.{city}.strands.{strand}"


def _fmt_eur(x: float, lang: str = "de") -> str:
    s = f"{x:,.2f}" if abs(x - round(x)) > 1e-9 else f"{x:,.0f}"
    if lang == "de":
        s = s.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{s} EUR"


def _fmt_share(x: float, lang: str = "de") -> str:
    s = f"{100 * x:.4g}"
    return (s.replace(".", ",") if lang == "de" else s) + " %"
