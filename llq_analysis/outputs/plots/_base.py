"""Shared plot helpers: the seaborn style (:func:`_plt`) and the "Simulierte Daten" stamp.

Every chart built on simulated values carries a visible "Simulierte Daten" mark
(:func:`mark_simulated`). matplotlib/seaborn are imported inside the functions (lazy).
"""

from __future__ import annotations

from ...i18n import t


def _plt():
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    return plt, sns


def mark_simulated(fig, provenance: str = "simulated", lang: str = "de"):
    """Stamp a visible "Simulierte Daten" mark on ``fig`` when the data are (partly) simulated.

    The text itself is opaque: WeasyPrint 70 drops SVG text that has both an ``opacity`` and
    ``text-anchor: end`` (measured), so a translucent stamp would vanish from the PDF.
    """
    if provenance in ("simulated", "mixed"):
        fig.text(0.99, 0.01, t("simulated_mark", lang), ha="right", va="bottom", fontsize=11,
                 color="#b00020", fontweight="bold",
                 bbox={"boxstyle": "round", "fc": "white", "ec": "#b00020", "alpha": 0.8})
    return fig
