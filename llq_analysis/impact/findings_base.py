"""What the findings on published data share: the :class:`Finding` result, the provenance check
(never mix simulated and published rows) and the source line under every table and figure."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import DataValidationError, Problem
from ..i18n import format_number

#: module (relative to llq_analysis.impact) holding the text and plot of each kind of finding
_MODULES = {"targeting": "targeting_text", "participation": "findings_text", "poverty": "findings_text",
            "detectable": "findings_text"}


def _kind(value: Any) -> str:
    return str(value).split(":", 1)[0].strip()


def check_provenance(panel: pd.DataFrame, columns: Sequence[str] = ()) -> bool:
    """True if the panel is simulated, False if it is published/user data; raises
    :class:`~llq_analysis.errors.DataValidationError` if it mixes simulated rows (or values of
    ``columns``) with published or user rows."""
    if "provenance" not in panel.columns:
        raise DataValidationError([Problem(column="provenance", expected="the row provenance column "
                                           "('published' / 'user' / 'simulated') of llq.load_panel()")],
                                  what="the panel")
    kinds = panel["provenance"].map(_kind)
    sim = kinds == "simulated"
    problems = []
    if sim.any() and (~sim).any():
        problems.append(Problem(column="provenance", row=panel.index[~sim][0],
                                value=f"{int(sim.sum())} simulated and {int((~sim).sum())} other rows",
                                expected="only published/user rows (llq.load_panel()) or only simulated rows "
                                         "(llq.load_demo_panel()); never both"))
    for c in columns:
        pc = f"{c}_provenance"
        if pc in panel.columns and not sim.all():
            bad = panel[pc].map(_kind) == "simulated"
            if bad.any():
                problems.append(Problem(column=pc, row=panel.index[bad][0],
                                        value=f"{int(bad.sum())} simulated values",
                                        expected="published, user or missing values in a published panel"))
    if problems:
        raise DataValidationError(problems, what="the panel (demo and published rows mixed)")
    return bool(sim.all() and len(panel))


def source_line(panel: pd.DataFrame, columns: Sequence[str], *, lang: str = "de", extra: str | None = None) -> str:
    """"Quelle: Statistisches Landesamt Bremen, <tables>; eigene Berechnung." from the provenance of
    the values of ``columns`` actually used (publisher and table of each ``published:`` value)."""
    pubs: dict[str, list[str]] = {}
    users: set[str] = set()
    sim = False
    for c in columns:
        pc = f"{c}_provenance"
        if pc not in panel.columns:
            continue
        for v in pd.unique(panel.loc[panel[c].notna(), pc].astype(str)):
            k = _kind(v)
            if k == "published":
                parts = [p.strip() for p in v.split(":", 1)[1].split(",")]
                pub, table = parts[0], (parts[1] if len(parts) > 1 else "")
                if table and table not in pubs.setdefault(pub, []):
                    pubs[pub].append(table.split("/")[0].strip())
            elif k == "user":
                users.add(v.split(":", 1)[-1].strip())
            elif k == "simulated":
                sim = True
    bits = [f"{p}, {', '.join(dict.fromkeys(t))}" if t else p for p, t in pubs.items()]
    if users:
        bits.append(("eigene Daten: " if lang == "de" else "user data: ") + ", ".join(sorted(users)))
    if sim:
        bits.append("Simulierte Daten (llq_analysis.data.simulate)" if lang == "de"
                    else "simulated data (llq_analysis.data.simulate)")
    if extra:
        bits.append(extra)
    head = "Quelle" if lang == "de" else "Source"
    tail = "eigene Berechnung" if lang == "de" else "own calculation"
    return f"{head}: {'; '.join(bits) or '–'}; {tail}."


@dataclass(frozen=True)
class Finding:
    """One finding on published data: tables, headline numbers and the estimator results.

    ``kind``: targeting / participation / poverty / detectable. ``tables``: named frames (the
    first is the main one, :meth:`to_frame`). ``numbers``: headline numbers used by the text.
    ``results``: the package results behind it (EffectResult, EventStudyResult, PowerResult ...).
    ``source``: the source line printed under every table and figure. ``simulated``: the input
    was the simulated demo panel. ``dropped``: rows left out, with the reason.
    """

    kind: str
    tables: Mapping[str, pd.DataFrame]
    numbers: Mapping[str, Any]
    source: str
    simulated: bool = False
    results: Mapping[str, Any] = field(default_factory=dict)
    dropped: pd.DataFrame | None = None
    warnings: tuple[str, ...] = ()

    def _module(self):
        return importlib.import_module(f".{_MODULES[self.kind]}", __package__)

    def to_frame(self, name: str | None = None) -> pd.DataFrame:
        """The main table (or the table ``name``), a copy."""
        key = name or next(iter(self.tables))
        return self.tables[key].copy()

    def summary(self, lang: str = "de") -> str:
        """The finding in plain words (German by default, ``lang="en"``), ending with the source."""
        if lang not in ("de", "en"):
            raise ValueError(f"lang must be 'de' or 'en', got {lang!r}")
        lines = list(self._module().text(self, lang))
        if self.simulated:
            lines.append("Simulierte Daten – kein Befund über Bremen." if lang == "de"
                         else "Simulated data – not a finding about Bremen.")
        return "\n".join([*lines, self.source_text(lang)])

    def source_text(self, lang: str = "de") -> str:
        """The source line in ``lang``."""
        if lang == "de":
            return self.source
        return (self.source.replace("Quelle:", "Source:").replace("eigene Berechnung", "own calculation")
                .replace("Förderdaten", "funding data").replace("eigene Daten", "user data"))

    def plot(self, lang: str = "de", **kwargs: Any):
        """The finding's figure (matplotlib Figure) with the source under it."""
        from ..outputs.plots import findings as figures  # drawing lives in outputs

        draw = figures.targeting_plot if self.kind == "targeting" else figures.findings_plot
        fig = draw(self, lang, **kwargs)
        from ..i18n import t

        if self.simulated and not any(x.get_text() == t("simulated_mark", lang) for x in fig.texts):
            from ..outputs.plots import mark_simulated

            mark_simulated(fig, "simulated", lang)
        return fig

    def __str__(self) -> str:
        return self.summary("de")

    def _repr_html_(self) -> str:
        import html

        return "<p>" + html.escape(self.summary("de")).replace("\n", "<br>") + "</p>"


