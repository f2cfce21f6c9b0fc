"""Choropleth maps of any per-quartier value on the official Ortsteil boundaries of both cities.

``plot_map`` draws the city of Bremen large and Bremerhaven as a panel beside it, at the same scale,
north up, from the bundled GeoJSON (``data/boundaries.geojson``, read with :mod:`json`): matplotlib
only at run time, no geo library. Areas without a value are light grey ("keine Angabe"), cells
under disclosure control hatched ("gesperrt (Geheimhaltung)"; the ``"x"`` of
:func:`llq_analysis.disclose` counts as suppressed), chosen Ortsteile outlined, the most important
ones labelled with a white halo. The source line and the geodata attribution
(© GeoBasis-DE / Landesamt GeoInformation Bremen) are printed under the map; simulated values get
the "Simulierte Daten" stamp (:func:`llq_analysis.outputs.plots.mark_simulated`).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable
from functools import lru_cache

from ..errors import DataValidationError, Problem
from ..i18n import format_number, t

MISSING_COLOUR = "#d9d9d9"
SUPPRESSED_FACE = "#f7f7f7"
SUPPRESSED_HATCH = "xxxx"
EDGE_COLOUR = "white"
BHV_MIN_LAT = 53.35  # label points north of this latitude are drawn in the Bremerhaven panel
_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_EQ = 111.320


def plot_map(values, *, column: str, quartier_col: str = "quartier_id", title: str | None = None,
             cmap=None, label: str | None = None, source: str | None = None, provenance=None,
             highlight=None, highlight_label: str | None = None, suppressed=None,
             labels="auto", n_labels: int = 3, decimals: int | None = None,
             center: float | None = None,
             vmin: float | None = None, vmax: float | None = None, lang: str = "de", ax=None,
             boundaries=None, unmapped: str = "raise",
             figsize: tuple[float, float] = (11.0, 7.2)):
    """Choropleth of ``values[column]`` per Ortsteil; returns the matplotlib Figure.

    values: DataFrame with ``quartier_col`` (8-digit Gebietsschlüssel as string) and ``column``
    (numbers; NaN = "keine Angabe"; ``"x"`` = suppressed); a Series indexed by id works too.
    label: colour bar label with unit, e.g. ``"SGB-II-Quote (%)"``. source: printed under the map.
    provenance: a provenance label for all values, the name of a column with one per row, or None
    (then ``<column>_provenance`` or ``provenance`` is used if present); if any value is
    ``simulated``/``mixed`` the figure is stamped "Simulierte Daten".
    highlight / suppressed: ids, or the name of a boolean column of ``values``; highlighted areas
    are outlined (legend ``highlight_label``), suppressed ones hatched. labels: ``"auto"`` (the
    highlighted areas and the ``n_labels`` highest and lowest values; in Bremerhaven the highest and
    lowest), ``"all"``, a list of ids, or None; decimals of the values in labels (default: 0 for
    whole numbers, else 1, or 2 below 1). center: e.g. 0 for changes - a diverging colour
    map centred there (``RdBu_r``); otherwise sequential (``YlOrRd``); any matplotlib or
    seaborn colour map can be passed as ``cmap``. ax: draw into the
    area of this Axes (it is switched off) instead of a new figure. boundaries: another GeoJSON.
    unmapped: ``"raise"`` (default) for ids without a polygon, or ``"note"``: leave them out and
    name them under the map (e.g. 04011121 Handelshäfen, which no boundary file has).
    Raises DataValidationError naming the column and ids for unknown or duplicate ids and for
    non-numeric or infinite values.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import CenteredNorm, Normalize

    areas, proj = _geometry(None if boundaries is None else str(boundaries))
    table = _as_frame(values, column, quartier_col)
    if unmapped not in ("raise", "note"):
        raise ValueError(f"unmapped must be 'raise' or 'note', got {unmapped!r}")
    vals, supp, not_drawn = _check_values(table, column, quartier_col, areas, unmapped)
    supp |= set(_ids(suppressed, table, quartier_col, areas, "suppressed"))
    high = _ids(highlight, table, quartier_col, areas, "highlight")
    simulated = _is_simulated(provenance, table, column)

    if ax is None:
        fig = plt.figure(figsize=figsize)
        region = (0.0, 0.0, 1.0, 1.0)
    else:
        fig = ax.figure
        pos = ax.get_position()
        region = (pos.x0, pos.y0, pos.width, pos.height)
        ax.set_axis_off()
    shown = {k: v for k, v in vals.items() if k not in supp and math.isfinite(v)}
    lo = min(shown.values()) if shown else 0.0
    hi = max(shown.values()) if shown else 1.0
    lo, hi = (lo if vmin is None else vmin), (hi if vmax is None else vmax)
    if center is not None:
        half = max(abs(lo - center), abs(hi - center)) or 1.0
        norm = CenteredNorm(vcenter=center, halfrange=half)
        colours = _cmap(cmap, diverging=True)
    else:
        norm = Normalize(lo, hi if hi > lo else lo + 1.0)
        colours = _cmap(cmap, diverging=False)

    panels = _layout(fig, region, proj)
    for pax, (name, keys) in zip(panels, proj["panels"], strict=True):
        _draw_panel(pax, keys, proj, vals, supp, high, norm, colours)
        sub = "" if name != "bremerhaven" or not proj["enclave"] else "\n" + t("map.enclave", lang)
        pax.set_title(t(f"map.{name}", lang) + sub, fontsize=11 if not sub else 10, loc="left")
    _decorate(panels[0], proj)
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max",
              (True, True): "both"}[(bool(shown) and min(shown.values()) < lo,
                                     bool(shown) and max(shown.values()) > hi)]
    _colourbar(fig, panels, norm, colours, label or column, lang, bool(shown), extend)
    _legend(fig, panels, areas, vals, supp, high, highlight_label, lang)
    if labels:
        if decimals is None:
            finite = list(shown.values())
            decimals = (0 if all(float(v).is_integer() for v in finite)
                        else 1 if max(map(abs, finite), default=0) >= 1 else 2)
        _labels(fig, panels, proj, areas, vals, supp, high, labels, n_labels, decimals, lang)
    x0, y0, w, h = region
    left = panels[0].get_position().x0
    fig.text(left, y0 + h - 0.015, title or label or column, ha="left", va="top",
             fontsize=14, fontweight="bold")
    line = t("map.geodata", lang)
    if not_drawn:
        line = t("map.not_drawn", lang).format(ids=", ".join(not_drawn)) + "\n" + line
    if source:
        line = f"{t('map.source', lang)}: {source}\n{line}"
    fig.text(left, y0 + 0.01, line, ha="left", va="bottom", fontsize=8, color="#444444")
    if simulated:
        from .plots import mark_simulated

        mark_simulated(fig, "simulated", lang)
    return fig


