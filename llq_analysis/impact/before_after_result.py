"""The result of :func:`~llq_analysis.impact.before_after.compare_before_after`: funded vs
comparison quartiers before/after, as tables, German/English text and HTML.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..i18n import t

_GROUPS = ("funded", "comparison", "difference")
_PERIODS = ("before", "after", "change")


# ----------------------------------------------------------------------------- result


@dataclass(frozen=True)
class BeforeAfterResult:
    """Result of :func:`compare_before_after`.

    Attributes
    ----------
    indicator : the compared column (unit as in the panel, e.g. % for rates)
    comparison : "matched" or "all"
    table : tidy table, one row per ``group`` (funded / comparison / difference) x ``period``
        (before / after / change): ``value`` (mean, change or difference in outcome units),
        ``se``, ``ci_low``, ``ci_high`` (95 %), ``n_quartiers``, ``years`` used.
    quartiers : one row per used quartier: ``group``, ``before``, ``after``, ``change``,
        ``weight`` (comparison quartiers: times used / n_matches), years with a value.
    trend : yearly means by group (``year, group, mean, n_quartiers``), for the trend plot.
    matches : "matched" only: funded quartier -> matched comparison quartier, ``rank``,
        ``distance`` (standardised level/trend), ``same_city``, the features of both.
    balance : standardised mean differences (funded vs comparison) of the pre level and pre
        trend, for all unfunded quartiers (``smd_all``) and for the comparison used (``smd_used``).
    years : the years with a value used in each window, ``{"before": (...), "after": (...)}``.
    """

    indicator: str
    comparison: str
    table: pd.DataFrame
    quartiers: pd.DataFrame
    trend: pd.DataFrame
    matches: pd.DataFrame | None
    balance: pd.DataFrame
    years: Mapping[str, tuple[int, ...]]
    spec: Mapping[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    provenance: str = "user"
    warnings: tuple[str, ...] = ()
    dropped: pd.DataFrame | None = None

    # -- headline -----------------------------------------------------------------------
    def _row(self, group: str, period: str) -> pd.Series:
        tab = self.table
        return tab[(tab["group"] == group) & (tab["period"] == period)].iloc[0]

    @property
    def estimate(self) -> float:
        """Difference in changes (funded minus comparison), in the indicator's unit."""
        return float(self._row("difference", "change")["value"])

    @property
    def se(self) -> float:
        """Standard error of the difference in changes (bootstrap SD or t-based)."""
        return float(self._row("difference", "change")["se"])

    @property
    def ci(self) -> tuple[float, float]:
        """95 % interval of the difference in changes."""
        r = self._row("difference", "change")
        return float(r["ci_low"]), float(r["ci_high"])

    # -- tables -------------------------------------------------------------------------
    def to_frame(self, lang: str | None = None) -> pd.DataFrame:
        """The tidy result table (a copy). ``lang="de"|"en"`` translates group and period labels."""
        out = self.table.copy()
        out.insert(0, "indicator", self.indicator)
        out.insert(1, "comparison", self.comparison)
        out["interval"] = self.spec.get("interval")
        out["provenance"] = self.provenance
        if lang is not None:
            for col in ("group", "period"):
                out[col] = [t(f"ba.{v}", lang) for v in out[col]]
        return out

    # -- text ---------------------------------------------------------------------------
    def summary(self, lang: str = "de") -> str:
        """Plain-language summary (German by default, ``lang="en"`` for English)."""
        t(self.indicator, lang)  # validates lang
        f = {p: self._row("funded", p) for p in _PERIODS}
        c = {p: self._row("comparison", p) for p in _PERIODS}
        lo, hi = self.ci
        yb = _years_text(self.years["before"])
        ya = _years_text(self.years["after"])
        nf, nc = int(f["change"]["n_quartiers"]), int(c["change"]["n_quartiers"])
        comp = t(f"ba.comparison_{self.comparison}", lang)
        how = t(f"ba.interval_{self.spec.get('interval')}", lang)
        if lang == "de":
            lines = [
                f"{t(self.indicator, lang)}: vorher ({yb}) und nachher ({ya}).",
                f"Geförderte Quartiere (n = {nf}): {_n(f['before']['value'])} -> "
                f"{_n(f['after']['value'])} (Veränderung {_s(f['change']['value'])}).",
                f"Vergleichsquartiere, {comp} (n = {nc}): {_n(c['before']['value'])} -> "
                f"{_n(c['after']['value'])} (Veränderung {_s(c['change']['value'])}).",
                f"Differenz der Veränderungen: {_s(self.estimate)} Prozentpunkte "
                f"(95-%-Intervall {_s(lo)} bis {_s(hi)}; {how}).",
                "Beschreibender Vergleich, keine kausale Schätzung: Unterschiede können auch andere "
                "Ursachen haben.",
            ]
        else:
            lines = [
                f"{t(self.indicator, lang)}: before ({yb}) and after ({ya}).",
                f"Funded quartiers (n = {nf}): {_n(f['before']['value'])} -> "
                f"{_n(f['after']['value'])} (change {_s(f['change']['value'])}).",
                f"Comparison quartiers, {comp} (n = {nc}): {_n(c['before']['value'])} -> "
                f"{_n(c['after']['value'])} (change {_s(c['change']['value'])}).",
                f"Difference in changes: {_s(self.estimate)} percentage points "
                f"(95 % interval {_s(lo)} to {_s(hi)}; {how}).",
                "A descriptive comparison, not a causal estimate: differences may have other causes.",
            ]
        if not _is_rate(self.indicator):
            lines[3] = lines[3].replace(" Prozentpunkte", "").replace(" percentage points", "")
        if self.provenance in ("simulated", "mixed"):
            lines.append(t("simulated_warning", lang))
        lines.extend(f"! {w.text(lang) if callable(getattr(w, 'text', None)) else w}" for w in self.warnings)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary("en")

    def _repr_html_(self) -> str:
        lang = self.spec.get("lang", "de")
        head = html.escape(self.summary(lang)).replace("\n", "<br>")
        tab = self.to_frame(lang=lang)[["group", "period", "years", "value", "ci_low", "ci_high",
                                        "n_quartiers"]]
        return f"<div><p>{head}</p>{tab.to_html(index=False, float_format=lambda v: f'{v:.3f}')}</div>"

    # -- plot ---------------------------------------------------------------------------
    def plot(self, lang: str = "de"):
        """Trends of both groups (windows shaded) and distributions of the quartier-level values."""
        from ..outputs.plots import before_after_plot

        return before_after_plot(self, lang=lang)


def _n(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def _s(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:+.2f}"


def _is_rate(indicator: str) -> bool:
    return indicator.endswith("_rate") or "_rate_" in indicator or indicator.startswith("turnout")


def _years_text(years: tuple[int, ...]) -> str:
    return ", ".join(str(y) for y in years)
