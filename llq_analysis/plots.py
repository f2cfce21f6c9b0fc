"""Plot functions: each returns a matplotlib Figure (seaborn style). No drawing inside estimators.

Every chart built on simulated values carries a visible "Simulierte Daten" mark
(:func:`mark_simulated`). matplotlib/seaborn are imported inside the functions (lazy).
"""

from __future__ import annotations

import pandas as pd

from .i18n import t


def _plt():
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    return plt, sns


def mark_simulated(fig, provenance: str = "simulated", lang: str = "de"):
    """Stamp a visible "Simulierte Daten" mark on ``fig`` when the data are (partly) simulated."""
    if provenance in ("simulated", "mixed"):
        fig.text(0.99, 0.01, t("simulated_mark", lang), ha="right", va="bottom", fontsize=11,
                 color="#b00020", fontweight="bold", alpha=0.85,
                 bbox={"boxstyle": "round", "fc": "white", "ec": "#b00020", "alpha": 0.8})
    return fig


def coef_plot(frame: pd.DataFrame, *, x: str = "term", ax=None, lang: str = "de",
              provenance: str = "user", title: str | None = None, ref_line: float = 0.0):
    """Point estimates with 95 % intervals from a tidy table (``estimate, ci_low, ci_high``)."""
    plt, _ = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    else:
        fig = ax.figure
    d = frame.reset_index(drop=True)
    xs = range(len(d))
    ax.errorbar(list(xs), d["estimate"], yerr=[d["estimate"] - d["ci_low"], d["ci_high"] - d["estimate"]],
                fmt="o", capsize=3, color="#1f4e79")
    ax.axhline(ref_line, color="grey", lw=1, ls="--")
    ax.set_xticks(list(xs))
    ax.set_xticklabels([str(v) for v in d[x]], rotation=45 if len(d) > 8 else 0, ha="right" if len(d) > 8 else "center")
    ax.set_ylabel(t("estimate", lang))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return mark_simulated(fig, provenance, lang)


def event_study_plot(table: pd.DataFrame, *, ax=None, lang: str = "de", provenance: str = "user",
                     title: str | None = None):
    """Event-study coefficients with 95 % intervals by relative period (``rel_time``).

    The reference period(s) (``reference=True``, estimate 0) are drawn as open markers at 0; a
    dashed vertical line separates pre- from post-treatment periods.
    """
    plt, _ = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    else:
        fig = ax.figure
    d = table.sort_values("rel_time")
    isref = d["reference"].astype(bool) if "reference" in d else pd.Series(False, index=d.index)
    est = d[~isref]
    ax.errorbar(est["rel_time"], est["estimate"],
                yerr=[est["estimate"] - est["ci_low"], est["ci_high"] - est["estimate"]],
                fmt="o", capsize=3, color="#1f4e79")
    ax.plot(d.loc[isref, "rel_time"], d.loc[isref, "estimate"], "o", mfc="white", color="#1f4e79")
    ax.axhline(0.0, color="grey", lw=1, ls="--")
    ax.axvline(-0.5, color="#b00020", lw=1, ls=":")
    ax.set_xlabel(t("relative_period", lang))
    ax.set_ylabel(t("estimate", lang))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return mark_simulated(fig, provenance, lang)