# --------------------------------------------------------------------------- input checks
def _as_frame(values, column, quartier_col):
    import pandas as pd

    if isinstance(values, pd.Series):
        return pd.DataFrame({quartier_col: values.index.astype(str), column: values.to_numpy()})
    if not isinstance(values, pd.DataFrame):
        raise TypeError(f"values must be a DataFrame or Series, got {type(values).__name__}")
    missing = [c for c in (quartier_col, column) if c not in values.columns]
    if missing:
        raise DataValidationError([Problem(c, "a column of the values table") for c in missing],
                                  what="map values")
    return values


def _check_values(table, column, quartier_col, areas, unmapped="raise"):
    import numpy as np
    import pandas as pd

    from .disclosure import MARK

    ids = table[quartier_col].astype(str)
    problems = []
    unknown = sorted(set(ids) - set(areas))
    if unknown and unmapped == "raise":
        problems.append(Problem(quartier_col, "official 8-digit Ortsteil keys of the boundary file "
                                "(strings such as '04011442'; read CSVs with dtype=str; "
                                "unmapped='note' lists ids without a polygon under the map)",
                                value=unknown))
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        problems.append(Problem(quartier_col, "one row per Ortsteil", value=dup))
    raw = table[column]
    marked = raw.astype(object).map(lambda v: isinstance(v, str) and v.strip() == MARK)
    if pd.api.types.is_bool_dtype(raw):
        problems.append(Problem(column, "numeric values (not booleans)", value=str(raw.dtype)))
        num = pd.Series(np.nan, index=raw.index)
    else:
        num = pd.to_numeric(raw.where(~marked), errors="coerce")
        bad = num.isna() & raw.notna() & ~marked
        if bad.any():
            problems.append(Problem(column, f"numbers, NaN or {MARK!r} (suppressed)",
                                    value=dict(zip(ids[bad], raw[bad].astype(str), strict=True))))
        inf = np.isinf(num.to_numpy(dtype=float))
        if inf.any():
            problems.append(Problem(column, "finite numbers", value=sorted(ids[inf])))
    if problems:
        raise DataValidationError(problems, what=f"map values (column {column!r})")
    keep = ids.isin(list(areas)).to_numpy()
    vals = dict(zip(ids[keep], num.astype(float)[keep], strict=True))
    return vals, set(ids[marked.to_numpy(dtype=bool) & keep]), unknown


