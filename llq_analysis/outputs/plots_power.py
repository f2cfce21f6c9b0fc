"""Plots of the power / MDE results and of small-area shrinkage (free functions returning a Figure).

matplotlib/seaborn are imported inside the functions; simulated data get the "Simulierte Daten"
stamp. These functions draw only: every number comes from the result objects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import t
from .plots._base import _plt, mark_simulated


def power_curve_plot(curve: pd.DataFrame, *, mde: tuple[float, float], power: float, alpha: float,
                     units: str = "pp", ax=None, lang: str = "de", provenance: str = "user",
                     title: str | None = None):
    """Power (share of rejections) against the assumed effect, with ``power``, ``alpha`` and the MDE marked.

    ``curve`` has ``effect`` (signed, outcome units), ``power`` and optionally ``mc_se`` (drawn as
    a +-2 SE band). ``mde`` = (MDE of a decrease, MDE of an increase), both magnitudes.
    """
    plt, _ = _plt()
    fig, ax = (plt.subplots(figsize=(7, 4)) if ax is None else (ax.figure, ax))
    x, y = curve["effect"].to_numpy(), curve["power"].to_numpy()
    ax.plot(x, y, color="#1f4e79", lw=2)
    if "mc_se" in curve and curve["mc_se"].notna().any():
        s = curve["mc_se"].to_numpy()
        ax.fill_between(x, np.clip(y - 2 * s, 0, 1), np.clip(y + 2 * s, 0, 1), color="#1f4e79", alpha=0.15, lw=0)
    ax.axhline(power, color="#b35806", ls="--", lw=1)
    ax.axhline(alpha, color="grey", ls=":", lw=1)
    for v in (-mde[0], mde[1]):
        ax.axvline(v, color="#b35806", lw=1)
    ul = "Pp." if (units == "pp" and lang == "de") else units
    ax.set_xlabel(f"{t('power.curve_x', lang)} ({ul})")
    ax.set_ylabel(t("power.curve_y", lang))
    ax.set_ylim(0, 1.02)
    val = f"{max(mde):.2f}".replace(".", "," if lang == "de" else ".")
    ax.text(0.02, 0.95, f"{t('power.mde', lang)}: ±{val} {ul} ({power:.0%})".replace("%", " %"),
            transform=ax.transAxes, ha="left", va="top", color="#b35806", fontsize=9,
            bbox={"fc": "white", "ec": "none", "alpha": 0.8})
    ax.set_title(title or t("power.mde", lang))
    fig.tight_layout()
    return mark_simulated(fig, provenance, lang)


def shrinkage_plot(frame: pd.DataFrame, *, rate: str, base: str, ax=None, lang: str = "de",
                   provenance: str = "user", title: str | None = None):
    """Raw (grey) and shrunk (blue) rate per area against its base (log scale), joined by a line."""
    plt, _ = _plt()
    fig, ax = (plt.subplots(figsize=(7, 4)) if ax is None else (ax.figure, ax))
    d = frame[[rate, f"{rate}_shrunk", base]].dropna()
    b = d[base].to_numpy(dtype=float)
    raw, sh = d[rate].to_numpy(dtype=float), d[f"{rate}_shrunk"].to_numpy(dtype=float)
    ax.vlines(b, raw, sh, color="grey", lw=0.8, alpha=0.7)
    ax.scatter(b, raw, s=14, color="grey", label=t("shrink.raw", lang))
    ax.scatter(b, sh, s=14, color="#1f4e79", label=t("shrink.shrunk", lang))
    ax.set_xscale("log")
    ax.set_xlabel(t(base, lang))
    ax.set_ylabel(t(rate, lang))
    ax.legend(loc="best", fontsize=9)
    ax.set_title(title or t("shrink.shrunk", lang))
    fig.tight_layout()
    return mark_simulated(fig, provenance, lang)
