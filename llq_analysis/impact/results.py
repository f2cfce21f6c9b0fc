"""The common result type of every impact estimator, and :func:`compare` for a side-by-side table.

A result is a frozen dataclass. Its canonical content is ``table`` (tidy: one row per reported
term, relative period, group, ...); ``estimate``/``se``/``ci``/``pvalue`` are the headline
number. Each result carries its spec, a fingerprint of the data it was fitted on and the data's
provenance ("simulated", "published", "user", "mixed"), so a report can never present a
simulated number as a real one.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..i18n import t

HEADLINE_COLUMNS = ["term", "estimate", "se", "ci_low", "ci_high", "pvalue"]


def data_fingerprint(df: pd.DataFrame, columns: Iterable[str] | None = None) -> str:
    """Short SHA-256 fingerprint of the data (selected columns, values and order)."""
    cols = list(columns) if columns is not None else list(df.columns)
    sub = df[cols]
    h = hashlib.sha256()
    h.update(",".join(map(str, cols)).encode())
    h.update(pd.util.hash_pandas_object(sub, index=False).values.tobytes())
    return h.hexdigest()[:16]


def data_provenance(df: pd.DataFrame, columns: Iterable[str] = ()) -> str:
    """Provenance of the data behind an estimate: 'simulated', 'published', 'user' or 'mixed'.

    Uses ``<col>_provenance`` columns where present, else the row ``provenance`` column, else
    ``df.attrs['provenance']``, else 'user'.
    """
    def _kinds(col: str) -> set[str]:  # unique values first: the split is the costly part
        return {str(v).split(":", 1)[0].strip() for v in pd.unique(df[col].dropna())}

    kinds: set[str] = set()
    for c in columns:
        pc = f"{c}_provenance"
        if pc in df.columns:
            kinds |= _kinds(pc)
    if not kinds and "provenance" in df.columns:
        kinds = _kinds("provenance")
    if not kinds:
        return str(df.attrs.get("provenance", "user"))
    kinds.discard("missing")
    if "simulated" in kinds:
        return "simulated"
    if len(kinds) == 1:
        return kinds.pop()
    return "mixed" if kinds else "user"


@dataclass(frozen=True)
class EffectResult:
    """Result of an impact estimator.

    Attributes
    ----------
    method : short method key ("did_2x2", "twfe", "event_study", "cs", ...)
    estimate, se, ci, pvalue : headline effect (outcome units), its SE, 95 % CI and p-value
    n_obs, n_clusters : observations used and number of clusters (None if not clustered)
    table : tidy DataFrame with at least ``term, estimate, se, ci_low, ci_high, pvalue``
    spec : what was estimated (outcome, unit, time, treatment, control group, inference, ...)
    fingerprint, provenance : of the input data
    extras : method-specific objects (means table, weights, gap, att_gt, ...)
    warnings : messages the user must see (few treated clusters, dropped rows, ...)
    dropped : rows that were not used, with the reason (never silently dropped)
    """

    method: str
    estimate: float
    se: float
    ci: tuple[float, float]
    pvalue: float
    n_obs: int
    n_clusters: int | None
    table: pd.DataFrame
    spec: Mapping[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    provenance: str = "user"
    extras: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    dropped: pd.DataFrame | None = None

    # -- tables -----------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The tidy result table (a copy), with method and provenance columns."""
        out = self.table.copy()
        out.insert(0, "method", self.method)
        out["provenance"] = self.provenance
        return out

    def headline(self) -> pd.DataFrame:
        """One-row frame with the headline number (used by :func:`compare`)."""
        return pd.DataFrame([{
            "method": self.method,
            "outcome": self.spec.get("outcome"),
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci[0],
            "ci_high": self.ci[1],
            "pvalue": self.pvalue,
            "n_obs": self.n_obs,
            "n_clusters": self.n_clusters,
            "inference": self.spec.get("inference"),
            "provenance": self.provenance,
        }])

    # -- text -------------------------------------------------------------------------------
    def summary(self, lang: str = "de") -> str:
        """Plain-text summary (German by default, ``lang="en"`` for English)."""
        lo, hi = self.ci
        lines = [
            f"{t('method', lang)}: {t('method.' + self.method, lang)}",
            f"{t('outcome', lang)}: {self.spec.get('outcome', '?')}",
            f"{t('estimate', lang)}: {_fmt(self.estimate)}  ({t('se', lang)} {_fmt(self.se)}; "
            f"95 %-{t('ci', lang)} [{_fmt(lo)}, {_fmt(hi)}]; p = {_fmt(self.pvalue, 3)})",
            f"{t('n_obs', lang)}: {self.n_obs}"
            + (f"; {t('n_clusters', lang)}: {self.n_clusters}" if self.n_clusters else ""),
        ]
        if self.spec.get("inference"):
            lines.append(f"{t('inference', lang)}: {self.spec['inference']}")
        if self.provenance == "simulated":
            lines.append(t("simulated_warning", lang))
        for n in self.spec.get("notes", ()) or ():  # design notes (co-treatments, comparison group)
            lines.append(n.text(lang) if callable(getattr(n, "text", None)) else str(n))
        for w in self.warnings:  # a Message (impact/_prep.py) knows its German text
            lines.append(f"! {w.text(lang) if callable(getattr(w, 'text', None)) else w}")
        if self.dropped is not None and len(self.dropped):
            lines.append(f"! {t('dropped_rows', lang)}: {len(self.dropped)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary("en")

    def _repr_html_(self) -> str:
        head = self.summary("de").replace("\n", "<br>")
        return f"<div><p>{head}</p>{self.table.to_html(index=False, float_format=lambda v: f'{v:.4g}')}</div>"

    # -- plot -------------------------------------------------------------------------------
    def plot(self, ax=None, lang: str = "de"):
        """Coefficient plot of ``table`` (delegates to :mod:`llq_analysis.outputs.plots`)."""
        from ..outputs import plots

        return plots.coef_plot(self.to_frame(), ax=ax, lang=lang, provenance=self.provenance,
                               title=t("method." + self.method, lang))


def _fmt(x: float, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}g}"


def compare(results: Sequence[EffectResult], names: Sequence[str] | None = None) -> pd.DataFrame:
    """Side-by-side table of the headline numbers of several results (one row each)."""
    if not results:
        raise ValueError("compare() needs at least one result")
    rows = [r.headline() for r in results]
    out = pd.concat(rows, ignore_index=True)
    if names is not None:
        if len(names) != len(results):
            raise ValueError(f"names has {len(names)} entries for {len(results)} results")
        out.insert(0, "name", list(names))
    return out