def _ids(spec, table, quartier_col, areas, what) -> list[str]:
    """Ids from a list or a boolean column, in the given order (first = labelled first)."""
    if spec is None:
        return []
    if isinstance(spec, str):
        if spec not in table.columns:
            raise DataValidationError([Problem(spec, f"a boolean column for {what}= (or a list of "
                                               "Ortsteil ids)")], what="map values")
        col = table[spec]
        if col.isna().any() or not all(isinstance(v, (bool,)) or v in (0, 1) for v in col):
            raise DataValidationError([Problem(spec, f"True/False for {what}=",
                                               value=sorted(set(map(str, col))))], what="map values")
        return list(dict.fromkeys(table.loc[col.astype(bool), quartier_col].astype(str)))
    ids = list(dict.fromkeys(str(i) for i in (spec if isinstance(spec, Iterable) else [spec])))
    unknown = sorted(set(ids) - set(areas))
    if unknown:
        raise DataValidationError([Problem(what, "official 8-digit Ortsteil keys of the boundary "
                                           "file", value=unknown)], what="map values")
    return ids


def _is_simulated(provenance, table, column) -> bool:
    if provenance is None:
        for col in (f"{column}_provenance", "provenance"):
            if col in table.columns:
                provenance = col
                break
        else:
            return False
    if isinstance(provenance, str):
        labels = table[provenance].astype(str) if provenance in table.columns else [provenance]
    else:
        labels = [str(p) for p in provenance]
    return any(p.strip().startswith(("simulated", "mixed")) for p in labels)


# --------------------------------------------------------------------------- geometry (cached)
@lru_cache(maxsize=4)
def _geometry(path: str | None):
    """Areas and their matplotlib paths in local km (equirectangular per panel), split by panel."""
    import numpy as np
    from matplotlib.path import Path

    from ..data.boundaries import load_boundaries

    areas = load_boundaries(path)
    north = {k for k, a in areas.items() if a.label_point[1] > BHV_MIN_LAT}
    panels = [("bremen", sorted(set(areas) - north)), ("bremerhaven", sorted(north))]
    paths, points, extents = {}, {}, []
    for _, keys in panels:
        lats = [y for k in keys for poly in areas[k].polygons for x, y in poly[0]]
        lons = [x for k in keys for poly in areas[k].polygons for x, y in poly[0]]
        lat0, lon0 = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
        kx = _KM_PER_DEG_LON_EQ * math.cos(math.radians(lat0))

        def km(xy, lon0=lon0, lat0=lat0, kx=kx):
            a = np.asarray(xy, dtype=float)
            return np.column_stack([(a[:, 0] - lon0) * kx, (a[:, 1] - lat0) * _KM_PER_DEG_LAT])

        for k in keys:
            verts, codes = [], []
            for poly in areas[k].polygons:
                for ring in poly:
                    v = km(ring)
                    verts.append(v)
                    codes += [Path.MOVETO] + [Path.LINETO] * (len(v) - 2) + [Path.CLOSEPOLY]
            paths[k] = Path(np.concatenate(verts), codes)
            points[k] = tuple(km([areas[k].label_point])[0])
        allv = np.concatenate([paths[k].vertices for k in keys])
        extents.append((allv[:, 0].min(), allv[:, 0].max(), allv[:, 1].min(), allv[:, 1].max()))
    enclave = any(areas[k].city == "Bremen" for k in north)
    return areas, {"panels": panels, "paths": paths, "points": points, "extents": extents,
                   "enclave": enclave}