def add_source(fig, source: str) -> None:
    """Print ``source`` under the figure (left, small)."""
    fig.text(0.01, -0.01, source, ha="left", va="top", fontsize=7.5, color="#444444", wrap=True)


def fmt_num(x: Any, decimals: int = 1, lang: str = "de", sign: bool = False) -> str:
    """German (1.234,5) or English (1,234.5) number; '–' for missing (:func:`i18n.format_number`)."""
    return format_number(x, decimals, lang, sign)


def fmt_ci(ci: Sequence[float], decimals: int = 1, lang: str = "de") -> str:
    sep = " bis " if lang == "de" else " to "
    return f"{fmt_num(ci[0], decimals, lang, sign=True)}{sep}{fmt_num(ci[1], decimals, lang, sign=True)}"


def fmt_p(p: Any, lang: str = "de") -> str:
    if p is None or p != p:
        return "–"
    if p < 0.001:
        return "< 0,001" if lang == "de" else "< 0.001"
    return "= " + fmt_num(p, 3, lang)


def tr(de: str, en: str, lang: str) -> str:
    return de if lang == "de" else en


def ci_words(ci: Sequence[float], lang: str, *, unit_de: str = "Prozentpunkte", unit_en: str = "percentage points",
             more_de: str = "höher", less_de: str = "niedriger", more_en: str = "higher",
             less_en: str = "lower") -> str:
    """What an interval says in words: no detectable difference when it contains 0."""
    lo, hi = ci
    if lo <= 0 <= hi:
        return tr("kein nachweisbarer Unterschied (das Intervall schließt null ein)",
                  "no detectable difference (the interval includes zero)", lang)
    if lo > 0:
        return tr(f"nachweisbar {more_de}", f"detectably {more_en}", lang)
    return tr(f"nachweisbar {less_de}", f"detectably {less_en}", lang)