# --------------------------------------------------------------------------- drawing
def _cmap(cmap, *, diverging: bool):
    import matplotlib as mpl

    if cmap is None:  # matplotlib's own maps: seaborn's import alone would take seconds
        return mpl.colormaps["RdBu_r" if diverging else "YlOrRd"]
    return mpl.colormaps[cmap] if isinstance(cmap, str) else cmap


def _layout(fig, region, proj):
    """Two map axes at the same scale (km per inch), Bremen left, Bremerhaven right, top-aligned."""
    x0, y0, w, h = region
    fw, fh = fig.get_size_inches()
    rw, rh = w * fw, h * fh
    top_in, bottom_in, side_in, gap_in = 0.75, 1.45, 0.15, 0.35
    (b, bh), (r, rr) = [(e[1] - e[0] + 1.0, e[3] - e[2] + 1.0) for e in proj["extents"]]
    scale = min((rw - 2 * side_in - gap_in) / (b + r), (rh - top_in - bottom_in) / max(bh, rr))
    axes = []
    left = side_in + max(0.0, (rw - 2 * side_in - gap_in - (b + r) * scale) / 2)  # centred
    for (e, wkm, hkm) in zip(proj["extents"], (b, r), (bh, rr), strict=True):
        wi, hi = wkm * scale, hkm * scale
        bottom = rh - top_in - hi
        pax = fig.add_axes((x0 + left / fw, y0 + bottom / fh, wi / fw, hi / fh))
        cx, cy = (e[0] + e[1]) / 2, (e[2] + e[3]) / 2
        pax.set_xlim(cx - wkm / 2, cx + wkm / 2)
        pax.set_ylim(cy - hkm / 2, cy + hkm / 2)
        pax.set_aspect("equal", adjustable="box")
        pax.set_xticks([])
        pax.set_yticks([])
        for s in pax.spines.values():
            s.set_visible(False)
        axes.append(pax)
        left += wi + gap_in
    return axes


def _draw_panel(pax, keys, proj, vals, supp, high, norm, colours):
    from matplotlib.patches import PathPatch

    for k in keys:
        v = vals.get(k, math.nan)
        if k in supp:
            patch = PathPatch(proj["paths"][k], facecolor=SUPPRESSED_FACE, edgecolor="#8c8c8c",
                              hatch=SUPPRESSED_HATCH, linewidth=0.4)
        else:
            face = colours(norm(v)) if math.isfinite(v) else MISSING_COLOUR
            patch = PathPatch(proj["paths"][k], facecolor=face, edgecolor=EDGE_COLOUR,
                              linewidth=0.5)
        patch.set_gid(f"quartier:{k}")
        pax.add_artist(patch)  # limits are set by _layout: skip add_patch's costly autoscaling
    for k in sorted(set(high) & set(keys)):
        outline = PathPatch(proj["paths"][k], facecolor="none", edgecolor="black", linewidth=1.6,
                            zorder=3)
        outline.set_gid(f"highlight:{k}")
        pax.add_artist(outline)


def _decorate(pax, proj):
    """North arrow (top right) and a 5 km scale bar (bottom left) in the Bremen panel."""
    x_lo, x_hi = pax.get_xlim()
    y_lo, y_hi = pax.get_ylim()
    pax.annotate("N", xy=(x_hi - 1.2, y_hi - 0.6), xytext=(x_hi - 1.2, y_hi - 3.2),
                 ha="center", va="center", fontsize=10, fontweight="bold",
                 arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2})
    x, y = x_lo + 1.0, y_lo + 1.0
    pax.plot([x, x + 5.0], [y, y], color="black", lw=2.5, solid_capstyle="butt")
    pax.text(x + 2.5, y + 0.4, "5 km", ha="center", va="bottom", fontsize=8)


def _fmt(v: float, lang: str, decimals: int) -> str:
    return format_number(v, decimals, lang)


def _tick(x: float, lang: str) -> str:
    """Colour bar tick: as few decimals as needed, German separators for ``lang="de"``."""
    digits = f"{x:.4f}".rstrip("0").split(".")[1]
    return _fmt(x, lang, len(digits))


def _colourbar(fig, panels, norm, colours, label, lang, any_value, extend):
    if not any_value:
        return
    from matplotlib.cm import ScalarMappable
    from matplotlib.ticker import FuncFormatter

    bpos = panels[0].get_position()
    fh = fig.get_size_inches()[1]
    cax = fig.add_axes((bpos.x0 + 0.1 * bpos.width, bpos.y0 - 0.42 / fh, 0.8 * bpos.width,
                        0.15 / fh))
    cb = fig.colorbar(ScalarMappable(norm=norm, cmap=colours), cax=cax, orientation="horizontal",
                      extend=extend)
    cb.set_label(label, fontsize=10)
    cb.ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _tick(x, lang)))
    cb.outline.set_linewidth(0.5)


def _legend(fig, panels, areas, vals, supp, high, highlight_label, lang):
    from matplotlib.patches import Patch

    handles = []
    if any(not math.isfinite(vals.get(k, math.nan)) and k not in supp for k in areas):
        handles.append(Patch(facecolor=MISSING_COLOUR, edgecolor="#8c8c8c", linewidth=0.4,
                             label=t("map.no_data", lang)))
    if supp:
        handles.append(Patch(facecolor=SUPPRESSED_FACE, edgecolor="#8c8c8c", hatch=SUPPRESSED_HATCH,
                             linewidth=0.4, label=t("map.suppressed", lang)))
    if high:
        handles.append(Patch(facecolor="none", edgecolor="black", linewidth=1.6,
                             label=highlight_label or t("map.highlight", lang)))
    if handles:
        panels[1].legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.03),
                         frameon=False, fontsize=9, handlelength=1.6, handleheight=1.2,
                         borderaxespad=0.0)


def _label_ids(labels, vals, supp, high, proj, n_labels) -> list[str]:
    if labels == "all":
        return [k for _, keys in proj["panels"] for k in keys]
    if labels != "auto":
        return [str(k) for k in labels]
    order = list(high)
    for i, (_, keys) in enumerate(proj["panels"]):
        ranked = sorted((vals[k], k) for k in keys if k in vals and k not in supp
                        and math.isfinite(vals[k]))
        n = n_labels if i == 0 else 1
        order += [k for _, k in ranked[::-1][:n]] + [k for _, k in ranked[:n]]
    return list(dict.fromkeys(order))


def _labels(fig, panels, proj, areas, vals, supp, high, labels, n_labels, decimals, lang):
    """Name (and value) at each area's pole of inaccessibility; shifted or dropped on overlap."""
    import matplotlib.patheffects as pe
    from matplotlib.text import Text

    ids = _label_ids(labels, vals, supp, high, proj, n_labels)
    unknown = sorted(set(ids) - set(areas))
    if unknown:
        raise DataValidationError([Problem("labels", "official 8-digit Ortsteil keys",
                                           value=unknown)], what="map labels")
    where = {k: panels[i] for i, (_, keys) in enumerate(proj["panels"]) for k in keys}
    renderer = fig.canvas.get_renderer()
    placed = []
    halo = [pe.withStroke(linewidth=2.8, foreground="white")]
    for k in ids:
        pax = where[k]
        name = "\n".join(textwrap.wrap(areas[k].name, 18))
        v = vals.get(k, math.nan)
        text = name + ("\n" + _fmt(v, lang, decimals) if math.isfinite(v) and k not in supp else "")
        x, y = proj["points"][k]
        for dx, dy in ((0, 0), (0, 14), (0, -14), (30, 0), (-30, 0), (24, 12), (-24, 12),
                       (24, -12), (-24, -12)):
            leader = None if (dx, dy) == (0, 0) else {"arrowstyle": "-", "lw": 0.6,
                                                         "color": "#333333", "shrinkA": 0,
                                                         "shrinkB": 0}
            txt = pax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                               ha="center", va="center", fontsize=7.5, linespacing=1.0,
                               path_effects=halo, zorder=5, arrowprops=leader)
            txt.update_positions(renderer)
            box = Text.get_window_extent(txt, renderer).expanded(1.05, 1.1)  # without leader
            if not any(box.overlaps(b) for b in placed):
                placed.append(box)
                txt.set_gid(f"label:{k}")
                break
            txt.remove()
